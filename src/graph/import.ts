/**
 * Layers back from graph files, and writing a model in the format a path names. Reading a layer
 * graph is a MODEL reader (src/formats/graph-file.ts, re-exported here); opening any MODEL is
 * `openModel` (src/formats/open.ts).
 */
import { extname } from 'node:path';
import { UserError } from '../core/errors.js';
import type { DenseModel } from '../core/layer.js';
import { saveModel, saveNpy } from '../model/index.js';
import { writeChunksAtomic, writeFileAtomic } from '../core/io.js';
import { GRAPH_FILE_EXTENSIONS } from '../formats/types.js';
import { graphmlChunks, layerToGexf } from './export.js';

export { readLayerGraph } from '../formats/graph-file.js';
export { GRAPH_FILE_EXTENSIONS } from '../formats/types.js';

/**
 * Write a model in the format `out` names: `.npy`, `.gexf` or `.graphml` (one layer: these hold a
 * single weight matrix), else a tfjs layers model folder. Returns the path written.
 */
export function saveLayerSource(out: string, model: DenseModel, options: { allowLarge?: boolean } = {}): string {
  const ext = extname(out).toLowerCase();
  if (ext === '.npy' || (GRAPH_FILE_EXTENSIONS as readonly string[]).includes(ext)) {
    if (model.layers.length !== 1) {
      throw new UserError(`${out}: a ${ext} file holds one layer but the model has ${model.layers.length}: write a model folder instead`);
    }
    const [layer] = model.layers;
    if (ext === '.npy') saveNpy(out, layer.weights, layer.shape);
    else if (ext === '.gexf') writeFileAtomic(out, layerToGexf(layer, { allowLarge: options.allowLarge }));
    else writeChunksAtomic(out, graphmlChunks(layer));
    return out;
  }
  return saveModel(out, model).modelJson;
}
