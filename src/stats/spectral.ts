/**
 * Spectral diagnostics of a layer (as WeightWatcher reports them): the eigenvalues λ of WᵀW (the
 * squared singular values of W), the spectral norm σ_max, the Frobenius norm, the stable rank
 * ‖W‖²_F / σ²_max, and the power-law exponent α of the empirical spectral density fitted by the
 * Clauset–Shalizi–Newman maximum-likelihood estimator with x_min chosen by the smallest
 * Kolmogorov–Smirnov distance. Definitions: docs/statistics.md ("Spectral diagnostics").
 *
 * Eigenvalues come from the smaller Gram matrix (min(nIn, nOut)² entries), reduced to tridiagonal
 * form by Householder reflections and solved by the implicit QL method, all in float64. The Gram
 * product and the reduction run in WebAssembly SIMD kernels (spectral-kernel.ts) where available;
 * `gramMatrix` and `symmetricEigenvalues` are the plain JS versions (the fallback, and the reference
 * the kernels are tested against).
 */
import type { LayerRecord } from '../core/layer.js';
import { gramHelper, spectralKernel, type SpectralKernel } from './spectral-kernel.js';

/** Eigenvalues at or below this are left out of the power-law fit (WeightWatcher's EVALS_THRESH). */
export const EIGENVALUE_THRESHOLD = 1e-5;

/** G = W Wᵀ or Wᵀ W, whichever is smaller, as a dense row-major float64 matrix of side k. */
export function gramMatrix(layer: LayerRecord): { k: number; gram: Float64Array } {
  const [n, m] = layer.shape;
  const w = layer.weights;
  // Rows of the smaller side, each contiguous: G[a][b] = rows[a] · rows[b].
  const k = Math.min(n, m);
  const len = Math.max(n, m);
  const rows = new Float64Array(k * len);
  if (n <= m) rows.set(w);
  else for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) rows[j * n + i] = w[i * m + j];
  const gram = new Float64Array(k * k);
  // 4×4 blocks of dot products share each loaded value four times (the cost is all here).
  for (let a0 = 0; a0 < k; a0 += 4) {
    for (let b0 = 0; b0 <= a0; b0 += 4) {
      if (a0 + 4 <= k && b0 + 4 <= k) dotBlock4(rows, len, a0, b0, gram, k);
      else {
        for (let a = a0; a < Math.min(a0 + 4, k); a++) {
          for (let b = b0; b < Math.min(b0 + 4, k); b++) {
            let s = 0;
            for (let j = 0; j < len; j++) s += rows[a * len + j] * rows[b * len + j];
            gram[a * k + b] = s;
          }
        }
      }
    }
  }
  for (let a = 0; a < k; a++) for (let b = a + 1; b < k; b++) gram[a * k + b] = gram[b * k + a];
  return { k, gram };
}

function dotBlock4(rows: Float64Array, len: number, a0: number, b0: number, gram: Float64Array, k: number): void {
  const [a1, a2, a3, a4] = [a0 * len, (a0 + 1) * len, (a0 + 2) * len, (a0 + 3) * len];
  const [b1, b2, b3, b4] = [b0 * len, (b0 + 1) * len, (b0 + 2) * len, (b0 + 3) * len];
  let s11 = 0, s12 = 0, s13 = 0, s14 = 0, s21 = 0, s22 = 0, s23 = 0, s24 = 0;
  let s31 = 0, s32 = 0, s33 = 0, s34 = 0, s41 = 0, s42 = 0, s43 = 0, s44 = 0;
  for (let j = 0; j < len; j++) {
    const x1 = rows[a1 + j], x2 = rows[a2 + j], x3 = rows[a3 + j], x4 = rows[a4 + j];
    const y1 = rows[b1 + j], y2 = rows[b2 + j], y3 = rows[b3 + j], y4 = rows[b4 + j];
    s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3; s14 += x1 * y4;
    s21 += x2 * y1; s22 += x2 * y2; s23 += x2 * y3; s24 += x2 * y4;
    s31 += x3 * y1; s32 += x3 * y2; s33 += x3 * y3; s34 += x3 * y4;
    s41 += x4 * y1; s42 += x4 * y2; s43 += x4 * y3; s44 += x4 * y4;
  }
  const put = (a: number, b: number, v: number): void => {
    if (b <= a) gram[a * k + b] = v; // the lower triangle; mirrored afterwards
  };
  put(a0, b0, s11); put(a0, b0 + 1, s12); put(a0, b0 + 2, s13); put(a0, b0 + 3, s14);
  put(a0 + 1, b0, s21); put(a0 + 1, b0 + 1, s22); put(a0 + 1, b0 + 2, s23); put(a0 + 1, b0 + 3, s24);
  put(a0 + 2, b0, s31); put(a0 + 2, b0 + 1, s32); put(a0 + 2, b0 + 2, s33); put(a0 + 2, b0 + 3, s34);
  put(a0 + 3, b0, s41); put(a0 + 3, b0 + 1, s42); put(a0 + 3, b0 + 2, s43); put(a0 + 3, b0 + 3, s44);
}

