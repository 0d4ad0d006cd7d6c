/**
 * The perturbation fingerprint of a classifier (a dense chain run on a test set) and of a model
 * that cannot run (its data-free part): pure functions of a model, its test data and a seed → one
 * tidy row (docs/compare.md, columns in docs/results-schema.md), so that a study can fingerprint
 * each model it trains.
 *
 * - the five probes as curves (reference prune, binarize, absolute noise, sign flip, and
 *   randomizations after pruning): the area under each and the level where accuracy falls halfway
 *   to chance;
 * - accuracy under distribution shifts of the test images (src/data/shift.ts);
 * - unit ablation: every hidden unit removed in turn (the distribution of accuracy drops, how many
 *   units matter), and the unit circuit (optionally the edge circuit) verified both ways;
 * - the graph statistics of every layer (features.ts).
 *
 * Every evaluation keeps its per-image outcomes (`evidence`), from which the accuracy-type
 * features are derived, so two single models on the same test set can be compared by resampling
 * images. Seeds: a random evaluation draws from deriveSeed(seed, 'fingerprint', probe, variant,
 * level); the same seed for every model (common random numbers for a fair comparison).
 */
import { UserError } from '../core/errors.js';
import { validateModel, type DenseModel, type LayerRecord } from '../core/layer.js';
import { deriveSeed } from '../core/rng.js';
import { shiftColumn, shiftSplit, DEFAULT_SHIFTS } from '../data/shift.js';
import {
  evaluatorFromSparse, sparseInputs, splitSparse, testBatchCount, TEST_BATCH, unitMaskRunner,
  type Evaluator, type InputScaling, type ProbedModel, type Split,
} from '../model/index.js';
import { isRandomProbe, linearGrid, log2Grid, probedModel, REFERENCE_PRUNE_LEVELS, validateSpec, type ProbeSpec } from '../probes/index.js';
import type { ProbeName } from '../core/results.js';
import { ascendingOrder, greedyCircuit, prefixCircuit, CIRCUIT_DEFAULTS } from './circuit.js';
import { ablationFeatures, curveFeatures, curveKey, graphFeatures, GRAPH_DEFAULTS, type GraphFeatureOptions } from './features.js';
import type { AblationPoint, Evidence, Fingerprint, FingerprintCurve, FingerprintRow, FoundCircuit } from './types.js';

/** Which evaluations an MLP fingerprint makes. */
export interface FingerprintPlan {
  /** Fractions of weights pruned (reference prune: smallest |w| per layer). */
  prune: number[];
  /** Absolute noise amplitudes a of U(−a, a) on every non-zero weight and bias. */
  noise: number[];
  /** Fractions of weights whose sign is flipped (smallest |w| first). */
  signflip: number[];
  /** Null models of the randomize probe, each a curve over `randomizeLevels`. */
  randomize: string[];
  /** Fractions pruned before randomizing. */
  randomizeLevels: number[];
  binarize: boolean;
  /** Distribution shifts of the test images (src/data/shift.ts names). */
  shifts: string[];
  /** Remove every hidden unit in turn. */
  ablation: boolean;
  /** The unit circuit (needs ablation), and the edge circuit. */
  circuit: boolean;
  edgeCircuit: boolean;
  /** A unit matters when its removal costs more than this fraction of (accuracy − chance). */
  matters: number;
  /** Circuit tolerance and necessity margin (circuit.ts). */
  tolerance: number;
  necessity: number;
  /** Graph statistics: z-score null model (null: none) and samples. */
  nullModel: string | null;
  samples: number;
}

export const FINGERPRINT_PLAN: FingerprintPlan = {
  prune: REFERENCE_PRUNE_LEVELS,
  noise: log2Grid(-10, 0, 11),
  signflip: linearGrid(0, 1, 11),
  randomize: ['B', 'curveball'],
  randomizeLevels: [0, 0.5, 0.8, 0.9, 0.95, 0.99],
  binarize: true,
  shifts: [...DEFAULT_SHIFTS],
  ablation: true,
  circuit: true,
  edgeCircuit: false,
  matters: 0.01,
  tolerance: CIRCUIT_DEFAULTS.tolerance,
  necessity: CIRCUIT_DEFAULTS.necessity,
  nullModel: GRAPH_DEFAULTS.nullModel,
  samples: GRAPH_DEFAULTS.samples,
};

