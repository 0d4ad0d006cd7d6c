import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import type { LayerRecord } from '../../src/core/layer.js';
import { signedDegrees } from '../../src/graph/compact.js';
import {
  randomizeLayer, signedCurveballKernel, signedSwapKernel, swapGKernel, fitMaxEnt, maxEntSlotProbabilities,
  defaultSwapSteps, defaultCurveballTrades, birewireSteps,
} from '../../src/randomize/index.js';
import { changedSlots, chiSquareCritical, gaussianLayer, mnistTemplateLayer, signedOverlap, sortedValues, unitValues } from './helpers.js';

const pos = (x: number): boolean => x > 0;
const neg = (x: number): boolean => x < 0;
const sparse = gaussianLayer(50, 40, 0.3, 21);
const dense = gaussianLayer(30, 20, 1, 22);

function assertSignedDegreesKept(a: LayerRecord, b: LayerRecord, what: string): void {
  assert.deepEqual(signedDegrees(b.weights, ...b.shape), signedDegrees(a.weights, ...a.shape), `${what}: k+/k− changed`);
}
function assertSignMultisetsKept(a: LayerRecord, b: LayerRecord): void {
  assert.deepEqual(sortedValues(b.weights.filter(pos)), sortedValues(a.weights.filter(pos)));
  assert.deepEqual(sortedValues(b.weights.filter(neg)), sortedValues(a.weights.filter(neg)));
}
const signPatternChanged = (a: Float32Array, b: Float32Array): number => {
  let n = 0;
  for (let k = 0; k < a.length; k++) if (Math.sign(a[k]) !== Math.sign(b[k])) n++;
  return n;
};

for (const m of ['curveball', 'swap']) {
  for (const [label, l] of [['pruned', sparse], ['dense', dense], ['MNIST-derived', mnistTemplateLayer()]] as const) {
    test(`${m} on a ${label} layer keeps every unit’s k+ and k− and each sign’s weights, and rewires`, () => {
      const before = l.weights.slice();
      const out = randomizeLayer(l, m, new Rng(1));
      assert.deepEqual(l.weights, before, 'input mutated');
      assertSignedDegreesKept(l, out, m);
      assertSignMultisetsKept(l, out);
      assert.deepEqual(out.bias, l.bias);
      assert.ok(signPatternChanged(l.weights, out.weights) > 0.2 * l.weights.filter((x) => x !== 0).length, 'barely rewired');
    });
  }
  test(`${m}: same seed → identical layer, different seed → different layer`, () => {
    const a = randomizeLayer(sparse, m, new Rng(3));
    assert.deepEqual(a.weights, randomizeLayer(sparse, m, new Rng(3)).weights);
    assert.ok(changedSlots(a.weights, randomizeLayer(sparse, m, new Rng(4)).weights) > 0);
  });
  test(`${m} with weights: 'redraw' has the travel run’s sign pattern and re-deals each sign’s weights`, () => {
    const t = randomizeLayer(sparse, m, new Rng(5), { weights: 'travel' });
    const r = randomizeLayer(sparse, m, new Rng(5), { weights: 'redraw' });
    assert.equal(signPatternChanged(t.weights, r.weights), 0);
    assertSignMultisetsKept(sparse, r);
    assert.ok(changedSlots(t.weights, r.weights) > 0);
  });
  test(`${m}: steps 0 returns an identical copy`, () => {
    const out = randomizeLayer(sparse, m, new Rng(6), { steps: 0 });
    assert.deepEqual(out.weights, sparse.weights);
  });
}

test('swap with travel keeps each input unit’s multiset of outgoing weights', () => {
  const out = randomizeLayer(sparse, 'swap', new Rng(7));
  for (let i = 0; i < 50; i++) assert.deepEqual(unitValues(out, 'in', i), unitValues(sparse, 'in', i));
});

test('G keeps k+ and k− of every unit, never lands on a pruned slot, and keeps each sign’s weights', () => {
  for (const l of [sparse, dense, gaussianLayer(40, 40, 0.7, 23)]) {
    const out = randomizeLayer(l, 'G', new Rng(8));
    assertSignedDegreesKept(l, out, 'G');
    assertSignMultisetsKept(l, out);
    for (let k = 0; k < l.weights.length; k++) assert.equal(out.weights[k] !== 0, l.weights[k] !== 0, 'topology changed');
    for (let i = 0; i < l.shape[0]; i++) assert.deepEqual(unitValues(out, 'in', i), unitValues(l, 'in', i));
  }
  assert.ok(signPatternChanged(dense.weights, randomizeLayer(dense, 'G', new Rng(8)).weights) > 100);
});

test('G follows the reference’s budget: at most 10·E+ attempts and stops at E+ accepted swaps', () => {
  const w = dense.weights.slice();
  const ep = w.filter(pos).length;
  const s = swapGKernel(w, 30, 20, new Rng(9), 10 * ep, ep);
  assert.ok(s.attempted <= 10 * ep);
  assert.ok(s.accepted <= ep);
  assert.ok(s.accepted === ep || s.attempted === 10 * ep);
  // On a dense ±-layer a good share of attempts are +/− checkerboards: it reaches the cap.
  assert.equal(s.accepted, ep);
});

