/**
 * Bipartite structure of a layer: degree assortativity and nestedness (NODF), on the positive
 * edges, the negative edges, or all non-zero edges. Typed-array kernels; no graph is built.
 */
import type { LayerRecord } from '../core/layer.js';
import { spectralKernel } from './spectral-kernel.js';

/** Which edges form the (sub)graph: w > 0, w < 0, or w ≠ 0. */
export type EdgeSign = 'positive' | 'negative' | 'all';
export const EDGE_SIGNS: readonly EdgeSign[] = ['positive', 'negative', 'all'];

function selector(sign: EdgeSign): (x: number) => boolean {
  if (sign === 'positive') return (x) => x > 0;
  if (sign === 'negative') return (x) => x < 0;
  return (x) => x !== 0;
}

/** Degrees of input and output units within the chosen subgraph. */
export function subgraphDegrees(layer: LayerRecord, sign: EdgeSign): { in: Uint32Array; out: Uint32Array; edges: number } {
  const [nIn, nOut] = layer.shape;
  const w = layer.weights;
  const kIn = new Uint32Array(nIn);
  const kOut = new Uint32Array(nOut);
  let edges = 0;
  // one loop per sign: V8 inlines a comparison, not a closure chosen at run time
  const rows = (test: (x: number) => number): void => {
    for (let i = 0; i < nIn; i++) {
      const row = i * nOut;
      let k = 0;
      for (let j = 0; j < nOut; j++) {
        const b = test(w[row + j]);
        k += b;
        kOut[j] += b;
      }
      kIn[i] = k;
      edges += k;
    }
  };
  if (sign === 'positive') rows((x) => +(x > 0));
  else if (sign === 'negative') rows((x) => +(x < 0));
  else rows((x) => +(x !== 0));
  return { in: kIn, out: kOut, edges };
}

/**
 * Degree assortativity of the directed bipartite graph: the Pearson correlation, over the edges
 * i → j of the subgraph, of the input unit's degree k_i and the output unit's degree k_j (both
 * counted in the same subgraph). That is networkx's
 * `degree_pearson_correlation_coefficient(G, x='out', y='in')` on the in → out DiGraph.
 * NaN (JSON null) when either end has zero variance, e.g. every unit of a dense unpruned layer
 * has the same total degree.
 */
export function degreeAssortativity(layer: LayerRecord, sign: EdgeSign = 'all'): number {
  const { in: kIn, out: kOut, edges } = subgraphDegrees(layer, sign);
  if (edges < 2) return NaN;
  const [nIn, nOut] = layer.shape;
  // Means over edges: each input unit contributes its degree once per edge it has.
  let sx = 0, sy = 0;
  for (let i = 0; i < nIn; i++) sx += kIn[i] * kIn[i];
  for (let j = 0; j < nOut; j++) sy += kOut[j] * kOut[j];
  const mx = sx / edges, my = sy / edges;
  let vx = 0, vy = 0;
  for (let i = 0; i < nIn; i++) vx += kIn[i] * (kIn[i] - mx) * (kIn[i] - mx);
  for (let j = 0; j < nOut; j++) vy += kOut[j] * (kOut[j] - my) * (kOut[j] - my);
  if (!(vx > 0) || !(vy > 0)) return NaN;
  const w = layer.weights;
  const dy = new Float64Array(nOut);
  for (let j = 0; j < nOut; j++) dy[j] = kOut[j] - my;
  let cov = 0;
  // s += dy[j]·[w in the subgraph]: adding dy·0 = ±0 leaves s as it was, so this is the branchy sum, bit for bit, without the mispredicted branches of random signs
  const rows = (test: (x: number) => number): void => {
    for (let i = 0; i < nIn; i++) {
      const row = i * nOut;
      let s = 0;
      for (let j = 0; j < nOut; j++) s += dy[j] * test(w[row + j]);
      cov += (kIn[i] - mx) * s;
    }
  };
  if (sign === 'positive') rows((x) => +(x > 0));
  else if (sign === 'negative') rows((x) => +(x < 0));
  else rows((x) => +(x !== 0));
  return cov / Math.sqrt(vx * vy);
}

export interface AssortativityBySign {
  positive: number;
  negative: number;
  all: number;
}

/**
 * The three assortativities at once from the signed degrees (k+, k−; k = k+ + k−) in a single
 * pass over the weights: what layerStats uses on large layers.
 */
