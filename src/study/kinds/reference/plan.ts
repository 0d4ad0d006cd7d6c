/**
 * The reference study as data, and its expansion into jobs (docs/study.md).
 *
 * The study is the reproduce configuration (dataset, pairs, runs, seed, inputs, limits, sweep,
 * training flags). It expands into one train job per task × run, and — once a model is known —
 * the model's eval jobs: its full sweep plan cut into chunks. Every job has a stable id that says
 * what it is (`train/<task>/run-<r>`, `eval/<task>/run-<r>/<first>-<last>`, indices into the plan),
 * and every seed in it is derived from the study's seed exactly as `weightscope reproduce` always
 * derived it, so rows match those of earlier runs and their folders stay resumable.
 */
import { UserError } from '../../../core/errors.js';
import type { Difficulty, ProbeName, ResultRow } from '../../../core/results.js';
import { rowKey } from '../../../core/results.js';
import { deriveSeed } from '../../../core/rng.js';
import { allClassPairs, parsePairs, pickAutoPairs, ssimDistanceOf, taskName, type Dataset, type DatasetName, type SsimRow } from '../../../data/index.js';
import type { BackendName } from '../../../model/backend.js';
import { TEST_BATCH } from '../../../model/evaluator.js';
import type { InputScaling } from '../../../model/split.js';
import type { BiasMode } from '../../../probes/probes.js';
import { evaluationSeed, planSweep, sweepRow, type PlannedEval, type SweepOptions } from '../../../probes/sweep.js';
import { evalJobId, trainJobId } from '../../job-ids.js';
import type { BlobHash, BlobStore } from '../../types.js';
import { serializeSplit } from './blobs.js';
import { mlpConfigOf, prepareTask, type TrainingFlags } from './tasks.js';
import type { EvalJob, JobTarget, TrainJob } from './types.js';

/** What a study computes: every field changes its rows (or which rows there are). */
export interface ReferenceConfig extends TrainingFlags {
  dataset: DatasetName;
  dataDir?: string;
  /** `reference`, `auto`, `all` (the 45 pairs), or a list like `0v7,7v9`. */
  pairs: string;
  runs: number;
  seed: number;
  inputs: InputScaling;
  validationFraction: number;
  /** Use at most this many training / test images per task (stratified, seeded): for quick looks and tests. */
  trainLimit?: number;
  testLimit?: number;
  /** Fewer levels and repetitions: a smoke run. */
  quick: boolean;
  probes?: ProbeName[];
  /** Bias modes every probe runs with (default: trained). */
  biases?: BiasMode[];
  /** Perturb only this layer (`dense_0`, `dense_1`, …); default every layer. */
  layer?: string;
}

export const REFERENCE_PAIRS: Record<DatasetName, { pair: [number, number]; difficulty: Difficulty }[]> = {
  mnist: [{ pair: [0, 7], difficulty: 'easy' }, { pair: [7, 9], difficulty: 'hard' }],
  fashion: [{ pair: [3, 2], difficulty: 'easy' }, { pair: [3, 1], difficulty: 'hard' }],
};

/**
 * The reference's discard rule: a model is kept only above 70 % (easy) / 60 % (hard) test accuracy
 * (its notebooks select `acc > 70` / `acc > 60`); the others are discarded. Here a discarded model is
 * replaced by a new seed until the run has its model, at most MAX_TRAIN_ATTEMPTS trainings per run.
 */
export const MIN_ACCURACY: Record<Difficulty, number> = { easy: 0.7, hard: 0.6, custom: 0.6 };
export const MAX_TRAIN_ATTEMPTS = 5;

export const QUICK_SWEEP: SweepOptions = {
  pruneLevels: [0, 0.5, 0.8, 0.9, 0.95],
  noiseLevels: [2 ** -10, 2 ** -7, 2 ** -4, 2 ** -2, 1],
  relativeNoiseLevels: [0.25, 1],
  flipLevels: [0, 0.5, 1],
  randomizeLevels: [0, 0.5],
  noiseSeeds: 1,
  randomSeeds: 1,
};

/**
 * Evaluations per eval job. Measured with bench/study.ts (docs/study.md): a job of 48 evaluations
 * of the reference sweep (784→64→2 on a full MNIST pair's test set, per-batch draws) computes for
 * 0.95–5.5 s on the 2-core development machine under a load average of ≈ 17, so ≈ 0.1–0.7 s on
 * an idle core: even the cheapest job (deterministic prunes) stays well above the 50 ms a job must
 * compute per queue round trip, and a reference model still makes ≈ 20 jobs to spread over workers.
 */
export const DEFAULT_EVAL_CHUNK = 48;

export interface TaskPlan {
  task: string;
  classes: [number, number];
  difficulty: Difficulty;
  ssimDistance: number | null;
}

