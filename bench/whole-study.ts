/**
 * The whole reference study — `weightscope reproduce --pairs all --runs 10 --no-graphs`: 45 MNIST
 * pairs × 10 runs, each model trained (10 epochs) and swept with the reference grids and all
 * probes (935 evaluations: 420,750 in all) — timed on a fixed subset and extrapolated, beside the
 * dense floor.
 *
 * The subset: three pairs across the difficulty range (0v1, 3v8, 7v9; BENCH_STUDY_PAIRS), one run
 * each, run as the study runs them — on the thread-pool executor at its defaults (a worker per
 * core), each model's eval jobs enqueued as soon as its train job delivers, all three at once.
 * Its wall time, scaled to 450 models and by the pairs' sizes (a sweep costs in proportion to the
 * test images, training to the training images: the 45 pairs' sums against the subset's), is the
 * study's time. Best of BENCH_REPS (3) runs of the subset. Also printed: the subset's CPU time (all threads)
 * ÷ the cores, the same extrapolation — what the run would take with the cores to itself, the
 * figure to read on a shared machine (the wall time is the target's).
 *
 * The dense floor: evaluations × FLOPs of a dense evaluation (2·n_test·(784·64 + 64·2) each, the
 * 45 pairs' test sets) ÷ the sustained rate of the project's own kernel (spmmWide, the evaluator's
 * float32 product) on a large dense matrix product (2048 × 784 by 784 × 64, every entry stored),
 * measured here in one thread and counted once per core.
 *
 * Prints `ratio whole reference study time vs 30 min: <30 min ÷ time>× (target ≥ 1.0×)`.
 * Run: `node dist/bench/whole-study.js`.
 */
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { allClassPairs, loadDataset, loadSsimRanking } from '../src/data/index.js';
import { loadSpmmKernel } from '../src/model/wasm-kernel.js';
import { MemoryBlobStore } from '../src/study/blobs.js';
import { createThreadPoolExecutor } from '../src/study/executors/index.js';
import { evalJobs, planReferenceStudy, trainJob } from '../src/study/kinds/reference/plan.js';
import type { TrainJob, TrainJobResult } from '../src/study/kinds/reference/types.js';
import type { JobResult } from '../src/study/types.js';
import { reportRatio } from './ratio.js';

const RUNS = 10;
const TARGET_MINUTES = 30;

/** GFLOP/s of spmmWide (one thread) on a dense 2048 × 784 by 784 × 64 product, best of `reps`. */
export function denseKernelGflops(reps = 20): number {
  const rows = 2048;
  const d = 784;
  const width = 64;
  const nnz = rows * d;
  let at = 0;
  const alloc = (bytes: number) => ((at += Math.ceil(bytes / 16) * 16), at - Math.ceil(bytes / 16) * 16);
  const [list, rowPtr, col, val, w, bias, out] = [alloc(rows * 4), alloc((rows + 1) * 4), alloc(nnz * 4), alloc(nnz * 4), alloc(d * width * 4), alloc(width * 4), alloc(rows * width * 4)];
  const kernel = loadSpmmKernel(at)!;
  const buf = kernel.memory.buffer;
  let seed = 1;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) - 0.5;
  new Uint32Array(buf, list, rows).set(Array.from({ length: rows }, (_, r) => r));
  new Uint32Array(buf, rowPtr, rows + 1).set(Array.from({ length: rows + 1 }, (_, r) => r * d));
  new Uint32Array(buf, col, nnz).set(Array.from({ length: nnz }, (_, e) => e % d));
  new Float32Array(buf, val, nnz).set(Array.from({ length: nnz }, random));
  new Float32Array(buf, w, d * width).set(Array.from({ length: d * width }, random));
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    kernel.spmmWide(rows, list, rowPtr, col, val, w, width * 4, bias, out);
    best = Math.min(best, performance.now() - t);
  }
  return (2 * rows * d * width) / (best / 1000) / 1e9;
}

