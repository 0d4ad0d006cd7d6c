/**
 * Comparing two groups of numbers (a feature of the models of one group against another's):
 * mean difference and Hedges' g with bootstrap confidence intervals, an exact (or Monte Carlo)
 * permutation test, Benjamini–Hochberg q-values across features, and the intervals of a mean
 * (Student t over seeds; Wilson for a proportion). Pure functions; every random draw from the Rng
 * passed in. Definitions and references: docs/compare.md, "Statistics".
 */
import { UserError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { quantileSorted } from './describe.js';

export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return xs.length ? s / xs.length : NaN;
}

/** Sample variance (n − 1); NaN below two values. */
export function sampleVariance(xs: ArrayLike<number>): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const m = mean(xs);
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (xs[i] - m) ** 2;
  return ss / (n - 1);
}

/**
 * Hedges' g of b against a: (mean b − mean a) / pooled sd, times the small-sample correction
 * J = 1 − 3 / (4(na + nb) − 9) (Hedges 1981). null when either group has fewer than two values or
 * the pooled sd is 0 (then the groups are constant: compare their means directly).
 */
export function hedgesG(a: ArrayLike<number>, b: ArrayLike<number>): number | null {
  const na = a.length, nb = b.length;
  if (na < 2 || nb < 2) return null;
  const pooled = ((na - 1) * sampleVariance(a) + (nb - 1) * sampleVariance(b)) / (na + nb - 2);
  if (!(pooled > 0)) return null;
  const j = 1 - 3 / (4 * (na + nb) - 9);
  return (j * (mean(b) - mean(a))) / Math.sqrt(pooled);
}

export interface Interval {
  lo: number;
  hi: number;
}

export interface BootstrapOptions {
  resamples?: number;
  /** Two-sided confidence level (default 0.95). */
  confidence?: number;
  rng: Rng;
}

export interface GroupBootstrap {
  /** Percentile interval of mean b − mean a. */
  delta: Interval;
  /** Percentile interval of Hedges' g over the resamples where it is defined; null if it is undefined in more than 10 % of them. */
  g: Interval | null;
  resamples: number;
}

function checkConfidence(c: number): void {
  if (!(c > 0 && c < 1)) throw new UserError(`confidence must be between 0 and 1, got ${c}`);
}

function percentiles(values: Float64Array, confidence: number): Interval {
  const s = values.slice().sort();
  const tail = (1 - confidence) / 2;
  return { lo: quantileSorted(s, tail), hi: quantileSorted(s, 1 - tail) };
}

/**
 * Bootstrap of the difference between two independent groups: each resample draws na values of a
 * and nb of b with replacement (Efron & Tibshirani 1993, ch. 8), percentile intervals of the mean
 * difference and of Hedges' g.
 */
export function bootstrapGroups(a: ArrayLike<number>, b: ArrayLike<number>, options: BootstrapOptions): GroupBootstrap {
  const resamples = options.resamples ?? 2000;
  const confidence = options.confidence ?? 0.95;
  checkConfidence(confidence);
  if (a.length === 0 || b.length === 0) throw new UserError('a bootstrap needs at least one value in each group');
  const { rng } = options;
  const deltas = new Float64Array(resamples);
  const gs: number[] = [];
  const ra = new Float64Array(a.length);
  const rb = new Float64Array(b.length);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < a.length; i++) ra[i] = a[rng.int(a.length)];
    for (let i = 0; i < b.length; i++) rb[i] = b[rng.int(b.length)];
    deltas[r] = mean(rb) - mean(ra);
    const g = hedgesG(ra, rb);
    if (g !== null) gs.push(g);
  }
  const gDefined = a.length >= 2 && b.length >= 2 && gs.length >= 0.9 * resamples;
  return { delta: percentiles(deltas, confidence), g: gDefined ? percentiles(Float64Array.from(gs), confidence) : null, resamples };
}

export interface PermutationResult {
  /** Two-sided p of |mean b − mean a| under exchangeable labels. */
  p: number;
  /** Every relabelling enumerated (true) or a Monte Carlo sample. */
  exact: boolean;
  /** Relabellings counted. */
  count: number;
  /** The smallest p this test can give with these group sizes (exact: 1 / distinct splits, doubled by symmetry when na = nb). */
  minP: number;
}

/** C(n, k) as a float (exact for the sizes used here). */
export function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let c = 1;
  for (let i = 1; i <= Math.min(k, n - k); i++) c = (c * (n - Math.min(k, n - k) + i)) / i;
  return Math.round(c);
}

/**
 * Permutation test of the difference in means (Fisher 1935; Good 2005): the statistic |mean b −
 * mean a| over every way of splitting the pooled values into groups of na and nb when there are
 * at most `maxExact` such splits (p = share of splits at least as extreme, the observed one
 * included), else over `resamples` random splits (p = (1 + extreme) / (1 + resamples), Phipson &
 * Smyth 2010). Ties within 1e-12 of the observed statistic count as extreme.
 */
