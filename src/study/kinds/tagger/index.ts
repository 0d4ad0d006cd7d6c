/**
 * The tagger study (docs/transformer.md): small transformer taggers trained on the Brown corpus,
 * probed layer by layer, beside a window-MLP baseline. Run by `weightscope transformer`. Its
 * registry line: the three kinds of job its plans hold and, loaded on demand, its study (study.ts)
 * and report.
 *
 * This file stays light (worker threads load it through the registry): no tfjs, no corpus.
 */
import type { JobKind, StudyKind } from '../../kind.js';
import type { TaggerStudyOptions } from './study.js';
import { checkTaggerEvalJob, checkTaggerTrainJob, checkWindowMlpJob } from './check.js';
import type { TaggerEvalJob, TaggerEvalJobResult, TaggerTrainJob, TaggerTrainJobResult, WindowMlpJob, WindowMlpJobResult } from './types.js';

// The runners load tfjs (the tagger's matrix products): imported on the first tagger job only.
const runners = () => import('./jobs.js');

const trainTagger: JobKind<TaggerTrainJob, TaggerTrainJobResult> = {
  check: checkTaggerTrainJob,
  reads: (job) => [job.train, job.test],
  stage: 'train',
  work: (job) => job.training.tokens,
  describe: (r) => `model ${r.model.slice(0, 12)}, test accuracy ${r.test.accuracy.toFixed(4)}`,
  runner: async () => (await runners()).runTaggerTrain,
};

const trainWindowMlp: JobKind<WindowMlpJob, WindowMlpJobResult> = {
  check: checkWindowMlpJob,
  reads: (job) => [job.train, job.evaluation, job.test],
  stage: 'train',
  work: (job) => job.training.tokens,
  describe: (r) => `window MLP, test accuracy ${r.test.accuracy.toFixed(4)}`,
  runner: async () => (await runners()).runWindowMlp,
};

const evalTagger: JobKind<TaggerEvalJob, TaggerEvalJobResult> = {
  check: checkTaggerEvalJob,
  reads: (job) => [job.model, job.evaluation],
  stage: 'eval',
  work: (job) => job.items.length,
  rows: (r) => r.rows,
  describe: (r) => `${r.rows.length} rows`,
  runner: async () => (await runners()).runTaggerEval,
};

export const TAGGER_STUDY: StudyKind<TaggerStudyOptions> = {
  jobs: { 'train-tagger': trainTagger, 'train-window-mlp': trainWindowMlp, 'eval-tagger': evalTagger },
  study: async () => (await import('./study.js')).taggerStudy,
  rebuildReport: async (root) => (await import('./study.js')).rebuildTaggerReport(root),
};
