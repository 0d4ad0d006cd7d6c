/**
 * The multi-task study (arXiv 2407.11249; docs/multitask.md): networks trained on K binary tasks
 * over a hidden latent state, measured for disentanglement and through their weight graphs and the
 * five probes. Run by `weightscope multitask`. Its registry line: the two kinds of job its plans
 * hold and, loaded on demand, its study (study.ts) and report.
 *
 * This file stays light (worker threads load it through the registry): no data, no stats.
 */
import type { JobKind, StudyKind } from '../../kind.js';
import type { MultitaskOptions } from './study.js';
import { checkMultitaskEvalJob, checkMultitaskTrainJob } from './check.js';
import type { MultitaskEvalJob, MultitaskEvalJobResult, MultitaskTrainJob, MultitaskTrainJobResult } from './types.js';

const runners = () => import('./jobs.js');

const train: JobKind<MultitaskTrainJob, MultitaskTrainJobResult> = {
  check: checkMultitaskTrainJob,
  reads: () => [],
  stage: 'train',
  work: (job) => job.training.epochs,
  describe: (r) => `network ${r.model.slice(0, 12)}, final loss ${r.history[r.history.length - 1]?.toFixed(4) ?? '–'}`,
  runner: async () => (await runners()).runMultitaskTrain,
};

const evaluate: JobKind<MultitaskEvalJob, MultitaskEvalJobResult> = {
  check: checkMultitaskEvalJob,
  reads: (job) => [job.model],
  stage: 'eval',
  work: (job) => job.items.length,
  rows: (r) => r.rows,
  describe: (r) => `${r.rows.length} rows`,
  runner: async () => (await runners()).runMultitaskEval,
};

export const MULTITASK_STUDY: StudyKind<MultitaskOptions> = {
  jobs: { 'train-multitask': train, 'eval-multitask': evaluate },
  study: async () => (await import('./study.js')).multitaskStudy,
  rebuildReport: async (root) => (await import('./study.js')).rebuildMultitaskReport(root),
};
