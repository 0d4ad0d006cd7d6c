/**
 * One row of the layer-by-layer table (`weightscope stats MODEL --all-layers`): every statistic of
 * one layer, its eigenvalue spectrum, and z-scores against null models. Pure computation over the
 * layer record (stats + randomize, no DOM), so the worker threads of layer-table.ts import it alone.
 */
import type { Rng } from '../core/rng.js';
import { UserError } from '../core/errors.js';
import type { LayerRecord } from '../core/layer.js';
import {
  assortativityFromDegrees, kernelPositionMatrices, layerEigenvalues, layerZScores, nodf, NODF_DEFAULT_MAX_WEIGHTS, percolationBySign, pooledEigenvalues,
  spectrumStatistics, squaredNorm, summarize, unitStats, weightSummary, WW_CONV_SCALE,
  type EsdConvention, type LayerStatistic, type SpectralStats, type ZScore,
} from '../stats/index.js';
import { randomizeLayer } from '../randomize/index.js';

/** What the table knows about a layer besides its weights (from the model file's inventory). */
export interface LayerMeta {
  kind: string;
  orientation?: string;
  dtype?: string;
  params?: number;
  /** The file's tensor this layer comes from (fused q/k/v parts share one). */
  tensor?: string;
  /** Part `index` of `of` of a fused tensor, along the output axis. */
  part?: { index: number; of: number };
  /** Convolutions: the kernel window and how the record maps it (docs/formats.md). */
  conv?: { window: number[]; mapping: string };
}

export interface LayerTableOptions {
  /** Null models for z-scores (none when absent); a single name is the same as a list of one. */
  nullModel?: string | string[];
  samples?: number;
  seed?: number;
  /** NODF above NODF_DEFAULT_MAX_WEIGHTS too (slow). */
  nestedness?: boolean;
  /** Spectral diagnostics (default true). */
  spectral?: boolean;
  /** How the eigenvalue spectrum is formed (default `weightscope`: the record's WᵀW). */
  esd?: EsdConvention;
}

export type LayerTableRow = Record<string, string | number | null>;

/** The null models of the options, as a list. */
export function nullModelsOf(options: LayerTableOptions): string[] {
  const n = options.nullModel;
  return n === undefined ? [] : Array.isArray(n) ? n : [n];
}

/**
 * The name of a null-model column: as given with a single null model (`z_alpha`), suffixed by the
 * model with several (`z_alpha_curveball`).
 */
export function nullColumn(column: string, method: string, methods: readonly string[]): string {
  return methods.length > 1 ? `${column}_${method}` : column;
}

/** z-score columns of the graph statistics (SCALAR_STATISTICS), before any null-model suffix. */
export const Z_COLUMNS: Record<string, string> = {
  'nodf+': 'z_nodf_pos', 'nodf-': 'z_nodf_neg', 'assortativity+': 'z_assortativity_pos', 'assortativity-': 'z_assortativity_neg', assortativity: 'z_assortativity',
};

/** The spectral statistics scored against null models, and their columns (null mean, z-score). */
export const SPECTRAL_NULL_STATISTICS = {
  alpha: { null: 'null_alpha', z: 'z_alpha', of: (s: SpectralStats) => s.alpha },
  stable_rank: { null: 'null_stable_rank', z: 'z_stable_rank', of: (s: SpectralStats) => s.stableRank },
  spectral_norm: { null: 'null_spectral_norm', z: 'z_spectral_norm', of: (s: SpectralStats) => s.spectralNorm },
} as const;

const num = (x: number): number | null => (Number.isFinite(x) ? x : null);

/**
 * Where a layer's spectrum comes from under a convention: `positions` (WeightWatcher's Conv2D:
 * one matrix per kernel position of the unfolded record, eigenvalues pooled and scaled), or a
 * `fused` record (WeightWatcher's fused attention in_proj: the whole tensor as one matrix).
 */
export interface SpectrumPlan {
  positions?: number;
  scale?: number;
  fused?: LayerRecord;
  /** What the spectrum is of, for the table's `esd` column. */
  what: string;
}

/** The plan for a layer under a convention (the fused record, when any, is passed in by the caller). */
export function spectrumPlan(layer: LayerRecord, meta: LayerMeta, esd: EsdConvention = 'weightscope', fused?: LayerRecord): SpectrumPlan {
  if (esd === 'weightwatcher' && meta.conv) {
    const positions = meta.conv.window.reduce((a, b) => a * b, 1);
    if (meta.conv.mapping !== 'unfold') throw new UserError(`layer '${layer.name}': WeightWatcher's convolution convention needs the unfolded record (--conv unfold)`);
    const cIn = layer.shape[0] / positions;
    return { positions, scale: WW_CONV_SCALE, what: `${positions} kernel positions × [${cIn}, ${layer.shape[1]}], eigenvalues × ${WW_CONV_SCALE}` };
  }
  if (esd === 'weightwatcher' && fused) return { fused, what: `fused tensor [${fused.shape[0]}, ${fused.shape[1]}]` };
  return { what: 'layer' };
}

