/**
 * The prediction rule, used everywhere a class is read off a model's output:
 *   - one output (sigmoid head): class 1 iff the logit is > 0 (a logit of exactly 0 is class 0);
 *   - two or more outputs (softmax head): the index of the largest logit, ties going to the lowest
 *     index (class 0).
 * The rule is applied to the pre-activation logits: softmax and sigmoid are monotone, so this is the
 * same decision as on probabilities, without float saturation turning a small margin into a tie.
 * Binarized models have integer logits, so exact ties do happen and must be decided this way.
 * A `relu` on the last layer (unusual) is applied first, because it can create ties.
 */
import type { Activation, DenseModel } from '../core/index.js';

/** Class of one output vector `z[offset .. offset+nOut)` (logits of the last layer). */
export function classOfLogits(z: ArrayLike<number>, offset: number, nOut: number): number {
  if (nOut === 1) return z[offset] > 0 ? 1 : 0;
  let best = 0;
  let bestValue = z[offset];
  for (let j = 1; j < nOut; j++) {
    if (z[offset + j] > bestValue) {
      bestValue = z[offset + j];
      best = j;
    }
  }
  return best;
}

/** Apply a hidden layer's activation in place on v[0..len). */
export function activateInPlace(v: Float32Array | Float64Array, len: number, activation: Activation | undefined): void {
  switch (activation) {
    case 'relu':
      for (let j = 0; j < len; j++) if (v[j] < 0) v[j] = 0;
      break;
    case 'sigmoid':
      for (let j = 0; j < len; j++) v[j] = 1 / (1 + Math.exp(-v[j]));
      break;
    case 'tanh':
      for (let j = 0; j < len; j++) v[j] = Math.tanh(v[j]);
      break;
    case 'softmax': {
      let max = -Infinity;
      for (let j = 0; j < len; j++) if (v[j] > max) max = v[j];
      let sum = 0;
      for (let j = 0; j < len; j++) {
        v[j] = Math.exp(v[j] - max);
        sum += v[j];
      }
      for (let j = 0; j < len; j++) v[j] /= sum;
      break;
    }
    default:
      break; // linear / absent
  }
}

/**
 * Straightforward forward pass of one scaled input vector, returning the class. Slow and simple:
 * the reference the fast evaluator is tested against, and handy for single predictions.
 */
export function predictOne(model: DenseModel, x: ArrayLike<number>): number {
  let v: Float64Array = Float64Array.from(x as ArrayLike<number>);
  const last = model.layers.length - 1;
  model.layers.forEach((layer, k) => {
    const [r, c] = layer.shape;
    const out = new Float64Array(c);
    if (layer.bias) out.set(layer.bias);
    for (let i = 0; i < r; i++) {
      const xi = v[i];
      if (xi === 0) continue;
      for (let j = 0; j < c; j++) out[j] += xi * layer.weights[i * c + j];
    }
    if (k < last || layer.activation === 'relu') activateInPlace(out, c, layer.activation);
    v = out;
  });
  return classOfLogits(v, 0, v.length);
}
