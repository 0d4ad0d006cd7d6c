/**
 * The multi-task study's claims, computed from its rows (docs/multitask.md, "Claims"): the paper's
 * (C1–C4) and the weight lens's (W1–W3). Every verdict follows from the numbers by the rule it
 * states, with the thresholds below; nothing is decided by hand. Pure functions over rows.
 *
 * Words used in the rules:
 * - accurate: mean task accuracy (clean test looks) ≥ `accurate`;
 * - disentangled: centre-normalised OOD r² ≥ `disentangled` (the paper's form ≥ 1 − ¼·(1 − 0.5) ≈ 0.87
 *   when the held-out orthant's centre error is the uniform ¼ of the latent variance);
 * - entangled: centre-normalised OOD r² ≤ `entangled` (0: no better than predicting the held-out
 *   orthant's centre, which already scores 0.75 in the paper's form).
 */
import type { ClaimResult, Verdict } from '../../../report/claims.js';
import type { ResultRow } from '../../../core/results.js';
import { deriveSeed, Rng } from '../../../core/rng.js';
import { spearman } from '../../../stats/describe.js';

export type { ClaimResult, Verdict };

export const MULTITASK_THRESHOLDS = {
  accurate: 0.9,
  disentangled: 0.5,
  entangled: 0,
  /** C1: OOD r² "rises" when Spearman ρ(K, median) ≥ this and the largest K beats the smallest by `minRise`. */
  rising: 0.7,
  minRise: 0.1,
  /** C2: σ = 0 falls short of the best σ > 0 by at least this (paper-form OOD r², medians). */
  noiseGap: 0.1,
  /** C3: share of (network, D, σ, K) settings that must be accurate for "accuracy high for every K". */
  accurateShare: 0.9,
  /** W1/W3: fewest models per group; bootstrap resamples. */
  minGroup: 3,
  bootstrap: 1000,
  /** W2: a retention below this counts as fallen. */
  fallen: 0.5,
};

/** A row as a record of its columns. */
export type Row = ResultRow & Record<string, unknown>;

export const num = (r: Row, k: string): number => (typeof r[k] === 'number' ? (r[k] as number) : NaN);

export function median(values: number[]): number {
  const s = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

export function mean(values: number[]): number {
  const v = values.filter(Number.isFinite);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
}

const f = (x: number, digits = 2): string => (Number.isFinite(x) ? x.toFixed(digits) : '—');

/** The baseline rows: one per model. */
export const modelRows = (rows: Row[]): Row[] => rows.filter((r) => r.probe === 'baseline' && r.variant === 'reference');

/** Group rows by a key, keeping first-seen order. */
export function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const t of items) {
    const k = key(t);
    if (!m.has(k)) m.set(k, []);
    m.get(k)!.push(t);
  }
  return m;
}

const sorted = (xs: number[]): number[] => [...new Set(xs)].sort((a, b) => a - b);

export const isAccurate = (r: Row): boolean => num(r, 'accuracy') >= MULTITASK_THRESHOLDS.accurate;
export const isDisentangled = (r: Row): boolean => num(r, 'ood_r2_centre') >= MULTITASK_THRESHOLDS.disentangled;
export const isEntangled = (r: Row): boolean => num(r, 'ood_r2_centre') <= MULTITASK_THRESHOLDS.entangled;

/** Median OOD r² (paper form) per K of one group of models. */
function curveOverK(models: Row[], metric = 'ood_r2'): { K: number; value: number }[] {
  return sorted(models.map((r) => num(r, 'tasks'))).map((K) => ({ K, value: median(models.filter((r) => num(r, 'tasks') === K).map((r) => num(r, metric))) }));
}

const groupLabel = (r: Row): string => `${r.model} D=${num(r, 'latent_dim')} σ=${num(r, 'noise')}`;

// ---------------------------------------------------------------------------------------------
// C1: OOD r² rises with K, with a jump near K = D + 1

