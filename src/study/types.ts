/**
 * The contract of the study layer (docs/architecture.md): a study is data, expanded into jobs with
 * stable ids; a job is run by one pure runner wherever it executes (this thread, a worker thread,
 * a process on another machine behind Redis); large inputs travel as content-addressed blobs.
 *
 * Every executor gives the same result for the same job, bit for bit: a job carries everything
 * its result depends on (seeds included), and nothing about where or when it runs.
 */
import type { Difficulty, ResultRow } from '../core/results.js';
import type { DiscardedModelRecord } from './records.js';
import type { EpochInfo, InputScaling, MlpConfig } from '../model/index.js';
import type { PlannedEval } from '../probes/index.js';
import type { TagTask, TaskScores } from '../data/brown.js';
import type { BackendName } from '../model/backend.js';
import type { TransformerConfig } from '../model/transformer/model.js';
import type { TaggerTrainConfig } from '../model/transformer/train.js';
import type { WindowMlpConfig } from '../model/transformer/window-mlp.js';
import type { StudyItem } from './tagger-plan.js';

/** The content hash (sha256, hex) of a blob: a serialized split or model. */
export type BlobHash = string;

/** Where jobs read their large inputs: by content hash. Every executor brings its own. */
export interface BlobSource {
  get(hash: BlobHash): Promise<Uint8Array>;
}

/** Where the coordinator puts them; put() returns the hash and is idempotent. */
export interface BlobStore extends BlobSource {
  put(bytes: Uint8Array): Promise<BlobHash>;
}

/** Which model a job is about: fills the identifying columns of its rows. */
export interface JobTarget {
  task: string;
  difficulty: Difficulty;
  run: number;
  inputs: InputScaling;
}

/** Train one model of one task, applying the discard rule over `seeds` (attempt k uses seeds[k]). */
export interface TrainJob {
  kind: 'train';
  /** Stable: `train/<task>/run-<run>`. */
  id: string;
  target: JobTarget;
  /** Blob of the training split (and validation split when early stopping). */
  train: BlobHash;
  /** Blob of the test split the discard rule measures on. */
  test: BlobHash;
  mlp: MlpConfig;
  training: {
    epochs: number;
    batchSize: number;
    learningRate: number;
    cosineTMax: number;
    engine: 'tfjs' | 'sparse';
    earlyStoppingPatience: number;
  };
  seeds: number[];
  minAccuracy: number;
}

export interface TrainJobResult {
  kind: 'train';
  id: string;
  /** Blob of the trained model (the first attempt above minAccuracy). */
  model: BlobHash;
  trainSeed: number;
  attempts: number;
  testAccuracy: number;
  discarded: DiscardedModelRecord[];
  history: EpochInfo[];
  backend: string;
  /** The tfjs (or sparse engine) version that trained it, for training.json. */
  backendVersion?: string;
  /**
   * The model blob's bytes, as the runner made them: the executor puts them into its BlobStore
   * (so eval jobs find the model) and may drop them before delivering the result.
   */
  modelBytes?: Uint8Array;
}

/** Evaluate a run of planned probed copies of one model on a test split. */
export interface EvalJob {
  kind: 'eval';
  /** Stable: `eval/<task>/run-<run>/<first>-<last>` (indices into the model's full sweep plan). */
  id: string;
  target: JobTarget;
  model: BlobHash;
  test: BlobHash;
  evals: PlannedEval[];
  baseSeed: number;
  /** Re-draw per-batch probes every this many test images (0 = one draw per evaluation). */
  testBatch: number;
}

export interface EvalJobResult {
  kind: 'eval';
  id: string;
  rows: ResultRow[];
}

/**
 * Which tagger study a tagger job belongs to. `backend` is the tfjs backend its matrix products run
 * on (the tagger's linalg uses tfjs' WASM kernels where available, whose sums round differently
 * from the plain loops): part of what the result depends on, so the job names it.
 */