/** The test set a classifier is fingerprinted on. */
export interface TestData {
  test: Split;
  inputs: InputScaling;
  /** Names the test set (e.g. `mnist-7v9 pm1 all`): two models' outcomes are paired only on equal names. */
  name: string;
  /** The task, for the row's `task` column. */
  task?: string;
}

export interface FingerprintOptions {
  plan?: Partial<FingerprintPlan>;
  seed?: number;
  /** The row's `model` column (default `model`). */
  name?: string;
  /** Row columns to fill in as given (path, format, group). */
  identity?: Partial<Record<'path' | 'format' | 'group', string>>;
  onStage?: (stage: string) => void;
}

/** The most frequent label's share: the accuracy of always answering it. */
export function chanceLevel(labels: ArrayLike<number>): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) counts.set(labels[i], (counts.get(labels[i]) ?? 0) + 1);
  return labels.length ? Math.max(...counts.values()) / labels.length : 0;
}

function mean01(c: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < c.length; i++) s += c[i];
  return c.length ? s / c.length : 0;
}

function checkPlan(p: FingerprintPlan): void {
  const fractions = (name: string, xs: number[]) => {
    for (const x of xs) if (!(x >= 0 && x <= 1)) throw new UserError(`fingerprint ${name} levels are fractions in [0, 1], got ${x}`);
  };
  fractions('prune', p.prune);
  fractions('sign flip', p.signflip);
  fractions('randomize', p.randomizeLevels);
  for (const a of p.noise) if (!(a > 0 && Number.isFinite(a))) throw new UserError(`fingerprint noise amplitudes must be > 0 (the curve is on a log axis), got ${a}`);
  for (const v of p.randomize) validateSpec({ probe: 'randomize', variant: v, signed: false, level: 0, layer: 'all' });
  if (!(p.matters >= 0 && p.matters <= 1)) throw new UserError(`'matters' is a fraction of the gap to chance, in [0, 1], got ${p.matters}`);
}

/** The probe specs of a plan, grouped into curves. */
function curveSpecs(p: FingerprintPlan): { key: string; probe: ProbeName; variant: string; axis: FingerprintCurve['axis']; specs: ProbeSpec[] }[] {
  const spec = (probe: ProbeName, variant: string, level: number): ProbeSpec => ({ probe, variant, level, signed: probe === 'binarize', layer: 'all' });
  const curves = [
    { key: 'prune', probe: 'prune' as const, variant: 'reference', axis: 'linear' as const, specs: p.prune.map((l) => spec('prune', 'reference', l)) },
    { key: 'binarize', probe: 'binarize' as const, variant: 'reference', axis: 'linear' as const, specs: p.binarize ? [spec('binarize', 'reference', 0)] : [] },
    { key: 'noise', probe: 'noise' as const, variant: 'reference', axis: 'log2' as const, specs: p.noise.map((l) => spec('noise', 'reference', l)) },
    { key: 'signflip', probe: 'signflip' as const, variant: 'reference', axis: 'linear' as const, specs: p.signflip.map((l) => spec('signflip', 'reference', l)) },
    ...p.randomize.map((v) => ({ key: curveKey('randomize', v), probe: 'randomize' as const, variant: v, axis: 'linear' as const, specs: p.randomizeLevels.map((l) => spec('randomize', v, l)) })),
  ];
  return curves.filter((c) => c.specs.length > 0);
}

/** Per-image outcomes of probed models on one test set (per-batch draws: each batch by its own model). */
class Outcomes {
  private batches: Evaluator[] | null = null;
  readonly evaluator: Evaluator;

  constructor(private readonly sparse: ReturnType<typeof sparseInputs>, readonly labels: Uint8Array) {
    this.evaluator = evaluatorFromSparse(sparse);
  }

