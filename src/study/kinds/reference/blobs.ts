/**
 * Blobs of the reference study (study/blobs.ts' safetensors encoding): a DenseModel — one F32
 * tensor per weight matrix and bias, layer names and activations in the metadata — and a task
 * split — images and labels as U8, with the validation split its training stops early on.
 */
import { UserError } from '../../../core/errors.js';
import { validateModel, type Activation, type DenseModel, type LayerRecord } from '../../../core/layer.js';
import type { Split } from '../../../model/split.js';
import { decodeBlob, encodeBlob, type BlobTensor } from '../../blobs.js';

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
