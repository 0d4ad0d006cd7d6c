/**
 * Benchmark of the statistics and percolation of a 4096×4096 gaussian layer (16.7M weights)
 * against the targets (layerStats < 5 s; percolation < 10 s and < 2 GB RSS) and against
 * baselines measured in the same run:
 * - naive: a fresh CSR + BFS per threshold, at 10 |w| thresholds (plain JS);
 * - scipy: `scipy.sparse.csgraph.connected_components` per threshold (when python3 has scipy).
 * Each phase runs in its own child process so its peak RSS is its own.
 *
 * `node dist/bench/stats.js` (or `npm run bench -- stats`); `WS_BENCH_N=1024` for a smaller layer.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../src/core/rng.js';
import type { LayerRecord } from '../src/core/layer.js';
import { layerStats, nodf, percolationBySign, percolation } from '../src/stats/index.js';

const N = Number(process.env.WS_BENCH_N ?? 4096);
const SEED = 2026;
const SELF = fileURLToPath(import.meta.url);
const PY_BASELINE = fileURLToPath(new URL('../../bench/python/stats_baseline.py', import.meta.url));

function gaussianLayer(n: number): LayerRecord {
  const rng = new Rng(SEED);
  const w = new Float32Array(n * n);
  for (let k = 0; k < w.length; k++) w[k] = 0.02 * rng.normal();
  return { name: `gaussian-${n}x${n}`, weights: w, shape: [n, n], bias: null };
}

/** Connected components keeping |w| ≥ t, recomputed from scratch (CSR + iterative BFS). */
function naiveComponents(layer: LayerRecord, t: number): { giant: number; components: number } {
  const [nIn, nOut] = layer.shape;
  const V = nIn + nOut;
  const w = layer.weights;
  const deg = new Int32Array(V + 1);
  for (let i = 0; i < nIn; i++) {
    for (let j = 0; j < nOut; j++) {
      if (Math.abs(w[i * nOut + j]) >= t) {
        deg[i + 1]++;
        deg[nIn + j + 1]++;
      }
    }
  }
  for (let v = 0; v < V; v++) deg[v + 1] += deg[v];
  const adj = new Int32Array(deg[V]);
  const fillAt = deg.slice(0, V);
  for (let i = 0; i < nIn; i++) {
    for (let j = 0; j < nOut; j++) {
      if (Math.abs(w[i * nOut + j]) >= t) {
        adj[fillAt[i]++] = nIn + j;
        adj[fillAt[nIn + j]++] = i;
      }
    }
  }
  const seen = new Uint8Array(V);
  const stack = new Int32Array(V);
  let giant = 0, components = 0;
  for (let s = 0; s < V; s++) {
    if (seen[s]) continue;
    components++;
    let top = 0, size = 0;
    stack[top++] = s;
    seen[s] = 1;
    while (top > 0) {
      const v = stack[--top];
      size++;
      for (let e = deg[v]; e < deg[v + 1]; e++) {
        const u = adj[e];
        if (!seen[u]) {
          seen[u] = 1;
          stack[top++] = u;
        }
      }
    }
    if (size > giant) giant = size;
  }
  return { giant, components };
}

interface PhaseResult {
  seconds: number;
  peakRssMB: number;
  detail?: unknown;
}

function timed(fn: () => unknown): PhaseResult {
  const t0 = performance.now();
  const detail = fn();
  return { seconds: (performance.now() - t0) / 1000, peakRssMB: process.resourceUsage().maxRSS / 1024, detail };
}

/** The ten thresholds of the baselines: the |w| at 0, 10, …, 90 % of the weights removed. */
function thresholdsOf(layer: LayerRecord): number[] {
  const c = percolation(layer, 'all', { points: 11 });
  return c.points.slice(0, 10).map((p) => p.threshold!);
}

function runPhase(phase: string): PhaseResult {
  const layer = gaussianLayer(N);
  switch (phase) {
    case 'stats':
      return timed(() => layerStats(layer, { nestedness: false }).weights.sd);
    case 'percolation':
      return timed(() => {
        const p = percolationBySign(layer);
        return { critical: p.all.critical.susceptibility, criticalPositive: p.positive.critical.susceptibility };
      });
    case 'nodf':
      return timed(() => nodf(layer, 'positive').nodf);
    case 'naive': {
      const ts = thresholdsOf(layer);
      return timed(() => ts.map((t) => naiveComponents(layer, t)));
    }
    default:
      throw new Error(`unknown phase ${phase}`);
  }
}

function child(phase: string): PhaseResult {
  const r = spawnSync(process.execPath, [SELF, '--phase', phase], { encoding: 'utf8', env: { ...process.env, WS_BENCH_N: String(N) } });
  if (r.status !== 0) throw new Error(`bench phase ${phase} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as PhaseResult;
}

function scipyBaseline(): { seconds: number } | string {
  const dir = mkdtempSync(join(tmpdir(), 'ws-bench-'));
  try {
    const layer = gaussianLayer(N);
    const file = join(dir, 'w.f32');
    writeFileSync(file, new Uint8Array(layer.weights.buffer));
    const ts = thresholdsOf(layer).map(String);
    const r = spawnSync('/usr/bin/python3', [PY_BASELINE, file, String(N), String(N), ...ts], { encoding: 'utf8' });
    if (r.error || r.status !== 0) return `scipy baseline skipped (${r.error?.message ?? r.stderr.trim().split('\n').pop()})`;
    return JSON.parse(r.stdout) as { seconds: number };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (x: number): string => x.toFixed(2);

export async function run(): Promise<void> {
  const line = (s: string): void => void process.stdout.write(s + '\n');
  line(`layer: ${N}×${N} gaussian (${(N * N / 1e6).toFixed(1)}M weights), seed ${SEED}`);
  const stats = child('stats');
  line(`layerStats (no NODF):      ${fmt(stats.seconds)} s, peak RSS ${Math.round(stats.peakRssMB)} MB   (target < 5 s)`);
  const perc = child('percolation');
  line(`percolation (all, +, −):   ${fmt(perc.seconds)} s, peak RSS ${Math.round(perc.peakRssMB)} MB   (target < 10 s, < 2048 MB)`);
  line(`  critical fraction removed (χ peak): ${JSON.stringify(perc.detail)}`);
  const nd = child('nodf');
  line(`NODF (positive incidence): ${fmt(nd.seconds)} s, peak RSS ${Math.round(nd.peakRssMB)} MB   (value ${Number(nd.detail).toFixed(3)})`);
  const naive = child('naive');
  line(`baseline, naive CSR+BFS at 10 thresholds (whole layer only): ${fmt(naive.seconds)} s, peak RSS ${Math.round(naive.peakRssMB)} MB`);
  // One-pass percolation gives the whole curve for three subgraphs; the baseline only 10 points of one.
  line(`  ratio naive/percolation: ${fmt(naive.seconds / perc.seconds)}× (percolation covers 3 curves, every edge count)`);
  const sp = scipyBaseline();
  if (typeof sp === 'string') line(sp);
  else {
    line(`baseline, scipy connected_components at 10 thresholds: ${fmt(sp.seconds)} s`);
    line(`  ratio scipy/percolation: ${fmt(sp.seconds / perc.seconds)}×`);
  }
}

if (process.argv[1] === SELF) {
  const k = process.argv.indexOf('--phase');
  if (k >= 0) process.stdout.write(JSON.stringify(runPhase(process.argv[k + 1])));
  else await run();
}
