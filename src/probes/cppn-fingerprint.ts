/**
 * The perturbation fingerprint of a picture-drawing network (a FER CPPN, src/model/cppn.ts), with
 * image similarity to the unperturbed picture in place of accuracy (docs/fer.md):
 *
 * - `probeCurves`: the project's five probes (prune, binarize, noise, sign flip, randomize — the
 *   same pure functions of src/probes, on the CPPN's layer records) at a grid of levels;
 * - `sweepWeights`: the FER paper's single-weight sweeps (arXiv 2505.11581, §4: one weight moved
 *   by ±δ while the rest stay): how much the picture changes, how local the change is, whether a
 *   symmetric picture stays symmetric;
 * - `ablateUnits`: every hidden unit removed in turn (its outgoing weights zeroed), the SSIM drop;
 * - `pruneToDensity`: the control — a dense network magnitude-pruned to another's sparsity.
 *
 * Every measurement compares the picture as shown (8-bit RGB) with the unperturbed one: SSIM
 * (src/data/picture.ts), the fraction of pixels changed by more than a threshold, the perturbed
 * picture's own left–right symmetry (SSIM with its mirror image) and the symmetry of the change
 * itself. Results are tidy rows; seeds come from deriveSeed, so every row can be redrawn.
 */
import { UserError } from '../core/errors.js';
import type { LayerRecord } from '../core/layer.js';
import type { ProbeName } from '../core/results.js';
import { Rng, deriveSeed } from '../core/rng.js';
import { mirrorValues, pictureBytes, ssimOfBytes, type RgbImage } from '../data/picture.js';
import { cppnDensity, cppnPlanes, cppnUnitActivations, pictureOf, type Cppn, type CppnActivation, type CppnPlanes } from '../model/cppn.js';
import { applyProbe, isRandomProbe, type ProbeSpec } from './probes.js';
import { REFERENCE_PRUNE_LEVELS, linearGrid, log2Grid } from './sweep.js';

export interface FingerprintOptions {
  /** Pixels a side of every drawing compared (default 128; the authors drew at 256). */
  size?: number;
  /** A pixel has changed when some channel moved by more than this (values in [0, 1]; default 0.1). */
  threshold?: number;
}

export const FINGERPRINT_DEFAULTS = { size: 128, threshold: 0.1 } as const;

/** The unperturbed drawing, prepared once: every unit's plane (for redrawing from a layer on), the picture, its bytes. */
export interface PictureBaseline {
  cppn: Cppn;
  network: string;
  size: number;
  threshold: number;
  planes: CppnPlanes;
  picture: RgbImage;
  bytes: Uint8Array;
  /** SSIM of the picture with its own mirror image. */
  symmetry: number;
}

/** How a perturbed picture differs from the baseline. */
export interface PictureChange {
  /** SSIM to the unperturbed picture (1 = unchanged). */
  ssim: number;
  /** Fraction of pixels changed by more than the threshold: how far the change spreads. */
  changed: number;
  /** SSIM of the perturbed picture with its mirror image (compare with the baseline's `symmetry`). */
  symmetry: number;
  /**
   * How symmetric the change itself is: Σ D·mirror(D) / Σ D² for D = perturbed − unperturbed bytes
   * (1: the change is mirror-symmetric, −1: anti-symmetric); null when no byte changed.
   */
  changeSymmetry: number | null;
}

function networkName(cppn: Cppn): string {
  return cppn.name ?? 'cppn';
}

/** Draw the unperturbed picture and keep what every perturbation compares against. */
export function pictureBaseline(cppn: Cppn, options: FingerprintOptions = {}): PictureBaseline {
  const size = options.size ?? FINGERPRINT_DEFAULTS.size;
  const threshold = options.threshold ?? FINGERPRINT_DEFAULTS.threshold;
  if (!Number.isInteger(size) || size < 7) throw new UserError(`fingerprint drawings must be at least 7 pixels a side (the SSIM window), got ${size}`);
  if (!(threshold >= 0 && threshold < 1)) throw new UserError(`changed-pixel threshold must be in [0, 1), got ${threshold}`);
  const planes = cppnPlanes(cppn, size);
  const picture = pictureOf(planes);
  const bytes = pictureBytes(picture);
  return { cppn, network: networkName(cppn), size, threshold, planes, picture, bytes, symmetry: ssimOfBytes(bytes, mirrorValues(bytes, size, size), size, size) };
}

