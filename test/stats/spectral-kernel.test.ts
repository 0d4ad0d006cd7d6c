/**
 * The WebAssembly kernels of the spectra and of NODF (src/stats/spectral-kernel.ts) against the
 * plain JS loops they replace (useSpectralKernel(false)), which are themselves tested against
 * known spectra and numpy in spectral.test.ts: eigenvalues to rounding (1e-12 of λ_max) on every
 * shape class the kernels special-case, NODF bit for bit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import type { LayerRecord } from '../../src/core/layer.js';
import { gramMatrix, layerEigenvalues, nodf, symmetricEigenvalues, useSpectralKernel } from '../../src/stats/index.js';
import { spectralKernel } from '../../src/stats/spectral-kernel.js';
import { helperShares, useParallelGram } from '../../src/stats/gram-helper.js';
import { randomLayer } from './fixtures.js';

const kernel = spectralKernel();
const skip = kernel ? false : 'WebAssembly SIMD is not available here: the JS loops run, nothing to compare';

function withoutKernel<T>(f: () => T): T {
  const was = useSpectralKernel(false);
  try {
    return f();
  } finally {
    useSpectralKernel(was);
  }
}

/** Eigenvalues by the JS reference: the Gram matrix and QL of spectral.ts without the kernels. */
function reference(layer: LayerRecord): Float64Array {
  return withoutKernel(() => {
    const { k, gram } = gramMatrix(layer);
    return symmetricEigenvalues(gram, k).map((v) => Math.max(0, v));
  });
}

function assertSameSpectrum(layer: LayerRecord, tolerance = 1e-12): void {
  const got = layerEigenvalues(layer);
  const want = reference(layer);
  assert.equal(got.length, want.length, layer.name);
  const top = Math.max(want[want.length - 1], Number.MIN_VALUE);
  got.forEach((x, i) => assert.ok(Math.abs(x - want[i]) <= tolerance * top, `${layer.name} λ${i}: ${x} vs ${want[i]}`));
}

test('kernel eigenvalues equal the JS loops on every shape: k = 1…9 (partial 4-panels), tall and wide, odd sizes', { skip }, () => {
  for (const [n, m] of [[1, 1], [1, 7], [7, 1], [2, 5], [3, 3], [4, 9], [5, 4], [6, 13], [9, 9], [17, 40], [40, 17], [64, 64], [101, 250], [250, 101]]) {
    assertSameSpectrum(randomLayer(n * 1000 + m, n, m));
  }
});

test('kernel eigenvalues: more rows than one chunk of the Gram product (the sum over chunks), and a tall layer', { skip }, () => {
  assertSameSpectrum(randomLayer(4, 12, 9000)); // 12 rows of 9000: several 256 KB chunks of packed columns
  assertSameSpectrum(randomLayer(5, 7000, 33));
});

test('kernel eigenvalues: rank-deficient, zero rows, all-zero, pruned and badly scaled layers', { skip }, () => {
  const rng = new Rng(8);
  // rank 3: W = A·B with A 40×3, B 3×60 — 37 eigenvalues are 0 up to rounding
  const a = Float64Array.from({ length: 40 * 3 }, () => rng.normal());
  const b = Float64Array.from({ length: 3 * 60 }, () => rng.normal());
  const w = new Float32Array(40 * 60);
  for (let i = 0; i < 40; i++) for (let j = 0; j < 60; j++) for (let r = 0; r < 3; r++) w[i * 60 + j] += a[i * 3 + r] * b[r * 60 + j];
  assertSameSpectrum({ name: 'rank3', weights: w, shape: [40, 60], bias: null });
  const zeroRows = randomLayer(9, 30, 50);
  for (const i of [0, 7, 29]) zeroRows.weights.fill(0, i * 50, (i + 1) * 50);
  assertSameSpectrum(zeroRows);
  const zero: LayerRecord = { name: 'zero', weights: new Float32Array(20 * 30), shape: [20, 30], bias: null };
  assert.deepEqual(Array.from(layerEigenvalues(zero)), new Array(20).fill(0));
  assertSameSpectrum(randomLayer(10, 50, 80, { zeros: 0.9 }));
  assertSameSpectrum(randomLayer(11, 30, 45, { scale: 1e12 }));
  assertSameSpectrum(randomLayer(12, 30, 45, { scale: 1e-12 }));
});

test('kernel eigenvalues of W = U diag(s) Vᵀ are the s² (an independent check of the kernel path alone)', { skip }, () => {
  // A diagonal-plus-permutation layer: W[i][π(i)] = s_i, so WᵀW = diag(s²) in a permuted basis.
  const n = 23, m = 31;
  const rng = new Rng(2);
  const perm = rng.shuffle(Array.from({ length: m }, (_, j) => j));
  const s = Array.from({ length: n }, (_, i) => (i + 1) / 7);
  const w = new Float32Array(n * m);
  for (let i = 0; i < n; i++) w[i * m + perm[i]] = s[i];
  const ev = layerEigenvalues({ name: 'diag', weights: w, shape: [n, m], bias: null });
  const want = s.map((x) => Math.fround(x) ** 2).sort((x, y) => x - y);
  ev.forEach((x, i) => assert.ok(Math.abs(x - want[i]) < 1e-12 * want[n - 1], `λ${i}: ${x} vs ${want[i]}`));
});

test('NODF with the popcount kernel is the JS loop bit for bit (every sign, shapes around the 128-bit row padding)', { skip }, () => {
  for (const [n, m, zeros] of [[5, 7, 0.5], [33, 70, 0.3], [128, 129, 0.1], [127, 31, 0.6], [200, 300, 0], [64, 1, 0.2]]) {
    const layer = randomLayer(n + m, n, m, { zeros });
    for (const sign of ['positive', 'negative', 'all'] as const) {
      const fast = nodf(layer, sign);
      const slow = withoutKernel(() => nodf(layer, sign));
      assert.deepEqual(fast, slow, `${n}×${m} ${sign}`);
    }
  }
});

test('the Gram product shared with a helper thread gives the same eigenvalues bit for bit, and the helper does take shares', { skip }, async () => {
  // large enough for the hand-off (k²·rows ≥ 1e8 multiply-adds), several chunks of rows; wide and tall
  const layers = [randomLayer(21, 480, 1100), randomLayer(22, 2000, 300)];
  const alone = layers.map((l) => layerEigenvalues(l));
  if (!useParallelGram()) return; // one core, or no shared memory: nothing to share
  try {
    await new Promise((r) => setTimeout(r, 300)); // the helper thread starts
    const before = helperShares();
    for (let r = 0; r < 3; r++) layers.forEach((l, k) => assert.deepEqual(Array.from(layerEigenvalues(l)), Array.from(alone[k]), `${l.name} run ${r}`));
    assert.ok(helperShares() > before, 'the helper thread computed none of the shares');
  } finally {
    useParallelGram(false);
  }
});
