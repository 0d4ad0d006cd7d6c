/**
 * The two wave-3 studies through the real command, against their budgets on a 2-core machine
 * (issues 19 and 20): `multitask --quick` and `twins --quick` under 3 minutes each; with
 * BENCH_STUDIES_FULL=1 also the default multitask sweep (360 MLPs, budget 30 minutes) and the full
 * twins study (budget 20 minutes). Each ratio is the budget over the wall time, with the run's CPU
 * time and the load average beside it (the machine may be shared). Run: `node dist/bench/studies.js`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reportRatio } from './ratio.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');

interface StudyRun {
  what: string;
  args: string[];
  budgetS: number;
  full: boolean;
}

const RUNS: StudyRun[] = [
  { what: 'weightscope multitask --quick', args: ['multitask', '--quick'], budgetS: 180, full: false },
  { what: 'weightscope twins --quick', args: ['twins', '--quick'], budgetS: 180, full: false },
  { what: 'weightscope multitask (the default sweep, 360 MLPs)', args: ['multitask'], budgetS: 1800, full: true },
  { what: 'weightscope twins (the full study)', args: ['twins'], budgetS: 1200, full: true },
];

/** Wall and CPU seconds of one study run in a fresh folder. */
function timeStudy(args: string[], out: string): { wall: number; cpu: number } {
  const t = performance.now();
  const p = spawnSync(process.execPath, [cli, ...args, '--out', out, '--quiet'], { encoding: 'utf8' });
  const wall = (performance.now() - t) / 1000;
  if (p.status !== 0) throw new Error(`${args.join(' ')} failed: ${p.stderr.trim().split('\n').pop()}`);
  return { wall, cpu: childCpuSeconds() };
}

let lastChildCpu = 0;
/**
 * CPU seconds (user + system) of the child processes that ended since the last call: cutime and
 * cstime of /proc/self/stat, in clock ticks of 1/100 s (Linux; NaN elsewhere). Node has no API for
 * its children's resource usage.
 */
function childCpuSeconds(): number {
  let total = Number.NaN;
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    total = (Number(fields[13]) + Number(fields[14])) / 100; // fields 16, 17 of the whole line
  } catch {
    // not Linux: no CPU time beside the wall time
  }
  const d = total - lastChildCpu;
  lastChildCpu = total;
  return d;
}

export async function run(): Promise<void> {
  const full = process.env.BENCH_STUDIES_FULL === '1';
  const dir = mkdtempSync(join(tmpdir(), 'ws-bench-studies-'));
  try {
    childCpuSeconds();
    for (const [k, r] of RUNS.entries()) {
      if (r.full && !full) {
        reportRatio(r.what, `the ${r.budgetS / 60} min budget`, null, 1, 'not run (BENCH_STUDIES_FULL=1 runs it)');
        continue;
      }
      const { wall, cpu } = timeStudy(r.args, join(dir, `run-${k}`));
      console.log(`${r.what}: ${wall.toFixed(1)} s wall, ${cpu.toFixed(1)} s CPU (load average ${loadavg().map((x) => x.toFixed(1)).join(' ')})`);
      reportRatio(r.what, `the ${r.budgetS / 60} min budget`, r.budgetS / wall, 1);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
