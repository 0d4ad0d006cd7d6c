/**
 * Degree-preserving double-edge swaps on the signed three-state matrix (+, −, 0 = no edge).
 *
 * A swap picks two edges of the same sign x at slots (u1, v1) and (u2, v2) and looks at the
 * crossing slots (u1, v2) and (u2, v1). If both crossing slots hold the same state y ≠ x (the
 * other sign, or both empty), the 2×2 checkerboard is flipped:
 *
 *     x y      y x
 *     y x  →   x y
 *
 * Every row and column keeps its number of +, of − and of empty slots, so every unit keeps k+ and
 * k−; an edge never lands on a slot of the same sign (no multi-edges) and a slot never holds two
 * signs. Weights travel inside their row: the x edge of input unit u1 moves from output v1 to v2
 * with its weight, the y entry of u1 moves from v2 to v1 (so each input unit also keeps its
 * multiset of outgoing weights).
 *
 * The loops run on a byte-per-slot sign array (graph/compact.ts `slotSign`), the dense weights
 * (touched only by accepted swaps), a per-sign list of edge slots and a slot → list-position
 * index: O(1) per attempt, no allocation in the loop.
 */
import type { LayerRecord } from '../core/layer.js';
import type { Rng } from '../core/rng.js';
import { checkSteps, checkWeightMode, redrawBySign, withWeights, type RandomizeOptions } from './common.js';
import { defaultSwapSteps } from './steps.js';
import { slotSign } from '../graph/compact.js';

export interface SwapStats {
  attempted: number;
  accepted: number;
}

/**
 * The reference study's G kernel, in place on `w` (row-major [nIn, nOut]).
 *
 * Two distinct positive edges are drawn uniformly; the swap (u1,v1),(u2,v2) → (u1,v2),(u2,v1) is
 * rejected if a new edge already exists (positive) or lands on a pruned slot (zero). So it is
 * accepted exactly when both crossing slots are negative, and the negative edges there take the
 * two vacated slots: a {+, −} checkerboard flip, which keeps every unit's k+ AND k−.
 * Stops after `attempts` draws or `maxAccepted` accepted swaps, whichever comes first (the
 * reference: 10·E+ draws, stop at E+ accepted).
 */
export function swapGKernel(
  w: Float32Array,
  nIn: number,
  nOut: number,
  rng: Rng,
  attempts: number,
  maxAccepted: number,
): SwapStats {
  let ep = 0;
  for (let k = 0; k < w.length; k++) if (w[k] > 0) ep++;
  const list = new Uint32Array(ep);
  for (let k = 0, n = 0; k < w.length; k++) if (w[k] > 0) list[n++] = k;
  let attempted = 0, accepted = 0;
  if (ep < 2 || nIn < 2 || nOut < 2) return { attempted, accepted };
  for (; attempted < attempts && accepted < maxAccepted; attempted++) {
    const a = rng.int(ep);
    let b = rng.int(ep - 1);
    if (b >= a) b++;
    const s1 = list[a], s2 = list[b];
    const u1 = (s1 / nOut) | 0, u2 = (s2 / nOut) | 0;
    const v1 = s1 - u1 * nOut, v2 = s2 - u2 * nOut;
    const c1 = u1 * nOut + v2, c2 = u2 * nOut + v1;
    // Same row or column makes a crossing slot one of the two edges (positive): rejected here too.
    if (!(w[c1] < 0 && w[c2] < 0)) continue;
    let t = w[s1]; w[s1] = w[c1]; w[c1] = t;
    t = w[s2]; w[s2] = w[c2]; w[c2] = t;
    list[a] = c1;
    list[b] = c2;
    accepted++;
  }
  return { attempted, accepted };
}

/**
 * G — the reference study's double-edge swaps on the positive edges. Preserves every unit's k+
 * and k− on both sides (see swapGKernel), the topology of non-zero slots (nothing moves onto a
 * pruned slot), the multisets of positive and of negative weights, and each input unit's
 * multiset of outgoing weights. Swaps: `steps` attempts (default 10·E+, as the reference), stopping
 * once E+ swaps were accepted (the reference's cap). O(1) per attempt.
 *
 * Differences from the reference code (`positive_edge_switching_algorithm`, sparse version), on
 * purpose: (1) it also rejects swaps where the index of an input unit equals that of an output
 * unit (`u1 != v2`, a self-loop test that is meaningless on a bipartite graph with per-side
 * indices); we do not. (2) It refills the vacated positive slots with the first m negative
 * weights of its edge list, dropping the m displaced ones; we move the displaced negative weights
 * into the vacated slots (same row), so the negative multiset is kept exactly. Reference:
 * Jankowski et al. 2025 (arXiv 2508.05463); the swap is Maslov & Sneppen 2002's.
 */