/** Every 3-state matrix with the same k+ / k− of every row and column as `m` (brute force). */
function enumerateSameDegrees(m: number[][]): string[] {
  const nr = m.length, nc = m[0].length;
  const rowCounts = m.map((r) => [r.filter((x) => x > 0).length, r.filter((x) => x < 0).length]);
  const colTarget = [...Array(nc).keys()].map((j) => [m.filter((r) => r[j] > 0).length, m.filter((r) => r[j] < 0).length]);
  const rowsFor = (kp: number, kn: number): number[][] => {
    const out: number[][] = [];
    for (let code = 0; code < 3 ** nc; code++) {
      const r: number[] = [];
      let c = code;
      for (let j = 0; j < nc; j++) { r.push((c % 3) - 1); c = Math.floor(c / 3); }
      if (r.filter((x) => x > 0).length === kp && r.filter((x) => x < 0).length === kn) out.push(r);
    }
    return out;
  };
  const options = rowCounts.map(([p, n]) => rowsFor(p, n));
  const found: string[] = [];
  const rec = (i: number, acc: number[][]): void => {
    if (i === nr) {
      for (let j = 0; j < nc; j++) {
        if (acc.filter((r) => r[j] > 0).length !== colTarget[j][0] || acc.filter((r) => r[j] < 0).length !== colTarget[j][1]) return;
      }
      found.push(acc.map((r) => r.join(',')).join(';'));
      return;
    }
    for (const r of options[i]) rec(i + 1, [...acc, r]);
  };
  rec(0, []);
  return found;
}

const small = [
  [1, -1, 0, 0],
  [-1, 1, 0, 1],
  [0, 0, 1, -1],
  [1, 0, -1, 0],
];

for (const [m, steps] of [['curveball', 24], ['swap', 120]] as const) {
  test(`${m} reaches every 4×4 sign pattern with these degrees with equal frequency (chi-square)`, () => {
    const all = enumerateSameDegrees(small);
    assert.ok(all.length > 20, `only ${all.length} patterns`);
    const perState = 40;
    const n = all.length * perState;
    const counts = new Map<string, number>(all.map((k) => [k, 0]));
    const w0 = Float32Array.from(small.flat());
    const rng = new Rng(31);
    for (let s = 0; s < n; s++) {
      const w = w0.slice();
      const r = rng.fork(s);
      if (m === 'curveball') signedCurveballKernel(w, 4, 4, r, steps);
      else signedSwapKernel(w, 4, 4, r, steps);
      const key = [0, 1, 2, 3].map((i) => Array.from(w.subarray(i * 4, i * 4 + 4), Math.sign).join(',')).join(';');
      const c = counts.get(key);
      assert.ok(c !== undefined, `reached a pattern with other degrees: ${key}`);
      counts.set(key, c + 1);
    }
    let chi = 0;
    for (const c of counts.values()) chi += (c - perState) ** 2 / perState;
    const zeros = [...counts.values()].filter((c) => c === 0).length;
    assert.equal(zeros, 0, `${zeros} of ${all.length} patterns never reached`);
    assert.ok(chi < chiSquareCritical(all.length - 1), `chi-square ${chi.toFixed(1)} ≥ ${chiSquareCritical(all.length - 1).toFixed(1)} (df ${all.length - 1})`);
  });
}

test('edge overlap with the original falls to the level expected for the degree sequences', () => {
  const l = gaussianLayer(80, 60, 0.3, 41);
  // Expected overlap of a random layer with these degrees: Σ over the original's edges of the
  // probability that a degree-constrained random layer puts the same sign there (max-ent estimate).
  const fit = fitMaxEnt(l);
  let expected = 0, edges = 0;
  for (let i = 0; i < 80; i++) {
    for (let j = 0; j < 60; j++) {
      const x = l.weights[i * 60 + j];
      if (x === 0) continue;
      edges++;
      const p = maxEntSlotProbabilities(fit, i, j);
      expected += x > 0 ? p.pos : p.neg;
    }
  }
  expected /= edges;
  for (const m of ['curveball', 'swap']) {
    let mean = 0;
    for (let s = 0; s < 5; s++) mean += signedOverlap(l.weights, randomizeLayer(l, m, new Rng(100 + s)).weights) / 5;
    assert.ok(Math.abs(mean - expected) < 0.02, `${m}: overlap ${mean.toFixed(3)} vs expected ${expected.toFixed(3)}`);
    // …and a short run is still far above it (the test can tell mixed from unmixed).
    const short = signedOverlap(l.weights, randomizeLayer(l, m, new Rng(7), { steps: 20 }).weights);
    assert.ok(short > expected + 0.1, `${m}: 20 steps already at ${short.toFixed(3)}`);
  }
});

test('default step counts follow BiRewire’s bound and Curveball’s ~10 trades per unit', () => {
  // e = 1000 edges at density 0.1: N = 1000 / 1.8 · ln(900 / 5e-5)
  assert.equal(birewireSteps(1000, 10000), Math.ceil((1000 / 1.8) * Math.log(900 / 5e-5)));
  assert.equal(birewireSteps(100, 100), 0);
  assert.equal(defaultSwapSteps(1000, 500, 10000), birewireSteps(1000, 10000) + birewireSteps(500, 10000));
  assert.equal(defaultCurveballTrades(784, 64), 10 * (392 + 32));
  assert.equal(defaultCurveballTrades(5, 3), 10 * (3 + 2));
});
