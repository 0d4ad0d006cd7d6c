/**
 * Benchmark of the layer-by-layer table (`stats MODEL --all-layers`):
 * - one 768×3072 layer: every statistic of the table plus the spectral diagnostics (target < 5 s),
 *   and the eigenvalues alone against numpy (`eigvalsh` of the same Gram matrix, same run);
 * - the whole table of a DistilBERT-shaped model (66 M parameters, seeded random weights written
 *   as a .safetensors by this bench): target < 2 min and < 4 GB peak RSS.
 * Each phase runs in its own child process so its peak RSS is its own.
 *
 * `node dist/bench/layers.js` (or `npm run bench -- layers`); `WS_BENCH_BLOCKS=2` for fewer blocks.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../src/core/rng.js';
import type { LayerRecord } from '../src/core/layer.js';
import { encodeSafetensors } from '../src/formats/index.js';
import { layerEigenvalues } from '../src/stats/index.js';
import { layerTableRow } from '../src/report/index.js';
import { runLayerTable } from '../src/cli/commands/layer-table.js';

const SELF = fileURLToPath(import.meta.url);
const PY = fileURLToPath(new URL('../../bench/python/spectral_crosscheck.py', import.meta.url));
const BLOCKS = Number(process.env.WS_BENCH_BLOCKS ?? 6);
const SEED = 2026;

function gaussianLayer(nIn: number, nOut: number, seed = SEED): LayerRecord {
  const rng = new Rng(seed);
  return { name: `gaussian-${nIn}x${nOut}`, weights: Float32Array.from({ length: nIn * nOut }, () => 0.02 * rng.normal()), shape: [nIn, nOut], bias: null };
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
  /** CPU seconds of this process (user + system): less sensitive than wall time to a shared, loaded machine. */
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

async function runPhase(phase: string, arg: string): Promise<PhaseResult> {
  switch (phase) {
    case 'layer': {
      const layer = gaussianLayer(768, 3072);
      return timed(() => layerTableRow(layer, 0, { kind: 'ffn.in' }).alpha);
    }
    case 'eigen': {
      const layer = gaussianLayer(768, 3072);
      return timed(() => layerEigenvalues(layer).length);
    }
    case 'model':
      return timed(async () => {
        const write = process.stdout.write.bind(process.stdout);
        process.stdout.write = () => true; // the table goes to layers.csv; keep the JSON line clean
        try {
          await runLayerTable(arg, { samples: 20, seed: 0, json: false, out: join(arg, '..', 'table') });
        } finally {
          process.stdout.write = write;
        }
      });
    default:
      throw new Error(`unknown phase ${phase}`);
  }
}

function child(phase: string, arg = ''): PhaseResult {
  const r = spawnSync(process.execPath, [SELF, '--phase', phase, arg], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`bench phase ${phase} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as PhaseResult;
}

function numpyEigen(): { seconds: number; cpuSeconds: number } | string {
  const layer = gaussianLayer(768, 3072);
  const r = spawnSync('/usr/bin/python3', [PY], {
    input: JSON.stringify({ nIn: 768, nOut: 3072, weights: Array.from(layer.weights) }),
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (r.error || r.status !== 0) return `numpy baseline skipped (${r.error?.message ?? r.stderr.trim().split('\n').pop()})`;
  return JSON.parse(r.stdout) as { seconds: number; cpuSeconds: number };
}

const fmt = (x: number): string => x.toFixed(2);

export async function run(): Promise<void> {
  const line = (s: string): void => void process.stdout.write(s + '\n');
  const one = child('layer');
  line(`one 768×3072 layer, every table statistic + spectral: ${fmt(one.seconds)} s (CPU ${fmt(one.cpuSeconds)} s), peak RSS ${Math.round(one.peakRssMB)} MB   (target < 5 s)`);
  const eig = child('eigen');
  line(`  eigenvalues of WᵀW alone (Gram 768² + tridiagonal QL): ${fmt(eig.seconds)} s (CPU ${fmt(eig.cpuSeconds)} s)`);
  const np = numpyEigen();
  if (typeof np === 'string') line(np);
  else line(`  numpy W Wᵀ + eigvalsh in the same run: ${fmt(np.seconds)} s (CPU ${fmt(np.cpuSeconds)} s, all BLAS threads); ratio weightscope/numpy ${fmt(eig.seconds / np.seconds)}× wall, ${fmt(eig.cpuSeconds / np.cpuSeconds)}× CPU`);
  const dir = mkdtempSync(join(tmpdir(), 'ws-bench-layers-'));
  try {
    const path = join(dir, 'distilbert.safetensors');
    const tensors = distilbertTensors(BLOCKS);
    const params = tensors.reduce((a, t) => a + t.values.length, 0);
    writeFileSync(path, encodeSafetensors(tensors));
    tensors.length = 0;
    const model = child('model', path);
    line(`DistilBERT-shaped model (${BLOCKS} blocks, ${(params / 1e6).toFixed(1)} M parameters), stats --all-layers --out: ${fmt(model.seconds)} s (CPU ${fmt(model.cpuSeconds)} s), peak RSS ${Math.round(model.peakRssMB)} MB   (target < 120 s, < 4096 MB)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === SELF) {
  const k = process.argv.indexOf('--phase');
  if (k >= 0) process.stdout.write(JSON.stringify(await runPhase(process.argv[k + 1], process.argv[k + 2])));
  else await run();
}