/** Compare a picture (same size) with the baseline. */
export function measureChange(base: PictureBaseline, picture: RgbImage): PictureChange {
  const { size } = base;
  if (picture.width !== size || picture.height !== size) throw new UserError(`picture is ${picture.width}×${picture.height}, the baseline ${size}×${size}`);
  const bytes = pictureBytes(picture);
  const a = base.bytes;
  const limit = base.threshold * 255;
  const P = size * size;
  let changed = 0;
  for (let p = 0; p < P; p++) {
    const k = 3 * p;
    if (Math.abs(bytes[k] - a[k]) > limit || Math.abs(bytes[k + 1] - a[k + 1]) > limit || Math.abs(bytes[k + 2] - a[k + 2]) > limit) changed++;
  }
  const diff = new Float32Array(bytes.length);
  let dd = 0;
  for (let k = 0; k < diff.length; k++) {
    diff[k] = bytes[k] - a[k];
    dd += diff[k] * diff[k];
  }
  let changeSymmetry: number | null = null;
  if (dd > 0) {
    const mirrored = mirrorValues(diff, size, size);
    let dm = 0;
    for (let k = 0; k < diff.length; k++) dm += diff[k] * mirrored[k];
    changeSymmetry = dm / dd;
  }
  return {
    ssim: dd === 0 ? 1 : ssimOfBytes(a, bytes, size, size),
    changed: changed / P,
    symmetry: dd === 0 ? base.symmetry : ssimOfBytes(bytes, mirrorValues(bytes, size, size), size, size),
    changeSymmetry,
  };
}

/** Redraw a perturbed copy whose layers before `from` equal the baseline's (reusing their planes). */
export function redraw(base: PictureBaseline, perturbed: Cppn, from = 0): RgbImage {
  return pictureOf(cppnPlanes(perturbed, base.size, from > 0 ? base.planes : undefined, from));
}

/** The CPPN with one layer replaced. */
function withLayer(cppn: Cppn, k: number, layer: LayerRecord): Cppn {
  const layers = cppn.layers.slice();
  layers[k] = layer;
  return { ...cppn, layers };
}

// ---------------------------------------------------------------------------------------------
// The five probes

/** Which probe levels `probeCurves` runs. */
export interface CppnProbePlan {
  /** Fractions of weights pruned (per layer, smallest |w| first: the reference prune). */
  prune: number[];
  /** Noise amplitudes a of U(−a, a) added to every non-zero weight (the reference noise). */
  noise: number[];
  /** Fractions of weights whose sign is flipped (smallest |w| first). */
  signflip: number[];
  /** Null models applied to every layer (randomize probe at level 0). */
  randomize: string[];
  /** Whether to run binarize (w → sign(w)). */
  binarize: boolean;
  /** Draws of each random evaluation (noise, randomize). */
  seeds: number;
}

export const CPPN_PROBE_DEFAULTS: CppnProbePlan = {
  prune: REFERENCE_PRUNE_LEVELS,
  noise: log2Grid(-8, 0, 9),
  signflip: linearGrid(0, 1, 11),
  randomize: ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'curveball'],
  binarize: true,
  seeds: 3,
};

export interface CppnProbeRow extends PictureChange {
  network: string;
  probe: ProbeName;
  variant: string;
  level: number;
  /** Seed of the evaluation's Rng (0 for deterministic probes). */
  seed: number;
}

