import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportLayer, readLayerGraph } from '../../src/graph/index.js';
import { openModel } from '../../src/formats/index.js';
import { UserError } from '../../src/core/errors.js';
import { randomLayer } from '../stats/fixtures.js';

for (const format of ['gexf', 'graphml'] as const) {
  test(`a layer exported as ${format} and read back is the same layer, pruned slots and bias included`, async () => {
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
    const model = await openModel(file);
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

test('randomize writes its null model in the format --out names: .npy, .gexf, .graphml or a model folder', async () => {
  const { saveLayerSource } = await import('../../src/graph/index.js');
  const { parseNpy } = await import('../../src/model/index.js');
  const { readFileSync } = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'ws-save-'));
  const layer = { ...randomLayer(5, 9, 4, { zeros: 0.3 }), bias: null };
  const model = { layers: [layer] };
  for (const ext of ['.npy', '.gexf', '.graphml']) {
    const path = saveLayerSource(join(dir, `w${ext}`), model);
    const back = (await openModel(path)).records()[0];
    assert.deepEqual(back.shape, layer.shape, ext);
    assert.deepEqual(back.weights, layer.weights, ext);
  }
  // the .npy is a real NumPy file: magic, version 1.0, 64-byte aligned header, float32 payload
  const bytes = new Uint8Array(readFileSync(join(dir, 'w.npy')));
  assert.equal((10 + (bytes[8] | (bytes[9] << 8))) % 64, 0);
  assert.deepEqual(parseNpy(bytes).data, layer.weights);
  assert.match(saveLayerSource(join(dir, 'folder'), model), /model\.json$/);
  assert.throws(() => saveLayerSource(join(dir, 'two.npy'), { layers: [layer, { ...layer, name: 'b', shape: [4, 9] as [number, number] }] }), /holds one layer/);
});
