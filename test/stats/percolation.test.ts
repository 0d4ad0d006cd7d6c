import { test } from 'node:test';
import assert from 'node:assert/strict';
import { percolation, percolationBySign, sortByMagnitude } from '../../src/stats/index.js';
import { UserError } from '../../src/core/errors.js';
import type { LayerRecord } from '../../src/core/layer.js';
import { layerFromRows, randomLayer } from './fixtures.js';

/** Components of the layer keeping only edges with |w| ≥ threshold (and the sign filter), by BFS. */
function bfsComponents(layer: LayerRecord, keep: (w: number) => boolean): { giant: number; components: number } {
  const [nIn, nOut] = layer.shape;
  const N = nIn + nOut;
  const adj: number[][] = Array.from({ length: N }, () => []);
  for (let i = 0; i < nIn; i++) {
    for (let j = 0; j < nOut; j++) {
      const x = layer.weights[i * nOut + j];
      if (x !== 0 && keep(x)) {
        adj[i].push(nIn + j);
        adj[nIn + j].push(i);
      }
    }
  }
  const seen = new Uint8Array(N);
  let giant = 0, components = 0;
  for (let s = 0; s < N; s++) {
    if (seen[s]) continue;
    components++;
    let size = 0;
    const queue = [s];
    seen[s] = 1;
    while (queue.length) {
      const v = queue.pop()!;
      size++;
      for (const u of adj[v]) if (!seen[u]) { seen[u] = 1; queue.push(u); }
    }
    giant = Math.max(giant, size);
  }
  return { giant, components };
}

test('sorts non-zero weights by |w| ascending, zeros left out', () => {
  const layer = randomLayer(31, 50, 40, { zeros: 0.3 });
  const order = sortByMagnitude(layer.weights);
  const expected = Array.from(layer.weights.keys()).filter((k) => layer.weights[k] !== 0)
    .sort((a, b) => Math.abs(layer.weights[a]) - Math.abs(layer.weights[b]) || a - b);
  assert.deepEqual([...order], expected);
});

test('curve endpoints: nothing removed gives one component when connected; all removed gives nIn+nOut', () => {
  const layer = randomLayer(32, 30, 20);
  const c = percolation(layer, 'all', { points: 11 });
  assert.equal(c.points.length, 11);
  assert.equal(c.points[0].fractionRemoved, 0);
  assert.equal(c.points[0].components, 1);
  assert.equal(c.points[0].giant, 50);
  assert.equal(c.points[0].giantFraction, 1);
  const last = c.points[10];
  assert.equal(last.fractionRemoved, 1);
  assert.equal(last.edgesKept, 0);
  assert.equal(last.components, 50);
  assert.equal(last.giant, 1);
  assert.equal(last.threshold, null);
});

test('giant shrinks and components grow monotonically as more is pruned', () => {
  const c = percolation(randomLayer(33, 60, 45, { zeros: 0.2 }), 'all', { full: true });
  const f = c.full!;
  for (let t = 1; t <= c.edges; t++) {
    assert.ok(f.giant[t] >= f.giant[t - 1]);
    assert.ok(f.components[t] <= f.components[t - 1] && f.components[t] >= f.components[t - 1] - 1);
    assert.ok(f.threshold[t] <= f.threshold[t - 1]);
  }
  for (let k = 1; k < c.points.length; k++) assert.ok(c.points[k].giant <= c.points[k - 1].giant);
});

test('equals a BFS recomputation at several pruning thresholds, for all, + and − edges', () => {
  const layer = randomLayer(34, 40, 30, { zeros: 0.1 });
  const curves = percolationBySign(layer, { points: 21 });
  for (const [sign, keepSign] of [['all', () => true], ['positive', (x: number) => x > 0], ['negative', (x: number) => x < 0]] as const) {
    const curve = curves[sign];
    for (const p of curve.points) {
      if (p.threshold === null) continue;
      // With continuous gaussian weights |w| values are distinct, so "keep |w| ≥ threshold" is exactly this point.
      const bfs = bfsComponents(layer, (x) => keepSign(x) && Math.abs(x) >= p.threshold!);
      assert.equal(p.giant, bfs.giant, `${sign} at ${p.fractionRemoved}`);
      assert.equal(p.components, bfs.components, `${sign} at ${p.fractionRemoved}`);
    }
  }
});

test('the positive curve is the whole curve of the layer with its negative weights zeroed', () => {
  const layer = randomLayer(35, 25, 25);
  const positiveOnly = { ...layer, weights: layer.weights.map((x) => (x > 0 ? x : 0)) };
  assert.deepEqual(percolation(layer, 'positive').points, percolation(positiveOnly, 'all').points);
});