export function assortativityFromDegrees(
  layer: LayerRecord,
  degrees: { in: { kPlus: Uint32Array; kMinus: Uint32Array }; out: { kPlus: Uint32Array; kMinus: Uint32Array } },
): AssortativityBySign {
  const [nIn, nOut] = layer.shape;
  const w = layer.weights;
  const kAllIn = new Float64Array(nIn), kAllOut = new Float64Array(nOut);
  for (let i = 0; i < nIn; i++) kAllIn[i] = degrees.in.kPlus[i] + degrees.in.kMinus[i];
  for (let j = 0; j < nOut; j++) kAllOut[j] = degrees.out.kPlus[j] + degrees.out.kMinus[j];
  // Per subgraph: edge-weighted means and variances of each end's degree (no pass over weights).
  const moments = (kIn: ArrayLike<number>, kOut: ArrayLike<number>) => {
    let e = 0, sx = 0, sy = 0;
    for (let i = 0; i < nIn; i++) { e += kIn[i]; sx += kIn[i] * kIn[i]; }
    for (let j = 0; j < nOut; j++) sy += kOut[j] * kOut[j];
    const mx = sx / e, my = sy / e;
    let vx = 0, vy = 0;
    for (let i = 0; i < nIn; i++) vx += kIn[i] * (kIn[i] - mx) ** 2;
    for (let j = 0; j < nOut; j++) vy += kOut[j] * (kOut[j] - my) ** 2;
    const dy = new Float64Array(nOut);
    for (let j = 0; j < nOut; j++) dy[j] = kOut[j] - my;
    return { e, mx, vx, vy, dy };
  };
  const P = moments(degrees.in.kPlus, degrees.out.kPlus);
  const M = moments(degrees.in.kMinus, degrees.out.kMinus);
  const A = moments(kAllIn, kAllOut);
  let covP = 0, covM = 0, covA = 0;
  for (let i = 0; i < nIn; i++) {
    const row = i * nOut;
    let sp = 0, sm = 0, sa = 0;
    for (let j = 0; j < nOut; j++) {
      const x = w[row + j];
      if (x > 0) {
        sp += P.dy[j];
        sa += A.dy[j];
      } else if (x < 0) {
        sm += M.dy[j];
        sa += A.dy[j];
      }
    }
    covP += (degrees.in.kPlus[i] - P.mx) * sp;
    covM += (degrees.in.kMinus[i] - M.mx) * sm;
    covA += (kAllIn[i] - A.mx) * sa;
  }
  const r = (m: { e: number; vx: number; vy: number }, cov: number): number =>
    m.e >= 2 && m.vx > 0 && m.vy > 0 ? cov / Math.sqrt(m.vx * m.vy) : NaN;
  return { positive: r(P, covP), negative: r(M, covM), all: r(A, covA) };
}

export function assortativity(layer: LayerRecord): AssortativityBySign {
  return {
    positive: degreeAssortativity(layer, 'positive'),
    negative: degreeAssortativity(layer, 'negative'),
    all: degreeAssortativity(layer, 'all'),
  };
}

function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/**
 * Σ over unordered pairs of rows of N_paired = 100·|overlap| / min(fill) when the fills differ
 * (0 when they are equal or the smaller is empty). Rows are bitsets of `words` 32-bit words.
 */
