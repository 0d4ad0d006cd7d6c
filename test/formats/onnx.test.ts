import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PPOCR_DIR as MODELS } from './fixtures.js';
import { fileURLToPath } from 'node:url';
import { Rng, UserError } from '../../src/core/index.js';
import { onnx, readOnnx, ONNX_DTYPE } from '../../src/formats/onnx.js';
import { FORMATS, formatOf } from '../../src/formats/registry.js';
import { denseModelToOnnx } from '../../src/formats/onnx-mlp.js';
import { floatToHalf, halfToFloat, floatToBf16 as floatToBfloat16, bf16ToFloat as bfloat16ToFloat } from '../../src/formats/dtype.js';
import { createEvaluator } from '../../src/model/index.js';
import { createOnnxRunner } from '../../src/model/onnx-runtime.js';
import { layerView, probeTargets, tensorLayout } from '../../src/probes/onnx-probe.js';
import { mnistPair, randomModel } from '../model/fixtures.js';
import { PYTHON, pythonMissing } from '../python.js';

const dir = mkdtempSync(join(tmpdir(), 'ws-onnx-'));
const PPOCR = ['ch_PP-OCRv4_rec_infer.onnx', 'ch_PP-OCRv4_det_infer.onnx', 'ch_ppocr_mobile_v2.0_cls_infer.onnx'];

function userError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof UserError && pattern.test(err.message) && !err.message.includes('\n'));
}

test('PP-OCR models from the npm package: written back with nothing replaced, byte for byte', () => {
  for (const name of PPOCR) {
    const path = join(MODELS, name);
    const model = readOnnx(path);
    const out = join(dir, `same-${name}`);
    model.write(out, new Map());
    assert.ok(Buffer.compare(readFileSync(path), readFileSync(out)) === 0, name);
    // paddle2onnx stores weights as Constant nodes: they must be found (every Conv has its weight)
    const convs = (model.proto.graph!.node ?? []).filter((n) => n.opType === 'Conv');
    const convWeights = model.tensors.filter((t) => t.hint?.kind === 'conv');
    assert.ok(convs.length > 10);
    assert.equal(convWeights.length, convs.length, name);
    for (const t of convWeights) assert.equal(t.shape.length, 4);
  }
});

test('a replaced PP-OCR weight written to a file runs in ONNX Runtime as the same weight fed to the probing session', async () => {
  const path = join(MODELS, 'ch_ppocr_mobile_v2.0_cls_infer.onnx');
  const model = readOnnx(path);
  const target = model.tensors.filter((t) => t.hint?.kind === 'conv')[3];
  const negated = (target.values() as Float32Array).map((v) => -v);
  const out = join(dir, 'cls-negated.onnx');
  model.write(out, new Map([[target.name, negated]]));
  assert.equal(readFileSync(out).length, readFileSync(path).length);
  assert.deepEqual(readOnnx(out).tensor(target.name).values(), negated);

  const rng = new Rng(3);
  const inputs = { data: Float32Array.from({ length: 2 * 3 * 48 * 192 }, () => rng.uniform(-1, 1)), shape: [2, 3, 48, 192] };
  const fed = await createOnnxRunner(model, [target.name]);
  const fromFile = await createOnnxRunner(readOnnx(out), []);
  const a = await fed.run(inputs, new Map([[target.name, negated]]));
  const b = await fromFile.run(inputs);
  const original = await fed.run(inputs);
  assert.deepEqual(a.shape, [2, 2]);
  // ONNX Runtime may pre-pack a constant initializer (the file) and not a fed input, and on some
  // CPUs (AVX-512 vs AVX2 kernels) the two paths round differently: equal to float32 tolerance.
  a.data.forEach((v, i) => assert.ok(Math.abs(v - b.data[i]) < 1e-5, `output ${i}: fed ${v}, from file ${b.data[i]}`));
  assert.notDeepEqual(Array.from(a.data), Array.from(original.data));
  // run one input at a time: the same outputs, concatenated in input order
  const oneByOne = await createOnnxRunner(model, [target.name], { batchSize: 1 });
  const c = await oneByOne.run(inputs, new Map([[target.name, negated]]));
  assert.deepEqual(c.shape, a.shape);
  c.data.forEach((v, i) => assert.ok(Math.abs(v - a.data[i]) < 1e-5));
  await Promise.all([fed.release(), fromFile.release(), oneByOne.release()]);
});