test('the sampled points agree with the exact full curve', () => {
  const c = percolation(randomLayer(36, 20, 30, { zeros: 0.5 }), 'negative', { points: 7, full: true });
  for (const p of c.points) {
    assert.equal(p.giant, c.full!.giant[p.edgesKept]);
    assert.equal(p.components, c.full!.components[p.edgesKept]);
  }
});

test('a dense layer, connected long before its last edge: the full curve and both critical estimates equal BFS at every edge count', () => {
  // the sweep stops once every unit is connected; this checks that what it fills in and estimates is what every edge count gives
  const layer = randomLayer(37, 9, 12);
  const c = percolation(layer, 'all', { points: 5, full: true });
  const sorted = Array.from(sortByMagnitude(layer.weights)).reverse(); // largest |w| first: t edges kept = the first t
  const N = 9 + 12;
  let bestChi = -1, chiAt = 0, bestJump = -1, jumpAt = 0, before = 1;
  for (let t = 0; t <= sorted.length; t++) {
    const kept = new Set(sorted.slice(0, t));
    const bfs = bfsComponents({ ...layer, weights: layer.weights.map((x, k) => (kept.has(k) ? x : 0)) }, () => true);
    assert.equal(c.full!.giant[t], bfs.giant, `giant at ${t} edges`);
    assert.equal(c.full!.components[t], bfs.components, `components at ${t} edges`);
    if (t === 0) continue;
    assert.equal(c.full!.threshold[t], Math.fround(Math.abs(layer.weights[sorted[t - 1]])));
    // χ from its definition: Σ over the non-giant components of s², over N (component sizes by BFS)
    const sizes = componentSizes({ ...layer, weights: layer.weights.map((x, k) => (kept.has(k) ? x : 0)) });
    const chi = (sizes.reduce((a, x) => a + x * x, 0) - bfs.giant ** 2) / N;
    if (chi > bestChi) [bestChi, chiAt] = [chi, t];
    if (bfs.giant - before > bestJump) [bestJump, jumpAt] = [bfs.giant - before, t];
    before = bfs.giant;
  }
  assert.equal(c.critical.susceptibility.edgesKept, chiAt);
  assert.equal(c.critical.largestJump.edgesKept, jumpAt);
  assert.equal(c.critical.largestJump.jump, bestJump);
  assert.ok(c.full!.components.indexOf(1) < sorted.length / 2, 'connected well before the last edge (the case the early stop takes)');
});

/** Sizes of the connected components (edges: the non-zero weights), by a plain union-find. */
function componentSizes(layer: LayerRecord): number[] {
  const [nIn, nOut] = layer.shape;
  const N = nIn + nOut;
  const parent = Array.from({ length: N }, (_, v) => v);
  const root = (v: number): number => (parent[v] === v ? v : (parent[v] = root(parent[v])));
  for (let i = 0; i < nIn; i++) for (let j = 0; j < nOut; j++) if (layer.weights[i * nOut + j] !== 0) parent[root(i)] = root(nIn + j);
  const sizes = new Map<number, number>();
  for (let v = 0; v < N; v++) sizes.set(root(v), (sizes.get(root(v)) ?? 0) + 1);
  return [...sizes.values()];
}

test('critical-point estimates fall at the jump of a two-block layer', () => {
  // Two 3×3 blocks of large weights joined by one small weight: the giant halves when it goes.
  const rows = Array.from({ length: 6 }, (_, i) => Array.from({ length: 6 }, (_, j) => (Math.floor(i / 3) === Math.floor(j / 3) ? 1 + 0.01 * (i * 6 + j) : 0)));
  rows[2][3] = 0.001;
  const c = percolation(layerFromRows(rows), 'all');
  assert.equal(c.edges, 19);
  assert.equal(c.critical.largestJump.edgesKept, 19);
  assert.equal(c.critical.largestJump.jump, 6);
  assert.ok(Math.abs(c.critical.largestJump.threshold! - 0.001) < 1e-9);
});

test('handles a layer without edges and rejects fewer than 2 points', () => {
  const empty: LayerRecord = { name: 'z', weights: new Float32Array(6), shape: [2, 3], bias: null };
  const c = percolation(empty);
  assert.equal(c.edges, 0);
  assert.ok(c.points.every((p) => p.components === 5 && p.giant === 1));
  assert.throws(() => percolation(empty, 'all', { points: 1 }), UserError);
});
