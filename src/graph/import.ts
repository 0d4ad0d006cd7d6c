/**
 * Import: a layer back from the graph files weightscope exports (GEXF via graphology-gexf,
 * GraphML via graphology-graphml), e.g. after editing it in Gephi or building it in networkx, and
 * the one loader the CLI uses for "MODEL" arguments (tfjs model, `.npy`, `.gexf`, `.graphml`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { DirectedGraph } from 'graphology';
import { parse as parseGexf } from 'graphology-gexf';
import { parse as parseGraphml } from 'graphology-graphml';
import { UserError } from '../core/errors.js';
import { validateLayer, validateModel, type DenseModel, type LayerRecord } from '../core/layer.js';
import { loadAnyModel, saveModel, saveNpy } from '../model/index.js';
import { isTransformerDir, loadTransformer } from '../model/transformer/files.js';
import { writeChunksAtomic, writeFileAtomic } from '../core/io.js';
import { graphmlChunks, layerToGexf } from './export.js';
import { graphToLayer, type LayerGraph } from './convert.js';

export const GRAPH_FILE_EXTENSIONS = ['.gexf', '.graphml'] as const;

/** A layer from a GEXF or GraphML file whose nodes carry `side` (in/out) and `index`, and edges `weight`. */
export function readLayerGraph(path: string): LayerRecord {
  if (!existsSync(path)) throw new UserError(`graph file not found: ${path}`);
  const ext = extname(path).toLowerCase();
  const text = readFileSync(path, 'utf8');
  let graph: LayerGraph;
  try {
    graph = (ext === '.gexf' ? parseGexf(DirectedGraph, text) : parseGraphml(DirectedGraph, text)) as unknown as LayerGraph;
  } catch (err) {
    throw new UserError(`${path} is not a readable ${ext.slice(1).toUpperCase()} file (${(err as Error).message.split('\n')[0]})`);
  }
  const attrs = graph.getAttributes() as unknown as Record<string, unknown>;
  let maxIn = -1, maxOut = -1;
  graph.forEachNode((key, a) => {
    const side = a.side as unknown;
    const index = Number(a.index);
    if ((side !== 'in' && side !== 'out') || !Number.isInteger(index) || index < 0) {
      throw new UserError(`${path}: node '${key}' needs a side ('in' or 'out') and an integer index: not a weightscope layer graph`);
    }
    a.index = index;
    if (side === 'in') maxIn = Math.max(maxIn, index);
    else maxOut = Math.max(maxOut, index);
  });
  graph.forEachEdge((key, e) => {
    const w = Number(e.weight);
    if (!Number.isFinite(w)) throw new UserError(`${path}: edge '${key}' has no finite weight`);
    e.weight = w;
  });
  const nIn = Number(attrs.nIn ?? maxIn + 1);
  const nOut = Number(attrs.nOut ?? maxOut + 1);
  if (!(nIn >= 1 && nOut >= 1)) throw new UserError(`${path}: no input or no output units`);
  graph.replaceAttributes({ name: typeof attrs.name === 'string' ? attrs.name : basename(path, extname(path)), shape: [nIn, nOut] });
  return graphToLayer(graph);
}

/**
 * What a MODEL argument can be: a tfjs layers model (model.json or its folder), a 2-D `.npy`
 * weight matrix, or a `.gexf` / `.graphml` layer graph. Validated (shapes chain, weights finite).
 */
export function loadLayerSource(path: string): DenseModel {
  // a transformer tagger folder: its projections are records, but consecutive shapes do not chain
  if (isTransformerDir(path)) return { layers: loadTransformer(path).model.layers.map(validateLayer) };
  const ext = extname(path).toLowerCase();
  const model = (GRAPH_FILE_EXTENSIONS as readonly string[]).includes(ext) ? { layers: [readLayerGraph(path)] } : loadAnyModel(path);
  return validateModel(model);
}

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
