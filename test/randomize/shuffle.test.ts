import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import { signedDegrees } from '../../src/graph/compact.js';
import { randomizeLayer } from '../../src/randomize/index.js';
import { changedSlots, gaussianLayer, mnistTemplateLayer, sortedValues, unitValues } from './helpers.js';

const layer = gaussianLayer(40, 30, 0.3, 11);
const nz = (x: number): boolean => x !== 0;
const pos = (x: number): boolean => x > 0;
const neg = (x: number): boolean => x < 0;
const same = (a: Float32Array, b: Float32Array, keep: (x: number) => boolean): boolean => {
  for (let k = 0; k < a.length; k++) if (keep(a[k]) !== keep(b[k])) return false;
  return true;
};

for (const m of ['A', 'B', 'C', 'D', 'E', 'F', 'full', 'sign', 'unit']) {
  test(`${m}: keeps the multiset of all weights, never touches input or biases, actually moves weights`, () => {
    const before = layer.weights.slice();
    const out = randomizeLayer(layer, m, new Rng(1));
    assert.deepEqual(layer.weights, before, 'input mutated');
    assert.notEqual(out.weights, layer.weights);
    assert.deepEqual(sortedValues(out.weights), sortedValues(layer.weights));
    assert.deepEqual(out.bias, layer.bias);
    assert.notEqual(out.bias, layer.bias);
    assert.equal(out.name, layer.name);
    assert.equal(out.activation, layer.activation);
    assert.deepEqual(out.shape, layer.shape);
    assert.ok(changedSlots(out.weights, layer.weights) > layer.weights.length * 0.05, 'nothing moved');
  });
  test(`${m}: same seed gives the same layer bit for bit, another seed a different one`, () => {
    const a = randomizeLayer(layer, m, new Rng(5));
    const b = randomizeLayer(layer, m, new Rng(5));
    const c = randomizeLayer(layer, m, new Rng(6));
    assert.deepEqual(a.weights, b.weights);
    assert.ok(changedSlots(a.weights, c.weights) > 0);
  });
}

test('A, C, D keep the topology: pruned zeros stay zeros and every edge slot stays an edge', () => {
  for (const m of ['A', 'C', 'D']) assert.ok(same(layer.weights, randomizeLayer(layer, m, new Rng(2)).weights, nz), m);
});

test('A randomizes signs across slots while B keeps the exact sign pattern', () => {
  const a = randomizeLayer(layer, 'A', new Rng(3)).weights;
  assert.ok(!same(layer.weights, a, pos));
  const b = randomizeLayer(layer, 'B', new Rng(3)).weights;
  assert.ok(same(layer.weights, b, pos) && same(layer.weights, b, neg));
  assert.deepEqual(sortedValues(b.filter(pos)), sortedValues(layer.weights.filter(pos)));
});

test('full scatters the pruned zeros over all slots (unlike A)', () => {
  const out = randomizeLayer(layer, 'full', new Rng(4)).weights;
  assert.ok(!same(layer.weights, out, nz));
});

test('C keeps each input unit’s (row’s) weight multiset; D each output unit’s (column’s)', () => {
  const c = randomizeLayer(layer, 'C', new Rng(7));
  const d = randomizeLayer(layer, 'D', new Rng(7));
  for (let i = 0; i < 40; i++) assert.deepEqual(unitValues(c, 'in', i), unitValues(layer, 'in', i));
  for (let j = 0; j < 30; j++) assert.deepEqual(unitValues(d, 'out', j), unitValues(layer, 'out', j));
  // …and not the other side's: C changes some column multisets, D some row multisets.
  assert.ok([...Array(30).keys()].some((j) => unitValues(c, 'out', j).join() !== unitValues(layer, 'out', j).join()));
  assert.ok([...Array(40).keys()].some((i) => unitValues(d, 'in', i).join() !== unitValues(layer, 'in', i).join()));
});

test('E and F keep every unit’s k+ and k− and their own side’s per-sign multisets', () => {
  const deg = signedDegrees(layer.weights, 40, 30);
  for (const [m, side, n] of [['E', 'in', 40], ['F', 'out', 30]] as const) {
    const out = randomizeLayer(layer, m, new Rng(8));
    assert.deepEqual(signedDegrees(out.weights, 40, 30), deg, m);
    for (let u = 0; u < n; u++) {
      assert.deepEqual(unitValues(out, side, u, pos), unitValues(layer, side, u, pos));
      assert.deepEqual(unitValues(out, side, u, neg), unitValues(layer, side, u, neg));
    }
    assert.ok(changedSlots(out.weights, layer.weights) > 0);
  }
});

test('C on a real MNIST-derived layer acts on input units (pixels = rows), as the reference’s "left" shuffle', () => {
  const t = mnistTemplateLayer();
  const out = randomizeLayer(t, 'C', new Rng(9));
  // Each pixel keeps its strength (sum of outgoing weights); class units' strengths change.
  for (let i = 0; i < 784; i++) {
    const s0 = unitValues(t, 'in', i).reduce((a, b) => a + b, 0);
    const s1 = unitValues(out, 'in', i).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(s0 - s1) < 1e-5);
  }
  let moved = 0;
  for (let j = 0; j < 10; j++) {
    const s0 = unitValues(t, 'out', j).reduce((a, b) => a + b, 0);
    const s1 = unitValues(out, 'out', j).reduce((a, b) => a + b, 0);
    if (Math.abs(s0 - s1) > 1e-3) moved++;
  }
  assert.ok(moved >= 5);
});

test('every permutation of a unit’s weights is reached uniformly (C on a 1×4 row, chi-square)', () => {
  const l = { name: 'x', weights: new Float32Array([1, 2, 3, 4]), shape: [1, 4] as [number, number], bias: null };
  const counts = new Map<string, number>();
  const rng = new Rng(12);
  const n = 24 * 200;
  for (let s = 0; s < n; s++) {
    const key = Array.from(randomizeLayer(l, 'C', rng.fork(s)).weights).join();
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  assert.equal(counts.size, 24);
  let chi = 0;
  for (const c of counts.values()) chi += (c - 200) ** 2 / 200;
  assert.ok(chi < 49.7, `chi-square ${chi}`); // df 23, p = 0.001
});
