/**
 * The thread-pool executor: a worker thread per core (or `workers`), each running one job at a
 * time with its kind's runner (registry.ts) — training jobs as well as evaluations. A worker asks
 * for a blob the first time a job needs it and keeps it (thread-worker.ts), so a test set or a
 * model crosses to each worker once.
 *
 * Jobs whose kind asks for the main thread (training with the tfjs engine: tfjs-node loads in no
 * worker thread) run in this thread, on the backend the job names.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { UserError } from '../../core/errors.js';
import { jobKind, runJob } from '../registry.js';
import { JobRefused, type Executor, type JobEvent, type JobResult } from '../types.js';
import { JobQueue, type QueuedJob } from './queue.js';

export interface ThreadPoolOptions {
  /** Worker threads, default os.availableParallelism(). */
  workers?: number;
  /** Bytes of blobs each worker keeps (default 256 MiB). */
  cacheBytes?: number;
}

type Reply =
  | { type: 'need'; hash: string }
  | { type: 'event'; seq: number; event: JobEvent }
  | { type: 'result'; seq: number; result: JobResult }
  | { type: 'error'; seq: number; error: { name: string; message: string; stack?: string } };

interface Slot {
  worker: Worker;
  running: (QueuedJob & { seq: number }) | null;
}

function errorFrom(e: { name: string; message: string; stack?: string }): Error {
  const err = e.name === 'JobRefused' ? new JobRefused(e.message) : e.name === 'UserError' ? new UserError(e.message) : new Error(e.message);
  if (e.stack) err.stack = e.stack;
  return err;
}

/** Jobs of a kind that must run on the main thread; a job of an unknown kind is taken here too, and refused. */
function onThisThread(q: QueuedJob): boolean {
  try {
    return jobKind(q.job.kind).mainThread?.(q.job) ?? false;
  } catch {
    return true;
  }
}

/** The pool's size for `workers` (default: one per core). */
export function threadCount(workers?: number): number {
  return Math.max(1, Math.floor(workers ?? availableParallelism()));
}

export interface ThreadPoolExecutor extends Executor {
  /** Blobs sent to workers so far (each worker asks for a blob once and keeps it). */
  readonly blobsSent: number;
}

export function createThreadPoolExecutor(options: ThreadPoolOptions = {}): ThreadPoolExecutor {
  const count = threadCount(options.workers);
  const url = new URL('./thread-worker.js', import.meta.url);
  let closed = false;
  let seq = 0;
  let localBusy = false;
  let blobsSent = 0;
  const queue: JobQueue = new JobQueue(() => pump());

  const spawn = (): Slot => {
    const slot: Slot = { worker: new Worker(url, { workerData: { cacheBytes: options.cacheBytes } }), running: null };
    slot.worker.on('message', (msg: Reply) => {
      const q = slot.running;
      if (msg.type === 'need') {
        // The blob of the job this worker runs: from that job's store.
        if (!q) return;
        q.batch.blobs.get(msg.hash).then(
          (bytes) => {
            blobsSent++;
            slot.worker.postMessage({ type: 'blob', hash: msg.hash, bytes });
          },
          (err: Error) => slot.worker.postMessage({ type: 'blob-missing', hash: msg.hash, message: err.message }),
        );
        return;
      }
      if (!q || msg.seq !== q.seq) return;
      if (msg.type === 'event') return q.batch.onEvent?.(q.job.id, msg.event);
      slot.running = null;
      if (msg.type === 'error') queue.fail(q, errorFrom(msg.error));
      else void queue.deliver(q, msg.result);
      pump();
    });
    slot.worker.on('error', (err) => {
      // The worker died (out of memory, could not start): fail its job, replace it.
      const q = slot.running;
      slot.running = null;
      const k = slots.indexOf(slot);
      if (!closed && k >= 0) slots[k] = spawn();
      if (q) queue.fail(q, err);
      pump();
    });
    return slot;
  };
  const slots: Slot[] = Array.from({ length: count }, spawn);

  async function runLocal(): Promise<void> {
    if (localBusy) return;
    localBusy = true;
    try {
      for (let q = queue.take(onThisThread); q; q = queue.take(onThisThread)) {
        const { job, batch } = q;
        try {
          await queue.deliver(q, await runJob(job, batch.blobs, (event) => batch.onEvent?.(job.id, event)));
        } catch (err) {
          queue.fail(q, err);
        }
      }
    } finally {
      localBusy = false;
    }
  }

  function pump(): void {
    if (closed) return;
    for (const slot of slots) {
      if (slot.running) continue;
      const q = queue.take((x) => !onThisThread(x));
      if (!q) break;
      slot.running = { ...q, seq: seq++ };
      slot.worker.postMessage({ type: 'job', seq: slot.running.seq, job: q.job });
    }
    void runLocal();
  }

  return {
    name: `threads(${count})`,
    get blobsSent() {
      return blobsSent;
    },
    run: (jobs, blobs, onResult, onEvent) => queue.add(jobs, blobs, onResult, onEvent),
    async close() {
      if (closed) return;
      closed = true;
      const err = new Error('the thread-pool executor is closed');
      queue.close(err);
      for (const s of slots) if (s.running) queue.fail(s.running, err);
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