export async function run(): Promise<void> {
  const reps = Number(process.env.BENCH_REPS ?? 3);
  const cores = availableParallelism();
  const data = loadDataset('mnist');
  const ranking = loadSsimRanking('mnist').rows;
  const count = (labels: Uint8Array) => labels.reduce((c, l) => (c[l]++, c), new Array<number>(10).fill(0));
  const [trainCount, testCount] = [count(data.train.labels), count(data.test.labels)];
  const pairs = allClassPairs();
  const sampled = (process.env.BENCH_STUDY_PAIRS ?? '0v1,3v8,7v9').split(',').map((p) => p.split('v').map(Number) as [number, number]);
  const size = (c: number[], list: [number, number][]) => list.reduce((s, [a, b]) => s + c[a] + c[b], 0);

  const blobs = new MemoryBlobStore();
  const study = await planReferenceStudy({
    dataset: 'mnist', pairs: sampled.map(([a, b]) => `${a}v${b}`).join(','), runs: 1, seed: 1, inputs: 'pm1', validationFraction: 0, quick: false,
    hidden: [64], activation: 'relu', head: 'softmax', epochs: 10, batchSize: 128, learningRate: 0.01, earlyStopping: 0, engine: 'sparse',
  }, data, ranking, blobs);
  const perModel = study.evaluations.length;
  const executor = createThreadPoolExecutor();
  // One mini-study: every model trained and swept on the pool, a model's eval jobs enqueued as it arrives.
  const mini = async (): Promise<{ seconds: number; cpu: number }> => {
    const t = performance.now();
    const cpu = process.cpuUsage();
    await Promise.all(study.tasks.map(async (task) => {
      const results: JobResult[] = [];
      const job: TrainJob = { ...trainJob(study, task, 0), minAccuracy: 0 };
      await executor.run([job], blobs, (r) => void results.push(r));
      const trained = results[0] as unknown as TrainJobResult;
      await blobs.put(trained.made[0].bytes!);
      await executor.run(evalJobs(study, task, 0, trained.model), blobs, () => undefined);
    }));
    const used = process.cpuUsage(cpu);
    return { seconds: (performance.now() - t) / 1000, cpu: (used.user + used.system) / 1e6 };
  };
  try {
    let best = { seconds: Infinity, cpu: 0 };
    for (let r = 0; r < reps; r++) {
      const m = await mini();
      if (m.seconds < best.seconds) best = m;
    }
    // 450 models; each part scaled by the 45 pairs' images against the subset's (sweeps by test images, training by training images).
    const models = pairs.length * RUNS;
    const testScale = size(testCount, pairs) / pairs.length / (size(testCount, sampled) / sampled.length);
    const trainScale = size(trainCount, pairs) / pairs.length / (size(trainCount, sampled) / sampled.length);
    const scale = (testScale + trainScale) / 2;
    const studySeconds = (best.seconds / sampled.length) * models * scale;
    // On a shared machine the pool gets what others leave: the same work on the cores to itself (CPU s ÷ cores).
    const cpuSeconds = (best.cpu / cores / sampled.length) * models * scale;
    const evaluations = models * perModel;
    const flopsPerEval = 2 * (size(testCount, pairs) / pairs.length) * (784 * 64 + 64 * 2);
    const gflops = denseKernelGflops();
    const floorSeconds = (evaluations * flopsPerEval) / (gflops * 1e9 * cores);
    const min = (s: number) => `${(s / 60).toFixed(1)} min`;
    console.log(`subset: ${sampled.map(([a, b]) => `${a}v${b}`).join(', ')} (1 run each, ${perModel} evaluations a model, 10 epochs), thread pool of ${cores} workers: ${best.seconds.toFixed(1)} s wall, ${(best.cpu / best.seconds).toFixed(2)} cores used (best of ${reps}); load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
    console.log(`whole reference study (${pairs.length} pairs × ${RUNS} runs, ${evaluations.toLocaleString('en')} evaluations): ≈ ${min(studySeconds)} on ${cores} cores (the subset's wall time ×${((models / sampled.length) * scale).toFixed(1)}); its CPU time ÷ ${cores} cores: ${min(cpuSeconds)}`);
    console.log(`dense floor: ${min(floorSeconds)} (${evaluations.toLocaleString('en')} × ${(flopsPerEval / 1e9).toFixed(3)} GFLOP ÷ (${cores} × ${gflops.toFixed(1)} GFLOP/s, spmmWide on a dense 2048×784·784×64 product, one thread)); the study takes ${(studySeconds / floorSeconds).toFixed(2)}× the floor's time`);
    reportRatio('whole reference study time', `${TARGET_MINUTES} min`, (TARGET_MINUTES * 60) / studySeconds, 1.0);
  } finally {
    await executor.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
