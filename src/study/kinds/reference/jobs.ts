/**
 * The runners of the reference study's jobs (types.ts TrainJob, EvalJob), called through the
 * registry by every executor, in this thread, a worker thread or a process on another machine. A
 * job's result depends on the job alone (its seeds, engine, backend and dtype are in it), so it is
 * the same wherever and whenever it runs; a job this process cannot honour is refused.
 *
 * What a runner builds from blobs (evaluators of a test split, decoded models) it keeps per blob
 * hash in this thread, a few at a time: consecutive eval jobs of one model reuse them.
 */
import { UserError } from '../../../core/errors.js';
import type { DenseModel } from '../../../core/layer.js';
import type { ResultRow } from '../../../core/results.js';
// Modules, not the model/probes indexes: those load tfjs and onnxruntime, which a worker thread
// that evaluates and trains with the sparse engine never needs (it starts in milliseconds).
import { createEvaluator, testBatchCount, type Evaluator } from '../../../model/evaluator.js';
import type { InputScaling, Split } from '../../../model/split.js';
import { trainSparse, type TrainConfig, type TrainResult } from '../../../model/train-loop.js';
import { DrawBuffers, evaluationSeed, measureEvaluation, referenceInitModel, sweepRow } from '../../../probes/sweep.js';
import { blobHash } from '../../blobs.js';
import { Lru } from '../../lru.js';
import type { DiscardedModelRecord } from '../../records.js';
import { JobRefused, requireFloat32, type BlobHash, type BlobSource, type JobProgress } from '../../types.js';
import { deserializeModel, deserializeSplit, serializeModel } from './blobs.js';
import type { EvalJob, EvalJobResult, TrainJob, TrainJobResult } from './types.js';

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
  /** One line per discarded model, as it is discarded; `retrying` when the next seed trains. */
  onDiscard?: (line: string, discarded: DiscardedModelRecord, retrying: boolean) => void;
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
    const record = { attempt: k + 1, seed, testAccuracy: acc };
    discarded.push(record);
    const retrying = k + 1 < o.seeds.length;
    o.onDiscard?.(`${o.label}: model from seed ${seed} reached ${pct(acc)} (≤ ${pct(o.minAccuracy)}): discarded as in the reference${retrying ? ', training a new seed' : ''}`, record, retrying);
  }
  throw new UserError(
    `${o.label}: all ${o.seeds.length} models trained stayed at or below ${pct(o.minAccuracy)} test accuracy ` +
      `(best ${pct(Math.max(...discarded.map((d) => d.testAccuracy)))}); this configuration does not train — try more --epochs, another --lr, --hidden or --inputs`,
  );
}

/** What a train job needs of this process: float32, a known engine, and for the tfjs engine exactly its backend. */
async function honour(job: TrainJob): Promise<void> {
  requireFloat32(job.dtype);
  const { engine, backend } = job.training;
  if (engine === 'sparse') return;
  if (engine !== 'tfjs') throw new JobRefused(`the job trains with engine '${String(engine)}'; this worker has the engines sparse and tfjs`);
  if (!backend) throw new JobRefused('the job trains with the tfjs engine but names no tfjs backend (a job of an older plan)');
  // Loaded here only: the backend module loads tfjs, which sparse-engine workers never need.
  const { useBackend } = await import('../../backend.js');
  await useBackend(backend);
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
  const { trainMlp } = await import('../../../model/mlp.js');
  return trainMlp(train, job.target.inputs, job.mlp, cfg);
}

/** Train one model with the discard rule; progress in epochs (a discarded model adds the next seed's). */
export async function runTrainJob(job: TrainJob, blobs: BlobSource, onEvent?: JobProgress): Promise<TrainJobResult> {
  await honour(job);
  const { split: train, validation } = deserializeSplit(await blobs.get(job.train));
  const checker = await evaluatorOf(job.test, job.target.inputs, blobs);
  let epochs = 0;
  const kept = await trainWithDiscardRule({
    label: `${job.target.task} run ${job.target.run}`,
    seeds: job.seeds,
    minAccuracy: job.minAccuracy,
    train: (seed) => trainFor(job, train, validation, seed, () => onEvent?.({ type: 'progress', done: ++epochs })),
    accuracy: (m) => checker.accuracy(m),
    onDiscard: (line, d, retrying) => onEvent?.({
      type: 'seed-discarded', seed: d.seed, testAccuracy: d.testAccuracy, minAccuracy: job.minAccuracy, retrying, addedWork: retrying ? job.training.epochs : 0, line,
    }),
  });
  const bytes = serializeModel(kept.result.model);
  const hash = blobHash(bytes);
  return {
    kind: 'train',
    id: job.id,
    model: hash,
    made: [{ hash, bytes }],
    trainSeed: kept.seed,
    attempts: kept.attempts,
    testAccuracy: kept.testAccuracy,
    nTest: checker.n,
    discarded: kept.discarded,
    history: kept.result.history,
    backend: kept.result.backend.name,
    backendVersion: kept.result.backend.version,
  };
}

/** Progress is reported every this many evaluations (and at the end). */
const PROGRESS_EVERY = 16;

/**
 * Evaluate a chunk of one model's sweep; progress in evaluations. One evaluation at a time: its
 * per-batch draws reuse this thread's buffers (measured before the next draw), each probed model is
 * measured against its own start model (its CKA reference), and the event loop gets a turn after
 * each one (a Redis worker renews its job's lock there; an expensive null model under load must
 * not outlast the lock).
 */
export async function runEvalJob(job: EvalJob, blobs: BlobSource, onEvent?: JobProgress): Promise<EvalJobResult> {
  requireFloat32(job.dtype);
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
  for (const e of job.evals) {
    const seed = evaluationSeed(job.baseSeed, target, e);
    const from = startOf(e.spec.bias);
    const measured = measureEvaluation(evaluator, from, e.spec, seed, batches, drawBuffers);
    rows.push(sweepRow(job.target, evaluator.n, e, seed, measured));
    if (rows.length % PROGRESS_EVERY === 0 || rows.length === job.evals.length) onEvent?.({ type: 'progress', done: rows.length });
    // Let the event loop breathe between evaluations (messages, signals, lock renewals).
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { kind: 'eval', id: job.id, rows };
}
