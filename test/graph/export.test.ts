import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectedGraph } from 'graphology';
import { parse as parseGexf, write as writeGexf } from 'graphology-gexf';
import { parse as parseGraphml } from 'graphology-graphml';
import { exportLayer, safeFileName, formatFloat32, layerToGexf, layerToGraph, readLayerGraph, GRAPHOLOGY_EDGE_LIMIT } from '../../src/graph/index.js';
import { randomizeLayer } from '../../src/randomize/index.js';
import { Rng } from '../../src/core/rng.js';
import { unitStats } from '../../src/stats/index.js';
import { UserError } from '../../src/core/errors.js';
import type { LayerRecord } from '../../src/core/layer.js';
import { randomLayer } from '../stats/fixtures.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'ws-export-'));
}

function layer(): LayerRecord {
  return { ...randomLayer(41, 12, 9, { zeros: 0.3, bias: true }), name: 'encoder/fc1:0' };
}

function expectSameGraph(parsed: { order: number; size: number; forEachEdge: DirectedGraph['forEachEdge'] }, l: LayerRecord): void {
  const [nIn, nOut] = l.shape;
  assert.equal(parsed.order, nIn + nOut);
  assert.equal(parsed.size, l.weights.filter((x) => x !== 0).length);
  parsed.forEachEdge((_e, a, s, t) => {
    const i = Number(s.slice(3)), j = Number(t.slice(4));
    assert.ok(s.startsWith('in:') && t.startsWith('out:'));
    assert.equal(Math.fround(Number(a.weight)), l.weights[i * nOut + j]);
  });
}

test('makes layer names with / and : safe as file names', () => {
  assert.equal(safeFileName('encoder/fc1:0'), 'encoder_fc1_0');
  assert.equal(safeFileName('../x'), '_._x');
  assert.equal(safeFileName('dense_1'), 'dense_1');
});

test('prints float32 weights with at most 9 digits that read back exactly', () => {
  for (const x of [0.1, -1e-7, 3.4028234663852886e38, 1.1754943508222875e-38, 0.333333343267]) {
    const f = Math.fround(x);
    assert.equal(Math.fround(Number(formatFloat32(f))), f);
  }
  assert.equal(formatFloat32(Math.fround(0.1)), '0.1');
  assert.ok(formatFloat32(Math.fround(Math.PI)).replace(/[-.]/g, '').length <= 9);
});

test('GEXF re-parsed with graphology-gexf has the same nodes, edges and weights', () => {
  const dir = tempDir();
  const l = layer();
  const { files } = exportLayer(l, dir, { formats: ['gexf'] });
  assert.deepEqual(files, [join(dir, 'encoder_fc1_0.gexf')]);
  const g = parseGexf(DirectedGraph, readFileSync(files[0], 'utf8'));
  expectSameGraph(g, l);
  const u = unitStats(l);
  assert.equal(g.getNodeAttribute('out:3', 'k_plus'), u.out.kPlus[3]);
  assert.equal(g.getNodeAttribute('out:3', 'bias'), l.bias![3]);
  rmSync(dir, { recursive: true });
});

test('GraphML re-parsed with graphology-graphml has the same nodes, edges, weights and degrees', () => {
  const dir = tempDir();
  const l = layer();
  const { files } = exportLayer(l, dir, { formats: ['graphml'] });
  const g = parseGraphml(DirectedGraph, readFileSync(files[0], 'utf8'));
  expectSameGraph(g, l);
  const u = unitStats(l);
  for (let i = 0; i < 12; i++) {
    assert.equal(g.getNodeAttribute(`in:${i}`, 'k_minus'), u.in.kMinus[i]);
    assert.equal(g.getNodeAttribute(`in:${i}`, 'side'), 'in');
  }
  assert.equal(Math.fround(g.getNodeAttribute('out:0', 'bias')), l.bias![0]);
  rmSync(dir, { recursive: true });
});

