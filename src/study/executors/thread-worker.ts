/**
 * A worker thread of the thread-pool executor: runs the jobs it is sent with their kind's runner
 * (registry.ts runJob), and fetches
 * the blobs a job needs from the coordinator the first time (then keeps them, by hash, up to a
 * byte budget).
 *
 *   in:  {type: 'job', seq, job} | {type: 'blob', hash, bytes} | {type: 'blob-missing', hash, message}
 *   out: {type: 'need', hash} | {type: 'event', seq, event} | {type: 'result', seq, result} | {type: 'error', seq, error}
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runJob } from '../registry.js';
import type { BlobHash, BlobSource, Job } from '../types.js';

type Incoming =
  | { type: 'job'; seq: number; job: Job }
  | { type: 'blob'; hash: BlobHash; bytes: Uint8Array }
  | { type: 'blob-missing'; hash: BlobHash; message: string };

const port = parentPort!;
const budget = (workerData as { cacheBytes?: number } | undefined)?.cacheBytes ?? 256 * 2 ** 20;
const cache = new Map<BlobHash, Uint8Array>();
let cached = 0;
const waiting = new Map<BlobHash, { resolve: (b: Uint8Array) => void; reject: (e: Error) => void }[]>();

const blobs: BlobSource = {
  get(hash) {
    const hit = cache.get(hash);
    if (hit) {
      cache.delete(hash);
      cache.set(hash, hit); // most recently used last
      return Promise.resolve(hit);
    }
    return new Promise((resolve, reject) => {
      const list = waiting.get(hash);
      if (list) return list.push({ resolve, reject });
      waiting.set(hash, [{ resolve, reject }]);
      port.postMessage({ type: 'need', hash });
    });
  },
};

function keep(hash: BlobHash, bytes: Uint8Array): void {
  if (cache.has(hash)) return;
  cache.set(hash, bytes);
  cached += bytes.byteLength;
  for (const [h, b] of cache) {
    if (cached <= budget || h === hash) break;
    cache.delete(h);
    cached -= b.byteLength;
  }
}

port.on('message', (msg: Incoming) => {
  if (msg.type === 'blob' || msg.type === 'blob-missing') {
    const list = waiting.get(msg.hash) ?? [];
    waiting.delete(msg.hash);
    if (msg.type === 'blob') keep(msg.hash, msg.bytes);
    for (const w of list) {
      if (msg.type === 'blob') w.resolve(msg.bytes);
      else w.reject(new Error(msg.message));
    }
    return;
  }
  const { seq, job } = msg;
  runJob(job, blobs, (event) => port.postMessage({ type: 'event', seq, event })).then(
    (result) => port.postMessage({ type: 'result', seq, result }),
    (err: Error) => port.postMessage({ type: 'error', seq, error: { name: err?.name ?? 'Error', message: err?.message ?? String(err), stack: err?.stack } }),
  );
});