export function swapG(layer: LayerRecord, rng: Rng, options: RandomizeOptions = {}): LayerRecord {
  const [nIn, nOut] = layer.shape;
  const w = layer.weights.slice();
  let ep = 0;
  for (let k = 0; k < w.length; k++) if (w[k] > 0) ep++;
  const attempts = checkSteps(options.steps, 'G') ?? 10 * ep;
  swapGKernel(w, nIn, nOut, rng, attempts, ep);
  if (checkWeightMode(options.weights) === 'redraw') redrawBySign(w, rng);
  return withWeights(layer, w);
}

/**
 * The signed double-edge swap kernel, in place on `w`: `attempts` proposals.
 *
 * Proposal: the first edge uniformly among all E = E+ + E− edges, the second uniformly among the
 * other edges of the same sign; accepted iff both crossing slots hold the same state y ≠ x (the
 * other sign or both empty). Every move has the same proposal probability as its reverse (E+ and
 * E− never change), so the chain's stationary distribution is uniform over the three-state
 * matrices with the given k+ and k− of every row and column that the moves reach.
 */
export function signedSwapKernel(w: Float32Array, nIn: number, nOut: number, rng: Rng, attempts: number): SwapStats {
  // The sign of every slot in one byte: the checks touch 1 byte a slot instead of a float.
  const state = slotSign(w);
  let ep = 0, en = 0;
  for (let k = 0; k < state.length; k++) {
    if (state[k] > 0) ep++;
    else if (state[k] < 0) en++;
  }
  const pos = new Uint32Array(ep), neg = new Uint32Array(en);
  const where = new Int32Array(w.length); // slot → its position in pos or neg
  for (let k = 0, p = 0, n = 0; k < state.length; k++) {
    if (state[k] > 0) { pos[p] = k; where[k] = p++; }
    else if (state[k] < 0) { neg[n] = k; where[k] = n++; }
  }
  const e = ep + en;
  let accepted = 0;
  if (e < 2 || nIn < 2 || nOut < 2) return { attempted: 0, accepted };
  for (let t = 0; t < attempts; t++) {
    const r = rng.int(e);
    let list: Uint32Array, m: number, a: number, x: number;
    if (r < ep) { list = pos; m = ep; a = r; x = 1; }
    else { list = neg; m = en; a = r - ep; x = -1; }
    if (m < 2) continue;
    let b = rng.int(m - 1);
    if (b >= a) b++;
    const s1 = list[a], s2 = list[b];
    const u1 = (s1 / nOut) | 0, u2 = (s2 / nOut) | 0;
    if (u1 === u2) continue;
    const v1 = s1 - u1 * nOut, v2 = s2 - u2 * nOut;
    if (v1 === v2) continue;
    const c1 = u1 * nOut + v2, c2 = u2 * nOut + v1;
    const y = state[c1];
    if (y === x || y !== state[c2]) continue;
    if (y !== 0) {
      // The y edges at the crossing slots move to the vacated slots.
      const other = y > 0 ? pos : neg;
      const p = where[c1], q = where[c2];
      other[p] = s1; where[s1] = p;
      other[q] = s2; where[s2] = q;
    }
    list[a] = c1; where[c1] = a;
    list[b] = c2; where[c2] = b;
    state[s1] = y; state[s2] = y; state[c1] = x; state[c2] = x;
    let tmp = w[s1]; w[s1] = w[c1]; w[c1] = tmp;
    tmp = w[s2]; w[s2] = w[c2]; w[c2] = tmp;
    accepted++;
  }
  return { attempted: attempts, accepted };
}

/**
 * `swap` — signed double-edge swap (Maslov & Sneppen 2002 rewiring, generalised to three states:
 * checkerboards {+,−}, {+,0} and {−,0}). Preserves every unit's k+ and k− on both sides and the
 * multisets of positive and negative weights; edges may move onto empty (zero) slots, never onto
 * an occupied one. With `weights: 'travel'` each input unit also keeps its multiset of outgoing
 * weights; `redraw` re-deals each sign's weights over its new edges. Samples uniformly (in the
 * limit) from the matrices the moves connect (see signedSwapKernel); for a two-state matrix (no
 * zeros, or one sign only) that is all matrices with these degrees (Ryser 1957).
 * Steps: attempted swaps, default BiRewire's bound per sign (defaultSwapSteps). O(1) per attempt,
 * O(nIn · nOut) memory for the slot index.
 */
export function signedSwap(layer: LayerRecord, rng: Rng, options: RandomizeOptions = {}): LayerRecord {
  const [nIn, nOut] = layer.shape;
  const w = layer.weights.slice();
  let ep = 0, en = 0;
  for (let k = 0; k < w.length; k++) {
    if (w[k] > 0) ep++;
    else if (w[k] < 0) en++;
  }
  const steps = checkSteps(options.steps, 'swap') ?? defaultSwapSteps(ep, en, w.length);
  signedSwapKernel(w, nIn, nOut, rng, steps);
  if (checkWeightMode(options.weights) === 'redraw') redrawBySign(w, rng);
  return withWeights(layer, w);
}
