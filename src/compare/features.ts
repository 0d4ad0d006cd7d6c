/**
 * Features shared by every kind of fingerprint: the summary of a probe curve (area, the level
 * where the metric falls halfway to chance), of a unit-ablation profile, and the data-free graph
 * statistics of the layers (the `stats --all-layers` columns the fingerprint keeps).
 */
import { UserError } from '../core/errors.js';
import type { LayerRecord } from '../core/layer.js';
import { getNullModel } from '../randomize/index.js';
import { layerTableRow } from '../report/layer-table.js';
import type { FingerprintCurve } from './types.js';

/** The column infix of a curve: the probe's name for its reference variant, `<probe>_<variant>` otherwise. */
export function curveKey(probe: string, variant: string): string {
  return variant === 'reference' ? probe : `${probe}_${variant}`;
}

/**
 * Area and halfway level of a curve. `auc`: the trapezoid area under the metric against the
 * level (against log2 level on a `log2` axis), divided by the axis range — the curve's mean
 * metric; the value itself for one level. `half`: the level where the metric first falls to
 * chance + (baseline − chance)/2, linear between levels on the axis; the first level if it starts
 * there, the last level if it never falls that far (censored); null when the baseline is at or
 * below chance.
 */
export function summarizeCurve(curve: Pick<FingerprintCurve, 'axis' | 'points'>, baseline: number, chance: number): { auc: number; half: number | null } {
  const pts = curve.points.slice().sort((a, b) => a.level - b.level);
  if (pts.length === 0) throw new UserError('a probe curve needs at least one level');
  const x = (level: number): number => {
    if (curve.axis === 'log2') {
      if (!(level > 0)) throw new UserError(`a curve on a log axis needs levels > 0, got ${level}`);
      return Math.log2(level);
    }
    return level;
  };
  let auc = pts[0].metric;
  const range = x(pts[pts.length - 1].level) - x(pts[0].level);
  if (pts.length > 1 && range > 0) {
    let area = 0;
    for (let k = 1; k < pts.length; k++) area += ((x(pts[k].level) - x(pts[k - 1].level)) * (pts[k].metric + pts[k - 1].metric)) / 2;
    auc = area / range;
  }
  if (!(baseline > chance)) return { auc, half: null };
  const threshold = chance + (baseline - chance) / 2;
  if (pts[0].metric <= threshold) return { auc, half: pts[0].level };
  for (let k = 1; k < pts.length; k++) {
    if (pts[k].metric <= threshold) {
      const a = pts[k - 1], b = pts[k];
      const t = (a.metric - threshold) / (a.metric - b.metric);
      const at = x(a.level) + t * (x(b.level) - x(a.level));
      return { auc, half: curve.axis === 'log2' ? 2 ** at : at };
    }
  }
  return { auc, half: pts[pts.length - 1].level };
}

/** The feature columns of a set of curves: `auc_<key>`, `half_<key>`, or `at_<key>` for a one-level curve. */
export function curveFeatures(curves: readonly FingerprintCurve[], baseline: number, chance: number): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const c of curves) {
    if (c.points.length === 1) {
      out[`at_${c.key}`] = c.points[0].metric;
      continue;
    }
    const { auc, half } = summarizeCurve(c, baseline, chance);
    out[`auc_${c.key}`] = auc;
    out[`half_${c.key}`] = half;
  }
  return out;
}

/**
 * The profile of a unit ablation (drops = full − metric with one unit removed): `ablation_mean_drop`,
 * `ablation_max_drop`, and `ablation_matter`, the fraction of units whose drop exceeds
 * `matters`·(full − chance) — how many units matter.
 */
export function ablationFeatures(drops: ArrayLike<number>, full: number, chance: number, matters: number): Record<string, number | null> {
  const n = drops.length;
  if (n === 0) return { ablation_mean_drop: null, ablation_max_drop: null, ablation_matter: null };
  let sum = 0, max = -Infinity, matter = 0;
  const bar = matters * Math.max(0, full - chance);
  for (let k = 0; k < n; k++) {
    sum += drops[k];
    if (drops[k] > max) max = drops[k];
    if (drops[k] > bar) matter++;
  }
  return { ablation_mean_drop: sum / n, ablation_max_drop: max, ablation_matter: matter / n };
}

/** The graph statistics a fingerprint keeps of every layer (columns `<name>_l<depth>`): docs/statistics.md. */
export const GRAPH_FEATURES = [
  'density', 'frac_pos', 'pc_all', 'pc_pos', 'pc_neg', 'alpha', 'stable_rank',
  'z_nodf_pos', 'z_nodf_neg', 'z_assortativity', 'z_assortativity_pos', 'z_assortativity_neg',
] as const;

export interface GraphFeatureOptions {
  /** The null model of the z-scores (a name of src/randomize; default `curveball`: every unit's k+ and k− kept), or null for none. */
  nullModel?: string | null;
  /** Null samples per layer (default 20). */
  samples?: number;
  seed?: number;
  /** z-scores only for layers of at most this many weights (default 2¹⁸; null samples of larger layers take seconds each). */
  nullMaxWeights?: number;
  /** Called before each layer (progress). */
  onLayer?: (k: number, total: number) => void;
  /** Called for each layer whose z-scores were left out (larger than nullMaxWeights). */
  onSkip?: (layer: string, weights: number) => void;
}

export const GRAPH_DEFAULTS = { nullModel: 'curveball', samples: 20, nullMaxWeights: 1 << 18 } as const;

/**
 * The data-free part of every fingerprint: per layer (by depth k) its density, fraction positive,
 * percolation critical fractions, spectral α and stable rank, and the sign-degree z-scores against
 * a null model (for layers of at most `nullMaxWeights` weights) — `layerTableRow` of `stats
 * --all-layers`, the same numbers. Scale-free on purpose
 * (no norms or σ(w)): a model and the same function with its weights rescaled agree on all of them.
 */
export function graphFeatures(layers: readonly LayerRecord[], options: GraphFeatureOptions = {}): Record<string, number | null> {
  const nullModel = options.nullModel === undefined ? GRAPH_DEFAULTS.nullModel : options.nullModel;
  const out: Record<string, number | null> = {};
  const maxWeights = options.nullMaxWeights ?? GRAPH_DEFAULTS.nullMaxWeights;
  layers.forEach((layer, k) => {
    options.onLayer?.(k, layers.length);
    const withNull = nullModel !== null && layer.weights.length <= maxWeights;
    if (nullModel && !withNull) options.onSkip?.(layer.name, layer.weights.length);
    const row = layerTableRow(layer, k, { kind: 'dense' }, {
      ...(withNull ? { nullModel, samples: options.samples ?? GRAPH_DEFAULTS.samples, seed: options.seed ?? 1 } : {}),
    });
    for (const f of GRAPH_FEATURES) {
      if (!withNull && f.startsWith('z_')) continue;
      const v = row[f];
      out[`${f}_l${k}`] = typeof v === 'number' && Number.isFinite(v) ? v : null;
    }
  });
  return out;
}

/** Check a null model's name early (one line naming the choices), before any model is fingerprinted. */
export function checkNullModel(name: string): void {
  getNullModel(name);
}