/**
 * Eigenvalues of a symmetric matrix (row-major, side k; overwritten), ascending. Householder
 * tridiagonalisation then implicit QL with Wilkinson-style shifts.
 */
export function symmetricEigenvalues(a: Float64Array, k: number): Float64Array {
  const d = new Float64Array(k);
  const e = new Float64Array(k);
  tridiagonalize(a, k, d, e);
  tridiagonalQL(d, e);
  return d.sort();
}

/** Reduce symmetric `a` to tridiagonal form: diagonal d, sub-diagonal e[0..k-2] (e[k-1] = 0). */
function tridiagonalize(a: Float64Array, k: number, d: Float64Array, e: Float64Array): void {
  const v = new Float64Array(k);
  const p = new Float64Array(k);
  for (let c = 0; c < k - 2; c++) {
    // Reflect x = a[c+1.., c] onto alpha·e1.
    let norm2 = 0;
    for (let i = c + 1; i < k; i++) norm2 += a[i * k + c] * a[i * k + c];
    const x0 = a[(c + 1) * k + c];
    const alpha = x0 > 0 ? -Math.sqrt(norm2) : Math.sqrt(norm2);
    d[c] = a[c * k + c];
    e[c] = alpha;
    const vNorm2 = norm2 - x0 * x0 + (x0 - alpha) * (x0 - alpha);
    if (vNorm2 === 0) continue; // already reduced
    const inv = 1 / Math.sqrt(vNorm2);
    for (let i = c + 1; i < k; i++) v[i] = a[i * k + c] * inv;
    v[c + 1] = (x0 - alpha) * inv;
    // p = A v over the trailing block (from its lower triangle), K = vᵀp, q = p − K v;
    // A ← A − 2 v qᵀ − 2 q vᵀ on the lower triangle only.
    for (let i = c + 1; i < k; i++) p[i] = 0;
    for (let i = c + 1; i < k; i++) {
      const ri = i * k;
      const vi = v[i];
      let s = a[ri + i] * vi;
      for (let j = c + 1; j < i; j++) {
        const x = a[ri + j];
        s += x * v[j];
        p[j] += x * vi;
      }
      p[i] += s;
    }
    let kk = 0;
    for (let i = c + 1; i < k; i++) kk += v[i] * p[i];
    for (let i = c + 1; i < k; i++) p[i] -= kk * v[i];
    for (let i = c + 1; i < k; i++) {
      const ri = i * k;
      const vi2 = 2 * v[i];
      const qi2 = 2 * p[i];
      for (let j = c + 1; j <= i; j++) a[ri + j] -= vi2 * p[j] + qi2 * v[j];
    }
  }
  if (k >= 2) {
    d[k - 2] = a[(k - 2) * k + k - 2];
    e[k - 2] = a[(k - 1) * k + k - 2]; // lower triangle
  }
  if (k >= 1) d[k - 1] = a[(k - 1) * k + k - 1];
  if (k >= 1) e[k - 1] = 0;
}

/** √(x² + y²): Math.hypot is several times slower, and only needed where the squares overflow. */
function hypot(x: number, y: number): number {
  const r = Math.sqrt(x * x + y * y);
  return r < Infinity && (r > 1e-150 || r === 0) ? r : Math.hypot(x, y);
}