export interface TaggerTarget {
  /** The rows' task column, e.g. `brown-upos`. */
  task: string;
  tagTask: TagTask;
  backend?: BackendName;
}

/** Training settings of a tagger or window-MLP job (model/transformer/train.ts), seed included. */
export type TaggerTraining = Omit<TaggerTrainConfig, 'onStep'>;

/** Train one transformer tagger (docs/transformer.md) and score it on the whole test set. */
export interface TaggerTrainJob {
  kind: 'train-tagger';
  /** Stable: `train/<task>/run-<run>`. */
  id: string;
  target: TaggerTarget & { run: number };
  config: TransformerConfig;
  training: TaggerTraining;
  /** Blob of the packed training sentences. */
  train: BlobHash;
  /** Blob of the packed test sentences the trained tagger is scored on. */
  test: BlobHash;
}

export interface TaggerTrainJobResult {
  kind: 'train-tagger';
  id: string;
  /** Blob of the trained tagger (study/tagger-blobs.ts). */
  model: BlobHash;
  /** As TrainJobResult.modelBytes: the executor stores them and may drop them. */
  modelBytes?: Uint8Array;
  finalLoss: number;
  test: TaskScores;
  /** Wall seconds of the training (a record for training.json, not a result). */
  seconds: number;
  /** The tfjs backend it ran on. */
  backend: string;
}

/** Train the window-MLP baseline on the same tokens and score it on the evaluation and test sentences. */
export interface WindowMlpJob {
  kind: 'train-window-mlp';
  /** Stable: `train/<task>/window-mlp`. */
  id: string;
  target: TaggerTarget;
  config: WindowMlpConfig;
  training: TaggerTraining;
  train: BlobHash;
  evaluation: BlobHash;
  test: BlobHash;
}

export interface WindowMlpJobResult {
  kind: 'train-window-mlp';
  id: string;
  evaluation: TaskScores;
  test: TaskScores;
  seconds: number;
}

/** Evaluate a chunk of layer-by-layer study items on one tagger, on the evaluation sentences. */
export interface TaggerEvalJob {
  kind: 'eval-tagger';
  /** Stable: `eval/<task>/run-<run>/<first>-<last>` (indices into that model's plan). */
  id: string;
  target: TaggerTarget;
  model: BlobHash;
  evaluation: BlobHash;
  /** The items, seeds included (study/tagger-plan.ts). */
  items: StudyItem[];
}

export interface TaggerEvalJobResult {
  kind: 'eval-tagger';
  id: string;
  rows: ResultRow[];
}

export type Job = TrainJob | EvalJob | TaggerTrainJob | WindowMlpJob | TaggerEvalJob;
export type JobResult = TrainJobResult | EvalJobResult | TaggerTrainJobResult | WindowMlpJobResult | TaggerEvalJobResult;

/**
 * Progress a runner may report while it works (epochs of a training, evaluations done); `note` is a
 * line for the user (a model discarded by the discard rule), passed on as it happens.
 */
export type JobProgress = (done: number, note?: string) => void;

/** The one function that does a job; every executor calls it. */
export type JobRunner = (job: Job, blobs: BlobSource, onProgress?: JobProgress) => Promise<JobResult>;

/**
 * Runs jobs somewhere. Results arrive through onResult as jobs finish (any order); run() resolves
 * when every job has a result. A job may be run more than once (a retried job): callers de-duplicate
 * by job id and by rowKey. run() may be called again while earlier calls are running (the
 * coordinator adds a model's eval jobs as soon as its train job is done): all calls share the
 * executor's workers, and each resolves when its own jobs have results (it rejects on the first
 * job that fails).
 */
export interface Executor {
  readonly name: string;
  run(jobs: Job[], blobs: BlobStore, onResult: (result: JobResult) => void | Promise<void>, onProgress?: (id: string, done: number, note?: string) => void): Promise<void>;
  close(): Promise<void>;
}
