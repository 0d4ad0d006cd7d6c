/**
 * A dense layer as the graph the viewer draws: units `in:<i>` / `out:<j>` (the keys of
 * src/graph), the strongest non-zero weights as edges, colours and widths precomputed from a
 * few quantized |w| levels so that sigma needs no per-edge reducer, and edges sorted by |w| so a
 * threshold is a prefix of that order (moving the slider touches only the edges in between).
 */
import { UndirectedGraph } from 'graphology';
import type { LayerRecord } from '../../src/core/layer.js';
import { inKey, outKey } from '../../src/graph/convert.js';
import { sortByMagnitude } from '../../src/stats/percolation.js';

export interface NodeAttrs {
  x: number;
  y: number;
  size: number;
  color: string;
  label: string;
  side: 'in' | 'out';
  index: number;
  highlighted?: boolean;
  hidden?: boolean;
  forceLabel?: boolean;
}
export interface EdgeAttrs {
  weight: number;
  absw: number;
  size: number;
  color: string;
  hidden?: boolean;
  /** Not in the highlighted set the model carries (e.g. not part of its circuit): drawn grey. */
  muted?: boolean;
}
export type ViewGraph = UndirectedGraph<NodeAttrs, EdgeAttrs>;

export interface DisplayGraph {
  graph: ViewGraph;
  /** Edge keys, strongest |w| first. */
  order: string[];
  /** |w| of `order`, non-increasing. */
  absSorted: Float32Array;
  /** Non-zero weights in the layer. */
  nonZero: number;
  /** Largest |w| of the layer (scale of colours and of the slider). */
  maxAbs: number;
  /** Drawn size of input and output units. */
  baseSizes: { in: number; out: number };
}

export const COLORS = {
  positive: [37, 99, 235] as const, // blue
  negative: [220, 38, 38] as const, // red
  input: '#64748b',
  output: '#0f172a',
  highlightPos: '#1d4ed8',
  highlightNeg: '#b91c1c',
  muted: [148, 163, 184] as const, // slate grey: edges outside a highlighted set
};

/** Number of |w| levels for colour and width: enough to read, few enough to precompute. */
export const LEVELS = 16;
const POS_COLORS: string[] = [];
const NEG_COLORS: string[] = [];
const MUTED_COLORS: string[] = [];
const SIZES: number[] = [];
/**
 * Opaque colours pre-blended on white: sigma v3 blends with premultiplied alpha while its shaders
 * emit straight alpha, so translucent edge colours come out wrong (and vanish in software GL).
 * Weak edges are drawn first and strong ones on top, which is what the opacity was for.
 */
const onWhite = (rgb: readonly number[], a: number): string =>
  `rgb(${rgb.map((c) => Math.round(255 + (c - 255) * a)).join(',')})`;
for (let l = 0; l < LEVELS; l++) {
  const t = (l + 1) / LEVELS;
  const alpha = 0.12 + 0.88 * t * Math.sqrt(t);
  POS_COLORS.push(onWhite(COLORS.positive, alpha));
  NEG_COLORS.push(onWhite(COLORS.negative, alpha));
  MUTED_COLORS.push(onWhite(COLORS.muted, 0.5 * alpha));
  // ≥ 1 px: thinner quads rasterize with gaps (software GL) and vanish.
  SIZES.push(1 + 2 * t * t);
}

export function edgeStyle(w: number, maxAbs: number, muted = false): { color: string; size: number } {
  const level = Math.min(LEVELS - 1, Math.floor((Math.abs(w) / (maxAbs || 1)) * LEVELS));
  if (muted) return { color: MUTED_COLORS[level], size: 1 };
  return { color: w > 0 ? POS_COLORS[level] : NEG_COLORS[level], size: SIZES[level] };
}

export type LayoutKind = 'bipartite' | 'fa2';

/** x, y of every unit: inputs first (nIn), then outputs (nOut). */
export type Positions = Float32Array;

/**
 * Inputs on the left, outputs on the right, both spread over the same height. A 784-input layer
 * (an MNIST image) puts its inputs on the 28×28 pixel grid, so receptive fields read as images.
 */
