/**
 * TEMPORARY: minimal tfjs layers-format parsing until src/model/layers-format.ts lands; then this
 * file re-exports that module's parser and nothing else.
 */
import type { DenseModel, LayerRecord, Activation } from '../../src/core/layer.js';
import { validateModel } from '../../src/core/layer.js';

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype?: string;
}

export function parseLayersModel(json: unknown, buffers: ArrayBuffer[]): DenseModel {
  const j = json as {
    weightsManifest: { paths: string[]; weights: ManifestEntry[] }[];
    modelTopology?: { config?: { layers?: { class_name: string; config: { name: string; activation?: string } }[] } };
  };
  const total = buffers.reduce((s, b) => s + b.byteLength, 0);
  const all = new Uint8Array(total);
  let off = 0;
  for (const b of buffers) {
    all.set(new Uint8Array(b), off);
    off += b.byteLength;
  }
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  let pos = 0;
  for (const g of j.weightsManifest) {
    for (const w of g.weights) {
      const n = w.shape.reduce((a, b) => a * b, 1);
      tensors.set(w.name, { shape: w.shape, data: new Float32Array(all.buffer.slice(pos, pos + 4 * n)) });
      pos += 4 * n;
    }
  }
  const activations = new Map<string, string>();
  for (const l of j.modelTopology?.config?.layers ?? []) if (l.config?.activation) activations.set(l.config.name, l.config.activation);
  const layers: LayerRecord[] = [];
  for (const [name, t] of tensors) {
    const m = /^(.*)\/kernel$/.exec(name);
    if (!m || t.shape.length !== 2) continue;
    const bias = tensors.get(`${m[1]}/bias`);
    const act = activations.get(m[1]);
    layers.push({
      name: m[1],
      weights: t.data,
      shape: [t.shape[0], t.shape[1]],
      bias: bias ? bias.data : null,
      ...(act ? { activation: act as Activation } : {}),
    });
  }
  return validateModel({ layers });
}
