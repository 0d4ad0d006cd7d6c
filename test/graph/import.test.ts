import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportLayer, readLayerGraph, loadLayerSource } from '../../src/graph/index.js';
import { UserError } from '../../src/core/errors.js';
import { randomLayer } from '../stats/fixtures.js';

for (const format of ['gexf', 'graphml'] as const) {
  test(`a layer exported as ${format} and read back is the same layer, pruned slots and bias included`, () => {
    const dir = mkdtempSync(join(tmpdir(), `ws-import-${format}-`));
    const layer = randomLayer(11, 23, 7, { zeros: 0.4, bias: true });
    // an isolated output unit: the file must still give the full shape
    for (let i = 0; i < 23; i++) layer.weights[i * 7 + 6] = 0;
    const [file] = exportLayer(layer, dir, { formats: [format] }).files;
    const back = readLayerGraph(file);
    assert.deepEqual(back.shape, layer.shape);
    assert.deepEqual(back.weights, layer.weights);
    assert.deepEqual(back.bias, layer.bias);
    assert.equal(back.name, layer.name);
    const model = loadLayerSource(file);
    assert.equal(model.layers.length, 1);
  });
}

test('graph files that are not weightscope layers are refused with one line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ws-import-bad-'));
  const foreign = join(dir, 'foreign.graphml');
  writeFileSync(foreign, '<?xml version="1.0"?><graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph edgedefault="directed"><node id="a"/><node id="b"/><edge source="a" target="b"/></graph></graphml>');
  assert.throws(() => readLayerGraph(foreign), (e: unknown) => e instanceof UserError && /node 'a' needs a side/.test((e as Error).message));
  const broken = join(dir, 'broken.gexf');
  writeFileSync(broken, '<gexf><graph><nodes><node id="x"');
  assert.throws(() => readLayerGraph(broken), UserError);
  assert.throws(() => readLayerGraph(join(dir, 'missing.gexf')), /graph file not found/);
});
