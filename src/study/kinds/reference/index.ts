/**
 * The reference study (arXiv 2508.05463, docs/study.md): MLPs trained on MNIST / Fashion-MNIST
 * class pairs with the reference's discard rule, each probed with the five probes. Run by
 * `weightscope reproduce`. Its registry line: the two kinds of job its plans hold and, loaded on
 * demand, its study (study.ts) and report.
 *
 * This file stays light (worker threads load it through the registry): no tfjs, no data.
 */
import type { JobKind, StudyKind } from '../../kind.js';
import type { EvalJob, EvalJobResult, TrainJob, TrainJobResult } from './types.js';
import type { ReferenceOptions } from './study.js';
import { checkEvalJob, checkTrainJob } from './check.js';

const train: JobKind<TrainJob, TrainJobResult> = {
  check: checkTrainJob,
  reads: (job) => [job.train, job.test],
  stage: 'train',
  work: (job) => job.training.epochs,
  describe: (r) => `model ${r.model.slice(0, 12)}, test accuracy ${r.testAccuracy.toFixed(4)}`,
  // tfjs-node cannot load in a worker thread, and a fresh thread would start another tfjs.
  mainThread: (job) => job.training.engine === 'tfjs',
  runner: async () => (await import('./jobs.js')).runTrainJob,
};

const evaluate: JobKind<EvalJob, EvalJobResult> = {
  check: checkEvalJob,
  reads: (job) => [job.model, job.test],
  stage: 'eval',
  work: (job) => job.evals.length,
  rows: (r) => r.rows,
  describe: (r) => `${r.rows.length} rows`,
  runner: async () => (await import('./jobs.js')).runEvalJob,
};

export const REFERENCE_STUDY: StudyKind<ReferenceOptions> = {
  jobs: { train, eval: evaluate },
  study: async () => (await import('./study.js')).referenceStudy,
  rebuildReport: async (root, options) => (await import('./study.js')).rebuildReferenceReport(root, options),
};
