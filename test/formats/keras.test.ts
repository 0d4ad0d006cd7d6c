/**
 * Keras 3 `.keras` files written here from a weightscope MLP (zip of config.json + model.weights.h5,
 * the HDF5 written with h5wasm in Keras 3's layout layers/<name>/vars/<k>), read back, their
 * function checked on MNIST, written back; a MultiHeadAttention block's 3-D kernels read as 2-D.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, type DenseModel } from '../../src/core/index.js';
import { inventory, layerRecord, openModel } from '../../src/formats/index.js';
import { modelFile, writeKeras, type KerasVars } from './fixtures.js';
import { createEvaluator, selectBackend } from '../../src/model/index.js';
import { mnistPair, randomModel } from '../model/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'ws-keras-'));
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const mlp = randomModel(new Rng(8), [784, 16, 16, 2], { activation: 'relu', scale: 3 });

const mlpVars = (m: DenseModel): KerasVars =>
  Object.fromEntries(m.layers.map((l) => [l.name, [{ data: l.weights, shape: [...l.shape] }, { data: l.bias!, shape: [l.shape[1]] }]]));

before(async () => {
  await selectBackend();
});

test('a .keras MLP reads as its (in, out) Dense layers, predicts what the original predicts, and writes back', async () => {
  const path = join(dir, 'mlp.keras');
  await writeKeras(path, { ...mlpVars(mlp), ln: [{ data: new Float32Array(16).fill(1), shape: [16] }, { data: new Float32Array(16), shape: [16] }] },
    { dense_0: 'Dense', dense_1: 'Dense', ln: 'LayerNormalization', dense_2: 'Dense' });
  const loaded = { layers: (await openModel(path)).records() };
  assert.deepEqual(loaded.layers.map((l) => [l.name, l.shape]), [['dense_0', [784, 16]], ['dense_1', [16, 16]], ['dense_2', [16, 2]]]);
  const withActivations: DenseModel = { layers: loaded.layers.map((l, k) => ({ ...l, activation: mlp.layers[k].activation })) };
  const evaluator = createEvaluator(mnistPair('t10k', 2, 5, 300), 'pm1');
  assert.deepEqual(evaluator.predict(withActivations), evaluator.predict(mlp));
  const inv = inventory(await modelFile(path));
  assert.deepEqual(inv.skipped.map((s) => s.reason).sort(), ['bias', 'bias', 'bias', 'norm', 'norm']);
  // unchanged: the same bytes; changed: the new values, every other variable as before
  const model = await openModel(path);
  model.file!.write(join(dir, 'same.keras'), new Map());
  assert.deepEqual(readFileSync(join(dir, 'same.keras')), readFileSync(path));
  const layer1 = model.layers[1].load();
  const changed = { ...layer1, weights: layer1.weights.map((w) => -w) };
  model.write([changed], join(dir, 'changed.keras'));
  const back = (await openModel(join(dir, 'changed.keras'))).records();
  assert.deepEqual(back[1].weights, changed.weights);
  assert.deepEqual(back[0].weights, mlp.layers[0].weights);
  assert.deepEqual(back[2].bias, mlp.layers[2].bias);
});

test('MultiHeadAttention kernels (d, heads, head_dim) and (heads, head_dim, d) read as q, k, v, o layers [d, heads·head_dim] and [heads·head_dim, d]', async () => {
  const rng = new Rng(3);
  const [d, h, hd] = [8, 2, 4];
  const r = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  const path = join(dir, 'mha.keras');
  const q = r(d * h * hd);
  await writeKeras(path, {
    'mha/query': [{ data: q, shape: [d, h, hd] }, { data: r(h * hd), shape: [h, hd] }],
    'mha/key': [{ data: r(d * h * hd), shape: [d, h, hd] }, { data: r(h * hd), shape: [h, hd] }],
    'mha/value': [{ data: r(d * h * hd), shape: [d, h, hd] }, { data: r(h * hd), shape: [h, hd] }],
    'mha/attention_output': [{ data: r(h * hd * d), shape: [h, hd, d] }, { data: r(d), shape: [d] }],
  }, { mha: 'MultiHeadAttention' });
  const file = await modelFile(path);
  const inv = inventory(file);
  assert.deepEqual(inv.layers.map((l) => [l.name, l.kind, l.shape]), [
    ['mha/query', 'attention.q', [d, h * hd]], ['mha/key', 'attention.k', [d, h * hd]], ['mha/value', 'attention.v', [d, h * hd]], ['mha/attention_output', 'attention.o', [h * hd, d]],
  ]);
  // q[i, head, k] is the edge from input i to output unit head·hd + k
  const rec = layerRecord(file, inv.layers[0]);
  assert.equal(rec.weights[3 * (h * hd) + 1 * hd + 2], q[(3 * h + 1) * hd + 2]);
  assert.equal(rec.bias!.length, h * hd);
});

test('a .keras without model.weights.h5 is one clear line from the CLI', async () => {
  const path = join(dir, 'noweights.keras');
  await writeKeras(path, mlpVars(mlp), { dense_0: 'Dense' }, { withWeights: false });
  const r = spawnSync(process.execPath, [join(root, 'dist', 'src', 'cli', 'main.js'), 'layers', path], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /noweights\.keras: no model\.weights\.h5 in the archive \(a \.keras file without weights\)/);
  const ok = spawnSync(process.execPath, [join(root, 'dist', 'src', 'cli', 'main.js'), 'layers', join(dir, 'mlp.keras')], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /dense_1\s+dense\s+\[16, 16\]\s+in-out\s+F32\s+272/);
});
