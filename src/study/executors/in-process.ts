/**
 * The in-process executor: each job's runner (registry.ts runJob) in this thread, one job at a
 * time, in the order jobs were given. The reference every other executor must match bit for bit.
 */
import { runJob } from '../registry.js';
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
          const result = await runJob(job, batch.blobs, (event) => batch.onEvent?.(job.id, event));
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
    run: (jobs, blobs, onResult, onEvent) => queue.add(jobs, blobs, onResult, onEvent),
    async close() {
      queue.close(new Error('the in-process executor is closed'));
    },
  };
}
