/**
 * The twins study's claims, computed from the models' fingerprint rows (pure functions; tested on
 * planted rows in test/study/twins.test.ts):
 *
 * 1. accuracy cannot separate the families: every family's benchmark accuracy has a t interval over
 *    seeds, and the intervals overlap (Welch's interval of each difference is shown beside);
 * 2. the fingerprint can: a nearest-centroid classifier on standardized fingerprints, scored by
 *    leave-one-out (the left-out model's features standardized with the other models' mean and sd),
 *    with the features that carry it (largest |Hedges' g|); also on the perturbation features alone;
 * 3. the control: the same classifier on two halves of one family's seeds (even vs odd runs) sets the
 *    noise floor — it should do no better than chance;
 * 4. sparse models have smaller ablation-verified circuits, in edges and in hidden units (Welch
 *    interval of the difference in size; how many circuits were verified sufficient, and necessary);
 * 5. which probe catches the shortcut model before any shift: the pre-shift feature that best tells
 *    shortcut from dense models (leave-one-out on that feature alone), and that the shortcut models
 *    do fail under the shift (no marker).
 */
import { hedgesG, mean, meanInterval, welchInterval } from '../../../stats/groups.js';
import { FINGERPRINT_ID_COLUMNS, type FingerprintRow } from '../../../compare/types.js';
import type { Family } from './types.js';

export interface TwinModel {
  pair: string;
  family: Family;
  run: number;
  row: FingerprintRow;
}

export type Verdict = 'holds' | 'does not hold' | 'not tested';

export interface Claim {
  pair: string;
  claim: string;
  /** The numbers behind the verdict, in one line. */
  value: string;
  verdict: Verdict;
}

/** Features the classifier may not use: the benchmark accuracy itself and the shift that removes the marker (that is "after the shift"). */
const NOT_FINGERPRINT = new Set(['accuracy', 'shift_nomarker', 'circuit_units_verified']);
const ID = new Set<string>(FINGERPRINT_ID_COLUMNS);
const PERTURBATION = /^(auc_|half_|at_|shift_|ablation_|circuit_)/;

/** Sufficient agreement of a classifier for "the fingerprint separates them". */
export const SEPARATES = 0.9;

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Feature columns present as finite numbers in every row, not constant, and allowed (optionally perturbation features only). */
export function usableFeatures(rows: FingerprintRow[], options: { perturbationOnly?: boolean } = {}): string[] {
  if (!rows.length) return [];
  return Object.keys(rows[0]).filter((k) => {
    if (ID.has(k) || NOT_FINGERPRINT.has(k)) return false;
    if (options.perturbationOnly && !PERTURBATION.test(k)) return false;
    const xs = rows.map((r) => num(r[k]));
    if (xs.some((x) => x === null)) return false;
    return xs.some((x) => x !== xs[0]);
  });
}

/**
 * Leave-one-out accuracy of a nearest-centroid classifier: each item is left out in turn, every
 * feature standardized by the others' mean and sd (features constant among them are dropped), and
 * the item given the label of the nearest class centroid (Euclidean); ties go to the first label.
 */
export function looNearestCentroid(x: number[][], y: string[]): number {
  const n = x.length;
  if (n < 2 || x.length !== y.length) throw new RangeError('leave-one-out needs at least two items, one label each');
  const labels = [...new Set(y)];
  let right = 0;
  for (let out = 0; out < n; out++) {
    const keep = [...Array(n).keys()].filter((i) => i !== out);
    const d = x[0].length;
    const mu = new Float64Array(d), sd = new Float64Array(d);
    for (let f = 0; f < d; f++) {
      mu[f] = mean(keep.map((i) => x[i][f]));
      sd[f] = Math.sqrt(mean(keep.map((i) => (x[i][f] - mu[f]) ** 2)));
    }
    const z = (row: number[]) => row.map((v, f) => (sd[f] > 0 ? (v - mu[f]) / sd[f] : 0));
    let best = '', bestDistance = Infinity;
    for (const label of labels) {
      const members = keep.filter((i) => y[i] === label);
      if (!members.length) continue;
      const zs = members.map((i) => z(x[i]));
      const centroid = zs[0].map((_, f) => mean(zs.map((r) => r[f])));
      const target = z(x[out]);
      const distance = centroid.reduce((s, c, f) => s + (c - target[f]) ** 2, 0);
      if (distance < bestDistance) [best, bestDistance] = [label, distance];
    }
    if (best === y[out]) right++;
  }
  return right / n;
}

