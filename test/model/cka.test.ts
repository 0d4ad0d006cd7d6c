/**
 * Linear CKA: the definition's invariances, the streaming accumulator against the plain definition,
 * the evaluator's `cka` against activations computed by a plain forward pass, and numpy when present.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Rng } from '../../src/core/index.js';
import { CkaAccumulator, ckaReference, createEvaluator, linearCka, splitInputs, TEST_BATCH } from '../../src/model/index.js';
import type { DenseModel } from '../../src/core/index.js';
import { mnistPair, randomModel } from './fixtures.js';
import { pythonMissing } from '../python.js';

const close = (a: number, b: number, tol = 1e-9): void => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

function randomMatrix(rng: Rng, n: number, p: number): Float64Array {
  return Float64Array.from({ length: n * p }, () => rng.normal());
}

/** A random p × p orthogonal matrix: Gram–Schmidt on Gaussian columns (row-major). */
function randomOrthogonal(rng: Rng, p: number): Float64Array {
  const q = randomMatrix(rng, p, p);
  for (let j = 0; j < p; j++) {
    for (let i = 0; i < j; i++) {
      let dot = 0;
      for (let k = 0; k < p; k++) dot += q[k * p + j] * q[k * p + i];
      for (let k = 0; k < p; k++) q[k * p + j] -= dot * q[k * p + i];
    }
    let norm = 0;
    for (let k = 0; k < p; k++) norm += q[k * p + j] ** 2;
    for (let k = 0; k < p; k++) q[k * p + j] /= Math.sqrt(norm);
  }
  return q;
}

function matmul(a: Float64Array, b: Float64Array, n: number, p: number, q: number): Float64Array {
  const out = new Float64Array(n * q);
  for (let i = 0; i < n; i++) for (let k = 0; k < p; k++) for (let j = 0; j < q; j++) out[i * q + j] += a[i * p + k] * b[k * q + j];
  return out;
}

test('CKA is 1 against itself, invariant to orthogonal transforms and isotropic scaling, 0 for a constant side', () => {
  const rng = new Rng(3);
  const n = 200, p = 12;
  const x = randomMatrix(rng, n, p);
  const y = Float64Array.from(x, (v, i) => v + 0.8 * Math.sin(i)); // related, not identical
  close(linearCka(x, x, n, p, p), 1, 1e-12);
  const base = linearCka(x, y, n, p, p);
  assert.ok(base > 0.1 && base < 0.99, `a partly related pair: ${base}`);
  const q = randomOrthogonal(rng, p);
  close(linearCka(x, matmul(y, q, n, p, p), n, p, p), base, 1e-10);
  close(linearCka(matmul(x, q, n, p, p), y, n, p, p), base, 1e-10);
  close(linearCka(x, y.map((v) => v * 37.5), n, p, p), base, 1e-10);
  close(linearCka(x, y.map((v) => v + 5), n, p, p), base, 1e-10); // centring: a shift changes nothing
  assert.equal(linearCka(x, new Float64Array(n * p).fill(2), n, p, p), 0);
  // not invariant to a non-isotropic scaling of the columns: the check can fail
  const stretched = y.map((v, i) => (i % p === 0 ? v * 50 : v));
  assert.ok(Math.abs(linearCka(x, stretched, n, p, p) - base) > 1e-3);
});

test('CKA of two independent random representations is small; hand-checked 1-d case is r²', () => {
  const rng = new Rng(5);
  const n = 2000;
  close(linearCka(randomMatrix(rng, n, 3), randomMatrix(rng, n, 3), n, 3, 3), 0, 0.02);
  // one column each: CKA = squared Pearson correlation. x = [1,2,3,4], y = [1,3,2,4]: r = 0.8
  close(linearCka([1, 2, 3, 4], [1, 3, 2, 4], 4, 1, 1), 0.64, 1e-12);
});

test('the streaming accumulator (sparse, any image order) equals the plain definition', () => {
  const rng = new Rng(8);
  const n = 300, h = 10;
  const x = randomMatrix(rng, n, h).map((v) => Math.max(0, v));
  const y = Float64Array.from(x, (v) => Math.max(0, v + 0.7 * rng.normal()));
  const acc = new CkaAccumulator(ckaReference(x, n, h));
  for (const k of rng.permutation(n)) acc.add(k, y, k * h);
  close(acc.value(), linearCka(x, y, n, h, h), 1e-10);
  assert.throws(() => new CkaAccumulator(ckaReference(x, n, h)).value(), /needs all 300 images/);
});

