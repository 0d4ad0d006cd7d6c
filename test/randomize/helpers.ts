/** Shared fixtures for the null-model tests: layers with known structure and invariant checks. */
import { join } from 'node:path';
import { Rng } from '../../src/core/rng.js';
import type { LayerRecord } from '../../src/core/layer.js';
import { readIdx, IDX_FILES, mnistPackageDir } from '../../src/data/index.js';

/** Gaussian weights, each slot kept (non-zero) with probability `density`. */
export function gaussianLayer(nIn: number, nOut: number, density: number, seed: number, name = 'dense'): LayerRecord {
  const rng = new Rng(seed);
  const w = new Float32Array(nIn * nOut);
  for (let k = 0; k < w.length; k++) if (rng.next() < density) w[k] = rng.normal() || 0.5;
  const bias = new Float32Array(nOut);
  for (let j = 0; j < nOut; j++) bias[j] = rng.normal();
  return { name, weights: w, shape: [nIn, nOut], bias, activation: 'relu' };
}

/**
 * A layer built from real MNIST images: weight (pixel i → class j) = mean intensity of class j
 * minus the mean over all classes, on the first 2,000 test images, pruned to the largest 20% |w|.
 * Degrees are as heterogeneous as a trained first layer's (border pixels have no edges).
 */
export function mnistTemplateLayer(): LayerRecord {
  const dir = mnistPackageDir();
  const images = readIdx(join(dir, IDX_FILES.testImages));
  const labels = readIdx(join(dir, IDX_FILES.testLabels));
  const n = 2000, nIn = 784, nOut = 10;
  const sum = new Float64Array(nIn * nOut), count = new Float64Array(nOut);
  for (let s = 0; s < n; s++) {
    const c = labels.data[s];
    count[c]++;
    for (let i = 0; i < nIn; i++) sum[i * nOut + c] += images.data[s * nIn + i] / 255;
  }
  const w = new Float32Array(nIn * nOut);
  for (let i = 0; i < nIn; i++) {
    let all = 0;
    for (let c = 0; c < nOut; c++) all += sum[i * nOut + c] / count[c];
    for (let c = 0; c < nOut; c++) w[i * nOut + c] = sum[i * nOut + c] / count[c] - all / nOut;
  }
  const mags = Array.from(w, Math.abs).sort((a, b) => b - a);
  const cut = mags[Math.floor(0.2 * w.length)];
  for (let k = 0; k < w.length; k++) if (Math.abs(w[k]) <= cut) w[k] = 0;
  return { name: 'template', weights: w, shape: [nIn, nOut], bias: new Float32Array(nOut).fill(0.1) };
}

export function sortedValues(a: ArrayLike<number>): number[] {
  return Array.from(a).sort((x, y) => x - y);
}

/** Values of unit u (row for 'in', column for 'out'), optionally only those passing keep. */
export function unitValues(l: LayerRecord, side: 'in' | 'out', u: number, keep: (x: number) => boolean = (x) => x !== 0): number[] {
  const [nIn, nOut] = l.shape;
  const out: number[] = [];
  if (side === 'in') for (let j = 0; j < nOut; j++) { const x = l.weights[u * nOut + j]; if (keep(x)) out.push(x); }
  else for (let i = 0; i < nIn; i++) { const x = l.weights[i * nOut + u]; if (keep(x)) out.push(x); }
  return out.sort((x, y) => x - y);
}

/** Fraction of the original's edges found at the same slot with the same sign. */
export function signedOverlap(a: Float32Array, b: Float32Array): number {
  let same = 0, edges = 0;
  for (let k = 0; k < a.length; k++) {
    if (a[k] === 0) continue;
    edges++;
    if (Math.sign(a[k]) === Math.sign(b[k])) same++;
  }
  return same / edges;
}

/** Number of slots whose value differs. */
export function changedSlots(a: Float32Array, b: Float32Array): number {
  let n = 0;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) n++;
  return n;
}

/**
 * Upper critical value of chi-square with df degrees of freedom at significance 1e-3
 * (Wilson–Hilferty approximation; z = 3.09).
 */
export function chiSquareCritical(df: number): number {
  const z = 3.0902;
  const h = 2 / (9 * df);
  return df * Math.pow(1 - h + z * Math.sqrt(h), 3);
}
