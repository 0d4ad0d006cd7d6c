import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core/index.js';
import {
  selectBackend, saveModel, loadModel, loadNpy, loadAnyModel, createEvaluator, layersToDenseModel, denseModelToLayers,
} from '../../src/model/index.js';
import { disagreements, mnistPair, randomModel } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'ws-model-files-'));
const model = randomModel(new Rng(42), [784, 16, 8, 2], { activation: 'tanh', scale: 3 });
model.layers[1].bias = null;

before(async () => {
  await selectBackend();
});

test('save then loadModel gives back every weight, bias, name and activation exactly', () => {
  const out = join(dir, 'roundtrip');
  const paths = saveModel(out, model);
  assert.equal(paths.modelJson, join(out, 'model.json'));
  for (const path of [out, paths.modelJson]) {
    const back = loadModel(path);
    assert.deepEqual(back, model);
  }
});

test('a saved model loads in tf.loadLayersModel and predicts what the evaluator predicts', async () => {
  const out = join(dir, 'for-tfjs');
  saveModel(out, model);
  const json = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
  const bin = readFileSync(join(out, 'weights.bin'));
  const loaded = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest[0].weights,
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length),
    }),
  );
  assert.deepEqual(loaded.layers.map((l) => l.name), ['dense_0', 'dense_1', 'dense_2']);
  const testSet = mnistPair('t10k', 0, 7, 500);
  const x = tf.tensor2d(Float32Array.from(testSet.pixels, (p) => (p / 255) * 2 - 1), [testSet.n, 784]);
  const probs = loaded.predict(x) as tf.Tensor2D;
  const tfPred = Uint8Array.from(await probs.argMax(1).data());
  tf.dispose([x, probs]);
  loaded.dispose();
  assert.ok(disagreements(tfPred, createEvaluator(testSet, 'pm1').predict(model)) <= 1);
});

test('loadModel reads several weight shards and functional model configs with pass-through layers', () => {
  const { modelJson, weightData } = denseModelToLayers(model);
  const bytes = new Uint8Array(weightData);
  const cut = 1001; // not a multiple of 4: shard boundaries need not align with floats
  const sub = join(dir, 'functional');
  mkdirSync(sub, { recursive: true });
  writeFileSync(join(sub, 'group1-shard1of2.bin'), bytes.subarray(0, cut));
  writeFileSync(join(sub, 'group1-shard2of2.bin'), bytes.subarray(cut));
  const topo = modelJson.modelTopology as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
  const layers = [
    { class_name: 'InputLayer', config: { name: 'input', batch_input_shape: [null, 28, 28] } },
    { class_name: 'Flatten', config: { name: 'flatten' } },
    ...topo.config.layers.flatMap((l) => [
      { class_name: 'Dense', config: { ...l.config, activation: 'linear', name: `net/${l.config.name}` } },
      { class_name: 'Activation', config: { name: `act_${l.config.name}`, activation: l.config.activation } },
    ]),
    { class_name: 'Dropout', config: { name: 'drop', rate: 0.5 } },
  ];
  const manifest = (modelJson.weightsManifest as { paths: string[]; weights: { name: string }[] }[])[0];
  const functional = {
    format: 'layers-model',
    modelTopology: { model_config: { class_name: 'Functional', config: { name: 'f', layers } } },
    weightsManifest: [{
      paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'],
      weights: manifest.weights.map((w) => ({ ...w, name: `model/net/${w.name}:0` })),
    }],
  };
  writeFileSync(join(sub, 'model.json'), JSON.stringify(functional));
  const back = loadModel(sub);
  assert.deepEqual(back.layers.map((l) => l.name), ['net/dense_0', 'net/dense_1', 'net/dense_2']);
  back.layers.forEach((l, k) => {
    assert.deepEqual(l.weights, model.layers[k].weights);
    assert.deepEqual(l.bias, model.layers[k].bias);
    assert.equal(l.activation, model.layers[k].activation);
  });
});

function writeModelDir(name: string, json: unknown, bin?: Uint8Array): string {
  const sub = join(dir, name);
  mkdirSync(sub, { recursive: true });
  writeFileSync(join(sub, 'model.json'), typeof json === 'string' ? json : JSON.stringify(json));
  if (bin) writeFileSync(join(sub, 'weights.bin'), bin);
  return sub;
}

