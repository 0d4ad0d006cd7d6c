import { test } from 'node:test';
import assert from 'node:assert/strict';
import { layerToGraph, graphToLayer, inKey, outKey, GRAPHOLOGY_EDGE_LIMIT } from '../../src/graph/index.js';
import { UserError } from '../../src/core/errors.js';
import { randomLayer } from '../stats/fixtures.js';
import type { LayerRecord } from '../../src/core/layer.js';

function assertSameLayer(a: LayerRecord, b: LayerRecord): void {
  assert.equal(b.name, a.name);
  assert.deepEqual(b.shape, a.shape);
  assert.deepEqual(b.weights, a.weights);
  assert.deepEqual(b.bias, a.bias);
  assert.equal(b.activation, a.activation);
}

const shapes: [number, number][] = [[1, 1], [3, 7], [784, 64]];
for (const [nIn, nOut] of shapes) {
  for (const bias of [false, true]) {
    test(`round-trips a ${nIn}×${nOut} layer ${bias ? 'with' : 'without'} bias exactly`, () => {
      const layer = { ...randomLayer(nIn * 31 + nOut, nIn, nOut, { bias, zeros: 0.1 }), activation: 'relu' as const };
      const graph = layerToGraph(layer);
      const nonZero = layer.weights.filter((x) => x !== 0).length;
      assert.equal(graph.order, nIn + nOut);
      assert.equal(graph.size, nonZero);
      assertSameLayer(layer, graphToLayer(graph));
    });
  }
}

test('keeps zeros of a pruned matrix as missing edges and restores them', () => {
  const layer = randomLayer(5, 40, 30, { zeros: 0.8 });
  const graph = layerToGraph(layer);
  for (let i = 0; i < 40; i++) {
    for (let j = 0; j < 30; j++) {
      const x = layer.weights[i * 30 + j];
      assert.equal(graph.hasDirectedEdge(inKey(i), outKey(j)), x !== 0);
    }
  }
  assertSameLayer(layer, graphToLayer(graph));
});

test('round-trips an all-zero layer (no edges, every unit kept)', () => {
  const layer: LayerRecord = { name: 'empty', weights: new Float32Array(12), shape: [3, 4], bias: null };
  const graph = layerToGraph(layer);
  assert.equal(graph.size, 0);
  assert.equal(graph.order, 7);
  assertSameLayer(layer, graphToLayer(graph));
});

test('puts side, index, bias on nodes and weight, sign on in→out edges', () => {
  const layer = randomLayer(9, 3, 7, { bias: true });
  const graph = layerToGraph(layer);
  for (let j = 0; j < 7; j++) {
    const a = graph.getNodeAttributes(outKey(j));
    assert.equal(a.side, 'out');
    assert.equal(a.index, j);
    assert.equal(a.bias, layer.bias![j]);
  }
  assert.equal(graph.getNodeAttributes(inKey(2)).side, 'in');
  assert.equal(graph.getNodeAttributes(inKey(2)).bias, undefined);
  graph.forEachEdge((_e, attr, s, t, sa, ta) => {
    assert.equal(sa.side, 'in');
    assert.equal(ta.side, 'out');
    assert.equal(attr.weight, layer.weights[sa.index * 7 + ta.index]);
    assert.equal(attr.sign, attr.weight > 0 ? 1 : -1);
    assert.ok(graph.isDirected(graph.edge(s, t)!));
  });
});

test('refuses a graph above the size limit unless allowLarge', () => {
  const n = Math.ceil(Math.sqrt(GRAPHOLOGY_EDGE_LIMIT)) + 1;
  const layer: LayerRecord = { name: 'big', weights: new Float32Array(n * n).fill(1), shape: [n, n], bias: null };
  assert.throws(() => layerToGraph(layer), (e: unknown) => e instanceof UserError && /allow-large/.test(e.message));
});
