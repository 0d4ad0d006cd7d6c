/**
 * Sweeps: the list of evaluations a probe study makes, and the loop that runs them in batches
 * through any evaluator, skipping what a previous (interrupted) run already recorded.
 */
import type { DenseModel } from '../core/layer.js';
import { Rng, deriveSeed } from '../core/rng.js';
import type { Difficulty, ProbeName, ResultRow } from '../core/results.js';
import { rowKey } from '../core/results.js';
import { TEST_BATCH, testBatchCount, type Evaluator, type Measurement, type ProbedModel } from '../model/evaluator.js';
import { applyProbe, isRandomProbe, prepareProbe, referenceInitBiases, validateSpec, type BiasMode, type DrawOutput, type ProbeOptions, type ProbeSpec } from './probes.js';

/** One planned evaluation: a probe and, for random probes, which repetition. */
export interface PlannedEval {
  spec: ProbeSpec;
  rep: number;
}

/** 2^−10 … 2^0 in `count` log-spaced points (numpy.logspace(-10, 0, base=2, num=30) for 30). */
export function log2Grid(from: number, to: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => 2 ** (from + ((to - from) * i) / (count - 1)));
}

export function linearGrid(from: number, to: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => Number((from + ((to - from) * i) / (count - 1)).toPrecision(12)));
}

export interface SweepOptions {
  /** Which probes to run (default: all). */
  probes?: ProbeName[];
  /** `all` or one layer name. */
  layer?: string;
  /** Fractions pruned for the prune curves. */
  pruneLevels?: number[];
  /** Noise amplitudes a (reference: 30 log-spaced points 2^−10…2^0). */
  noiseLevels?: number[];
  /** Noise amplitudes relative to each layer's σ(w). */
  relativeNoiseLevels?: number[];
  /** Fractions flipped. */
  flipLevels?: number[];
  /** Fractions pruned before randomizing. */
  randomizeLevels?: number[];
  /** Null models to run (default A–G plus curveball). */
  randomizations?: string[];
  /** Repetitions (seeds) of each random evaluation. */
  noiseSeeds?: number;
  randomSeeds?: number;
  /** Bias modes to run every probe with (default: trained only; `reference-init` as the reference code). */
  biases?: BiasMode[];
}

/** Fractions removed from the reference's fractions kept, without float noise (1 − 0.9 → 0.1). */
function removedOf(kept: number[]): number[] {
  return kept.map((f) => Number((1 - f).toPrecision(12)));
}

/** The reference's pruning figure: 37 fractions kept, down to 0.1 % (nn_sparsify_subset_fix_acc.py, duplicate 0.15 once). */
export const REFERENCE_PRUNE_LEVELS = removedOf([
  1, 0.9, 0.8, 0.7, 0.65, 0.6, 0.55, 0.5, 0.47, 0.45, 0.4, 0.35, 0.3, 0.25, 0.23, 0.21, 0.2, 0.19, 0.18, 0.17, 0.15,
  0.14, 0.13, 0.12, 0.11, 0.1, 0.09, 0.08, 0.07, 0.06, 0.05, 0.04, 0.03, 0.02, 0.01, 0.005, 0.001,
]);

/** The reference's randomization figures: randomized after these 23 pruning levels (fig2-3 notebooks). */
export const REFERENCE_RANDOMIZE_LEVELS = removedOf([
  1, 0.9, 0.8, 0.7, 0.65, 0.6, 0.55, 0.5, 0.45, 0.4, 0.35, 0.3, 0.25, 0.2, 0.15, 0.1, 0.05, 0.04, 0.03, 0.02, 0.01, 0.005, 0.001,
]);

/**
 * The reference's grids. One seed per random evaluation: noise, random masks and random flips are
 * re-drawn for every test batch of 128 (≈ 16 draws per point, as the reference), which averages
 * what several seeds did before.
 */