test('loadModel explains what is wrong with a bad model file', () => {
  const { modelJson, weightData } = denseModelToLayers(model);
  const bytes = new Uint8Array(weightData);
  const cases: [string, string, RegExp][] = [
    ['missing', join(dir, 'does-not-exist'), /not found/],
    ['garbage', writeModelDir('garbage', '{"format": layers'), /is not JSON/],
    ['not-layers', writeModelDir('not-layers', { format: 'graph-model', modelTopology: { node: [] }, weightsManifest: [] }), /not a TensorFlow\.js layers model/],
    ['no-shard', writeModelDir('no-shard', modelJson), /weight shard 'weights\.bin' is missing/],
    ['short', writeModelDir('short', modelJson, bytes.subarray(0, bytes.length - 8)), /too short/],
  ];
  for (const [what, path, message] of cases) {
    assert.throws(() => loadModel(path), (err: Error) => err.name === 'UserError' && message.test(err.message), what);
  }
  const nan = bytes.slice();
  new Float32Array(nan.buffer)[5] = NaN;
  assert.throws(() => loadModel(writeModelDir('nan', modelJson, nan)), /dense_0.*weight \[0, 5\] is NaN/);
  const conv = JSON.parse(JSON.stringify(modelJson));
  conv.modelTopology.config.layers.splice(1, 0, { class_name: 'Conv2D', config: { name: 'conv_a' } });
  assert.throws(() => loadModel(writeModelDir('conv', conv, bytes)), /layer 'conv_a' is a Conv2D, not a Dense layer/);
  const elu = JSON.parse(JSON.stringify(modelJson));
  elu.modelTopology.config.layers[0].config.activation = 'elu';
  assert.throws(() => loadModel(writeModelDir('elu', elu, bytes)), /activation 'elu'/);
});

test('layersToDenseModel works on in-memory data (the viewer path)', () => {
  const { modelJson, weightData } = denseModelToLayers(model);
  const back = layersToDenseModel(JSON.parse(JSON.stringify(modelJson)), { 'weights.bin': weightData });
  assert.deepEqual(back, model);
});

/** A minimal .npy writer (format v1 or v2) for the tests. */
function npy(shape: number[], values: number[], options: { descr?: string; fortran?: boolean; version?: number } = {}): Uint8Array {
  const descr = options.descr ?? '<f4';
  let header = `{'descr': '${descr}', 'fortran_order': ${options.fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const version = options.version ?? 1;
  const pre = version === 1 ? 10 : 12;
  header += ' '.repeat(63 - ((pre + header.length) % 64)) + '\n';
  const body = descr.endsWith('8') ? new Float64Array(values) : new Float32Array(values);
  const out = new Uint8Array(pre + header.length + body.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(new TextEncoder().encode(header), pre);
  out.set(new Uint8Array(body.buffer), pre + header.length);
  return out;
}

test('loadNpy reads C- and Fortran-ordered float32/float64 matrices into row-major layers', () => {
  const rows = 3;
  const cols = 4;
  const rowMajor = Array.from({ length: rows * cols }, (_, k) => k * 0.5 - 2);
  const colMajor: number[] = [];
  for (let j = 0; j < cols; j++) for (let i = 0; i < rows; i++) colMajor.push(rowMajor[i * cols + j]);
  const files: [string, Uint8Array][] = [
    ['c_f4.npy', npy([rows, cols], rowMajor)],
    ['fortran_f8.npy', npy([rows, cols], colMajor, { descr: '<f8', fortran: true })],
    ['v2.npy', npy([rows, cols], rowMajor, { version: 2 })],
  ];
  for (const [file, bytes] of files) {
    const path = join(dir, file);
    writeFileSync(path, bytes);
    const m = loadAnyModel(path);
    assert.equal(m.layers.length, 1);
    const layer = m.layers[0];
    assert.equal(layer.name, file.replace('.npy', ''));
    assert.deepEqual(layer.shape, [rows, cols]);
    assert.deepEqual(Array.from(layer.weights), rowMajor, file);
    assert.equal(layer.bias, null);
    assert.equal(layer.activation, 'linear');
  }
});

test('loadNpy rejects files it cannot read as a 2-D float matrix', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['magic.npy', new TextEncoder().encode('not numpy at all'), /bad magic/],
    ['big-endian.npy', npy([2, 2], [1, 2, 3, 4], { descr: '>f4' }), /dtype '>f4' not supported/],
    ['int.npy', npy([2, 2], [1, 2, 3, 4], { descr: '<i4' }), /dtype '<i4' not supported/],
    ['vector.npy', npy([4], [1, 2, 3, 4]), /must be 2-D/],
    ['truncated.npy', npy([2, 2], [1, 2, 3, 4]).subarray(0, 130), /too short/],
    ['nan.npy', npy([2, 2], [1, NaN, 3, 4]), /is NaN/],
  ];
  for (const [file, bytes, message] of cases) {
    const path = join(dir, file);
    writeFileSync(path, bytes);
    assert.throws(() => loadNpy(path), (err: Error) => err.name === 'UserError' && message.test(err.message), file);
  }
  assert.throws(() => loadNpy(join(dir, 'absent.npy')), /no \.npy file/);
});
