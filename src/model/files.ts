/**
 * Model files on disk: the TensorFlow.js layers format (model.json + weight shards) and NumPy .npy
 * weight matrices. Parsing of the layers format itself is in layers-format.ts (shared with the viewer).
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { UserError, validateModel, withPathPrefix, type DenseModel } from '../core/index.js';
import { readInputFile, writeFileAtomic, writeJsonAtomic } from '../core/io.js';
import { parseNpyLayout, npyValues } from '../formats/npy.js';

/** Inputs and labels of any numeric dtype (the one .npy parser is src/formats/npy.ts). */
export { parseNpyArray } from '../formats/npy.js';
import { denseModelToLayers, layersToDenseModel, weightShardPaths } from './layers-format.js';

/** Write `dir/model.json` and `dir/weights.bin` (tfjs layers format), each atomically; weights first. */
export function saveModel(dir: string, model: DenseModel): { modelJson: string; weights: string } {
  const { modelJson, weightData } = denseModelToLayers(model);
  const weights = join(dir, 'weights.bin');
  const json = join(dir, 'model.json');
  writeFileAtomic(weights, new Uint8Array(weightData));
  writeJsonAtomic(json, modelJson);
  return { modelJson: json, weights };
}

/** Load a DenseModel from a tfjs layers `model.json`, or from a directory holding one. */
export function loadModel(path: string): DenseModel {
  let file = resolve(path);
  if (!existsSync(file)) throw new UserError(`no model at ${path} (file or directory not found)`);
  if (statSync(file).isDirectory()) {
    file = join(file, 'model.json');
    if (!existsSync(file)) throw new UserError(`no model.json in directory ${path}`);
  }
  const text = readInputFile(file, 'model.json').toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${file} is not JSON (${(err as Error).message.split('\n')[0]})`);
  }
  return withPathPrefix(file, () => {
    const shards: Record<string, Uint8Array> = {};
    for (const p of weightShardPaths(json)) {
      const shardPath = join(dirname(file), p);
      if (!existsSync(shardPath)) throw new UserError(`weight shard '${p}' is missing (looked for ${shardPath})`);
      shards[p] = readInputFile(shardPath, 'weight shard');
    }
    return layersToDenseModel(json, shards);
  });
}

/**
 * Load a 2-D NumPy array (.npy format v1–v3, little-endian float32 or float64, C or Fortran order)
 * as a one-layer DenseModel: weights [rows, cols] row-major, no bias, activation 'linear', the layer
 * named after the file (basename without .npy).
 */
export function loadNpy(path: string): DenseModel {
  if (!existsSync(path)) throw new UserError(`no .npy file at ${path}`);
  const buf = readInputFile(path, '.npy file');
  return withPathPrefix(path, () => {
    const { rows, cols, data } = parseNpy(new Uint8Array(buf.buffer, buf.byteOffset, buf.length));
    const name = basename(path, extname(path));
    return validateModel({ layers: [{ name, weights: data, shape: [rows, cols], bias: null, activation: 'linear' }] });
  });
}

/**
 * Write one layer's weights as a 2-D little-endian float32 `.npy` (format 1.0, C order), atomically:
 * what `np.load` reads back as an [nIn, nOut] array. Biases have no place in a bare matrix.
 */
export function saveNpy(path: string, weights: Float32Array, shape: [number, number]): void {
  saveNpyArray(path, weights, shape);
}

/** Write a float32 array of any shape as a little-endian C-order `.npy` (format 1.0), atomically. */
export function saveNpyArray(path: string, data: Float32Array, shape: number[]): void {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  // magic (6) + version (2) + header length (2) + header + '\n' must be a multiple of 64
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length); // the platforms Node runs on are little-endian, as '<f4' says
  writeFileAtomic(path, out);
}

/** Parse .npy bytes holding a 2-D float array into row-major float32 (the parser: src/formats/npy.ts). */
export function parseNpy(bytes: Uint8Array): { rows: number; cols: number; data: Float32Array } {
  const layout = parseNpyLayout(bytes);
  const { shape } = layout;
  if (shape.length !== 2 || shape.some((x) => x < 1)) {
    throw new UserError(`.npy array must be 2-D with positive dimensions (a weight matrix), got shape (${shape.join(', ')}${shape.length === 1 ? ',' : ''})`);
  }
  const values = npyValues(bytes, layout);
  return { rows: shape[0], cols: shape[1], data: values instanceof Float32Array ? values : Float32Array.from(values) };
}

/** Load a model from a .npy matrix or a tfjs layers model (model.json or its directory). */
export function loadAnyModel(path: string): DenseModel {
  return extname(path).toLowerCase() === '.npy' ? loadNpy(path) : loadModel(path);
}
