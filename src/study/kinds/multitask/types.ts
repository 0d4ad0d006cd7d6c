/**
 * The jobs of the multi-task study (docs/multitask.md, docs/study.md): train one network on K latent
 * tasks, and measure one trained network — its accuracy, its representation, its weight graph and
 * the probes. Each carries everything its result depends on: the model's setting, every seed, the
 * training settings, the dtype and (for a measurement) the hash of the model it reads. The data are
 * made from the seeds in the job (data.ts): no data blob travels.
 */
import type { ObservationMapKind } from '../../../data/latent-tasks.js';
import type { BlobHash, MadeBlob } from '../../types.js';
import type { StudyProbe } from './config.js';
import type { NetKind, TrainSettings } from './net.js';

/** What one model is: its network and what it is trained on. */
export interface ModelSpec {
  model: NetKind;
  /** Hidden widths ([64, 64] for the MLP, [64] for the RNN). */
  hidden: number[];
  /** Looks per sample: 1 for the MLP, T for the RNN. */
  steps: number;
  observation: ObservationMapKind;
  latentDim: number;
  tasks: number;
  noise: number;
}

/** Which model of the study: the `task` column (the setting's name) and the run. */
export interface ModelTarget {
  task: string;
  run: number;
}

export interface MultitaskTrainJob {
  kind: 'train-multitask';
  /** Stable: `train/<task>/run-<run>`. */
  id: string;
  target: ModelTarget;
  spec: ModelSpec;
  training: TrainSettings;
  /** The observation map, the task normals (D > 2), the training stream, the initial weights. */
  seeds: { map: number; tasks: number; data: number; init: number };
  dtype: 'float32';
}

export interface MultitaskTrainJobResult {
  kind: 'train-multitask';
  id: string;
  /** Blob of the trained network (blobs.ts); `made[0]` carries its bytes. */
  model: BlobHash;
  made: MadeBlob[];
  /** Mean training loss of each epoch. */
  history: number[];
  /** Wall seconds of the training (a record for training.json, not a result). */
  seconds: number;
}

/** One measurement of a model: `baseline` (everything: accuracy, representation, weight lens) or a probe. */
export interface StudyItem extends StudyProbe {
  /** The probe's draws (0 for deterministic probes and the baseline). */
  seed: number;
}

export interface MultitaskEvalJob {
  kind: 'eval-multitask';
  /** Stable: `eval/<task>/run-<run>/<first>-<last>` (indices into the model's items). */
  id: string;
  target: ModelTarget;
  spec: ModelSpec;
  /** The world (map, task normals), the test latents and noise, the metrics' and lens' own draws. */
  seeds: { map: number; tasks: number; test: number; metrics: number };
  testSamples: number;
  /** Test samples the logistic fits (CCGP, task angles) read. */
  fitSamples: number;
  model: BlobHash;
  items: StudyItem[];
  dtype: 'float32';
}

export interface MultitaskEvalJobResult {
  kind: 'eval-multitask';
  id: string;
  rows: import('../../../core/results.js').ResultRow[];
}