export const DEFAULT_SWEEP: Required<SweepOptions> = {
  probes: ['baseline', 'binarize', 'prune', 'noise', 'binarize+noise', 'signflip', 'randomize'],
  layer: 'all',
  pruneLevels: REFERENCE_PRUNE_LEVELS,
  noiseLevels: log2Grid(-10, 0, 30),
  relativeNoiseLevels: log2Grid(-4, 2, 13),
  flipLevels: linearGrid(0, 1, 30),
  randomizeLevels: REFERENCE_RANDOMIZE_LEVELS,
  randomizations: ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'curveball'],
  noiseSeeds: 1,
  randomSeeds: 1,
  biases: ['trained'],
};

/** Every evaluation of a sweep, in a fixed order. */
export function planSweep(options: SweepOptions = {}): PlannedEval[] {
  const o = { ...DEFAULT_SWEEP, ...options };
  const want = new Set(o.probes);
  const plan: PlannedEval[] = [];
  const add = (probe: ProbeName, variant: string, signed: boolean, level: number, reps = 1): void => {
    for (const bias of o.biases) {
      const spec: ProbeSpec = { probe, variant, signed, level, layer: o.layer, ...(bias === 'trained' ? {} : { bias }) };
      validateSpec(spec);
      const n = isRandomProbe(spec) ? reps : 1;
      for (let rep = 0; rep < n; rep++) plan.push({ spec, rep });
    }
  };
  if (want.has('baseline')) add('baseline', 'reference', false, 0);
  if (want.has('binarize')) for (const v of ['reference', 'bias-keep', 'bias-zero', 'scaled']) add('binarize', v, true, 0);
  if (want.has('prune')) {
    for (const v of ['reference', 'largest', 'random', 'global'])
      for (const signed of [false, true]) for (const l of o.pruneLevels) add('prune', v, signed, l, o.randomSeeds);
  }
  for (const [probe, signed] of [['noise', false], ['binarize+noise', true]] as const) {
    if (!want.has(probe)) continue;
    for (const l of o.noiseLevels) add(probe, 'reference', signed, l, o.noiseSeeds);
    for (const l of o.relativeNoiseLevels) add(probe, 'relative', signed, l, o.noiseSeeds);
  }
  if (want.has('signflip')) {
    for (const v of ['reference', 'largest', 'random'])
      for (const signed of [false, true]) for (const l of o.flipLevels) add('signflip', v, signed, l, o.randomSeeds);
  }
  if (want.has('randomize')) {
    for (const v of o.randomizations)
      for (const signed of [false, true]) for (const l of o.randomizeLevels) add('randomize', v, signed, l, o.randomSeeds);
  }
  return plan;
}

/** Who the evaluated model is: fills the identifying columns of its rows. */
export interface SweepTarget {
  task: string;
  difficulty: Difficulty;
  run: number;
  inputs: string;
  model: DenseModel;
}

/** The seed of one evaluation: a pure function of what it is, never of scheduling order. */
export function evaluationSeed(baseSeed: number, target: Pick<SweepTarget, 'task' | 'run'>, e: PlannedEval): number {
  if (!isRandomProbe(e.spec)) return 0;
  const s = e.spec;
  // Trained-bias evaluations keep the seeds they had before bias modes existed.
  const labels = s.bias && s.bias !== 'trained' ? [`bias=${s.bias}`] : [];
  return deriveSeed(baseSeed, target.task, target.run, s.probe, s.variant, s.signed ? 'signed' : 'plain', s.level, s.layer, e.rep, ...labels);
}

/**
 * The seed of repeat `rep` of a single-model probe (`weightscope probe`, ONNX probes): the seed
 * given for the first, deriveSeed(seed, 'repeat', rep) after it. A row's seed therefore
 * regenerates that row when passed back as --seed, whichever repeat it was.
 */
export function repeatSeed(seed: number, rep: number): number {
  return rep === 0 ? seed >>> 0 : deriveSeed(seed, 'repeat', rep);
}

/** The reference-init biases of one trained model: one draw per model, as the reference builds one fresh model per run. */
export function referenceInitModel(baseSeed: number, target: Pick<SweepTarget, 'task' | 'run' | 'model'>): DenseModel {
  return referenceInitBiases(target.model, new Rng(deriveSeed(baseSeed, 'bias-init', target.task, target.run)));
}