export function permutationTest(a: ArrayLike<number>, b: ArrayLike<number>, options: { rng: Rng; maxExact?: number; resamples?: number }): PermutationResult {
  const na = a.length, nb = b.length;
  if (na === 0 || nb === 0) throw new UserError('a permutation test needs at least one value in each group');
  const pooled = Float64Array.from([...Array.from(a), ...Array.from(b)]);
  const N = na + nb;
  const total = pooled.reduce((s, x) => s + x, 0);
  const stat = (sumA: number): number => Math.abs((total - sumA) / nb - sumA / na);
  const observed = stat(Array.from(a).reduce((s, x) => s + x, 0));
  const eps = 1e-12 * Math.max(1, Math.abs(observed));
  const splits = binomial(N, na);
  const maxExact = options.maxExact ?? 20000;
  if (splits <= maxExact) {
    let extreme = 0;
    let count = 0;
    // every na-subset of the pooled indices, in lexicographic order
    const idx = Array.from({ length: na }, (_, i) => i);
    for (;;) {
      let s = 0;
      for (const i of idx) s += pooled[i];
      count++;
      if (stat(s) >= observed - eps) extreme++;
      let k = na - 1;
      while (k >= 0 && idx[k] === N - na + k) k--;
      if (k < 0) break;
      idx[k]++;
      for (let t = k + 1; t < na; t++) idx[t] = idx[t - 1] + 1;
    }
    return { p: extreme / count, exact: true, count, minP: (na === nb ? 2 : 1) / count };
  }
  const resamples = options.resamples ?? 10000;
  const perm = new Float64Array(pooled);
  let extreme = 0;
  for (let r = 0; r < resamples; r++) {
    // a partial Fisher–Yates: the first na entries are a uniform random subset
    for (let i = 0; i < na; i++) {
      const j = i + options.rng.int(N - i);
      const t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    let s = 0;
    for (let i = 0; i < na; i++) s += perm[i];
    if (stat(s) >= observed - eps) extreme++;
  }
  return { p: (1 + extreme) / (1 + resamples), exact: false, count: resamples, minP: 1 / (1 + resamples) };
}

/**
 * Benjamini–Hochberg adjusted p-values (q-values, Benjamini & Hochberg 1995): q_(i) = min over
 * j ≥ i of p_(j)·m/j, capped at 1; null entries are left out of m and stay null.
 */
export function benjaminiHochberg(ps: readonly (number | null)[]): (number | null)[] {
  const present = ps.flatMap((p, i) => (p === null ? [] : [{ p, i }])).sort((x, y) => x.p - y.p);
  const m = present.length;
  const out: (number | null)[] = ps.map(() => null);
  let running = 1;
  for (let k = m - 1; k >= 0; k--) {
    running = Math.min(running, (present[k].p * m) / (k + 1));
    out[present[k].i] = running;
  }
  return out;
}

/** Wilson score interval of a proportion (Wilson 1927): successes of n at the given confidence. */
export function wilsonInterval(successes: number, n: number, confidence = 0.95): Interval {
  checkConfidence(confidence);
  if (n <= 0) return { lo: NaN, hi: NaN };
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const p = successes / n;
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  return { lo: Math.max(0, centre - half), hi: Math.min(1, centre + half) };
}

/** The standard normal quantile: Acklam's rational approximation (relative error below 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) return p === 0 ? -Infinity : p === 1 ? Infinity : NaN;
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  let x: number;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - lo) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  return x;
}

/** Regularized incomplete beta I_x(a, b) by its continued fraction (Lentz's method). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnBeta = logGamma(a) + logGamma(b) - logGamma(a + b);
  const front = Math.exp(Math.log(x) * a + Math.log(1 - x) * b - lnBeta);
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const tiny = 1e-300;
  let f = 1, c = 1, d = 0;
  for (let i = 0; i <= 400; i++) {
    const m = i >> 1;
    let num: number;
    if (i === 0) num = 1;
    else if (i % 2 === 0) num = (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m));
    else num = -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    d = 1 / d;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    const cd = c * d;
    f *= cd;
    if (Math.abs(1 - cd) < 1e-15) break;
  }
  return (front * (f - 1)) / a;
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9). */
function logGamma(x: number): number {
  const g = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const y = x - 1;
  let s = g[0];
  for (let i = 1; i < 9; i++) s += g[i] / (y + i);
  const t = y + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(s);
}

/** The CDF of Student's t with df degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const x = df / (df + t * t);
  const tail = 0.5 * incompleteBeta(x, df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The quantile of Student's t (bisection on the CDF to 1e-12). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) throw new UserError(`t quantile needs 0 < p < 1 and df > 0, got p = ${p}, df = ${df}`);
  let lo = -1, hi = 1;
  while (studentTCdf(lo, df) > p) lo *= 2;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let k = 0; k < 200 && hi - lo > 1e-12 * Math.max(1, Math.abs(lo)); k++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Welch's interval of mean b − mean a (unequal variances, Welch–Satterthwaite degrees of freedom);
 * null unless both groups have two values or more. Zero width when neither group varies.
 */
export function welchInterval(a: ArrayLike<number>, b: ArrayLike<number>, confidence = 0.95): (Interval & { delta: number; df: number }) | null {
  checkConfidence(confidence);
  const na = a.length, nb = b.length;
  if (na < 2 || nb < 2) return null;
  const va = sampleVariance(a) / na, vb = sampleVariance(b) / nb;
  const delta = mean(b) - mean(a);
  const se = Math.sqrt(va + vb);
  if (se === 0) return { delta, lo: delta, hi: delta, df: na + nb - 2 };
  const df = (va + vb) ** 2 / (va ** 2 / (na - 1) + vb ** 2 / (nb - 1));
  const half = studentTQuantile(1 - (1 - confidence) / 2, df) * se;
  return { delta, lo: delta - half, hi: delta + half, df };
}

/** The t interval of a mean over n ≥ 2 values (e.g. the accuracies of models trained with different seeds); null below two. */
export function meanInterval(xs: ArrayLike<number>, confidence = 0.95): (Interval & { mean: number }) | null {
  checkConfidence(confidence);
  const n = xs.length;
  if (n < 2) return null;
  const m = mean(xs);
  const half = studentTQuantile(1 - (1 - confidence) / 2, n - 1) * Math.sqrt(sampleVariance(xs) / n);
  return { mean: m, lo: m - half, hi: m + half };
}
