/**
 * Model-file formats on real files on disk: safetensors (single and sharded) and npz, read into
 * layer records with the orientation checked on a model whose function is known (the evaluator's
 * predictions on real MNIST), written back byte for byte, and corrupt input refused in one line.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { Rng, type DenseModel, type LayerRecord } from '../../src/core/index.js';
import {
  decodeValues, encodeValues, encodeSafetensors, openModel, parseSafetensorsHeader, inventory, layerRecord,
  replacementsFor, SHARD_INDEX, type TensorDType,
} from '../../src/formats/index.js';
import { modelFile } from './fixtures.js';
import { createEvaluator, selectBackend } from '../../src/model/index.js';
import { mnistPair, randomModel } from '../model/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'ws-formats-'));

/** PyTorch's layout of a tfjs-layout record: (out, in). */
function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = w[i * cols + j];
  return out;
}

/** The model as a PyTorch state dict would store it: `<name>.weight` (out, in), `<name>.bias`. */
function asTorchTensors(model: DenseModel, dtype: TensorDType = 'F32') {
  return model.layers.flatMap((l) => [
    { name: `${l.name}.weight`, dtype, shape: [l.shape[1], l.shape[0]], values: transpose(l.weights, l.shape[0], l.shape[1]) },
    ...(l.bias ? [{ name: `${l.name}.bias`, dtype, shape: [l.shape[1]], values: l.bias }] : []),
  ]);
}

// A square hidden layer: reading it the wrong way round keeps every shape and changes the function.
const mlp = randomModel(new Rng(7), [784, 16, 16, 2], { activation: 'tanh', scale: 3 });

before(async () => {
  await selectBackend();
});

test('F16 and BF16 encode to the IEEE / bfloat16 bits worked out by hand, and every half decodes and re-encodes to itself', () => {
  const half = (x: number): number => new DataView(encodeValues('F16', [x]).buffer).getUint16(0, true);
  const bf = (x: number): number => new DataView(encodeValues('BF16', [x]).buffer).getUint16(0, true);
  assert.equal(half(1), 0x3c00);
  assert.equal(half(-2), 0xc000);
  assert.equal(half(65504), 0x7bff);
  assert.equal(half(2 ** -24), 0x0001); // smallest subnormal
  assert.equal(half(0.1), 0x2e66);
  assert.equal(half(70000), 0x7c00); // overflow → Infinity
  assert.equal(bf(1), 0x3f80);
  assert.equal(bf(1 + 2 ** -8), 0x3f80); // halfway: to even
  assert.equal(bf(1 + 3 * 2 ** -8), 0x3f82); // halfway: to even (up)
  assert.equal(bf(-0.5), 0xbf00);
  const all = new Uint8Array(65536 * 2);
  const view = new DataView(all.buffer);
  for (let h = 0; h < 65536; h++) view.setUint16(2 * h, h, true);
  for (const dtype of ['F16', 'BF16'] as const) {
    const back = new DataView(encodeValues(dtype, decodeValues(dtype, all)).buffer);
    for (let h = 0; h < 65536; h++) {
      const isNaN = dtype === 'F16' ? (h & 0x7c00) === 0x7c00 && h & 0x3ff : (h & 0x7f80) === 0x7f80 && h & 0x7f;
      if (!isNaN) assert.equal(back.getUint16(2 * h, true), h, `${dtype} bits ${h.toString(16)}`);
    }
  }
});

test('a PyTorch-layout safetensors MLP reads as (in, out) layers that predict exactly what the original predicts', async () => {
  const path = join(dir, 'mlp.safetensors');
  writeFileSync(path, encodeSafetensors(asTorchTensors(mlp)));
  const loaded = { layers: (await openModel(path)).records() };
  assert.deepEqual(loaded.layers.map((l) => [l.name, l.shape]), [['dense_0', [784, 16]], ['dense_1', [16, 16]], ['dense_2', [16, 2]]]);
  loaded.layers.forEach((l, k) => {
    assert.deepEqual(l.weights, mlp.layers[k].weights);
    assert.deepEqual(l.bias, mlp.layers[k].bias);
  });
  // The file has no activations: give the loaded layers the original's, then compare the function.
  const withActivations: DenseModel = { layers: loaded.layers.map((l, k) => ({ ...l, activation: mlp.layers[k].activation })) };
  const evaluator = createEvaluator(mnistPair('t10k', 3, 8, 400), 'pm1');
  assert.deepEqual(evaluator.predict(withActivations), evaluator.predict(mlp));
  // …and the wrong orientation does change the function (the check above can fail).
  const sq = withActivations.layers[1];
  const flipped: DenseModel = { layers: withActivations.layers.map((l) => (l === sq ? { ...l, weights: transpose(l.weights, 16, 16) } : l)) };
  assert.notDeepEqual(evaluator.predict(flipped), evaluator.predict(mlp));
});