test('a weightscope MLP written as ONNX reads back with MatMul (in, out) hints and ONNX Runtime predicts what the evaluator predicts', async () => {
  const model = randomModel(new Rng(11), [784, 24, 10], { activation: 'relu', scale: 3 });
  const path = join(dir, 'mlp.onnx');
  writeFileSync(path, denseModelToOnnx(model));
  const back = readOnnx(path);
  const kernel = back.tensor('dense_0/kernel');
  assert.deepEqual(kernel.hint, { kind: 'dense', orientation: 'in-out', layer: 'dense_0' });
  assert.deepEqual(kernel.shape, [784, 24]);
  assert.deepEqual(kernel.values(), model.layers[0].weights);
  assert.equal(back.tensor('dense_1/bias').hint?.kind, 'bias');

  const split = mnistPair('t10k', 3, 8, 300);
  const x = Float32Array.from(split.pixels, (p) => (p / 255) * 2 - 1);
  const runner = await createOnnxRunner(back, []);
  const out = await runner.run({ data: x, shape: [split.n, 784] }, new Map());
  await runner.release();
  const ours = createEvaluator(split, 'pm1').predict(model);
  let differ = 0;
  for (let i = 0; i < split.n; i++) {
    let best = 0;
    for (let j = 1; j < 10; j++) if (out.data[i * 10 + j] > out.data[i * 10 + best]) best = j;
    if (best !== ours[i]) differ++;
  }
  assert.ok(differ <= 1, `${differ} of ${split.n} predictions differ`);
});

const torchMissing = pythonMissing(['torch'], 'PyTorch export cross-check') ?? false;

