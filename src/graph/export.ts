/**
 * Export a layer for other tools: CSV node table and edge list (streamed, any size), GEXF
 * (graphology-gexf, through a graphology graph), GraphML (streamed here: graphology-graphml 0.5
 * only parses), the layer's statistics as JSON, and its weights as a `.npy` matrix [nIn, nOut] (rows
 * are the input units, as `x @ W` uses it; no bias). Every file is written atomically.
 *
 * Node ids are the graph keys of convert.ts (`in:<i>`, `out:<j>`), the same in every format.
 */
import { join } from 'node:path';
import { write as writeGexf } from 'graphology-gexf';
import { UserError } from '../core/errors.js';
import { countNonZero, type LayerRecord } from '../core/layer.js';
import { writeChunksAtomic, writeFileAtomic, writeJsonAtomic } from '../core/io.js';
import { encodeNpy } from '../formats/npy.js';
import { unitStats, layerStats, type UnitStats } from '../stats/index.js';
import { inKey, layerToGraph, outKey, GRAPHOLOGY_EDGE_LIMIT } from './convert.js';

export const EXPORT_FORMATS = ['csv', 'gexf', 'graphml', 'json', 'npy'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportOptions {
  formats: ExportFormat[];
  /** Allow GEXF/GraphML of layers above GRAPHOLOGY_EDGE_LIMIT edges (CSV/JSON work at any size). */
  allowLarge?: boolean;
}

/**
 * A file-name-safe form of a layer name: anything but letters, digits, '.', '_' and '-' becomes
 * '_' (so `encoder/fc1:0` → `encoder_fc1_0`), and a leading '.' too (no hidden files).
 */
export function safeFileName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\./, '_');
  return s.length > 0 ? s : '_';
}

/**
 * A decimal that reads back as the same float32: 8 significant digits (enough for 99% of
 * values), else 9 (always enough); trailing zeros dropped, so 0.1f prints as 0.1. Not always
 * the shortest such string, but one or two toPrecision calls instead of up to three.
 */
export function formatFloat32(x: number): string {
  const s8 = String(Number(x.toPrecision(8)));
  if (Math.fround(Number(s8)) === x) return s8;
  return String(Number(x.toPrecision(9)));
}

function num(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(12)));
}

