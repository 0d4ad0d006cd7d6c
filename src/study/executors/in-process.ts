/**
 * The in-process executor: runJob in this thread, one job at a time, in the order jobs were given.
 * The reference every other executor must match bit for bit.
 */
import { runJob } from '../jobs.js';
import type { Executor } from '../types.js';
import { JobQueue } from './queue.js';

export function createInProcessExecutor(): Executor {
  let busy = false;
  const queue: JobQueue = new JobQueue(() => void drain());
  async function drain(): Promise<void> {
    if (busy) return;
    busy = true;
    try {
      for (let q = queue.take(); q; q = queue.take()) {
        const { job, batch } = q;
        try {
          const result = await runJob(job, batch.blobs, (done, note) => batch.onProgress?.(job.id, done, note));
          await queue.deliver(q, result);
        } catch (err) {
          queue.fail(q, err);
        }
      }
    } finally {
      busy = false;
    }
  }
  return {
    name: 'in-process',
    run: (jobs, blobs, onResult, onProgress) => queue.add(jobs, blobs, onResult, onProgress),
    async close() {
      queue.close(new Error('the in-process executor is closed'));
    },
  };
}