export interface RunSweepOptions {
  target: SweepTarget;
  plan: PlannedEval[];
  baseSeed: number;
  /**
   * Accuracy (or accuracy and CKA) of each probed model, in order (a worker pool, or a plain
   * evaluator wrapped in a promise). A probed model is a list when its draws are per test batch.
   * `reference` is the unprobed model the probes started from (for CKA), `key` its name; `exact[k]`
   * says whether models[k]'s first layer is to be computed exactly (exactFirstLayer: pass it as
   * Evaluator.measure's `exact` option to get the rows study eval jobs give).
   */
  evaluate(models: ProbedModel[], reference: { key: string; model: DenseModel }, exact: boolean[]): Promise<(number | Measurement)[]>;
  nTest: number;
  /**
   * Re-draw noise, random pruning masks and random flips for every test batch of this many images,
   * as the reference does (default TEST_BATCH = 128); 0 draws one model per evaluation.
   */
  testBatch?: number;
  /** Keys (rowKey) of evaluations already recorded: they are skipped. */
  done?: Set<string>;
  /** Models per evaluate() call. */
  batchSize?: number;
  /** Called with each finished batch of rows (e.g. to append them to results.jsonl). */
  onRows?: (rows: ResultRow[]) => void;
  onProgress?: (completed: number, total: number) => void;
}

/**
 * Which probes the reference re-draws for every test batch: noise and random masks/flips (its
 * forward pass draws them). Randomizations are drawn once per model, as the reference shuffles
 * the model in place before evaluating it.
 */
export function isPerBatchProbe(spec: Pick<ProbeSpec, 'probe' | 'variant'>): boolean {
  return isRandomProbe(spec) && spec.probe !== 'randomize';
}

/**
 * The model(s) one evaluation runs: per-batch probes give `batches` independent draws (batch b's
 * seed is deriveSeed(seed, 'test-batch', b)); everything else one model.
 */
export function probedModel(model: DenseModel, spec: ProbeSpec, seed: number, batches: number, buffers?: DrawBuffers, options: ProbeOptions = {}): ProbedModel {
  if (batches > 0 && isPerBatchProbe(spec)) {
    const rngs = Array.from({ length: batches }, (_, b) => new Rng(deriveSeed(seed, 'test-batch', b)));
    return prepareProbe(model, spec, options).many(rngs, buffers ? rngs.map((_, b) => buffers.output(b)) : undefined);
  }
  return applyProbe(model, spec, new Rng(seed), options);
}

/**
 * Whether an evaluation's first layer is computed exactly (src/model/delta-eval.ts): the probes whose
 * model differs from the start model, its signs or the previous level of the same curve in a few
 * weights (deterministic pruning and sign flips along their grids, binarization), so an evaluation
 * adds only the weights that changed. Their accuracy is the float32 path's bit for bit; their CKA
 * differs from it at float32 rounding level (docs/performance-model.md). A function of the spec
 * alone, so every executor, every rerun and `weightscope probe` compute a row the same way.
 */
export function exactFirstLayer(spec: Pick<ProbeSpec, 'probe' | 'variant'>): boolean {
  switch (spec.probe) {
    case 'prune':
    case 'signflip':
      return spec.variant !== 'random';
    case 'binarize':
      return spec.variant !== 'scaled';
    default:
      return false;
  }
}

/**
 * Accuracy (and CKA against `from`) of one planned evaluation of `from`: its probed model(s)
 * (probedModel) measured by `evaluator`, the first layer exact where exactFirstLayer says. What
 * study eval jobs and `weightscope probe` call, so a row is the same whichever made it.
 */
export function measureEvaluation(evaluator: Evaluator, from: DenseModel, spec: ProbeSpec, seed: number, batches: number, buffers?: DrawBuffers): Measurement {
  return evaluator.measure([probedModel(from, spec, seed, batches, buffers)], from, { exact: exactFirstLayer(spec) })[0];
}

/**
 * Arrays that probedModel's per-batch draws write into (noise probes), one set per test batch,
 * reused from evaluation to evaluation: 16 fresh 200 KB models an evaluation cost more in page
 * faults than drawing their noise. A model drawn into them is valid until the next probedModel call
 * with the same buffers, so measure it first.
 */
export class DrawBuffers {
  private readonly arrays = new Map<string, Float32Array>();

