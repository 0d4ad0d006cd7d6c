/**
 * Spectral diagnostics: eigenvalues against matrices whose spectrum is known by construction, the
 * power-law fit against samples drawn from a known power law, and both against numpy when
 * /usr/bin/python3 has it (skipped with one line otherwise).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Rng, type LayerRecord } from '../../src/core/index.js';
import { symmetricEigenvalues, layerEigenvalues, fitPowerLaw, spectralStats } from '../../src/stats/index.js';
import { PYTHON, pythonMissing } from '../python.js';

const SCRIPT = fileURLToPath(new URL('../../../bench/python/spectral_crosscheck.py', import.meta.url));

/** A random orthogonal matrix (product of Householder reflections), row-major k×k. */
function randomOrthogonal(k: number, rng: Rng): Float64Array {
  const q = new Float64Array(k * k);
  for (let i = 0; i < k; i++) q[i * k + i] = 1;
  for (let r = 0; r < 3; r++) {
    const v = Float64Array.from({ length: k }, () => rng.normal());
    const n2 = v.reduce((a, b) => a + b * b, 0);
    // q ← q (I − 2vvᵀ/|v|²)
    for (let i = 0; i < k; i++) {
      let dot = 0;
      for (let j = 0; j < k; j++) dot += q[i * k + j] * v[j];
      for (let j = 0; j < k; j++) q[i * k + j] -= (2 * dot * v[j]) / n2;
    }
  }
  return q;
}

test('eigenvalues of hand-worked and constructed symmetric matrices', () => {
  // [[2, 1], [1, 2]] has eigenvalues 1 and 3
  assert.deepEqual(Array.from(symmetricEigenvalues(Float64Array.from([2, 1, 1, 2]), 2)).map((x) => Math.round(x * 1e12) / 1e12), [1, 3]);
  assert.deepEqual(Array.from(symmetricEigenvalues(Float64Array.from([5]), 1)), [5]);
  // Q diag(λ) Qᵀ with repeated and negative λ
  const rng = new Rng(5);
  const k = 40;
  const lambda = Array.from({ length: k }, (_, i) => (i % 7 === 0 ? 2 : i - 15));
  const q = randomOrthogonal(k, rng);
  const a = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) for (let m = 0; m < k; m++) a[i * k + j] += q[i * k + m] * lambda[m] * q[j * k + m];
  const got = symmetricEigenvalues(a, k);
  const want = [...lambda].sort((x, y) => x - y);
  got.forEach((x, i) => assert.ok(Math.abs(x - want[i]) < 1e-9, `λ${i}: ${x} vs ${want[i]}`));
});

test('a layer W = U diag(s) Vᵀ has the eigenvalues s², spectral norm max s, Frobenius √Σs², stable rank Σs²/max s²', () => {
  const rng = new Rng(9);
  const [n, m] = [30, 50];
  const s = Array.from({ length: n }, (_, i) => 0.1 + i * 0.05);
  const u = randomOrthogonal(n, rng);
  const v = randomOrthogonal(m, rng);
  const w = new Float32Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) {
    let x = 0;
    for (let r = 0; r < n; r++) x += u[i * n + r] * s[r] * v[j * m + r];
    w[i * m + j] = x;
  }
  for (const layer of [{ name: 'w', weights: w, shape: [n, m], bias: null }, { name: 'wt', weights: transpose(w, n, m), shape: [m, n], bias: null }] as LayerRecord[]) {
    const ev = layerEigenvalues(layer);
    assert.equal(ev.length, n);
    ev.forEach((x, i) => assert.ok(Math.abs(x - s[i] ** 2) < 1e-5, `${layer.name} λ${i}`));
    const st = spectralStats(layer, ev);
    const sum2 = s.reduce((a, b) => a + b * b, 0);
    assert.ok(Math.abs(st.spectralNorm - s[n - 1]) < 1e-5);
    assert.ok(Math.abs(st.frobeniusNorm - Math.sqrt(sum2)) < 1e-4);
    assert.ok(Math.abs(st.stableRank - sum2 / s[n - 1] ** 2) < 1e-4);
  }
});

function transpose(w: Float32Array, r: number, c: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = w[i * c + j];
  return out;
}

test('the power-law fit recovers α of samples drawn from p(x) ∝ x^−α above x_min (unbiased over seeds)', () => {
  for (const alpha of [2, 3.5]) {
    const estimates: number[] = [];
    for (let seed = 0; seed < 20; seed++) {
      const rng = new Rng(seed);
      // inverse CDF of the continuous power law with x_min = 1
      const xs = Array.from({ length: 1000 }, () => (1 - rng.uniform(0, 1)) ** (-1 / (alpha - 1)));
      const fit = fitPowerLaw(xs);
      assert.ok(fit.ks < 0.1, `KS ${fit.ks}`);
      estimates.push(fit.alpha);
    }
    const mean = estimates.reduce((a, b) => a + b, 0) / estimates.length;
    // σ of one estimate ≈ (α−1)/√n; x_min is re-chosen by KS so allow a few σ of the mean of 20
    assert.ok(Math.abs(mean - alpha) < 0.15 * (alpha - 1), `α ${alpha}: mean estimate ${mean}`);
  }
  // a single-valued tail has no fit
  assert.ok(Number.isNaN(fitPowerLaw([1]).alpha));
});

const missing = pythonMissing(['numpy'], 'spectral cross-check against numpy');

test('eigenvalues of WᵀW and the fitted α agree with numpy.linalg.eigvalsh and a numpy CSN fit to 1e-4', { skip: missing ?? false }, () => {
  const rng = new Rng(77);
  for (const [n, m] of [[60, 90], [120, 45]]) {
    // heavy-tailed weights give a spectrum with a power-law tail
    const weights = Float32Array.from({ length: n * m }, () => rng.normal() / (rng.uniform(0.05, 1) ** 0.8));
    const layer: LayerRecord = { name: 'x', weights, shape: [n, m], bias: null };
    const r = spawnSync(PYTHON, [SCRIPT], { input: JSON.stringify({ nIn: n, nOut: m, weights: Array.from(weights) }), encoding: 'utf8', maxBuffer: 1 << 26 });
    assert.equal(r.status, 0, r.stderr);
    const py = JSON.parse(r.stdout) as { eigenvalues: number[]; alpha: number; xmin: number; ks: number };
    const ev = layerEigenvalues(layer);
    const top = py.eigenvalues[py.eigenvalues.length - 1];
    ev.forEach((x, i) => assert.ok(Math.abs(x - Math.max(0, py.eigenvalues[i])) <= 1e-4 * Math.max(Math.abs(py.eigenvalues[i]), 1e-6 * top), `λ${i}: ${x} vs ${py.eigenvalues[i]}`));
    const st = spectralStats(layer, ev);
    assert.ok(Math.abs(st.alpha - py.alpha) <= 1e-4 * py.alpha, `α ${st.alpha} vs ${py.alpha}`);
    assert.ok(Math.abs(st.alphaXMin - py.xmin) <= 1e-4 * py.xmin);
    assert.ok(Math.abs(st.alphaKs - py.ks) <= 1e-4 * py.ks + 1e-9);
  }
});
