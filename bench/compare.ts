/**
 * `weightscope compare` of two 784 → 64 → 2 MLPs (the reference architecture, trained here on MNIST
 * 7 vs 9) with their full default fingerprints, through the real command: start-up, MNIST loading,
 * every probe curve on the 2037 test images, shifts, unit ablation and circuits, the graph statistics
 * with 20 Curveball samples per layer, the comparison and every file of --out. Target (issue 20):
 * under 30 s on a 2-core machine; the ratio is 30 s over the best of BENCH_COMPARE_REPS (2) runs.
 * The load average is printed beside it: the machine is shared. Run: `node dist/bench/compare.js`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REFERENCE_MLP, saveModel, selectBackend, trainMlp } from '../src/model/index.js';
import { loadMnist, makeBinaryTask } from '../src/data/index.js';
import { reportRatio } from './ratio.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');
const BUDGET_S = 30;

export async function run(): Promise<void> {
  const reps = Number(process.env.BENCH_COMPARE_REPS ?? 2);
  const dir = mkdtempSync(join(tmpdir(), 'ws-bench-compare-'));
  try {
    await selectBackend();
    const task = makeBinaryTask(loadMnist(), 'mnist', 7, 9);
    const train = { pixels: task.train.pixels.subarray(0, 3000 * 784), labels: task.train.labels.subarray(0, 3000), n: 3000 };
    for (const seed of [1, 2]) saveModel(join(dir, `m${seed}`), (await trainMlp(train, 'pm1', REFERENCE_MLP, { seed, epochs: 2 })).model);
    const times: number[] = [];
    for (let r = 0; r < reps; r++) {
      const t = performance.now();
      const p = spawnSync(process.execPath, [cli, 'compare', join(dir, 'm1'), join(dir, 'm2'), '--task', 'mnist-7v9', '--out', join(dir, `out${r}`), '--quiet'], { encoding: 'utf8' });
      if (p.status !== 0) throw new Error(`compare failed: ${p.stderr.trim().split('\n').pop()}`);
      times.push((performance.now() - t) / 1000);
    }
    const best = Math.min(...times);
    const load = loadavg().map((x) => x.toFixed(1)).join(' ');
    console.log(`compare of two 784 → 64 → 2 MLPs (MNIST 7v9, 2037 test images, default fingerprints), best of ${reps}: ${best.toFixed(1)} s (runs ${times.map((x) => x.toFixed(1)).join(', ')} s; load average ${load})`);
    reportRatio('weightscope compare of two 784→64→2 MLPs', `the ${BUDGET_S} s budget`, BUDGET_S / best, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
