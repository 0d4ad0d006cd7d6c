/**
 * The one job runner (types.ts `JobRunner`): what every executor calls, in this thread, a worker
 * thread or a process on another machine. A job's result depends on the job alone (its seeds are
 * in it), so it is the same wherever and whenever it runs.
 *
 * What a runner builds from blobs (evaluators of a test split, decoded models) it keeps per blob
 * hash in this thread, a few at a time: consecutive eval jobs of one model reuse them.
 */
import { UserError } from '../core/errors.js';
import type { DenseModel } from '../core/layer.js';
import type { ResultRow } from '../core/results.js';
// Modules, not the model/probes indexes: those load tfjs and onnxruntime, which a worker thread
// that evaluates and trains with the sparse engine never needs (it starts in milliseconds).
import { createEvaluator, testBatchCount, type Evaluator } from '../model/evaluator.js';
import type { InputScaling, Split } from '../model/split.js';
import { trainSparse, type TrainConfig, type TrainResult } from '../model/train-loop.js';
import { DrawBuffers, evaluationSeed, measureEvaluation, referenceInitModel, sweepRow } from '../probes/sweep.js';
import { Lru } from './lru.js';
import { blobHash, deserializeModel, deserializeSplit, serializeModel } from './blobs.js';
import type { DiscardedModelRecord } from './records.js';
import type { BlobHash, BlobSource, EvalJob, EvalJobResult, Job, JobProgress, JobResult, JobRunner, TrainJob, TrainJobResult } from './types.js';

const evaluators = new Lru<Evaluator>(3);
const drawBuffers = new DrawBuffers();
const models = new Lru<{ model: DenseModel; initModels: Map<number, DenseModel> }>(8);

function evaluatorOf(test: BlobHash, inputs: InputScaling, blobs: BlobSource): Promise<Evaluator> {
  return evaluators.get(`${test}|${inputs}`, async () => createEvaluator(deserializeSplit(await blobs.get(test)).split, inputs));
}

