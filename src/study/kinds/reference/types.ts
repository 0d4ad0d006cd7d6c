/**
 * The jobs of the reference study (docs/study.md): train one MLP of one task (with the discard
 * rule), and evaluate a chunk of one model's sweep. Each carries everything its result depends
 * on: seeds, the training engine and (for the tfjs engine) the tfjs backend, the dtype, and the
 * hashes of the splits and model it reads.
 */
import type { Difficulty, ResultRow } from '../../../core/results.js';
import type { BackendName } from '../../../model/backend.js';
import type { InputScaling } from '../../../model/split.js';
import type { EpochInfo, MlpConfig } from '../../../model/train-loop.js';
import type { PlannedEval } from '../../../probes/sweep.js';
import type { DiscardedModelRecord } from '../../records.js';
import type { BlobHash, MadeBlob } from '../../types.js';

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
    /** The tfjs backend the tfjs engine trains on (required with it; the sparse engine uses no tfjs). */
    backend?: BackendName;
    earlyStoppingPatience: number;
  };
  dtype: 'float32';
  seeds: number[];
  minAccuracy: number;
}

export interface TrainJobResult {
  kind: 'train';
  id: string;
  /** Blob of the trained model (the first attempt above minAccuracy); `made[0]` carries its bytes. */
  model: BlobHash;
  made: MadeBlob[];
  trainSeed: number;
  attempts: number;
  testAccuracy: number;
  /** Images in the test split the accuracy is measured on. */
  nTest: number;
  discarded: DiscardedModelRecord[];
  history: EpochInfo[];
  /** What trained it: tfjs's backend name (`sparse` for the sparse engine) and version. */
  backend: string;
  backendVersion?: string;
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
  dtype: 'float32';
}

export interface EvalJobResult {
  kind: 'eval';
  id: string;
  rows: ResultRow[];
}
