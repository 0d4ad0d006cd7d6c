/**
 * MODEL readers of weightscope's own kinds: a TensorFlow.js layers model (model.json + weight
 * shards, parsed by layers-format.ts) and a 2-D NumPy `.npy` weight matrix (one layer, named after
 * the file). Both give validated layer records whose shapes chain.
 */
import { basename, dirname, extname, join, resolve } from 'node:path';
import { UserError, validateModel, withPathPrefix, type DenseModel } from '../core/index.js';
import { confinedPath, inputPathKind, modelRoot, readInputFile } from '../core/io.js';
import { layersToDenseModel, weightShardPaths } from './layers-format.js';
import { parseNpyMatrix } from './npy.js';

/** A DenseModel from a tfjs layers `model.json`, or from a folder holding one. */
export function readTfjsModel(path: string): DenseModel {
  let file = resolve(path);
  const kind = inputPathKind(file);
  if (!kind) throw new UserError(`no model at ${path} (file or directory not found)`);
  if (kind === 'folder') {
    file = join(file, 'model.json');
    if (!inputPathKind(file)) throw new UserError(`no model.json in directory ${path}`);
  }
  const text = readInputFile(file, 'model.json').toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${file} is not JSON (${(err as Error).message.split('\n')[0]})`);
  }
  return withPathPrefix(file, () => {
    const shards: Record<string, Uint8Array> = Object.create(null); // manifest paths are keys: no prototype to collide with
    const root = modelRoot(file);
    for (const p of weightShardPaths(json)) {
      // Only files inside the model's folder: a manifest path '../secret/w.bin' is refused, not read into the weights.
      const shardPath = confinedPath(root, dirname(file), p, 'weight shard', () => new UserError(`weight shard '${p}' is missing (looked for ${join(dirname(file), p)})`));
      shards[p] = readInputFile(shardPath, 'weight shard');
    }
    return layersToDenseModel(json, shards);
  });
}

/**
 * A 2-D NumPy array (.npy format v1–v3, little-endian float, C or Fortran order) as a one-layer
 * DenseModel: weights [rows, cols] row-major, no bias, activation 'linear', the layer named after
 * the file (basename without .npy).
 */
export function readNpyModel(path: string): DenseModel {
  if (!inputPathKind(path)) throw new UserError(`no .npy file at ${path}`);
  const buf = readInputFile(path, '.npy file');
  return withPathPrefix(path, () => {
    const { rows, cols, data } = parseNpyMatrix(new Uint8Array(buf.buffer, buf.byteOffset, buf.length));
    const name = basename(path, extname(path));
    return validateModel({ layers: [{ name, weights: data, shape: [rows, cols], bias: null, activation: 'linear' }] });
  });
}