test('a PyTorch export (Gemm transB=1 and MatMul): hinted orientation maps inputs to outputs as torch does, outputs match', { skip: torchMissing }, async () => {
  const script = fileURLToPath(new URL('../../../bench/python/torch_onnx_export.py', import.meta.url));
  const r = spawnSync(PYTHON, [script, dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const py = JSON.parse(r.stdout) as { weights: number[][][]; inputs: number[][]; outputs: number[][] };
  const model = readOnnx(join(dir, 'torch_mlp.onnx'));
  const dense = model.tensors.filter((t) => t.hint?.kind === 'dense');
  assert.deepEqual(dense.map((t) => t.hint?.orientation), ['out-in', 'in-out', 'out-in']);
  dense.forEach((t, k) => {
    const w = t.values();
    const torchW = py.weights[k]; // (out, in)
    const [nOut, nIn] = [torchW.length, torchW[0].length];
    for (let i = 0; i < nIn; i++) {
      for (let j = 0; j < nOut; j++) {
        const v = t.hint?.orientation === 'out-in' ? w[j * nIn + i] : w[i * nOut + j];
        assert.equal(v, Math.fround(torchW[j][i]));
      }
    }
  });
  // the probes' view of each dense layer is [in, out] whatever the storage, and maps back exactly
  probeTargets(model).forEach((target, k) => {
    const values = model.tensor(target.tensor!).values();
    const view = layerView(target, values);
    const torchW = py.weights[k];
    assert.deepEqual(view.shape, [torchW[0].length, torchW.length]);
    for (let i = 0; i < view.shape[0]; i++) for (let j = 0; j < view.shape[1]; j++) assert.equal(view.weights[i * view.shape[1] + j], Math.fround(torchW[j][i]));
    assert.deepEqual(tensorLayout(target, view), values);
  });
  const runner = await createOnnxRunner(model, []);
  const out = await runner.run({ data: Float32Array.from(py.inputs.flat()), shape: [py.inputs.length, py.inputs[0].length] });
  await runner.release();
  py.outputs.flat().forEach((v, i) => assert.ok(Math.abs(out.data[i] - v) < 1e-6));
});

/** A one-node graph (y = x · W) holding W in the given dtype and storage. */
function tinyModel(values: number[], dims: number[], dtype: 'F32' | 'F16' | 'BF16' | 'F64', storage: 'raw' | 'typed' | 'external', external?: { dir: string; location: string }): Uint8Array {
  const tensor = onnx.TensorProto.create({ name: 'W', dims, dataType: ONNX_DTYPE[dtype] });
  const bits = dtype === 'F16' ? values.map(floatToHalf) : dtype === 'BF16' ? values.map(floatToBfloat16) : null;
  const raw =
    dtype === 'F32' ? new Uint8Array(Float32Array.from(values).buffer)
      : dtype === 'F64' ? new Uint8Array(Float64Array.from(values).buffer)
        : new Uint8Array(Uint16Array.from(bits!).buffer);
  if (storage === 'raw') tensor.rawData = raw;
  else if (storage === 'typed') {
    if (dtype === 'F32') tensor.floatData = values;
    else if (dtype === 'F64') tensor.doubleData = values;
    else tensor.int32Data = bits!;
  } else {
    writeFileSync(join(external!.dir, external!.location), Buffer.concat([Buffer.from('header--'), raw]));
    tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    tensor.externalData = [{ key: 'location', value: external!.location }, { key: 'offset', value: '8' }, { key: 'length', value: String(raw.length) }];
  }
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ version: 13 }],
    graph: {
      name: 'tiny',
      node: [{ opType: 'MatMul', name: 'mm', input: ['x', 'W'], output: ['y'] }],
      initializer: [tensor],
      input: [{ name: 'x', type: { tensorType: { elemType: ONNX_DTYPE[dtype], shape: { dim: [{ dimValue: 1 }, { dimValue: dims[0] }] } } } }],
      output: [{ name: 'y', type: { tensorType: { elemType: ONNX_DTYPE[dtype] } } }],
    },
  }).finish();
}

test('F16 and BF16 conversions agree with the bit patterns worked by hand', () => {
  // half: 1 = 0x3c00, −2 = 0xc000, 65504 = 0x7bff (largest), 2^−24 = 0x0001 (smallest subnormal), 1/3 ≈ 0x3555
  assert.deepEqual([1, -2, 65504, 2 ** -24, 1 / 3, 0].map(floatToHalf), [0x3c00, 0xc000, 0x7bff, 0x0001, 0x3555, 0]);
  assert.deepEqual([0x3c00, 0xc000, 0x7bff, 0x0001, 0x3555].map(halfToFloat), [1, -2, 65504, 2 ** -24, 0.333251953125]);
  assert.equal(floatToHalf(1 + 2 ** -11), 0x3c00); // a tie rounds to even
  assert.equal(floatToHalf(1 + 3 * 2 ** -11), 0x3c02);
  assert.equal(floatToHalf(1e6), 0x7c00); // overflow → +Inf
  // bfloat16 keeps float32's top 16 bits: 1 = 0x3f80, −0.5 = 0xbf00; π → 0x4049 (3.140625)
  assert.deepEqual([1, -0.5, Math.PI].map(floatToBfloat16), [0x3f80, 0xbf00, 0x4049]);
  assert.equal(bfloat16ToFloat(0x4049), 3.140625);
});

