/**
 * Summary statistics and histograms of plain number arrays: the building blocks of every
 * distribution weightscope reports (P(k+), P(k−), P(s), P(w)).
 *
 * Conventions (documented in docs/statistics.md):
 * - `sd` is the sample standard deviation (n − 1 in the denominator; 0 for n = 1).
 * - `skew` is the Fisher–Pearson coefficient g1 = m3 / m2^1.5 with population moments
 *   (what numpy/scipy.stats.skew(bias=True) return); 0 when all values are equal.
 * - quantiles interpolate linearly between order statistics (Hyndman–Fan type 7, numpy's default).
 * - NaN entries are ignored (an isolated unit has no sign imbalance); `n` counts the rest.
 */

export interface Summary {
  n: number;
  mean: number;
  sd: number;
  min: number;
  max: number;
  q05: number;
  q25: number;
  median: number;
  q75: number;
  q95: number;
  skew: number;
}

export interface Histogram {
  /** Bin edges, length bins + 1: bin b is [edges[b], edges[b+1]), the last bin closed. */
  edges: number[];
  /** Number of values in each bin. */
  counts: number[];
  /** counts / n: the empirical P(x) of each bin (sums to 1). */
  probability: number[];
  /** 'integer' (unit-aligned bins for counts such as degrees) or 'equal-width'. */
  binning: 'integer' | 'equal-width';
}

export interface Distribution {
  summary: Summary;
  histogram: Histogram;
}

type NumArray = ArrayLike<number>;

/** Default number of bins for continuous data: ⌈√n⌉, capped at 50, at least 1. */
export const MAX_BINS = 50;

function finiteCopy(values: NumArray): Float64Array {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) n++;
  const out = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) out[k++] = values[i];
  return out;
}

/** Type-7 quantile of an ascending array. */
export function quantileSorted(sorted: Float64Array, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Moments (two passes, so large arrays with a large mean keep their precision). */
export function moments(values: NumArray): { n: number; mean: number; m2: number; m3: number; min: number; max: number } {
  let n = 0, sum = 0, min = Infinity, max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (Number.isNaN(x)) continue;
    n++;
    sum += x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  if (n === 0) return { n, mean: NaN, m2: NaN, m3: NaN, min: NaN, max: NaN };
  const mean = sum / n;
  let s2 = 0, s3 = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (Number.isNaN(x)) continue;
    const d = x - mean;
    s2 += d * d;
    s3 += d * d * d;
  }
  return { n, mean, m2: s2 / n, m3: s3 / n, min, max };
}

/** Count, min and max of the non-NaN values (one pass). */
export function range(values: NumArray, skipZeros = false): { n: number; min: number; max: number } {
  let n = 0, min = Infinity, max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (Number.isNaN(x) || (skipZeros && x === 0)) continue;
    n++;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return { n, min, max };
}

export function summarize(values: NumArray): Summary {
  const m = moments(values);
  const sorted = finiteCopy(values).sort();
  const sd = m.n > 1 ? Math.sqrt((m.m2 * m.n) / (m.n - 1)) : m.n === 1 ? 0 : NaN;
  const skew = m.n === 0 ? NaN : m.m2 > 0 ? m.m3 / Math.pow(m.m2, 1.5) : 0;
  return {
    n: m.n,
    mean: m.mean,
    sd,
    min: m.min,
    max: m.max,
    q05: quantileSorted(sorted, 0.05),
    q25: quantileSorted(sorted, 0.25),
    median: quantileSorted(sorted, 0.5),
    q75: quantileSorted(sorted, 0.75),
    q95: quantileSorted(sorted, 0.95),
    skew,
  };
}

export interface HistogramOptions {
  /** Number of bins for equal-width binning (default min(50, ⌈√n⌉)). */
  bins?: number;
  /**
   * Integer data (degrees): bins are [min + b·w − ½, min + (b+1)·w − ½) with a whole width w,
   * the smallest that gives at most `bins` (default 50) bins, so each integer value falls in
   * exactly one bin and w = 1 whenever the range allows.
   */
  integer?: boolean;
  /** Leave exact zeros out (P(w) of the edges of a pruned layer without copying it). */
  skipZeros?: boolean;
}

export function histogram(values: NumArray, options: HistogramOptions = {}): Histogram {
  const skipZeros = options.skipZeros ?? false;
  const m = range(values, skipZeros);
  const n = m.n;
  const binning = options.integer ? 'integer' : 'equal-width';
  if (n === 0) return { edges: [], counts: [], probability: [], binning };
  let edges: number[];
  if (options.integer) {
    const maxBins = options.bins ?? MAX_BINS;
    const range = m.max - m.min + 1;
    const width = Math.max(1, Math.ceil(range / maxBins));
    const nb = Math.ceil(range / width);
    edges = Array.from({ length: nb + 1 }, (_, b) => m.min - 0.5 + b * width);
  } else {
    const nb = m.max > m.min ? Math.max(1, options.bins ?? Math.min(MAX_BINS, Math.ceil(Math.sqrt(n)))) : 1;
    const lo = m.min, hi = m.max > m.min ? m.max : m.min + 1;
    edges = Array.from({ length: nb + 1 }, (_, b) => (b === nb ? hi : lo + ((hi - lo) * b) / nb));
  }
  const nb = edges.length - 1;
  const lo = edges[0], width = (edges[nb] - lo) / nb;
  const counts = new Array<number>(nb).fill(0);
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (Number.isNaN(x) || (skipZeros && x === 0)) continue;
    let b = Math.floor((x - lo) / width);
    if (b >= nb) b = nb - 1;
    if (b < 0) b = 0;
    counts[b]++;
  }
  return { edges, counts, probability: counts.map((c) => c / n), binning };
}

export function distribution(values: NumArray, options: HistogramOptions = {}): Distribution {
  return { summary: summarize(values), histogram: histogram(values, options) };
}

/** Ranks 1…n of `values`, ties given their average rank (scipy.stats.rankdata 'average'). */
export function averageRanks(values: NumArray): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]] === values[order[i]]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]] = r;
    i = j + 1;
  }
  return ranks;
}

/** Pearson correlation; NaN with fewer than 2 pairs or no spread on a side. */
export function pearson(x: NumArray, y: NumArray): number {
  const n = x.length;
  if (n !== y.length) throw new Error(`pearson: ${n} x values but ${y.length} y values`);
  if (n < 2) return NaN;
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) { mx += x[i]; my += y[i]; }
  mx /= n;
  my /= n;
  let sxx = 0, syy = 0, sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
    sxy += (x[i] - mx) * (y[i] - my);
  }
  return sxx === 0 || syy === 0 ? NaN : sxy / Math.sqrt(sxx * syy);
}

/** Spearman ρ: Pearson correlation of the average ranks (scipy.stats.spearmanr). */
export function spearman(x: NumArray, y: NumArray): number {
  return pearson(averageRanks(x), averageRanks(y));
}
