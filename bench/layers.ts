/**
 * Benchmark of the layer-by-layer table (`stats MODEL --all-layers`) and of the spectra under it
 * (issue 22 target 2, issue 20's null-model spectra):
 * - the eigenvalues of WᵀW (Gram matrix of the smaller side, then all its eigenvalues) of the
 *   DistilBERT-shaped model's three layer shapes (768×3072, 768×768 and the 30522×768 word
 *   embedding), against numpy (float64 product by BLAS + `eigvalsh`) on the same matrices, in the
 *   same run, interleaved, best of BENCH_REPS (3) each; target ≥ 0.5× numpy's speed (the Gram
 *   product on two threads, as the table computes a layer on the calling thread; numpy's BLAS
 *   uses both cores too);
 * - one 768×3072 layer: every statistic of the table plus the spectral diagnostics (target < 5 s);
 * - the spectra (α, stable rank, spectral norm) of one 768×3072 layer against 20 samples each of
 *   its sign-preserving shuffle (B) and its signed Curveball rewiring, with every z-score of the
 *   table (target < 30 s);
 * - the whole table of a DistilBERT-shaped model (67 M parameters, seeded random weights written
 *   as a .safetensors by this bench): target < 20 s and < 1 GB peak RSS.
 * Each phase runs in its own child process so its peak RSS is its own; wall and CPU seconds are
 * printed, with the load average (the machine is shared).
 *
 * `node dist/bench/layers.js` (or `npm run bench -- layers`); `WS_BENCH_BLOCKS=2` for fewer blocks.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../src/core/rng.js';
import type { LayerRecord } from '../src/core/layer.js';
import { encodeSafetensors } from '../src/formats/index.js';
import { layerEigenvalues } from '../src/stats/index.js';
import { useParallelGram } from '../src/stats/gram-helper.js';
import { layerTableRow, layerTableRows } from '../src/report/index.js';
import { runLayerTable } from '../src/cli/commands/layer-table.js';
import { reportRatio } from './ratio.js';

const SELF = fileURLToPath(import.meta.url);
const PY = fileURLToPath(new URL('../../bench/python/eigvalsh_baseline.py', import.meta.url));
const BLOCKS = Number(process.env.WS_BENCH_BLOCKS ?? 6);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const SEED = 2026;
/** The DistilBERT-shaped model's layer shapes, each once (the spectra's ratio against numpy). */
const SHAPES: [number, number][] = [[768, 3072], [768, 768], [30522, 768]];

function gaussianLayer(nIn: number, nOut: number, seed = SEED): LayerRecord {
  const rng = new Rng(seed);
  const w = new Float32Array(nIn * nOut);
  for (let k = 0; k < w.length; k++) w[k] = 0.02 * rng.normal();
  return { name: `gaussian-${nIn}x${nOut}`, weights: w, shape: [nIn, nOut], bias: null };
}

/** DistilBERT-base's tensors (names and shapes as Hugging Face saves them), seeded gaussian values. */
export function distilbertTensors(blocks = 6): { name: string; dtype: 'F32'; shape: number[]; values: Float32Array }[] {
  const rng = new Rng(SEED);
  const [d, f, vocab, positions] = [768, 3072, 30522, 512];
  const out: { name: string; dtype: 'F32'; shape: number[]; values: Float32Array }[] = [];
  const add = (name: string, shape: number[]): void => {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let k = 0; k < values.length; k++) values[k] = 0.02 * rng.normal();
    out.push({ name, dtype: 'F32', shape, values });
  };
  add('distilbert.embeddings.word_embeddings.weight', [vocab, d]);
  add('distilbert.embeddings.position_embeddings.weight', [positions, d]);
  add('distilbert.embeddings.LayerNorm.weight', [d]);
  add('distilbert.embeddings.LayerNorm.bias', [d]);
  for (let l = 0; l < blocks; l++) {
    const p = `distilbert.transformer.layer.${l}.`;
    for (const x of ['q_lin', 'k_lin', 'v_lin', 'out_lin']) {
      add(`${p}attention.${x}.weight`, [d, d]);
      add(`${p}attention.${x}.bias`, [d]);
    }
    add(`${p}sa_layer_norm.weight`, [d]);
    add(`${p}sa_layer_norm.bias`, [d]);
    add(`${p}ffn.lin1.weight`, [f, d]);
    add(`${p}ffn.lin1.bias`, [f]);
    add(`${p}ffn.lin2.weight`, [d, f]);
    add(`${p}ffn.lin2.bias`, [d]);
    add(`${p}output_layer_norm.weight`, [d]);
    add(`${p}output_layer_norm.bias`, [d]);
  }
  add('pre_classifier.weight', [d, d]);
  add('pre_classifier.bias', [d]);
  add('classifier.weight', [2, d]);
  add('classifier.bias', [2]);
  return out;
}

