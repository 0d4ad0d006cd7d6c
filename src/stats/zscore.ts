/**
 * z-scores of layer statistics against a null model. The null model is passed in as a function
 * (the CLI passes `(l, r) => randomizeLayer(l, name, r)`), so stats does not depend on
 * randomize; sample s draws from `rng.fork('null-sample', s)`, so results do not depend on how
 * many statistics are scored together or in what order.
 */
import type { LayerRecord } from '../core/layer.js';
import type { Rng } from '../core/rng.js';
import { UserError } from '../core/errors.js';
import { degreeAssortativity, nodf } from './structure.js';

export type NullSampler = (layer: LayerRecord, rng: Rng) => LayerRecord;
export type LayerStatistic = (layer: LayerRecord) => number;

export interface ZScore {
  observed: number;
  /** Mean and sample standard deviation (n − 1) of the statistic over the null samples. */
  mean: number;
  sd: number;
  /** (observed − mean) / sd; NaN (JSON null) when sd = 0 or a value is undefined. */
  z: number;
  /** The statistic on each null sample, in sample order. */
  samples: number[];
}

export interface ZScoreOptions {
  /** Number of null samples (default 100), ≥ 2. */
  samples?: number;
  rng: Rng;
}

function score(observed: number, samples: number[]): ZScore {
  const n = samples.length;
  const mean = samples.reduce((a, b) => a + b, 0) / n;
  // Identical samples have sd 0 exactly: their rounded mean may differ from them by an ulp, which
  // would otherwise give a tiny sd and z = ±√((n−1)/n) whatever the observation.
  const constant = samples.every((x) => x === samples[0]);
  const sd = constant ? 0 : Math.sqrt(samples.reduce((a, b) => a + (b - mean) * (b - mean), 0) / (n - 1));
  return { observed, mean, sd, z: sd > 0 ? (observed - mean) / sd : NaN, samples };
}

/** Score several statistics on the same null samples (each sample is drawn once). */
export function zScores<K extends string>(
  layer: LayerRecord,
  statistics: Record<K, LayerStatistic>,
  nullModel: NullSampler,
  options: ZScoreOptions,
): Record<K, ZScore> {
  const n = options.samples ?? 100;
  if (!Number.isInteger(n) || n < 2) throw new UserError(`z-scores need at least 2 null samples, got ${n}`);
  const names = Object.keys(statistics) as K[];
  const values = {} as Record<K, number[]>;
  for (const k of names) values[k] = [];
  for (let s = 0; s < n; s++) {
    const sample = nullModel(layer, options.rng.fork('null-sample', s));
    for (const k of names) values[k].push(statistics[k](sample));
  }
  const out = {} as Record<K, ZScore>;
  for (const k of names) out[k] = score(statistics[k](layer), values[k]);
  return out;
}

/** z-score of one statistic: `{ observed, mean, sd, z, samples }`. */
export function zScore(layer: LayerRecord, statistic: LayerStatistic, nullModel: NullSampler, options: ZScoreOptions): ZScore {
  return zScores(layer, { s: statistic }, nullModel, options).s;
}

/** Named scalar statistics the CLI can score (`weightscope stats --null`). */
export const SCALAR_STATISTICS = {
  'nodf+': (l: LayerRecord) => nodf(l, 'positive').nodf,
  'nodf-': (l: LayerRecord) => nodf(l, 'negative').nodf,
  'assortativity+': (l: LayerRecord) => degreeAssortativity(l, 'positive'),
  'assortativity-': (l: LayerRecord) => degreeAssortativity(l, 'negative'),
  assortativity: (l: LayerRecord) => degreeAssortativity(l, 'all'),
} satisfies Record<string, LayerStatistic>;
export type ScalarStatisticName = keyof typeof SCALAR_STATISTICS;
