/**
 * What reproduce, train and probe share: turning flags into a binary task with its (optionally
 * limited) splits, and into the model and training configuration.
 */
import { taskSplits, type BinaryTask, type Dataset, type DatasetName } from '../../../data/index.js';
import { defaultTrainEngine } from '../../../model/backend.js';
import type { InputScaling, Split } from '../../../model/split.js';
import type { EpochInfo, MlpConfig, TrainConfig } from '../../../model/train-loop.js';

export interface TaskFlags {
  inputs: InputScaling;
  seed: number;
  /** Hold out this fraction of the training images for validation (0 = none). */
  validationFraction: number;
  trainLimit?: number;
  testLimit?: number;
}

export interface PreparedTask {
  task: BinaryTask;
  train: Split;
  test: Split;
}

/** The task's splits (one definition: src/data/tasks.ts `taskSplits`). */
export function prepareTask(data: Dataset, dataset: DatasetName, pair: [number, number], f: TaskFlags): PreparedTask {
  return taskSplits(data, dataset, pair, f);
}

export interface TrainingFlags {
  hidden: number[];
  activation: MlpConfig['activation'];
  head: MlpConfig['head'];
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Patience in epochs; 0 = off. */
  earlyStopping: number;
  engine?: 'tfjs' | 'sparse';
}

export function mlpConfigOf(f: TrainingFlags): MlpConfig {
  return { inputSize: 784, hidden: f.hidden, activation: f.activation, head: f.head };
}

export function trainConfigOf(f: TrainingFlags, seed: number, validation: Split | null, onProgress?: (info: EpochInfo) => void): TrainConfig {
  return {
    epochs: f.epochs,
    batchSize: f.batchSize,
    learningRate: f.learningRate,
    cosineTMax: 10,
    seed,
    engine: f.engine ?? defaultTrainEngine(),
    earlyStopping: f.earlyStopping > 0 && validation ? { patience: f.earlyStopping, validation } : undefined,
    onProgress,
  };
}