/** Eigenvalues of WᵀW (ascending, ≥ 0) of a record under a plan (the fused record is the caller's to pass as `layer`). */
export function planEigenvalues(layer: LayerRecord, plan: SpectrumPlan): Float64Array {
  if (plan.positions !== undefined && plan.positions > 0) return pooledEigenvalues(kernelPositionMatrices(layer, plan.positions), plan.scale ?? 1);
  return layerEigenvalues(layer);
}

function planStatistics(layer: LayerRecord, plan: SpectrumPlan, eigenvalues: Float64Array): SpectralStats {
  return plan.positions !== undefined ? spectrumStatistics(eigenvalues) : spectrumStatistics(eigenvalues, squaredNorm(layer.weights));
}

/** A layer's spectrum and, per null model, the eigenvalues of all its null samples together. */
export interface LayerSpectrum {
  layer: string;
  what: string;
  eigenvalues: Float64Array;
  alpha: number;
  alphaXMin: number;
  nulls: { method: string; eigenvalues: Float64Array }[];
}

export interface LayerRowResult {
  row: LayerTableRow;
  /** null when spectra are off. */
  spectrum: LayerSpectrum | null;
}

/**
 * The spectral statistics of null samples, computed once per sample whatever the number of
 * statistics asked of it (zScores asks each statistic of the same sample record in turn), with the
 * samples' eigenvalues kept for the ESD plot.
 */
function spectralScorer(plan: SpectrumPlan, observed: { layer: LayerRecord; stats: SpectralStats }) {
  const cache = new WeakMap<LayerRecord, SpectralStats>([[observed.layer, observed.stats]]);
  const pooled: Float64Array[] = [];
  const of = (l: LayerRecord): SpectralStats => {
    let s = cache.get(l);
    if (!s) {
      const ev = planEigenvalues(l, plan);
      pooled.push(ev);
      s = planStatistics(l, plan, ev);
      cache.set(l, s);
    }
    return s;
  };
  const statistics = Object.fromEntries(Object.entries(SPECTRAL_NULL_STATISTICS).map(([k, d]) => [k, (l: LayerRecord) => d.of(of(l))])) as Record<keyof typeof SPECTRAL_NULL_STATISTICS, LayerStatistic>;
  const eigenvalues = (): Float64Array => {
    const out = new Float64Array(pooled.reduce((a, p) => a + p.length, 0));
    let at = 0;
    for (const p of pooled) {
      out.set(p, at);
      at += p.length;
    }
    return out.sort();
  };
  return { statistics, eigenvalues };
}

/** A row without its null-model columns, and the observed spectrum's statistics the null columns need. */
export interface LayerBaseResult extends LayerRowResult {
  observed: SpectralStats | null;
}

/** Every statistic of one layer that needs no null model (and its spectrum, for the ESD plots). */
export function layerTableBase(layer: LayerRecord, depth: number, meta: LayerMeta, options: LayerTableOptions = {}, fused?: LayerRecord): LayerBaseResult {
  const w = weightSummary(layer);
  const units = unitStats(layer);
  const assort = assortativityFromDegrees(layer, units);
  const withNodf = options.nestedness || layer.weights.length <= NODF_DEFAULT_MAX_WEIGHTS;
  const perc = percolationBySign(layer, { points: 2 });
  const row: LayerTableRow = {
    layer: layer.name, kind: meta.kind, depth, n_in: layer.shape[0], n_out: layer.shape[1],
    params: meta.params ?? layer.weights.length + (layer.bias?.length ?? 0), dtype: meta.dtype ?? 'F32', orientation: meta.orientation ?? 'in-out',
    density: w.density, frac_pos: num(w.fractionPositive), sd_w: w.sd,
    k_plus_in: summarize(units.in.kPlus).mean, k_minus_in: summarize(units.in.kMinus).mean,
    k_plus_out: summarize(units.out.kPlus).mean, k_minus_out: summarize(units.out.kMinus).mean,
    s_plus_in: summarize(units.in.sPlus).mean, s_minus_in: summarize(units.in.sMinus).mean,
    s_plus_out: summarize(units.out.sPlus).mean, s_minus_out: summarize(units.out.sMinus).mean,
    assortativity: num(assort.all), assortativity_pos: num(assort.positive), assortativity_neg: num(assort.negative),
    nodf_pos: withNodf ? num(nodf(layer, 'positive').nodf) : null, nodf_neg: withNodf ? num(nodf(layer, 'negative').nodf) : null,
    pc_all: num(perc.all.critical.susceptibility.fractionRemoved),
    pc_pos: num(perc.positive.critical.susceptibility.fractionRemoved),
    pc_neg: num(perc.negative.critical.susceptibility.fractionRemoved),
  };
  const plan = (options.spectral ?? true) ? spectrumPlan(layer, meta, options.esd, fused) : null;
  if (!plan) return { row, spectrum: null, observed: null };
  const spectrumOf = plan.fused ?? layer;
  const eigenvalues = planEigenvalues(spectrumOf, plan);
  const s = planStatistics(spectrumOf, plan, eigenvalues);
  Object.assign(row, {
    spectral_norm: num(s.spectralNorm), frobenius_norm: num(s.frobeniusNorm), stable_rank: num(s.stableRank),
    alpha: num(s.alpha), alpha_xmin: num(s.alphaXMin), alpha_ks: num(s.alphaKs), n_evals: s.nEigenvalues,
  });
  if (options.esd === 'weightwatcher') row.esd = plan.what;
  if (s.alphaNote) row.alpha_note = s.alphaNote;
  return { row, spectrum: { layer: layer.name, what: plan.what, eigenvalues, alpha: s.alpha, alphaXMin: s.alphaXMin, nulls: [] }, observed: s };
}

