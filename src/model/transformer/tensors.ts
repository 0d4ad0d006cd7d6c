/**
 * The tagger's parameters as a flat, named list in one fixed order: the order of weights.bin,
 * and the list the tfjs layers model's weight manifest describes (docs/transformer.md).
 */
import type { TransformerModel } from './model.js';

export interface TensorSpec {
  name: string;
  shape: number[];
}

/** `<layer>/kernel` ([nIn, nOut] row-major), `<layer>/bias`, then `<norm>/gamma`, `<norm>/beta`, in model order. */
export function parameterTensors(model: TransformerModel): { spec: TensorSpec; data: Float32Array }[] {
  const out: { spec: TensorSpec; data: Float32Array }[] = [];
  for (const l of model.layers) {
    out.push({ spec: { name: `${l.name}/kernel`, shape: [...l.shape] }, data: l.weights });
    if (l.bias) out.push({ spec: { name: `${l.name}/bias`, shape: [l.bias.length] }, data: l.bias });
  }
  for (const n of model.norms) {
    out.push({ spec: { name: `${n.name}/gamma`, shape: [n.gamma.length] }, data: n.gamma });
    out.push({ spec: { name: `${n.name}/beta`, shape: [n.beta.length] }, data: n.beta });
  }
  return out;
}
