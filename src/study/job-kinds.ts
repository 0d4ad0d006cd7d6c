/**
 * What executors need to know of a job's kind, in one place (no heavy imports: the Redis
 * coordinator and every worker thread load it): which blobs a job reads, and which results bring
 * a new model the jobs after them read; the stable ids of train and eval jobs.
 */
import type { BlobHash, Job, JobResult, TaggerTrainJobResult, TrainJobResult } from './types.js';

export const trainJobId = (task: string, run: number): string => `train/${task}/run-${run}`;
export const evalJobId = (task: string, run: number, first: number, last: number): string => `eval/${task}/run-${run}/${first}-${last}`;

/** The blobs a job reads. */
export function blobsOf(job: Job): BlobHash[] {
  switch (job.kind) {
    case 'train':
    case 'train-tagger':
      return [job.train, job.test];
    case 'eval':
      return [job.model, job.test];
    case 'train-window-mlp':
      return [job.train, job.evaluation, job.test];
    case 'eval-tagger':
      return [job.model, job.evaluation];
  }
}

/** A result that names a trained model (whose bytes it may carry). */
export type ModelResult = TrainJobResult | TaggerTrainJobResult;

export function isModelResult(result: JobResult): result is ModelResult {
  return result.kind === 'train' || result.kind === 'train-tagger';
}

/** One line of what a result holds, for a worker's log. */
export function describeResult(result: JobResult): string {
  switch (result.kind) {
    case 'eval':
    case 'eval-tagger':
      return `${result.rows.length} rows`;
    case 'train':
    case 'train-tagger':
      return `model ${result.model.slice(0, 12)}, test accuracy ${(result.kind === 'train' ? result.testAccuracy : result.test.accuracy).toFixed(4)}`;
    case 'train-window-mlp':
      return `window MLP, test accuracy ${result.test.accuracy.toFixed(4)}`;
  }
}
