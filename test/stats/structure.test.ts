import { test } from 'node:test';
import assert from 'node:assert/strict';
import { degreeAssortativity, nodf, zScore, zScores, SCALAR_STATISTICS } from '../../src/stats/index.js';
import { layerToGraph } from '../../src/graph/index.js';
import { Rng } from '../../src/core/rng.js';
import type { LayerRecord } from '../../src/core/layer.js';
import { layerFromRows, randomLayer, shuffleSlots } from './fixtures.js';

function pearson(x: number[], y: number[]): number {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n, my = y.reduce((a, b) => a + b, 0) / n;
  let c = 0, vx = 0, vy = 0;
  for (let k = 0; k < n; k++) {
    c += (x[k] - mx) * (y[k] - my);
    vx += (x[k] - mx) ** 2;
    vy += (y[k] - my) ** 2;
  }
  return c / Math.sqrt(vx * vy);
}

/** Assortativity computed from the graphology graph: degrees of each edge's two ends. */
function assortativityFromGraph(layer: LayerRecord, keep: (w: number) => boolean): number {
  const g = layerToGraph(layer);
  const deg = (node: string, dir: 'out' | 'in'): number => {
    let k = 0;
    const f = (_e: string, a: { weight: number }): void => { if (keep(a.weight)) k++; };
    if (dir === 'out') g.forEachOutEdge(node, f); else g.forEachInEdge(node, f);
    return k;
  };
  const x: number[] = [], y: number[] = [];
  g.forEachEdge((_e, a, s, t) => {
    if (!keep(a.weight)) return;
    x.push(deg(s, 'out'));
    y.push(deg(t, 'in'));
  });
  return pearson(x, y);
}

test('assortativity is −1 for hub-to-leaf stars and +1 for blocks of equal degree', () => {
  // in0 → out0..2 (a hub on the input side), in1..3 → out3 (a hub on the output side)
  const stars = layerFromRows([
    [1, 1, 1, 0],
    [0, 0, 0, 1],
    [0, 0, 0, 1],
    [0, 0, 0, 1],
  ]);
  assert.ok(Math.abs(degreeAssortativity(stars, 'all') + 1) < 1e-12);
  // K(2,2) plus a single edge: degrees (2,2) and (1,1)
  const blocks = layerFromRows([
    [1, 1, 0],
    [1, 1, 0],
    [0, 0, 1],
  ]);
  assert.ok(Math.abs(degreeAssortativity(blocks, 'all') - 1) < 1e-12);
});

test('assortativity matches a recomputation from the graphology graph for +, − and all', () => {
  const layer = randomLayer(21, 40, 25, { zeros: 0.5 });
  assert.ok(Math.abs(degreeAssortativity(layer, 'positive') - assortativityFromGraph(layer, (w) => w > 0)) < 1e-10);
  assert.ok(Math.abs(degreeAssortativity(layer, 'negative') - assortativityFromGraph(layer, (w) => w < 0)) < 1e-10);
  assert.ok(Math.abs(degreeAssortativity(layer, 'all') - assortativityFromGraph(layer, (w) => w !== 0)) < 1e-10);
});

test('assortativity is NaN for a dense layer where every unit has the same degree', () => {
  assert.ok(Number.isNaN(degreeAssortativity(randomLayer(1, 5, 6), 'all')));
});

test('NODF of a perfectly nested (staircase) matrix is 100', () => {
  const n = 12;
  const rows = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (j < n - i ? 1 : 0)));
  const r = nodf(layerFromRows(rows), 'positive');
  assert.ok(Math.abs(r.nodf - 100) < 1e-9);
  assert.ok(Math.abs(r.rows - 100) < 1e-9 && Math.abs(r.columns - 100) < 1e-9);
});

test('NODF of a checkerboard is 0', () => {
  const rows = Array.from({ length: 10 }, (_, i) => Array.from({ length: 8 }, (_, j) => ((i + j) % 2 ? 1 : 0)));
  assert.equal(nodf(layerFromRows(rows), 'positive').nodf, 0);
});

test('NODF of a small matrix worked by hand (rows 66.7, columns 83.3, total 77.8)', () => {
  const r = nodf(layerFromRows([
    [1, 1, 1, 1],
    [1, 1, 0, 0],
    [1, 0, 1, 0],
  ]));
  assert.ok(Math.abs(r.rows - 200 / 3) < 1e-9);
  assert.ok(Math.abs(r.columns - 500 / 6) < 1e-9);
  assert.ok(Math.abs(r.nodf - 700 / 9) < 1e-9);
});

/** NODF straight from the definition, no bitsets. */
function naiveNodf(m: number[][]): number {
  const pairSum = (vecs: number[][]): number => {
    let s = 0;
    for (let a = 0; a < vecs.length; a++) {
      for (let b = a + 1; b < vecs.length; b++) {
        const fa = vecs[a].reduce((x, y) => x + y, 0), fb = vecs[b].reduce((x, y) => x + y, 0);
        if (fa === fb || Math.min(fa, fb) === 0) continue;
        let o = 0;
        for (let k = 0; k < vecs[a].length; k++) o += vecs[a][k] & vecs[b][k];
        s += (100 * o) / Math.min(fa, fb);
      }
    }
    return s;
  };
  const cols = m[0].map((_, j) => m.map((r) => r[j]));
  return (pairSum(m) + pairSum(cols)) / ((m.length * (m.length - 1)) / 2 + (cols.length * (cols.length - 1)) / 2);
}

