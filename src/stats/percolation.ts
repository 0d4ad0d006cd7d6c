/**
 * Bond percolation of a layer under magnitude pruning, the whole curve in one pass
 * (Newman & Ziff 2001, Phys. Rev. E 64:016706; the same reverse process as igraph's
 * `igraph_edgelist_percolation` and graph-tool's `edge_percolation`).
 *
 * Pruning removes weights from the smallest |w| up. Run backwards, that is adding edges in order
 * of decreasing |w| to the empty graph on nIn + nOut nodes: after t additions the graph is the
 * layer pruned to its t largest-|w| edges. A union-find (Int32Array, union by size, path halving)
 * tracks the largest component and the number of components after every addition, so the curve
 * at every pruning level costs one sort plus O(E·α(N)).
 *
 * Nodes are all nIn + nOut units; a unit with no remaining edge is a component of size 1, so
 * with every edge removed there are nIn + nOut components and the largest has size 1.
 * Ties in |w| are broken by row-major position (the later slot is kept longer), so the
 * result is deterministic.
 */
import type { LayerRecord } from '../core/layer.js';
import { UserError } from '../core/errors.js';
import type { EdgeSign } from './structure.js';
import { magnitudeOrder, signedMagnitudeOrder } from './magnitude.js';

/** The non-zero weights sorted by increasing |w|, coded 2·index + sign bit (see signedMagnitudeOrder). */
function sortedSignedEdges(weights: Float32Array): Uint32Array {
  return signedMagnitudeOrder(weights, true);
}

/** Indices of the non-zero weights sorted by increasing |w|, ties in row-major order. */
export function sortByMagnitude(weights: Float32Array): Uint32Array {
  return magnitudeOrder(weights, { nonZeroOnly: true });
}

/** Smallest-first order of one subgraph's edges: a stable, sequential filter of the full order. */
function filterOrder(order: Uint32Array, sign: EdgeSign): Uint32Array {
  if (sign === 'all') return order;
  const want = sign === 'negative' ? 1 : 0;
  let n = 0;
  for (let t = 0; t < order.length; t++) if ((order[t] & 1) === want) n++;
  const out = new Uint32Array(n);
  for (let t = 0, k = 0; t < order.length; t++) if ((order[t] & 1) === want) out[k++] = order[t];
  return out;
}

export interface PercolationPoint {
  /** Fraction of this subgraph's edges removed (smallest |w| first). */
  fractionRemoved: number;
  /** Edges left. */
  edgesKept: number;
  /** Smallest |w| still kept (the pruning threshold); null when no edge is kept. */
  threshold: number | null;
  /** Size of the largest connected component (nodes), and as a fraction of nIn + nOut. */
  giant: number;
  giantFraction: number;
  /** Number of connected components, isolated units included. */
  components: number;
}

export interface CriticalEstimate {
  fractionRemoved: number;
  edgesKept: number;
  threshold: number | null;
}

/** Exact curve at every number of kept edges t = 0…E (typed arrays, not JSON). */
export interface FullCurve {
  /** giant[t], components[t]: after keeping the t largest-|w| edges. */
  giant: Int32Array;
  components: Int32Array;
  /** threshold[t] = |w| of the t-th largest edge (threshold[0] = +Infinity). */
  threshold: Float32Array;
}

export interface PercolationCurve {
  sign: EdgeSign;
  nodes: number;
  edges: number;
  /** The curve at `points` evenly spaced fractions removed, 0 … 1. */
  points: PercolationPoint[];
  /**
   * Critical fraction removed, two estimators (docs/statistics.md):
   * `susceptibility`: where χ = Σ_{non-giant components} s² / N peaks;
   * `largestJump`: where one edge (in the pruning direction, its removal) changes the giant most.
   */
  critical: { susceptibility: CriticalEstimate; largestJump: CriticalEstimate & { jump: number } };
  full?: FullCurve;
}

export interface PercolationOptions {
  /** Number of sample points, ≥ 2 (default 101: every 1%). */
  points?: number;
  /** Also return the exact curve at every edge count (default false). */
  full?: boolean;
}

function find(parent: Int32Array, x: number): number {
  while (parent[x] !== x) {
    parent[x] = parent[parent[x]]; // path halving
    x = parent[x];
  }
  return x;
}

