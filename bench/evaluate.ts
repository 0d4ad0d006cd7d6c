/**
 * Perturbed-model evaluations per second on the MNIST 0v7 test set (2,008 images, pm1 inputs):
 * copies of a trained 784→64→2 model with U(−0.01, 0.01) noise on every weight, evaluated by
 *   - tfjs `cpu`: matMul chain with the test tensor resident (the baseline),
 *   - tfjs `wasm`: the same on the WASM backend (the tfjs-based alternative),
 *   - the evaluator with its plain JS loop (one thread),
 *   - the evaluator with its WASM SIMD kernel (one thread; the default),
 *   - the evaluator pool (worker threads, one per core),
 *   - PyTorch on the same CPU (dense matmul, test tensor resident), when available.
 * The last three are interleaved, best of BENCH_REPS (3) each. Every method's accuracies are checked
 * against the evaluator's. Prints the target line `ratio evaluations/s … vs PyTorch: x×` (the pool
 * at its defaults over PyTorch at its best thread count). Run: `node dist/bench/evaluate.js`.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { Rng, cloneModel, type DenseModel } from '../src/core/index.js';
import { loadMnist, makeBinaryTask, mnistPackageDir } from '../src/data/index.js';
import {
  REFERENCE_MLP, createEvaluator, createEvaluatorPool, selectBackend, splitInputs, trainMlp, type Split,
} from '../src/model/index.js';
import { runPython } from './train.js';
import { bestOfThreads, interleaved, reportRatio } from './ratio.js';

/** Accuracy through tfjs ops: test inputs resident as one tensor, one matMul chain per model. */
function tfjsEvaluator(test: Split): { accuracy(model: DenseModel): number; dispose(): void } {
  const d = test.pixels.length / test.n;
  const x = tf.tensor2d(splitInputs(test, 'pm1'), [test.n, d]);
  const y = tf.tensor1d(test.labels, 'int32');
  return {
    accuracy(model) {
      const correct = tf.tidy(() => {
        let h: tf.Tensor2D = x;
        model.layers.forEach((l, k) => {
          h = tf.matMul(h, tf.tensor2d(l.weights, l.shape));
          if (l.bias) h = tf.add(h, tf.tensor1d(l.bias));
          if (k < model.layers.length - 1 && l.activation === 'relu') h = tf.relu(h);
        });
        return tf.sum(tf.cast(tf.equal(tf.argMax(h, 1), y), 'int32'));
      });
      const c = correct.dataSync()[0];
      correct.dispose();
      return c / test.n;
    },
    dispose() {
      tf.dispose([x, y]);
    },
  };
}

function perturbed(base: DenseModel, count: number, seed: number): DenseModel[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => {
    const m = cloneModel(base);
    for (const l of m.layers) for (let i = 0; i < l.weights.length; i++) l.weights[i] += rng.uniform(-0.01, 0.01);
    return m;
  });
}

async function timed(models: DenseModel[], f: (ms: DenseModel[]) => Promise<number[]> | number[]): Promise<{ perSecond: number; acc: number[] }> {
  const t = performance.now();
  const acc = await f(models);
  return { perSecond: models.length / ((performance.now() - t) / 1000), acc };
}