function c1(models: Row[]): ClaimResult {
  const T = MULTITASK_THRESHOLDS;
  const groups = groupBy(models.filter((r) => num(r, 'noise') > 0), groupLabel);
  const evidence: string[] = [];
  let rises = 0, jumps = 0, tested = 0;
  for (const [label, g] of groups) {
    const curve = curveOverK(g);
    if (curve.length < 3) continue;
    tested++;
    const D = num(g[0], 'latent_dim');
    const rho = spearman(curve.map((c) => c.K), curve.map((c) => c.value));
    const rise = curve[curve.length - 1].value - curve[0].value;
    const up = rho >= T.rising && rise >= T.minRise;
    // the step that spans D + 1: K_i < D + 1 ≤ K_{i+1}
    let best = -1, bestGain = -Infinity;
    for (let i = 0; i + 1 < curve.length; i++) {
      const gain = curve[i + 1].value - curve[i].value;
      if (gain > bestGain) [best, bestGain] = [i, gain];
    }
    const expected = curve.findIndex((c, i) => i + 1 < curve.length && c.K < D + 1 && curve[i + 1].K >= D + 1);
    const near = expected >= 0 && Math.abs(best - expected) <= 1;
    if (up) rises++;
    if (up && near) jumps++;
    evidence.push(
      `${label}: median OOD r² ${curve.map((c) => `K=${c.K} ${f(c.value)}`).join(', ')}; ρ = ${f(rho)}; ` +
      `largest step K=${curve[best]?.K}→${curve[best + 1]?.K} (+${f(bestGain)})${expected >= 0 ? `, the step spanning D+1=${D + 1} is K=${curve[expected].K}→${curve[expected + 1].K}` : ''}`,
    );
  }
  const verdict: Verdict = tested === 0 ? 'not tested' : rises === tested && jumps >= tested / 2 ? 'holds' : rises === 0 ? 'does not hold' : 'mixed';
  if (tested === 0) evidence.push('needs σ > 0 and at least 3 values of K');
  else evidence.unshift(`rises in ${rises} of ${tested} settings; the largest step within one step of D+1 in ${jumps} of them`);
  return {
    id: 'C1', claim: 'OOD r² rises with the number of tasks K, with a jump near K = D + 1 (trilateration needs D + 1 distances)', verdict,
    rule: `per network, D and σ > 0: the median OOD r² (paper form) over runs at each K "rises" when Spearman ρ(K, median) ≥ ${T.rising} and the largest K beats the smallest by ≥ ${T.minRise}; ` +
      'the jump is "near D + 1" when the largest step between consecutive K is the step spanning D + 1 or next to it. Holds when every setting rises and at least half jump near D + 1; does not hold when none rises.',
    evidence,
  };
}

// ---------------------------------------------------------------------------------------------
// C2: without noise the representation does not disentangle

function c2(models: Row[]): ClaimResult {
  const T = MULTITASK_THRESHOLDS;
  const evidence: string[] = [];
  const parts: boolean[] = [];
  for (const [label, g] of groupBy(models, (r) => `${r.model} D=${num(r, 'latent_dim')}`)) {
    const D = num(g[0], 'latent_dim');
    const enough = g.filter((r) => num(r, 'tasks') >= D + 1);
    const atZero = enough.filter((r) => num(r, 'noise') === 0);
    const noisy = groupBy(enough.filter((r) => num(r, 'noise') > 0), (r) => String(num(r, 'noise')));
    if (!atZero.length || !noisy.size) continue;
    const zero = median(atZero.map((r) => num(r, 'ood_r2')));
    const zeroCentre = median(atZero.map((r) => num(r, 'ood_r2_centre')));
    const best = [...noisy.entries()].map(([s, rs]) => ({ s, v: median(rs.map((r) => num(r, 'ood_r2'))) })).sort((a, b) => b.v - a.v)[0];
    const holds = zeroCentre < T.disentangled && best.v - zero >= T.noiseGap;
    parts.push(holds);
    evidence.push(`${label}, K ≥ D+1: σ=0 median OOD r² ${f(zero)} (centre form ${f(zeroCentre)}) vs best σ=${best.s} ${f(best.v)}`);
  }
  const verdict: Verdict = parts.length === 0 ? 'not tested' : parts.every(Boolean) ? 'holds' : parts.some(Boolean) ? 'mixed' : 'does not hold';
  if (!parts.length) evidence.push('needs σ = 0 and σ > 0 models with K ≥ D + 1');
  return {
    id: 'C2', claim: 'Without noise (σ = 0) the representation does not disentangle', verdict,
    rule: `per network and D, over models with K ≥ D + 1: holds when the σ = 0 models are not disentangled (median centre-normalised OOD r² < ${T.disentangled}) ` +
      `and their median OOD r² (paper form) is at least ${T.noiseGap} below the best σ > 0; holds overall when it holds for every network and D.`,
    evidence,
  };
}

// ---------------------------------------------------------------------------------------------
// C3: accuracy is high for every K while OOD r² is not

