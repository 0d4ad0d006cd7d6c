/**
 * Blobs of the multi-task study (study/blobs.ts' safetensors encoding): a trained network as a
 * DenseModel — one F32 tensor per weight matrix and bias, layer names and activations in the
 * metadata. The bytes are a pure function of the model (the same weights give the same hash, so a
 * network reloaded from its model.json is the same blob).
 */
import { UserError } from '../../../core/errors.js';
import { validateModel, type Activation, type DenseModel, type LayerRecord } from '../../../core/layer.js';
import { decodeBlob, encodeBlob, type BlobTensor } from '../../blobs.js';

const NET_KIND = 'weightscope-multitask-net';

export function serializeNet(model: DenseModel): Uint8Array {
  const tensors: BlobTensor[] = [];
  model.layers.forEach((l, k) => {
    tensors.push({ name: `${k}.weights`, dtype: 'F32', shape: [l.shape[0], l.shape[1]], data: l.weights });
    if (l.bias) tensors.push({ name: `${k}.bias`, dtype: 'F32', shape: [l.shape[1]], data: l.bias });
  });
  const layers = model.layers.map((l) => ({ name: l.name, activation: l.activation ?? null, bias: l.bias !== null }));
  return encodeBlob(tensors, { kind: NET_KIND, layers: JSON.stringify(layers) });
}

export function deserializeNet(bytes: Uint8Array): DenseModel {
  const { tensors, metadata } = decodeBlob(bytes, NET_KIND);
  let described: unknown;
  try {
    described = JSON.parse(metadata.layers ?? '');
  } catch {
    throw new UserError('corrupt network blob: its layer list is not JSON');
  }
  if (!Array.isArray(described) || described.length === 0) throw new UserError('corrupt network blob: no layer list');
  const f32 = (name: string, shape: number[]): Float32Array => {
    const t = tensors.get(name);
    if (!t || t.dtype !== 'F32' || t.shape.join('x') !== shape.join('x')) throw new UserError(`corrupt network blob: no F32 tensor '${name}' [${shape}]`);
    return new Float32Array(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength / 4);
  };
  const layers: LayerRecord[] = (described as { name: unknown; activation: unknown; bias: unknown }[]).map((d, k) => {
    const w = tensors.get(`${k}.weights`);
    if (!w || w.shape.length !== 2) throw new UserError(`corrupt network blob: layer ${k} has no weight matrix`);
    const shape: [number, number] = [w.shape[0], w.shape[1]];
    return {
      name: String(d.name),
      weights: f32(`${k}.weights`, shape),
      shape,
      bias: d.bias ? f32(`${k}.bias`, [shape[1]]) : null,
      ...(typeof d.activation === 'string' ? { activation: d.activation as Activation } : {}),
    };
  });
  return validateModel({ layers });
}
