/**
 * What the local executors share: one queue of jobs fed by any number of concurrent run() calls
 * (the coordinator adds a model's eval jobs while training goes on), each call settling when its
 * own jobs have results. A job's result is stored (model bytes into the blob store) before it is
 * delivered, so a job enqueued from onResult finds its inputs.
 */
import type { BlobStore, Job, JobEvent, JobResult } from '../types.js';

/** One run() call: its jobs, where results go, and how it ends. */
export interface Batch {
  blobs: BlobStore;
  onResult: (result: JobResult) => void | Promise<void>;
  onEvent?: (id: string, event: JobEvent) => void;
  left: number;
  failed: boolean;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export interface QueuedJob {
  job: Job;
  batch: Batch;
}

export class JobQueue {
  private readonly waiting: QueuedJob[] = [];
  private closedWith: Error | null = null;

  constructor(private readonly wake: () => void) {}

  /** Queue a run() call's jobs; resolves when all have been delivered, rejects on the first failure. */
  add(jobs: Job[], blobs: BlobStore, onResult: Batch['onResult'], onEvent?: Batch['onEvent']): Promise<void> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (jobs.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const batch: Batch = { blobs, onResult, onEvent, left: jobs.length, failed: false, resolve, reject };
      for (const job of jobs) this.waiting.push({ job, batch });
      this.wake();
    });
  }

  /** The next job to run (jobs of failed calls are dropped), or undefined. */
  take(accept: (q: QueuedJob) => boolean = () => true): QueuedJob | undefined {
    for (let i = 0; i < this.waiting.length; i++) {
      const q = this.waiting[i];
      if (q.batch.failed) {
        this.waiting.splice(i--, 1);
        continue;
      }
      if (!accept(q)) continue;
      this.waiting.splice(i, 1);
      return q;
    }
    return undefined;
  }

  get size(): number {
    return this.waiting.length;
  }

  /** Store the blobs the result made, deliver it, and settle its call when it was the last. */
  async deliver(q: QueuedJob, result: JobResult): Promise<void> {
    const { batch } = q;
    if (batch.failed) return;
    try {
      for (const made of result.made ?? []) if (made.bytes) await batch.blobs.put(made.bytes);
      await batch.onResult(result);
    } catch (err) {
      return this.fail(q, err);
    }
    if (--batch.left === 0) batch.resolve();
  }

  fail(q: QueuedJob, err: unknown): void {
    if (q.batch.failed) return;
    q.batch.failed = true;
    q.batch.reject(err);
  }

  /** Reject every waiting job's call. */
  close(err: Error): void {
    this.closedWith = err;
    for (const q of this.waiting.splice(0)) this.fail(q, err);
  }
}
