/**
 * Throughput of the degree-preserving rewirings on a 1024×1024 layer pruned to 10% (random
 * gaussian weights, the largest 10% |w| kept: ~105k edges, about half of each sign), against
 * igraph's C `rewire` and networkx's `double_edge_swap` on the same edge list, all in one run.
 *
 *   node dist/bench/randomize.js        (needs /usr/bin/python3 with python3-igraph / python3-networkx
 *                                        for the peers; each missing one prints "not available")
 *
 * Units: accepted swaps per second of CPU time (process CPU time, ours and the peers', so that a
 * busy shared machine does not skew the ratios; wall-clock rates are printed beside them). One Curveball trade exchanges many entries at once; it is
 * counted as (entries exchanged) / 2 swap-equivalents, since a double-edge swap exchanges two.
 * igraph reports no acceptance count: its accepted swaps are its trials times the acceptance
 * rate of the same rule (directed, no multi-edges) measured by our unsigned chain on the same graph.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Rng } from '../src/core/rng.js';
import { writeChunksAtomic } from '../src/core/io.js';
import { reportRatio } from './ratio.js';
import {
  birewireSteps, defaultCurveballTrades, defaultSwapSteps, signedCurveballKernel, signedSwapKernel, swapGKernel,
} from '../src/randomize/index.js';

const N_IN = 1024, N_OUT = 1024, DENSITY = 0.1;

interface Rate {
  /** Per CPU second. */
  perSecond: number;
  /** Per wall-clock second. */
  perWallSecond: number;
  detail: string;
}

export interface RandomizeBenchResult {
  edges: number;
  ours: Record<string, Rate>;
  peers: Record<string, Rate | 'not available'>;
  ratios: Record<string, number>;
  /** CPU seconds for one mixed null at each method's default number of steps (from the rates above). */
  secondsPerNull: Record<string, number>;
}

function prunedGaussian(seed: number): Float32Array {
  const rng = new Rng(seed);
  const w = new Float32Array(N_IN * N_OUT);
  for (let k = 0; k < w.length; k++) w[k] = rng.normal();
  const mags = Float32Array.from(w, Math.abs).sort();
  const cut = mags[Math.floor((1 - DENSITY) * w.length)];
  for (let k = 0; k < w.length; k++) if (Math.abs(w[k]) < cut) w[k] = 0;
  return w;
}

function timed<T>(f: () => T): { value: T; seconds: number; cpu: number } {
  const c = process.cpuUsage();
  const t = performance.now();
  const value = f();
  const seconds = (performance.now() - t) / 1000;
  const used = process.cpuUsage(c);
  return { value, seconds, cpu: (used.user + used.system) / 1e6 };
}

const rate = (count: number, t: { seconds: number; cpu: number }, detail: string): Rate => ({
  perSecond: count / t.cpu,
  perWallSecond: count / t.seconds,
  detail,
});

