/**
 * WeightWatcher's conventions (`stats --all-layers --esd weightwatcher`): a convolution as one
 * matrix per kernel position with the eigenvalues pooled (×½, its conv2d_norm), a fused attention
 * in_proj as one matrix, no α below 10 eigenvalues. The kernel-position matrices are checked by
 * hand; the whole command against WeightWatcher's rules re-derived with numpy from its source
 * (bench/python/ww_crosscheck.py; skipped with one line without numpy).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../../src/core/rng.js';
import { encodeSafetensors } from '../../src/formats/index.js';
import { kernelPositionMatrices, layerEigenvalues, pooledEigenvalues, spectrumStatistics } from '../../src/stats/index.js';
import { PYTHON, pythonMissing } from '../python.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const SCRIPT = join(root, 'bench', 'python', 'ww_crosscheck.py');

test('kernel-position matrices of an unfolded convolution, worked by hand', () => {
  // 2 input channels × 3 positions, 2 outputs: row c·3 + p holds (channel c, position p)
  const rows = [
    [1, 2], [3, 4], [5, 6], // channel 0, positions 0, 1, 2
    [7, 8], [9, 10], [11, 12], // channel 1
  ];
  const mats = kernelPositionMatrices({ name: 'c', weights: Float32Array.from(rows.flat()), shape: [6, 2], bias: null }, 3);
  assert.deepEqual(mats.map((m) => m.shape), [[2, 2], [2, 2], [2, 2]]);
  assert.deepEqual(mats.map((m) => Array.from(m.weights)), [[1, 2, 7, 8], [3, 4, 9, 10], [5, 6, 11, 12]]);
  assert.throws(() => kernelPositionMatrices({ name: 'c', weights: new Float32Array(10), shape: [5, 2], bias: null }, 3));
});

test('pooled eigenvalues: the union of each matrix spectrum, scaled; α needs 10 of them', () => {
  const rng = new Rng(3);
  const mats = [0, 1, 2].map(() => ({ weights: Float32Array.from({ length: 12 }, () => rng.normal()), shape: [3, 4] as [number, number] }));
  const pooled = pooledEigenvalues(mats, 0.5);
  const want = mats.flatMap((m) => Array.from(layerEigenvalues({ name: '', ...m, bias: null })).map((x) => x * 0.5)).sort((a, b) => a - b);
  assert.deepEqual(Array.from(pooled), want);
  const nine = spectrumStatistics(pooled);
  assert.equal(nine.nEigenvalues, 9);
  assert.ok(Number.isNaN(nine.alpha));
  assert.equal(nine.alphaNote, '9 eigenvalues (< 10)');
  assert.ok(Math.abs(nine.stableRank - want.reduce((a, b) => a + b, 0) / want[8]) < 1e-12);
  const ten = spectrumStatistics(Float64Array.from({ length: 10 }, (_, i) => 2 ** i));
  assert.ok(Number.isFinite(ten.alpha) && ten.alphaNote === undefined);
});

const missing = pythonMissing(['numpy'], 'WeightWatcher convention cross-check against numpy');

test('stats --all-layers --esd weightwatcher reproduces WeightWatcher\'s α, λ_max and stable rank (numpy re-derivation)', { skip: missing ?? false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ws-ww-'));
  try {
    const rng = new Rng(21);
    // heavy-tailed values give a spectrum with a power-law tail
    const draw = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.normal() / rng.uniform(0.05, 1) ** 0.7);
    const tensors = [
      { name: 'conv1.weight', shape: [8, 3, 3, 3], values: draw(8 * 3 * 3 * 3) }, // the kernel shape: 9 positions × 3 eigenvalues
      { name: 'conv2.weight', shape: [24, 16, 3, 3], values: draw(24 * 16 * 3 * 3) },
      { name: 'attn.in_proj_weight', shape: [3 * 20, 20], values: draw(3 * 20 * 20) }, // PyTorch MultiheadAttention, (3d, d)
      { name: 'head.weight', shape: [4, 64], values: draw(4 * 64) }, // 4 eigenvalues: no α
    ];
    const model = join(dir, 'model.safetensors');
    writeFileSync(model, encodeSafetensors(tensors.map((t) => ({ ...t, dtype: 'F32' as const }))));
    const r = spawnSync(process.execPath, [cli, 'stats', model, '--all-layers', '--esd', 'weightwatcher', '--json'], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const rows = JSON.parse(r.stdout).layers as Record<string, number | string | null>[];
    const rowsOf = (prefix: string): Record<string, number | string | null>[] => rows.filter((x) => String(x.layer).startsWith(prefix));
    for (const t of tensors) {
      const py = spawnSync(PYTHON, [SCRIPT], { input: JSON.stringify({ shape: t.shape, values: Array.from(t.values) }), encoding: 'utf8', maxBuffer: 1 << 26 });
      assert.equal(py.status, 0, py.stderr);
      const ww = JSON.parse(py.stdout) as { alpha: number | null; xmin: number | null; D: number | null; lambda_max: number; stable_rank: number; skipped: boolean; eigenvalues: number[] };
      const mine = rowsOf(t.name.replace(/[._]weight$/, '').replace(/_weight$/, ''));
      assert.ok(mine.length >= 1, t.name);
      for (const row of mine) { // the three parts of in_proj each carry the fused spectrum
        assert.equal(row.n_evals, ww.eigenvalues.length, `${t.name}: number of eigenvalues`);
        const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) <= 1e-6 * Math.abs(b), `${t.name} ${what}: ${a} vs ${b}`);
        close(Number(row.spectral_norm) ** 2, ww.lambda_max, 'λ_max');
        close(Number(row.stable_rank), ww.stable_rank, 'stable rank');
        if (ww.skipped) {
          assert.equal(row.alpha, null, `${t.name}: WeightWatcher skips it, no α`);
          assert.match(String(row.alpha_note), /< 10/);
        } else {
          close(Number(row.alpha), ww.alpha!, 'α');
          close(Number(row.alpha_xmin), ww.xmin!, 'x_min');
          close(Number(row.alpha_ks), ww.D!, 'KS distance');
        }
      }
    }
    // weightscope's own convention on the same file differs where WeightWatcher's does: conv1 is a 3×8 channel graph (3 eigenvalues, no α)
    const own = JSON.parse(spawnSync(process.execPath, [cli, 'stats', model, '--all-layers', '--json'], { encoding: 'utf8' }).stdout).layers as Record<string, unknown>[];
    assert.equal(own.find((x) => x.layer === 'conv1')!.n_evals, 3);
    assert.equal(own.filter((x) => String(x.layer).startsWith('attn.in_proj')).length, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