const matrix = (rows: FingerprintRow[], features: string[]): number[][] => rows.map((r) => features.map((f) => r[f] as number));
const fmt = (x: number, digits = 3) => x.toFixed(digits);
const values = (models: TwinModel[], feature: string): number[] => models.map((m) => num(m.row[feature])).filter((x): x is number => x !== null);

/** Features ranked by |Hedges' g| between two families (largest first). */
export function carryingFeatures(a: TwinModel[], b: TwinModel[], features: string[]): { feature: string; g: number; meanA: number; meanB: number }[] {
  return features
    .map((feature) => ({ feature, g: hedgesG(values(a, feature), values(b, feature)) ?? 0, meanA: mean(values(a, feature)), meanB: mean(values(b, feature)) }))
    .sort((p, q) => Math.abs(q.g) - Math.abs(p.g) || (p.feature < q.feature ? -1 : 1));
}

function separation(pair: string, a: TwinModel[], b: TwinModel[], label: string, perturbationOnly = false): Claim {
  const rows = [...a, ...b].map((m) => m.row);
  const features = usableFeatures(rows, { perturbationOnly });
  if (a.length < 2 || b.length < 2 || !features.length) return { pair, claim: `the fingerprint separates ${label}`, value: 'too few models or features', verdict: 'not tested' };
  const acc = looNearestCentroid(matrix(rows, features), [...a.map(() => 'a'), ...b.map(() => 'b')]);
  const top = carryingFeatures(a, b, features).slice(0, 3).map((f) => `${f.feature} ${fmt(f.meanA)}→${fmt(f.meanB)} (g ${f.g.toFixed(1)})`);
  return {
    pair, claim: `the fingerprint${perturbationOnly ? ' (perturbation features only)' : ''} separates ${label}`,
    value: `leave-one-out accuracy ${fmt(acc, 2)} over ${rows.length} models, ${features.length} features; carried by ${top.join('; ')}`,
    verdict: acc >= SEPARATES ? 'holds' : 'does not hold',
  };
}