  correct(probed: ProbedModel): Uint8Array {
    const n = this.labels.length;
    const c = new Uint8Array(n);
    if (!Array.isArray(probed)) {
      const pred = this.evaluator.predict(probed);
      for (let k = 0; k < n; k++) c[k] = pred[k] === this.labels[k] ? 1 : 0;
      return c;
    }
    this.batches ??= splitSparse(this.sparse, TEST_BATCH).map((part) => evaluatorFromSparse(part.s));
    if (probed.length !== this.batches.length) throw new UserError(`a per-batch evaluation needs ${this.batches.length} models, got ${probed.length}`);
    probed.forEach((model, b) => {
      const pred = this.batches![b].predict(model);
      for (let k = 0; k < pred.length; k++) c[b * TEST_BATCH + k] = pred[k] === this.labels[b * TEST_BATCH + k] ? 1 : 0;
    });
    return c;
  }
}

/** The fingerprint of a classifier: a dense chain (activations set) on a test set. */
export function fingerprintMlp(model: DenseModel, data: TestData, options: FingerprintOptions = {}): Fingerprint {
  const plan: FingerprintPlan = { ...FINGERPRINT_PLAN, ...options.plan };
  checkPlan(plan);
  validateModel(model);
  const seed = options.seed ?? 1;
  const stage = options.onStage ?? (() => {});
  const { test, inputs } = data;
  const labels = test.labels;
  const n = test.n;
  if (n === 0) throw new UserError('the test set is empty');
  const outcomes = new Map<string, Uint8Array>();
  const sparse = sparseInputs(test, inputs);
  const run = new Outcomes(sparse, labels);
  const chance = chanceLevel(labels);

  stage('probes');
  outcomes.set('baseline', run.correct(model));
  const batches = testBatchCount(n);
  const curves = curveSpecs(plan);
  for (const c of curves) {
    for (const spec of c.specs) {
      const s = isRandomProbe(spec) ? deriveSeed(seed, 'fingerprint', spec.probe, spec.variant, spec.level) : 0;
      outcomes.set(`${c.key}|${spec.level}`, run.correct(probedModel(model, spec, s, batches)));
    }
  }

  stage('distribution shifts');
  for (const name of plan.shifts) {
    const shifted = shiftSplit(test, name, seed);
    outcomes.set(`shift|${name}`, new Outcomes(sparseInputs(shifted, inputs), labels).correct(model));
  }

  const hidden = model.layers.slice(0, -1).reduce((t, l) => t + l.shape[1], 0);
  const ablation: AblationPoint[] = [];
  const circuits: FoundCircuit[] = [];
  const exact: Record<string, number | null> = {};
  const parts = ['probes', ...(plan.shifts.length ? ['shift'] : [])];
  const missing: string[] = [];
  let ablationKeys: string[] = [];
  if (plan.ablation && hidden > 0) {
    stage('unit ablation');
    parts.push('ablation');
    const runner = unitMaskRunner(model, test, inputs);
    const none = new Uint8Array(hidden);
    const base = runner.predict(none);
    const baseCorrect = Uint8Array.from(base, (p, k) => (p === labels[k] ? 1 : 0));
    outcomes.set('ablate|none', baseCorrect);
    let silent = 0;
    const drops = new Float64Array(hidden);
    const full = mean01(baseCorrect);
    for (let u = 0; u < hidden; u++) {
      const removed = new Uint8Array(hidden);
      removed[u] = 1;
      const pred = runner.predict(removed);
      let same = true;
      const c = new Uint8Array(n);
      for (let k = 0; k < n; k++) {
        c[k] = pred[k] === labels[k] ? 1 : 0;
        if (pred[k] !== base[k]) same = false;
      }
      if (same) silent++;
      outcomes.set(`ablate|${u}`, c);
      drops[u] = full - mean01(c);
      ablation.push({ ...runner.units[u], drop: drops[u] });
    }
    ablationKeys = runner.units.map((_, u) => `ablate|${u}`);
    exact.ablation_units = hidden;
    exact.ablation_silent = silent / hidden;
    if (plan.circuit) {
      stage('unit circuit');
      parts.push('circuit');
      const problem = { size: hidden, score: (removed: Uint8Array) => mean01(runner.correct(removed)) };
      const circuit = greedyCircuit(problem, ascendingOrder(drops), { full, chance }, plan);
      const inCircuit = new Uint8Array(hidden);
      for (const m of circuit.members) inCircuit[m] = 1;
      outcomes.set('circuit|kept', runner.correct(inCircuit.map((x) => 1 - x)));
      outcomes.set('circuit|removed', runner.correct(inCircuit));
      circuits.push({ ...circuit, over: 'units', units: Array.from(circuit.members, (m) => runner.units[m]) });
      Object.assign(exact, { circuit_units: circuit.size, circuit_fraction: circuit.size / hidden, circuit_sufficient: circuit.sufficient ? 1 : 0, circuit_necessary: circuit.necessary ? 1 : 0 });
    }
  } else if (plan.ablation) missing.push('ablation and circuit: the model has no hidden units');
  if (plan.edgeCircuit) {
    stage('edge circuit');
    parts.push('edge-circuit');
    const found = edgeCircuit(model, test, inputs, run, chance, plan);
    circuits.push(found.circuit);
    outcomes.set('edges|kept', found.kept);
    outcomes.set('edges|removed', found.removed);
    Object.assign(exact, {
      circuit_edges: found.circuit.size, circuit_edge_fraction: found.circuit.size / Math.max(1, found.circuit.candidates),
      circuit_edges_sufficient: found.circuit.sufficient ? 1 : 0, circuit_edges_necessary: found.circuit.necessary ? 1 : 0,
    });
  }

  stage('graph statistics');
  parts.push('graph');
  Object.assign(exact, graphFeatures(model.layers, graphOptions(plan, seed, missing)));

  const curveKeys = curves.map((c) => ({ ...c, levels: c.specs.map((s) => s.level) }));
  const derive = (acc: (key: string) => number): Record<string, number | null> => {
    const baseline = acc('baseline');
    const built: FingerprintCurve[] = curveKeys.map((c) => ({ key: c.key, probe: c.probe, variant: c.variant, axis: c.axis, points: c.levels.map((level) => ({ level, metric: acc(`${c.key}|${level}`) })) }));
    const out: Record<string, number | null> = { accuracy: baseline, ...curveFeatures(built, baseline, chance) };
    for (const name of plan.shifts) out[shiftColumn(name)] = acc(`shift|${name}`);
    if (ablationKeys.length) {
      const full = acc('ablate|none');
      Object.assign(out, ablationFeatures(ablationKeys.map((k) => full - acc(k)), full, chance, plan.matters));
    }
    if (outcomes.has('circuit|kept')) Object.assign(out, { circuit_kept: acc('circuit|kept'), circuit_removed: acc('circuit|removed') });
    if (outcomes.has('edges|kept')) Object.assign(out, { circuit_edges_kept: acc('edges|kept'), circuit_edges_removed: acc('edges|removed') });
    return out;
  };
  const observed = (key: string): number => mean01(outcomes.get(key)!);
  const evidence: Evidence = { data: data.name, n, outcomes, derive };
  const derived = derive(observed);
  const row: FingerprintRow = {
    model: options.name ?? 'model', group: options.identity?.group ?? '', path: options.identity?.path ?? '', format: options.identity?.format ?? '',
    kind: 'mlp', metric: 'accuracy', task: data.task ?? '', n_test: n, chance, seed, parts: parts.join(';'), missing: missing.join('; '),
    ...orderedFeatures(derived, exact),
  };
  return {
    row,
    curves: curveKeys.map((c) => ({ key: c.key, probe: c.probe, variant: c.variant, axis: c.axis, points: c.levels.map((level) => ({ level, metric: observed(`${c.key}|${level}`) })) })),
    ablation,
    circuits,
    evidence,
    layers: model.layers.map((l) => l.name),
  };
}

