/**
 * The fast signed Curveball kernel (bit sets, bit transposes, weights swapped in place) against a
 * plain transcription of its definition (src/randomize/curveball.ts module comment): one sign per
 * slot read from the weights, the three groups of differing slots listed in slot order, p drawn
 * ∝ C(a,p)·C(b,q)·C(c,s), each group's chosen subset by a partial Fisher–Yates whose consecutive
 * steps share one draw, blocks of 5 sweeps per side. Same seed → the same weights bit for bit,
 * so the optimised layouts change neither the random stream nor the null.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import { signedCurveballKernel } from '../../src/randomize/index.js';
import { gaussianLayer } from './helpers.js';

/** Indices 0 … n) with the first k a uniform k-subset, drawn as the kernel draws them. */
function referenceSubset(n: number, k: number, rng: Rng): number[] {
  const g = Array.from({ length: n }, (_, i) => i);
  // the steps, each with its range m and the position it fills
  const steps: { at: number; m: number; low: number }[] = [];
  if (k <= n - k) for (let i = 0; i < k; i++) steps.push({ at: i, m: n - i, low: i });
  else for (let i = n - 1; i >= k; i--) steps.push({ at: i, m: i + 1, low: 0 });
  for (let s = 0; s < steps.length;) {
    // consecutive steps share one uniform draw below the product of their ranges (≤ 2^31)
    let e = s + 1, range = steps[s].m;
    while (e < steps.length && range * steps[e].m <= 2 ** 31) range *= steps[e++].m;
    let x = rng.int(range);
    for (; s < e; s++) {
      const j = steps[s].low + (x % steps[s].m);
      x = Math.floor(x / steps[s].m);
      [g[steps[s].at], g[j]] = [g[j], g[steps[s].at]];
    }
  }
  return g;
}

function referenceCurveball(w: Float32Array, nIn: number, nOut: number, rng: Rng, trades: number): number {
  const lnFact = [0];
  for (let n = 1; n <= Math.max(nIn, nOut); n++) lnFact.push(lnFact[n - 1] + (n >= 2 ? Math.log(n) : 0));
  const lnC = (n: number, k: number): number => lnFact[n] - lnFact[k] - lnFact[n - k];
  let flips = 0;
  const trade = (rows: boolean): void => {
    const units = rows ? nIn : nOut, len = rows ? nOut : nIn;
    if (units < 2 || len < 1) return;
    const at = (u: number, x: number): number => (rows ? u * nOut + x : x * nOut + u);
    const r1 = rng.int(units);
    let r2 = rng.int(units - 1);
    if (r2 >= r1) r2++;
    const plusMinus: number[] = [], plusZero: number[] = [], minusZero: number[] = [];
    let p1 = 0, n1 = 0;
    for (let x = 0; x < len; x++) {
      const s1 = Math.sign(w[at(r1, x)]), s2 = Math.sign(w[at(r2, x)]);
      if (s1 === s2) continue;
      if (s1 * s2 === -1) plusMinus.push(x);
      else if (s1 + s2 === 1) plusZero.push(x);
      else minusZero.push(x);
      if (s1 === 1) p1++;
      if (s1 === -1) n1++;
    }
    const a = plusMinus.length, b = plusZero.length, c = minusZero.length;
    if (a + b + c === 0) return;
    const lo = Math.max(0, p1 - b, a - n1), hi = Math.min(a, p1, c + a - n1);
    let p = lo;
    if (hi > lo) {
      const logs = [];
      for (let q = lo; q <= hi; q++) logs.push(lnC(a, q) + lnC(b, p1 - q) + lnC(c, n1 - a + q));
      const max = Math.max(...logs);
      const terms = logs.map((v) => Math.exp(v - max));
      let u = rng.next() * terms.reduce((s, v) => s + v, 0);
      p = hi;
      for (let q = 0; q < terms.length; q++) {
        u -= terms[q];
        if (u < 0) { p = lo + q; break; }
      }
    }
    // unit 1's new state in each group: the chosen first ones get (+, +, −), the rest (−, 0, 0)
    const groups: [number[], number, number, number][] = [
      [plusMinus, p, 1, -1], [plusZero, p1 - p, 1, 0], [minusZero, n1 - (a - p), -1, 0],
    ];
    const order = groups.map(([g, k]) => referenceSubset(g.length, k, rng));
    groups.forEach(([g, k, first, rest], i) => {
      order[i].forEach((gi, pos) => {
        const x = g[gi];
        if (Math.sign(w[at(r1, x)]) !== (pos < k ? first : rest)) {
          const t = w[at(r1, x)];
          w[at(r1, x)] = w[at(r2, x)];
          w[at(r2, x)] = t;
          flips++;
        }
      });
    });
  };
  const rowBlock = 5 * Math.ceil(nIn / 2), colBlock = 5 * Math.ceil(nOut / 2);
  for (let t = 0, rows = true; t < trades; rows = !rows) {
    const m = Math.min(rows ? rowBlock : colBlock, trades - t);
    for (let i = 0; i < m; i++) trade(rows);
    t += m;
  }
  return flips;
}

const cases: [number, number, number, number][] = [
  // nIn, nOut, density, trades: widths below, at and above a 32-slot word, ragged and square
  [37, 53, 0.3, 600], [30, 9, 0.5, 300], [64, 64, 0.05, 400], [64, 64, 0.9, 400], [101, 7, 0.4, 500],
  [13, 200, 0.1, 300], [1, 5, 0.5, 10], [5, 1, 0.5, 10], [33, 32, 1, 300],
];
for (const [nIn, nOut, density, trades] of cases) {
  test(`Curveball kernel equals the plain reference bit for bit (${nIn}×${nOut}, density ${density})`, () => {
    const w = gaussianLayer(nIn, nOut, density, nIn * 1000 + nOut).weights;
    // an empty slot holding −0 travels like any other entry
    const empty = w.findIndex((x) => x === 0);
    if (empty >= 0) w[empty] = -0;
    const fast = w.slice(), slow = w.slice();
    const stats = signedCurveballKernel(fast, nIn, nOut, new Rng(5), trades);
    const flips = referenceCurveball(slow, nIn, nOut, new Rng(5), trades);
    assert.equal(stats.flips, flips);
    if (nIn > 1 && nOut > 1) assert.ok(flips > 0, 'nothing was exchanged');
    for (let k = 0; k < w.length; k++) assert.ok(Object.is(fast[k], slow[k]), `slot ${k}: ${fast[k]} vs ${slow[k]}`);
  });
}
