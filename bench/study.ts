/**
 * The study layer's executors on the default job size: a reference-sized model (784→64→2, trained
 * one epoch) evaluated on the full MNIST 0v7 test set (≈ 2000 images) through eval jobs of
 * DEFAULT_EVAL_CHUNK evaluations of the reference sweep, as `weightscope reproduce` runs them.
 * Prints the compute time of one job (it must be ≥ 50 ms: what a queue round trip is amortised
 * over) and evaluations/s on the worker-thread pool with 1 and 2 threads, interleaved, best of
 * BENCH_REPS (3). Run: `node dist/bench/study.js`.
 *
 * The setup and the throughput measure are exported for other executors' legs (the Redis one).
 */
import { fileURLToPath } from 'node:url';
import { loadDataset, loadSsimRanking } from '../src/data/index.js';
import { MemoryBlobStore } from '../src/study/blobs.js';
import { createThreadPoolExecutor } from '../src/study/executors/index.js';
import { DEFAULT_EVAL_CHUNK, evalJobs, planReferenceStudy, trainJob } from '../src/study/kinds/reference/plan.js';
import type { EvalJob, TrainJob, TrainJobResult } from '../src/study/kinds/reference/types.js';
import { runJob } from '../src/study/registry.js';
import type { BlobStore, Executor } from '../src/study/types.js';
import { interleaved, reportRatio } from './ratio.js';

export interface StudyBench {
  blobs: BlobStore;
  /** Eval jobs of the default size, of one trained model. */
  jobs: EvalJob[];
  evaluations: number;
}

/**
 * A trained reference-sized model and `jobCount` of its eval jobs (default sweep, default chunk);
 * by default all of them (≈ 20 jobs, ≈ 930 evaluations): the jobs' costs differ by up to 8× (a
 * Curveball null costs more than a pruned copy), so a handful of jobs on 2 workers measures how the
 * last one lands more than the throughput a study sees, where each model brings a whole sweep.
 */
export async function studyBenchSetup(jobCount = Number(process.env.BENCH_JOBS ?? Infinity)): Promise<StudyBench> {
  const blobs = new MemoryBlobStore();
  const study = await planReferenceStudy({
    dataset: 'mnist', pairs: '0v7', runs: 1, seed: 1, inputs: 'pm1', validationFraction: 0, quick: false,
    hidden: [64], activation: 'relu', head: 'softmax', epochs: 1, batchSize: 128, learningRate: 0.01, earlyStopping: 0, engine: 'sparse',
  }, loadDataset('mnist'), loadSsimRanking('mnist').rows, blobs);
  const task = study.tasks[0];
  const job: TrainJob = { ...trainJob(study, task, 0), minAccuracy: 0 };
  const trained = (await runJob(job, blobs)) as TrainJobResult;
  await blobs.put(trained.made[0].bytes!);
  // Spread over the whole sweep (prune, noise, flips, randomizations), not its first probes only.
  const all = evalJobs(study, task, 0, trained.model);
  const step = Math.max(1, Math.floor(all.length / Math.min(jobCount, all.length)));
  const jobs = all.filter((_, k) => k % step === 0).slice(0, jobCount);
  return { blobs, jobs, evaluations: jobs.reduce((a, j) => a + j.evals.length, 0) };
}

/** Evaluations per second of running every job on `executor` (after a warm-up job per worker). */
export async function evaluationsPerSecond(executor: Executor, b: StudyBench, workers = 2): Promise<number> {
  // Every worker started, its test set and model sent and its evaluator built: one job each.
  await executor.run(b.jobs.slice(0, workers).map((j) => ({ ...j, id: `${j.id}/warm-up` })), b.blobs, () => undefined);
  const t = performance.now();
  await executor.run(b.jobs, b.blobs, () => undefined);
  return b.evaluations / ((performance.now() - t) / 1000);
}

export async function run(): Promise<void> {
  const reps = Number(process.env.BENCH_REPS ?? 3);
  const b = await studyBenchSetup();
  console.log(`mnist-0v7, 784→64→2, full test set; ${b.jobs.length} eval jobs of ≤ ${DEFAULT_EVAL_CHUNK} evaluations (${b.evaluations} in all)`);

  // Compute time of one job in this thread (the second run: the evaluator is built by the first).
  const jobMs: number[] = [];
  for (const job of b.jobs.slice(0, Math.min(4, b.jobs.length))) {
    await runJob(job, b.blobs);
    const t = performance.now();
    await runJob(job, b.blobs);
    jobMs.push(performance.now() - t);
  }
  const median = [...jobMs].sort((x, y) => x - y)[Math.floor(jobMs.length / 2)];
  console.log(`one eval job computes ${median.toFixed(0)} ms (median of ${jobMs.length}; ${(median / DEFAULT_EVAL_CHUNK).toFixed(2)} ms per evaluation)`);
  reportRatio('study eval job compute time', '50 ms per queue round trip', median / 50, 1);

  const pools = [createThreadPoolExecutor({ workers: 1 }), createThreadPoolExecutor({ workers: 2 })];
  try {
    const [one, two] = await interleaved(reps, [() => evaluationsPerSecond(pools[0], b), () => evaluationsPerSecond(pools[1], b)]);
    const best1 = Math.max(...one);
    const best2 = Math.max(...two);
    console.log(`thread pool, 1 worker   ${best1.toFixed(0)} evaluations/s (best of ${reps})`);
    console.log(`thread pool, 2 workers  ${best2.toFixed(0)} evaluations/s (best of ${reps})`);
    reportRatio('study evaluations/s on 2 worker threads', '1 worker thread', best2 / best1, 1.6);
  } finally {
    await Promise.all(pools.map((p) => p.close()));
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