/** The graph options of a plan; layers too large for null samples are noted in `missing`. */
export function graphOptions(plan: Pick<FingerprintPlan, 'nullModel' | 'samples'>, seed: number, missing: string[]): GraphFeatureOptions {
  const big: string[] = [];
  return {
    nullModel: plan.nullModel, samples: plan.samples, seed,
    onSkip: (layer) => {
      if (big.length === 0) missing.push('');
      big.push(layer);
      missing[missing.length - 1] = `z-scores of ${big.length} layer${big.length === 1 ? '' : 's'} over ${GRAPH_DEFAULTS.nullMaxWeights} weights (${big.slice(0, 3).join(', ')}${big.length > 3 ? ', …' : ''})`;
    },
  };
}

/**
 * Feature columns in a fixed order: the baseline metric, the probe curves, shifts, ablation,
 * circuits, then the graph statistics layer by layer.
 */
export function orderedFeatures(...parts: Record<string, number | null>[]): Record<string, number | null> {
  const all: Record<string, number | null> = Object.assign({}, ...parts);
  const rank = (k: string): number => {
    if (k === 'accuracy') return 0;
    if (/^(auc|half|at)_/.test(k)) return 1;
    if (k.startsWith('shift_')) return 2;
    if (k.startsWith('sweep_')) return 3;
    if (k.startsWith('ablation_')) return 4;
    if (k.startsWith('circuit_')) return 5;
    return 6;
  };
  const keys = Object.keys(all).map((k, i) => ({ k, i })).sort((a, b) => rank(a.k) - rank(b.k) || (rank(a.k) === 6 ? layerOf(a.k) - layerOf(b.k) : 0) || a.i - b.i);
  return Object.fromEntries(keys.map(({ k }) => [k, all[k]]));
}