interface PhaseResult {
  seconds: number;
  /** CPU seconds of this process (user + system, all threads): less sensitive than wall time to a shared, loaded machine. */
  cpuSeconds: number;
  peakRssMB: number;
  detail?: unknown;
}

async function timed(fn: () => unknown): Promise<PhaseResult> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const detail = await fn();
  const c = process.cpuUsage(c0);
  return { seconds: (performance.now() - t0) / 1000, cpuSeconds: (c.user + c.system) / 1e6, peakRssMB: process.resourceUsage().maxRSS / 1024, detail };
}

/** Without the table's own output on stdout (the phase's JSON line goes there). */
async function quietly(f: () => Promise<unknown>): Promise<void> {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = () => true;
  try {
    await f();
  } finally {
    process.stdout.write = write;
  }
}

async function runPhase(phase: string, arg: string): Promise<PhaseResult> {
  switch (phase) {
    case 'layer': {
      const layer = gaussianLayer(768, 3072);
      return timed(() => layerTableRow(layer, 0, { kind: 'ffn.in' }).alpha);
    }
    case 'eigen': {
      // best of REPS per shape (the first run also compiles and tiers up the kernels)
      const layers = SHAPES.map(([n, m]) => gaussianLayer(n, m));
      // as the table computes a layer on the calling thread: its Gram product shared with a helper thread
      useParallelGram();
      const best = SHAPES.map(() => Infinity);
      const top: number[] = [];
      for (let r = 0; r < REPS; r++) {
        layers.forEach((l, k) => {
          const t0 = performance.now();
          const ev = layerEigenvalues(l);
          best[k] = Math.min(best[k], (performance.now() - t0) / 1000);
          top[k] = ev[ev.length - 1];
        });
      }
      return { seconds: best.reduce((a, b) => a + b, 0), cpuSeconds: NaN, peakRssMB: process.resourceUsage().maxRSS / 1024, detail: { best, top } };
    }
    case 'nulls': {
      const layer = gaussianLayer(768, 3072);
      return timed(async () => {
        const { rows } = await layerTableRows([{ depth: 0, meta: { kind: 'ffn.in', params: layer.weights.length }, load: () => ({ ...layer, weights: layer.weights.slice() }) }], { nullModel: ['B', 'curveball'], samples: 20, seed: 1 });
        return { z_alpha_B: rows[0].z_alpha_B, z_alpha_curveball: rows[0].z_alpha_curveball };
      });
    }
    case 'model':
      return timed(() => quietly(() => runLayerTable(arg, { samples: 20, seed: 0, json: false, out: join(arg, '..', 'table') })));
    default:
      throw new Error(`unknown phase ${phase}`);
  }
}