function curveFromOrder(
  order: Uint32Array,
  layer: LayerRecord,
  sign: EdgeSign,
  opts: Required<PercolationOptions>,
): PercolationCurve {
  const [nIn, nOut] = layer.shape;
  const w = layer.weights;
  const N = nIn + nOut;
  const E = order.length;
  const parent = new Int32Array(N);
  const size = new Int32Array(N).fill(1);
  for (let v = 0; v < N; v++) parent[v] = v;
  // Sample targets as numbers of kept edges, in increasing t.
  const K = opts.points;
  const keptAt = Array.from({ length: K }, (_, k) => E - Math.round((k / (K - 1)) * E));
  const giantAt = new Map<number, number>();
  const compAt = new Map<number, number>();
  const full = opts.full
    ? { giant: new Int32Array(E + 1), components: new Int32Array(E + 1), threshold: new Float32Array(E + 1) }
    : undefined;
  let giant = N > 0 ? 1 : 0;
  let comps = N;
  let sumSq = N; // Σ s² over all components
  // χ = (Σ s² − S²_giant) / N is compared through its numerator (integers, exact): no division per edge
  let bestChi = -1, bestChiT = 0;
  const inverseNOut = 1 / nOut;
  let bestJump = -1, bestJumpT = 0;
  const record = (t: number): void => {
    giantAt.set(t, giant);
    compAt.set(t, comps);
    if (full) {
      full.giant[t] = giant;
      full.components[t] = comps;
    }
  };
  // Ascending distinct targets, visited with a cursor (cheaper than a Set lookup per edge).
  const targets = [...new Set(keptAt)].sort((x, y) => x - y);
  let next = targets[0] === 0 ? 1 : 0;
  if (full) full.threshold[0] = Infinity;
  record(0);
  for (let t = 1; t <= E; t++) {
    const k = order[E - t] >>> 1;
    // ⌊k / nOut⌋ by a multiplication, corrected where k·(1/nOut) rounds below an exact quotient
    let i = Math.floor(k * inverseNOut);
    if ((i + 1) * nOut <= k) i++;
    const a = find(parent, i);
    const b = find(parent, nIn + (k - i * nOut));
    const before = giant;
    if (a !== b) {
      const sa = size[a], sb = size[b];
      if (sa < sb) {
        parent[a] = b;
        size[b] = sa + sb;
      } else {
        parent[b] = a;
        size[a] = sa + sb;
      }
      sumSq += 2 * sa * sb;
      comps--;
      if (sa + sb > giant) giant = sa + sb;
    }
    // χ after t edges; the largest jump is between t−1 and t edges kept.
    const chi = sumSq - giant * giant;
    if (chi > bestChi) {
      bestChi = chi;
      bestChiT = t;
    }
    if (giant - before > bestJump) {
      bestJump = giant - before;
      bestJumpT = t;
    }
    if (full) {
      full.giant[t] = giant;
      full.components[t] = comps;
      full.threshold[t] = Math.abs(w[k]);
    } else if (next < targets.length && targets[next] === t) {
      record(t);
      next++;
    }
    if (comps === 1) {
      // Every unit is connected: no later edge merges anything, so the giant stays N, χ stays 0 and
      // no jump follows (neither estimate can move). A dense layer gets here after ~N·ln N of its edges.
      if (full) {
        for (let u = t + 1; u <= E; u++) {
          full.giant[u] = giant;
          full.components[u] = 1;
          full.threshold[u] = Math.abs(w[order[E - u] >>> 1]);
        }
      } else for (; next < targets.length; next++) record(targets[next]);
      break;
    }
  }
  const thresholdAt = (t: number): number | null => (t === 0 ? null : Math.abs(w[order[E - t] >>> 1]));
  const estimate = (t: number): CriticalEstimate => ({
    fractionRemoved: E > 0 ? (E - t) / E : 0,
    edgesKept: t,
    threshold: thresholdAt(t),
  });
  const points: PercolationPoint[] = keptAt.map((t, kk) => {
    const g = full ? full.giant[t] : giantAt.get(t)!;
    return {
      fractionRemoved: kk / (K - 1),
      edgesKept: t,
      threshold: thresholdAt(t),
      giant: g,
      giantFraction: g / N,
      components: full ? full.components[t] : compAt.get(t)!,
    };
  });
  const curve: PercolationCurve = {
    sign,
    nodes: N,
    edges: E,
    points,
    critical: {
      susceptibility: estimate(bestChiT),
      largestJump: { ...estimate(bestJumpT), jump: Math.max(0, bestJump) },
    },
  };
  if (full) curve.full = full;
  return curve;
}

/** Points beyond one per edge count add nothing; this many are always allowed (the default is 101). */
const MIN_POINTS_CAP = 1001;

function checkOptions(options: PercolationOptions, layer: LayerRecord): Required<PercolationOptions> {
  const points = options.points ?? 101;
  if (!Number.isInteger(points) || points < 2) throw new UserError(`percolation needs at least 2 integer points, got ${points}`);
  // Bound the curve's arrays by the layer's real size: a layer of m weights has m + 1 distinct points.
  const cap = Math.max(MIN_POINTS_CAP, layer.weights.length + 1);
  if (points > cap) throw new UserError(`percolation of layer '${layer.name}' takes at most ${cap} points (one per edge count), got ${points}`);
  return { points, full: options.full ?? false };
}

/** Percolation curve of one subgraph (positive, negative or all edges). */
export function percolation(layer: LayerRecord, sign: EdgeSign = 'all', options: PercolationOptions = {}): PercolationCurve {
  const opts = checkOptions(options, layer);
  const order = filterOrder(sortedSignedEdges(layer.weights), sign);
  return curveFromOrder(order, layer, sign, opts);
}

export interface PercolationBySign {
  all: PercolationCurve;
  positive: PercolationCurve;
  negative: PercolationCurve;
}

/** The three curves (whole layer, positive and negative subgraphs) from a single sort. */
export function percolationBySign(layer: LayerRecord, options: PercolationOptions = {}): PercolationBySign {
  const opts = checkOptions(options, layer);
  const order = sortedSignedEdges(layer.weights);
  return {
    all: curveFromOrder(order, layer, 'all', opts),
    positive: curveFromOrder(filterOrder(order, 'positive'), layer, 'positive', opts),
    negative: curveFromOrder(filterOrder(order, 'negative'), layer, 'negative', opts),
  };
}