function c3(models: Row[]): ClaimResult {
  const T = MULTITASK_THRESHOLDS;
  const settings = groupBy(models, (r) => `${groupLabel(r)} K=${num(r, 'tasks')}`);
  const accurateSettings = [...settings.values()].filter((g) => mean(g.map((r) => num(r, 'accuracy'))) >= T.accurate).length;
  const accurate = models.filter(isAccurate);
  const ent = accurate.filter(isEntangled);
  const dis = accurate.filter(isDisentangled);
  const rho = spearman(accurate.map((r) => num(r, 'accuracy')), accurate.map((r) => num(r, 'ood_r2_centre')));
  const share = settings.size ? accurateSettings / settings.size : NaN;
  const both = ent.length > 0 && dis.length > 0;
  const verdict: Verdict = !models.length ? 'not tested' : both && share >= T.accurateShare ? 'holds' : both ? 'mixed' : 'does not hold';
  return {
    id: 'C3', claim: 'Task accuracy is high for every K while OOD r² is not: an accuracy benchmark cannot tell disentangled models from entangled ones', verdict,
    rule: `a setting (network, D, σ, K) is accurate when its mean accuracy ≥ ${T.accurate}. Holds when at least ${T.accurateShare * 100}% of the settings are accurate and the accurate models ` +
      `include both entangled (centre-normalised OOD r² ≤ ${T.entangled}) and disentangled (≥ ${T.disentangled}) ones; mixed when both exist but fewer settings are accurate; does not hold when accurate models are all on one side.`,
    evidence: [
      `${accurateSettings} of ${settings.size} settings accurate (${f(100 * share, 0)}%)`,
      `accurate models: ${accurate.length} of ${models.length}; entangled ${ent.length} (mean accuracy ${f(mean(ent.map((r) => num(r, 'accuracy'))), 3)}), disentangled ${dis.length} (mean accuracy ${f(mean(dis.map((r) => num(r, 'accuracy'))), 3)})`,
      `Spearman ρ(accuracy, centre-normalised OOD r²) over the accurate models: ${f(rho)}`,
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// C4: architecture

/** The smallest K at which a group's median centre-normalised OOD r² reaches "disentangled", or null. */
function firstDisentangledK(g: Row[]): number | null {
  const c = curveOverK(g, 'ood_r2_centre').find((p) => p.value >= MULTITASK_THRESHOLDS.disentangled);
  return c ? c.K : null;
}

function c4(models: Row[], transformerReason: string): ClaimResult {
  const kinds = [...new Set(models.map((r) => String(r.model)))];
  const evidence: string[] = [];
  for (const [label, g] of groupBy(models.filter((r) => num(r, 'noise') > 0), groupLabel)) {
    const K = firstDisentangledK(g);
    evidence.push(`${label}: first disentangled at ${K === null ? 'no K tried' : `K = ${K}`}`);
  }
  evidence.unshift(`networks trained: ${kinds.join(', ')}; transformer: ${transformerReason}`);
  return {
    id: 'C4', claim: 'Architecture: transformers disentangle with fewer tasks than other networks (the paper: the result holds for RNNs and GPT-2 transformers)',
    verdict: 'not tested',
    rule: 'compares, per network, the smallest K whose median centre-normalised OOD r² reaches the disentangled threshold; a verdict needs a transformer among the networks.',
    evidence,
  };
}

// ---------------------------------------------------------------------------------------------
// W1: which graph statistics and probe outcomes separate disentangled from entangled models

/** Cohen's d of two samples (pooled sd) with a percentile bootstrap 95% CI (resampling within each group). */
export function effectSize(a: number[], b: number[], seed: number, resamples = MULTITASK_THRESHOLDS.bootstrap): { d: number; lo: number; hi: number } {
  const x = a.filter(Number.isFinite), y = b.filter(Number.isFinite);
  const cohen = (p: number[], q: number[]): number => {
    const mp = mean(p), mq = mean(q);
    const vp = p.reduce((s, v) => s + (v - mp) ** 2, 0) / (p.length - 1);
    const vq = q.reduce((s, v) => s + (v - mq) ** 2, 0) / (q.length - 1);
    const pooled = Math.sqrt(((p.length - 1) * vp + (q.length - 1) * vq) / (p.length + q.length - 2));
    return pooled > 0 ? (mp - mq) / pooled : NaN;
  };
  if (x.length < 2 || y.length < 2) return { d: NaN, lo: NaN, hi: NaN };
  const d = cohen(x, y);
  const rng = new Rng(seed);
  const draws: number[] = [];
  const pick = (v: number[]): number[] => Array.from({ length: v.length }, () => v[rng.int(v.length)]);
  for (let k = 0; k < resamples; k++) {
    const v = cohen(pick(x), pick(y));
    if (Number.isFinite(v)) draws.push(v);
  }
  draws.sort((p, q) => p - q);
  const at = (p: number): number => (draws.length ? draws[Math.min(draws.length - 1, Math.floor(p * draws.length))] : NaN);
  return { d, lo: at(0.025), hi: at(0.975) };
}

/** The graph statistics of the weight lens (columns of a model's row). */
export const GRAPH_FEATURES = [
  'fraction_positive', 'imbalance_sd_in', 'imbalance_sd_out', 'imbalance_sd_in_z', 'imbalance_sd_out_z', 'nodf_positive', 'nodf_positive_z',
  'assortativity_positive', 'assortativity_positive_z', 'communities', 'modularity', 'modularity_z', 'community_latent_nmi', 'percolation_all', 'percolation_positive',
  'percolation_negative', 'spectral_alpha', 'stable_rank',
];

export const probeLabel = (r: Pick<Row, 'probe' | 'variant' | 'level'>): string =>
  `${r.probe}${r.variant !== 'reference' ? ` ${r.variant}` : ''}${r.level ? ` ${r.level}` : ''}`;

export interface Feature {
  name: string;
  /** graph statistic, or a probe's accuracy retention */
  kind: 'graph' | 'probe';
  value: (m: Row) => number;
}

/** Accuracy retention of every probe of a model: (acc_probed − ½)/(acc − ½), by probe label. */
export function probeRetention(rows: Row[]): Map<string, Map<string, number>> {
  const base = new Map(modelRows(rows).map((r) => [`${r.task}|${r.run}`, r]));
  const out = new Map<string, Map<string, number>>();
  for (const r of rows) {
    if (r.probe === 'baseline') continue;
    const b = base.get(`${r.task}|${r.run}`);
    if (!b) continue;
    const label = probeLabel(r);
    if (!out.has(label)) out.set(label, new Map());
    out.get(label)!.set(`${r.task}|${r.run}`, (num(r, 'accuracy') - 0.5) / (num(b, 'accuracy') - 0.5));
  }
  return out;
}

export function features(rows: Row[]): Feature[] {
  const list: Feature[] = GRAPH_FEATURES.map((name) => ({ name, kind: 'graph' as const, value: (m: Row) => num(m, name) }));
  for (const [label, byModel] of probeRetention(rows)) {
    list.push({ name: `${label} (accuracy kept)`, kind: 'probe', value: (m: Row) => byModel.get(`${m.task}|${m.run}`) ?? NaN });
  }
  return list;
}

export interface Separation {
  feature: Feature;
  d: number;
  lo: number;
  hi: number;
  disentangled: number;
  entangled: number;
}

/** Effect sizes (disentangled − entangled, accurate models only) of every feature, largest |d| first. */
export function separations(rows: Row[], seed: number): { accurate: Row[]; dis: Row[]; ent: Row[]; table: Separation[] } {
  const accurate = modelRows(rows).filter(isAccurate);
  const dis = accurate.filter(isDisentangled);
  const ent = accurate.filter(isEntangled);
  const table = features(rows).map((feature) => {
    const a = dis.map(feature.value), b = ent.map(feature.value);
    return { feature, ...effectSize(a, b, deriveSeed(seed, 'bootstrap', feature.name)), disentangled: mean(a), entangled: mean(b) };
  });
  table.sort((p, q) => (Number.isFinite(q.d) ? Math.abs(q.d) : -1) - (Number.isFinite(p.d) ? Math.abs(p.d) : -1));
  return { accurate, dis, ent, table };
}

const separates = (s: Separation): boolean => s.lo > 0 || s.hi < 0;

function w1(rows: Row[], seed: number): ClaimResult {
  const T = MULTITASK_THRESHOLDS;
  const { dis, ent, table } = separations(rows, seed);
  const rule = `accurate models (accuracy ≥ ${T.accurate}) split into disentangled (centre-normalised OOD r² ≥ ${T.disentangled}) and entangled (≤ ${T.entangled}); ` +
    `per feature, Cohen's d (disentangled − entangled) with a ${T.bootstrap}-resample percentile bootstrap 95% CI over models; a feature separates when its CI excludes 0. ` +
    `Holds when some graph statistic separates; not tested with fewer than ${T.minGroup} models in a group.`;
  const claim = 'Weight-graph statistics (and probe curves) separate disentangled from entangled models at equal accuracy';
  if (dis.length < T.minGroup || ent.length < T.minGroup) {
    return { id: 'W1', claim, verdict: 'not tested', rule, evidence: [`accurate disentangled models: ${dis.length}, accurate entangled: ${ent.length}`] };
  }
  const graph = table.filter((s) => s.feature.kind === 'graph' && separates(s));
  const probes = table.filter((s) => s.feature.kind === 'probe' && separates(s));
  const line = (s: Separation): string => `${s.feature.name}: d = ${f(s.d)} [${f(s.lo)}, ${f(s.hi)}] (means ${f(s.disentangled, 3)} vs ${f(s.entangled, 3)})`;
  return {
    id: 'W1', claim, verdict: graph.length ? 'holds' : 'does not hold', rule,
    evidence: [
      `${dis.length} disentangled (mean accuracy ${f(mean(dis.map((r) => num(r, 'accuracy'))), 3)}) vs ${ent.length} entangled (${f(mean(ent.map((r) => num(r, 'accuracy'))), 3)})`,
      `graph statistics that separate: ${graph.length} of ${table.filter((s) => s.feature.kind === 'graph').length}`,
      ...graph.slice(0, 5).map(line),
      `probe outcomes that separate: ${probes.length} of ${table.filter((s) => s.feature.kind === 'probe').length}`,
      ...probes.slice(0, 3).map(line),
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// W2: does perturbation destroy the abstraction before the accuracy?

export interface ProbeCurvePoint {
  level: number;
  /** Medians over the disentangled accurate models. */
  accuracyKept: number;
  abstractionKept: number;
  models: number;
}

/** Per probe family and variant: median retentions at each level, over disentangled accurate models. */
export function probeCurves(rows: Row[]): Map<string, ProbeCurvePoint[]> {
  const models = new Map(modelRows(rows).filter((r) => isAccurate(r) && isDisentangled(r)).map((r) => [`${r.task}|${r.run}`, r]));
  const byProbe = groupBy(rows.filter((r) => r.probe !== 'baseline' && models.has(`${r.task}|${r.run}`)), (r) => `${r.probe}${r.variant !== 'reference' ? ` ${r.variant}` : ''}`);
  const out = new Map<string, ProbeCurvePoint[]>();
  for (const [name, rs] of byProbe) {
    const points = [...groupBy(rs, (r) => String(r.level)).entries()].map(([, at]) => {
      const acc: number[] = [], abs: number[] = [];
      for (const r of at) {
        const b = models.get(`${r.task}|${r.run}`)!;
        acc.push((num(r, 'accuracy') - 0.5) / (num(b, 'accuracy') - 0.5));
        abs.push(num(r, 'ood_r2_centre') / num(b, 'ood_r2_centre'));
      }
      return { level: at[0].level, accuracyKept: median(acc), abstractionKept: median(abs), models: at.length };
    });
    out.set(name, points.sort((a, b) => a.level - b.level));
  }
  return out;
}

function w2(rows: Row[]): ClaimResult {
  const T = MULTITASK_THRESHOLDS;
  const curves = probeCurves(rows);
  const evidence: string[] = [];
  const families = groupBy([...curves.entries()], ([name]) => name.split(' ')[0]);
  const parts: boolean[] = [];
  for (const [family, list] of families) {
    const verdicts: boolean[] = [];
    for (const [name, points] of list) {
      let first: boolean;
      if (points.length > 1) {
        const fallAcc = points.find((p) => p.accuracyKept < T.fallen)?.level ?? Infinity;
        const fallAbs = points.find((p) => p.abstractionKept < T.fallen)?.level ?? Infinity;
        first = fallAbs < fallAcc;
        evidence.push(`${name}: OOD r² kept < ${T.fallen} from level ${Number.isFinite(fallAbs) ? fallAbs : 'never'}, accuracy from ${Number.isFinite(fallAcc) ? fallAcc : 'never'} ` +
          `(${points.map((p) => `${p.level}: ${f(p.abstractionKept)}/${f(p.accuracyKept)}`).join(', ')})`);
      } else {
        const p = points[0];
        first = p.abstractionKept < p.accuracyKept - 0.1;
        evidence.push(`${name}: OOD r² kept ${f(p.abstractionKept)}, accuracy kept ${f(p.accuracyKept)}`);
      }
      verdicts.push(first);
    }
    parts.push(verdicts.filter(Boolean).length * 2 > verdicts.length);
    evidence.push(`→ ${family}: ${verdicts.filter(Boolean).length} of ${verdicts.length} variants destroy the abstraction first`);
  }
  const verdict: Verdict = parts.length === 0 ? 'not tested' : parts.every(Boolean) ? 'holds' : parts.some(Boolean) ? 'mixed' : 'does not hold';
  if (!parts.length) evidence.push('no disentangled accurate model to probe');
  return {
    id: 'W2', claim: 'Perturbing the weights destroys the abstraction (OOD r²) before it destroys the accuracy', verdict,
    rule: `over the disentangled accurate models, per probe: accuracy kept = (acc_probed − ½)/(acc − ½), abstraction kept = (centre-normalised OOD r²)_probed / (…)_unprobed, medians; ` +
      `a curve destroys the abstraction first when its abstraction kept falls below ${T.fallen} at a lower level than its accuracy kept (a one-point probe: abstraction kept at least 0.1 below accuracy kept). ` +
      'A family counts when most of its variants do; holds when every family does (value pairs: abstraction kept / accuracy kept).',
    evidence,
  };
}

// ---------------------------------------------------------------------------------------------
// W3: what a disentangled model's hidden graph looks like

export interface Exemplars {
  disentangled: Row | null;
  entangled: Row | null;
}

/** The most disentangled and the most entangled accurate models (of the latent dimension the first one has). */
export function exemplars(rows: Row[]): Exemplars {
  const accurate = modelRows(rows).filter(isAccurate);
  const byOod = [...accurate].filter((r) => Number.isFinite(num(r, 'ood_r2_centre'))).sort((a, b) => num(b, 'ood_r2_centre') - num(a, 'ood_r2_centre'));
  const dis = byOod.find(isDisentangled) ?? null;
  const ent = [...byOod].reverse().find((r) => isEntangled(r) && (!dis || num(r, 'latent_dim') === num(dis, 'latent_dim'))) ?? null;
  return { disentangled: dis, entangled: ent };
}

const W3_STATS = ['communities', 'modularity', 'modularity_z', 'community_latent_nmi', 'fraction_positive', 'imbalance_sd_out_z', 'nodf_positive_z'];

function w3(rows: Row[], seed: number, link: (m: Row) => string): ClaimResult {
  const T = MULTITASK_THRESHOLDS;
  const { dis, ent, table } = separations(rows, seed);
  const claim = "A disentangled model's hidden graph has communities that follow the latent variables (community–latent NMI above the entangled models')";
  const rule = 'community–latent NMI: the Louvain communities of the hidden layer\'s positive subgraph against each representation unit\'s best-correlated latent and sign; ' +
    `holds when its Cohen's d (disentangled − entangled accurate models) has a bootstrap 95% CI above 0, does not hold when the CI includes or is below 0; not tested with fewer than ${T.minGroup} models in a group.`;
  const ex = exemplars(rows);
  const describe = (label: string, m: Row | null): string =>
    m ? `${label}: ${m.task} run ${m.run} (accuracy ${f(num(m, 'accuracy'), 3)}, OOD r² ${f(num(m, 'ood_r2'))}, centre form ${f(num(m, 'ood_r2_centre'))}): ` +
      `${W3_STATS.map((s) => `${s} ${f(num(m, s))}`).join(', ')}; ${link(m)}` : `${label}: none`;
  const evidence = [describe('most disentangled', ex.disentangled), describe('most entangled', ex.entangled)];
  if (dis.length < T.minGroup || ent.length < T.minGroup) return { id: 'W3', claim, verdict: 'not tested', rule, evidence };
  const nmi = table.find((s) => s.feature.name === 'community_latent_nmi')!;
  for (const s of table.filter((x) => x.feature.kind === 'graph' && W3_STATS.includes(x.feature.name))) {
    evidence.push(`${s.feature.name}: ${f(s.disentangled, 3)} (disentangled) vs ${f(s.entangled, 3)} (entangled), d = ${f(s.d)} [${f(s.lo)}, ${f(s.hi)}]`);
  }
  return { id: 'W3', claim, verdict: nmi.lo > 0 ? 'holds' : 'does not hold', rule, evidence };
}

/** Every claim of the study, from its rows. */
export function evaluateMultitaskClaims(rows: Row[], options: { seed: number; transformerReason: string; link: (m: Row) => string }): ClaimResult[] {
  const models = modelRows(rows);
  return [c1(models), c2(models), c3(models), c4(models, options.transformerReason), w1(rows, options.seed), w2(rows), w3(rows, options.seed, options.link)];
}
