/**
 * What reproduce, train and probe share: turning flags into a binary task with its (optionally
 * limited) splits, and into the model and training configuration.
 */
import { Rng, deriveSeed } from '../core/rng.js';
import { makeBinaryTask, type BinaryTask, type Dataset, type DatasetName } from '../data/index.js';
import { defaultTrainEngine, type EpochInfo, type InputScaling, type MlpConfig, type Split, type TrainConfig } from '../model/index.js';

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

export function prepareTask(data: Dataset, dataset: DatasetName, pair: [number, number], f: TaskFlags): PreparedTask {
  const task = makeBinaryTask(data, dataset, pair[0], pair[1], {
    inputs: f.inputs,
    validationFraction: f.validationFraction,
    seed: deriveSeed(f.seed, 'split', `${dataset}-${pair[0]}v${pair[1]}`),
  });
  return {
    task,
    train: limitSplit(task.train, f.trainLimit, deriveSeed(f.seed, 'train-limit', task.name)),
    test: limitSplit(task.test, f.testLimit, deriveSeed(f.seed, 'test-limit', task.name)),
  };
}

/** A stratified, seeded subset of at most `limit` images (keeps both classes in proportion). */
export function limitSplit(split: Split, limit: number | undefined, seed: number): Split {
  if (!limit || limit >= split.n) return split;
  const d = split.pixels.length / split.n;
  const byClass: number[][] = [[], []];
  for (let k = 0; k < split.n; k++) byClass[split.labels[k]].push(k);
  const rng = new Rng(seed);
  const chosen: number[] = [];
  for (const idx of byClass) {
    const take = Math.round((limit * idx.length) / split.n);
    chosen.push(...rng.shuffle(idx).slice(0, take));
  }
  chosen.sort((a, b) => a - b);
  const pixels = new Uint8Array(chosen.length * d);
  const labels = new Uint8Array(chosen.length);
  chosen.forEach((k, i) => {
    pixels.set(split.pixels.subarray(k * d, (k + 1) * d), i * d);
    labels[i] = split.labels[k];
  });
  return { pixels, labels, n: chosen.length };
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