/** Every claim for one pair's models. */
export function twinClaims(pair: string, models: TwinModel[]): Claim[] {
  const of = (f: Family) => models.filter((m) => m.family === f);
  const families = (['dense', 'sparse', 'shortcut'] as Family[]).filter((f) => of(f).length);
  const claims: Claim[] = [];

  // 1. Accuracy cannot separate the families.
  const acc = (f: Family) => values(of(f), 'accuracy');
  const ci = families.map((f) => ({ f, i: meanInterval(acc(f)) }));
  if (ci.every((c) => c.i)) {
    const lo = Math.max(...ci.map((c) => c.i!.lo)), hi = Math.min(...ci.map((c) => c.i!.hi));
    const diffs = families.slice(1).map((f) => {
      const w = welchInterval(acc('dense'), acc(f))!;
      return `${f} − dense ${fmt(w.delta)} [${fmt(w.lo)}, ${fmt(w.hi)}]`;
    });
    claims.push({
      pair, claim: 'accuracy cannot separate the families (95 % intervals over seeds overlap)',
      value: `${ci.map((c) => `${c.f} ${fmt(c.i!.mean)} [${fmt(c.i!.lo)}, ${fmt(c.i!.hi)}]`).join('; ')}; Welch: ${diffs.join('; ')}`,
      verdict: lo <= hi ? 'holds' : 'does not hold',
    });
  } else claims.push({ pair, claim: 'accuracy cannot separate the families', value: 'fewer than two models in a family', verdict: 'not tested' });

  // 2. The fingerprint can: all families at once, then each pair with its carrying features.
  const all = models.map((m) => m.row);
  const features = usableFeatures(all);
  if (families.length >= 2 && features.length && models.length >= 4) {
    const a = looNearestCentroid(matrix(all, features), models.map((m) => m.family));
    claims.push({
      pair, claim: `the fingerprint separates the ${families.length} families`,
      value: `leave-one-out nearest-centroid accuracy ${fmt(a, 2)} over ${models.length} models (chance ${fmt(1 / families.length, 2)}), ${features.length} features`,
      verdict: a >= SEPARATES ? 'holds' : 'does not hold',
    });
  }
  if (of('sparse').length) {
    claims.push(separation(pair, of('dense'), of('sparse'), 'dense from sparse'));
    claims.push(separation(pair, of('dense'), of('sparse'), 'dense from sparse', true));
  }
  if (of('shortcut').length) claims.push(separation(pair, of('dense'), of('shortcut'), 'honest from shortcut'));

  // 3. The control: seeds of one regime split in two halves.
  const dense = of('dense');
  if (dense.length >= 4) {
    const halves = dense.map((m) => (m.run % 2 ? 'odd' : 'even'));
    const rows = dense.map((m) => m.row);
    const f = usableFeatures(rows);
    const a = f.length ? looNearestCentroid(matrix(rows, f), halves) : NaN;
    claims.push({
      pair, claim: 'control: the fingerprint does not separate seeds of one regime (dense, even vs odd runs)',
      value: `leave-one-out accuracy ${fmt(a, 2)} over ${dense.length} models (chance 0.50): the noise floor`,
      verdict: a <= 2 / 3 ? 'holds' : 'does not hold',
    });
  }

  // 4. Sparse models have smaller ablation-verified circuits: edges (the weights a circuit needs,
  // as arXiv 2511.13653 counts them) and hidden units, each verified sufficient by ablation.
  const sparse = of('sparse');
  if (sparse.length >= 2 && dense.length >= 2) {
    for (const [column, what, verdictCol] of [['circuit_edges', 'edges', 'circuit_edges_sufficient'], ['circuit_units', 'hidden units (of 64)', 'circuit_sufficient']] as const) {
      const [d, s] = [values(dense, column), values(sparse, column)];
      if (d.length < 2 || s.length < 2) continue;
      const w = welchInterval(d, s)!;
      const count = (ms: TwinModel[], k: string) => ms.filter((m) => m.row[k] === 1).length;
      const necessary = column === 'circuit_edges' ? 'circuit_edges_necessary' : 'circuit_necessary';
      claims.push({
        pair, claim: `sparse models have smaller ablation-verified circuits (${what})`,
        value: `dense ${fmt(mean(d), 1)}, sparse ${fmt(mean(s), 1)}; Δ ${fmt(w.delta, 1)} [${fmt(w.lo, 1)}, ${fmt(w.hi, 1)}]; ` +
          `sufficient: dense ${count(dense, verdictCol)}/${dense.length}, sparse ${count(sparse, verdictCol)}/${sparse.length}; ` +
          `necessary: dense ${count(dense, necessary)}/${dense.length}, sparse ${count(sparse, necessary)}/${sparse.length}`,
        verdict: w.hi < 0 && count(sparse, verdictCol) * 2 >= sparse.length ? 'holds' : 'does not hold',
      });
    }
  }

  // 5. Which probe catches the shortcut model before any shift; and it does fail under the shift.
  const shortcut = of('shortcut');
  if (shortcut.length >= 2 && dense.length >= 2) {
    const pre = usableFeatures([...dense, ...shortcut].map((m) => m.row), { perturbationOnly: true });
    const ranked = carryingFeatures(dense, shortcut, pre).map((f) => ({
      ...f, loo: looNearestCentroid([...dense, ...shortcut].map((m) => [m.row[f.feature] as number]), [...dense.map(() => 'd'), ...shortcut.map(() => 's')]),
    })).sort((p, q) => q.loo - p.loo || Math.abs(q.g) - Math.abs(p.g));
    const best = ranked[0];
    claims.push(best ? {
      pair, claim: 'a probe catches the shortcut model before any shift',
      value: `${best.feature}: honest ${fmt(best.meanA)}, shortcut ${fmt(best.meanB)} (g ${best.g.toFixed(1)}), leave-one-out accuracy on it alone ${fmt(best.loo, 2)}` +
        `${ranked[1] ? `; next ${ranked.slice(1, 3).map((r) => `${r.feature} (${fmt(r.loo, 2)})`).join(', ')}` : ''}`,
      verdict: best.loo >= SEPARATES ? 'holds' : 'does not hold',
    } : { pair, claim: 'a probe catches the shortcut model before any shift', value: 'no usable feature', verdict: 'not tested' });
    const w = welchInterval(values(dense, 'shift_nomarker'), values(shortcut, 'shift_nomarker'));
    if (w) {
      claims.push({
        pair, claim: 'the shortcut models fail under the shift (marker removed)',
        value: `accuracy without the marker: honest ${fmt(mean(values(dense, 'shift_nomarker')))}, shortcut ${fmt(mean(values(shortcut, 'shift_nomarker')))}; Δ ${fmt(w.delta)} [${fmt(w.lo)}, ${fmt(w.hi)}]`,
        verdict: w.hi < 0 ? 'holds' : 'does not hold',
      });
    }
  }
  return claims;
}
