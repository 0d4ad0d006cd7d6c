import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unitStats, weightSummary, layerStats, summarize, histogram } from '../../src/stats/index.js';
import { layerToGraph, inKey, outKey } from '../../src/graph/index.js';
import { layerFromRows, randomLayer } from './fixtures.js';

test('counts k+, k−, s+, s− of a hand-checkable layer', () => {
  const layer = layerFromRows([
    [0.5, -1, 0],
    [0, 2, -0.25],
  ]);
  const u = unitStats(layer);
  assert.deepEqual([...u.in.kPlus], [1, 1]);
  assert.deepEqual([...u.in.kMinus], [1, 1]);
  assert.deepEqual([...u.in.sPlus], [0.5, 2]);
  assert.deepEqual([...u.in.sMinus], [1, 0.25]);
  assert.deepEqual([...u.out.kPlus], [1, 1, 0]);
  assert.deepEqual([...u.out.kMinus], [0, 1, 1]);
  assert.deepEqual([...u.out.sPlus], [0.5, 2, 0]);
  assert.deepEqual([...u.out.sMinus], [0, 1, 0.25]);
  assert.deepEqual([...u.out.imbalance], [1, 0, -1]);
});

test('gives NaN sign imbalance to a unit without edges', () => {
  const u = unitStats(layerFromRows([[0, 1], [0, -1]]));
  assert.ok(Number.isNaN(u.out.imbalance[0]));
  assert.equal(u.out.imbalance[1], 0);
});

test('matches degrees and strengths read from the graphology graph’s neighbours', () => {
  const layer = randomLayer(11, 50, 20, { zeros: 0.4 });
  const u = unitStats(layer);
  const g = layerToGraph(layer);
  const check = (key: string, side: 'in' | 'out', idx: number): void => {
    let kp = 0, km = 0, sp = 0, sm = 0;
    const visit = (_e: string, a: { weight: number }): void => {
      if (a.weight > 0) { kp++; sp += a.weight; } else { km++; sm -= a.weight; }
    };
    if (side === 'in') g.forEachOutEdge(key, visit); else g.forEachInEdge(key, visit);
    assert.equal(u[side].kPlus[idx], kp);
    assert.equal(u[side].kMinus[idx], km);
    assert.ok(Math.abs(u[side].sPlus[idx] - sp) < 1e-9);
    assert.ok(Math.abs(u[side].sMinus[idx] - sm) < 1e-9);
  };
  for (let i = 0; i < 50; i++) check(inKey(i), 'in', i);
  for (let j = 0; j < 20; j++) check(outKey(j), 'out', j);
});

test('sums of k+ (and k−, s+, s−) agree on both sides and with the edge counts', () => {
  const layer = randomLayer(12, 64, 33, { zeros: 0.3 });
  const u = unitStats(layer);
  const s = weightSummary(layer);
  const sum = (a: ArrayLike<number>): number => Array.from(a).reduce((x, y) => x + y, 0);
  assert.equal(sum(u.in.kPlus), s.nPositive);
  assert.equal(sum(u.out.kPlus), s.nPositive);
  assert.equal(sum(u.in.kMinus), s.nNegative);
  assert.equal(sum(u.out.kMinus), s.nNegative);
  assert.ok(Math.abs(sum(u.in.sPlus) - sum(u.out.sPlus)) < 1e-9);
  assert.ok(Math.abs(sum(u.in.sMinus) - sum(u.out.sMinus)) < 1e-9);
  assert.equal(s.nEdges, s.nPositive + s.nNegative);
  assert.equal(s.density, s.nEdges / (64 * 33));
});

test('summarizes weights: σ with and without zeros, mean |w|, fraction positive', () => {
  const s = weightSummary(layerFromRows([[1, -1, 0, 0], [3, 0, 0, 1]]));
  assert.equal(s.nEdges, 4);
  assert.equal(s.fractionPositive, 0.75);
  assert.equal(s.density, 0.5);
  assert.equal(s.mean, 0.5);
  // population sd of [1,-1,0,0,3,0,0,1]: mean 0.5, Σd² = 0.25+2.25+.25+.25+6.25+.25+.25+.25 = 10
  assert.ok(Math.abs(s.sd - Math.sqrt(10 / 8)) < 1e-12);
  // non-zero [1,-1,3,1]: mean 1, Σd² = 0+4+4+0 = 8
  assert.equal(s.meanNonZero, 1);
  assert.ok(Math.abs(s.sdNonZero - Math.sqrt(2)) < 1e-12);
  assert.equal(s.meanAbs, 6 / 8);
  assert.equal(s.meanAbsNonZero, 1.5);
});

test('summary statistics follow numpy conventions (type-7 quantiles, g1 skew, n−1 sd)', () => {
  const s = summarize([1, 2, 3, 4, 10]);
  assert.equal(s.mean, 4);
  assert.ok(Math.abs(s.sd - Math.sqrt(50 / 4)) < 1e-12);
  assert.equal(s.median, 3);
  assert.equal(s.q25, 2);
  assert.equal(s.q75, 4);
  assert.ok(Math.abs(s.q95 - 8.8) < 1e-12);
  // m2 = 10, m3 = (−27 −8 −1 + 0 + 216)/5 = 36
  assert.ok(Math.abs(s.skew - 36 / Math.pow(10, 1.5)) < 1e-12);
  assert.equal(summarize([2, NaN, 4]).n, 2);
});

test('integer histograms put each degree in one unit bin and probabilities sum to 1', () => {
  const h = histogram([0, 1, 1, 3, 3, 3], { integer: true });
  assert.deepEqual(h.edges, [-0.5, 0.5, 1.5, 2.5, 3.5]);
  assert.deepEqual(h.counts, [1, 2, 0, 3]);
  const wide = histogram(Array.from({ length: 1000 }, (_, k) => k), { integer: true });
  assert.ok(wide.counts.length <= 50);
  assert.equal(wide.counts.reduce((a, b) => a + b, 0), 1000);
  assert.ok(Math.abs(wide.probability.reduce((a, b) => a + b, 0) - 1) < 1e-12);
});

test('layerStats is plain JSON and its distributions count every unit', () => {
  const layer = randomLayer(13, 30, 10, { zeros: 0.2 });
  const st = layerStats(layer);
  const back = JSON.parse(JSON.stringify(st));
  assert.equal(back.in.kPlus.summary.n, 30);
  assert.equal(back.out.sMinus.histogram.counts.reduce((a: number, b: number) => a + b, 0), 10);
  assert.equal(back.weights.nEdges, st.weights.nEdges);
  assert.ok(st.nestedness !== null);
  assert.equal(layerStats(layer, { nestedness: false }).nestedness, null);
});

test('net strength s+ − s− equals graphology-metrics weighted degree of the signed graph', async () => {
  const { weightedOutDegree, weightedInDegree } = await import('graphology-metrics/node/weighted-degree.js');
  const layer = randomLayer(14, 20, 15, { zeros: 0.3 });
  const u = unitStats(layer);
  const g = layerToGraph(layer);
  for (let i = 0; i < 20; i++) assert.ok(Math.abs(weightedOutDegree(g, inKey(i)) - (u.in.sPlus[i] - u.in.sMinus[i])) < 1e-9);
  for (let j = 0; j < 15; j++) assert.ok(Math.abs(weightedInDegree(g, outKey(j)) - (u.out.sPlus[j] - u.out.sMinus[j])) < 1e-9);
});
