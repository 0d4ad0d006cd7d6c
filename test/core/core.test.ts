import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, deriveSeed } from '../../src/core/rng.js';
import { writeFileAtomic, writeChunksAtomic } from '../../src/core/io.js';
import { rowsToCsv, csvToRows, rowKey, type ResultRow } from '../../src/core/results.js';
import { validateModel, findLayer } from '../../src/core/layer.js';
import { UserError } from '../../src/core/errors.js';

test('the same seed gives the same stream bit for bit; another seed another stream', () => {
  const a = new Rng(123), b = new Rng(123), c = new Rng(124);
  const xa = Array.from({ length: 1000 }, () => a.nextUint32());
  const xb = Array.from({ length: 1000 }, () => b.nextUint32());
  const xc = Array.from({ length: 1000 }, () => c.nextUint32());
  assert.deepEqual(xa, xb);
  assert.ok(xa.filter((x, i) => x === xc[i]).length < 5);
});

test('nextInto draws the same stream as next(), call after call, and leaves the generator where next() would', () => {
  const scalar = new Rng(99), bulk = new Rng(99);
  const buf = new Float64Array(300);
  for (const count of [0, 1, 7, 300, 128]) {
    bulk.nextInto(buf, count);
    const expected = Array.from({ length: count }, () => scalar.next());
    assert.deepEqual([...buf.subarray(0, count)], expected);
  }
  assert.equal(bulk.nextUint32(), scalar.nextUint32());
  assert.throws(() => bulk.nextInto(buf, 301), RangeError);
  // getState/setState: a copy continues the same stream
  const copy = new Rng(5);
  copy.setState(bulk.getState());
  assert.deepEqual([bulk.next(), bulk.next()], [copy.next(), copy.next()]);
  assert.throws(() => copy.setState(new Int32Array(4)), RangeError);
});

test('int(n) is uniform over [0, n): chi-square on 6 bins', () => {
  const rng = new Rng(7);
  const counts = new Array(6).fill(0);
  const N = 60000;
  for (let i = 0; i < N; i++) counts[rng.int(6)]++;
  const chi2 = counts.reduce((s, c) => s + (c - N / 6) ** 2 / (N / 6), 0);
  assert.ok(chi2 < 20.5, `chi2 ${chi2} (5 dof, p=0.001 at 20.5)`);
  for (let i = 0; i < 1000; i++) {
    const x = rng.int(3_000_000_000);
    assert.ok(x >= 0 && x < 3_000_000_000 && Number.isInteger(x));
  }
});

test('next() and normal() have the right moments', () => {
  const rng = new Rng(11);
  let s = 0, s2 = 0;
  const n = 50000;
  for (let i = 0; i < n; i++) { const x = rng.normal(); s += x; s2 += x * x; }
  assert.ok(Math.abs(s / n) < 0.02);
  assert.ok(Math.abs(s2 / n - 1) < 0.03);
  const u = Array.from({ length: n }, () => rng.next());
  assert.ok(u.every((x) => x >= 0 && x < 1));
  assert.ok(Math.abs(u.reduce((p, x) => p + x, 0) / n - 0.5) < 0.01);
  // spread too: Var U(0, 1) = 1/12 (SE of the sample variance ≈ 0.0004 at n = 50 000)
  assert.ok(Math.abs(u.reduce((p, x) => p + (x - 0.5) ** 2, 0) / n - 1 / 12) < 0.002);
});

test('permutation is a permutation and derived seeds depend on every label', () => {
  const p = new Rng(1).permutation(100);
  assert.deepEqual([...p].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i));
  assert.equal(deriveSeed(1, 'a', 2), deriveSeed(1, 'a', 2));
  const seeds = new Set([deriveSeed(1, 'a', 2), deriveSeed(1, 'a', 3), deriveSeed(1, 'b', 2), deriveSeed(2, 'a', 2), deriveSeed(1, 'a2')]);
  assert.equal(seeds.size, 5);
});