test('F16, BF16 and F64 safetensors read to the values they encode and write back byte for byte', async () => {
  for (const dtype of ['F16', 'BF16', 'F64'] as const) {
    const path = join(dir, `mlp-${dtype}.safetensors`);
    const bytes = encodeSafetensors(asTorchTensors(mlp, dtype), { format: 'pt' });
    writeFileSync(path, bytes);
    const file = await modelFile(path);
    const t = file.tensors.find((x) => x.name === 'dense_1.weight')!;
    assert.equal(t.dtype, dtype);
    const expected = transpose(mlp.layers[1].weights, 16, 16);
    const tolerance = dtype === 'F64' ? 0 : dtype === 'F16' ? 2 ** -11 : 2 ** -8;
    t.values().forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= tolerance * Math.abs(expected[i]) + 1e-7, `${dtype} [${i}]`));
    // nothing replaced, and every tensor replaced by its own values: both the same bytes
    file.write(join(dir, `same-${dtype}.safetensors`), new Map());
    assert.deepEqual(new Uint8Array(readFileSync(join(dir, `same-${dtype}.safetensors`))), bytes);
    const own = new Map(file.tensors.map((x) => [x.name, x.values()]));
    file.write(join(dir, `own-${dtype}.safetensors`), own);
    assert.deepEqual(new Uint8Array(readFileSync(join(dir, `own-${dtype}.safetensors`))), bytes);
  }
});

test('a changed layer is written back in the file\'s orientation and dtype; every other tensor keeps its bytes', async () => {
  const path = join(dir, 'mlp-bf16.safetensors');
  writeFileSync(path, encodeSafetensors(asTorchTensors(mlp, 'BF16')));
  const model = await openModel(path);
  const layer1 = model.layers[1].load();
  const changed: LayerRecord = { ...layer1, weights: layer1.weights.map((w, idx) => (Math.floor(idx / 16) === 3 ? -w : w)) }; // input unit 3
  const out = join(dir, 'changed.safetensors');
  model.write([changed], out);
  const back = (await openModel(out)).records();
  assert.deepEqual(back[1].weights, changed.weights); // bf16 values negated stay exact
  const [a, b] = [await modelFile(path), await modelFile(out)];
  for (const name of ['dense_0.weight', 'dense_0.bias', 'dense_1.bias', 'dense_2.weight']) {
    assert.deepEqual(b.tensors.find((t) => t.name === name)!.values(), a.tensors.find((t) => t.name === name)!.values(), name);
  }
  // input 3 of layer dense_1 is column 3 of the (out, in) tensor
  const raw = b.tensors.find((t) => t.name === 'dense_1.weight')!.values();
  const orig = a.tensors.find((t) => t.name === 'dense_1.weight')!.values();
  for (let o = 0; o < 16; o++) for (let i = 0; i < 16; i++) assert.equal(raw[o * 16 + i], i === 3 ? -orig[o * 16 + i] : orig[o * 16 + i]);
});

test('a folder of shards with model.safetensors.index.json reads as one model and writes back byte for byte', async () => {
  const shardDir = join(dir, 'sharded');
  mkdirSync(shardDir, { recursive: true });
  const tensors = asTorchTensors(mlp);
  const parts = [tensors.slice(0, 3), tensors.slice(3)];
  const names = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
  const weightMap: Record<string, string> = {};
  parts.forEach((p, k) => {
    writeFileSync(join(shardDir, names[k]), encodeSafetensors(p));
    for (const t of p) weightMap[t.name] = names[k];
  });
  writeFileSync(join(shardDir, SHARD_INDEX), JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }, null, 2));
  const loaded = { layers: (await openModel(shardDir)).records() };
  assert.deepEqual(loaded.layers.map((l) => l.name), ['dense_0', 'dense_1', 'dense_2']);
  assert.deepEqual(loaded.layers[2].weights, mlp.layers[2].weights);
  const out = join(dir, 'sharded-copy');
  (await modelFile(shardDir)).write(out, new Map());
  assert.deepEqual(readdirSync(out).sort(), [...names, SHARD_INDEX].sort());
  for (const f of [...names, SHARD_INDEX]) assert.deepEqual(readFileSync(join(out, f)), readFileSync(join(shardDir, f)), f);
  // a shard the index names but that is missing
  const broken = join(dir, 'sharded-broken');
  mkdirSync(broken);
  writeFileSync(join(broken, SHARD_INDEX), JSON.stringify({ weight_map: weightMap }));
  writeFileSync(join(broken, names[0]), readFileSync(join(shardDir, names[0])));
  await assert.rejects(openModel(broken), (e: Error) => e.name === 'UserError' && /shard 'model-00002-of-00002.safetensors' is missing/.test(e.message));
});

