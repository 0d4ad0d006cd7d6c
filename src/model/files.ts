/**
 * Model files on disk: the TensorFlow.js layers format (model.json + weight shards) and NumPy .npy
 * weight matrices. Parsing of the layers format itself is in layers-format.ts (shared with the viewer).
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { UserError, validateModel, type DenseModel } from '../core/index.js';
import { readInputFile, writeFileAtomic, writeJsonAtomic } from '../core/io.js';
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

function prefixed<T>(path: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof UserError) throw new UserError(`${path}: ${err.message}`);
    throw err;
  }
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
  return prefixed(file, () => {
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
  return prefixed(path, () => {
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
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape[0]}, ${shape[1]}), }`;
  // magic (6) + version (2) + header length (2) + header + '\n' must be a multiple of 64
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const out = new Uint8Array(10 + header.length + weights.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const data = new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength);
  out.set(data, 10 + header.length); // the platforms Node runs on are little-endian, as '<f4' says
  writeFileAtomic(path, out);
}

/** Parse .npy bytes holding a 2-D float array into row-major float32. */
export function parseNpy(bytes: Uint8Array): { rows: number; cols: number; data: Float32Array } {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) throw new UserError('not a NumPy .npy file (bad magic bytes)');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new UserError('truncated .npy header');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else throw new UserError(`unsupported .npy format version ${major}`);
  if (headerStart + headerLen > bytes.length) throw new UserError('truncated .npy header');
  const header = new TextDecoder().decode(bytes.subarray(headerStart, headerStart + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new UserError('malformed .npy header');
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  if (shape.length !== 2 || shape.some((x) => !Number.isInteger(x) || x < 1)) {
    throw new UserError(`.npy array must be 2-D with positive dimensions (a weight matrix), got shape (${shapeText.trim()})`);
  }
  const item = descr === '<f4' ? 4 : descr === '<f8' ? 8 : 0;
  if (item === 0) throw new UserError(`.npy dtype '${descr}' not supported (little-endian float32 '<f4' or float64 '<f8' only)`);
  const [rows, cols] = shape;
  const count = rows * cols;
  const start = headerStart + headerLen;
  if (bytes.length - start !== count * item) {
    const what = bytes.length - start < count * item ? 'too short' : 'too long (bytes after the declared array)';
    throw new UserError(`.npy data ${what}: shape (${rows}, ${cols}) needs ${count * item} bytes, found ${bytes.length - start}`);
  }
  const raw = bytes.slice(start, start + count * item).buffer; // aligned copy
  const values = item === 4 ? new Float32Array(raw) : new Float64Array(raw);
  const data = new Float32Array(count);
  if (fortran === 'True') {
    // Column-major on disk: element (i, j) is at j·rows + i.
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) data[i * cols + j] = values[j * rows + i];
  } else data.set(values);
  return { rows, cols, data };
}

/** Load a model from a .npy matrix or a tfjs layers model (model.json or its directory). */
export function loadAnyModel(path: string): DenseModel {
  return extname(path).toLowerCase() === '.npy' ? loadNpy(path) : loadModel(path);
}