export async function run(): Promise<void> {
  const task = makeBinaryTask(loadMnist(), 'mnist', 0, 7);
  const test = task.test;
  const scale = Number(process.env.BENCH_SCALE ?? 1);
  console.log(`mnist-0v7 test set: ${test.n} images; 784→64→2 relu models with U(−0.01, 0.01) weight noise; ${availableParallelism()} cores`);
  await selectBackend();
  const base = (await trainMlp(task.train, 'pm1', REFERENCE_MLP, { seed: 1, epochs: 2 })).model;
  const models = perturbed(base, Math.round(600 * scale), 7);
  const evaluator = createEvaluator(test, 'pm1');
  const reference = evaluator.accuracies(models.slice(0, 5));
  const check = (name: string, acc: number[]) => {
    const worst = Math.max(...acc.slice(0, 5).map((a, k) => Math.abs(a - reference[k]) * test.n));
    return worst <= 1 ? '' : ` (disagrees with the evaluator on ${worst} images!)`;
  };
  const rows: [string, number, string][] = [];

  await selectBackend('cpu');
  const tfCpu = tfjsEvaluator(test);
  tfCpu.accuracy(models[0]); // warm-up
  const cpu = await timed(models.slice(0, Math.round(10 * scale)), (ms) => ms.map((m) => tfCpu.accuracy(m)));
  tfCpu.dispose();
  rows.push(['tfjs cpu, matMul (baseline)', cpu.perSecond, check('cpu', cpu.acc)]);

  const backend = await selectBackend('wasm');
  const tfWasm = tfjsEvaluator(test);
  tfWasm.accuracy(models[0]);
  const wasm = await timed(models.slice(0, Math.round(150 * scale)), (ms) => ms.map((m) => tfWasm.accuracy(m)));
  tfWasm.dispose();
  rows.push([`tfjs ${backend.name}, matMul`, wasm.perSecond, check('wasm', wasm.acc)]);

  const jsEval = createEvaluator(test, 'pm1', { wasm: false });
  jsEval.accuracy(models[0]);
  const js = await timed(models.slice(0, Math.round(40 * scale)), (ms) => jsEval.accuracies(ms));
  rows.push(['evaluator, plain JS loop, 1 thread', js.perSecond, check('js', js.acc)]);

  // The evaluator in this thread, the pool at its defaults (what sweeps use) and PyTorch at 1 and
  // 2 threads, interleaved, best of BENCH_REPS (3) each.
  const reps = Number(process.env.BENCH_REPS ?? 3);
  evaluator.accuracies(models.slice(0, 20));
  const pool = createEvaluatorPool({ test, inputs: 'pm1' });
  await pool.evaluate(models.slice(0, 8)); // workers started and warm
  const torchOk = runPython('evaluate_peer.py', [mnistPackageDir(), '1', '1']) !== null;
  const peer = bestOfThreads(
    (threads) => (torchOk ? runPython('evaluate_peer.py', [mnistPackageDir(), String(Math.round(300 * scale)), String(threads)]) : null),
    (r) => 1 / (r.evaluations_per_second as number),
  );
  const [simd, pooled, py1, py2] = await interleaved(reps, [
    () => timed(models.slice(0, Math.round(300 * scale)), (ms) => evaluator.accuracies(ms)),
    () => timed(models, (ms) => pool.evaluate(ms)),
    peer(1),
    peer(2),
  ]);
  await pool.close();
  const bestOf = (xs: { perSecond: number; acc: number[] }[]) => xs.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
  rows.push([`evaluator, ${evaluator.kernel}, 1 thread`, bestOf(simd).perSecond, check('simd', bestOf(simd).acc)]);
  rows.push([`evaluator pool, ${pool.workers} workers (default)`, bestOf(pooled).perSecond, check('pool', bestOf(pooled).acc)]);
  const pyBest: { threads: number; perSecond: number; version: string }[] = [];
  for (const [threads, runs] of [[1, py1], [2, py2]] as const) {
    const done = runs.filter((r): r is Record<string, unknown> => r !== null);
    if (!done.length) continue;
    const perSecond = Math.max(...done.map((r) => r.evaluations_per_second as number));
    pyBest.push({ threads, perSecond, version: String(done[0].torch) });
    rows.push([`PyTorch ${done[0].torch}, ${threads} thread(s), dense matmul`, perSecond, '']);
  }

  const baseline = rows[0][1];
  for (const [name, perSecond, note] of rows) {
    console.log(`${name.padEnd(44)} ${perSecond.toFixed(1).padStart(8)} evaluations/s  ${(perSecond / baseline).toFixed(1).padStart(6)}× baseline${note}`);
  }
  const peerBest = pyBest.length ? pyBest.reduce((a, b) => (b.perSecond > a.perSecond ? b : a)) : null;
  if (peerBest) console.log(`peer: PyTorch ${peerBest.version} at its best thread count (${peerBest.threads}) of 1 and 2; ours: the pool's ${pool.workers} workers`);
  reportRatio('evaluations/s, default settings', 'PyTorch', peerBest ? bestOf(pooled).perSecond / peerBest.perSecond : null, 2.0);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