test('bitset NODF equals the definition on random positive and negative incidences (odd sizes)', () => {
  const layer = randomLayer(22, 37, 70, { zeros: 0.3 });
  for (const sign of ['positive', 'negative'] as const) {
    const m = Array.from({ length: 37 }, (_, i) =>
      Array.from({ length: 70 }, (_, j) => {
        const x = layer.weights[i * 70 + j];
        return (sign === 'positive' ? x > 0 : x < 0) ? 1 : 0;
      }),
    );
    assert.ok(Math.abs(nodf(layer, sign).nodf - naiveNodf(m)) < 1e-9);
  }
});

test('z-score is reproducible, consistent with its samples, and large for a nested layer', () => {
  const n = 16;
  const nested = layerFromRows(Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (j < n - i ? 1 : -1))));
  const stat = SCALAR_STATISTICS['nodf+'];
  const a = zScore(nested, stat, shuffleSlots, { samples: 30, rng: new Rng(7) });
  const b = zScore(nested, stat, shuffleSlots, { samples: 30, rng: new Rng(7) });
  assert.deepEqual(a, b);
  assert.equal(a.samples.length, 30);
  assert.equal(a.observed, 100);
  const mean = a.samples.reduce((x, y) => x + y, 0) / 30;
  assert.ok(Math.abs(a.mean - mean) < 1e-9);
  assert.ok(Math.abs(a.z - (a.observed - a.mean) / a.sd) < 1e-9);
  assert.ok(a.z > 5, `nested layer should score far above shuffles, z = ${a.z}`);
});

test('scoring statistics together gives the same z-scores as one at a time', () => {
  const layer = randomLayer(23, 20, 15, { zeros: 0.2 });
  const both = zScores(layer, { p: SCALAR_STATISTICS['nodf+'], a: SCALAR_STATISTICS.assortativity }, shuffleSlots, { samples: 5, rng: new Rng(3) });
  const p = zScore(layer, SCALAR_STATISTICS['nodf+'], shuffleSlots, { samples: 5, rng: new Rng(3) });
  assert.deepEqual(both.p, p);
});

test('z is NaN when the null model has no spread', () => {
  const layer = randomLayer(24, 6, 6, { zeros: 0.3 });
  const r = zScore(layer, SCALAR_STATISTICS['nodf-'], (l) => l, { samples: 3, rng: new Rng(1) });
  assert.equal(r.sd, 0);
  assert.ok(Number.isNaN(r.z));
});

test('z is NaN when every null sample is the same number, even where their float mean is not that number', () => {
  // 20 × 0.1 sums to 2.0000000000000004: a naive sd is ~1e-17 and z = ±√(19/20) whatever the observation
  assert.notEqual(Array(20).fill(0.1).reduce((a: number, b: number) => a + b, 0) / 20, 0.1);
  const layer = randomLayer(26, 6, 6);
  const r = zScore(layer, (l) => (l === layer ? 0.3 : 0.1), (l) => ({ ...l }), { samples: 20, rng: new Rng(1) });
  assert.equal(r.sd, 0);
  assert.ok(Number.isNaN(r.z));
});

test('layerZScores under a sign-preserving null: every sample\'s NODF and assortativities are those the samples have (the layer\'s own)', async () => {
  const { layerZScores } = await import('../../src/stats/index.js');
  const { randomizeLayer } = await import('../../src/randomize/index.js');
  const layer = randomLayer(27, 30, 40, { zeros: 0.2 });
  const samples: LayerRecord[] = [];
  const z = layerZScores(layer, { name: 'B', sample: (l, r) => { const x = randomizeLayer(l, 'B', r); samples.push(x); return x; } }, { seed: 3, samples: 4 });
  assert.equal(samples.length, 4);
  assert.ok(samples.every((x) => x.weights.some((v, k) => v !== layer.weights[k])), 'the weights moved');
  for (const [name, f] of Object.entries(SCALAR_STATISTICS)) {
    assert.deepEqual(z[name]!.samples, samples.map(f), name);
    assert.ok(Number.isNaN(z[name]!.z), `${name}: no spread, no z`);
  }
});

test('the one-pass assortativity of layerStats equals the per-sign computation', async () => {
  const { assortativityFromDegrees, unitStats } = await import('../../src/stats/index.js');
  const layer = randomLayer(25, 33, 47, { zeros: 0.4 });
  const fast = assortativityFromDegrees(layer, unitStats(layer));
  for (const sign of ['positive', 'negative', 'all'] as const) assert.ok(Math.abs(fast[sign] - degreeAssortativity(layer, sign)) < 1e-12);
  assert.ok(Number.isNaN(assortativityFromDegrees(randomLayer(2, 4, 4), unitStats(randomLayer(2, 4, 4))).all));
});
