/**
 * The jobs of the twins study (docs/compare.md, "The twins study"): train one MLP of one family,
 * and fingerprint one trained MLP. Each carries everything its result depends on: seeds, the
 * training regime, the fingerprint plan, the dtype, and the hashes of the blobs it reads.
 */
import type { ResultRow } from '../../../core/results.js';
import type { FingerprintPlan, FingerprintRow } from '../../../compare/index.js';
import type { EpochInfo, MlpConfig } from '../../../model/train-loop.js';
import type { InputScaling } from '../../../model/split.js';
import type { BlobHash, MadeBlob } from '../../types.js';

/** The regimes: dense and honest (the reference), weight-sparse, and trained with the shortcut marker. */
export const FAMILIES = ['dense', 'sparse', 'shortcut'] as const;
export type Family = (typeof FAMILIES)[number];

/** Which model a job is about: `task` is `<pair task>.<family>` (the row's task column, the model's folder). */
export interface TwinTarget {
  task: string;
  pair: string;
  family: Family;
  run: number;
}

export interface TwinTraining {
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  /** The first layer's fraction of non-zero weights (sparse family), else absent. */
  density?: number;
}

export interface TwinTrainJob {
  kind: 'train-twin';
  /** Stable: `train/<task>/run-<run>`. */
  id: string;
  target: TwinTarget;
  mlp: MlpConfig;
  training: TwinTraining;
  inputs: InputScaling;
  dtype: 'float32';
  /** Blob of the training split (with the marker for the shortcut family). */
  train: BlobHash;
  /** Blob of the benchmark test split (the marker agreeing with the label at the pair's rate). */
  benchmark: BlobHash;
}

export interface TwinTrainJobResult {
  kind: 'train-twin';
  id: string;
  model: BlobHash;
  made: MadeBlob[];
  benchmarkAccuracy: number;
  nTest: number;
  /** Non-zero weights of the first layer, as a fraction. */
  density: number;
  history: EpochInfo[];
  backend: string;
  backendVersion?: string;
}

export interface TwinFingerprintJob {
  kind: 'fingerprint-twin';
  /** Stable: `eval/<task>/run-<run>/0-0`. */
  id: string;
  target: TwinTarget;
  model: BlobHash;
  /** The benchmark test split (marked) the fingerprint is taken on, and the same images without the marker (the shift). */
  benchmark: BlobHash;
  clean: BlobHash;
  /** Names the benchmark test set (outcomes are paired only on equal names). */
  data: string;
  inputs: InputScaling;
  plan: Partial<FingerprintPlan>;
  /** The fingerprint's seed: the same for every model of the study (common random numbers). */
  seed: number;
  dtype: 'float32';
}

/** A result row of the study; the benchmark row carries the model's whole fingerprint row (kept in results.jsonl). */
export type TwinRow = ResultRow & { fingerprint?: FingerprintRow };

export interface TwinFingerprintJobResult {
  kind: 'fingerprint-twin';
  id: string;
  rows: TwinRow[];
}
