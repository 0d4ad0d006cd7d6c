import test from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/index.js';
import type { DenseModel } from '../../src/core/index.js';
import { createEvaluator, hiddenUnits, predictOne, splitInputs, unitMaskRunner } from '../../src/model/index.js';
import { disagreements, mnistPair, randomModel } from './fixtures.js';

/** The model with the flagged hidden units' outgoing weights zeroed: the definition of removing them. */
function zeroOutgoing(model: DenseModel, removed: Uint8Array): DenseModel {
  const units = hiddenUnits(model);
  const layers = model.layers.map((l) => ({ ...l, weights: l.weights.slice() }));
  units.forEach((u, k) => {
    if (!removed[k]) return;
    const next = layers[u.layer + 1];
    next.weights.fill(0, u.unit * next.shape[1], (u.unit + 1) * next.shape[1]);
  });
  return { layers };
}

test('predictions with units removed are those of the model with their outgoing weights zeroed (two hidden layers)', () => {
  const split = mnistPair('t10k', 7, 9, 300);
  const rng = new Rng(8);
  const model = randomModel(rng, [784, 24, 12, 2], { scale: 2 });
  const runner = unitMaskRunner(model, split, 'pm1');
  assert.equal(runner.units.length, 36);
  assert.deepEqual(runner.units[24], { layer: 1, unit: 0 });
  const x = splitInputs(split, 'pm1');
  for (let trial = 0; trial < 6; trial++) {
    const removed = Uint8Array.from({ length: 36 }, () => (rng.next() < 0.3 * trial / 5 ? 1 : 0));
    const zeroed = zeroOutgoing(model, removed);
    const reference = Uint8Array.from({ length: split.n }, (_, k) => predictOne(zeroed, x.subarray(k * 784, (k + 1) * 784)));
    // float64 sums in another order: an image on a logit tie could flip, none does here
    assert.equal(disagreements(runner.predict(removed), reference), 0, `trial ${trial}`);
    const evaluator = createEvaluator(split, 'pm1');
    assert.ok(disagreements(runner.predict(removed), evaluator.predict(zeroed)) <= 1, 'and those of the fast evaluator (float32) up to rounding');
    const correct = runner.correct(removed);
    assert.equal(correct.reduce((s, c) => s + c, 0), reference.filter((p, k) => p === split.labels[k]).length);
  }
});

test('removing every unit of a hidden layer leaves the output layer its bias: one class for every image', () => {
  const split = mnistPair('t10k', 0, 7, 200);
  const model = randomModel(new Rng(2), [784, 16, 2]);
  const runner = unitMaskRunner(model, split, 'unit');
  const pred = runner.predict(new Uint8Array(16).fill(1));
  const b = model.layers[1].bias!;
  assert.ok(pred.every((p) => p === (b[1] > b[0] ? 1 : 0)));
  assert.throws(() => runner.predict(new Uint8Array(3)), /needs 16 flags/);
});

test('mean absolute activations of each layer\'s inputs, against a direct forward pass', () => {
  const split = mnistPair('t10k', 7, 9, 100);
  const model = randomModel(new Rng(4), [784, 8, 6, 2]);
  const means = unitMaskRunner(model, split, 'pm1').meanAbsInputs();
  const x = splitInputs(split, 'pm1');
  const expectIn = new Float64Array(784);
  const h1 = new Float64Array(8), h2 = new Float64Array(6);
  for (let k = 0; k < split.n; k++) {
    const v = x.subarray(k * 784, (k + 1) * 784);
    v.forEach((xi, i) => (expectIn[i] += Math.abs(xi) / split.n));
    const a = Array.from({ length: 8 }, (_, j) => Math.max(0, model.layers[0].bias![j] + v.reduce((s, xi, i) => s + xi * model.layers[0].weights[i * 8 + j], 0)));
    a.forEach((y, j) => (h1[j] += y / split.n));
    const c = Array.from({ length: 6 }, (_, j) => Math.max(0, model.layers[1].bias![j] + a.reduce((s, ai, i) => s + ai * model.layers[1].weights[i * 6 + j], 0)));
    c.forEach((y, j) => (h2[j] += y / split.n));
  }
  assert.equal(means.length, 3);
  for (const [got, want] of [[means[0], expectIn], [means[1], h1], [means[2], h2]] as const) {
    got.forEach((g, i) => assert.ok(Math.abs(g - want[i]) < 1e-4 * Math.max(1, Math.abs(want[i])), `${g} vs ${want[i]}`));
  }
});
