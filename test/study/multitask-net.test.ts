/**
 * The multi-task study's networks (src/study/kinds/multitask/net.ts): their gradients against
 * central finite differences of their own loss, their forward pass against an independent one
 * (ml-matrix products), and training against the data it is given (the loss falls on a learnable
 * task). Every weight and bias of the MLP and the RNN is checked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Matrix } from 'ml-matrix';
import { Rng } from '../../src/core/rng.js';
import { initNet, lossAndGradients, runNet, trainNet, zeroGradients, type NetConfig } from '../../src/study/kinds/multitask/net.js';

function batch(c: NetConfig, m: number, seed: number): { x: Float64Array; labels: Uint8Array } {
  const rng = new Rng(seed);
  const x = Float64Array.from({ length: m * c.steps * c.inputs }, () => rng.uniform(-1, 1));
  const labels = Uint8Array.from({ length: m * c.outputs }, () => (rng.uniform(0, 1) < 0.5 ? 1 : 0));
  return { x, labels };
}

/** The loss as the definition: mean over the batch and the heads of −y log σ(z) − (1 − y) log(1 − σ(z)). */
function definitionLoss(logits: Float64Array, labels: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < logits.length; i++) {
    const p = 1 / (1 + Math.exp(-logits[i]));
    s += labels[i] ? -Math.log(p) : -Math.log(1 - p);
  }
  return s / logits.length;
}

for (const c of [
  { kind: 'mlp', inputs: 5, hidden: [6, 4], outputs: 3, steps: 1 },
  { kind: 'rnn', inputs: 4, hidden: [5], outputs: 2, steps: 3 },
] as NetConfig[]) {
  test(`${c.kind}: every gradient matches a central finite difference of the loss`, () => {
    const model = initNet(c, 11);
    const m = 7;
    const { x, labels } = batch(c, m, 3);
    const grads = zeroGradients(model);
    const loss = lossAndGradients(model, c, x, labels, m, grads);
    assert.ok(Math.abs(loss - definitionLoss(runNet(model, c, x, m).logits, labels)) < 1e-12, 'the loss is not the mean binary cross-entropy');
    let checked = 0;
    let worst = 0;
    model.layers.forEach((layer, k) => {
      const params: [Float32Array, Float64Array][] = [[layer.weights, grads.weights[k]]];
      if (layer.bias) params.push([layer.bias, grads.bias[k]!]);
      for (const [p, g] of params) {
        for (let i = 0; i < p.length; i++) {
          const w = p[i];
          p[i] = w + 1e-3;
          const up = p[i];
          const lossUp = definitionLoss(runNet(model, c, x, m).logits, labels);
          p[i] = w - 1e-3;
          const down = p[i];
          const lossDown = definitionLoss(runNet(model, c, x, m).logits, labels);
          p[i] = w;
          const numeric = (lossUp - lossDown) / (up - down);
          worst = Math.max(worst, Math.abs(numeric - g[i]) / Math.max(1e-3, Math.abs(numeric) + Math.abs(g[i])));
          checked++;
        }
      }
    });
    assert.ok(checked > 40);
    assert.ok(worst < 2e-3, `largest relative gradient error ${worst}`);
  });
}

test('mlp: the forward pass equals ReLU(ReLU(x·W1 + b1)·W2 + b2)·W3 + b3 computed with ml-matrix', () => {
  const c: NetConfig = { kind: 'mlp', inputs: 6, hidden: [8, 5], outputs: 4, steps: 1 };
  const model = initNet(c, 2);
  const m = 9;
  const { x } = batch(c, m, 5);
  const out = runNet(model, c, x, m);
  let a = new Matrix(Array.from({ length: m }, (_, s) => Array.from(x.subarray(s * 6, s * 6 + 6))));
  model.layers.forEach((l, k) => {
    const W = new Matrix(Array.from({ length: l.shape[0] }, (_, i) => Array.from(l.weights.subarray(i * l.shape[1], (i + 1) * l.shape[1]))));
    a = a.mmul(W).addRowVector(Array.from(l.bias!));
    if (k < model.layers.length - 1) a = a.apply((i, j) => a.set(i, j, Math.max(0, a.get(i, j))));
    if (k === 1) for (let s = 0; s < m; s++) for (let j = 0; j < 5; j++) assert.ok(Math.abs(a.get(s, j) - out.hidden[s * 5 + j]) < 1e-9);
  });
  for (let s = 0; s < m; s++) for (let j = 0; j < 4; j++) assert.ok(Math.abs(a.get(s, j) - out.logits[s * 4 + j]) < 1e-9);
});

test('training fits a learnable task (the loss falls well below chance) and is the same bits from the same seed', () => {
  const c: NetConfig = { kind: 'mlp', inputs: 3, hidden: [16, 16], outputs: 2, steps: 1 };
  const data = (e: number) => {
    const rng = new Rng(100 + e);
    const n = 256;
    const x = Float32Array.from({ length: n * 3 }, () => rng.uniform(-1, 1));
    const labels = new Uint8Array(n * 2);
    for (let s = 0; s < n; s++) {
      labels[s * 2] = x[s * 3] > 0 ? 1 : 0;
      labels[s * 2 + 1] = x[s * 3 + 1] + x[s * 3 + 2] > 0 ? 1 : 0;
    }
    return { x, labels, n };
  };
  const settings = { epochs: 15, samplesPerEpoch: 256, batchSize: 32, lr: 1e-2 };
  const a = initNet(c, 9);
  const history = trainNet(a, c, settings, data);
  assert.ok(history[0] > 0.4, `first epoch loss ${history[0]}`);
  assert.ok(history[history.length - 1] < 0.15, `last epoch loss ${history[history.length - 1]} (chance: ln 2 = 0.69)`);
  const b = initNet(c, 9);
  trainNet(b, c, settings, data);
  a.layers.forEach((l, k) => assert.deepEqual(l.weights, b.layers[k].weights));
});
