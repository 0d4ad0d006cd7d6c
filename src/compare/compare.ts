/**
 * Where the fingerprints of groups of models differ (docs/compare.md, "Statistics"). For every
 * pair of groups and every feature both have:
 *
 * - several models in a group (seeds of one recipe): the mean difference and Hedges' g with
 *   percentile bootstrap intervals over the models, and a permutation test (exact when the splits
 *   can be enumerated), with Benjamini–Hochberg q-values over the features of the pair;
 * - one model on each side, both classifiers on the same test set: the accuracy-type features
 *   from a paired bootstrap over the test images (each resample re-derives every feature of both
 *   models from the per-image outcomes); the other features (graph statistics, circuit sizes) are
 *   exact numbers of two models: their difference is reported without an interval.
 *
 * A feature is flagged when its interval of the difference excludes 0 and, with several models
 * per group, the permutation test gives p ≤ α — so groups too small for the test to reach α (2 vs
 * 2, 3 vs 3) flag nothing: a bootstrap of two or three models is far too optimistic. Flags are per
 * feature (q says how many of them chance would explain across the features of a pair). Whether
 * accuracy tells the groups apart: Welch's interval of the difference over the models (one model
 * each: the bootstrap over test images); each group's accuracy has its t interval over seeds (one
 * model: Wilson's over its test images).
 */
import { UserError } from '../core/errors.js';
import { Rng, deriveSeed } from '../core/rng.js';
import {
  benjaminiHochberg, binomial, bootstrapGroups, hedgesG, mean, meanInterval, permutationTest, welchInterval, wilsonInterval, type Interval,
} from '../stats/groups.js';
import { quantileSorted } from '../stats/describe.js';
import { FINGERPRINT_ID_COLUMNS, type Evidence, type Fingerprint } from './types.js';

export interface Group {
  label: string;
  fingerprints: Fingerprint[];
}

export interface CompareOptions {
  /** Significance level of the permutation test and 1 − confidence of the intervals (default 0.05). */
  alpha?: number;
  /** Bootstrap resamples (default 2000 over models, 1000 over test images). */
  resamples?: number;
  seed?: number;
}

export interface GroupSummary {
  label: string;
  n: number;
  models: string[];
  kind: string;
  metric: string;
  /** Mean baseline metric (accuracy) and its interval: Student t over the models (n ≥ 2), Wilson over the test images (n = 1); null for drawings and weights-only models. */
  accuracy: { mean: number; lo: number; hi: number; over: 'seeds' | 'test images' } | null;
}

export type FeatureMethod = 'models' | 'images' | 'none';

/** One feature of one pair of groups (a row of comparison.csv). */
export interface FeatureDifference {
  a: string;
  b: string;
  feature: string;
  /** `accuracy`-type (derived from per-item outcomes) or `exact` (graph statistics, sizes). */
  type: 'accuracy' | 'exact';
  n_a: number;
  n_b: number;
  mean_a: number;
  mean_b: number;
  /** mean b − mean a, and its interval (null without one). */
  delta: number;
  delta_lo: number | null;
  delta_hi: number | null;
  /** Hedges' g (several models per group) and its bootstrap interval. */
  g: number | null;
  g_lo: number | null;
  g_hi: number | null;
  /** Two-sided permutation p (several models), BH q over the pair's features. */
  p: number | null;
  q: number | null;
  method: FeatureMethod;
  flagged: boolean;
}

export interface PairComparison {
  a: string;
  b: string;
  /** The difference in accuracy with its interval, and whether that interval contains 0. */
  accuracy: { delta: number; lo: number | null; hi: number | null; method: FeatureMethod; equal: boolean | null } | null;
  features: FeatureDifference[];
  /** Features present in only one of the groups (or missing in some model), not compared. */
  skipped: string[];
  /** What the flags can and cannot say for this pair (too few models for p ≤ α, no intervals, …). */
  notes: string[];
}

export interface Comparison {
  groups: GroupSummary[];
  pairs: PairComparison[];
  alpha: number;
  seed: number;
}

const ID = new Set<string>(FINGERPRINT_ID_COLUMNS);

/** The feature columns of a fingerprint row. */
export function featureColumns(f: Fingerprint): string[] {
  return Object.keys(f.row).filter((k) => !ID.has(k));
}