test('the evaluator reports CKA of the hidden activations: 1 unprobed, the definition otherwise, per batch too', () => {
  const split = mnistPair('t10k', 7, 9, 700);
  const rng = new Rng(12);
  const model = randomModel(rng, [784, 16, 2], { scale: 4 });
  const noisy: DenseModel = { layers: model.layers.map((l) => ({ ...l, weights: l.weights.map((w) => w + 0.05 * rng.normal()) })) };
  // hidden activations by a plain forward pass of the first layer
  const x = splitInputs(split, 'pm1');
  const hidden = (m: DenseModel): Float64Array => {
    const l = m.layers[0];
    const out = new Float64Array(split.n * 16);
    for (let k = 0; k < split.n; k++) {
      for (let j = 0; j < 16; j++) {
        let s = l.bias![j];
        for (let i = 0; i < 784; i++) s += x[k * 784 + i] * l.weights[i * 16 + j];
        out[k * 16 + j] = Math.max(0, s);
      }
    }
    return out;
  };
  const expected = linearCka(hidden(model), hidden(noisy), split.n, 16, 16);
  for (const wasm of [true, false]) {
    const ev = createEvaluator(split, 'pm1', { wasm });
    const [self, probed, perBatch] = ev.measure([model, noisy, Array.from({ length: Math.ceil(split.n / TEST_BATCH) }, () => noisy)], model);
    close(self.cka!, 1, 1e-6);
    close(probed.cka!, expected, 1e-5);
    assert.equal(probed.accuracy, ev.accuracy(noisy));
    // the same model in every batch: the same accuracy and CKA as one model for the whole set
    close(perBatch.cka!, probed.cka!, 1e-9);
    assert.equal(perBatch.accuracy, probed.accuracy);
    assert.equal(ev.measure([noisy])[0].cka, undefined);
    assert.throws(() => ev.measure([[noisy]], model), /needs 6 models \(one per test batch of 128\), got 1/);
  }
});

test('the WASM kernel (folded bias, CKA moments) gives the JS evaluator\'s accuracy and CKA, per-batch models', () => {
  const split = mnistPair('t10k', 0, 7, 900);
  const rng = new Rng(31);
  // 64 and 24: moments in the kernel; 20: the JS accumulator beside the kernel's forward pass
  for (const h of [64, 24, 20]) {
    const model = randomModel(rng, [784, h, 2], { scale: 3 });
    const noisy = (): DenseModel => ({ layers: model.layers.map((l) => ({ ...l, weights: l.weights.map((w) => w + 0.05 * rng.normal()) })) });
    const perBatch = Array.from({ length: Math.ceil(split.n / TEST_BATCH) }, noisy);
    const probes = [perBatch, noisy(), model];
    const wasm = createEvaluator(split, 'pm1').measure(probes, model);
    const js = createEvaluator(split, 'pm1', { wasm: false }).measure(probes, model);
    // the two first-layer kernels round the float32 pre-activations differently (f32 against f64
    // multiply-adds), which moves CKA in the ninth digit, never an accuracy
    assert.deepEqual(wasm.map((m) => m.accuracy), js.map((m) => m.accuracy));
    wasm.forEach((m, k) => close(m.cka!, js[k].cka!, 1e-7));
    assert.ok(wasm[0].cka! < 0.999 && wasm[0].cka! > 0.1, `a probed model's CKA is neither 1 nor 0: ${wasm[0].cka}`);
  }
});

const noNumpy = pythonMissing(['numpy'], 'CKA cross-check against numpy') ?? false;

test('linear CKA agrees with a numpy implementation', { skip: noNumpy }, () => {
  const rng = new Rng(21);
  const n = 150, p = 7, q = 5;
  const x = randomMatrix(rng, n, p);
  const y = Float64Array.from({ length: n * q }, (_, i) => x[Math.floor(i / q) * p + (i % q)] * 0.5 + rng.normal());
  const script = `
import json, sys, numpy as np
d = json.load(sys.stdin)
X = np.array(d['x']).reshape(d['n'], d['p']); Y = np.array(d['y']).reshape(d['n'], d['q'])
X = X - X.mean(0); Y = Y - Y.mean(0)
print(np.linalg.norm(Y.T @ X) ** 2 / (np.linalg.norm(X.T @ X) * np.linalg.norm(Y.T @ Y)))
`;
  const r = spawnSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify({ x: [...x], y: [...y], n, p, q }), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  close(linearCka(x, y, n, p, q), Number(r.stdout), 1e-10);
});
