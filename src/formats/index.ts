/**
 * `weightscope/formats`: model files of every kind weightscope reads. The door is `openModel`
 * (open.ts): one inventory for every format, options honoured in one place; the registry
 * (registry.ts) lists the formats and what each can do. Below the door: the layer inventory of a
 * tensor file (inventory.ts) and the per-format readers. docs/formats.md.
 */
export * from './types.js';
export * from './inventory.js';
export { openModel, denseChain, noLayerMessage, type ModelInventory, type ModelLayer, type OpenOptions } from './open.js';
export { FORMATS, formatOf, acceptedFormats, capabilityTable, RUN_TEXT, WRITE_TEXT, TORCH_EXPORT, type FormatEntry, type ReadResult, type RunKind, type WriteKind } from './registry.js';
export { encodeSafetensors, parseSafetensorsHeader, readSafetensors, readSafetensorsShards, MAX_HEADER_BYTES, SHARD_INDEX } from './safetensors.js';
export { readNpz } from './npz.js';
export { readOnnx } from './onnx.js';
export { readTfjsModel, readNpyModel } from './tfjs.js';
export { readLayerGraph } from './graph-file.js';
export { readTaggerFolder, isTaggerFolder } from './tagger.js';
export { parseNpyLayout, parseNpyArray, parseNpyMatrix, npyValues, encodeNpy } from './npy.js';
export { layersToDenseModel, denseModelToLayers, weightShardPaths } from './layers-format.js';
export { decodeValues, encodeValues } from './dtype.js';
