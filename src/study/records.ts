/**
 * The two records of a run folder, one versioned shape each for every study kind (docs/study.md):
 * `run.json` (the run: configuration, sessions, versions, timings, the models and what the discard
 * rule discarded, plus the kind's own fields) and each model's `training.json` (how that model was
 * trained and how it scored). Folders written before the shapes were unified (no `formatVersion`)
 * are read through `upgradeTrainingRecord`, so they stay resumable.
 */
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { readJsonFile, writeJsonAtomic } from '../core/io.js';
import { TRAINING_RECORD, type RunSession } from '../core/run-folder.js';
import type { EpochInfo } from '../model/train-loop.js';

/** Bumped when a field of run.json or training.json changes meaning. */
export const RECORD_FORMAT_VERSION = 1;

/** A model that failed the discard rule: listed in training.json and run.json, never probed. */
export interface DiscardedModelRecord {
  attempt: number;
  seed: number;
  testAccuracy: number;
}

/** What computed a model: tfjs's name for its backend (`tensorflow`, `wasm`, `cpu`) and the package version. */
export interface BackendRecord {
  name: string;
  version?: string;
}

/** `models/<task>/run-<k>/training.json` (and `train --out`'s `run-<k>/training.json`). */
export interface TrainingRecord {
  formatVersion: typeof RECORD_FORMAT_VERSION;
  /** `mlp` (the reference study, `train`) or `tagger`. */
  model: string;
  task: string;
  run: number;
  /** The seed the kept model trained from. */
  seed: number;
  /** Trainings it took (the discard rule replaces a model at or below the threshold); 1 without the rule. */
  attempts: number;
  discarded: DiscardedModelRecord[];
  /** `sparse` or `tfjs` for MLPs; `tagger` (the project's own forward/backward, matrix products on `backend`). */
  engine: string;
  backend: BackendRecord | null;
  /** The kept model on the test set: accuracy and test items; taggers add their F1 scores (data/brown.ts TaskScores). */
  test: ({ accuracy: number; n: number | null } & Record<string, number | null>) | null;
  /** Per epoch (MLPs); empty for taggers. */
  history: EpochInfo[];
  /** Wall seconds of the training, when measured. */
  seconds: number | null;
  /** What else the kind records: MLPs their input scaling, taggers their training tokens and final loss. */
  details: Record<string, unknown>;
}

/** A model of a run in run.json: its training record less the history. */
export type ModelSummary = Omit<TrainingRecord, 'formatVersion' | 'history'> & { trained: boolean };

/** `run.json`: the common fields; a kind adds its own (the MLP study's tasks, sweep, ssim; the tagger study's model, data, baselines). */
export interface RunRecord {
  tool: 'weightscope';
  formatVersion: typeof RECORD_FORMAT_VERSION;
  /** The study kind (src/study/registry.ts) and the command that ran it. */
  kind: string;
  command: string;
  /** `failed`: a job failed for good (refused, timed out on a worker); `failed` says which and why. */
  status: 'running' | 'complete' | 'failed';
  failed?: { job: string; reason: string; at: string };
  started: string;
  finished?: string;
  /** Every option of the run: the resume identity is every key but where and how it runs. */
  config: Record<string, unknown>;
  /** The tfjs backend of the latest session. */
  backend: BackendRecord;
  sessions: RunSession[];
  versions: Record<string, string>;
  timings: Record<string, number>;
  /** Every model known so far, in plan order. */
  models: ModelSummary[];
  /** Every model the discard rule discarded, with its task and run. */
  discarded: (DiscardedModelRecord & { task: string; run: number })[];
  [field: string]: unknown;
}

export function trainingRecord(fields: Omit<TrainingRecord, 'formatVersion'>): TrainingRecord {
  return { formatVersion: RECORD_FORMAT_VERSION, ...fields };
}

const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/**
 * A training record of any version as the current shape. Before version 1 there were three:
 * reproduce's (seed, attempts, backend {name, version}, history, testAccuracy, discarded),
 * the tagger study's (seed, seconds, finalLoss, tokens, test scores, backend name) and train's
 * (task, seed, inputs, backend, engine, history, testAccuracy, n_test).
 */
export function upgradeTrainingRecord(raw: unknown, where: { task: string; run: number; model: string }): TrainingRecord | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const r = raw as Record<string, unknown>;
  if (r.formatVersion === RECORD_FORMAT_VERSION) return r as unknown as TrainingRecord;
  const backend = typeof r.backend === 'string' ? { name: r.backend } : typeof r.backend === 'object' && r.backend !== null ? (r.backend as BackendRecord) : null;
  const scores = typeof r.test === 'object' && r.test !== null ? (r.test as TrainingRecord['test']) : null;
  const accuracy = num(r.testAccuracy);
  return trainingRecord({
    model: where.model,
    task: typeof r.task === 'string' ? r.task : where.task,
    run: where.run,
    seed: num(r.seed) ?? 0,
    attempts: num(r.attempts) ?? 1,
    discarded: Array.isArray(r.discarded) ? (r.discarded as DiscardedModelRecord[]) : [],
    engine: typeof r.engine === 'string' ? r.engine : where.model === 'tagger' ? 'tagger' : 'unknown',
    backend,
    test: scores ?? (accuracy === null ? null : { accuracy, n: num(r.n_test) }),
    history: Array.isArray(r.history) ? (r.history as EpochInfo[]) : [],
    seconds: num(r.seconds),
    details: {
      ...(typeof r.inputs === 'string' ? { inputs: r.inputs } : {}),
      ...(num(r.tokens) !== null ? { tokens: r.tokens } : {}),
      ...(num(r.finalLoss) !== null ? { finalLoss: r.finalLoss } : {}),
    },
  });
}

/** A model folder's training record (any version), or null when it has none. */
export function readTrainingRecord(dir: string, where: { task: string; run: number; model: string }): TrainingRecord | null {
  const path = join(dir, TRAINING_RECORD);
  return existsSync(path) ? upgradeTrainingRecord(readJsonFile(path, 'training record'), where) : null;
}

export function writeTrainingRecord(dir: string, record: TrainingRecord): void {
  writeJsonAtomic(join(dir, TRAINING_RECORD), record);
}

export function modelSummary(record: TrainingRecord, trained: boolean): ModelSummary {
  const { formatVersion: _v, history: _h, ...rest } = record;
  return { ...rest, trained };
}
