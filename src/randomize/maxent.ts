/**
 * `maxent` — maximum-entropy signed bipartite configuration model: the signed configuration
 * model of Gallo et al. 2024 ("Testing structural balance theories in heterogeneous signed
 * networks", Commun. Phys. 7:154) on the bipartite graph of a layer, as the BiCM (Saracco et al.
 * 2015, Sci. Rep. 5:10595) is the unsigned one.
 *
 * Every slot (i, j) is independently +, − or empty with
 *     P(+) = x⁺ᵢ y⁺ⱼ / Dᵢⱼ,  P(−) = x⁻ᵢ y⁻ⱼ / Dᵢⱼ,  P(0) = z / Dᵢⱼ,  Dᵢⱼ = z + x⁺ᵢ y⁺ⱼ + x⁻ᵢ y⁻ⱼ,
 * the distribution of maximum entropy whose EXPECTED k+ and k− of every input and output unit
 * equal the layer's (z = 1; z = 0 on the slots of a unit with no empty slot, e.g. every slot of a
 * dense layer, where the model is two-state: a full unit's fitnesses would diverge otherwise). The fitnesses x, y are fitted once by fixed-point iteration
 * (x⁺ᵢ ← k⁺ᵢ / Σⱼ y⁺ⱼ/Dᵢⱼ, the same for the other three families, alternating sides), O(nIn · nOut)
 * per iteration; sampling a null is one pass over the slots, O(nIn · nOut). A sampled edge's
 * weight is drawn uniformly, with replacement, from the layer's weights of the same sign (the
 * number of edges varies between samples, so the multiset cannot be kept exactly).
 * Degrees are preserved only on average; the sampled nulls are independent (no mixing).
 */
import type { LayerRecord } from '../core/layer.js';
import type { Rng } from '../core/rng.js';
import { signedDegrees } from '../graph/compact.js';
import { withWeights } from './common.js';

export interface MaxEntFit {
  /** The fitted layer's record without its weights' positions (name, shape, bias, activation). */
  layer: LayerRecord;
  nIn: number;
  nOut: number;
  xPos: Float64Array;
  xNeg: Float64Array;
  yPos: Float64Array;
  yNeg: Float64Array;
  /**
   * Weight of the empty state per unit: 1, or 0 for a unit with no empty slot (a full row or
   * column). Slot (i, j) uses zIn[i] · zOut[j], so a full unit never gets an empty slot: the exact
   * limit of its fitnesses going to infinity, which the iteration would only approach slowly.
   */
  zIn: Uint8Array;
  zOut: Uint8Array;
  posWeights: Float32Array;
  negWeights: Float32Array;
  iterations: number;
  /** Largest |expected − observed| degree over all units and both signs at the end of the fit. */
  maxError: number;
  converged: boolean;
}

export interface MaxEntFitOptions {
  /** Stop when every expected degree is within this of the observed one (default 1e-6). */
  tolerance?: number;
  /** Iteration cap (default 5000). */
  maxIterations?: number;
}

export interface ExpectedDegrees {
  inPos: Float64Array;
  inNeg: Float64Array;
  outPos: Float64Array;
  outNeg: Float64Array;
}

/** Expected k+ and k− of every unit under the fitted model. */
export function maxEntExpectedDegrees(fit: MaxEntFit): ExpectedDegrees {
  const { nIn, nOut, xPos, xNeg, yPos, yNeg, zIn, zOut } = fit;
  const e: ExpectedDegrees = {
    inPos: new Float64Array(nIn),
    inNeg: new Float64Array(nIn),
    outPos: new Float64Array(nOut),
    outNeg: new Float64Array(nOut),
  };
  for (let i = 0; i < nIn; i++) {
    for (let j = 0; j < nOut; j++) {
      const a = xPos[i] * yPos[j], b = xNeg[i] * yNeg[j], d = (zIn[i] & zOut[j]) + a + b;
      if (d === 0) continue;
      e.inPos[i] += a / d;
      e.inNeg[i] += b / d;
      e.outPos[j] += a / d;
      e.outNeg[j] += b / d;
    }
  }
  return e;
}

/** P(+) and P(−) of slot (i, j). */
export function maxEntSlotProbabilities(fit: MaxEntFit, i: number, j: number): { pos: number; neg: number } {
  const a = fit.xPos[i] * fit.yPos[j], b = fit.xNeg[i] * fit.yNeg[j], d = (fit.zIn[i] & fit.zOut[j]) + a + b;
  return d === 0 ? { pos: 0, neg: 0 } : { pos: a / d, neg: b / d };
}

