import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import { signedDegrees } from '../../src/graph/compact.js';
import { fitMaxEnt, maxEntExpectedDegrees, sampleMaxEnt } from '../../src/randomize/index.js';
import { gaussianLayer, mnistTemplateLayer } from './helpers.js';

for (const [label, layer] of [['pruned gaussian', gaussianLayer(60, 40, 0.25, 51)], ['MNIST-derived', mnistTemplateLayer()]] as const) {
  test(`maxent on a ${label} layer: the fit reproduces every unit’s k+ and k− in expectation`, () => {
    const fit = fitMaxEnt(layer);
    assert.ok(fit.converged, `not converged: max error ${fit.maxError} after ${fit.iterations}`);
    const e = maxEntExpectedDegrees(fit);
    const d = signedDegrees(layer.weights, ...layer.shape);
    for (const k of ['inPos', 'inNeg', 'outPos', 'outNeg'] as const) {
      for (let u = 0; u < d[k].length; u++) assert.ok(Math.abs(e[k][u] - d[k][u]) < 1e-4, `${k}[${u}]: ${e[k][u]} vs ${d[k][u]}`);
    }
  });
}

test('maxent samples: average k+ and k− over many samples match the layer’s within sampling error', () => {
  const layer = gaussianLayer(30, 20, 0.3, 52);
  const [nIn, nOut] = layer.shape;
  const fit = fitMaxEnt(layer);
  const d = signedDegrees(layer.weights, nIn, nOut);
  const n = 400;
  const sum = { inPos: new Float64Array(nIn), inNeg: new Float64Array(nIn), outPos: new Float64Array(nOut), outNeg: new Float64Array(nOut) };
  const rng = new Rng(53);
  let sameAsFirst = 0;
  let first: Float32Array | null = null;
  for (let s = 0; s < n; s++) {
    const out = sampleMaxEnt(fit, rng);
    if (first && out.weights.every((x, k) => x === first![k])) sameAsFirst++;
    first ??= out.weights;
    const ds = signedDegrees(out.weights, nIn, nOut);
    for (const k of ['inPos', 'inNeg', 'outPos', 'outNeg'] as const) for (let u = 0; u < ds[k].length; u++) sum[k][u] += ds[k][u];
  }
  assert.equal(sameAsFirst, 0);
  for (const k of ['inPos', 'inNeg', 'outPos', 'outNeg'] as const) {
    for (let u = 0; u < d[k].length; u++) {
      const mean = sum[k][u] / n;
      // A degree is a sum of ≤ 30 Bernoullis: sd ≤ √(30/4) ≈ 2.7, so the mean of 400 has sd ≤ 0.14.
      assert.ok(Math.abs(mean - d[k][u]) < 0.6, `${k}[${u}]: mean ${mean} vs ${d[k][u]}`);
    }
  }
});

test('maxent draws each sign’s weights from that sign’s observed weights and leaves biases alone', () => {
  const layer = gaussianLayer(30, 20, 0.3, 54);
  const posSet = new Set(layer.weights.filter((x) => x > 0));
  const negSet = new Set(layer.weights.filter((x) => x < 0));
  const out = sampleMaxEnt(fitMaxEnt(layer), new Rng(1));
  for (const x of out.weights) {
    if (x > 0) assert.ok(posSet.has(x));
    if (x < 0) assert.ok(negSet.has(x));
  }
  assert.deepEqual(out.bias, layer.bias);
  assert.deepEqual(out.shape, layer.shape);
});

test('maxent on a dense layer (no empty slot) samples dense layers with the expected signs', () => {
  const layer = gaussianLayer(20, 15, 1, 55);
  const fit = fitMaxEnt(layer);
  assert.ok(fit.zIn.every((z) => z === 0) && fit.zOut.every((z) => z === 0));
  assert.ok(fit.converged, `max error ${fit.maxError}`);
  const out = sampleMaxEnt(fit, new Rng(2));
  assert.ok(out.weights.every((x) => x !== 0));
});

test('maxent sampling is reproducible per seed', () => {
  const fit = fitMaxEnt(gaussianLayer(20, 15, 0.4, 56));
  assert.deepEqual(sampleMaxEnt(fit, new Rng(9)).weights, sampleMaxEnt(fit, new Rng(9)).weights);
  assert.notDeepEqual(sampleMaxEnt(fit, new Rng(9)).weights, sampleMaxEnt(fit, new Rng(10)).weights);
});
