/**
 * The multi-task study's weight lens (src/study/kinds/multitask/lens.ts) on layers and codes with
 * known answers: Louvain communities of a layer made of two disjoint positive blocks (the blocks,
 * modularity ½ by hand), normalised mutual information (hand-worked), each unit's latent, and the
 * whole lens on a small layer (finite, seeded, the same twice).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import { sampleMatrix } from '../../src/stats/index.js';
import { lensStats, normalizedMutualInformation, positiveCommunities, unitLatents } from '../../src/study/kinds/multitask/lens.js';

const layerOf = (weights: number[], nIn: number, nOut: number) => ({ name: 'h', weights: Float32Array.from(weights), shape: [nIn, nOut] as [number, number], bias: null });

test('two disjoint positive blocks are two communities with modularity ½; negative weights are not edges', () => {
  // inputs 0,1 → outputs 0,1 positive; inputs 2,3 → outputs 2,3 positive; every cross weight negative
  const w: number[] = [];
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) w.push((i < 2) === (j < 2) ? 1 : -1);
  const c = positiveCommunities(layerOf(w, 4, 4), 3);
  assert.equal(c.count, 2);
  assert.equal(c.input[0], c.input[1]);
  assert.equal(c.input[0], c.output[0]);
  assert.notEqual(c.input[0], c.input[2]);
  assert.equal(c.output[2], c.input[3]);
  // Q = Σ_c (L_c/m − (d_c/2m)²) = 2 × (4/8 − (8/16)²) = ½
  assert.ok(Math.abs(c.modularity - 0.5) < 1e-12, `modularity ${c.modularity}`);
});

test('normalised mutual information: hand-worked values', () => {
  assert.equal(normalizedMutualInformation([0, 0, 1, 1], [5, 5, 7, 7]), 1);
  assert.ok(Math.abs(normalizedMutualInformation([0, 0, 1, 1], [0, 1, 0, 1])) < 1e-15);
  // a = 0011, b = 0001: I = ½ln(4/3) + ¼ln(2/3) + ¼ln 2, H_a = ln 2, H_b = −(¾ln¾ + ¼ln¼)
  const I = 0.5 * Math.log(4 / 3) + 0.25 * Math.log(2 / 3) + 0.25 * Math.log(2);
  const hb = -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25));
  assert.ok(Math.abs(normalizedMutualInformation([0, 0, 1, 1], [0, 0, 0, 1]) - I / ((Math.log(2) + hb) / 2)) < 1e-12);
});

test("each unit's latent: the latent it follows and the sign; −1 for a silent unit", () => {
  const rng = new Rng(4);
  const n = 500;
  const z = Float64Array.from({ length: n * 2 }, () => rng.uniform(-0.5, 0.5));
  const rep = new Float64Array(n * 3);
  for (let k = 0; k < n; k++) {
    rep[k * 3] = 2 * z[k * 2] + 0.1 * z[k * 2 + 1];
    rep[k * 3 + 1] = -z[k * 2 + 1];
  }
  assert.deepEqual(Array.from(unitLatents(sampleMatrix(rep, n, 3), sampleMatrix(z, n, 2))), [1, 2, -1]);
});

test('the whole lens on a small layer: finite statistics, the same twice from one seed', () => {
  const rng = new Rng(8);
  const nIn = 12, nOut = 10, n = 300;
  const layer = layerOf(Array.from({ length: nIn * nOut }, () => rng.normal()), nIn, nOut);
  const z = Float64Array.from({ length: n * 2 }, () => rng.uniform(-0.5, 0.5));
  const rep = Float64Array.from({ length: n * nOut }, (_, k) => Math.max(0, z[Math.floor(k / nOut) * 2 + (k % 2)] * ((k % nOut) - 4.5)));
  const a = lensStats(layer, sampleMatrix(rep, n, nOut), sampleMatrix(z, n, 2), 5, 6);
  const b = lensStats(layer, sampleMatrix(rep, n, nOut), sampleMatrix(z, n, 2), 5, 6);
  assert.deepEqual(a, b);
  for (const [k, v] of Object.entries(a)) assert.ok(Number.isFinite(v), `${k} = ${v}`);
  assert.ok(a.fraction_positive > 0.3 && a.fraction_positive < 0.7);
});
