/**
 * Representations of a latent sample whose abstraction is known by construction, for the
 * disentanglement metrics' tests (test/stats/disentanglement*.test.ts).
 */
import { Rng } from '../../src/core/rng.js';
import { sampleLatents } from '../../src/data/latent-tasks.js';
import type { SampleMatrix } from '../../src/stats/index.js';

/** n latents z ~ U[−½, ½]^D as a SampleMatrix. */
export function latentSample(n: number, D: number, seed: number): SampleMatrix {
  return { values: sampleLatents(n, D, new Rng(seed)), n, dims: D };
}

/** A random p × q matrix with orthonormal columns (Gram–Schmidt on Gaussian columns), row-major. */
export function orthonormalColumns(p: number, q: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const m = Float64Array.from({ length: p * q }, () => rng.normal());
  for (let j = 0; j < q; j++) {
    for (let i = 0; i < j; i++) {
      let dot = 0;
      for (let k = 0; k < p; k++) dot += m[k * q + j] * m[k * q + i];
      for (let k = 0; k < p; k++) m[k * q + j] -= dot * m[k * q + i];
    }
    let norm = 0;
    for (let k = 0; k < p; k++) norm += m[k * q + j] ** 2;
    for (let k = 0; k < p; k++) m[k * q + j] /= Math.sqrt(norm);
  }
  return m;
}

/** h = z·M for a D × p matrix M (row-major). */
export function linearCode(z: SampleMatrix, m: ArrayLike<number>, p: number): SampleMatrix {
  const D = z.dims;
  const out = new Float64Array(z.n * p);
  for (let k = 0; k < z.n; k++) for (let d = 0; d < D; d++) for (let j = 0; j < p; j++) out[k * p + j] += z.values[k * D + d] * m[d * p + j];
  return { values: out, n: z.n, dims: p };
}

/** h = z·Qᵀ embedded in p units: Q is p × D with orthonormal columns, so ‖h‖ = ‖z‖ (an abstract, rotated code). */
export function embeddedRotation(z: SampleMatrix, p: number, seed: number): SampleMatrix {
  const q = orthonormalColumns(p, z.dims, seed);
  const t = new Float64Array(z.dims * p);
  for (let i = 0; i < p; i++) for (let d = 0; d < z.dims; d++) t[d * p + i] = q[i * z.dims + d];
  return linearCode(z, t, p);
}

/** h = |z| (entangled: the signs are gone). */
export function absCode(z: SampleMatrix): SampleMatrix {
  return { values: Float64Array.from(z.values, Math.abs), n: z.n, dims: z.dims };
}

/** h = sign(z): only the orthant. */
export function signCode(z: SampleMatrix): SampleMatrix {
  return { values: Float64Array.from(z.values, (v) => (v > 0 ? 1 : -1)), n: z.n, dims: z.dims };
}

/** A lookup table: one unit per cell of a `cells`^D grid over the box, 1 in the sample's cell, 0 elsewhere. */
export function lookupCode(z: SampleMatrix, cells: number): SampleMatrix {
  const D = z.dims;
  const p = cells ** D;
  const out = new Float64Array(z.n * p);
  for (let k = 0; k < z.n; k++) {
    let cell = 0;
    for (let d = 0; d < D; d++) cell = cell * cells + Math.min(cells - 1, Math.floor((z.values[k * D + d] + 0.5) * cells));
    out[k * p + cell] = 1;
  }
  return { values: out, n: z.n, dims: p };
}

/** Gaussian noise, independent of z. */
export function noiseCode(n: number, p: number, seed: number): SampleMatrix {
  const rng = new Rng(seed);
  return { values: Float64Array.from({ length: n * p }, () => rng.normal()), n, dims: p };
}
