/**
 * Model files in the formats other frameworks write: the one front door (`loadModelFile`), a
 * registry of readers chosen by extension or folder contents, the layer inventory, and writing a
 * modified model back in its own format. Formats: docs/formats.md.
 */
import { existsSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { UserError } from '../core/errors.js';
import type { LayerRecord } from '../core/layer.js';
import { inventory, layerRecord, replacementsFor, type Inventory, type InventoryOptions } from './inventory.js';
import { readNpz } from './npz.js';
import { readOnnx } from './onnx.js';
import { readSafetensors, readSafetensorsShards, SHARD_INDEX } from './safetensors.js';
import type { ModelFile } from './types.js';

export * from './types.js';
export * from './inventory.js';
export { encodeSafetensors, parseSafetensorsHeader, readSafetensors, readSafetensorsShards, MAX_HEADER_BYTES, SHARD_INDEX } from './safetensors.js';
export { readNpz } from './npz.js';
export { readOnnx } from './onnx.js';
export { parseNpyLayout, npyValues } from './npy.js';
export { decodeValues, encodeValues } from './dtype.js';

export interface FormatReader {
  /** Does this path (a file, or a folder when `isDirectory`) hold this format? */
  matches(path: string, isDirectory: boolean): boolean;
  read(path: string): ModelFile;
}

/** A reader for files ending in `ext` (lower-case, with the dot). */
export function byExtension(ext: string, read: (path: string) => ModelFile): FormatReader {
  return { matches: (path, isDirectory) => !isDirectory && extname(path).toLowerCase() === ext, read };
}

/** The readers `loadModelFile` tries, in order. A new format is one line here. */
export const FORMAT_READERS: FormatReader[] = [
  byExtension('.safetensors', readSafetensors),
  {
    matches: (path, isDirectory) => (isDirectory ? existsSync(join(path, SHARD_INDEX)) : path.toLowerCase().endsWith('.safetensors.index.json')),
    read: readSafetensorsShards,
  },
  byExtension('.npz', readNpz),
  byExtension('.onnx', readOnnx),
];

/** Formats whose reader starts asynchronously (WebAssembly): loaded by preloadFormats, then registered. */
const ASYNC_READERS: { ext: string; load: () => Promise<(path: string) => ModelFile> }[] = [
  { ext: '.keras', load: async () => (await import('./keras.js')).readKeras },
];

/**
 * Load the readers that start asynchronously (Keras' HDF5 via h5wasm) when any of `paths` needs
 * one. The CLI calls this once before running a command; library users call it before
 * `loadModelFile` on a `.keras` file.
 */
export async function preloadFormats(paths: readonly string[]): Promise<void> {
  for (const r of ASYNC_READERS) {
    if (!paths.some((p) => extname(p).toLowerCase() === r.ext)) continue;
    if (FORMAT_READERS.some((f) => f.matches(`x${r.ext}`, false))) continue;
    FORMAT_READERS.push(byExtension(r.ext, await r.load()));
  }
}

function readerFor(path: string): FormatReader | undefined {
  const isDirectory = existsSync(path) && statSync(path).isDirectory();
  const reader = FORMAT_READERS.find((r) => r.matches(path, isDirectory));
  if (!reader && ASYNC_READERS.some((r) => extname(path).toLowerCase() === r.ext)) {
    return { matches: () => true, read: () => { throw new UserError(`${path}: call preloadFormats([path]) before reading ${extname(path)} files`); } };
  }
  return reader;
}

/** Whether `loadModelFile` reads this path (else it is one of the older MODEL kinds: tfjs, .npy, graphs). */
export function isModelFilePath(path: string): boolean {
  return readerFor(path) !== undefined;
}

/** Read a model file (tensors are decoded lazily, when asked for). */
export function loadModelFile(path: string): ModelFile {
  const reader = readerFor(path);
  if (!reader) throw new UserError(`${path}: not a model file weightscope reads (.safetensors, a folder with ${SHARD_INDEX}, .npz, .keras, .onnx)`);
  if (!existsSync(path)) throw new UserError(`no file or folder at ${path}`);
  return reader.read(path);
}

export interface ModelLayers {
  file: ModelFile;
  inventory: Inventory;
  /** One validated record per inventory layer, in file order (shapes need not chain). */
  layers: LayerRecord[];
}

/** A model file's layers as records. */
export function loadModelLayers(path: string, options: InventoryOptions = {}): ModelLayers {
  const file = loadModelFile(path);
  const inv = inventory(file, options);
  if (inv.layers.length === 0) throw new UserError(`${path}: no tensor is a layer (no 2-D or larger float tensor)`);
  const layers = inv.layers.map((l) => {
    try {
      return layerRecord(file, l);
    } catch (err) {
      if (err instanceof UserError) throw new UserError(`${path}: ${err.message}`);
      throw err;
    }
  });
  return { file, inventory: inv, layers };
}

/**
 * Write `model` back to `out` in its own format with the changed layers' weights (biases and
 * every other tensor copied byte for byte).
 */
export function writeModelLayers(model: ModelLayers, changed: LayerRecord[], out: string): void {
  model.file.write(out, replacementsFor(model.file, model.inventory, changed));
}