/** Eigenvalues of the symmetric tridiagonal (d, e) by implicit QL; d is overwritten. */
export function tridiagonalQL(d: Float64Array, e: Float64Array): void {
  const n = d.length;
  for (let l = 0; l < n; l++) {
    let iterations = 0;
    for (;;) {
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
        if (Math.abs(e[m]) <= Number.EPSILON * dd) break;
      }
      if (m === l) break;
      if (++iterations > 100) throw new Error('symmetricEigenvalues: QL did not converge');
      // Shift from the leading 2×2 block, then chase the bulge from m up to l.
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = hypot(g, 1);
      g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
      let s = 1, c = 1, p = 0;
      let i = m - 1;
      for (; i >= l; i--) {
        const f = s * e[i];
        const b = c * e[i];
        r = hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          d[i + 1] -= p;
          e[m] = 0;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
      }
      if (r === 0 && i >= l) continue;
      d[l] -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
}

export interface PowerLawFit {
  /** Exponent of p(λ) ∝ λ^−α for λ ≥ xMin; NaN when fewer than 2 eigenvalues pass the threshold. */
  alpha: number;
  xMin: number;
  /** Kolmogorov–Smirnov distance between the fitted and the empirical tail CDF. */
  ks: number;
  /** Standard error (α − 1)/√n. */
  sigma: number;
  /** Eigenvalues in the fitted tail. */
  nTail: number;
}

/**
 * Continuous power-law fit (Clauset, Shalizi & Newman 2009) to positive values, as WeightWatcher
 * fits the ESD: every value but the largest is tried as x_min, α = 1 + n / Σ ln(x/x_min) over the
 * n values ≥ x_min, and the x_min whose fitted CDF 1 − (x/x_min)^(1−α) has the smallest KS distance
 * to the empirical CDF of the tail wins.
 */
export function fitPowerLaw(values: ArrayLike<number>, threshold = EIGENVALUE_THRESHOLD): PowerLawFit {
  const x = Float64Array.from(Array.prototype.filter.call(values, (v: number) => v > threshold) as number[]).sort();
  const n = x.length;
  const none = { alpha: NaN, xMin: NaN, ks: NaN, sigma: NaN, nTail: 0 };
  if (n < 2) return none;
  const logs = x.map(Math.log);
  // suffix[i] = Σ_{j ≥ i} ln x_j
  const suffix = new Float64Array(n + 1);
  for (let i = n - 1; i >= 0; i--) suffix[i] = suffix[i + 1] + logs[i];
  let best = { ...none, ks: Infinity };
  for (let i = 0; i < n - 1; i++) {
    const tail = n - i;
    const denominator = suffix[i] - tail * logs[i];
    if (!(denominator > 0)) continue; // all tail values equal x_min: no fit
    const alpha = 1 + tail / denominator;
    let ks = 0;
    for (let j = 0; j < tail; j++) {
      const model = 1 - Math.exp((1 - alpha) * (logs[i + j] - logs[i]));
      const diff = Math.abs(model - j / tail);
      if (diff > ks) {
        ks = diff;
        if (ks >= best.ks) break; // this x_min cannot win: the distance only grows
      }
    }
    if (ks < best.ks) best = { alpha, xMin: x[i], ks, sigma: (alpha - 1) / Math.sqrt(tail), nTail: tail };
  }
  return Number.isFinite(best.ks) ? best : none;
}

/**
 * WeightWatcher skips layers with fewer eigenvalues than this (its `min_evals` default): a
 * power-law fit to a handful of values says nothing. `spectralStats` leaves α undefined below it.
 */
export const MIN_EIGENVALUES_FOR_ALPHA = 10;

export interface SpectralStats {
  /** Largest singular value σ_max (WeightWatcher's `spectral_norm` is σ²_max = λ_max). */
  spectralNorm: number;
  frobeniusNorm: number;
  /** ‖W‖²_F / σ²_max, between 1 and min(nIn, nOut). */
  stableRank: number;
  /**
   * Power-law fit of the eigenvalues of WᵀW; NaN (with `alphaNote` saying why) when there are
   * fewer than MIN_EIGENVALUES_FOR_ALPHA eigenvalues or no fit.
   */
  alpha: number;
  alphaXMin: number;
  alphaKs: number;
  alphaSigma: number;
  alphaTail: number;
  /** Why α is undefined, e.g. `4 eigenvalues (< 10)`; absent when it is defined. */
  alphaNote?: string;
  /** Number of eigenvalues (min(nIn, nOut), summed over pooled matrices). */
  nEigenvalues: number;
}

/** Eigenvalues of WᵀW that are non-zero in principle (the smaller Gram matrix's), ascending, clamped at 0. */
export function layerEigenvalues(layer: LayerRecord): Float64Array {
  return matrixEigenvalues(layer.weights, layer.shape[0], layer.shape[1]);
}

/**
 * Eigenvalues of WᵀW for a row-major n×m matrix W (the min(n, m) of the smaller Gram matrix),
 * ascending, clamped at 0: with the WebAssembly kernels where available, else in JS.
 */
export function matrixEigenvalues(w: Float32Array | Float64Array, n: number, m: number): Float64Array {
  const kernel = spectralKernel();
  if (!kernel) {
    const { k, gram } = gramMatrix({ name: '', weights: w instanceof Float32Array ? w : Float32Array.from(w), shape: [n, m], bias: null });
    return symmetricEigenvalues(gram, k).map((v) => Math.max(0, v));
  }
  const { d, e } = kernelTridiagonal(kernel, w, n, m);
  tridiagonalQL(d, e);
  return d.sort().map((v) => Math.max(0, v));
}

/** Gram products of at least this many multiply-adds are shared with the helper thread, when one is installed. */
const PARALLEL_GRAM_MULTIPLY_ADDS = 50e6;

/** Bytes of the chunk of packed rows the Gram kernel sweeps at a time (a few hundred KB: stays in L2). */
const GRAM_CHUNK_BYTES = 256 * 1024;

/**
 * The smaller Gram matrix of W (row-major n×m) computed by the kernel into its memory, then reduced
 * to tridiagonal form there; returns the diagonal d and sub-diagonal e (e[k−1] = 0).
 */
function kernelTridiagonal(kernel: SpectralKernel, w: Float32Array | Float64Array, n: number, m: number): { d: Float64Array; e: Float64Array } {
  const k = Math.min(n, m);
  const len = Math.max(n, m);
  const panels = Math.ceil(k / 4);
  const ld = panels * 4;
  const chunkRows = Math.max(8, Math.min(len, Math.floor(GRAM_CHUNK_BYTES / (ld * 8))));
  // Layout: A (ld × ld), then the vectors V, Q, W, P (ld each), then the packed chunk.
  const A = 0;
  const V = A + ld * ld * 8;
  const Q = V + ld * 8;
  const Wn = Q + ld * 8;
  const P = Wn + ld * 8;
  const CHUNK = P + ld * 8;
  kernel.reserve(CHUNK + chunkRows * ld * 8);
  // a second thread only where the product is worth a hand-off per chunk (tens of microseconds)
  const helper = kernel.sharedModule && k * k * len >= 2 * PARALLEL_GRAM_MULTIPLY_ADDS ? gramHelper() : null;
  const mid = Math.round(panels / Math.SQRT2);
  const buf = kernel.memory.buffer;
  new Float64Array(buf, A, ld * ld).fill(0);
  const chunk = new Float64Array(buf, CHUNK, chunkRows * ld);
  // G = Tᵀ T with T the len × k matrix whose columns are the smaller side's units: T = Wᵀ when n ≤ m.
  for (let i0 = 0; i0 < len; i0 += chunkRows) {
    const rows = Math.min(chunkRows, len - i0);
    // Packed panels of 4 columns: T[i][4p + c] at ((p·rows + i)·4 + c); padding columns stay 0.
    if (n <= m) {
      for (let a = 0; a < k; a++) {
        const base = ((a >>> 2) * rows) * 4 + (a & 3);
        const src = a * m + i0;
        for (let i = 0; i < rows; i++) chunk[base + 4 * i] = w[src + i];
      }
    } else {
      for (let i = 0; i < rows; i++) {
        const src = (i0 + i) * m;
        for (let a = 0; a < k; a++) chunk[((a >>> 2) * rows + i) * 4 + (a & 3)] = w[src + a];
      }
    }
    if (k < ld) for (let i = 0; i < rows; i++) for (let a = k; a < ld; a++) chunk[((a >>> 2) * rows + i) * 4 + (a & 3)] = 0;
    if (helper) {
      // a-blocks [0, mid) here, [mid, panels) on the helper thread: about half the 4×4 blocks each
      helper.post(CHUNK, rows, panels, A, ld, mid, panels);
      kernel.gram(CHUNK, rows, panels, A, ld, 0, mid);
      helper.finish();
    } else kernel.gram(CHUNK, rows, panels, A, ld, 0, panels);
  }
  return tridiagonalizeWithKernel(kernel, k, ld, { A, V, Q, W: Wn, P });
}

/**
 * Householder tridiagonalisation of the symmetric matrix at `A` (lower triangle, ld doubles a row)
 * in the kernel's memory, each step's update fused with the next step's product A·v (one sweep of
 * the trailing block a step). The same reflections as `tridiagonalize`.
 */
function tridiagonalizeWithKernel(
  kernel: SpectralKernel, k: number, ld: number, at: { A: number; V: number; Q: number; W: number; P: number },
): { d: Float64Array; e: Float64Array } {
  const d = new Float64Array(k);
  const e = new Float64Array(k);
  const buf = kernel.memory.buffer;
  const a = new Float64Array(buf, at.A, ld * ld);
  let [vAt, wAt] = [at.V, at.W];
  const q = new Float64Array(buf, at.Q, ld);
  const p = new Float64Array(buf, at.P, ld);
  d[0] = a[0];
  if (k === 1) return { d, e };
  if (k === 2) {
    e[0] = a[ld];
    d[1] = a[ld + 1];
    return { d, e };
  }
  /** The reflection of column c below the diagonal into `into` (zero at indices ≤ c); returns α. */
  const house = (c: number, into: Float64Array): number => {
    let norm2 = 0;
    for (let i = c + 1; i < k; i++) norm2 += a[i * ld + c] * a[i * ld + c];
    const x0 = a[(c + 1) * ld + c];
    const alpha = x0 > 0 ? -Math.sqrt(norm2) : Math.sqrt(norm2);
    const vNorm2 = norm2 - x0 * x0 + (x0 - alpha) * (x0 - alpha);
    into.fill(0);
    if (vNorm2 === 0) return alpha; // already reduced: v = 0 makes the step a no-op
    const inv = 1 / Math.sqrt(vNorm2);
    for (let i = c + 2; i < k; i++) into[i] = a[i * ld + c] * inv;
    into[c + 1] = (x0 - alpha) * inv;
    return alpha;
  };
  let v = new Float64Array(buf, vAt, ld);
  let w = new Float64Array(buf, wAt, ld);
  e[0] = house(0, v);
  // p = A v over the trailing block (the sweep with a zero update: q = 0 at both ends)
  q.fill(0);
  p.fill(0);
  kernel.sweep(at.A, ld, 1, k, at.Q, at.Q, vAt, at.P);
  for (let c = 0; c <= k - 3; c++) {
    let kk = 0;
    for (let i = c + 1; i < k; i++) kk += v[i] * p[i];
    for (let i = c + 1; i < k; i++) q[i] = p[i] - kk * v[i];
    // Column c+1 first: the next reflection is built from it.
    const j = c + 1;
    for (let i = j; i < k; i++) a[i * ld + j] -= (v[i] + v[i]) * q[j] + (q[i] + q[i]) * v[j];
    d[j] = a[j * ld + j];
    if (j <= k - 3) {
      e[j] = house(j, w);
      p.fill(0);
      kernel.sweep(at.A, ld, j + 1, k, vAt, at.Q, wAt, at.P);
      [vAt, wAt] = [wAt, vAt];
      [v, w] = [w, v];
    } else {
      // the last 2×2 block: its corner a[k−1][k−1]
      const l = k - 1;
      a[l * ld + l] -= (v[l] + v[l]) * q[l] + (q[l] + q[l]) * v[l];
      e[k - 2] = a[l * ld + k - 2];
      d[l] = a[l * ld + l];
    }
  }
  return { d, e };
}

export function spectralStats(layer: LayerRecord, eigenvalues = layerEigenvalues(layer)): SpectralStats {
  return spectrumStatistics(eigenvalues, squaredNorm(layer.weights));
}

/** Σ w² in index order. */
export function squaredNorm(w: Float32Array): number {
  let frob2 = 0;
  for (let k = 0; k < w.length; k++) frob2 += w[k] * w[k];
  return frob2;
}

/**
 * The spectral statistics of a set of eigenvalues (ascending, ≥ 0) of WᵀW: `frobenius2` is ‖W‖²_F
 * (default Σλ, the same up to rounding), what a pooled spectrum of several matrices has.
 */
export function spectrumStatistics(eigenvalues: Float64Array, frobenius2?: number): SpectralStats {
  const n = eigenvalues.length;
  const lambdaMax = n > 0 ? eigenvalues[n - 1] : NaN;
  let frob2 = frobenius2 ?? 0;
  if (frobenius2 === undefined) for (let i = 0; i < n; i++) frob2 += eigenvalues[i];
  const few = n < MIN_EIGENVALUES_FOR_ALPHA;
  const fit = few ? { alpha: NaN, xMin: NaN, ks: NaN, sigma: NaN, nTail: 0 } : fitPowerLaw(eigenvalues);
  const out: SpectralStats = {
    spectralNorm: Math.sqrt(lambdaMax),
    frobeniusNorm: Math.sqrt(frob2),
    stableRank: lambdaMax > 0 ? frob2 / lambdaMax : NaN,
    alpha: fit.alpha,
    alphaXMin: fit.xMin,
    alphaKs: fit.ks,
    alphaSigma: fit.sigma,
    alphaTail: fit.nTail,
    nEigenvalues: n,
  };
  if (few) out.alphaNote = `${n} eigenvalue${n === 1 ? '' : 's'} (< ${MIN_EIGENVALUES_FOR_ALPHA})`;
  else if (Number.isNaN(fit.alpha)) out.alphaNote = 'no power-law fit (fewer than 2 distinct positive eigenvalues)';
  return out;
}

/** How a layer's eigenvalue spectrum is formed; see docs/statistics.md ("Conventions"). */
export type EsdConvention = 'weightscope' | 'weightwatcher';
export const ESD_CONVENTIONS: readonly EsdConvention[] = ['weightscope', 'weightwatcher'];

/**
 * WeightWatcher's eigenvalue scale for a 2-D convolution: it multiplies each kernel-position matrix
 * by √(1/2) (`conv2d_norm`, on by default), so its eigenvalues by 1/2. α and the stable rank do not
 * change; the norms and the 10⁻⁵ threshold do.
 */
export const WW_CONV_SCALE = 0.5;

/**
 * The matrices of a convolution one kernel position at a time, from its unfolded record (rows
 * `c·positions + p`, the `--conv unfold` layout of src/formats/inventory.ts): matrix p is
 * [cIn, cOut] with entry (c, o) = record[(c·positions + p)·cOut + o]. WeightWatcher's Conv2D
 * convention (one matrix per kernel position, eigenvalues pooled).
 */
export function kernelPositionMatrices(layer: LayerRecord, positions: number): { weights: Float32Array; shape: [number, number] }[] {
  const [rows, cOut] = layer.shape;
  if (!Number.isInteger(positions) || positions < 1 || rows % positions !== 0) {
    throw new Error(`kernelPositionMatrices: ${rows} rows are not channels × ${positions} positions`);
  }
  const cIn = rows / positions;
  const w = layer.weights;
  return Array.from({ length: positions }, (_, p) => {
    const m = new Float32Array(cIn * cOut);
    for (let c = 0; c < cIn; c++) m.set(w.subarray((c * positions + p) * cOut, (c * positions + p + 1) * cOut), c * cOut);
    return { weights: m, shape: [cIn, cOut] as [number, number] };
  });
}

/**
 * The pooled eigenvalues of WᵀW over several matrices, each multiplied by `scale`, ascending
 * (WeightWatcher's `combined_eigenvalues`).
 */
export function pooledEigenvalues(matrices: { weights: Float32Array; shape: [number, number] }[], scale = 1): Float64Array {
  const parts = matrices.map((m) => matrixEigenvalues(m.weights, m.shape[0], m.shape[1]));
  const out = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) out[at + i] = p[i] * scale;
    at += p.length;
  }
  return out.sort();
}