export function bipartitePositions(nIn: number, nOut: number): Positions {
  const p = new Float32Array(2 * (nIn + nOut));
  const side = Math.round(Math.sqrt(nIn));
  const grid = nIn >= 400 && side * side === nIn;
  for (let i = 0; i < nIn; i++) {
    if (grid) {
      const r = Math.floor(i / side), c = i % side;
      p[2 * i] = (c / (side - 1)) * 100;
      p[2 * i + 1] = 100 - (r / (side - 1)) * 100;
    } else {
      p[2 * i] = 0;
      p[2 * i + 1] = nIn === 1 ? 50 : 100 - (i / (nIn - 1)) * 100;
    }
  }
  const xOut = grid ? 190 : 240;
  for (let j = 0; j < nOut; j++) {
    const k = nIn + j;
    p[2 * k] = xOut;
    p[2 * k + 1] = nOut === 1 ? 50 : 100 - (j / (nOut - 1)) * 100;
  }
  return p;
}

function nodeSize(n: number): number {
  return Math.max(1.5, Math.min(7, 160 / Math.sqrt(n * 40)));
}

/** Indices of the non-zero weights, strongest |w| first (the library's percolation order, reversed). */
export function strongestFirst(weights: Float32Array): Uint32Array {
  return sortByMagnitude(weights).reverse();
}

/**
 * The drawable graph of a layer: all units, the `cap` strongest edges. With `highlight` (flat
 * indices i·nOut + j, e.g. the edges of a circuit `weightscope compare` found), the other edges are
 * drawn grey and thin.
 */
export function buildDisplayGraph(layer: LayerRecord, positions: Positions, cap: number, highlight?: ReadonlySet<number> | null): DisplayGraph {
  const [nIn, nOut] = layer.shape;
  const w = layer.weights;
  const graph: ViewGraph = new UndirectedGraph<NodeAttrs, EdgeAttrs>({ allowSelfLoops: false, type: 'undirected' });
  const inSize = nodeSize(nIn), outSize = nodeSize(nOut) * 1.4;
  for (let i = 0; i < nIn; i++) {
    graph.addNode(inKey(i), { x: positions[2 * i], y: positions[2 * i + 1], size: inSize, color: COLORS.input, label: inKey(i), side: 'in', index: i });
  }
  for (let j = 0; j < nOut; j++) {
    const k = nIn + j;
    graph.addNode(outKey(j), {
      x: positions[2 * k], y: positions[2 * k + 1], size: outSize, color: COLORS.output, label: outKey(j), side: 'out', index: j,
    });
  }
  const ranked = strongestFirst(w);
  const shown = Math.min(cap, ranked.length);
  let maxAbs = 0;
  for (let k = 0; k < w.length; k++) maxAbs = Math.max(maxAbs, Math.abs(w[k]));
  const order: string[] = new Array(shown);
  const absSorted = new Float32Array(shown);
  // Insert weakest first so that the strongest edges are painted on top.
  for (let t = shown - 1; t >= 0; t--) {
    const flat = ranked[t];
    const i = Math.floor(flat / nOut), j = flat - i * nOut;
    const x = w[flat];
    const key = `e${flat}`;
    const muted = highlight ? !highlight.has(flat) : false;
    const style = edgeStyle(x, maxAbs, muted);
    graph.addUndirectedEdgeWithKey(key, inKey(i), outKey(j), { weight: x, absw: Math.abs(x), size: style.size, color: style.color, ...(muted ? { muted } : {}) });
    order[t] = key;
    absSorted[t] = Math.abs(x);
  }
  return { graph, order, absSorted, nonZero: ranked.length, maxAbs, baseSizes: { in: inSize, out: outSize } };
}

/** How many entries of a non-increasing array are ≥ t (binary search). */
export function countAtLeast(absSorted: Float32Array, t: number): number {
  let lo = 0, hi = absSorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (absSorted[mid] >= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Flat index i·nOut + j of an edge key made by buildDisplayGraph. */
export function edgeFlatIndex(key: string): number {
  return Number(key.slice(1));
}
