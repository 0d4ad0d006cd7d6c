/**
 * The distributed executor's overhead: the eval jobs of bench/study.ts (default job size, a
 * reference-sized model on the full MNIST 0v7 test set) run over a private local Redis by 2
 * `weightscope worker` processes, against the thread pool with 2 threads on the same machine
 * (both use the 2 cores; the difference is what the queue costs: enqueueing, a worker's fetch,
 * the result's way back). Interleaved, best of BENCH_REPS (3). Each repetition gets jobs never
 * seen before (another base seed: same work, new queue ids), so no result comes from Redis' store.
 * Prints `ratio study evaluations/s over Redis …` (target ≥ 0.95×: under 5 % overhead per job).
 *
 * That difference of two throughputs is noisy on a busy machine, so the queue's cost per job is
 * also measured directly: the round trip of an eval job with no evaluations (enqueue, a worker
 * takes it, runs nothing, the result comes back), sequentially, median of 10, against the compute
 * time of one default-size job in this thread: `ratio study eval job compute time vs Redis queue
 * round trip` (target ≥ 20×, i.e. the queue adds under 5 %); and, as a study runs (100 empty jobs
 * enqueued at once on the 2 workers), each worker's time per job on the queue against the same
 * compute: `ratio study eval job compute time vs Redis queue time per job, jobs enqueued together`
 * (target ≥ 50×: under 2 %, issue 22). Where no redis-server is installed the lines say so
 * instead. Run: `node dist/bench/redis.js`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createThreadPoolExecutor } from '../src/study/executors/index.js';
import { RedisExecutor } from '../src/study/executors/redis.js';
import { DEFAULT_EVAL_CHUNK } from '../src/study/kinds/reference/plan.js';
import type { EvalJob } from '../src/study/kinds/reference/types.js';
import { runJob } from '../src/study/registry.js';
import type { Executor } from '../src/study/types.js';
import { redisMissing, startRedis } from '../test/study/redis-server.js';
import { interleaved, reportRatio } from './ratio.js';
import { studyBenchSetup, type StudyBench } from './study.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const WHAT = 'study evaluations/s over Redis, 2 worker processes';
const PEER = 'thread pool, 2 threads';
const JOB = 'study eval job compute time';
const ROUND_TRIP = 'Redis queue round trip';
const QUEUE_PER_JOB = 'Redis queue time per job, jobs enqueued together (under 2 %)';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A worker process, resolved once it waits for jobs. */
function startWorker(url: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [MAIN, 'worker', '--redis', url], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      if (/waiting for jobs/.test(out)) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`weightscope worker exited (${code}) before it was ready`)));
  });
}

/** Evaluations/s of the bench's jobs with base seed `seed` (fresh jobs), after a warm-up job per worker (another seed). */
async function measure(executor: Executor, b: StudyBench, seed: number): Promise<{ perSecond: number; seconds: number }> {
  const withSeed = (jobs: EvalJob[], s: number): EvalJob[] => jobs.map((j) => ({ ...j, baseSeed: s }));
  await executor.run(withSeed(b.jobs.slice(0, 2), seed + 0x10000), b.blobs, () => undefined);
  const t = performance.now();
  await executor.run(withSeed(b.jobs, seed), b.blobs, () => undefined);
  const seconds = (performance.now() - t) / 1000;
  return { perSecond: b.evaluations / seconds, seconds };
}