/** Resolve --pairs into tasks with a difficulty label. */
export function resolveTasks(dataset: DatasetName, pairs: string, ranking: SsimRow[]): TaskPlan[] {
  const distanceOf = (a: number, b: number): number | null => ssimDistanceOf(ranking, a, b);
  const make = (pair: [number, number], difficulty: Difficulty): TaskPlan => ({
    task: taskName(dataset, pair[0], pair[1]),
    classes: pair,
    difficulty,
    ssimDistance: distanceOf(pair[0], pair[1]),
  });
  if (pairs === 'reference') return REFERENCE_PAIRS[dataset].map((p) => make(p.pair, p.difficulty));
  if (pairs === 'auto') {
    const { easy, hard } = pickAutoPairs(ranking);
    return [make([easy.a, easy.b], 'easy'), make([hard.a, hard.b], 'hard')];
  }
  const list = pairs === 'all' ? allClassPairs() : parsePairs(pairs);
  // Explicit pairs: the most dissimilar is "easy", the most similar "hard" (by SSIM distance);
  // a single pair is compared with the median of all pairs; `all` splits the 45 at the median.
  const dists = list.map(([a, b]) => distanceOf(a, b) ?? 0);
  const sorted = ranking.map((r) => r.distance).sort((x, y) => x - y);
  const median = sorted.length ? sorted[Math.floor(sorted.length / 2)] : 0;
  return list.map((pair, k) => {
    let difficulty: Difficulty = 'custom';
    if (list.length === 1 || pairs === 'all') difficulty = dists[k] >= median ? 'easy' : 'hard';
    else if (dists[k] === Math.max(...dists)) difficulty = 'easy';
    else if (dists[k] === Math.min(...dists)) difficulty = 'hard';
    return make(pair, difficulty);
  });
}

/** The sweep a study runs on every model (checks --layer against the models' layers). */
export function sweepOf(config: ReferenceConfig): SweepOptions {
  const layerNames = Array.from({ length: config.hidden.length + 1 }, (_, k) => `dense_${k}`);
  if (config.layer && !layerNames.includes(config.layer)) {
    throw new UserError(`no layer named '${config.layer}' (the models have: ${layerNames.join(', ')})`);
  }
  return {
    ...(config.quick ? QUICK_SWEEP : {}),
    ...(config.probes ? { probes: config.probes } : {}),
    ...(config.biases ? { biases: config.biases } : {}),
    layer: config.layer ?? 'all',
  };
}

/** The training seed of each attempt of one run (attempt 1 keeps the seed runs had before the discard rule). */
export function trainSeeds(seed: number, task: string, run: number, attempts = MAX_TRAIN_ATTEMPTS): number[] {
  return Array.from({ length: attempts }, (_, k) => (k === 0 ? deriveSeed(seed, 'train', task, run) : deriveSeed(seed, 'train', task, run, 'attempt', k + 1)));
}

/** One task of a planned study: the blobs its jobs read its splits from. */
export interface StudyTask extends TaskPlan {
  /** Images in the test split (the rows' n_test). */
  nTest: number;
  /** Training split (with the validation split when training stops early). */
  trainBlob: BlobHash;
  testBlob: BlobHash;
}

export interface ReferenceStudyPlan {
  config: ReferenceConfig;
  /** The tfjs backend the tfjs engine trains on (jobs carry it); undefined with the sparse engine. */
  backend?: BackendName;
  tasks: StudyTask[];
  sweep: SweepOptions;
  /** Every evaluation of one model, in the fixed order eval job ids index. */
  evaluations: PlannedEval[];
  /** Evaluations per eval job. */
  evalChunk: number;
}

/** Check what a configuration can be checked for without data (every flag but the pairs and the data folder). */
export function checkReferenceConfig(config: ReferenceConfig): void {
  if (!Number.isInteger(config.runs) || config.runs < 1) throw new UserError(`--runs must be a positive integer, got ${config.runs}`);
  sweepOf(config);
}

/**
 * Plan the reference study on loaded data: resolve its tasks, prepare their splits (limits applied,
 * seeded as reproduce always did) and put them into the blob store. `config.engine` must be set
 * (the default engine is part of a run's identity), and with the tfjs engine `options.backend`
 * (every train job names the backend it trains on).
 */
