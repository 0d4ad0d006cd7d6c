/** The stats, percolate and export subcommands on a .npy weight matrix, run through commander. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../src/core/errors.js';
import { percolationBySign, layerStats } from '../../src/stats/index.js';
import type { LayerRecord } from '../../src/core/layer.js';
import { randomLayer } from './fixtures.js';
import { runInProcess } from '../cli/in-process.js';

/** A little-endian float32 C-order .npy file of the layer's weights. */
function writeNpy(path: string, layer: LayerRecord): void {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${layer.shape[0]}, ${layer.shape[1]}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const head = new Uint8Array(10 + header.length);
  head.set([0x93, ...Buffer.from('NUMPY'), 1, 0, header.length & 255, header.length >> 8]);
  head.set(Buffer.from(header, 'latin1'), 10);
  writeFileSync(path, Buffer.concat([head, new Uint8Array(layer.weights.buffer)]));
}

const cli = runInProcess;

const dir = mkdtempSync(join(tmpdir(), 'ws-stats-cli-'));
const layer = randomLayer(61, 30, 12, { zeros: 0.25 });
const npy = join(dir, 'w.npy');
writeNpy(npy, layer);

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('stats --json prints the same statistics as layerStats, with z-scores when asked', async () => {
  const json = JSON.parse(await cli(['stats', npy, '--json', '--null', 'A', '--samples', '3', '--seed', '5']));
  assert.equal(json.layers.length, 1);
  const got = json.layers[0];
  const expected = JSON.parse(JSON.stringify(layerStats({ ...layer, name: got.name })));
  assert.deepEqual(got.weights, expected.weights);
  assert.deepEqual(got.assortativity, expected.assortativity);
  assert.equal(got.zScores['nodf+'].samples.length, 3);
  assert.equal(got.zScores['nodf+'].observed, expected.nestedness.positive.nodf);
});

test('stats prints a readable table naming the layer', async () => {
  const text = await cli(['stats', npy]);
  const lines = text.trim().split('\n');
  assert.match(lines[0], /^layer\s+shape\s+edges/);
  assert.match(lines[1], /30×12/);
});

test('percolate --out writes the curves of all, + and − edges as CSV', async () => {
  const csv = join(dir, 'curve.csv');
  await cli(['percolate', npy, '--points', '5', '--out', csv]);
  const rows = readFileSync(csv, 'utf8').trim().split('\n');
  assert.equal(rows[0], 'layer,subgraph,fraction_removed,edges_kept,threshold,giant,giant_fraction,components');
  assert.equal(rows.length, 1 + 3 * 5);
  const expected = percolationBySign(layer, { points: 5 });
  const positive = rows.slice(1).filter((r) => r.split(',')[1] === 'positive').map((r) => Number(r.split(',')[5]));
  assert.deepEqual(positive, expected.positive.points.map((p) => p.giant));
});

test('export writes the requested formats into the folder', async () => {
  const out = join(dir, 'graphs');
  await cli(['export', npy, '--format', 'csv,graphml', '--out', out]);
  const files = readdirSync(out).sort();
  assert.equal(files.length, 3);
  assert.ok(files.some((f) => f.endsWith('.edges.csv')) && files.some((f) => f.endsWith('.graphml')));
  await assert.rejects(cli(['export', npy, '--format', 'xml', '--out', out]), /is not one of/);
});

test('an unknown layer or null model is a one-line user error', async () => {
  await assert.rejects(cli(['stats', npy, '--layer', 'nope']), (e: unknown) => e instanceof UserError && /no layer named/.test(e.message));
  await assert.rejects(cli(['stats', npy, '--null', 'nope']), (e: unknown) => e instanceof UserError && /unknown randomization/.test(e.message));
});
