/**
 * Sweeps: the list of evaluations a probe study makes, and the loop that runs them in batches
 * through any evaluator, skipping what a previous (interrupted) run already recorded.
 */
import type { DenseModel } from '../core/layer.js';
import { Rng, deriveSeed } from '../core/rng.js';
import type { Difficulty, ProbeName, ResultRow } from '../core/results.js';
import { rowKey } from '../core/results.js';
import { applyProbe, isRandomProbe, referenceInitBiases, validateSpec, type BiasMode, type ProbeSpec } from './probes.js';

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

export const DEFAULT_SWEEP: Required<SweepOptions> = {
  probes: ['baseline', 'binarize', 'prune', 'noise', 'binarize+noise', 'signflip', 'randomize'],
  layer: 'all',
  pruneLevels: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.99],
  noiseLevels: log2Grid(-10, 0, 30),
  relativeNoiseLevels: log2Grid(-4, 2, 13),
  flipLevels: linearGrid(0, 1, 11),
  randomizeLevels: [0, 0.5, 0.8],
  randomizations: ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'curveball'],
  noiseSeeds: 2,
  randomSeeds: 2,
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

/** The reference-init biases of one trained model: one draw per model, as the reference builds one fresh model per run. */
export function referenceInitModel(baseSeed: number, target: Pick<SweepTarget, 'task' | 'run' | 'model'>): DenseModel {
  return referenceInitBiases(target.model, new Rng(deriveSeed(baseSeed, 'bias-init', target.task, target.run)));
}

export interface RunSweepOptions {
  target: SweepTarget;
  plan: PlannedEval[];
  baseSeed: number;
  /** Accuracy of each model, in order (a worker pool, or a plain evaluator wrapped in a promise). */
  evaluate: (models: DenseModel[]) => Promise<number[]>;
  nTest: number;
  /** Keys (rowKey) of evaluations already recorded: they are skipped. */
  done?: Set<string>;
  /** Models per evaluate() call. */
  batchSize?: number;
  /** Called with each finished batch of rows (e.g. to append them to results.jsonl). */
  onRows?: (rows: ResultRow[]) => void;
  onProgress?: (completed: number, total: number) => void;
}

/** Run the plan; returns the new rows. */
export async function runSweep(o: RunSweepOptions): Promise<ResultRow[]> {
  const { target, baseSeed } = o;
  const rowOf = (e: PlannedEval, seed: number, accuracy: number): ResultRow => ({
    task: target.task,
    difficulty: target.difficulty,
    probe: e.spec.probe,
    variant: e.spec.variant,
    signed: e.spec.signed,
    level: e.spec.level,
    layer: e.spec.layer,
    run: target.run,
    seed,
    accuracy,
    n_test: o.nTest,
    inputs: target.inputs,
    ...(e.spec.bias && e.spec.bias !== 'trained' ? { bias: e.spec.bias } : {}),
  });
  const todo: { e: PlannedEval; seed: number }[] = [];
  for (const e of o.plan) {
    const seed = evaluationSeed(baseSeed, target, e);
    if (o.done?.has(rowKey(rowOf(e, seed, 0)))) continue;
    todo.push({ e, seed });
  }
  let initModel: DenseModel | null = null;
  const startOf = (e: PlannedEval): DenseModel =>
    e.spec.bias === 'reference-init' ? (initModel ??= referenceInitModel(baseSeed, target)) : target.model;
  const all: ResultRow[] = [];
  const batchSize = o.batchSize ?? 16;
  let completed = o.plan.length - todo.length;
  o.onProgress?.(completed, o.plan.length);
  for (let start = 0; start < todo.length; start += batchSize) {
    const batch = todo.slice(start, start + batchSize);
    const models = batch.map(({ e, seed }) => applyProbe(startOf(e), e.spec, new Rng(seed)));
    const acc = await o.evaluate(models);
    const rows = batch.map(({ e, seed }, k) => rowOf(e, seed, acc[k]));
    o.onRows?.(rows);
    all.push(...rows);
    completed += batch.length;
    o.onProgress?.(completed, o.plan.length);
  }
  return all;
}
