/**
 * A small study (2 tasks × 2 runs, a --quick-sized sweep, a few hundred real MNIST images) and a
 * function that runs it — the whole study run of src/study/run.ts, run folder and report included —
 * on any executor into a fresh run folder: the comparison every executor test makes (in-process,
 * thread pool, Redis) — identical sorted rows, nothing lost, nothing twice.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rowKey, type ResultRow } from '../../src/core/results.js';
import { readResultsLog, runPaths } from '../../src/core/run-folder.js';
import { loadDataset, loadSsimRanking, type Dataset } from '../../src/data/index.js';
import { MemoryBlobStore } from '../../src/study/blobs.js';
import { planReferenceStudy, type ReferenceConfig, type ReferenceStudyPlan } from '../../src/study/kinds/reference/plan.js';
import { runStudy, type StudyOutcome } from '../../src/study/run.js';
import type { BlobStore, Executor } from '../../src/study/types.js';

export const SMALL_STUDY: ReferenceConfig = {
  dataset: 'mnist',
  pairs: '0v7,7v9',
  runs: 2,
  seed: 3,
  inputs: 'pm1',
  validationFraction: 0.1,
  trainLimit: 400,
  testLimit: 200,
  quick: true,
  hidden: [16],
  activation: 'relu',
  head: 'softmax',
  epochs: 2,
  batchSize: 64,
  learningRate: 0.01,
  earlyStopping: 0,
  engine: 'sparse',
};

/** Evaluations per eval job in the small study: several jobs per model, one of them short. */
export const SMALL_EVAL_CHUNK = 25;

let mnist: Dataset | null = null;

/** The small study planned (its splits put into `blobs`). */
export function planSmallStudy(blobs: BlobStore, config: Partial<ReferenceConfig> = {}, backend?: 'node' | 'wasm' | 'cpu'): Promise<ReferenceStudyPlan> {
  mnist ??= loadDataset('mnist');
  return planReferenceStudy({ ...SMALL_STUDY, ...config }, mnist, loadSsimRanking('mnist').rows, blobs, { evalChunk: SMALL_EVAL_CHUNK, backend });
}

/** Rows in one canonical order (by rowKey), for comparing runs whose jobs finished in other orders. */
export function sortedRows(rows: ResultRow[]): ResultRow[] {
  return [...rows].sort((a, b) => (rowKey(a) < rowKey(b) ? -1 : rowKey(a) > rowKey(b) ? 1 : 0));
}

export interface SmallRun {
  root: string;
  study: ReferenceStudyPlan;
  outcome: StudyOutcome;
  /** Every row of the folder's results log, sorted. */
  rows: ResultRow[];
}

/**
 * Run the small study on `executor` into `root` (default: a fresh folder), resuming from what the
 * folder's results log and models hold. `blobs`: the executor's store (default in memory);
 * `config`: changes to the study (another engine, say).
 */
export async function runSmallStudy(executor: Executor, options: { root?: string; blobs?: BlobStore; config?: Partial<ReferenceConfig> & { backend?: 'node' | 'wasm' | 'cpu' } } = {}): Promise<SmallRun> {
  const root = options.root ?? join(mkdtempSync(join(tmpdir(), 'ws-study-')), 'run');
  const config = { ...SMALL_STUDY, ...options.config };
  const outcome = await runStudy('reference', { ...config, out: root, evalChunk: SMALL_EVAL_CHUNK, graphs: false }, { executor, blobs: options.blobs });
  const study = await planSmallStudy(new MemoryBlobStore(), config, options.config?.backend ?? 'wasm');
  return { root, study, outcome, rows: sortedRows(readResultsLog(runPaths(root).results)) };
}
