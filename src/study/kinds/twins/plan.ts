/**
 * The twins study's plan: its sizes (default and --quick), its families per class pair, and its
 * jobs. Pure: ids and seeds never depend on scheduling (deriveSeed of the study's seed).
 */
import { deriveSeed } from '../../../core/rng.js';
import { linearGrid, log2Grid } from '../../../probes/sweep.js';
import type { FingerprintPlan } from '../../../compare/fingerprint.js';
import { REFERENCE_MLP } from '../../../model/train-loop.js';
import type { InputScaling } from '../../../model/split.js';
import { evalJobId, trainJobId } from '../../job-ids.js';
import type { BlobHash } from '../../types.js';
import { FAMILIES, type Family, type TwinFingerprintJob, type TwinTarget, type TwinTrainJob, type TwinTraining } from './types.js';

/**
 * Sizes. Training on the pair's whole training set for 5 epochs (the reference's Adam, lr 0.01,
 * cosine period 10), inputs in [0, 1] so that a blank pixel carries no signal: a marker is then
 * invisible to a model that never saw one. Measured on MNIST 7 vs 9 (docs/compare.md): dense 0.990–0.992,
 * sparse at 5 % 0.988, the shortcut model 0.988 on the benchmark at agreement 0.99.
 */
export const TWINS_DEFAULT = { pairs: '7v9,0v7', seeds: 6, epochs: 5, density: 0.05, testLimit: 0 };
export const TWINS_QUICK = { pairs: '7v9', seeds: 4, epochs: 4, density: 0.05, testLimit: 1000 };
export const TWINS_INPUTS: InputScaling = 'unit';
export const TWINS_TRAINING = { batchSize: 128, learningRate: 0.01 };

/**
 * How often the benchmark's marker agrees with the label, per pair: set near the accuracy the
 * honest models reach on it, so that a model that reads the marker alone scores the same.
 */
export const MARKER_AGREEMENT: Record<string, number> = { '7v9': 0.99, '0v7': 0.995 };
export const DEFAULT_AGREEMENT = 0.99;
export const agreementOf = (pair: string): number => MARKER_AGREEMENT[pair] ?? DEFAULT_AGREEMENT;

/** The fingerprint's evaluations: the compare defaults, lighter under --quick. */
export function fingerprintPlan(quick: boolean): Partial<FingerprintPlan> {
  const shared = { shifts: ['translate-2', 'noise-64'], nullModel: 'curveball', ablation: true, circuit: true, edgeCircuit: true };
  if (!quick) return { ...shared, samples: 10 };
  return {
    ...shared,
    prune: [0, 0.25, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99],
    noise: log2Grid(-8, 0, 5),
    signflip: linearGrid(0, 1, 6),
    randomize: ['curveball'],
    randomizeLevels: [0, 0.9],
    samples: 4,
  };
}

/** The row's task column and model folder of a family on a pair task: `mnist-7v9.sparse`. */
export const familyTask = (pairTask: string, family: Family): string => `${pairTask}.${family}`;

/** The models of one pair: every family × seed, family by family. */
export function pairTargets(pairTask: string, pair: string, seeds: number): TwinTarget[] {
  return FAMILIES.flatMap((family) => Array.from({ length: seeds }, (_, run) => ({ task: familyTask(pairTask, family), pair, family, run })));
}

/** What every job of one pair shares. */
export interface TwinPairJobs {
  pairTask: string;
  seed: number;
  epochs: number;
  density: number;
  /** Blobs: the clean and the marked training split, the benchmark (marked) and clean test splits. */
  train: BlobHash;
  trainMarked: BlobHash;
  benchmark: BlobHash;
  clean: BlobHash;
  /** Names the benchmark test set. */
  data: string;
  quick: boolean;
}

export function twinTrainJob(p: TwinPairJobs, t: TwinTarget): TwinTrainJob {
  // The seed depends on the pair and run only: the families' seed-k models start from the same weights and batch order.
  const training: TwinTraining = {
    epochs: p.epochs, ...TWINS_TRAINING, seed: deriveSeed(p.seed, 'train', p.pairTask, t.run),
    ...(t.family === 'sparse' ? { density: p.density } : {}),
  };
  return {
    kind: 'train-twin', id: trainJobId(t.task, t.run), target: t, mlp: REFERENCE_MLP, training, inputs: TWINS_INPUTS, dtype: 'float32',
    train: t.family === 'shortcut' ? p.trainMarked : p.train, benchmark: p.benchmark,
  };
}

export function twinFingerprintJob(p: TwinPairJobs, t: TwinTarget, model: BlobHash): TwinFingerprintJob {
  return {
    kind: 'fingerprint-twin', id: evalJobId(t.task, t.run, 0, 0), target: t, model, benchmark: p.benchmark, clean: p.clean, data: p.data,
    inputs: TWINS_INPUTS, plan: fingerprintPlan(p.quick), seed: deriveSeed(p.seed, 'fingerprint', p.pairTask), dtype: 'float32',
  };
}
