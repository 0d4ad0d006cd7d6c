import test from 'node:test';
import assert from 'node:assert/strict';
import { loadMnist, makeBinaryTask, scaleInputs, parsePairs, taskName, parseTaskName, checkTaskName, limitSplit, taskSplits, inputAffine, type Split } from '../../src/data/index.js';
import { UserError } from '../../src/core/errors.js';
import { classCounts } from './helpers.js';

const mnist = loadMnist();
const trainCounts = classCounts(mnist.train.labels);
const testCounts = classCounts(mnist.test.labels);

/** Every image of a split equals its source row, and its label says which class the source had. */
function checkSplitAgainstSource(split: Split, source: typeof mnist.train, a: number, b: number): void {
  assert.equal(split.pixels.length, split.n * 784);
  assert.equal(split.labels.length, split.n);
  assert.equal(split.index.length, split.n);
  for (let i = 0; i < split.n; i++) {
    const src = source.labels[split.index[i]];
    assert.ok(src === a || src === b);
    assert.equal(split.labels[i], src === b ? 1 : 0);
  }
  for (const i of [0, split.n >> 1, split.n - 1]) {
    const r = split.index[i];
    assert.deepEqual(split.pixels.subarray(i * 784, (i + 1) * 784), source.pixels.subarray(r * 784, (r + 1) * 784));
  }
}

test('a task holds every training and test image of its two classes, labelled 0 (a) and 1 (b)', () => {
  const task = makeBinaryTask(mnist, 'mnist', 0, 7, { inputs: 'pm1' });
  assert.equal(task.name, 'mnist-0v7');
  assert.deepEqual(task.classes, [0, 7]);
  assert.equal(task.validation, null);
  assert.equal(task.train.n, trainCounts[0] + trainCounts[7]);
  assert.equal(task.test.n, testCounts[0] + testCounts[7]);
  assert.equal(classCounts(task.train.labels)[1], trainCounts[7]);
  assert.equal(classCounts(task.test.labels)[0], testCounts[0]);
  checkSplitAgainstSource(task.train, mnist.train, 0, 7);
  checkSplitAgainstSource(task.test, mnist.test, 0, 7);
  // Dataset order is kept.
  for (let i = 1; i < task.train.n; i++) assert.ok(task.train.index[i] > task.train.index[i - 1]);

  // The first class named gets label 0: 9v7 labels the 9s 0.
  const flipped = makeBinaryTask(mnist, 'mnist', 9, 7);
  assert.equal(classCounts(flipped.train.labels)[0], trainCounts[9]);
});

test('scales inputs to [−1, 1] (pm1: background −1) or [0, 1] (unit)', () => {
  const task = makeBinaryTask(mnist, 'mnist', 7, 9);
  const pm1 = scaleInputs(task.test.pixels, 'pm1');
  const unit = scaleInputs(task.test.pixels, 'unit');
  assert.equal(pm1.length, task.test.n * 784);
  let lo = Infinity, hi = -Infinity, ulo = Infinity, uhi = -Infinity;
  for (let i = 0; i < pm1.length; i++) {
    lo = Math.min(lo, pm1[i]); hi = Math.max(hi, pm1[i]);
    ulo = Math.min(ulo, unit[i]); uhi = Math.max(uhi, unit[i]);
    const p = task.test.pixels[i];
    assert.ok(Math.abs(pm1[i] - (p / 127.5 - 1)) < 1e-6);
    assert.ok(Math.abs(unit[i] - p / 255) < 1e-7);
  }
  assert.deepEqual([lo, hi, ulo, uhi], [-1, 1, 0, 1]);
  assert.equal(pm1[0], -1); // corner pixel is background
  assert.throws(() => scaleInputs(task.test.pixels, 'z' as 'unit'), UserError);
});

test('the validation split is stratified, disjoint from train, and reproducible from its seed', () => {
  const fraction = 0.2;
  const t1 = makeBinaryTask(mnist, 'mnist', 7, 9, { validationFraction: fraction, seed: 42 });
  const t2 = makeBinaryTask(mnist, 'mnist', 7, 9, { validationFraction: fraction, seed: 42 });
  const t3 = makeBinaryTask(mnist, 'mnist', 7, 9, { validationFraction: fraction, seed: 43 });
  const val = t1.validation!;
  // Stratified: each class contributes round(fraction · its count).
  const vc = classCounts(val.labels);
  assert.equal(vc[0], Math.round(fraction * trainCounts[7]));
  assert.equal(vc[1], Math.round(fraction * trainCounts[9]));
  // Disjoint and together exactly the task's training images.
  const trainIdx = new Set(t1.train.index);
  for (const r of val.index) assert.ok(!trainIdx.has(r));
  assert.equal(t1.train.n + val.n, trainCounts[7] + trainCounts[9]);
  checkSplitAgainstSource(val, mnist.train, 7, 9);
  checkSplitAgainstSource(t1.train, mnist.train, 7, 9);
  // Same seed → same split; other seed → another split; test set untouched.
  assert.deepEqual(t2.validation!.index, val.index);
  assert.notDeepEqual(t3.validation!.index, val.index);
  assert.equal(t1.test.n, testCounts[7] + testCounts[9]);
});