/** The columns of one null model (z-scores, and the spectrum's null means), and its samples' pooled eigenvalues. */
export interface LayerNullResult {
  method: string;
  columns: LayerTableRow;
  eigenvalues: Float64Array | null;
}

/**
 * The null-model columns of one layer for one null model: z-scores of SCALAR_STATISTICS and of the
 * spectrum's α, stable rank and spectral norm (with their null means), on `options.samples`
 * samples drawn as zScores does from the seed, the model and the layer's name. `observed` is the
 * layer's spectrum statistics (layerTableBase), null when spectra are off.
 */
export function layerNullColumns(
  layer: LayerRecord, meta: LayerMeta, options: LayerTableOptions, method: string, observed: SpectralStats | null, fused?: LayerRecord,
): LayerNullResult {
  const methods = nullModelsOf(options);
  const nullModel = { name: method, sample: (l: LayerRecord, r: Rng): LayerRecord => randomizeLayer(l, method, r) };
  const plan = observed && (options.spectral ?? true) ? spectrumPlan(layer, meta, options.esd, fused) : null;
  const spectrumOf = plan?.fused ?? layer;
  const scorer = plan && observed ? spectralScorer(plan, { layer: spectrumOf, stats: observed }) : null;
  // The spectrum's nulls come from the same samples when it is the record's own; a fused tensor is randomized as one graph.
  const sameRecord = scorer !== null && !plan!.fused;
  const common = { seed: options.seed ?? 0, samples: options.samples ?? 20, nestedness: options.nestedness };
  const z: Record<string, ZScore | undefined> = layerZScores(layer, nullModel, { ...common, ...(sameRecord ? { extra: scorer.statistics } : {}) });
  if (scorer && !sameRecord) Object.assign(z, layerZScores({ ...spectrumOf, name: `${spectrumOf.name} (fused)` }, nullModel, { ...common, scalar: false, extra: scorer.statistics }));
  const columns: LayerTableRow = {};
  for (const [name, column] of Object.entries(Z_COLUMNS)) columns[nullColumn(column, method, methods)] = z[name] ? num(z[name].z) : null;
  if (scorer) {
    for (const [name, d] of Object.entries(SPECTRAL_NULL_STATISTICS)) {
      columns[nullColumn(d.null, method, methods)] = num(z[name]!.mean);
      columns[nullColumn(d.z, method, methods)] = num(z[name]!.z);
    }
  }
  return { method, columns, eigenvalues: scorer ? scorer.eigenvalues() : null };
}

/** A base row completed with its null models' columns (in the options' order) and null spectra. */
export function withNulls(base: LayerRowResult, nulls: LayerNullResult[]): LayerRowResult {
  const row = { ...base.row };
  for (const n of nulls) Object.assign(row, n.columns);
  const spectrum = base.spectrum
    ? { ...base.spectrum, nulls: nulls.flatMap((n) => (n.eigenvalues ? [{ method: n.method, eigenvalues: n.eigenvalues }] : [])) }
    : null;
  return { row, spectrum };
}

/** One row of the table: every statistic of one layer (and its spectrum, for the ESD plots). */
export function layerTableEntry(layer: LayerRecord, depth: number, meta: LayerMeta, options: LayerTableOptions = {}, fused?: LayerRecord): LayerRowResult {
  const base = layerTableBase(layer, depth, meta, options, fused);
  return withNulls(base, nullModelsOf(options).map((m) => layerNullColumns(layer, meta, options, m, base.observed, fused)));
}

/** One row of the table: every statistic of one layer. */
export function layerTableRow(layer: LayerRecord, depth: number, meta: LayerMeta, options: LayerTableOptions = {}): LayerTableRow {
  return layerTableEntry(layer, depth, meta, options).row;
}