export async function run(): Promise<RandomizeBenchResult> {
  const w0 = prunedGaussian(20251123);
  const edges = w0.reduce((n, x) => n + (x !== 0 ? 1 : 0), 0);
  const ours: RandomizeBenchResult['ours'] = {};
  // Warm the JIT first (full-size runs, so the timed ones meet optimized code).
  signedSwapKernel(w0.slice(), N_IN, N_OUT, new Rng(1), 1_000_000);
  signedCurveballKernel(w0.slice(), N_IN, N_OUT, new Rng(1), 6000);
  swapGKernel(w0.slice(), N_IN, N_OUT, new Rng(1), 500_000, Infinity);

  const attempts = 3_000_000;
  const swap = timed(() => signedSwapKernel(w0.slice(), N_IN, N_OUT, new Rng(2), attempts));
  ours.swap = rate(swap.value.accepted, swap, `${swap.value.accepted} accepted of ${attempts} attempts in ${swap.seconds.toFixed(2)} s`);
  // The same chain on the unsigned graph (every edge positive): the rule igraph applies.
  const unsignedW = Float32Array.from(w0, Math.abs);
  const unsigned = timed(() => signedSwapKernel(unsignedW.slice(), N_IN, N_OUT, new Rng(3), attempts));
  const unsignedAcceptance = unsigned.value.accepted / attempts;
  ours['swap (unsigned)'] = rate(
    unsigned.value.accepted,
    unsigned,
    `${unsigned.value.accepted} accepted of ${attempts} (acceptance ${unsignedAcceptance.toFixed(3)}) in ${unsigned.seconds.toFixed(2)} s`,
  );
  const reps = Number(process.env.BENCH_REPS ?? 3);
  const trades = 10_240;
  const cb = timed(() => signedCurveballKernel(w0.slice(), N_IN, N_OUT, new Rng(4), trades));
  ours.curveball = rate(
    cb.value.flips / 2,
    cb,
    `${trades} trades (${(trades / cb.cpu).toFixed(0)}/s), ${cb.value.flips} entries exchanged in ${cb.seconds.toFixed(2)} s`,
  );
  const g = timed(() => swapGKernel(w0.slice(), N_IN, N_OUT, new Rng(5), attempts, Infinity));
  ours.G = rate(
    g.value.accepted,
    g,
    `${g.value.accepted} accepted of ${attempts} attempts (${(attempts / g.cpu / 1e6).toFixed(2)} M attempts/s; only +/− checkerboards qualify)`,
  );

  const peers: RandomizeBenchResult['peers'] = { igraph: 'not available', networkx: 'not available' };
  const dir = mkdtempSync(join(tmpdir(), 'ws-bench-rand-'));
  try {
    const edgeFile = join(dir, 'edges.txt');
    writeChunksAtomic(edgeFile, (function* () {
      for (let i = 0; i < N_IN; i++) {
        let line = '';
        for (let j = 0; j < N_OUT; j++) if (w0[i * N_OUT + j] !== 0) line += `${i} ${j}\n`;
        yield line;
      }
    })());
    const script = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'python', 'randomize_peer.py');
    const igTrials = 1_000_000, nxSwaps = 20_000;
    const peerRun = (nx: number) => {
      const r = spawnSync('/usr/bin/python3', [script, edgeFile, String(N_IN), String(N_OUT), String(igTrials), String(nx)], {
        encoding: 'utf8',
        timeout: 300_000,
      });
      return r.status === 0 ? JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') : null;
    };
    const o = peerRun(nxSwaps);
    if (o) {
      // More rounds of Curveball and igraph, interleaved, keeping each one's best CPU time: the
      // two target ratios compare them.
      for (let k = 1; k < reps && typeof o.igraph === 'object'; k++) {
        const again = timed(() => signedCurveballKernel(w0.slice(), N_IN, N_OUT, new Rng(4), trades));
        if (again.cpu < cb.cpu) Object.assign(cb, again);
        const ig = peerRun(0)?.igraph;
        if (typeof ig === 'object' && ig.cpu_seconds < o.igraph.cpu_seconds) o.igraph = ig;
      }
      ours.curveball = rate(
        cb.value.flips / 2,
        cb,
        `${trades} trades (${(trades / cb.cpu).toFixed(0)}/s), ${cb.value.flips} entries exchanged in ${cb.seconds.toFixed(2)} s (best of ${reps})`,
      );
      if (typeof o.igraph === 'object') {
        const accepted = o.igraph.trials * unsignedAcceptance;
        peers.igraph = rate(
          accepted,
          { seconds: o.igraph.seconds, cpu: o.igraph.cpu_seconds },
          `igraph ${o.igraph.version}: ${o.igraph.trials} trials in ${o.igraph.seconds.toFixed(2)} s (×${unsignedAcceptance.toFixed(3)} acceptance)`,
        );
      }
      if (typeof o.networkx === 'object') {
        peers.networkx = rate(
          o.networkx.swaps,
          { seconds: o.networkx.seconds, cpu: o.networkx.cpu_seconds },
          `networkx ${o.networkx.version}: ${o.networkx.swaps} swaps in ${o.networkx.seconds.toFixed(2)} s`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const ratios: Record<string, number> = {};
  for (const [name, peer] of Object.entries(peers)) {
    if (peer === 'not available') continue;
    for (const mine of ['swap', 'swap (unsigned)', 'curveball']) ratios[`${mine} / ${name}`] = ours[mine].perSecond / peer.perSecond;
  }

  // One mixed null at default steps: ours at their defaults; the unsigned peers at BiRewire's
  // bound for the unsigned graph (igraph counts trials, networkx accepted swaps).
  let ep = 0, en = 0;
  for (const x of w0) { if (x > 0) ep++; else if (x < 0) en++; }
  const swapSteps = defaultSwapSteps(ep, en, w0.length);
  const cbTrades = defaultCurveballTrades(N_IN, N_OUT);
  const peerSteps = birewireSteps(edges, w0.length);
  const secondsPerNull: Record<string, number> = {
    [`swap (${swapSteps} attempts)`]: swapSteps / (attempts / swap.cpu),
    [`curveball (${cbTrades} trades)`]: cbTrades / (trades / cb.cpu),
  };
  if (peers.igraph !== 'not available') secondsPerNull[`igraph (${peerSteps} trials)`] = (peerSteps * unsignedAcceptance) / peers.igraph.perSecond;
  if (peers.networkx !== 'not available') secondsPerNull[`networkx (${Math.round(peerSteps * unsignedAcceptance)} swaps)`] = (peerSteps * unsignedAcceptance) / peers.networkx.perSecond;

  const fmt = (x: number): string => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M/s` : `${(x / 1e3).toFixed(1)} k/s`);
  console.log(`randomize bench: ${N_IN}×${N_OUT} layer pruned to ${DENSITY * 100}% (${edges} edges), accepted swaps per CPU second (wall)`);
  const show = (m: Rate): string => `${fmt(m.perSecond).padStart(10)} (${fmt(m.perWallSecond)} wall)   ${m.detail}`;
  for (const [name, m] of Object.entries(ours)) console.log(`  ${name.padEnd(16)} ${show(m)}`);
  for (const [name, p] of Object.entries(peers)) console.log(`  ${name.padEnd(16)} ${p === 'not available' ? 'not available' : show(p)}`);
  console.log('  CPU seconds per mixed null at default steps:');
  for (const [k, v] of Object.entries(secondsPerNull)) console.log(`    ${k.padEnd(34)} ${v.toFixed(3)} s`);
  const ig = peers.igraph === 'not available' ? null : peers.igraph;
  const nx = peers.networkx === 'not available' ? null : peers.networkx;
  if (ig) console.log(`  peers: ${ig.detail.split(':')[0]} (C, 1 thread)${nx ? `, ${nx.detail.split(':')[0]} (1 thread)` : ''}; rates per CPU second`);
  reportRatio('signed Curveball swap-equivalents per CPU second', 'igraph rewire', ig ? ours.curveball.perSecond / ig.perSecond : null, 3);
  const igNull = ig ? (peerSteps * unsignedAcceptance) / ig.perSecond : null;
  reportRatio(`signed Curveball per mixed null (default ${cbTrades} trades)`, `igraph rewire (${peerSteps} trials)`, igNull ? igNull / (cbTrades / (trades / cb.cpu)) : null, 3, 'igraph not available');
  reportRatio('signed swap accepted swaps per CPU second', 'igraph rewire', ig ? ours.swap.perSecond / ig.perSecond : null, 3);
  reportRatio('signed swap accepted swaps per CPU second', 'networkx double_edge_swap', nx ? ours.swap.perSecond / nx.perSecond : null, 100);
  return { edges, ours, peers, ratios, secondsPerNull };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