function layerOf(column: string): number {
  const m = /_l(\d+)$/.exec(column);
  return m ? Number(m[1]) : -1;
}

/**
 * The edge circuit: non-zero weights ranked by |w|·E|input of the edge| (the edge's mean
 * contribution magnitude over the test set), the smallest top-k that keeps accuracy found by
 * bisection (prefixCircuit), evaluated with the other weights zeroed (biases kept).
 */
function edgeCircuit(model: DenseModel, test: Split, inputs: InputScaling, run: Outcomes, chance: number, plan: FingerprintPlan): { circuit: FoundCircuit; kept: Uint8Array; removed: Uint8Array } {
  const inputMeans = unitMaskRunner(model, test, inputs).meanAbsInputs();
  const edges: { layer: number; index: number; importance: number }[] = [];
  model.layers.forEach((l, k) => {
    const nOut = l.shape[1];
    for (let idx = 0; idx < l.weights.length; idx++) {
      const w = l.weights[idx];
      if (w !== 0) edges.push({ layer: k, index: idx, importance: Math.abs(w) * inputMeans[k][Math.floor(idx / nOut)] });
    }
  });
  const order = Int32Array.from({ length: edges.length }, (_, i) => i).sort((a, b) => edges[b].importance - edges[a].importance || a - b);
  const masked = (removed: Uint8Array): DenseModel => {
    const layers: LayerRecord[] = model.layers.map((l) => ({ ...l, weights: l.weights.slice() }));
    edges.forEach((e, i) => {
      if (removed[i]) layers[e.layer].weights[e.index] = 0;
    });
    return { ...model, layers };
  };
  const score = (removed: Uint8Array): number => mean01(run.correct(masked(removed)));
  const full = mean01(run.correct(model));
  const circuit = prefixCircuit({ size: edges.length, score }, order, { full, chance }, plan);
  const inCircuit = new Uint8Array(edges.length);
  for (const m of circuit.members) inCircuit[m] = 1;
  return {
    circuit: { ...circuit, over: 'edges', edges: Array.from(circuit.members, (m) => ({ layer: edges[m].layer, index: edges[m].index })) },
    kept: run.correct(masked(inCircuit.map((x) => 1 - x))),
    removed: run.correct(masked(inCircuit)),
  };
}

/** The data-free fingerprint of a model weightscope cannot run: the graph statistics only, saying why. */
export function fingerprintWeights(layers: readonly LayerRecord[], why: string, options: Omit<FingerprintOptions, 'plan'> & { plan?: Partial<Pick<FingerprintPlan, 'nullModel' | 'samples'>> } = {}): Fingerprint {
  const plan = { ...FINGERPRINT_PLAN, ...options.plan };
  const seed = options.seed ?? 1;
  options.onStage?.('graph statistics');
  const missing = [`probes, shift, ablation, circuit: ${why}`];
  const features = graphFeatures(layers, graphOptions(plan, seed, missing));
  const row: FingerprintRow = {
    model: options.name ?? 'model', group: options.identity?.group ?? '', path: options.identity?.path ?? '', format: options.identity?.format ?? '',
    kind: 'weights', metric: '', task: '', n_test: null, chance: null, seed, parts: 'graph', missing: missing.join('; '),
    ...orderedFeatures(features),
  };
  return { row, curves: [], ablation: [], circuits: [], evidence: null, layers: layers.map((l) => l.name) };
}