test('CSV node table and edge list parse back to the layer, and no temp file is left', () => {
  const dir = tempDir();
  const l = layer();
  exportLayer(l, dir, { formats: ['csv', 'json'] });
  assert.deepEqual(readdirSync(dir).sort(), ['encoder_fc1_0.edges.csv', 'encoder_fc1_0.nodes.csv', 'encoder_fc1_0.stats.json']);
  const edges = readFileSync(join(dir, 'encoder_fc1_0.edges.csv'), 'utf8').trim().split('\n');
  assert.equal(edges[0], 'source,target,weight,sign');
  const rebuilt = new Float32Array(l.weights.length);
  for (const line of edges.slice(1)) {
    const [s, t, w, sign] = line.split(',');
    const x = Number(w);
    assert.equal(Number(sign), x > 0 ? 1 : -1);
    rebuilt[Number(s.slice(3)) * 9 + Number(t.slice(4))] = x;
  }
  assert.deepEqual(rebuilt, l.weights);
  const nodes = readFileSync(join(dir, 'encoder_fc1_0.nodes.csv'), 'utf8').trim().split('\n');
  assert.equal(nodes[0], 'unit,side,index,k_plus,k_minus,s_plus,s_minus');
  assert.equal(nodes.length, 1 + 12 + 9);
  const u = unitStats(l);
  for (const line of nodes.slice(1)) {
    const [unit, side, index, kp, km, sp, sm] = line.split(',');
    const s = u[side as 'in' | 'out'];
    assert.equal(unit, `${side}:${index}`);
    assert.equal(Number(kp), s.kPlus[Number(index)]);
    assert.equal(Number(km), s.kMinus[Number(index)]);
    assert.ok(Math.abs(Number(sp) - s.sPlus[Number(index)]) < 1e-9);
    assert.ok(Math.abs(Number(sm) - s.sMinus[Number(index)]) < 1e-9);
  }
  const stats = JSON.parse(readFileSync(join(dir, 'encoder_fc1_0.stats.json'), 'utf8'));
  assert.equal(stats.name, 'encoder/fc1:0');
  assert.equal(stats.weights.nEdges, edges.length - 1);
  rmSync(dir, { recursive: true });
});

test('refuses GEXF/GraphML above the graphology limit without allowLarge, writing nothing', () => {
  const dir = tempDir();
  const n = Math.ceil(Math.sqrt(GRAPHOLOGY_EDGE_LIMIT)) + 1;
  const big: LayerRecord = { name: 'big', weights: new Float32Array(n * n).fill(0.5), shape: [n, n], bias: null };
  for (const f of ['gexf', 'graphml'] as const) {
    assert.throws(() => exportLayer(big, dir, { formats: ['csv', f] }), (e: unknown) => e instanceof UserError && /allow-large/.test(e.message));
  }
  assert.deepEqual(readdirSync(dir), []);
  assert.throws(() => exportLayer(big, dir, { formats: ['xml' as never] }), UserError);
  rmSync(dir, { recursive: true });
  assert.ok(!existsSync(dir));
});

test('GEXF is version 1.2 with only GEXF\'s own <meta> children, 1.3 on request', () => {
  const l = layer();
  const text = layerToGexf(l);
  assert.match(text, /<gexf version="1\.2" xmlns="http:\/\/www\.gexf\.net\/1\.2draft"/);
  const meta = /<meta[^>]*>([\s\S]*?)<\/meta>/.exec(text)![1];
  const children = [...meta.matchAll(/<([A-Za-z_][\w.-]*)[\s>]/g)].map((m) => m[1]);
  assert.deepEqual(children.sort(), ['creator', 'description']);
  // The name travels on every node; the shape is the nodes present.
  const g = parseGexf(DirectedGraph, text);
  g.forEachNode((_k, a) => assert.equal(a.layer, l.name));
  assert.match(layerToGexf(l, { version: '1.3' }), /<gexf version="1\.3" xmlns="http:\/\/gexf\.net\/1\.3"/);
  expectSameGraph(parseGexf(DirectedGraph, layerToGexf(l, { version: '1.3' })), l);
});

test('GEXF is byte-reproducible: the same layer, or the same seed, gives the same bytes with stable edge ids', () => {
  const l = layer();
  const first = layerToGexf(l);
  layerToGraph(layer()); // another graph in between must not shift anything
  assert.equal(layerToGexf(l), first);
  assert.match(first, /<edge id="in:0-out:\d+" source="in:0" target="out:\d+"/);
  const nullA = randomizeLayer(l, 'curveball', new Rng(5));
  layerToGraph(l);
  const nullB = randomizeLayer(l, 'curveball', new Rng(5));
  assert.equal(layerToGexf(nullB), layerToGexf(nullA));
  assert.notEqual(layerToGexf(randomizeLayer(l, 'curveball', new Rng(6))), layerToGexf(nullA));
});

test('GEXF files of the earlier format (1.3, name and sizes as <meta> children) still import exactly', () => {
  const dir = tempDir();
  const l = layer();
  // What weightscope wrote before: graph attributes {name, nIn, nOut} → custom <meta> elements.
  const graph = layerToGraph(l);
  graph.forEachNode((key) => graph.setNodeAttribute(key, 'layer', 'stale-node-name'));
  graph.replaceAttributes({ name: l.name, nIn: l.shape[0], nOut: l.shape[1] } as never);
  const file = join(dir, 'old.gexf');
  writeFileSync(file, writeGexf(graph, { version: '1.3' }));
  assert.match(readFileSync(file, 'utf8'), /<nIn>12<\/nIn>/);
  const back = readLayerGraph(file);
  assert.equal(back.name, l.name, 'the graph attribute wins over the nodes');
  assert.deepEqual(back.shape, l.shape);
  assert.deepEqual(back.weights, l.weights);
  assert.deepEqual(back.bias, l.bias);
  rmSync(dir, { recursive: true });
});
