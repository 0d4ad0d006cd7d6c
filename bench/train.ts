/**
 * Training speed of the reference model (784→64→2 ReLU, batch 128, Adam + cosine) on the real MNIST
 * 0v7 training set (12,188 images): seconds per epoch on the tfjs `cpu` backend (the baseline, one
 * epoch), the tfjs engine on the backend selectBackend picks (10 epochs), the default engine
 * (10 epochs) and PyTorch on the same CPU (1 and 2 threads) when `/usr/bin/python3 -c 'import torch'`
 * works; the last three interleaved, best of BENCH_REPS (3) each. Prints the target line
 * `ratio train … vs PyTorch: x×` (PyTorch's best time over ours).
 * Run: `node dist/bench/train.js` (BENCH_EPOCHS=n to change the 10).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { loadMnist, makeBinaryTask, mnistPackageDir } from '../src/data/index.js';
import { REFERENCE_MLP, createEvaluator, defaultTrainEngine, selectBackend, trainMlp, type TrainResult } from '../src/model/index.js';
import { bestOfThreads, interleaved, reportRatio } from './ratio.js';

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
  const reps = Number(process.env.BENCH_REPS ?? 3);
  console.log(`task mnist-0v7: ${task.train.n} training images, ${task.test.n} test images; 784→64→2 relu, batch 128`);
  const evaluator = createEvaluator(task.test, 'pm1');
  const seconds = (r: TrainResult) => r.history.reduce((a, h) => a + h.seconds, 0);

  await selectBackend('cpu');
  const cpu = await trainMlp(task.train, 'pm1', REFERENCE_MLP, { seed: 1, epochs: 1, engine: 'tfjs' });
  const cpuEpoch = cpu.history[0].seconds;
  console.log(`tfjs cpu (baseline)          ${fmt(cpuEpoch)} s/epoch (1 epoch)`);

  const backend = await selectBackend();
  const viaTfjs = await trainMlp(task.train, 'pm1', REFERENCE_MLP, { seed: 1, epochs, engine: 'tfjs' });
  console.log(
    `engine tfjs (${backend.name.padEnd(10)})    ${fmt(seconds(viaTfjs) / epochs)} s/epoch, ${epochs} epochs ${fmt(seconds(viaTfjs), 2)} s; ` +
      `test accuracy ${fmt(evaluator.accuracy(viaTfjs.model) * 100)}%`,
  );

  // The default engine and PyTorch at 1 and 2 threads, interleaved (ours, 1 thread, 2 threads, …),
  // best of `reps` each: the epoch loops only, on both sides (data already in memory).
  const engine = defaultTrainEngine();
  const torchOk = runPython('train_peer.py', [mnistPackageDir(), '1', '1']) !== null;
  const peer = bestOfThreads(
    (threads) => (torchOk ? runPython('train_peer.py', [mnistPackageDir(), String(epochs), String(threads)]) : null),
    (r) => r.total_seconds as number,
  );
  const [ours, py1, py2] = await interleaved(reps, [
    () => trainMlp(task.train, 'pm1', REFERENCE_MLP, { seed: 1, epochs }),
    peer(1),
    peer(2),
  ]);
  const best = Math.min(...ours.map(seconds));
  console.log(
    `default engine (${engine})       ${fmt(best / epochs)} s/epoch, ${epochs} epochs ${fmt(best, 2)} s (best of ${reps}: ${ours.map((r) => fmt(seconds(r), 2)).join(', ')}); ` +
      `${fmt(cpuEpoch / (best / epochs), 1)}× the cpu baseline; test accuracy ${fmt(evaluator.accuracy(ours[0].model) * 100)}%`,
  );
  const pyBest: { threads: number; seconds: number; version: string }[] = [];
  for (const [threads, runs] of [[1, py1], [2, py2]] as const) {
    const done = runs.filter((r): r is Record<string, unknown> => r !== null);
    if (!done.length) continue;
    const times = done.map((r) => r.total_seconds as number);
    const version = String(done[0].torch);
    pyBest.push({ threads, seconds: Math.min(...times), version });
    console.log(
      `PyTorch ${version}, ${threads} thread(s)  ${fmt(Math.min(...times) / epochs)} s/epoch, ${epochs} epochs ${fmt(Math.min(...times), 2)} s ` +
        `(best of ${times.length}: ${times.map((x) => fmt(x, 2)).join(', ')}); test accuracy ${fmt((done[0].test_accuracy as number) * 100)}%`,
    );
  }
  const peerBest = pyBest.length ? pyBest.reduce((a, b) => (b.seconds < a.seconds ? b : a)) : null;
  if (peerBest) console.log(`peer: PyTorch ${peerBest.version} at its best thread count (${peerBest.threads}) of 1 and 2`);
  reportRatio(`train 784→64→2 ${epochs} epochs, default engine (${engine})`, 'PyTorch', peerBest ? peerBest.seconds / best : null, 1.0);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