function pairedSum(bits: Int32Array, fill: Uint32Array, words: number): number {
  const n = fill.length;
  // Visit rows in decreasing fill so "upper row" of the pair is always the one with more ones.
  const order = Array.from({ length: n }, (_, r) => r).sort((a, b) => fill[b] - fill[a] || a - b);
  const kernel = words % 4 === 0 ? spectralKernel() : null;
  if (kernel) {
    // The same sum in the same order, with 128-bit popcounts (spectral-kernel.ts, `overlaps`), on
    // the rows copied in visiting order so that the kernel reads them one after the other.
    const FILL = bits.byteLength, OUT = Math.ceil((FILL + 4 * n) / 8) * 8;
    kernel.reserve(OUT + 8);
    const buf = kernel.memory.buffer;
    const sorted = new Int32Array(buf, 0, bits.length);
    const sortedFill = new Uint32Array(buf, FILL, n);
    for (let a = 0; a < n; a++) {
      sorted.set(bits.subarray(order[a] * words, (order[a] + 1) * words), a * words);
      sortedFill[a] = fill[order[a]];
    }
    kernel.overlaps(0, words, n, FILL, OUT);
    return new Float64Array(buf, OUT, 1)[0];
  }
  let total = 0;
  for (let a = 0; a < n; a++) {
    const ra = order[a];
    const fa = fill[ra];
    const baseA = ra * words;
    for (let b = a + 1; b < n; b++) {
      const rb = order[b];
      const fb = fill[rb];
      if (fb === 0) break; // every later row is empty too
      if (fb === fa) continue; // decreasing fill fails: N_paired = 0
      const baseB = rb * words;
      let overlap = 0;
      let k = 0;
      // Two words at a time: their 4-bit partial counts (≤ 8) still fit before the byte fold.
      for (; k + 1 < words; k += 2) {
        let x = bits[baseA + k] & bits[baseB + k];
        let y = bits[baseA + k + 1] & bits[baseB + k + 1];
        x = x - ((x >>> 1) & 0x55555555);
        y = y - ((y >>> 1) & 0x55555555);
        x = (x & 0x33333333) + ((x >>> 2) & 0x33333333) + (y & 0x33333333) + ((y >>> 2) & 0x33333333);
        x = (x & 0x0f0f0f0f) + ((x >>> 4) & 0x0f0f0f0f);
        overlap += Math.imul(x, 0x01010101) >>> 24;
      }
      if (k < words) overlap += popcount32(bits[baseA + k] & bits[baseB + k]);
      total += (100 * overlap) / fb;
    }
  }
  return total;
}

export interface Nodf {
  /** NODF of the whole matrix, 0–100. */
  nodf: number;
  /** NODF among rows (input units) and among columns (output units). */
  rows: number;
  columns: number;
  /** Size and number of ones of the incidence matrix. */
  nRows: number;
  nColumns: number;
  fill: number;
}

/**
 * Nestedness NODF (Almeida-Neto et al. 2008, Oikos 117:1227) of the incidence matrix of the
 * chosen edges (rows = input units, columns = output units). Order-independent form (vegan's
 * `nestednodf(order = TRUE)`): for every pair of rows (and of columns), the one with more ones
 * is the upper; N_paired = 100·overlap / (ones of the lower) if the fills differ, else 0; NODF is
 * the mean over all C(nIn,2) + C(nOut,2) pairs. Overlaps are popcounts of ANDed bitsets:
 * O((nIn²·nOut + nOut²·nIn) / 32) word operations.
 */
export function nodf(layer: LayerRecord, sign: EdgeSign = 'positive'): Nodf {
  const [nIn, nOut] = layer.shape;
  const w = layer.weights;
  const keep = selector(sign);
  // Rows padded to whole 128-bit words where the kernel can take them (zero bits change no overlap).
  const pad = spectralKernel() ? 4 : 1;
  const rowWords = Math.ceil(((nOut + 31) >>> 5) / pad) * pad;
  const colWords = Math.ceil(((nIn + 31) >>> 5) / pad) * pad;
  const rowBits = new Int32Array(nIn * rowWords);
  const colBits = new Int32Array(nOut * colWords);
  const rowFill = new Uint32Array(nIn);
  const colFill = new Uint32Array(nOut);
  let fill = 0;
  for (let i = 0; i < nIn; i++) {
    const row = i * nOut;
    const rb = i * rowWords;
    const cw = i >>> 5, cbit = 1 << (i & 31);
    for (let j = 0; j < nOut; j++) {
      if (!keep(w[row + j])) continue;
      rowBits[rb + (j >>> 5)] |= 1 << (j & 31);
      colBits[j * colWords + cw] |= cbit;
      rowFill[i]++;
      colFill[j]++;
      fill++;
    }
  }
  const rowPairs = (nIn * (nIn - 1)) / 2;
  const colPairs = (nOut * (nOut - 1)) / 2;
  const rowSum = pairedSum(rowBits, rowFill, rowWords);
  const colSum = pairedSum(colBits, colFill, colWords);
  const pairs = rowPairs + colPairs;
  return {
    nodf: pairs > 0 ? (rowSum + colSum) / pairs : NaN,
    rows: rowPairs > 0 ? rowSum / rowPairs : NaN,
    columns: colPairs > 0 ? colSum / colPairs : NaN,
    nRows: nIn,
    nColumns: nOut,
    fill,
  };
}