function numeric(f: Fingerprint, feature: string): number | null {
  const v = f.row[feature];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function summarizeGroup(g: Group, alpha: number): GroupSummary {
  const first = g.fingerprints[0].row;
  const accs = g.fingerprints.map((f) => numeric(f, 'accuracy'));
  let accuracy: GroupSummary['accuracy'] = null;
  if (accs.every((a) => a !== null)) {
    const xs = accs as number[];
    if (xs.length >= 2) {
      const ci = meanInterval(xs, 1 - alpha)!;
      // a proportion: the t interval of a few seeds can reach past 0 or 1
      accuracy = { mean: ci.mean, lo: Math.max(0, ci.lo), hi: Math.min(1, ci.hi), over: 'seeds' };
    } else {
      const n = Number(first.n_test);
      const ci = wilsonInterval(Math.round(xs[0] * n), n, 1 - alpha);
      accuracy = { mean: xs[0], lo: ci.lo, hi: ci.hi, over: 'test images' };
    }
  }
  return { label: g.label, n: g.fingerprints.length, models: g.fingerprints.map((f) => String(f.row.model)), kind: String(first.kind), metric: String(first.metric), accuracy };
}

/**
 * Paired bootstrap over test items: each resample draws n item weights (a multinomial, as n draws
 * with replacement), recomputes every evaluation's accuracy for both models, re-derives their
 * features and keeps the differences. Returns, per feature, the percentile interval.
 */
function imageBootstrap(ea: Evidence, eb: Evidence, features: string[], rng: Rng, resamples: number, alpha: number): Map<string, Interval> {
  const n = ea.n;
  const paired = ea.data === eb.data && eb.n === n;
  const keysA = [...ea.outcomes.keys()];
  const keysB = [...eb.outcomes.keys()];
  const diffs = new Map(features.map((f) => [f, new Float64Array(resamples)]));
  const valid = new Map(features.map((f) => [f, 0]));
  const wa = new Float64Array(n);
  const wb = new Float64Array(eb.n);
  const draw = (w: Float64Array): void => {
    w.fill(0);
    for (let k = 0; k < w.length; k++) w[rng.int(w.length)]++;
  };
  const accuracies = (e: Evidence, keys: string[], w: Float64Array): Map<string, number> => {
    const out = new Map<string, number>();
    for (const key of keys) {
      const c = e.outcomes.get(key)!;
      let s = 0;
      for (let k = 0; k < c.length; k++) if (c[k]) s += w[k];
      out.set(key, s / c.length);
    }
    return out;
  };
  for (let r = 0; r < resamples; r++) {
    draw(wa);
    if (paired) wb.set(wa);
    else draw(wb);
    const accA = accuracies(ea, keysA, wa);
    const accB = accuracies(eb, keysB, wb);
    const fa = ea.derive((k) => accA.get(k)!);
    const fb = eb.derive((k) => accB.get(k)!);
    for (const f of features) {
      const x = fa[f], y = fb[f];
      if (typeof x === 'number' && typeof y === 'number' && Number.isFinite(x) && Number.isFinite(y)) {
        const count = valid.get(f)!;
        diffs.get(f)![count] = y - x;
        valid.set(f, count + 1);
      }
    }
  }
  const out = new Map<string, Interval>();
  for (const f of features) {
    const count = valid.get(f)!;
    if (count < 0.9 * resamples) continue;
    const s = diffs.get(f)!.subarray(0, count).slice().sort();
    out.set(f, { lo: quantileSorted(s, alpha / 2), hi: quantileSorted(s, 1 - alpha / 2) });
  }
  return out;
}

function comparePair(A: Group, B: Group, options: Required<CompareOptions>): PairComparison {
  const { alpha } = options;
  const all = (g: Group) => g.fingerprints.map((f) => new Set(featureColumns(f)));
  const inAll = (sets: Set<string>[], f: string) => sets.every((s) => s.has(f));
  const setsA = all(A), setsB = all(B);
  const union = [...new Set([...setsA.flatMap((s) => [...s]), ...setsB.flatMap((s) => [...s])])];
  const features: string[] = [];
  const skipped: string[] = [];
  for (const f of union) {
    const present = inAll(setsA, f) && inAll(setsB, f) && [...A.fingerprints, ...B.fingerprints].every((fp) => numeric(fp, f) !== null);
    (present ? features : skipped).push(f);
  }
  const na = A.fingerprints.length, nb = B.fingerprints.length;
  const single = na === 1 && nb === 1;
  const ea = single ? A.fingerprints[0].evidence : null;
  const eb = single ? B.fingerprints[0].evidence : null;
  const accuracyType = new Set(ea && eb ? Object.keys(ea.derive((k) => mean01(ea.outcomes.get(k)!))) : []);
  const rng = new Rng(deriveSeed(options.seed, 'compare', A.label, B.label));
  const boot = ea && eb ? imageBootstrap(ea, eb, features.filter((f) => accuracyType.has(f)), rng.fork('images'), Math.min(options.resamples, 1000), alpha) : new Map<string, Interval>();
  const notes: string[] = [];
  const rows: FeatureDifference[] = features.map((feature) => {
    const xa = A.fingerprints.map((f) => numeric(f, feature)!);
    const xb = B.fingerprints.map((f) => numeric(f, feature)!);
    const delta = mean(xb) - mean(xa);
    const base = { a: A.label, b: B.label, feature, type: (accuracyType.has(feature) || (!single && isAccuracyFeature(A, feature)) ? 'accuracy' : 'exact') as FeatureDifference['type'], n_a: na, n_b: nb, mean_a: mean(xa), mean_b: mean(xb), delta };
    if (!single) {
      const r = rng.fork('feature', feature);
      const b = bootstrapGroups(xa, xb, { resamples: options.resamples, confidence: 1 - alpha, rng: r.fork('bootstrap') });
      const perm = permutationTest(xa, xb, { rng: r.fork('permutation') });
      const excludes = b.delta.lo > 0 || b.delta.hi < 0;
      return {
        ...base, delta_lo: b.delta.lo, delta_hi: b.delta.hi, g: hedgesG(xa, xb), g_lo: b.g?.lo ?? null, g_hi: b.g?.hi ?? null,
        p: perm.p, q: null, method: 'models', flagged: delta !== 0 && excludes && perm.minP <= alpha && perm.p <= alpha,
      };
    }
    const ci = boot.get(feature);
    return {
      ...base, delta_lo: ci?.lo ?? null, delta_hi: ci?.hi ?? null, g: null, g_lo: null, g_hi: null, p: null, q: null,
      method: ci ? 'images' : 'none', flagged: ci !== undefined && delta !== 0 && (ci.lo > 0 || ci.hi < 0),
    };
  });
  if (!single) {
    const qs = benjaminiHochberg(rows.map((r) => r.p));
    rows.forEach((r, k) => (r.q = qs[k]));
    const minP = smallestP(na, nb);
    if (minP > alpha) notes.push(`with ${na} and ${nb} models the permutation test cannot reach p ≤ ${alpha} (smallest p ${minP.toPrecision(2)}), so nothing is flagged: the bootstrap intervals alone are too optimistic for so few models (4 models per group reach p = 0.029)`);
    if (na < 2 || nb < 2) notes.push('one group has a single model: intervals reflect the other group\'s spread only, and Hedges\' g is undefined');
  } else if (ea && eb) {
    notes.push(`one model per group: accuracy-type features have intervals from a ${ea.data === eb.data ? 'paired ' : ''}bootstrap over the ${ea.n} test images; graph statistics and circuit sizes are exact numbers of the two models, reported without intervals (give several models per group for intervals over seeds)`);
  } else {
    notes.push('one model per group and no per-item outcomes (drawings, weights only): differences are reported without intervals and nothing is flagged');
  }
  return { a: A.label, b: B.label, accuracy: accuracyDifference(A, B, rows, alpha), features: rows, skipped, notes };
}

/**
 * Whether accuracy tells two groups apart: Welch's interval of the difference over the models
 * (several per group), else the paired bootstrap over test images (one each); equal when the
 * interval contains 0.
 */
function accuracyDifference(A: Group, B: Group, rows: FeatureDifference[], alpha: number): PairComparison['accuracy'] {
  const accRow = rows.find((r) => r.feature === 'accuracy');
  if (!accRow) return null;
  const welch = welchInterval(A.fingerprints.map((f) => numeric(f, 'accuracy')!), B.fingerprints.map((f) => numeric(f, 'accuracy')!), 1 - alpha);
  const lo = welch ? welch.lo : accRow.delta_lo;
  const hi = welch ? welch.hi : accRow.delta_hi;
  const method: FeatureMethod = welch ? 'models' : accRow.method;
  return { delta: accRow.delta, lo, hi, method, equal: lo === null || hi === null ? null : lo <= 0 && hi >= 0 };
}

/** The smallest p permutationTest can give with groups of na and nb (its exact/Monte Carlo rule). */
function smallestP(na: number, nb: number): number {
  const splits = binomial(na + nb, na);
  return splits <= 20000 ? (na === nb ? 2 : 1) / splits : 1 / 10001;
}

function mean01(c: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < c.length; i++) s += c[i];
  return c.length ? s / c.length : 0;
}

