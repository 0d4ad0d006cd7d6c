/**
 * The jobs of the tagger study (docs/transformer.md, docs/study.md): train a transformer tagger,
 * train the window-MLP baseline, evaluate a chunk of layer-by-layer study items on one tagger.
 * Each carries everything its result depends on: seeds, settings, the tfjs backend the tagger's
 * matrix products run on, the dtype, and the hashes of the sentences and tagger it reads.
 */
import type { ProbeName, ResultRow } from '../../../core/results.js';
import type { TagTask, TaskScores } from '../../../data/brown.js';
import type { BackendName } from '../../../model/backend.js';
import type { TransformerConfig } from '../../../model/transformer/model.js';
import type { TaggerTrainConfig } from '../../../model/transformer/train.js';
import type { WindowMlpConfig } from '../../../model/transformer/window-mlp.js';
import type { BlobHash, MadeBlob } from '../../types.js';

/** A probe of the study at one level (plan.ts STUDY_PROBES). */
export interface StudyProbe {
  probe: ProbeName;
  variant: string;
  signed: boolean;
  level: number;
}

/** One evaluation to do: a probe on a set of layers of one run's tagger, its seed included. */
export interface StudyItem extends StudyProbe {
  run: number;
  target: string;
  layers: string[];
  /** Branches removed from the residual stream (ablation rows). */
  ablate?: string[];
  seed: number;
}

/**
 * Which tagger study a job belongs to. `backend` is the tfjs backend its matrix products run on
 * (the tagger's linalg uses tfjs' WASM or native kernels where available, whose sums round
 * differently from the plain loops): part of what the result depends on, so the job names it.
 */
export interface TaggerTarget {
  /** The rows' task column, e.g. `brown-upos`. */
  task: string;
  tagTask: TagTask;
  backend: BackendName;
}

/** Training settings of a tagger or window-MLP job (model/transformer/train.ts), seed included. */
export type TaggerTraining = Omit<TaggerTrainConfig, 'onStep'>;

/** Train one transformer tagger and score it on the whole test set. */
export interface TaggerTrainJob {
  kind: 'train-tagger';
  /** Stable: `train/<task>/run-<run>`. */
  id: string;
  target: TaggerTarget & { run: number };
  config: TransformerConfig;
  training: TaggerTraining;
  dtype: 'float32';
  /** Blob of the packed training sentences. */
  train: BlobHash;
  /** Blob of the packed test sentences the trained tagger is scored on. */
  test: BlobHash;
}

export interface TaggerTrainJobResult {
  kind: 'train-tagger';
  id: string;
  /** Blob of the trained tagger (blobs.ts); `made[0]` carries its bytes. */
  model: BlobHash;
  made: MadeBlob[];
  finalLoss: number;
  test: TaskScores;
  /** Wall seconds of the training (a record for training.json, not a result). */
  seconds: number;
  /** The tfjs backend it ran on, and its version. */
  backend: string;
  backendVersion?: string;
}

/** Train the window-MLP baseline on the same tokens and score it on the evaluation and test sentences. */
export interface WindowMlpJob {
  kind: 'train-window-mlp';
  /** Stable: `train/<task>/window-mlp`. */
  id: string;
  target: TaggerTarget;
  config: WindowMlpConfig;
  training: TaggerTraining;
  dtype: 'float32';
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
  /** The items, seeds included (plan.ts). */
  items: StudyItem[];
  dtype: 'float32';
}

export interface TaggerEvalJobResult {
  kind: 'eval-tagger';
  id: string;
  rows: ResultRow[];
}