export async function planReferenceStudy(
  config: ReferenceConfig, data: Dataset, ranking: SsimRow[], blobs: BlobStore, options: { evalChunk?: number; backend?: BackendName } = {},
): Promise<ReferenceStudyPlan> {
  checkReferenceConfig(config);
  if (!config.engine) throw new Error('planReferenceStudy: config.engine must be resolved');
  if (config.engine === 'tfjs' && !options.backend) throw new Error('planReferenceStudy: the tfjs engine needs options.backend');
  const sweep = sweepOf(config);
  const evalChunk = options.evalChunk ?? DEFAULT_EVAL_CHUNK;
  if (!Number.isInteger(evalChunk) || evalChunk < 1) throw new UserError(`the eval job size must be a positive integer, got ${evalChunk}`);
  const tasks: StudyTask[] = [];
  for (const tp of resolveTasks(config.dataset, config.pairs, ranking)) {
    const prepared = prepareTask(data, config.dataset, tp.classes, { ...config, validationFraction: config.earlyStopping > 0 ? config.validationFraction : 0 });
    const validation = config.earlyStopping > 0 ? prepared.task.validation : null;
    tasks.push({
      ...tp,
      nTest: prepared.test.n,
      trainBlob: await blobs.put(serializeSplit(prepared.train, validation)),
      testBlob: await blobs.put(serializeSplit(prepared.test)),
    });
  }
  return { config, ...(config.engine === 'tfjs' ? { backend: options.backend } : {}), tasks, sweep, evaluations: planSweep(sweep), evalChunk };
}

function targetOf(study: ReferenceStudyPlan, task: StudyTask, run: number): JobTarget {
  return { task: task.task, difficulty: task.difficulty, run, inputs: study.config.inputs };
}

/** The train job of one run of one task. */
export function trainJob(study: ReferenceStudyPlan, task: StudyTask, run: number): TrainJob {
  const c = study.config;
  return {
    kind: 'train',
    id: trainJobId(task.task, run),
    target: targetOf(study, task, run),
    train: task.trainBlob,
    test: task.testBlob,
    mlp: mlpConfigOf(c),
    training: {
      epochs: c.epochs,
      batchSize: c.batchSize,
      learningRate: c.learningRate,
      cosineTMax: 10,
      engine: c.engine!,
      ...(c.engine === 'tfjs' ? { backend: study.backend } : {}),
      earlyStoppingPatience: c.earlyStopping,
    },
    dtype: 'float32',
    seeds: trainSeeds(c.seed, task.task, run),
    minAccuracy: MIN_ACCURACY[task.difficulty],
  };
}

/** Every train job of the study, task by task, run by run. */
export function trainJobs(study: ReferenceStudyPlan): TrainJob[] {
  return study.tasks.flatMap((t) => Array.from({ length: study.config.runs }, (_, run) => trainJob(study, t, run)));
}

/** The rowKey an evaluation's row will have (to skip what a results log already holds). */
export function evaluationKey(study: ReferenceStudyPlan, task: StudyTask, run: number, e: PlannedEval): string {
  const target = targetOf(study, task, run);
  return rowKey(sweepRow(target, task.nTest, e, evaluationSeed(study.config.seed, target, e), 0));
}

/**
 * The eval jobs of one model: its evaluations cut into chunks of `study.evalChunk` by plan index.
 * Evaluations whose rows are in `done` are left out (a chunk keeps its id); a chunk left empty is
 * no job at all.
 */
export function evalJobs(study: ReferenceStudyPlan, task: StudyTask, run: number, model: BlobHash, done?: ReadonlySet<string>): EvalJob[] {
  const jobs: EvalJob[] = [];
  const all = study.evaluations;
  for (let first = 0; first < all.length; first += study.evalChunk) {
    const last = Math.min(all.length, first + study.evalChunk) - 1;
    const evals = all.slice(first, last + 1).filter((e) => !done?.has(evaluationKey(study, task, run, e)));
    if (evals.length === 0) continue;
    jobs.push({
      kind: 'eval',
      id: evalJobId(task.task, run, first, last),
      target: targetOf(study, task, run),
      model,
      test: task.testBlob,
      evals,
      baseSeed: study.config.seed,
      testBatch: TEST_BATCH,
      dtype: 'float32',
    });
  }
  return jobs;
}

/**
 * Rows in plan order (task, run, evaluation), whatever order jobs finished in: results.csv is the
 * same for every executor. Rows the plan does not name (none, normally) keep their order at the end.
 */
export function sortRowsByPlan(study: ReferenceStudyPlan, rows: ResultRow[]): ResultRow[] {
  const order = new Map<string, number>();
  let k = 0;
  for (const t of study.tasks) for (let run = 0; run < study.config.runs; run++) for (const e of study.evaluations) order.set(evaluationKey(study, t, run, e), k++);
  const rank = (r: ResultRow): number => order.get(rowKey(r)) ?? Number.MAX_SAFE_INTEGER;
  return rows.map((r, i) => ({ r, i, k: rank(r) })).sort((a, b) => a.k - b.k || a.i - b.i).map((x) => x.r);
}
