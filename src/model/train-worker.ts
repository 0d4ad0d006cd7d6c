/**
 * Worker side of the training pool: trains one model per {id, train, inputs, mlp, cfg} message with
 * the sparse engine, posting {id, epoch} after every epoch and {id, result} or {id, error} at the end.
 * It loads train-loop.js only (no tfjs), so it starts in milliseconds.
 */
import { parentPort } from 'node:worker_threads';
import { trainSparse, type EpochInfo, type MlpConfig, type TrainConfig } from './train-loop.js';
import type { InputScaling, Split } from './split.js';

interface Job {
  id: number;
  train: Split;
  inputs: InputScaling;
  mlp: MlpConfig;
  cfg: Omit<TrainConfig, 'onProgress'>;
}

parentPort!.on('message', (job: Job) => {
  const onProgress = (epoch: EpochInfo) => parentPort!.postMessage({ id: job.id, epoch });
  trainSparse(job.train, job.inputs, job.mlp, { ...job.cfg, onProgress }).then(
    (result) => parentPort!.postMessage({ id: job.id, result }),
    (err: Error) => parentPort!.postMessage({ id: job.id, error: { name: err?.name ?? 'Error', message: err?.message ?? String(err), stack: err?.stack } }),
  );
});
