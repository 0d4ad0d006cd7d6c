/**
 * Dense layer ⇄ graphology signed bipartite graph. graphology is the public, interoperable form
 * (GEXF/GraphML export, the viewer); the hot loops work on typed arrays (see ./compact.ts).
 *
 * Nodes: `in:<i>` (side 'in') and `out:<j>` (side 'out'), with `layer`, `index` and, on output
 * units, `bias`. Edges: one per non-zero weight, directed in → out, keyed `in:<i>-out:<j>`, with
 * `weight` and `sign` (+1 / −1). Graph attributes carry `name`, `shape` and `activation`, so graphToLayer restores
 * the exact record, zeros (pruned slots) included.
 */
import { DirectedGraph } from 'graphology';
import { UserError } from '../core/errors.js';
import { countNonZero, type Activation, type LayerRecord } from '../core/layer.js';

export interface UnitAttributes {
  side: 'in' | 'out';
  layer: string;
  index: number;
  label: string;
  bias?: number;
}
export interface EdgeAttributes {
  weight: number;
  sign: 1 | -1;
}
export interface LayerGraphAttributes {
  name: string;
  shape: [number, number];
  activation?: Activation;
}
export type LayerGraph = DirectedGraph<UnitAttributes, EdgeAttributes, LayerGraphAttributes>;

/** Above this many edges, building a graphology graph needs `allowLarge` (≈300 bytes an edge). */
export const GRAPHOLOGY_EDGE_LIMIT = 2_000_000;
/** A JS Map, and so one graphology graph, holds at most 2^24 entries. */
export const GRAPHOLOGY_HARD_LIMIT = 2 ** 24;

export const inKey = (i: number): string => `in:${i}`;
export const outKey = (j: number): string => `out:${j}`;
/** Edge key of weight (i, j): fixed by the layer alone, so exports are byte-reproducible. */
export const edgeKey = (i: number, j: number): string => `in:${i}-out:${j}`;

export interface LayerToGraphOptions {
  /** Allow graphs above GRAPHOLOGY_EDGE_LIMIT edges (they take ~300 bytes an edge). */
  allowLarge?: boolean;
}

export function layerToGraph(layer: LayerRecord, options: LayerToGraphOptions = {}): LayerGraph {
  const [nIn, nOut] = layer.shape;
  const edges = countNonZero(layer.weights);
  if (edges >= GRAPHOLOGY_HARD_LIMIT) {
    throw new UserError(
      `layer '${layer.name}' has ${edges} non-zero weights; one graphology graph holds at most 2^24 edges: use the typed-array form (or prune first)`,
    );
  }
  if (edges > GRAPHOLOGY_EDGE_LIMIT && !options.allowLarge) {
    const mb = Math.round((edges * 300) / 1e6);
    throw new UserError(
      `layer '${layer.name}' has ${edges} edges; as a graphology graph it needs about ${mb} MB: pass --allow-large (allowLarge) to build it anyway`,
    );
  }
  const graph: LayerGraph = new DirectedGraph({ allowSelfLoops: false });
  graph.replaceAttributes({ name: layer.name, shape: [nIn, nOut], ...(layer.activation ? { activation: layer.activation } : {}) });
  for (let i = 0; i < nIn; i++) graph.addNode(inKey(i), { side: 'in', layer: layer.name, index: i, label: `${layer.name}/in/${i}` });
  for (let j = 0; j < nOut; j++) {
    const attrs: UnitAttributes = { side: 'out', layer: layer.name, index: j, label: `${layer.name}/out/${j}` };
    if (layer.bias) attrs.bias = layer.bias[j];
    graph.addNode(outKey(j), attrs);
  }
  const w = layer.weights;
  for (let i = 0; i < nIn; i++) {
    const row = i * nOut;
    const from = inKey(i);
    for (let j = 0; j < nOut; j++) {
      const x = w[row + j];
      if (x !== 0) graph.addDirectedEdgeWithKey(edgeKey(i, j), from, outKey(j), { weight: x, sign: x > 0 ? 1 : -1 });
    }
  }
  return graph;
}

/** Rebuild the exact layer record from a graph made by layerToGraph (or an edited copy of one). */
export function graphToLayer(graph: LayerGraph): LayerRecord {
  const attrs = graph.getAttributes();
  let shape = attrs.shape as [number, number] | undefined;
  if (!shape) {
    let maxIn = -1, maxOut = -1;
    graph.forEachNode((_k, a) => {
      if (a.side === 'in') maxIn = Math.max(maxIn, a.index);
      else maxOut = Math.max(maxOut, a.index);
    });
    shape = [maxIn + 1, maxOut + 1];
  }
  const [nIn, nOut] = shape;
  const weights = new Float32Array(nIn * nOut);
  let hasBias = false;
  const bias = new Float32Array(nOut);
  graph.forEachNode((key, a) => {
    if (a.side !== 'in' && a.side !== 'out') throw new UserError(`node '${key}' has no side 'in' or 'out'`);
    if (a.side === 'out' && typeof a.bias === 'number') {
      hasBias = true;
      bias[a.index] = a.bias;
    }
  });
  graph.forEachEdge((key, e, _s, _t, sa, ta) => {
    if (sa.side !== 'in' || ta.side !== 'out') throw new UserError(`edge '${key}' does not go from an input to an output unit`);
    if (!Number.isFinite(e.weight)) throw new UserError(`edge '${key}' has a non-finite weight`);
    weights[sa.index * nOut + ta.index] = e.weight;
  });
  return {
    name: attrs.name ?? 'layer',
    weights,
    shape: [nIn, nOut],
    bias: hasBias ? bias : null,
    ...(attrs.activation ? { activation: attrs.activation } : {}),
  };
}