test('rejects bad task parameters with one-line errors', () => {
  assert.throws(() => makeBinaryTask(mnist, 'mnist', 3, 3), /two different classes/);
  assert.throws(() => makeBinaryTask(mnist, 'mnist', 3, 10), /outside 0–9/);
  assert.throws(() => makeBinaryTask(mnist, 'mnist', 3, 4, { validationFraction: 1 }), /validation fraction/);
  assert.throws(() => makeBinaryTask(mnist, 'mnist', 3, 4, { inputs: 'raw' as 'unit' }), /unknown input scaling/);
});

test('parses pair lists and rejects bad syntax, repeated classes and classes outside 0–9', () => {
  assert.deepEqual(parsePairs('0v7,7v9'), [[0, 7], [7, 9]]);
  assert.deepEqual(parsePairs(' 3v2 , 9V4'), [[3, 2], [9, 4]]);
  assert.equal(taskName('mnist', 0, 7), 'mnist-0v7');
  assert.equal(taskName('fashion', 3, 1), 'fashion-3v1');
  for (const [bad, why] of [
    ['', /expected pairs/],
    ['0v7,', /expected pairs/],
    ['0-7', /expected <class>v<class>/],
    ['0v', /expected <class>v<class>/],
    ['7v7', /two different classes/],
    ['0v12', /outside 0–9/],
    ['0v7,7v0', /listed twice/],
  ] as const) {
    assert.throws(() => parsePairs(bad), (e: unknown) => e instanceof UserError && why.test(e.message), bad);
  }
});

test('task names parse back to what taskName was given; bad names get one line naming the form', () => {
  for (const [dataset, a, b] of [['mnist', 0, 7], ['fashion', 9, 4]] as const) {
    assert.deepEqual(checkTaskName(taskName(dataset, a, b)), { dataset, a, b });
  }
  assert.deepEqual(parseTaskName('emnist-3v12'), { dataset: 'emnist', a: 3, b: 12 });
  assert.equal(parseTaskName('mnist-0-7'), null);
  for (const [bad, why] of [['mnist07', /expected <dataset>-<a>v<b>/], ['kmnist-0v7', /unknown dataset 'kmnist'/], ['mnist-7v7', /two different classes/], ['mnist-0v12', /outside 0–9/]] as const) {
    assert.throws(() => checkTaskName(bad), (e: unknown) => e instanceof UserError && why.test(e.message) && !e.message.includes('\n'), bad);
  }
});

test('input scaling is one affine map of the pixel byte: pm1 −1 … 1, unit 0 … 1 (hand-worked points)', () => {
  assert.deepEqual(inputAffine('pm1'), { scale: 2 / 255, offset: -1 });
  const x = scaleInputs(Uint8Array.from([0, 51, 255]), 'pm1');
  assert.deepEqual([...x], [-1, Math.fround(-0.6), 1]);
  assert.deepEqual([...scaleInputs(Uint8Array.from([0, 51, 255]), 'unit')], [0, Math.fround(0.2), 1]);
});

test('limitSplit draws a stratified seeded subset in dataset order; taskSplits limits train and test from the base seed', () => {
  const task = makeBinaryTask(mnist, 'mnist', 0, 7);
  const small = limitSplit(task.test, 300, 5);
  assert.equal(small.n, 300);
  // each class keeps its share, round(300 · n_class / n)
  const share = classCounts(task.test.labels);
  assert.deepEqual(classCounts(small.labels).slice(0, 2), [Math.round((300 * share[0]) / task.test.n), Math.round((300 * share[1]) / task.test.n)]);
  checkSplitAgainstSource(small, mnist.test, 0, 7);
  for (let i = 1; i < small.n; i++) assert.ok(small.index[i] > small.index[i - 1], 'dataset order');
  assert.deepEqual(limitSplit(task.test, 300, 5).index, small.index, 'same seed, same images');
  assert.notDeepEqual(limitSplit(task.test, 300, 6).index, small.index, 'another seed, other images');
  assert.equal(limitSplit(task.test, undefined, 5), task.test);
  const s1 = taskSplits(mnist, 'mnist', [0, 7], { inputs: 'pm1', seed: 1, validationFraction: 0, trainLimit: 600, testLimit: 300 });
  const s2 = taskSplits(mnist, 'mnist', [0, 7], { inputs: 'pm1', seed: 1, validationFraction: 0, testLimit: 300 });
  assert.equal(s1.train.n, 600);
  assert.equal(s2.train.n, task.train.n);
  assert.deepEqual(s1.test.index, s2.test.index, 'the test sample does not depend on the train limit');
});