export async function run(): Promise<void> {
  const missing = redisMissing('the Redis bench');
  if (missing) {
    console.log(missing);
    reportRatio(WHAT, PEER, null, 0.95, 'redis-server not installed');
    reportRatio(JOB, ROUND_TRIP, null, 20, 'redis-server not installed');
    reportRatio(JOB, QUEUE_PER_JOB, null, 50, 'redis-server not installed');
    return;
  }
  const reps = Number(process.env.BENCH_REPS ?? 3);
  const b = await studyBenchSetup();
  console.log(`mnist-0v7, 784→64→2, full test set; ${b.jobs.length} eval jobs of ≤ ${DEFAULT_EVAL_CHUNK} evaluations (${b.evaluations} in all); redis-server on loopback`);
  const redis = await startRedis();
  const workers: ChildProcess[] = [];
  const pool = createThreadPoolExecutor({ workers: 2 });
  let executor: RedisExecutor | undefined;
  try {
    workers.push(...(await Promise.all([startWorker(redis.url), startWorker(redis.url)])));
    executor = await RedisExecutor.connect(redis.url);
    let seed = 1000;
    const [viaRedis, viaPool] = await interleaved(reps, [() => measure(executor!, b, seed++), () => measure(pool, b, seed++)]);
    const best = (xs: { perSecond: number; seconds: number }[]) => xs.reduce((a, x) => (x.perSecond > a.perSecond ? x : a));
    const r = best(viaRedis);
    const p = best(viaPool);
    // Per job: the wall time the queue added, spread over the 2 workers that ran the jobs at once.
    const overheadMs = ((r.seconds - p.seconds) * 2 * 1000) / b.jobs.length;
    const jobMs = (p.seconds * 2 * 1000) / b.jobs.length;
    console.log(`${PEER.padEnd(36)} ${p.perSecond.toFixed(0)} evaluations/s (best of ${reps}; ${jobMs.toFixed(0)} ms per job per worker)`);
    console.log(`${'Redis, 2 worker processes'.padEnd(36)} ${r.perSecond.toFixed(0)} evaluations/s (best of ${reps})`);
    console.log(`queue overhead per job: ${overheadMs.toFixed(0)} ms (${((100 * overheadMs) / jobMs).toFixed(1)} % of a job's compute)`);
    reportRatio(WHAT, PEER, r.perSecond / p.perSecond, 0.95);

    // The queue alone: jobs that compute nothing, one at a time (the round trip's latency), and many
    // at once as a study enqueues them (what each worker spends per job on the queue: taking it,
    // reporting it, taking the next), against one job's compute here (median of the first 5 jobs).
    const empty: EvalJob = { ...b.jobs[0], evals: [] };
    const trips: number[] = [];
    for (let k = 0; k < 10; k++) {
      const t = performance.now();
      const job: EvalJob = { ...empty, baseSeed: 5000 + k };
      await executor.run([job], b.blobs, () => undefined);
      trips.push(performance.now() - t);
    }
    const batches: number[] = [];
    const many = 100;
    for (let k = 0; k < 3; k++) {
      const t = performance.now();
      await executor.run(Array.from({ length: many }, (_, i) => ({ ...empty, id: `${empty.id}/empty-${i}`, baseSeed: 6000 + k })), b.blobs, () => undefined);
      batches.push(((performance.now() - t) * workers.length) / many);
    }
    const computes: number[] = [];
    for (const job of b.jobs.slice(0, 5)) {
      await runJob(job, b.blobs);
      const t = performance.now();
      await runJob(job, b.blobs);
      computes.push(performance.now() - t);
    }
    const trip = median(trips);
    const perJob = Math.min(...batches);
    const compute = median(computes);
    console.log(`Redis queue round trip of an empty job: ${trip.toFixed(1)} ms (median of ${trips.length}, one at a time); ${many} empty jobs at once: ${perJob.toFixed(2)} ms of each worker's time per job (best of ${batches.length}); one default-size job computes ${compute.toFixed(0)} ms here`);
    console.log(`the queue's time per job: ${((100 * perJob) / compute).toFixed(2)} % of its compute as a study runs jobs (${((100 * trip) / compute).toFixed(2)} % one at a time); load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
    reportRatio(JOB, ROUND_TRIP, compute / trip, 20);
    reportRatio(JOB, QUEUE_PER_JOB, compute / perJob, 50);
  } finally {
    await executor?.close();
    await pool.close();
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(workers.map((w) => (w.exitCode === null && w.signalCode === null ? new Promise((res) => w.once('exit', res)) : null)));
    await redis.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