test('every dtype and storage reads its values, writes back byte-identical, and round-trips replaced values in its own dtype', () => {
  const values = [0.5, -1.25, 3, 0.1, -0.0078125, 2];
  for (const dtype of ['F32', 'F16', 'BF16', 'F64'] as const) {
    for (const storage of ['raw', 'typed', 'external'] as const) {
      const sub = join(dir, `${dtype}-${storage}`);
      mkdirSync(sub, { recursive: true });
      const location = `${dtype}.weights`;
      const path = join(sub, 'm.onnx');
      writeFileSync(path, tinyModel(values, [3, 2], dtype, storage, { dir: sub, location }));
      const model = readOnnx(path);
      const w = model.tensor('W');
      assert.equal(w.dtype, dtype);
      const exact = values.map((v) => (dtype === 'F16' ? halfToFloat(floatToHalf(v)) : dtype === 'BF16' ? bfloat16ToFloat(floatToBfloat16(v)) : Math.fround(v)));
      assert.deepEqual(Array.from(w.values()), dtype === 'F64' ? values : exact, `${dtype} ${storage}`);

      const outDir = join(dir, `${dtype}-${storage}-out`);
      model.write(join(outDir, 'same.onnx'), new Map());
      assert.ok(Buffer.compare(readFileSync(path), readFileSync(join(outDir, 'same.onnx'))) === 0, `${dtype} ${storage}`);

      // large values: the varints of int32_data grow, so enclosing lengths must be rewritten
      const replaced = Float32Array.from([-300.5, 1000, 0.333, -2, 7.75, 60000]);
      model.write(join(outDir, 'new.onnx'), new Map([['W', replaced]]));
      const back = readOnnx(join(outDir, 'new.onnx')).tensor('W');
      const expected = Array.from(replaced, (v) => (dtype === 'F16' ? halfToFloat(floatToHalf(v)) : dtype === 'BF16' ? bfloat16ToFloat(floatToBfloat16(v)) : v));
      assert.deepEqual(Array.from(back.values()), dtype === 'F64' ? Array.from(replaced, Number) : expected, `${dtype} ${storage} replaced`);
      assert.equal(back.dtype, dtype);
      if (storage === 'external') {
        assert.deepEqual(readFileSync(path), readFileSync(join(outDir, 'new.onnx'))); // the model file keeps pointing at the data file
        userError(() => model.write(join(sub, 'other.onnx'), new Map([['W', replaced]])), /would overwrite its external data/);
      }
    }
  }
});

test('bad files: one clear line each', () => {
  const notProto = join(dir, 'text.onnx');
  writeFileSync(notProto, 'this is a text file, not a model\n');
  userError(() => readOnnx(notProto), /not (protobuf|an ONNX model)/);
  userError(() => readOnnx(join(dir, 'absent.onnx')), /no ONNX file at/);
  const rec = readFileSync(join(MODELS, 'ch_PP-OCRv4_rec_infer.onnx'));
  const cut = join(dir, 'truncated.onnx');
  writeFileSync(cut, rec.subarray(0, rec.length >> 1));
  userError(() => readOnnx(cut), /truncated or corrupt/);
  const sub = join(dir, 'missing-external');
  mkdirSync(sub, { recursive: true });
  writeFileSync(join(sub, 'm.onnx'), tinyModel([1, 2], [2, 1], 'F32', 'external', { dir, location: 'gone.bin' }));
  userError(() => readOnnx(join(sub, 'm.onnx')), /missing external data: tensor 'W' is stored in 'gone\.bin'/);
  userError(() => readOnnx(join(MODELS, 'ch_ppocr_mobile_v2.0_cls_infer.onnx')).write(join(dir, 'x.onnx'), new Map([['nope', new Float32Array(1)]])), /no float tensor of that name/);
});

test('the front door registration names the reader', async () => {
  assert.equal(formatOf(join(MODELS, PPOCR[2]))?.format, 'onnx');
  const entry = FORMATS.find((f) => f.format === 'onnx')!;
  const read = await entry.read(join(MODELS, PPOCR[2]));
  assert.ok('file' in read && read.file.format === 'onnx' && read.file.tensors.length === readOnnx(join(MODELS, PPOCR[2])).tensors.length);
});