/** A safetensors header followed by `data`, written as given (for corrupt files). */
function rawSafetensors(header: unknown, data: Uint8Array, lengthOverride?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lengthOverride ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

test('corrupt safetensors files are refused with a UserError naming the problem', async () => {
  const t = (offsets: number[], dtype = 'F32', shape = [2]) => ({ dtype, shape, data_offsets: offsets });
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty', new Uint8Array(3), /truncated: 3 bytes/],
    ['truncated header', rawSafetensors({ a: t([0, 8]) }, new Uint8Array(8)).subarray(0, 20), /truncated: header says/],
    ['truncated data', rawSafetensors({ a: t([0, 8]) }, new Uint8Array(8)).subarray(0, 8 + 44 + 4), /ends at byte 8 of the data but the data has 4 bytes|truncated/],
    ['absurd length', rawSafetensors({}, new Uint8Array(0), 1n << 60n), /header length \d+ is absurd/],
    ['overlap', rawSafetensors({ a: t([0, 8]), b: t([4, 12]) }, new Uint8Array(12)), /tensor 'b' overlaps/],
    ['gap', rawSafetensors({ a: t([0, 8]), b: t([12, 20]) }, new Uint8Array(20)), /gap of 4 bytes before tensor 'b'/],
    ['trailing', rawSafetensors({ a: t([0, 8]) }, new Uint8Array(12)), /4 bytes of trailing data/],
    ['unknown dtype', rawSafetensors({ a: t([0, 8], 'F9') }, new Uint8Array(8)), /tensor 'a': unknown dtype 'F9'/],
    ['shape mismatch', rawSafetensors({ a: t([0, 8], 'F32', [3]) }, new Uint8Array(8)), /needs 12 bytes but data_offsets give 8/],
    ['not json', rawSafetensors('{"a": ', new Uint8Array(0)), /header is not UTF-8 JSON/],
    ['not an object', rawSafetensors('[1, 2]', new Uint8Array(0)), /header is not a JSON object/],
  ];
  for (const [what, bytes, message] of cases) {
    const path = join(dir, `bad-${what.replace(/ /g, '-')}.safetensors`);
    writeFileSync(path, bytes);
    await assert.rejects(openModel(path), (e: Error) => e.name === 'UserError' && message.test(e.message) && e.message.startsWith(path), what);
  }
});

test('fuzz: seeded truncations and byte flips of a safetensors file give a UserError or a file whose tensors lie inside it', () => {
  const good = encodeSafetensors(asTorchTensors(randomModel(new Rng(3), [5, 4, 3], {}), 'F16'), { a: 'b' });
  const rng = new Rng(2024);
  let refused = 0;
  let accepted = 0;
  for (let trial = 0; trial < 3000; trial++) {
    let bytes = good.slice();
    const kind = trial % 3;
    if (kind === 0) bytes = bytes.subarray(0, rng.int(bytes.length));
    else {
      const flips = 1 + rng.int(kind === 1 ? 1 : 8);
      // bias the flips towards the length and the header, where parsing decisions are made
      for (let f = 0; f < flips; f++) bytes[rng.int(Math.min(bytes.length, rng.uniform(0, 1) < 0.7 ? 200 : bytes.length))] ^= 1 << rng.int(8);
    }
    try {
      const layout = parseSafetensorsHeader(bytes, bytes.length);
      accepted++;
      for (const e of layout.entries) {
        assert.ok(e.start >= layout.headerBytes && e.end <= bytes.length && e.start <= e.end, 'tensor inside the file');
      }
    } catch (err) {
      assert.equal((err as Error).name, 'UserError', `trial ${trial}: ${(err as Error).stack}`);
      refused++;
    }
  }
  assert.ok(refused > 1000 && accepted > 50, `refused ${refused}, accepted ${accepted}`);
});

