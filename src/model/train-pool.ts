/**
 * Training several models at once: a pool of worker threads, each training one model at a time with
 * the sparse engine (train-worker.ts). The study trains 3–10 models per task; on a 2-core machine two
 * train side by side. Results are the same bit for bit as trainMlp with engine 'sparse' in the main
 * thread (same code, same seeds); only where it runs differs.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { UserError } from '../core/index.js';
import type { EpochInfo, MlpConfig, TrainConfig, TrainResult } from './train-loop.js';
import type { InputScaling, Split } from './split.js';

export interface TrainingPool {
  /** trainMlp(train, inputs, mlp, { ...cfg, engine: 'sparse' }) on a free worker. */
  train(train: Split, inputs: InputScaling, mlp: MlpConfig, cfg: TrainConfig): Promise<TrainResult>;
  /** Terminate the workers; pending trainings are rejected. */
  close(): Promise<void>;
  readonly workers: number;
}

interface Job {
  message: { id: number; train: Split; inputs: InputScaling; mlp: MlpConfig; cfg: Omit<TrainConfig, 'onProgress'> };
  onProgress?: (info: EpochInfo) => void;
  done: (r: TrainResult) => void;
  fail: (e: Error) => void;
}

interface Reply {
  id: number;
  epoch?: EpochInfo;
  result?: TrainResult;
  error?: { name: string; message: string; stack?: string };
}

/** A pool of `workers` training threads (default: one per core). */
export function createTrainingPool(options: { workers?: number } = {}): TrainingPool {
  const count = Math.max(1, Math.floor(options.workers ?? availableParallelism()));
  const url = new URL('./train-worker.js', import.meta.url);
  const queue: Job[] = [];
  const running = new Map<Worker, Job>();
  let closed = false;
  let nextId = 0;

  const spawn = (): Worker => {
    const worker = new Worker(url);
    worker.on('message', (msg: Reply) => {
      const job = running.get(worker);
      if (!job || msg.id !== job.message.id) return;
      if (msg.epoch) return job.onProgress?.(msg.epoch);
      running.delete(worker);
      if (msg.error) {
        const err = msg.error.name === 'UserError' ? new UserError(msg.error.message) : new Error(msg.error.message);
        if (msg.error.stack) err.stack = msg.error.stack;
        job.fail(err);
      } else job.done(msg.result!);
      pump();
    });
    worker.on('error', (err) => {
      const job = running.get(worker);
      running.delete(worker);
      const k = workers.indexOf(worker);
      if (!closed && k >= 0) workers[k] = spawn();
      job?.fail(err);
      pump();
    });
    return worker;
  };
  const workers: Worker[] = Array.from({ length: count }, spawn);

  function pump(): void {
    for (const worker of workers) {
      if (running.has(worker) || queue.length === 0) continue;
      const job = queue.shift()!;
      running.set(worker, job);
      worker.postMessage(job.message);
    }
  }

  return {
    workers: count,
    train(train, inputs, mlp, cfg) {
      if (closed) return Promise.reject(new Error('training pool is closed'));
      const { onProgress, ...rest } = cfg;
      return new Promise<TrainResult>((done, fail) => {
        queue.push({ message: { id: nextId++, train, inputs, mlp, cfg: rest }, onProgress, done, fail });
        pump();
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      const err = new Error('training pool was closed');
      for (const job of queue.splice(0)) job.fail(err);
      for (const job of running.values()) job.fail(err);
      running.clear();
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