function modelOf(hash: BlobHash, blobs: BlobSource): Promise<{ model: DenseModel; initModels: Map<number, DenseModel> }> {
  return models.get(hash, async () => ({ model: deserializeModel(await blobs.get(hash)), initModels: new Map() }));
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

export interface DiscardRuleOptions {
  /** Names the model in messages, e.g. `mnist-7v9 run 0`. */
  label: string;
  /** Attempt k (0-based) trains with seeds[k]; at most seeds.length attempts. */
  seeds: number[];
  minAccuracy: number;
  train(seed: number): Promise<TrainResult>;
  accuracy(model: DenseModel): number | Promise<number>;
  /** One line per discarded model, as it is discarded. */
  onDiscard?: (line: string) => void;
}

export interface KeptModel {
  result: TrainResult;
  seed: number;
  attempts: number;
  testAccuracy: number;
  discarded: DiscardedModelRecord[];
}

/**
 * The reference's discard rule: a model is kept only above the task's minimum test accuracy (its
 * notebooks select `acc > 70` / `acc > 60`); one at or below is discarded and replaced by one
 * trained from the next seed. When every seed fails, the configuration does not train (UserError),
 * so a failed model never reaches a results row.
 */
export async function trainWithDiscardRule(o: DiscardRuleOptions): Promise<KeptModel> {
  const discarded: DiscardedModelRecord[] = [];
  for (let k = 0; k < o.seeds.length; k++) {
    const seed = o.seeds[k];
    const result = await o.train(seed);
    const acc = await o.accuracy(result.model);
    if (acc > o.minAccuracy) return { result, seed, attempts: k + 1, testAccuracy: acc, discarded };
    discarded.push({ attempt: k + 1, seed, testAccuracy: acc });
    o.onDiscard?.(`${o.label}: model from seed ${seed} reached ${pct(acc)} (≤ ${pct(o.minAccuracy)}): discarded as in the reference${k + 1 < o.seeds.length ? ', training a new seed' : ''}`);
  }
  throw new UserError(
    `${o.label}: all ${o.seeds.length} models trained stayed at or below ${pct(o.minAccuracy)} test accuracy ` +
      `(best ${pct(Math.max(...discarded.map((d) => d.testAccuracy)))}); this configuration does not train — try more --epochs, another --lr, --hidden or --inputs`,
  );
}

/** trainMlp for a job: the sparse engine without loading tfjs (workers start fast), tfjs on demand. */
async function trainFor(job: TrainJob, train: Split, validation: Split | null, seed: number, onEpoch: () => void): Promise<TrainResult> {
  const t = job.training;
  const cfg: TrainConfig = {
    epochs: t.epochs,
    batchSize: t.batchSize,
    learningRate: t.learningRate,
    cosineTMax: t.cosineTMax,
    seed,
    engine: t.engine,
    earlyStopping: t.earlyStoppingPatience > 0 && validation ? { patience: t.earlyStoppingPatience, validation } : undefined,
    onProgress: onEpoch,
  };
  if (t.engine === 'sparse') return trainSparse(train, job.target.inputs, job.mlp, cfg);
  const { trainMlp } = await import('../model/mlp.js');
  return trainMlp(train, job.target.inputs, job.mlp, cfg);
}

async function runTrainJob(job: TrainJob, blobs: BlobSource, onProgress?: JobProgress): Promise<TrainJobResult> {
  const { split: train, validation } = deserializeSplit(await blobs.get(job.train));
  const checker = await evaluatorOf(job.test, job.target.inputs, blobs);
  let epochs = 0;
  const kept = await trainWithDiscardRule({
    label: `${job.target.task} run ${job.target.run}`,
    seeds: job.seeds,
    minAccuracy: job.minAccuracy,
    train: (seed) => trainFor(job, train, validation, seed, () => onProgress?.(++epochs)),
    accuracy: (m) => checker.accuracy(m),
    onDiscard: (line) => onProgress?.(epochs, line),
  });
  const bytes = serializeModel(kept.result.model);
  return {
    kind: 'train',
    id: job.id,
    model: blobHash(bytes),
    modelBytes: bytes,
    trainSeed: kept.seed,
    attempts: kept.attempts,
    testAccuracy: kept.testAccuracy,
    discarded: kept.discarded,
    history: kept.result.history,
    backend: kept.result.backend.name,
    backendVersion: kept.result.backend.version,
  };
}

/** Evaluations per measure() call: bounds the probed copies held at once (as runSweep's batches). */
const MEASURE_BATCH = 16;

async function runEvalJob(job: EvalJob, blobs: BlobSource, onProgress?: JobProgress): Promise<EvalJobResult> {
  const evaluator = await evaluatorOf(job.test, job.target.inputs, blobs);
  const held = await modelOf(job.model, blobs);
  const target = { ...job.target, model: held.model };
  // The reference-init biases: one draw per model and base seed, kept with the model.
  const startOf = (bias: string | undefined): DenseModel => {
    if (bias !== 'reference-init') return held.model;
    let init = held.initModels.get(job.baseSeed);
    if (!init) held.initModels.set(job.baseSeed, (init = referenceInitModel(job.baseSeed, target)));
    return init;
  };
  const batches = job.testBatch > 0 ? testBatchCount(evaluator.n, job.testBatch) : 0;
  const rows: ResultRow[] = [];
  for (let start = 0; start < job.evals.length; start += MEASURE_BATCH) {
    const batch = job.evals.slice(start, start + MEASURE_BATCH).map((e) => ({ e, seed: evaluationSeed(job.baseSeed, target, e) }));
    const out = new Array<ResultRow>(batch.length);
    // One measure() per start model, so each is measured against its own CKA reference.
    for (const mode of new Set(batch.map(({ e }) => e.spec.bias ?? 'trained'))) {
      const idx = batch.flatMap(({ e }, k) => ((e.spec.bias ?? 'trained') === mode ? [k] : []));
      const from = startOf(mode);
      // One evaluation at a time: its per-batch draws reuse this thread's buffers (measured before the next draw).
      const measured = idx.map((k) => measureEvaluation(evaluator, from, batch[k].e.spec, batch[k].seed, batches, drawBuffers));
      idx.forEach((k, i) => (out[k] = sweepRow(job.target, evaluator.n, batch[k].e, batch[k].seed, measured[i])));
    }
    rows.push(...out);
    onProgress?.(rows.length);
    // Let the event loop breathe between batches (messages, signals).
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { kind: 'eval', id: job.id, rows };
}

/** Do one job. */
export const runJob: JobRunner = async (job: Job, blobs: BlobSource, onProgress?: JobProgress): Promise<JobResult> => {
  switch (job.kind) {
    case 'train':
      return runTrainJob(job, blobs, onProgress);
    case 'eval':
      return runEvalJob(job, blobs, onProgress);
    case 'train-tagger':
    case 'train-window-mlp':
    case 'eval-tagger':
      // Loaded on the first tagger job only: the tagger's matrix products load tfjs.
      return (await import('./tagger-jobs.js')).runTaggerJob(job, blobs, onProgress);
  }
  throw new UserError(`unknown job kind '${(job as { kind: unknown }).kind}' (this weightscope runs train, eval, train-tagger, train-window-mlp and eval-tagger jobs)`);
};