  output(batch: number): DrawOutput {
    return (layer, part, length) => {
      const key = `${batch}|${part}|${layer}`;
      let a = this.arrays.get(key);
      if (a?.length !== length) this.arrays.set(key, (a = new Float32Array(length)));
      return a;
    };
  }
}

/** The results row of one evaluation (every executor of a study builds its rows here). */
export function sweepRow(
  target: Pick<SweepTarget, 'task' | 'difficulty' | 'run' | 'inputs'>, nTest: number, e: PlannedEval, seed: number, m: number | Measurement,
): ResultRow {
  return {
    task: target.task,
    difficulty: target.difficulty,
    probe: e.spec.probe,
    variant: e.spec.variant,
    signed: e.spec.signed,
    level: e.spec.level,
    layer: e.spec.layer,
    run: target.run,
    seed,
    accuracy: typeof m === 'number' ? m : m.accuracy,
    n_test: nTest,
    inputs: target.inputs,
    ...(e.spec.bias && e.spec.bias !== 'trained' ? { bias: e.spec.bias } : {}),
    ...(typeof m !== 'number' && m.cka !== undefined ? { cka: m.cka } : {}),
  };
}

/** Run the plan; returns the new rows. */
export async function runSweep(o: RunSweepOptions): Promise<ResultRow[]> {
  const { target, baseSeed } = o;
  const rowOf = (e: PlannedEval, seed: number, m: number | Measurement): ResultRow => sweepRow(target, o.nTest, e, seed, m);
  const todo: { e: PlannedEval; seed: number }[] = [];
  for (const e of o.plan) {
    const seed = evaluationSeed(baseSeed, target, e);
    if (o.done?.has(rowKey(rowOf(e, seed, 0)))) continue;
    todo.push({ e, seed });
  }
  let initModel: DenseModel | null = null;
  const startOf = (e: PlannedEval): DenseModel =>
    e.spec.bias === 'reference-init' ? (initModel ??= referenceInitModel(baseSeed, target)) : target.model;
  const testBatch = o.testBatch ?? TEST_BATCH;
  const batches = testBatch > 0 ? testBatchCount(o.nTest, testBatch) : 0;
  const all: ResultRow[] = [];
  const batchSize = o.batchSize ?? 16;
  let completed = o.plan.length - todo.length;
  o.onProgress?.(completed, o.plan.length);
  // Build a batch's probed models (main thread), then send them off; the next batch is built while
  // the workers evaluate this one.
  const submit = (batch: typeof todo): Promise<(number | Measurement)[]> => {
    const calls: Promise<void>[] = [];
    const acc = new Array<number | Measurement>(batch.length);
    // One evaluate() call per start model (trained or reference-init biases), so each gets its own CKA reference.
    for (const mode of new Set(batch.map(({ e }) => e.spec.bias ?? 'trained'))) {
      const idx = batch.flatMap(({ e }, k) => ((e.spec.bias ?? 'trained') === mode ? [k] : []));
      const from = startOf(batch[idx[0]].e);
      const models = idx.map((k) => probedModel(from, batch[k].e.spec, batch[k].seed, batches));
      const exact = idx.map((k) => exactFirstLayer(batch[k].e.spec));
      calls.push(o.evaluate(models, { key: `${target.task}|${target.run}|${mode}`, model: from }, exact).then((results) => {
        idx.forEach((k, i) => (acc[k] = results[i]));
      }));
    }
    const all = Promise.all(calls).then(() => acc);
    all.catch(() => undefined); // awaited below; this only keeps a failure of a prefetched batch from counting as unhandled
    return all;
  };
  let pending = todo.length ? submit(todo.slice(0, batchSize)) : null;
  for (let start = 0; start < todo.length; start += batchSize) {
    const batch = todo.slice(start, start + batchSize);
    const current = pending!;
    pending = start + batchSize < todo.length ? submit(todo.slice(start + batchSize, start + 2 * batchSize)) : null;
    const acc = await current;
    const rows = batch.map(({ e, seed }, k) => rowOf(e, seed, acc[k]));
    o.onRows?.(rows);
    all.push(...rows);
    completed += batch.length;
    o.onProgress?.(completed, o.plan.length);
  }
  return all;
}
