import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  selectBackend, trainMlp, createEvaluator, cosineLearningRate, REFERENCE_MLP, type BackendInfo, type MlpConfig,
} from '../../src/model/index.js';
import { mnistPair } from './fixtures.js';

let backend: BackendInfo;
const train = mnistPair('train', 0, 7, 3000);
const test07 = mnistPair('t10k', 0, 7);

before(async () => {
  backend = await selectBackend();
});

test('selectBackend reports the backend in use (tfjs-node, else wasm, else cpu) and keeps tfjs banners quiet', async () => {
  assert.ok(['tensorflow', 'wasm', 'cpu'].includes(backend.name));
  assert.equal(backend.name, tf.getBackend());
  assert.match(backend.version, /^\d+\.\d+\.\d+/);
  const cpu = await selectBackend('cpu');
  assert.equal(cpu.name, 'cpu');
  // The cpu backend's first tensor would print a "looks like you are running TensorFlow.js in
  // Node.js … tfjs-node" banner; selectBackend keeps it out of user output.
  const printed: unknown[] = [];
  const { warn, log } = console;
  console.warn = (...m: unknown[]) => printed.push(m);
  console.log = (...m: unknown[]) => printed.push(m);
  try {
    tf.tensor([1, 2]).dispose();
  } finally {
    console.warn = warn;
    console.log = log;
  }
  assert.deepEqual(printed, []);
  const again = await selectBackend();
  assert.equal(again.name, backend.name);
});

test('a 784→64→2 model trained on real MNIST 0v7 classifies the test set above 95%', async () => {
  const before = tf.memory().numTensors;
  const { model, history, backend: used } = await trainMlp(train, 'pm1', REFERENCE_MLP, { seed: 7, epochs: 2 });
  assert.equal(tf.memory().numTensors, before, 'training leaks no tensors');
  // The default engine: tfjs where tfjs-node is installed, else weightscope's sparse engine.
  const tfjsNode = existsSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'node_modules', '@tensorflow', 'tfjs-node', 'package.json'));
  assert.equal(used.name, tfjsNode ? 'tensorflow' : 'weightscope-sparse');
  assert.deepEqual(model.layers.map((l) => [l.name, l.shape, l.activation]), [
    ['dense_0', [784, 64], 'relu'],
    ['dense_1', [64, 2], 'softmax'],
  ]);
  assert.equal(history.length, 2);
  assert.ok(history[1].loss < history[0].loss, 'loss decreases');
  const accuracy = createEvaluator(test07, 'pm1').accuracy(model);
  assert.ok(accuracy > 0.95, `test accuracy ${accuracy}`);
});

test('training is bit-for-bit reproducible with a seed and differs with another seed', async () => {
  const small = mnistPair('train', 0, 7, 600);
  const cfg = { epochs: 2, batchSize: 64 };
  const a = await trainMlp(small, 'pm1', REFERENCE_MLP, { ...cfg, seed: 11 });
  const b = await trainMlp(small, 'pm1', REFERENCE_MLP, { ...cfg, seed: 11 });
  const c = await trainMlp(small, 'pm1', REFERENCE_MLP, { ...cfg, seed: 12 });
  a.model.layers.forEach((layer, k) => {
    assert.deepEqual(layer.weights, b.model.layers[k].weights);
    assert.deepEqual(layer.bias, b.model.layers[k].bias);
  });
  assert.notDeepEqual(a.model.layers[0].weights, c.model.layers[0].weights);
});

test('the learning rate follows torch CosineAnnealingLR stepped per epoch', async () => {
  assert.equal(cosineLearningRate(0.01, 0, 10), 0.01);
  assert.ok(Math.abs(cosineLearningRate(0.01, 5, 10) - 0.005) < 1e-12);
  assert.ok(Math.abs(cosineLearningRate(0.01, 10, 10)) < 1e-12);
  const small = mnistPair('train', 0, 7, 256);
  const { history } = await trainMlp(small, 'unit', REFERENCE_MLP, { seed: 1, epochs: 3, cosineTMax: 2, learningRate: 0.02 });
  assert.deepEqual(history.map((h) => h.learningRate), [0.02, cosineLearningRate(0.02, 1, 2), 0]);
});