test('atomic writes leave the complete file and no temporary behind', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ws-io-'));
  const p = join(dir, 'sub', 'x.txt');
  writeFileAtomic(p, 'hello');
  writeFileAtomic(p, 'world');
  assert.equal(readFileSync(p, 'utf8'), 'world');
  writeChunksAtomic(join(dir, 'big.csv'), (function* () { for (let i = 0; i < 100000; i++) yield `${i}\n`; })());
  assert.equal(readFileSync(join(dir, 'big.csv'), 'utf8').split('\n').length, 100001);
  assert.deepEqual(readdirSync(dir).sort(), ['big.csv', 'sub']);
  assert.deepEqual(readdirSync(join(dir, 'sub')), ['x.txt']);
  assert.throws(() => writeChunksAtomic(join(dir, 'bad.csv'), (function* () { yield 'a'; throw new Error('boom'); })()), /boom/);
  assert.deepEqual(readdirSync(dir).sort(), ['big.csv', 'sub']);
});

test('results rows survive a CSV round trip and keys separate repetitions', () => {
  const row: ResultRow = { task: 'mnist-0v7', difficulty: 'easy', probe: 'noise', variant: 'reference', signed: true, level: 0.1 + 0.2, layer: 'all', run: 2, seed: 99, accuracy: 0.975, n_test: 2008, inputs: 'pm1' };
  const back = csvToRows(rowsToCsv([row, { ...row, seed: 100 }]));
  assert.equal(back.length, 2);
  assert.equal(back[0].signed, true);
  assert.equal(back[0].accuracy, 0.975);
  assert.ok(Math.abs(back[0].level - 0.3) < 1e-12);
  assert.notEqual(rowKey(back[0]), rowKey(back[1]));
});

test('model validation names the layer and the problem', () => {
  const ok = { name: 'a', weights: new Float32Array(6), shape: [2, 3] as [number, number], bias: new Float32Array(3) };
  assert.doesNotThrow(() => validateModel({ layers: [ok] }));
  const nan = { ...ok, weights: Float32Array.from([0, 0, 0, 0, NaN, 0]) };
  assert.throws(() => validateModel({ layers: [nan] }), (e: Error) => e instanceof UserError && /layer 'a': weight \[1, 1\] is NaN/.test(e.message));
  assert.throws(() => validateModel({ layers: [{ ...ok, shape: [3, 3] }] }), /needs 9 weights/);
  assert.throws(() => validateModel({ layers: [ok, { ...ok, name: 'b' }] }), /expects 2 inputs but 'a' gives 3/);
  assert.throws(() => findLayer({ layers: [ok] }, 'zz'), /no layer named 'zz' \(layers: a\)/);
});

test('CSV round trip keeps fields that need quoting (commas, quotes in layer names)', () => {
  const row: ResultRow = { task: 'mnist-0v7', difficulty: 'easy', probe: 'prune', variant: 'reference', signed: false, level: 0.5, layer: 'block "1", fc', run: 0, seed: 0, accuracy: 0.5, n_test: 10, inputs: 'pm1' };
  const [back] = csvToRows(rowsToCsv([row]));
  assert.equal(back.layer, 'block "1", fc');
  assert.equal(back.n_test, 10);
});

test("a study kind's own columns follow the common ones, in first-seen order; unmeasured (null) is an empty cell", () => {
  const base: ResultRow = { task: 'mlp-rbf-d2-k3-s0.2', difficulty: 'custom', probe: 'baseline', variant: 'reference', signed: false, level: 0, layer: 'all', run: 0, seed: 0, accuracy: 0.9, n_test: 10, inputs: 'rbf' };
  const rows = [
    { ...base, tasks: 3, model: 'mlp', ood_r2: 0.125 },
    { ...base, probe: 'prune', level: 0.5, tasks: 3, model: 'mlp', ood_r2: null, mig: 1e-7 },
  ] as unknown as ResultRow[];
  const csv = rowsToCsv(rows);
  const lines = csv.trim().split('\n');
  assert.deepEqual(lines[0].split(',').slice(-4), ['tasks', 'model', 'ood_r2', 'mig']);
  assert.deepEqual(lines[2].split(',').slice(-4), ['3', 'mlp', '', '1e-7']);
  const back = csvToRows(csv) as unknown as Record<string, unknown>[];
  assert.equal(back[0].tasks, 3);
  assert.equal(back[0].model, 'mlp');
  assert.equal(back[0].ood_r2, 0.125);
  assert.equal(back[1].mig, 1e-7);
  assert.ok(!('ood_r2' in back[1]) && !('mig' in back[0]));
});
