/**
 * Saving models weightscope trains (the TensorFlow.js layers format, `.npy` matrices), and the
 * `weightscope/model` names of their readers, which live in src/formats (tfjs.ts, npy.ts): to open
 * any MODEL a user names, use `openModel` (src/formats/open.ts).
 */
import { join } from 'node:path';
import type { DenseModel } from '../core/index.js';
import { writeFileAtomic, writeJsonAtomic } from '../core/io.js';
import { encodeNpy, parseNpyMatrix } from '../formats/npy.js';
import { readNpyModel, readTfjsModel } from '../formats/tfjs.js';
import { denseModelToLayers } from '../formats/layers-format.js';

/** Inputs and labels of any numeric dtype (the one .npy parser is src/formats/npy.ts). */
export { parseNpyArray } from '../formats/npy.js';

/** Write `dir/model.json` and `dir/weights.bin` (tfjs layers format), each atomically; weights first. */
export function saveModel(dir: string, model: DenseModel): { modelJson: string; weights: string } {
  const { modelJson, weightData } = denseModelToLayers(model);
  const weights = join(dir, 'weights.bin');
  const json = join(dir, 'model.json');
  writeFileAtomic(weights, new Uint8Array(weightData));
  writeJsonAtomic(json, modelJson);
  return { modelJson: json, weights };
}

/** Load a DenseModel from a tfjs layers `model.json`, or from a directory holding one (src/formats/tfjs.ts). */
export function loadModel(path: string): DenseModel {
  return readTfjsModel(path);
}

/**
 * Load a 2-D NumPy array (.npy format v1–v3, little-endian float32 or float64, C or Fortran order)
 * as a one-layer DenseModel: weights [rows, cols] row-major, no bias, activation 'linear', the layer
 * named after the file (basename without .npy).
 */
export function loadNpy(path: string): DenseModel {
  return readNpyModel(path);
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
  writeFileAtomic(path, encodeNpy(data, shape));
}

/** Parse .npy bytes holding a 2-D float array into row-major float32 (the parser: src/formats/npy.ts). */
export function parseNpy(bytes: Uint8Array): { rows: number; cols: number; data: Float32Array } {
  return parseNpyMatrix(bytes);
}

/**
 * A model from a .npy matrix or a tfjs layers model (model.json or its folder).
 * @deprecated Use `openModel` (`weightscope/formats`), which opens every kind of MODEL.
 */
export function loadAnyModel(path: string): DenseModel {
  return path.toLowerCase().endsWith('.npy') ? readNpyModel(path) : readTfjsModel(path);
}
