/**
 * Signed degrees and strengths of a dense layer seen as a bipartite graph, and the layer's
 * weight summary. One pass over the row-major weights; no graph is built.
 */
import type { LayerRecord } from '../core/layer.js';

/** Per-unit signed degrees and strengths of one side of the layer (typed arrays, not JSON). */
export interface SideStats {
  /** k+: number of positive edges at each unit. */
  kPlus: Uint32Array;
  /** k−: number of negative edges at each unit. */
  kMinus: Uint32Array;
  /** s+: sum of the positive weights at each unit. */
  sPlus: Float64Array;
  /** s−: sum of |w| over the negative weights at each unit (≥ 0). */
  sMinus: Float64Array;
  /** (k+ − k−) / (k+ + k−); NaN for a unit with no edges. */
  imbalance: Float64Array;
}

export interface UnitStats {
  /** Input units (rows of the weight matrix), length nIn. */
  in: SideStats;
  /** Output units (columns), length nOut. */
  out: SideStats;
}

function emptySide(n: number): SideStats {
  return {
    kPlus: new Uint32Array(n),
    kMinus: new Uint32Array(n),
    sPlus: new Float64Array(n),
    sMinus: new Float64Array(n),
    imbalance: new Float64Array(n),
  };
}

function fillImbalance(s: SideStats): void {
  for (let u = 0; u < s.kPlus.length; u++) {
    const k = s.kPlus[u] + s.kMinus[u];
    s.imbalance[u] = k === 0 ? NaN : (s.kPlus[u] - s.kMinus[u]) / k;
  }
}

/** k+, k−, s+, s− and sign imbalance of every input and output unit. O(nIn·nOut). */
export function unitStats(layer: LayerRecord): UnitStats {
  const [nIn, nOut] = layer.shape;
  const w = layer.weights;
  const inS = emptySide(nIn);
  const outS = emptySide(nOut);
  const okp = outS.kPlus, okm = outS.kMinus, osp = outS.sPlus, osm = outS.sMinus;
  for (let i = 0; i < nIn; i++) {
    const row = i * nOut;
    let kp = 0, km = 0, sp = 0, sm = 0;
    for (let j = 0; j < nOut; j++) {
      const x = w[row + j];
      if (x > 0) {
        kp++;
        sp += x;
        okp[j]++;
        osp[j] += x;
      } else if (x < 0) {
        km++;
        sm -= x;
        okm[j]++;
        osm[j] -= x;
      }
    }
    inS.kPlus[i] = kp;
    inS.kMinus[i] = km;
    inS.sPlus[i] = sp;
    inS.sMinus[i] = sm;
  }
  fillImbalance(inS);
  fillImbalance(outS);
  return { in: inS, out: outS };
}

/** Whole-layer weight summary (plain JSON). */
export interface WeightSummary {
  nIn: number;
  nOut: number;
  /** nIn·nOut: the number of weight slots. */
  nWeights: number;
  /** Non-zero weights (edges). */
  nEdges: number;
  nPositive: number;
  nNegative: number;
  /** nEdges / (nIn·nOut). */
  density: number;
  /** nPositive / nEdges (NaN without edges). */
  fractionPositive: number;
  /** Mean of all weights (zeros included). */
  mean: number;
  /** σ(w): population standard deviation of all weights, zeros included. */
  sd: number;
  /** Mean and population standard deviation of the non-zero weights only. */
  meanNonZero: number;
  sdNonZero: number;
  /** Mean |w| over all slots, and over the edges only. */
  meanAbs: number;
  meanAbsNonZero: number;
  min: number;
  max: number;
}

/** Two passes over the weights (sums and extremes, then squared deviations). */
export function weightSummary(layer: LayerRecord): WeightSummary {
  const [nIn, nOut] = layer.shape;
  const w = layer.weights;
  const n = w.length;
  let nPos = 0, nNeg = 0, sum = 0, sumAbs = 0, min = Infinity, max = -Infinity;
  for (let k = 0; k < n; k++) {
    const x = w[k];
    if (x > 0) {
      nPos++;
      sum += x;
      sumAbs += x;
    } else if (x < 0) {
      nNeg++;
      sum += x;
      sumAbs -= x;
    }
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const nEdges = nPos + nNeg;
  const mean = sum / n;
  const meanNZ = nEdges > 0 ? sum / nEdges : NaN;
  let ssAll = 0, ssNZ = 0;
  for (let k = 0; k < n; k++) {
    const x = w[k];
    if (x !== 0) {
      const d = x - meanNZ;
      ssNZ += d * d;
    }
    const e = x - mean;
    ssAll += e * e;
  }
  return {
    nIn,
    nOut,
    nWeights: n,
    nEdges,
    nPositive: nPos,
    nNegative: nNeg,
    density: nEdges / n,
    fractionPositive: nEdges > 0 ? nPos / nEdges : NaN,
    mean,
    sd: Math.sqrt(ssAll / n),
    meanNonZero: meanNZ,
    sdNonZero: nEdges > 0 ? Math.sqrt(ssNZ / nEdges) : NaN,
    meanAbs: sumAbs / n,
    meanAbsNonZero: nEdges > 0 ? sumAbs / nEdges : NaN,
    min,
    max,
  };
}