test('npz archives (stored and deflated, C and Fortran order) read into (in, out) layers and write back', async () => {
  const npy = (shape: number[], values: ArrayLike<number>, fortran = false): Uint8Array => {
    let header = `{'descr': '<f4', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
    header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
    const out = new Uint8Array(10 + header.length + values.length * 4);
    out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
    for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
    new Float32Array(out.buffer, 10 + header.length).set(values);
    return out;
  };
  const [l0, l1] = mlp.layers;
  const fortran1 = transpose(l1.weights, 16, 16); // column-major of a [16, 16] array = the transpose's row-major
  for (const level of [0, 6] as const) {
    const path = join(dir, `mlp-${level}.npz`);
    writeFileSync(path, zipSync({
      'dense_0/kernel.npy': [npy([784, 16], l0.weights), { level }],
      'dense_0/bias.npy': [npy([16], l0.bias!), { level }],
      'dense_1/kernel.npy': [npy([16, 16], fortran1, true), { level }],
    }));
    const model = await openModel(path);
    const layers = model.records();
    assert.deepEqual(layers.map((l) => [l.name, l.shape, l.bias?.length ?? 0]), [['dense_0', [784, 16], 16], ['dense_1', [16, 16], 0]]);
    assert.deepEqual(layers[0].weights, l0.weights);
    assert.deepEqual(layers[1].weights, l1.weights);
    model.file!.write(join(dir, 'copy.npz'), new Map());
    assert.deepEqual(readFileSync(join(dir, 'copy.npz')), readFileSync(path));
    const changed = { ...layers[1], weights: layers[1].weights.map((w) => 2 * w) };
    model.write([changed], join(dir, 'changed.npz'));
    const back = (await openModel(join(dir, 'changed.npz'))).records();
    assert.deepEqual(back[1].weights, changed.weights);
    assert.deepEqual(back[0].weights, l0.weights);
  }
});

test('inventory: Hugging Face names give kinds, fused attention splits into q, k, v, norms are skipped, biases attached', async () => {
  const rng = new Rng(11);
  const d = 6;
  const rand = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  const tensors = [
    { name: 'embeddings.word_embeddings.weight', shape: [50, d] },
    { name: 'embeddings.LayerNorm.weight', shape: [d] },
    { name: 'layer.0.attention.in_proj_weight', shape: [3 * d, d] },
    { name: 'layer.0.attention.in_proj_bias', shape: [3 * d] },
    { name: 'layer.0.attention.q_lin.weight', shape: [d, d] },
    { name: 'layer.0.attention.out_lin.weight', shape: [d, d] },
    { name: 'layer.0.ffn.lin1.weight', shape: [4 * d, d] },
    { name: 'layer.0.ffn.lin1.bias', shape: [4 * d] },
    { name: 'layer.0.ffn.lin2.weight', shape: [d, 4 * d] },
    { name: 'layer.0.output_layer_norm.bias', shape: [d] },
    { name: 'classifier.weight', shape: [2, d] },
  ].map((t) => ({ ...t, dtype: 'F32' as const, values: rand(t.shape.reduce((a, b) => a * b, 1)) }));
  const path = join(dir, 'hf.safetensors');
  writeFileSync(path, encodeSafetensors(tensors));
  const file = await modelFile(path);
  const inv = inventory(file);
  assert.deepEqual(inv.layers.map((l) => [l.name, l.kind, l.shape, l.orientation]), [
    ['embeddings.word_embeddings', 'embedding', [50, d], 'in-out'],
    ['layer.0.attention.in_proj.q', 'attention.q', [d, d], 'out-in'],
    ['layer.0.attention.in_proj.k', 'attention.k', [d, d], 'out-in'],
    ['layer.0.attention.in_proj.v', 'attention.v', [d, d], 'out-in'],
    ['layer.0.attention.q_lin', 'attention.q', [d, d], 'out-in'],
    ['layer.0.attention.out_lin', 'attention.o', [d, d], 'out-in'],
    ['layer.0.ffn.lin1', 'ffn.in', [d, 4 * d], 'out-in'],
    ['layer.0.ffn.lin2', 'ffn.out', [4 * d, d], 'out-in'],
    ['classifier', 'dense', [d, 2], 'out-in'],
  ]);
  assert.deepEqual(inv.skipped.map((s) => [s.name, s.reason]), [
    ['embeddings.LayerNorm.weight', 'norm'], ['layer.0.attention.in_proj_bias', 'bias'], ['layer.0.ffn.lin1.bias', 'bias'], ['layer.0.output_layer_norm.bias', 'norm'],
  ]);
  // k is rows d..2d of in_proj_weight (out, in), transposed; its bias the middle third
  const fused = tensors[2].values;
  const k = layerRecord(file, inv.layers[2]);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) assert.equal(k.weights[i * d + j], fused[(d + j) * d + i]);
  assert.deepEqual(k.bias, tensors[3].values.slice(d, 2 * d));
  // writing q, k, v back reassembles the fused tensor exactly
  const records = inv.layers.slice(1, 4).map((l) => layerRecord(file, l));
  file.write(join(dir, 'hf-copy.safetensors'), replacementsFor(file, inv, records));
  assert.deepEqual(readFileSync(join(dir, 'hf-copy.safetensors')), readFileSync(path));
});

test('convolutions: kernel sum (default), signed norm, or unfolded per window position, in PyTorch and Keras layouts', async () => {
  // PyTorch (out=2, in=3, 2, 2); element value encodes its indices so the expected sums are hand-checkable
  const torch = new Float32Array(2 * 3 * 4);
  for (let o = 0; o < 2; o++) for (let c = 0; c < 3; c++) for (let p = 0; p < 4; p++) torch[(o * 3 + c) * 4 + p] = (o + 1) * (c % 2 === 0 ? 1 : -1) * (p + 1);
  // Keras (2, 2, in=3, out=2): the same kernel, axes permuted
  const keras = new Float32Array(24);
  for (let o = 0; o < 2; o++) for (let c = 0; c < 3; c++) for (let p = 0; p < 4; p++) keras[(p * 3 + c) * 2 + o] = torch[(o * 3 + c) * 4 + p];
  const path = join(dir, 'conv.safetensors');
  writeFileSync(path, encodeSafetensors([
    { name: 'conv.weight', dtype: 'F32', shape: [2, 3, 2, 2], values: torch },
    { name: 'conv.bias', dtype: 'F32', shape: [2], values: [0.5, -0.5] },
    { name: 'k/kernel', dtype: 'F32', shape: [2, 2, 3, 2], values: keras },
  ]));
  const file = await modelFile(path);
  // sum over the window of (p+1) is 10; sign by channel parity, scale by output
  const sums = [10, 20, -10, -20, 10, 20];
  const norms = sums.map((s, i) => Math.sign(s) * Math.sqrt(30) * (i % 2 === 0 ? 1 : 2)); // √(1+4+9+16)·(o+1)
  for (const [mapping, expected] of [['sum', sums], ['norm', norms]] as const) {
    const inv = inventory(file, { conv: mapping });
    for (const layer of inv.layers) {
      const r = layerRecord(file, layer);
      assert.deepEqual(r.shape, [3, 2]);
      r.weights.forEach((w, i) => assert.ok(Math.abs(w - expected[i]) < 1e-5, `${mapping} ${layer.name} [${i}]`));
    }
    assert.deepEqual(layerRecord(file, inv.layers[0]).bias, Float32Array.from([0.5, -0.5]));
  }
  const inv = inventory(file, { conv: 'unfold' });
  const [a, b] = inv.layers.map((l) => layerRecord(file, l));
  assert.deepEqual(a.shape, [12, 2]);
  assert.deepEqual(a.weights, b.weights); // both layouts unfold to the same (channel, position) rows
  assert.equal(a.weights[(2 * 4 + 3) * 2 + 1], torch[(1 * 3 + 2) * 4 + 3]); // channel 2, position 3, output 1
  assert.throws(() => file.write(join(dir, 'x.safetensors'), replacementsFor(file, inventory(file), [layerRecord(file, inventory(file).layers[0])])), /cannot be written back: use --conv unfold/);
  file.write(join(dir, 'conv-copy.safetensors'), replacementsFor(file, inv, [a, b]));
  assert.deepEqual(readFileSync(join(dir, 'conv-copy.safetensors')), readFileSync(path));
  assert.ok(!existsSync(join(dir, 'x.safetensors')));
});