/** Node table rows: `unit,side,index,k_plus,k_minus,s_plus,s_minus`. */
export function* nodeCsvChunks(layer: LayerRecord, units: UnitStats = unitStats(layer)): Generator<string> {
  yield 'unit,side,index,k_plus,k_minus,s_plus,s_minus\n';
  for (const side of ['in', 'out'] as const) {
    const s = units[side];
    const key = side === 'in' ? inKey : outKey;
    let chunk = '';
    for (let u = 0; u < s.kPlus.length; u++) {
      chunk += `${key(u)},${side},${u},${s.kPlus[u]},${s.kMinus[u]},${num(s.sPlus[u])},${num(s.sMinus[u])}\n`;
      if (chunk.length > 1 << 16) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  }
}

/** Edge list rows: `source,target,weight,sign`, one per non-zero weight, in row-major order. */
export function* edgeCsvChunks(layer: LayerRecord): Generator<string> {
  yield 'source,target,weight,sign\n';
  const [nIn, nOut] = layer.shape;
  const w = layer.weights;
  for (let i = 0; i < nIn; i++) {
    const row = i * nOut;
    const src = inKey(i);
    let chunk = '';
    for (let j = 0; j < nOut; j++) {
      const x = w[row + j];
      if (x !== 0) chunk += `${src},out:${j},${formatFloat32(x)},${x > 0 ? 1 : -1}\n`;
    }
    if (chunk) yield chunk;
  }
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * GraphML (directed), streamed from the typed arrays. Node data: side, layer, index, label,
 * bias (outputs, when the layer has one), k_plus, k_minus, s_plus, s_minus; edge data: weight, sign.
 */
export function* graphmlChunks(layer: LayerRecord, units: UnitStats = unitStats(layer)): Generator<string> {
  const [nIn, nOut] = layer.shape;
  const name = xmlEscape(layer.name);
  yield '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ' +
    'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n' +
    '  <key id="g_name" for="graph" attr.name="name" attr.type="string"/>\n' +
    '  <key id="g_nIn" for="graph" attr.name="nIn" attr.type="int"/>\n' +
    '  <key id="g_nOut" for="graph" attr.name="nOut" attr.type="int"/>\n' +
    '  <key id="side" for="node" attr.name="side" attr.type="string"/>\n' +
    '  <key id="layer" for="node" attr.name="layer" attr.type="string"/>\n' +
    '  <key id="index" for="node" attr.name="index" attr.type="int"/>\n' +
    '  <key id="label" for="node" attr.name="label" attr.type="string"/>\n' +
    '  <key id="bias" for="node" attr.name="bias" attr.type="double"/>\n' +
    '  <key id="k_plus" for="node" attr.name="k_plus" attr.type="int"/>\n' +
    '  <key id="k_minus" for="node" attr.name="k_minus" attr.type="int"/>\n' +
    '  <key id="s_plus" for="node" attr.name="s_plus" attr.type="double"/>\n' +
    '  <key id="s_minus" for="node" attr.name="s_minus" attr.type="double"/>\n' +
    '  <key id="weight" for="edge" attr.name="weight" attr.type="double"/>\n' +
    '  <key id="sign" for="edge" attr.name="sign" attr.type="int"/>\n' +
    `  <graph id="${name}" edgedefault="directed">\n` +
    `    <data key="g_name">${name}</data>\n    <data key="g_nIn">${nIn}</data>\n    <data key="g_nOut">${nOut}</data>\n`;
  for (const side of ['in', 'out'] as const) {
    const s = units[side];
    const n = side === 'in' ? nIn : nOut;
    let chunk = '';
    for (let u = 0; u < n; u++) {
      const bias = side === 'out' && layer.bias ? `<data key="bias">${formatFloat32(layer.bias[u])}</data>` : '';
      chunk +=
        `    <node id="${side}:${u}"><data key="side">${side}</data><data key="layer">${name}</data>` +
        `<data key="index">${u}</data><data key="label">${name}/${side}/${u}</data>${bias}` +
        `<data key="k_plus">${s.kPlus[u]}</data><data key="k_minus">${s.kMinus[u]}</data>` +
        `<data key="s_plus">${num(s.sPlus[u])}</data><data key="s_minus">${num(s.sMinus[u])}</data></node>\n`;
      if (chunk.length > 1 << 16) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  }
  const w = layer.weights;
  for (let i = 0; i < nIn; i++) {
    const row = i * nOut;
    let chunk = '';
    for (let j = 0; j < nOut; j++) {
      const x = w[row + j];
      if (x !== 0) {
        chunk += `    <edge source="in:${i}" target="out:${j}"><data key="weight">${formatFloat32(x)}</data><data key="sign">${x > 0 ? 1 : -1}</data></edge>\n`;
      }
    }
    if (chunk) yield chunk;
  }
  yield '  </graph>\n</graphml>\n';
}

export interface GexfOptions {
  allowLarge?: boolean;
  units?: UnitStats;
  /** 1.2 (default) is what networkx `read_gexf` and most Gephi versions read; 1.3 on request. */
  version?: '1.2' | '1.3';
}

/**
 * GEXF text of a layer (via graphology-gexf), GEXF 1.2 unless asked for 1.3. Nodes carry `side`,
 * `index`, `layer` (the layer's name), `label`, `bias` (outputs) and their k±/s±; edges their
 * `weight` (the GEXF edge weight) and `sign`, with ids `in:<i>-out:<j>`, so the same layer
 * always gives the same bytes. The graph-level <meta> holds only GEXF's own `creator` and
 * `description`: the shape is the nodes present, the name is on every node.
 */
export function layerToGexf(layer: LayerRecord, options: GexfOptions = {}): string {
  const graph = layerToGraph(layer, { allowLarge: options.allowLarge });
  const units = options.units ?? unitStats(layer);
  graph.forEachNode((key, a) => {
    const s = units[a.side];
    graph.mergeNodeAttributes(key, {
      k_plus: s.kPlus[a.index],
      k_minus: s.kMinus[a.index],
      s_plus: s.sPlus[a.index],
      s_minus: s.sMinus[a.index],
    } as never);
  });
  // Custom <meta> children (name, sizes) make files other readers reject: only standard ones.
  const [nIn, nOut] = layer.shape;
  const description = `weightscope layer '${layer.name}': ${nIn} inputs × ${nOut} outputs, one edge per non-zero weight`;
  graph.replaceAttributes({ creator: 'weightscope', description } as never);
  return writeGexf(graph, { version: options.version ?? '1.2' });
}

export interface ExportResult {
  /** Paths written, in format order. */
  files: string[];
}

function checkGraphSize(layer: LayerRecord, format: string, allowLarge: boolean | undefined): void {
  const edges = countNonZero(layer.weights);
  if (edges > GRAPHOLOGY_EDGE_LIMIT && !allowLarge) {
    throw new UserError(
      `layer '${layer.name}' has ${edges} edges; ${format} export above ${GRAPHOLOGY_EDGE_LIMIT} edges needs --allow-large (allowLarge), or use csv`,
    );
  }
}

/**
 * Write the requested formats of one layer into `dir`:
 * `<name>.nodes.csv` + `<name>.edges.csv` (csv), `<name>.gexf`, `<name>.graphml`,
 * `<name>.stats.json` (json: `layerStats`), where `<name>` is `safeFileName(layer.name)`.
 */
export function exportLayer(layer: LayerRecord, dir: string, options: ExportOptions): ExportResult {
  const formats = [...new Set(options.formats)];
  if (formats.length === 0) throw new UserError(`no export format given (choose from ${EXPORT_FORMATS.join(', ')})`);
  for (const f of formats) {
    if (!(EXPORT_FORMATS as readonly string[]).includes(f)) {
      throw new UserError(`unknown export format '${f}' (choose from ${EXPORT_FORMATS.join(', ')})`);
    }
  }
  // Check sizes before writing anything, so a refused format leaves no partial export behind.
  for (const f of formats) if (f === 'gexf' || f === 'graphml') checkGraphSize(layer, f, options.allowLarge);
  const base = join(dir, safeFileName(layer.name));
  const units = unitStats(layer);
  const files: string[] = [];
  for (const f of formats) {
    if (f === 'csv') {
      writeChunksAtomic(`${base}.nodes.csv`, nodeCsvChunks(layer, units));
      writeChunksAtomic(`${base}.edges.csv`, edgeCsvChunks(layer));
      files.push(`${base}.nodes.csv`, `${base}.edges.csv`);
    } else if (f === 'gexf') {
      writeFileAtomic(`${base}.gexf`, layerToGexf(layer, { allowLarge: options.allowLarge, units }));
      files.push(`${base}.gexf`);
    } else if (f === 'graphml') {
      writeChunksAtomic(`${base}.graphml`, graphmlChunks(layer, units));
      files.push(`${base}.graphml`);
    } else if (f === 'npy') {
      writeFileAtomic(`${base}.npy`, encodeNpy(layer.weights, [...layer.shape]));
      files.push(`${base}.npy`);
    } else {
      writeJsonAtomic(`${base}.stats.json`, layerStats(layer));
      files.push(`${base}.stats.json`);
    }
  }
  return { files };
}
