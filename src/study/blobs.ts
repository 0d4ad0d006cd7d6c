/**
 * Blobs: the large inputs of jobs (task splits, trained models) as bytes, named by their sha256.
 *
 * A blob is a safetensors file (formats/safetensors.ts reads and checks it): weights as F32, images
 * and labels as U8, what a DenseModel needs beyond its arrays (layer names, activations) in the
 * header's `__metadata__`. The bytes are a pure function of the value (fixed tensor order, fixed
 * JSON key order), so the same model or split always has the same hash, on any machine.
 */
import { createHash } from 'node:crypto';
import { UserError } from '../core/errors.js';
import { validateModel, type Activation, type DenseModel, type LayerRecord } from '../core/layer.js';
import { assembleSafetensors, parseSafetensorsHeader } from '../formats/safetensors.js';
import type { Split } from '../model/index.js';
import type { BlobHash, BlobStore } from './types.js';

/** sha256 of the bytes, hex: a blob's name. */
export function blobHash(bytes: Uint8Array): BlobHash {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface BlobTensor {
  name: string;
  dtype: 'F32' | 'U8' | 'I32';
  shape: number[];
  data: Float32Array | Uint8Array | Int32Array;
}

function bytesOf(data: Float32Array | Uint8Array | Int32Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Safetensors bytes of the tensors, in order, with a string→string metadata map. */
export function encodeBlob(tensors: BlobTensor[], metadata: Record<string, string>): Uint8Array {
  // Typed arrays are little-endian on every platform Node runs on (formats/dtype.ts assumes it too).
  return assembleSafetensors(tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, bytes: bytesOf(t.data) })), metadata);
}

/** The tensors of a blob by name (copies, aligned) and its metadata; `kind` must match. */
export function decodeBlob(bytes: Uint8Array, kind: string): { tensors: Map<string, { dtype: string; shape: number[]; bytes: Uint8Array }>; metadata: Record<string, string> } {
  let layout;
  try {
    layout = parseSafetensorsHeader(bytes, bytes.length);
  } catch (err) {
    throw new UserError(`corrupt ${kind.replace('weightscope-', '')} blob: ${(err as Error).message}`);
  }
  const metadata = layout.metadata ?? {};
  if (metadata.kind !== kind) throw new UserError(`blob is a '${metadata.kind ?? 'unknown'}' blob, not a '${kind}' blob`);
  const tensors = new Map<string, { dtype: string; shape: number[]; bytes: Uint8Array }>();
  for (const e of layout.entries) tensors.set(e.name, { dtype: e.dtype, shape: e.shape, bytes: bytes.slice(e.start, e.end) });
  return { tensors, metadata };
}

const MODEL_KIND = 'weightscope-model';
const SPLIT_KIND = 'weightscope-split';

/** A model as blob bytes: one F32 tensor per weight matrix and bias, names and activations in the metadata. */
export function serializeModel(model: DenseModel): Uint8Array {
  const tensors: BlobTensor[] = [];
  model.layers.forEach((l, k) => {
    tensors.push({ name: `${k}.weights`, dtype: 'F32', shape: [l.shape[0], l.shape[1]], data: l.weights });
    if (l.bias) tensors.push({ name: `${k}.bias`, dtype: 'F32', shape: [l.shape[1]], data: l.bias });
  });
  const layers = model.layers.map((l) => ({ name: l.name, activation: l.activation ?? null, bias: l.bias !== null }));
  return encodeBlob(tensors, { kind: MODEL_KIND, layers: JSON.stringify(layers) });
}

export function deserializeModel(bytes: Uint8Array): DenseModel {
  const { tensors, metadata } = decodeBlob(bytes, MODEL_KIND);
  let described: { name: string; activation: Activation | null; bias: boolean }[];
  try {
    described = JSON.parse(metadata.layers ?? '');
  } catch {
    throw new UserError('corrupt model blob: its layer list is not JSON');
  }
  if (!Array.isArray(described)) throw new UserError('corrupt model blob: no layer list');
  const f32 = (name: string): { data: Float32Array; shape: number[] } => {
    const t = tensors.get(name);
    if (!t || t.dtype !== 'F32') throw new UserError(`corrupt model blob: no F32 tensor '${name}'`);
    return { data: new Float32Array(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength / 4), shape: t.shape };
  };
  const layers: LayerRecord[] = described.map((d, k) => {
    const w = f32(`${k}.weights`);
    if (w.shape.length !== 2) throw new UserError(`corrupt model blob: layer ${k} weights are not a matrix`);
    return {
      name: String(d.name),
      weights: w.data,
      shape: [w.shape[0], w.shape[1]],
      bias: d.bias ? f32(`${k}.bias`).data : null,
      ...(d.activation ? { activation: d.activation } : {}),
    };
  });
  return validateModel({ layers });
}

/** A split (and the validation split its training may stop early on) as blob bytes. */
export function serializeSplit(split: Split, validation: Split | null = null): Uint8Array {
  const tensors: BlobTensor[] = [];
  for (const [prefix, s] of [['', split], ['validation.', validation]] as const) {
    if (!s) continue;
    const d = s.n > 0 ? s.pixels.length / s.n : 0;
    tensors.push({ name: `${prefix}pixels`, dtype: 'U8', shape: [s.n, d], data: s.pixels });
    tensors.push({ name: `${prefix}labels`, dtype: 'U8', shape: [s.n], data: s.labels });
  }
  return encodeBlob(tensors, { kind: SPLIT_KIND });
}

export function deserializeSplit(bytes: Uint8Array): { split: Split; validation: Split | null } {
  const { tensors } = decodeBlob(bytes, SPLIT_KIND);
  const read = (prefix: string): Split | null => {
    const pixels = tensors.get(`${prefix}pixels`);
    const labels = tensors.get(`${prefix}labels`);
    if (!pixels && !labels) return null;
    if (!pixels || !labels || pixels.dtype !== 'U8' || labels.dtype !== 'U8' || pixels.shape[0] !== labels.shape[0]) {
      throw new UserError(`corrupt split blob: '${prefix}pixels' and '${prefix}labels' do not match`);
    }
    return { pixels: pixels.bytes, labels: labels.bytes, n: labels.shape[0] };
  };
  const split = read('');
  if (!split) throw new UserError('corrupt split blob: no images');
  return { split, validation: read('validation.') };
}

/** Blobs held in this process's memory: the in-process and thread-pool executors' store. */
export class MemoryBlobStore implements BlobStore {
  private readonly blobs = new Map<BlobHash, Uint8Array>();

  async put(bytes: Uint8Array): Promise<BlobHash> {
    return this.putSync(bytes);
  }

  putSync(bytes: Uint8Array): BlobHash {
    const hash = blobHash(bytes);
    if (!this.blobs.has(hash)) this.blobs.set(hash, bytes);
    return hash;
  }

  async get(hash: BlobHash): Promise<Uint8Array> {
    const bytes = this.blobs.get(hash);
    if (!bytes) throw new Error(`blob ${hash} is not in the store`);
    return bytes;
  }

  has(hash: BlobHash): boolean {
    return this.blobs.has(hash);
  }
}