function child(phase: string, arg = ''): PhaseResult {
  const r = spawnSync(process.execPath, [SELF, '--phase', phase, arg], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`bench phase ${phase} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as PhaseResult;
}

/** numpy on the same matrices (written as raw float32), or the reason it could not run. */
function numpyEigen(dir: string): { seconds: number[]; lambdaMax: number[] } | string {
  const specs = SHAPES.map(([n, m]) => {
    const file = join(dir, `w-${n}x${m}.f32`);
    writeFileSync(file, new Uint8Array(gaussianLayer(n, m).weights.buffer));
    return `${file}:${n}:${m}`;
  });
  const r = spawnSync('/usr/bin/python3', [PY, String(REPS), ...specs], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.error || r.status !== 0) return `numpy baseline skipped (${r.error?.message ?? r.stderr.trim().split('\n').pop()})`;
  return JSON.parse(r.stdout) as { seconds: number[]; lambdaMax: number[] };
}

const fmt = (x: number): string => x.toFixed(2);
const load = (): string => loadavg().map((x) => x.toFixed(1)).join(' ');

export async function run(): Promise<void> {
  const line = (s: string): void => void process.stdout.write(s + '\n');
  const dir = mkdtempSync(join(tmpdir(), 'ws-bench-layers-'));
  try {
    // Spectra against numpy, interleaved: ours, numpy, ours, numpy (each side best of REPS inside).
    let ours: { best: number[]; top: number[] } | null = null;
    let np: { seconds: number[]; lambdaMax: number[] } | string = 'numpy baseline not run';
    for (let r = 0; r < 2; r++) {
      const e = child('eigen').detail as { best: number[]; top: number[] };
      ours = ours ? { best: ours.best.map((b, k) => Math.min(b, e.best[k])), top: e.top } : e;
      const p = numpyEigen(dir);
      np = typeof p === 'string' ? p : typeof np === 'string' ? p : { seconds: np.seconds.map((s, k) => Math.min(s, p.seconds[k])), lambdaMax: p.lambdaMax };
    }
    const shapes = SHAPES.map(([n, m]) => `${n}×${m}`);
    line(`eigenvalues of WᵀW (smaller Gram matrix, all eigenvalues), best of ${2 * REPS} (load average ${load()}):`);
    ours!.best.forEach((s, k) => line(`  ${shapes[k]}: weightscope ${fmt(s)} s${typeof np === 'string' ? '' : `, numpy ${fmt(np.seconds[k])} s (λ_max ${ours!.top[k].toPrecision(8)} vs ${np.lambdaMax[k].toPrecision(8)})`}`));
    const oursTotal = ours!.best.reduce((a, b) => a + b, 0);
    if (typeof np === 'string') line(np);
    const peer = typeof np === 'string' ? null : np;
    // the issue's measure (one 768×3072 layer), then the model's three shapes together (the embedding's Gram product dominates)
    reportRatio('spectrum (Gram + eigenvalues) of a 768×3072 layer', 'numpy eigvalsh', peer ? peer.seconds[0] / ours!.best[0] : null, 0.5, np as string);
    reportRatio(`spectra (Gram + eigenvalues) of ${shapes.join(', ')} together`, 'numpy eigvalsh', peer ? peer.seconds.reduce((a, b) => a + b, 0) / oursTotal : null, 0.5, np as string);

    const one = child('layer');
    line(`one 768×3072 layer, every table statistic + spectral: ${fmt(one.seconds)} s (CPU ${fmt(one.cpuSeconds)} s), peak RSS ${Math.round(one.peakRssMB)} MB   (target < 5 s)`);
    const nulls = child('nulls');
    line(`one 768×3072 layer against 20 samples each of B and curveball (spectra and every z-score): ${fmt(nulls.seconds)} s (CPU ${fmt(nulls.cpuSeconds)} s), peak RSS ${Math.round(nulls.peakRssMB)} MB (load average ${load()})`);
    reportRatio('spectra against 20 nulls (B and curveball) of a 768×3072 layer', '30 s budget', 30 / nulls.seconds, 1);

    const path = join(dir, 'distilbert.safetensors');
    const tensors = distilbertTensors(BLOCKS);
    const params = tensors.reduce((a, t) => a + t.values.length, 0);
    writeFileSync(path, encodeSafetensors(tensors));
    tensors.length = 0;
    const model = child('model', path);
    line(`DistilBERT-shaped model (${BLOCKS} blocks, ${(params / 1e6).toFixed(1)} M parameters), stats --all-layers --out: ${fmt(model.seconds)} s (CPU ${fmt(model.cpuSeconds)} s), peak RSS ${Math.round(model.peakRssMB)} MB (load average ${load()})`);
    if (BLOCKS === 6) {
      reportRatio('stats --all-layers of the DistilBERT-shaped model (67 M parameters)', '20 s budget', 20 / model.seconds, 1);
      reportRatio('stats --all-layers of the DistilBERT-shaped model, peak memory', '1 GB budget', 1024 / model.peakRssMB, 1);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === SELF) {
  const k = process.argv.indexOf('--phase');
  if (k >= 0) process.stdout.write(JSON.stringify(await runPhase(process.argv[k + 1], process.argv[k + 2])));
  else await run();
}
