/**
 * The twins study's claims, computed from the models' fingerprint rows (pure functions; tested on
 * planted rows in test/study/twins.test.ts):
 *
 * 1. accuracy cannot separate the families: every family's benchmark accuracy has a t interval over
 *    seeds, and every two intervals overlap (Welch's interval of each difference is shown beside);
 * 2. the fingerprint can: a nearest-centroid classifier on fingerprints scaled by each feature's
 *    pooled within-family sd (diagonal LDA), scored by leave-one-out (centroids and scales from the
 *    other models), with the features that carry it (largest |Hedges' g|); also on the perturbation
 *    features alone;
 * 3. the control: the same classifier on two halves of one family's seeds (even vs odd runs) sets the
 *    noise floor — it should do no better than chance;
 * 4. sparse models have smaller ablation-verified circuits, in edges and in hidden units (Welch
 *    interval of the difference in size; how many circuits were verified sufficient, and necessary);
 * 5. which probe catches the shortcut model before any shift: the pre-shift feature that best tells
 *    shortcut from dense models (leave-one-out on that feature alone), and that the shortcut models
 *    do fail under the shift (no marker).
 */
import { Rng } from '../../../core/rng.js';
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

/** "The fingerprint separates them": leave-one-out accuracy at least this, and a permutation p at most ALPHA. */
export const SEPARATES = 0.9;
export const ALPHA = 0.05;

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
 * Leave-one-out accuracy of a nearest-centroid classifier with features scaled by their pooled
 * within-class sd (diagonal linear discriminant analysis): each item is left out in turn; from the
 * others, the class centroids and each feature's pooled within-class sd (floored at 10⁻³ of its
 * overall sd, so a feature constant within classes counts without dividing by 0; features constant
 * over all the others are dropped); the item gets the label of the nearest centroid in those units
 * (ties: the label seen first). Scaling by the within-class spread, not the overall one, keeps
 * features that vary only by noise from drowning the ones that carry the classes.
 */
export function looNearestCentroid(x: number[][], y: string[]): number {
  const n = x.length;
  if (n < 2 || x.length !== y.length) throw new RangeError('leave-one-out needs at least two items, one label each');
  const labels = [...new Set(y)];
  const d = x[0].length;
  let right = 0;
  for (let out = 0; out < n; out++) {
    const keep = [...Array(n).keys()].filter((i) => i !== out);
    const classes = labels.map((label) => keep.filter((i) => y[i] === label)).map((members, k) => ({ label: labels[k], members })).filter((c) => c.members.length);
    const centroids = classes.map((c) => Array.from({ length: d }, (_, f) => mean(c.members.map((i) => x[i][f]))));
    const scale = Array.from({ length: d }, (_, f) => {
      const all = mean(keep.map((i) => x[i][f]));
      const total = Math.sqrt(mean(keep.map((i) => (x[i][f] - all) ** 2)));
      if (!(total > 0)) return 0;
      let ss = 0;
      classes.forEach((c, k) => { for (const i of c.members) ss += (x[i][f] - centroids[k][f]) ** 2; });
      const dof = keep.length - classes.length;
      return 1 / Math.max(Math.sqrt(ss / (dof > 0 ? dof : keep.length)), 1e-3 * total);
    });
    let best = '', bestDistance = Infinity;
    classes.forEach((c, k) => {
      const distance = centroids[k].reduce((s, m, f) => s + ((m - x[out][f]) * scale[f]) ** 2, 0);
      if (distance < bestDistance) [best, bestDistance] = [c.label, distance];
    });
    if (best === y[out]) right++;
  }
  return right / n;
}

/** Label permutations of the permutation test of a leave-one-out accuracy. */
export const PERMUTATIONS = 200;

/**
 * How often leave-one-out accuracy on shuffled labels reaches the observed one: p = (1 + count) /
 * (1 + R), R seeded label permutations — the chance of "separating" families that do not differ.
 */
export function permutationP(x: number[][], y: string[], observed: number, seed = 1, resamples = PERMUTATIONS): number {
  const rng = new Rng(seed);
  let extreme = 0;
  for (let r = 0; r < resamples; r++) {
    const order = rng.permutation(y.length);
    if (looNearestCentroid(x, Array.from(order, (i) => y[i])) >= observed) extreme++;
  }
  return (1 + extreme) / (1 + resamples);
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
  const labels = [...a.map(() => 'a'), ...b.map(() => 'b')];
  const acc = looNearestCentroid(matrix(rows, features), labels);
  const p = permutationP(matrix(rows, features), labels, acc);
  const top = carryingFeatures(a, b, features).slice(0, 3).map((f) => `${f.feature} ${fmt(f.meanA)}→${fmt(f.meanB)} (g ${f.g.toFixed(1)})`);
  return {
    pair, claim: `the fingerprint${perturbationOnly ? ' (perturbation features only)' : ''} separates ${label}`,
    value: `leave-one-out accuracy ${fmt(acc, 2)} over ${rows.length} models (permutation p ${fmt(p)}), ${features.length} features; carried by ${top.join('; ')}`,
    verdict: acc >= SEPARATES && p <= ALPHA ? 'holds' : 'does not hold',
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
    // Every pair of intervals overlaps (shares a point).
    const overlap = ci.every((a) => ci.every((b) => a.i!.lo <= b.i!.hi && b.i!.lo <= a.i!.hi));
    const diffs = families.slice(1).map((f) => {
      const w = welchInterval(acc('dense'), acc(f))!;
      return `${f} − dense ${fmt(w.delta)} [${fmt(w.lo)}, ${fmt(w.hi)}]`;
    });
    claims.push({
      pair, claim: 'accuracy cannot separate the families (95 % intervals over seeds overlap pairwise)',
      value: `${ci.map((c) => `${c.f} ${fmt(c.i!.mean)} [${fmt(c.i!.lo)}, ${fmt(c.i!.hi)}]`).join('; ')}; Welch: ${diffs.join('; ')}`,
      verdict: overlap ? 'holds' : 'does not hold',
    });
  } else claims.push({ pair, claim: 'accuracy cannot separate the families', value: 'fewer than two models in a family', verdict: 'not tested' });

  // 2. The fingerprint can: all families at once, then each pair with its carrying features.
  const all = models.map((m) => m.row);
  const features = usableFeatures(all);
  if (families.length >= 2 && features.length && models.length >= 4) {
    const a = looNearestCentroid(matrix(all, features), models.map((m) => m.family));
    const p = permutationP(matrix(all, features), models.map((m) => m.family), a);
    claims.push({
      pair, claim: `the fingerprint separates the ${families.length} families`,
      value: `leave-one-out nearest-centroid accuracy ${fmt(a, 2)} over ${models.length} models (chance ${fmt(1 / families.length, 2)}, permutation p ${fmt(p)}), ${features.length} features`,
      verdict: a >= SEPARATES && p <= ALPHA ? 'holds' : 'does not hold',
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
    const p = f.length ? permutationP(matrix(rows, f), halves, a) : NaN;
    claims.push({
      pair, claim: 'control: the fingerprint does not separate seeds of one regime (dense, even vs odd runs)',
      value: `leave-one-out accuracy ${fmt(a, 2)} over ${dense.length} models (chance 0.50, permutation p ${fmt(p)}): the noise floor`,
      verdict: p > ALPHA ? 'holds' : 'does not hold',
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
