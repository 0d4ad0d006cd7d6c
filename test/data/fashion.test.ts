import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { loadFashion, loadDataset, makeBinaryTask, loadSsimRanking, rankPairsBySsim, CLASS_NAMES, FASHION_TEST_FRACTION, type ImageSet } from '../../src/data/index.js';
import { classCounts, tempDir, writeIdxDir } from './helpers.js';

// Parsing the package's JSON takes ~2 s: load it once for the checks, once more for stability.
const first = loadFashion();

function imageHashes(set: ImageSet): string[] {
  const out: string[] = [];
  for (let i = 0; i < set.n; i++) out.push(createHash('sha1').update(set.pixels.subarray(i * 784, (i + 1) * 784)).digest('hex'));
  return out;
}

test('loads the fashion-mnist package: ~60k/10k, 28×28, labels 0–9, every class present', () => {
  const { train, test: testSet, source } = first;
  assert.equal(source.kind, 'fashion-mnist-package');
  const report = source.report!;
  const total = report.entries.reduce((s, x) => s + x, 0);
  assert.equal(total, 70002);
  // Kept = entries − invalid − within-class duplicates − every copy of a cross-class image.
  const kept = report.kept.reduce((s, x) => s + x, 0);
  assert.equal(train.n + testSet.n, kept);
  assert.ok(report.invalid >= 2, 'the two empty arrays of class 0 are dropped');
  assert.ok(kept > 69800 && kept < 70000, `kept ${kept}`);
  assert.ok(Math.abs(train.n - 60000) < 100 && Math.abs(testSet.n - 10000) < 50, `${train.n}/${testSet.n}`);
  assert.equal(train.pixels.length, train.n * 784);
  assert.deepEqual([train.rows, train.cols], [28, 28]);
  assert.deepEqual(classCounts(train.labels).map((c) => c > 5900), new Array(10).fill(true));
  assert.equal(CLASS_NAMES.fashion[3], 'Dress');
});

test('holds no duplicate images, within or across classes, train or test', () => {
  const all = [...imageHashes(first.train), ...imageHashes(first.test)];
  assert.equal(new Set(all).size, all.length);
});

test('splits each class 6:1 (stratified) and mixes the classes', () => {
  const trainC = classCounts(first.train.labels);
  const testC = classCounts(first.test.labels);
  const kept = first.source.report!.kept;
  for (let c = 0; c < 10; c++) {
    assert.equal(trainC[c] + testC[c], kept[c]);
    assert.equal(testC[c], Math.round(kept[c] * FASHION_TEST_FRACTION));
  }
  // Not class-sorted like the package: the first 100 training images hold several classes.
  assert.ok(new Set(first.train.labels.subarray(0, 100)).size >= 8);
});

test('gives the same split on every load, and works as a binary task', () => {
  const again = loadDataset('fashion');
  assert.deepEqual(again.train.labels, first.train.labels);
  assert.deepEqual(again.test.pixels, first.test.pixels);
  assert.deepEqual(again.train.pixels, first.train.pixels);
  const task = makeBinaryTask(first, 'fashion', 3, 1);
  assert.equal(task.name, 'fashion-3v1');
  assert.equal(task.train.n, classCounts(first.train.labels)[3] + classCounts(first.train.labels)[1]);
});

test('loads Fashion-MNIST from an IDX folder when a dir is given', () => {
  const dir = tempDir();
  const pick = (set: ImageSet, n: number) => ({ pixels: set.pixels.slice(0, n * 784), labels: set.labels.slice(0, n) });
  writeIdxDir(dir, pick(first.train, 200), pick(first.test, 40));
  const fromDir = loadFashion({ dir });
  assert.equal(fromDir.source.kind, 'idx');
  assert.equal(fromDir.train.n, 200);
  assert.deepEqual(fromDir.test.labels, first.test.labels.slice(0, 40));
  assert.equal(loadDataset('fashion', { dataDir: dir }).train.n, 200);
});

test('the embedded Fashion ranking agrees with a small recomputation', () => {
  const ranking = loadSsimRanking('fashion');
  assert.equal(ranking.rows.length, 45);
  const picks = [ranking.rows[0], ranking.rows[22], ranking.rows[44]];
  const small = rankPairsBySsim(first, { samplesPerPair: 600, seed: 99, pairs: picks.map((r) => [r.a, r.b] as [number, number]) });
  assert.deepEqual(small.map((r) => `${r.a}v${r.b}`), picks.map((r) => `${r.a}v${r.b}`));
});