/** The probe specs of a plan, each with its repetitions. */
export function cppnProbeSpecs(plan: Partial<CppnProbePlan> = {}): { spec: ProbeSpec; reps: number }[] {
  const p = { ...CPPN_PROBE_DEFAULTS, ...plan };
  const spec = (probe: ProbeName, variant: string, level: number): ProbeSpec => ({ probe, variant, level, signed: false, layer: 'all' });
  const out: { spec: ProbeSpec; reps: number }[] = [];
  const add = (s: ProbeSpec) => out.push({ spec: s, reps: isRandomProbe(s) ? p.seeds : 1 });
  for (const level of p.prune) add(spec('prune', 'reference', level));
  if (p.binarize) add(spec('binarize', 'reference', 0));
  for (const level of p.noise) add(spec('noise', 'reference', level));
  for (const level of p.signflip) add(spec('signflip', 'reference', level));
  for (const variant of p.randomize) add(spec('randomize', variant, 0));
  return out;
}

/**
 * The five probes on every layer of the CPPN, one row per evaluation: the picture's SSIM to the
 * unperturbed one where a classifier would report accuracy. Random evaluations draw from
 * `new Rng(deriveSeed(seed, 'cppn-probe', probe, variant, level, rep))`.
 */
export function probeCurves(base: PictureBaseline, plan: Partial<CppnProbePlan> = {}, seed = 1): CppnProbeRow[] {
  const rows: CppnProbeRow[] = [];
  for (const { spec, reps } of cppnProbeSpecs(plan)) {
    for (let rep = 0; rep < reps; rep++) {
      const random = isRandomProbe(spec);
      const s = random ? deriveSeed(seed, 'cppn-probe', spec.probe, spec.variant, spec.level, rep) : 0;
      const probed = applyProbe(base.cppn, spec, new Rng(s)) as Cppn;
      rows.push({ network: base.network, probe: spec.probe, variant: spec.variant, level: spec.level, seed: s, ...measureChange(base, redraw(base, probed)) });
    }
  }
  return rows;
}

export interface CurveSummary {
  network: string;
  probe: ProbeName;
  variant: string;
  /** Levels evaluated. */
  points: number;
  /** Mean SSIM over the curve: the trapezoid area under mean SSIM against level, divided by the level range (the value itself for one level). */
  auc: number;
  /** The level where mean SSIM first falls to 0.5 (linear between levels); null if it never does. */
  halfLevel: number | null;
}

