/**
 * Every export format read back by the real clients (bench/python/export_crosscheck.py):
 * networkx read_gexf and read_graphml, igraph Graph.Read_GraphML, numpy.load, Python's csv and
 * json. Node and edge counts, every edge weight (as float32) and the layer's name and shape are
 * compared with the layer itself. Skipped with one line when Python lacks the modules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportLayer, saveLayerSource } from '../../src/graph/index.js';
import type { LayerRecord } from '../../src/core/layer.js';
import { randomLayer } from '../stats/fixtures.js';
import { PYTHON, pythonMissing } from '../python.js';

const SCRIPT = fileURLToPath(new URL('../../../bench/python/export_crosscheck.py', import.meta.url));
const missing = pythonMissing(['numpy', 'networkx', 'igraph'], 'export cross-check against networkx/igraph/numpy');

type EdgeList = [string, string, number][];
interface ClientGraph {
  nodes: number;
  edges: number;
  directed: boolean;
  edgeList: EdgeList;
  edgeIds?: string[];
  graph: Record<string, unknown>;
  nodeAttrs: Record<string, Record<string, unknown>>;
}

/** The weight matrix an edge list describes, with `in:<i>` → `out:<j>` ids. */
function matrixOf(edges: EdgeList, [nIn, nOut]: [number, number]): Float32Array {
  const m = new Float32Array(nIn * nOut);
  for (const [s, t, w] of edges) {
    const i = Number(/^in:(\d+)$/.exec(s)![1]), j = Number(/^out:(\d+)$/.exec(t)![1]);
    assert.ok(i < nIn && j < nOut, `${s} → ${t} inside the shape`);
    assert.equal(m[i * nOut + j], 0, `edge ${s} → ${t} once`);
    m[i * nOut + j] = w;
  }
  return m;
}

test('networkx, igraph and numpy read every export format: same counts, weights, name and shape', { skip: missing ?? false }, async (t) => {
  const layer: LayerRecord = { ...randomLayer(97, 14, 6, { zeros: 0.35, bias: true }), name: 'encoder/fc1:0 <&>' };
  const [nIn, nOut] = layer.shape;
  for (let i = 0; i < nIn; i++) layer.weights[i * nOut + 5] = 0; // an isolated output unit
  const nonZero = layer.weights.filter((x) => x !== 0).length;
  const dir = mkdtempSync(join(tmpdir(), 'ws-export-py-'));
  try {
    const files = exportLayer(layer, dir, { formats: ['csv', 'gexf', 'graphml', 'json'] }).files;
    const pick = (suffix: string): string => files.find((f) => f.endsWith(suffix))!;
    const npy = saveLayerSource(join(dir, 'w.npy'), { layers: [layer] });
    const input = JSON.stringify({
      gexf: pick('.gexf'),
      graphml: pick('.graphml'),
      npy,
      nodesCsv: pick('.nodes.csv'),
      edgesCsv: pick('.edges.csv'),
      statsJson: pick('.stats.json'),
    });
    const r = spawnSync(PYTHON, [SCRIPT], { input, encoding: 'utf8', maxBuffer: 1 << 26 });
    assert.equal(r.status, 0, r.stderr);
    const py = JSON.parse(r.stdout) as Record<string, ClientGraph> & {
      numpy_npy: { shape: number[]; dtype: string; data: number[] };
      csv_edges: { edges: number; edgeList: EdgeList };
      csv_nodes: { nodes: number };
      stats_json: { name: string; nEdges: number };
    };

    for (const client of ['networkx_gexf', 'networkx_graphml', 'igraph_graphml']) {
      await t.test(client, () => {
        const g = py[client];
        assert.equal(g.nodes, nIn + nOut, 'every unit is a node, isolated ones included');
        assert.equal(g.edges, nonZero, 'one edge per non-zero weight');
        assert.equal(g.directed, true);
        assert.deepEqual(matrixOf(g.edgeList, layer.shape), layer.weights);
        for (const key of ['in:0', 'out:0']) {
          assert.equal(g.nodeAttrs[key].layer, layer.name, `${key} carries the layer name`);
          assert.equal(g.nodeAttrs[key].side, key.slice(0, key.indexOf(':')));
        }
        assert.equal(Math.fround(Number(g.nodeAttrs['out:0'].bias)), layer.bias![0]);
      });
    }
    await t.test('GEXF edge ids are stable: in:<i>-out:<j>', () => {
      const ids = py.networkx_gexf.edgeIds!;
      const expected: string[] = [];
      layer.weights.forEach((x, k) => x !== 0 && expected.push(`in:${Math.floor(k / nOut)}-out:${k % nOut}`));
      assert.deepEqual(ids, expected.sort());
    });
    await t.test('GraphML graph attributes: name, nIn, nOut', () => {
      for (const client of ['networkx_graphml', 'igraph_graphml']) {
        const g = py[client].graph;
        assert.equal(g.name, layer.name, client);
        assert.equal(Number(g.nIn), nIn, client);
        assert.equal(Number(g.nOut), nOut, client);
      }
    });
    await t.test('numpy.load of the .npy', () => {
      assert.deepEqual(py.numpy_npy.shape, [nIn, nOut]);
      assert.equal(py.numpy_npy.dtype, 'float32');
      assert.deepEqual(Float32Array.from(py.numpy_npy.data), layer.weights);
    });
    await t.test('csv and json', () => {
      assert.equal(py.csv_edges.edges, nonZero);
      assert.deepEqual(matrixOf(py.csv_edges.edgeList, layer.shape), layer.weights);
      assert.equal(py.csv_nodes.nodes, nIn + nOut);
      assert.equal(py.stats_json.name, layer.name);
      assert.equal(py.stats_json.nEdges, nonZero);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
