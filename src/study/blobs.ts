/**
 * Blobs: the large inputs of jobs (task splits, sentence sets, trained models) as bytes, named by
 * their sha256.
 *
 * A blob is a safetensors file (formats/safetensors.ts reads and checks it) whose `__metadata__`
 * names its kind; each study kind encodes its own values with encodeBlob (kinds/<kind>/blobs.ts).
 * The bytes must be a pure function of the value (fixed tensor order, fixed JSON key order), so
 * the same model or split always has the same hash, on any machine.
 */
import { createHash } from 'node:crypto';
import { UserError } from '../core/errors.js';
import { assembleSafetensors, parseSafetensorsHeader } from '../formats/safetensors.js';
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
