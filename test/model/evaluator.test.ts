import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/index.js';
import {
  selectBackend, trainMlp, createEvaluator, predictTf, predictOne, splitInputs, REFERENCE_MLP, type Split, type InputScaling,
} from '../../src/model/index.js';
import type { DenseModel } from '../../src/core/index.js';
import { disagreements, mnistPair, randomModel } from './fixtures.js';
import { sparseInputs } from '../../src/model/evaluator.js';
import { KERNEL_BLOCK, WIDE_BLOCK, loadSpmmKernel } from '../../src/model/wasm-kernel.js';

const test07 = mnistPair('t10k', 0, 7);
const test79 = mnistPair('t10k', 7, 9, 600);
let trained: DenseModel;

before(async () => {
  await selectBackend();
  trained = (await trainMlp(mnistPair('train', 7, 9, 2000), 'pm1', REFERENCE_MLP, { seed: 21, epochs: 2 })).model;
});

function reference(model: DenseModel, split: Split, inputs: InputScaling): Uint8Array {
  const x = splitInputs(split, inputs);
  const d = x.length / split.n;
  return Uint8Array.from({ length: split.n }, (_, k) => predictOne(model, x.subarray(k * d, (k + 1) * d)));
}

test('the evaluator agrees with tfjs model.predict on a trained model (both kernels)', () => {
  for (const split of [test07, mnistPair('t10k', 7, 9)]) {
    const viaTf = predictTf(trained, split, 'pm1');
    for (const wasm of [true, false]) {
      const ev = createEvaluator(split, 'pm1', { wasm });
      const ours = ev.predict(trained);
      // Float32 sums in another order may flip an image whose two logits are within rounding.
      assert.ok(disagreements(ours, viaTf) <= Math.ceil(split.n / 2000), `wasm=${wasm}: ${disagreements(ours, viaTf)} disagreements`);
      let correct = 0;
      for (let k = 0; k < split.n; k++) if (ours[k] === split.labels[k]) correct++;
      assert.equal(ev.accuracy(trained), correct / split.n);
    }
  }
  assert.equal(createEvaluator(test07, 'pm1').kernel, 'wasm-simd');
});

test('the wide first-layer kernel (spmmWide) gives spmm\'s bits: the same sums in the same order, on real test images and a shuffled row list', () => {
  const s = sparseInputs(test07, 'pm1');
  const rng = new Rng(4);
  for (const width of [WIDE_BLOCK, 2 * WIDE_BLOCK, 3 * WIDE_BLOCK]) {
    const kernel = loadSpmmKernel(1 << 20)!;
    const n = 300;
    let at = 0;
    const alloc = (bytes: number) => ((at += Math.ceil(bytes / 16) * 16), at - Math.ceil(bytes / 16) * 16);
    const [rows, rowPtr, col, val] = [alloc(n * 4), alloc(s.rowPtr.byteLength), alloc(s.col.byteLength), alloc(s.val.byteLength)];
    const [w, bias, out1, out2] = [alloc(s.d * width * 4), alloc(width * 4), alloc(n * width * 4), alloc(n * width * 4)];
    kernel.memory.grow(Math.ceil(at / 65536));
    const buf = kernel.memory.buffer;
    new Uint32Array(buf, rows, n).set(Array.from({ length: n }, () => rng.int(s.n)));
    new Uint32Array(buf, rowPtr, s.rowPtr.length).set(s.rowPtr);
    new Uint32Array(buf, col, s.col.length).set(s.col);
    new Float32Array(buf, val, s.val.length).set(s.val);
    new Float32Array(buf, w, s.d * width).set(Float32Array.from({ length: s.d * width }, () => rng.normal() * 0.3));
    new Float32Array(buf, bias, width).set(Float32Array.from({ length: width }, () => rng.normal()));
    kernel.spmm(n, rows, rowPtr, col, val, w, width * 4, bias, out1);
    kernel.spmmWide(n, rows, rowPtr, col, val, w, width * 4, bias, out2);
    const a = new Uint32Array(buf, out1, n * width);
    const b = new Uint32Array(buf, out2, n * width);
    assert.ok(a.some((x) => x !== 0), 'the outputs were written');
    assert.deepEqual(b, a, `width ${width}`);
  }
  assert.equal(WIDE_BLOCK % KERNEL_BLOCK, 0);
});

test('the evaluator matches a plain forward pass for other shapes, activations, heads and scalings', () => {
  const rng = new Rng(9);
  const models = [
    randomModel(rng, [784, 30, 2], { activation: 'sigmoid', scale: 4 }),
    randomModel(rng, [784, 17, 9, 1], { activation: 'tanh', head: 'sigmoid', scale: 4 }),
    randomModel(rng, [784, 5], { head: 'linear', bias: false, scale: 4 }),
    randomModel(rng, [784, 64, 2], { scale: 4 }),
  ];
  for (const inputs of ['pm1', 'unit'] as const) {
    const ev = createEvaluator(test79, inputs);
    for (const m of models) assert.ok(disagreements(ev.predict(m), reference(m, test79, inputs)) <= 1);
    assert.deepEqual(ev.accuracies(models), models.map((m) => ev.accuracy(m)));
  }
});

test('ties go to class 0 and a zero sigmoid logit is class 0 (binarized models have integer logits)', () => {
  const zero = randomModel(new Rng(1), [784, 8, 2]);
  for (const l of zero.layers) {
    l.weights.fill(0);
    l.bias!.fill(0);
  }
  const ev = createEvaluator(test79, 'pm1');
  assert.ok(ev.predict(zero).every((c) => c === 0));
  const zeroSigmoid = randomModel(new Rng(1), [784, 1], { head: 'sigmoid' });
  zeroSigmoid.layers[0].weights.fill(0);
  zeroSigmoid.layers[0].bias!.fill(0);
  assert.ok(ev.predict(zeroSigmoid).every((c) => c === 0));
  zeroSigmoid.layers[0].bias![0] = 1e-30;
  assert.ok(ev.predict(zeroSigmoid).every((c) => c === 1));
  const fractionOfClass0 = test79.labels.filter((l) => l === 0).length / test79.n;
  assert.equal(ev.accuracy(zero), fractionOfClass0);
});

test('pixels constant over the test set at a non-zero value are folded in correctly', () => {
  const pixels = test79.pixels.slice();
  for (let k = 0; k < test79.n; k++) {
    pixels[k * 784] = 200; // constant everywhere
    if (k % 3 !== 0) pixels[k * 784 + 1] = 90; // a mode that is not zero
  }
  const split = { pixels, labels: test79.labels, n: test79.n };
  const m = randomModel(new Rng(4), [784, 16, 2], { scale: 30 });
  for (const inputs of ['pm1', 'unit'] as const) {
    assert.ok(disagreements(createEvaluator(split, inputs).predict(m), reference(m, split, inputs)) <= 1);
  }
});

test('a model that does not fit the images is a user error', () => {
  const ev = createEvaluator(test79, 'pm1');
  assert.throws(() => ev.accuracy(randomModel(new Rng(1), [100, 2])), { name: 'UserError', message: /expects 100 inputs but the images have 784/ });
  const short = randomModel(new Rng(1), [784, 8, 2]);
  short.layers[0].weights = short.layers[0].weights.subarray(0, 784 * 4);
  assert.throws(() => ev.accuracy(short), { name: 'UserError', message: /dense_0.*do not match its shape/ });
  const broken = randomModel(new Rng(1), [784, 8, 2]);
  broken.layers[1].shape = [9, 2];
  assert.throws(() => ev.accuracy(broken), { name: 'UserError' });
});