/** Whether a feature is derived from per-item outcomes in the group's fingerprints (when they carry evidence). */
function isAccuracyFeature(g: Group, feature: string): boolean {
  const e = g.fingerprints[0].evidence;
  if (!e) return false;
  return feature in e.derive((k) => mean01(e.outcomes.get(k)!));
}

/** Perturbation features (probe curves, shifts, sweeps, ablation, circuits) or the data-free graph statistics of the layers. */
export function featureFamily(feature: string): 'perturbation' | 'graph' {
  return /^(accuracy$|auc_|half_|at_|shift_|sweep_|ablation_|circuit_)/.test(feature) ? 'perturbation' : 'graph';
}

/** Counts (units, edges): compared relative to their size rather than on the metric's 0…1 scale. */
function isCount(feature: string): boolean {
  return /_(units|edges)$/.test(feature);
}

/**
 * The order in which a report lists a pair's features: flagged first; then by |Hedges' g| where
 * the groups have several models; else perturbation features (on the metric's 0…1 scale) by |Δ|
 * before graph statistics by |Δ| / max(|a|, |b|, 1).
 */
export function orderDifferences(fs: readonly FeatureDifference[]): FeatureDifference[] {
  const strength = (f: FeatureDifference): number => {
    if (f.g !== null && Number.isFinite(f.g)) return Math.abs(f.g);
    const relative = Math.abs(f.delta) / Math.max(Math.abs(f.mean_a), Math.abs(f.mean_b), 1);
    return featureFamily(f.feature) === 'perturbation' && !isCount(f.feature) ? Math.abs(f.delta) : relative;
  };
  const family = (f: FeatureDifference): number => (f.g !== null ? 0 : featureFamily(f.feature) === 'perturbation' ? 0 : 1);
  return fs.slice().sort((x, y) => Number(y.flagged) - Number(x.flagged) || family(x) - family(y) || strength(y) - strength(x));
}

