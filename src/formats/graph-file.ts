/**
 * Layer graphs as MODEL files: a layer back from the GEXF or GraphML files weightscope exports
 * (parsed with graphology-gexf / graphology-graphml over xmldom), e.g. after editing it in Gephi or
 * building it in networkx. The file's nodes carry `side` (in/out), `index` and, on outputs, `bias`;
 * edges carry `weight`. Writing them is src/graph/export.ts.
 */
import { basename, extname } from 'node:path';
import { DOMParser } from '@xmldom/xmldom';
import { DirectedGraph } from 'graphology';
import { parse as parseGexf } from 'graphology-gexf';
import { parse as parseGraphml } from 'graphology-graphml';
import { UserError } from '../core/errors.js';
import type { LayerRecord } from '../core/layer.js';
import { readInputFile } from '../core/io.js';

export { GRAPH_FILE_EXTENSIONS } from './types.js';

/**
 * Parse XML with xmldom (the parser graphology-gexf/graphml use) quietly: xmldom prints every
 * warning and error as several console lines; a malformed file is one UserError naming the first.
 */
function parseXml(path: string, text: string): Document {
  const problems: string[] = [];
  const note = (msg: string): void => {
    problems.push(msg.replace(/^\[xmldom \w+\]\s*/, '').replace(/\s*@#\[line:(\d+),col:(\d+)\]\s*$/, ' (line $1, column $2)').replace(/\s+/g, ' ').trim());
  };
  let doc: Document;
  try {
    doc = new DOMParser({ locator: {}, errorHandler: { warning: note, error: note, fatalError: note } }).parseFromString(text, 'application/xml') as unknown as Document;
  } catch (err) {
    if (problems.length === 0) note((err as Error).message);
    doc = undefined as unknown as Document;
  }
  if (problems.length > 0 || !doc?.documentElement) {
    throw new UserError(`${path} is not well-formed XML: ${problems[0] ?? 'no root element'}`);
  }
  return doc;
}

/** Dense [nIn, nOut] weights may take this many bytes, or 64× the file's size if more: bounded by the input, not by what it declares. */
const MIN_DENSE_BYTES_CAP = 64 * 2 ** 20;

/**
 * A layer from a GEXF or GraphML file whose nodes carry `side` (in/out) and `index`, and edges
 * `weight`. The shape comes from the nodes present (indices 0…n−1 on each side, each once); a
 * declared nIn/nOut must agree with them, and parallel or repeated edges are errors, not merged.
 */
export function readLayerGraph(path: string): LayerRecord {
  const ext = extname(path).toLowerCase();
  const format = ext.slice(1).toUpperCase();
  const text = readInputFile(path, 'graph file').toString('utf8');
  const doc = parseXml(path, text);
  // The graphology parsers merge repeated edges (or fail mid-way): one weight per edge, so refuse them here.
  const edgeList = doc.getElementsByTagName('edge');
  const edgeElements = edgeList.length;
  const ids = new Set<string>();
  const pairs = new Set<string>();
  for (let k = 0; k < edgeElements; k++) {
    const e = edgeList[k];
    const id = e.getAttribute('id');
    const pair = `${e.getAttribute('source')}\u0000${e.getAttribute('target')}`;
    if (id && ids.has(id)) throw new UserError(`${path}: two edges have the id '${id}' (edges ${k + 1} and an earlier one): one edge per weight`);
    if (pairs.has(pair)) {
      throw new UserError(`${path}: edge ${k + 1} repeats an edge already in the file ('${e.getAttribute('source')}' → '${e.getAttribute('target')}'): one edge per weight`);
    }
    if (id) ids.add(id);
    pairs.add(pair);
  }
  let graph: DirectedGraph;
  try {
    graph = ext === '.gexf' ? parseGexf(DirectedGraph, doc) : parseGraphml(DirectedGraph, doc);
  } catch (err) {
    throw new UserError(`${path} is not a readable ${format} file (${(err as Error).message.split('\n')[0]})`);
  }
  if (graph.multi || graph.size !== edgeElements) {
    throw new UserError(`${path}: ${edgeElements - graph.size || 'some'} edge(s) repeat an edge already in the file (same id, or same source and target): one edge per weight`);
  }
  const attrs = graph.getAttributes() as unknown as Record<string, unknown>;
  const keys = { in: [] as string[], out: [] as string[] };
  const indexOf = new Map<string, number>();
  graph.forEachNode((key, a) => {
    const side = a.side as unknown;
    const index = Number(a.index);
    if ((side !== 'in' && side !== 'out') || !Number.isSafeInteger(index) || index < 0) {
      throw new UserError(`${path}: node '${key}' needs a side ('in' or 'out') and an integer index: not a weightscope layer graph`);
    }
    keys[side].push(key);
    indexOf.set(key, index);
  });
  const shape = { in: keys.in.length, out: keys.out.length };
  for (const side of ['in', 'out'] as const) {
    const owner: (string | undefined)[] = new Array(shape[side]);
    for (const key of keys[side]) {
      const index = indexOf.get(key)!;
      if (index >= shape[side]) {
        throw new UserError(`${path}: ${side}put node '${key}' has index ${index} but the file has ${shape[side]} ${side}put nodes (indices 0…${shape[side] - 1})`);
      }
      if (owner[index] !== undefined) throw new UserError(`${path}: ${side}put nodes '${owner[index]}' and '${key}' both have index ${index}`);
      owner[index] = key;
    }
  }
  for (const [side, attr] of [['in', 'nIn'], ['out', 'nOut']] as const) {
    if (attrs[attr] !== undefined && Number(attrs[attr]) !== shape[side]) {
      throw new UserError(`${path} declares ${attr} = ${String(attrs[attr])} but has ${shape[side]} ${side}put nodes`);
    }
  }
  if (shape.in < 1 || shape.out < 1) throw new UserError(`${path}: no input or no output units`);
  const denseBytes = shape.in * shape.out * 4;
  if (denseBytes > Math.max(MIN_DENSE_BYTES_CAP, 64 * text.length)) {
    throw new UserError(`${path}: a ${shape.in}×${shape.out} layer needs ${(denseBytes / 2 ** 20).toFixed(0)} MiB as a dense matrix, too much for a ${(text.length / 2 ** 10).toFixed(0)} KiB file with ${graph.size} edges`);
  }
  const [nIn, nOut] = [shape.in, shape.out];
  const weights = new Float32Array(nIn * nOut);
  const bias = new Float32Array(nOut);
  let hasBias = false;
  graph.forEachNode((key, a) => {
    if (a.side === 'out' && typeof a.bias === 'number') {
      bias[indexOf.get(key)!] = a.bias;
      hasBias = true;
    }
  });
  graph.forEachEdge((key, e, s, t) => {
    const w = Number(e.weight);
    if (!Number.isFinite(w)) throw new UserError(`${path}: edge '${key}' has no finite weight`);
    if (graph.getNodeAttribute(s, 'side') !== 'in' || graph.getNodeAttribute(t, 'side') !== 'out') throw new UserError(`${path}: edge '${key}' does not go from an input to an output unit`);
    weights[indexOf.get(s)! * nOut + indexOf.get(t)!] = w;
  });
  // GEXF keeps the layer's name on every node (older files: a graph attribute), GraphML on both.
  const firstNode = graph.findNode(() => true);
  const nodeLayer = firstNode === undefined ? undefined : (graph.getNodeAttributes(firstNode) as { layer?: unknown }).layer;
  const name = typeof attrs.name === 'string' ? attrs.name : typeof nodeLayer === 'string' ? nodeLayer : basename(path, extname(path));
  return { name, weights, shape: [nIn, nOut], bias: hasBias ? bias : null };
}
