/**
 * z-scores of layer statistics against a null model. The null model is passed in as a function
 * (the CLI passes `(l, r) => randomizeLayer(l, name, r)`), so stats does not depend on
 * randomize; sample s draws from `rng.fork('null-sample', s)`, so results do not depend on how
 * many statistics are scored together or in what order.
 */
import type { LayerRecord } from '../core/layer.js';
import { deriveSeed, Rng } from '../core/rng.js';
import { UserError } from '../core/errors.js';
import { NODF_DEFAULT_MAX_WEIGHTS } from './layer-stats.js';
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

export interface LayerZScoreOptions {
  /** The seed the user gave (`--seed`); each layer's null samples draw from deriveSeed(seed, 'stats-null', null model, layer). */
  seed: number;
  /** Null samples, ≥ 2. */
  samples: number;
  /** NODF on layers above NODF_DEFAULT_MAX_WEIGHTS too (slow on every null sample). */
  nestedness?: boolean;
  /** More statistics scored on the same null samples (the layer table's spectrum: α, stable rank, spectral norm), by name. */
  extra?: Record<string, LayerStatistic>;
  /** Score SCALAR_STATISTICS (default true); false: only `extra`. */
  scalar?: boolean;
}

/**
 * The z-scores of a layer against a named null model, as `weightscope stats --null` and the layer
 * table (`--all-layers --null`) report them: every SCALAR_STATISTICS entry (the NODF ones only on
 * layers up to NODF_DEFAULT_MAX_WEIGHTS weights unless `nestedness`) and the `extra` ones, on `samples` null samples
 * drawn from deriveSeed(seed, 'stats-null', nullModel.name, layer.name), so a layer's z-scores do
 * not depend on which other layers are scored.
 */
export function layerZScores(
  layer: LayerRecord, nullModel: { name: string; sample: NullSampler }, options: LayerZScoreOptions,
): Partial<Record<ScalarStatisticName, ZScore>> & { [name: string]: ZScore } {
  const rng = new Rng(deriveSeed(options.seed, 'stats-null', nullModel.name, layer.name));
  const withNodf = options.nestedness || layer.weights.length <= NODF_DEFAULT_MAX_WEIGHTS;
  // SCALAR_STATISTICS depend on the sign pattern alone: a sample with every sign of the layer (any
  // shuffle within signs, e.g. B) has the layer's own values, bit for bit, and is not recomputed.
  const sameSigns = samePattern(layer);
  const statistics: Record<string, LayerStatistic> = options.scalar === false ? {} : Object.fromEntries(
    Object.entries(SCALAR_STATISTICS)
      .filter(([name]) => withNodf || !name.startsWith('nodf'))
      .map(([name, f]) => {
        let own: number | undefined;
        return [name, (l: LayerRecord) => (l !== layer && sameSigns(l) ? (own ??= f(layer)) : f(l))];
      }),
  );
  Object.assign(statistics, options.extra ?? {});
  return zScores(layer, statistics, nullModel.sample, { samples: options.samples, rng });
}

/** Whether a record has exactly the layer's signs (+, −, 0) in every slot; remembered per record. */
function samePattern(layer: LayerRecord): (l: LayerRecord) => boolean {
  const seen = new WeakMap<LayerRecord, boolean>();
  const w = layer.weights;
  return (l) => {
    let same = seen.get(l);
    if (same === undefined) {
      const v = l.weights;
      same = v.length === w.length && l.shape[0] === layer.shape[0];
      for (let k = 0; same && k < w.length; k++) same = (w[k] > 0) === (v[k] > 0) && (w[k] < 0) === (v[k] < 0);
      seen.set(l, same);
    }
    return same;
  };
}
