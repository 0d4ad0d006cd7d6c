/**
 * Training speed of the reference model (784→64→2 ReLU, batch 128, Adam + cosine) on the real MNIST
 * 0v7 training set (12,188 images): seconds per epoch on the tfjs `cpu` backend (the baseline, one
 * epoch), on the backend selectBackend picks (10 epochs), with the `sparse` engine (10 epochs), and
 * PyTorch on the same CPU (1 and 2 threads) when `/usr/bin/python3 -c 'import torch'` works.
 * Run: `node dist/bench/train.js` (BENCH_EPOCHS=n to change the 10).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { loadMnist, makeBinaryTask, mnistPackageDir } from '../src/data/index.js';
import { REFERENCE_MLP, createEvaluator, selectBackend, trainMlp } from '../src/model/index.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The python peers live in the source tree (bench/python), beside this file's source. */
export const PYTHON_DIR = join(here, '..', '..', 'bench', 'python');

/** Run a python peer script; its parsed JSON, or null (with the reason printed) when PyTorch is unavailable. */
export function runPython(script: string, args: string[]): Record<string, unknown> | null {
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    console.log('PyTorch not available');
    return null;
  }
  const r = spawnSync('/usr/bin/python3', [join(PYTHON_DIR, script), ...args], { encoding: 'utf8', cwd: PYTHON_DIR });
  if (r.status !== 0) {
    console.log(`PyTorch peer failed: ${r.stderr.trim().split('\n').pop()}`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

const fmt = (x: number, d = 2) => x.toFixed(d);

export async function run(): Promise<void> {
  const task = makeBinaryTask(loadMnist(), 'mnist', 0, 7);
  const epochs = Number(process.env.BENCH_EPOCHS ?? 10);
  console.log(`task mnist-0v7: ${task.train.n} training images, ${task.test.n} test images; 784→64→2 relu, batch 128`);
  const evaluator = createEvaluator(task.test, 'pm1');

  await selectBackend('cpu');
  const cpu = await trainMlp(task.train, 'pm1', REFERENCE_MLP, { seed: 1, epochs: 1 });
  const cpuEpoch = cpu.history[0].seconds;
  console.log(`tfjs cpu (baseline)   ${fmt(cpuEpoch)} s/epoch (1 epoch)`);

  const backend = await selectBackend();
  const fast = await trainMlp(task.train, 'pm1', REFERENCE_MLP, { seed: 1, epochs });
  const perEpoch = fast.history.reduce((a, h) => a + h.seconds, 0) / fast.history.length;
  const total = fast.history.reduce((a, h) => a + h.seconds, 0);
  console.log(
    `tfjs ${backend.name.padEnd(16)} ${fmt(perEpoch)} s/epoch, ${epochs} epochs ${fmt(total, 1)} s, ` +
      `${fmt(cpuEpoch / perEpoch, 1)}× the cpu baseline; test accuracy ${fmt(evaluator.accuracy(fast.model) * 100)}%`,
  );

  const sparse = await trainMlp(task.train, 'pm1', REFERENCE_MLP, { seed: 1, epochs, engine: 'sparse' });
  const sparseTotal = sparse.history.reduce((a, h) => a + h.seconds, 0);
  console.log(
    `sparse engine (WASM)  ${fmt(sparseTotal / epochs)} s/epoch, ${epochs} epochs ${fmt(sparseTotal, 1)} s, ` +
      `${fmt(cpuEpoch / (sparseTotal / epochs), 1)}× the cpu baseline; test accuracy ${fmt(evaluator.accuracy(sparse.model) * 100)}%`,
  );

  for (const threads of [1, 2]) {
    const py = runPython('train_peer.py', [mnistPackageDir(), String(epochs), String(threads)]);
    if (!py) break;
    const secs = py.epoch_seconds as number[];
    const pyTotal = py.total_seconds as number;
    console.log(
      `PyTorch ${py.torch} ${threads} thr  ${fmt(pyTotal / secs.length)} s/epoch, ${epochs} epochs ${fmt(pyTotal, 1)} s, ` +
        `${fmt(cpuEpoch / (pyTotal / secs.length), 1)}× the cpu baseline; time vs PyTorch: tfjs ${backend.name} ${fmt(total / pyTotal)}×, sparse ${fmt(sparseTotal / pyTotal)}×; ` +
        `test accuracy ${fmt((py.test_accuracy as number) * 100)}%`,
    );
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