/** Compare every pair of groups (in the order given: the first group is `a` of its pairs). */
export function compareGroups(groups: Group[], options: CompareOptions = {}): Comparison {
  const o: Required<CompareOptions> = { alpha: options.alpha ?? 0.05, resamples: options.resamples ?? 2000, seed: options.seed ?? 1 };
  if (!(o.alpha > 0 && o.alpha < 1)) throw new UserError(`alpha must be between 0 and 1, got ${o.alpha}`);
  if (!Number.isInteger(o.resamples) || o.resamples < 100) throw new UserError(`bootstrap resamples must be a whole number ≥ 100, got ${o.resamples}`);
  if (groups.length < 2) throw new UserError(`compare needs at least two groups of models, got ${groups.length}`);
  for (const g of groups) if (g.fingerprints.length === 0) throw new UserError(`group '${g.label}' has no models`);
  const labels = new Set<string>();
  for (const g of groups) {
    if (labels.has(g.label)) throw new UserError(`two groups are labelled '${g.label}'`);
    labels.add(g.label);
  }
  const pairs: PairComparison[] = [];
  for (let i = 0; i < groups.length; i++) for (let j = i + 1; j < groups.length; j++) pairs.push(comparePair(groups[i], groups[j], o));
  return { groups: groups.map((g) => summarizeGroup(g, o.alpha)), pairs, alpha: o.alpha, seed: o.seed };
}
