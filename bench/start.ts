/**
 * `npm start` on both cores: the reference run (`weightscope reproduce` with its defaults, into a
 * temporary folder) at its default worker count, against the same run with `--workers 1`, where
 * training and evaluation each use one thread, so its wall time is the sum of the stages'
 * single-thread times. The ratio (single-thread sum / default wall time) shows both cores in use:
 * 2.0 at best on 2 cores. The two runs alternate, BENCH_START_REPS (1) times each, best of each.
 * Run: `node dist/bench/start.js`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { interleaved, reportRatio } from './ratio.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');

interface StartRun {
  wall: number;
  timings: Record<string, number>;
  engine: string;
}

function reproduce(extra: string[]): StartRun {
  const dir = mkdtempSync(join(tmpdir(), 'ws-bench-start-'));
  try {
    const out = join(dir, 'run');
    const t = performance.now();
    const r = spawnSync(process.execPath, [cli, 'reproduce', '--quiet', '--out', out, ...extra], { encoding: 'utf8' });
    const wall = (performance.now() - t) / 1000;
    if (r.status !== 0) throw new Error(`reproduce failed: ${r.stderr.trim().split('\n').pop()}`);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { timings: Record<string, number>; config: { engine: string } };
    return { wall, timings: run.timings, engine: run.config.engine };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  const reps = Number(process.env.BENCH_START_REPS ?? 1);
  const cores = availableParallelism();
  const [parallel, single] = await interleaved(reps, [() => reproduce([]), () => reproduce(['--workers', '1'])]);
  const best = (xs: StartRun[]) => xs.reduce((a, b) => (b.wall < a.wall ? b : a));
  const p = best(parallel), s = best(single);
  const stages = (r: StartRun) =>
    `train ${r.timings.train_s?.toFixed(1)} s, probe sweeps ${r.timings.probe_s?.toFixed(1)} s, ` +
    `graphs ${r.timings.graphs_s?.toFixed(1)} s (beside the sweeps), report ${r.timings.report_s?.toFixed(1)} s`;
  console.log(`npm start (reproduce, defaults, engine ${p.engine}), ${cores} cores`);
  console.log(`  default workers (${cores}):  ${p.wall.toFixed(1)} s wall (${stages(p)})`);
  console.log(`  --workers 1:          ${s.wall.toFixed(1)} s wall = the stages' single-thread sum (${stages(s)})`);
  reportRatio(`npm start wall time (${cores} cores)`, 'the sum of its stages\' single-thread times', s.wall / p.wall, 1.6);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