/** Area and half-way level of each probe curve (means over seeds at each level). */
export function summarizeCurves(rows: readonly CppnProbeRow[]): CurveSummary[] {
  const groups = new Map<string, CppnProbeRow[]>();
  for (const r of rows) {
    const key = `${r.network}\u0000${r.probe}\u0000${r.variant}`;
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  return [...groups.values()].map((g): CurveSummary => {
    const byLevel = new Map<number, number[]>();
    for (const r of g) (byLevel.get(r.level) ?? byLevel.set(r.level, []).get(r.level)!).push(r.ssim);
    const pts = [...byLevel.entries()].map(([level, v]) => ({ level, ssim: v.reduce((s, x) => s + x, 0) / v.length })).sort((a, b) => a.level - b.level);
    let auc = pts[0].ssim;
    const range = pts[pts.length - 1].level - pts[0].level;
    if (pts.length > 1 && range > 0) {
      let area = 0;
      for (let k = 1; k < pts.length; k++) area += ((pts[k].level - pts[k - 1].level) * (pts[k].ssim + pts[k - 1].ssim)) / 2;
      auc = area / range;
    }
    let halfLevel: number | null = null;
    if (pts[0].ssim <= 0.5) halfLevel = pts[0].level;
    else {
      for (let k = 1; k < pts.length; k++) {
        if (pts[k].ssim <= 0.5) {
          const a = pts[k - 1], b = pts[k];
          halfLevel = a.level + ((a.ssim - 0.5) / (a.ssim - b.ssim)) * (b.level - a.level);
          break;
        }
      }
    }
    return { network: g[0].network, probe: g[0].probe, variant: g[0].variant, points: pts.length, auc, halfLevel };
  });
}

// ---------------------------------------------------------------------------------------------
// Single-weight sweeps

/** One weight: layer index k (into cppn.layers), input unit `from`, output unit `to`. */
export interface WeightRef {
  layer: number;
  from: number;
  to: number;
}

/** The weights of a network in network order: all, or only the non-zero ones (the connections it has). */
export function weightRefs(cppn: Cppn, which: 'nonzero' | 'all' = 'nonzero'): WeightRef[] {
  const refs: WeightRef[] = [];
  cppn.layers.forEach((l, k) => {
    const [nIn, nOut] = l.shape;
    for (let i = 0; i < nIn; i++) for (let j = 0; j < nOut; j++) if (which === 'all' || l.weights[i * nOut + j] !== 0) refs.push({ layer: k, from: i, to: j });
  });
  return refs;
}

/** `count` of the refs drawn uniformly without replacement (all of them if count ≥ their number), kept in network order. */
export function sampleWeights(refs: readonly WeightRef[], count: number, rng: Rng): WeightRef[] {
  if (!Number.isInteger(count) || count < 0) throw new UserError(`weights to sample must be a whole number ≥ 0, got ${count}`);
  if (count >= refs.length) return refs.slice();
  const order = rng.permutation(refs.length).subarray(0, count);
  return Array.from(order).sort((a, b) => a - b).map((i) => refs[i]);
}

export interface WeightSweepRow extends PictureChange {
  network: string;
  /** The layer's name (`layer_03`). */
  layer: string;
  from: number;
  to: number;
  /** The weight's own value. */
  weight: number;
  /** The value it was set to. */
  value: number;
  /** value − weight. */
  delta: number;
}

function checkRef(cppn: Cppn, ref: WeightRef): void {
  const l = cppn.layers[ref.layer];
  if (!l || !Number.isInteger(ref.from) || !Number.isInteger(ref.to) || ref.from < 0 || ref.to < 0 || ref.from >= l.shape[0] || ref.to >= l.shape[1]) {
    throw new UserError(`no weight [layer ${ref.layer}, ${ref.from} → ${ref.to}] in ${networkName(cppn)}`);
  }
}

/** Set one weight to each of `values` in turn (the rest unchanged) and measure each picture. */
export function sweepWeight(base: PictureBaseline, ref: WeightRef, values: readonly number[]): WeightSweepRow[] {
  checkRef(base.cppn, ref);
  const layer = base.cppn.layers[ref.layer];
  const at = ref.from * layer.shape[1] + ref.to;
  const weight = layer.weights[at];
  return values.map((value): WeightSweepRow => {
    if (!Number.isFinite(value)) throw new UserError(`sweep value must be finite, got ${value}`);
    const weights = layer.weights.slice();
    weights[at] = value;
    const picture = redraw(base, withLayer(base.cppn, ref.layer, { ...layer, weights }), ref.layer);
    // The value as stored (float32), so that delta 0 means exactly the weight's own value.
    const stored = weights[at];
    return { network: base.network, layer: layer.name, from: ref.from, to: ref.to, weight, value: stored, delta: stored - weight, ...measureChange(base, picture) };
  });
}

export interface WeightSweepOptions {
  /** Offsets added to each weight (default the paper's ±1 range: −1, −0.5, 0.5, 1). */
  deltas?: number[];
  /** Which weights: the non-zero ones (default), all, or a list. */
  weights?: 'nonzero' | 'all' | WeightRef[];
  /** Sweep at most this many of them, drawn with `new Rng(deriveSeed(seed, 'cppn-sweep'))` (default: all). */
  sample?: number;
  seed?: number;
}

export const SWEEP_DEFAULTS = { deltas: [-1, -0.5, 0.5, 1], seed: 1 } as const;

/** Single-weight sweeps: each chosen weight moved by each delta, one row per picture. */
export function sweepWeights(base: PictureBaseline, options: WeightSweepOptions = {}): WeightSweepRow[] {
  const deltas = options.deltas ?? [...SWEEP_DEFAULTS.deltas];
  const which = options.weights ?? 'nonzero';
  let refs = Array.isArray(which) ? which : weightRefs(base.cppn, which);
  if (options.sample !== undefined) refs = sampleWeights(refs, options.sample, new Rng(deriveSeed(options.seed ?? SWEEP_DEFAULTS.seed, 'cppn-sweep')));
  const rows: WeightSweepRow[] = [];
  for (const ref of refs) {
    checkRef(base.cppn, ref);
    const l = base.cppn.layers[ref.layer];
    const w = l.weights[ref.from * l.shape[1] + ref.to];
    rows.push(...sweepWeight(base, ref, deltas.map((d) => w + d)));
  }
  return rows;
}

export interface SweepSummary {
  network: string;
  /** Distinct weights swept and pictures drawn. */
  weights: number;
  sweeps: number;
  /** Mean and median of 1 − SSIM over the sweeps. */
  meanDrop: number;
  medianDrop: number;
  /** Fraction of sweeps that changed at least one pixel beyond the threshold. */
  visible: number;
  /** Median changed-pixel fraction over the visible sweeps (small: local edits); null if none. */
  locality: number | null;
  /** Median changeSymmetry over the sweeps that changed any byte (1: changes mirror-symmetric, 0: unrelated halves); null if none. */
  changeSymmetry: number | null;
  /** Of those sweeps, the fraction whose change is mostly mirror-symmetric (changeSymmetry ≥ `symmetric`); null if none. */
  symmetricChanges: number | null;
  /** Mean drop in the picture's own left–right symmetry (baseline symmetry − perturbed). */
  meanSymmetryLoss: number;
}

function median(values: number[]): number {
  const s = values.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Summary of single-weight sweeps of one network (`baselineSymmetry`: its unperturbed picture's mirror SSIM). */
export function summarizeSweeps(rows: readonly WeightSweepRow[], baselineSymmetry: number, symmetric = 0.5): SweepSummary {
  if (rows.length === 0) throw new UserError('no sweep rows to summarize');
  const drops = rows.map((r) => 1 - r.ssim);
  const visible = rows.filter((r) => r.changed > 0);
  const cs = rows.flatMap((r) => (r.changeSymmetry === null ? [] : [r.changeSymmetry]));
  return {
    network: rows[0].network,
    weights: new Set(rows.map((r) => `${r.layer}:${r.from}:${r.to}`)).size,
    sweeps: rows.length,
    meanDrop: drops.reduce((s, x) => s + x, 0) / drops.length,
    medianDrop: median(drops),
    visible: visible.length / rows.length,
    locality: visible.length ? median(visible.map((r) => r.changed)) : null,
    changeSymmetry: cs.length ? median(cs) : null,
    symmetricChanges: cs.length ? cs.filter((c) => c >= symmetric).length / cs.length : null,
    meanSymmetryLoss: rows.reduce((s, r) => s + (baselineSymmetry - r.symmetry), 0) / rows.length,
  };
}

// ---------------------------------------------------------------------------------------------
// Unit ablation

export interface AblationRow extends PictureChange {
  network: string;
  /** Hidden layer 1…hiddenLayers (the unit's plane comes out of weight layer `hidden − 1`). */
  hidden: number;
  unit: number;
  activation: CppnActivation;
  /** Non-zero outgoing weights of the unit (0: removing it cannot change anything). */
  fanOut: number;
  /** 1 − SSIM. */
  drop: number;
}

/**
 * Remove each hidden unit in turn — its outgoing weights zeroed, so nothing downstream sees it —
 * and measure the picture. Only the layers after the unit are redrawn.
 */
export function ablateUnits(base: PictureBaseline): AblationRow[] {
  const { cppn } = base;
  const activations = cppnUnitActivations(cppn.spec.arch);
  const rows: AblationRow[] = [];
  for (let k = 1; k < cppn.layers.length; k++) {
    const next = cppn.layers[k];
    const nOut = next.shape[1];
    for (let u = 0; u < next.shape[0]; u++) {
      let fanOut = 0;
      for (let j = 0; j < nOut; j++) if (next.weights[u * nOut + j] !== 0) fanOut++;
      const change =
        fanOut === 0
          ? { ssim: 1, changed: 0, symmetry: base.symmetry, changeSymmetry: null }
          : (() => {
              const weights = next.weights.slice();
              weights.fill(0, u * nOut, (u + 1) * nOut);
              return measureChange(base, redraw(base, withLayer(cppn, k, { ...next, weights }), k));
            })();
      rows.push({ network: base.network, hidden: k, unit: u, activation: activations[u], fanOut, drop: 1 - change.ssim, ...change });
    }
  }
  return rows;
}

export interface AblationSummary {
  network: string;
  units: number;
  /** Units whose removal drops SSIM by more than `matters`. */
  matter: number;
  /** Units whose removal changes no pixel of the picture as shown. */
  silent: number;
  meanDrop: number;
  maxDrop: number;
}

export function summarizeAblation(rows: readonly AblationRow[], matters = 0.01): AblationSummary {
  if (rows.length === 0) throw new UserError('no ablation rows to summarize');
  return {
    network: rows[0].network,
    units: rows.length,
    matter: rows.filter((r) => r.drop > matters).length,
    silent: rows.filter((r) => r.changeSymmetry === null).length,
    meanDrop: rows.reduce((s, r) => s + r.drop, 0) / rows.length,
    maxDrop: rows.reduce((m, r) => Math.max(m, r.drop), -Infinity),
  };
}

// ---------------------------------------------------------------------------------------------
// The sparsity control

/**
 * The network magnitude-pruned to `density` (fraction of weights kept, e.g. another network's
 * `cppnDensity`): `global` ranks all layers' |w| together (the prune probe's `global` variant),
 * `per-layer` keeps that fraction of each layer (the reference prune).
 */
export function pruneToDensity(cppn: Cppn, density: number, mode: 'global' | 'per-layer' = 'global'): Cppn {
  if (!(density >= 0 && density <= 1)) throw new UserError(`density must be in [0, 1], got ${density}`);
  let level = 1 - density;
  if (mode === 'global') {
    // Keep exactly round(density·n) weights: the probe keeps trunc((1 − level)·n), which float
    // rounding of 1 − (1 − d) can put one short.
    const n = cppn.layers.reduce((s, l) => s + l.weights.length, 0);
    level = Math.max(0, (n - Math.round(density * n) - 0.5) / n);
  }
  const pruned = applyProbe(cppn, { probe: 'prune', variant: mode === 'global' ? 'global' : 'reference', level, signed: false, layer: 'all' }, new Rng(0)) as Cppn;
  return { ...pruned, name: `${networkName(cppn)}@${(100 * density).toPrecision(3)}%` };
}

/**
 * The sparsest global magnitude pruning of a network that still draws its picture with SSIM ≥
 * `minSsim` (at the baseline's size): bisection on the number of weights kept (SSIM need not fall
 * monotonically as weights go, so this is the boundary bisection finds, within one weight).
 */
export function sparsestPruneKeeping(base: PictureBaseline, minSsim = 0.9): { control: Cppn; density: number; ssim: number } {
  if (!(minSsim > -1 && minSsim <= 1)) throw new UserError(`minimum SSIM must be in (−1, 1], got ${minSsim}`);
  const n = base.cppn.layers.reduce((s, l) => s + l.weights.length, 0);
  const at = (keep: number) => {
    const control = pruneToDensity(base.cppn, keep / n, 'global');
    return { control, density: keep / n, ssim: measureChange(base, redraw(base, control)).ssim };
  };
  // Invariant: keeping `hi` weights holds the picture (all of them do), keeping `lo` does not (or lo = 0).
  let lo = 0, hi = n;
  let best = { control: base.cppn, density: cppnDensity(base.cppn), ssim: 1 };
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    const r = at(mid);
    if (r.ssim >= minSsim) {
      hi = mid;
      best = r;
    } else lo = mid;
  }
  return best;
}

/**
 * The control pair for a dense network `dense` and a sparse twin `sparse`: `dense` pruned to
 * `sparse`'s density with each mode, with the density reached.
 */
export function sparsityControl(dense: Cppn, sparse: Cppn, mode: 'global' | 'per-layer' = 'global'): { control: Cppn; target: number; density: number } {
  const target = cppnDensity(sparse);
  const control = pruneToDensity(dense, target, mode);
  return { control, target, density: cppnDensity(control) };
}
