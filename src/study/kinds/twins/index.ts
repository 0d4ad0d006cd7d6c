/**
 * The twins study (docs/compare.md, "The twins study"): families of 784 → 64 → 2 MLPs trained to
 * the same benchmark accuracy by different regimes — dense, weight-sparse, with a shortcut marker —
 * each fingerprinted, and claims computed from the fingerprints. Run by `weightscope twins`. This
 * file stays light (worker threads load it through the registry).
 */
import type { JobKind, StudyKind } from '../../kind.js';
import type { TwinsStudyOptions } from './study.js';
import { checkTwinFingerprintJob, checkTwinTrainJob } from './check.js';
import type { TwinFingerprintJob, TwinFingerprintJobResult, TwinTrainJob, TwinTrainJobResult } from './types.js';

const runners = () => import('./jobs.js');

const trainTwin: JobKind<TwinTrainJob, TwinTrainJobResult> = {
  check: checkTwinTrainJob,
  reads: (job) => [job.train, job.benchmark],
  stage: 'train',
  work: (job) => job.training.epochs,
  describe: (r) => `model ${r.model.slice(0, 12)}, benchmark accuracy ${r.benchmarkAccuracy.toFixed(4)}, density ${r.density.toFixed(3)}`,
  runner: async () => (await runners()).runTwinTrain,
};

const fingerprintTwin: JobKind<TwinFingerprintJob, TwinFingerprintJobResult> = {
  check: checkTwinFingerprintJob,
  reads: (job) => [job.model, job.benchmark, job.clean],
  stage: 'eval',
  work: () => 1,
  rows: (r) => r.rows,
  describe: (r) => `fingerprint, ${r.rows.length} rows`,
  runner: async () => (await runners()).runTwinFingerprint,
};

export const TWINS_STUDY: StudyKind<TwinsStudyOptions> = {
  jobs: { 'train-twin': trainTwin, 'fingerprint-twin': fingerprintTwin },
  study: async () => (await import('./study.js')).twinsStudy,
  rebuildReport: async (root) => (await import('./study.js')).rebuildTwinsReport(root),
};