test('a sigmoid head (one output, binary cross-entropy) and tanh hidden units train too', async () => {
  const { model } = await trainMlp(train, 'unit', { inputSize: 784, hidden: [32], activation: 'tanh', head: 'sigmoid' }, { seed: 3, epochs: 1 });
  assert.deepEqual(model.layers.map((l) => l.shape), [[784, 32], [32, 1]]);
  assert.equal(model.layers[1].activation, 'sigmoid');
  const accuracy = createEvaluator(test07, 'unit').accuracy(model);
  assert.ok(accuracy > 0.95, `test accuracy ${accuracy}`);
});

test('early stopping reports validation accuracy each epoch and keeps the best epoch', async () => {
  const small = mnistPair('train', 0, 7, 400);
  const validation = mnistPair('t10k', 0, 7, 300);
  const seen: number[] = [];
  const { model, history } = await trainMlp(small, 'pm1', REFERENCE_MLP, {
    seed: 5, epochs: 4, learningRate: 0.05, earlyStopping: { patience: 1, validation }, onProgress: (i) => seen.push(i.epoch),
  });
  assert.deepEqual(seen, history.map((h) => h.epoch));
  assert.ok(history.every((h) => typeof h.valAccuracy === 'number'));
  const best = Math.max(...history.map((h) => h.valAccuracy!));
  assert.equal(createEvaluator(validation, 'pm1').accuracy(model), best);
  // It stopped at most `patience` epochs after the best one.
  const bestEpoch = history.findIndex((h) => h.valAccuracy === best);
  assert.ok(history.length - 1 - bestEpoch <= 1);
});

test('bad training settings are user errors', async () => {
  await assert.rejects(trainMlp(train, 'pm1', { ...REFERENCE_MLP, inputSize: 100 }, { seed: 1 }), { name: 'UserError' });
  await assert.rejects(trainMlp(train, 'pm1', REFERENCE_MLP, { seed: 1, epochs: 0 }), { name: 'UserError' });
  await assert.rejects(trainMlp(train, 'pm1', { ...REFERENCE_MLP, hidden: [0] }, { seed: 1 }), { name: 'UserError' });
  await assert.rejects(trainMlp(train, 'pm1', REFERENCE_MLP, { seed: 1, engine: 'gpu' as 'tfjs' }), { name: 'UserError', message: /unknown training engine/ });
});

test("the 'sparse' engine trains the same model as the tfjs engine, reproducibly", async () => {
  const small = mnistPair('train', 0, 7, 1280);
  const deeper: MlpConfig = { inputSize: 784, hidden: [32, 16], activation: 'tanh', head: 'sigmoid' };
  for (const mlp of [REFERENCE_MLP, deeper]) {
    const viaTf = await trainMlp(small, 'pm1', mlp, { seed: 4, epochs: 1, engine: 'tfjs' });
    const sparse = await trainMlp(small, 'pm1', mlp, { seed: 4, epochs: 1, engine: 'sparse' });
    // Same init, batches, loss and Adam: only float summation order differs.
    const rel = Math.abs(sparse.history[0].loss - viaTf.history[0].loss) / viaTf.history[0].loss;
    assert.ok(rel < 1e-3, `epoch loss ${sparse.history[0].loss} vs tfjs ${viaTf.history[0].loss}`);
    let maxDiff = 0;
    sparse.model.layers.forEach((l, k) => l.weights.forEach((w, i) => (maxDiff = Math.max(maxDiff, Math.abs(w - viaTf.model.layers[k].weights[i])))));
    assert.ok(maxDiff < 0.01, `largest weight difference ${maxDiff}`);
    assert.equal(sparse.backend.name, 'weightscope-sparse');
  }
  const a = await trainMlp(small, 'unit', REFERENCE_MLP, { seed: 8, epochs: 2, engine: 'sparse' });
  const b = await trainMlp(small, 'unit', REFERENCE_MLP, { seed: 8, epochs: 2, engine: 'sparse' });
  assert.deepEqual(a.model, b.model);
  const full = await trainMlp(train, 'pm1', REFERENCE_MLP, { seed: 9, epochs: 2, engine: 'sparse' });
  const accuracy = createEvaluator(test07, 'pm1').accuracy(full.model);
  assert.ok(accuracy > 0.95, `test accuracy ${accuracy}`);
});