/** One fixed-point half-step: update the fitnesses of one side given the other's. */
function updateSide(
  kPos: Uint32Array, kNeg: Uint32Array, xPos: Float64Array, xNeg: Float64Array,
  yPos: Float64Array, yNeg: Float64Array, zSelf: Uint8Array, zOther: Uint8Array,
): void {
  for (let i = 0; i < xPos.length; i++) {
    let sp = 0, sn = 0;
    const xp = xPos[i], xn = xNeg[i], zi = zSelf[i];
    for (let j = 0; j < yPos.length; j++) {
      const d = (zi & zOther[j]) + xp * yPos[j] + xn * yNeg[j];
      if (d === 0) continue;
      const inv = 1 / d;
      sp += yPos[j] * inv;
      sn += yNeg[j] * inv;
    }
    xPos[i] = kPos[i] === 0 ? 0 : kPos[i] / sp;
    xNeg[i] = kNeg[i] === 0 ? 0 : kNeg[i] / sn;
  }
}

/**
 * Fit the signed bipartite max-ent model to a layer (once; then sample many nulls cheaply with
 * sampleMaxEnt). Input units are rows, output units columns, as in the layer record.
 */
export function fitMaxEnt(layer: LayerRecord, options: MaxEntFitOptions = {}): MaxEntFit {
  const [nIn, nOut] = layer.shape;
  const w = layer.weights;
  const tolerance = options.tolerance ?? 1e-6;
  const maxIterations = options.maxIterations ?? 5000;
  const deg = signedDegrees(w, nIn, nOut);
  let ep = 0, en = 0;
  for (let i = 0; i < nIn; i++) { ep += deg.inPos[i]; en += deg.inNeg[i]; }
  const posWeights = new Float32Array(ep), negWeights = new Float32Array(en);
  for (let k = 0, p = 0, n = 0; k < w.length; k++) {
    if (w[k] > 0) posWeights[p++] = w[k];
    else if (w[k] < 0) negWeights[n++] = w[k];
  }
  const zIn = new Uint8Array(nIn), zOut = new Uint8Array(nOut);
  for (let i = 0; i < nIn; i++) zIn[i] = deg.inPos[i] + deg.inNeg[i] < nOut ? 1 : 0;
  for (let j = 0; j < nOut; j++) zOut[j] = deg.outPos[j] + deg.outNeg[j] < nIn ? 1 : 0;
  const init = (k: Uint32Array, total: number): Float64Array => {
    const x = new Float64Array(k.length);
    const s = Math.sqrt(total + 1);
    for (let i = 0; i < k.length; i++) x[i] = k[i] / s;
    return x;
  };
  const fit: MaxEntFit = {
    layer: withWeights(layer, new Float32Array(0)),
    nIn, nOut,
    xPos: init(deg.inPos, ep), xNeg: init(deg.inNeg, en),
    yPos: init(deg.outPos, ep), yNeg: init(deg.outNeg, en),
    zIn, zOut, posWeights, negWeights, iterations: 0, maxError: Infinity, converged: false,
  };
  const errorOf = (): number => {
    const e = maxEntExpectedDegrees(fit);
    let m = 0;
    for (let i = 0; i < nIn; i++) m = Math.max(m, Math.abs(e.inPos[i] - deg.inPos[i]), Math.abs(e.inNeg[i] - deg.inNeg[i]));
    for (let j = 0; j < nOut; j++) m = Math.max(m, Math.abs(e.outPos[j] - deg.outPos[j]), Math.abs(e.outNeg[j] - deg.outNeg[j]));
    return m;
  };
  while (fit.iterations < maxIterations) {
    updateSide(deg.inPos, deg.inNeg, fit.xPos, fit.xNeg, fit.yPos, fit.yNeg, zIn, zOut);
    updateSide(deg.outPos, deg.outNeg, fit.yPos, fit.yNeg, fit.xPos, fit.xNeg, zOut, zIn);
    fit.iterations++;
    // The error check costs as much as an iteration: do it every few.
    if (fit.iterations % 5 === 0 || fit.iterations === maxIterations) {
      fit.maxError = errorOf();
      if (fit.maxError <= tolerance) {
        fit.converged = true;
        break;
      }
    }
  }
  return fit;
}

/**
 * Sample one null layer from a fitted model: every slot independently +, − or empty with the
 * fitted probabilities, weights drawn with replacement from the same sign's observed weights.
 */
export function sampleMaxEnt(fit: MaxEntFit, rng: Rng): LayerRecord {
  const { nIn, nOut, xPos, xNeg, yPos, yNeg, zIn, zOut, posWeights, negWeights } = fit;
  const w = new Float32Array(nIn * nOut);
  const np = posWeights.length, nn = negWeights.length;
  for (let i = 0; i < nIn; i++) {
    const xp = xPos[i], xn = xNeg[i], zi = zIn[i], base = i * nOut;
    for (let j = 0; j < nOut; j++) {
      const a = xp * yPos[j], b = xn * yNeg[j], d = (zi & zOut[j]) + a + b;
      const u = rng.next() * d;
      if (u < a && np > 0) w[base + j] = posWeights[rng.int(np)];
      else if (u >= a && u < a + b && nn > 0) w[base + j] = negWeights[rng.int(nn)];
    }
  }
  return withWeights(fit.layer, w);
}

/** Fit and draw one null (fit once with fitMaxEnt to draw many). */
export function maxEnt(layer: LayerRecord, rng: Rng): LayerRecord {
  return sampleMaxEnt(fitMaxEnt(layer), rng);
}
