/**
 * The sparsity control of a comparison: a dense model magnitude-pruned to a sparse model's
 * density, so that a difference the control shares with the sparse model can be put down to
 * sparsity alone (docs/compare.md; the FER twins' `control-matched`, docs/fer.md).
 */
import { UserError } from '../core/errors.js';
import type { DenseModel } from '../core/layer.js';

/** Fraction of weight slots that are non-zero, over every layer (biases not counted). */
export function modelDensity(model: DenseModel): number {
  let nz = 0, n = 0;
  for (const l of model.layers) {
    n += l.weights.length;
    for (let k = 0; k < l.weights.length; k++) if (l.weights[k] !== 0) nz++;
  }
  return n ? nz / n : 0;
}

/**
 * The model with only its round(density·n) largest-|w| weights kept, ranked over all layers
 * together (global magnitude pruning; ties by layer, then position), biases untouched.
 */
export function pruneGlobally<M extends DenseModel>(model: M, density: number): M {
  if (!(density >= 0 && density <= 1)) throw new UserError(`density must be in [0, 1], got ${density}`);
  const refs: { layer: number; index: number; abs: number }[] = [];
  model.layers.forEach((l, layer) => {
    for (let index = 0; index < l.weights.length; index++) if (l.weights[index] !== 0) refs.push({ layer, index, abs: Math.abs(l.weights[index]) });
  });
  const total = model.layers.reduce((s, l) => s + l.weights.length, 0);
  const keep = Math.min(refs.length, Math.round(density * total));
  refs.sort((a, b) => b.abs - a.abs || a.layer - b.layer || a.index - b.index);
  const weights = model.layers.map((l) => new Float32Array(l.weights.length));
  for (let t = 0; t < keep; t++) weights[refs[t].layer][refs[t].index] = model.layers[refs[t].layer].weights[refs[t].index];
  return { ...model, layers: model.layers.map((l, k) => ({ ...l, weights: weights[k] })) };
}
