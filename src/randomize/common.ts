/**
 * Shared pieces of the null models: options, the new-layer wrapper, and in-place permutation
 * kernels over typed arrays.
 */
import { UserError } from '../core/errors.js';
import type { LayerRecord } from '../core/layer.js';
import type { Rng } from '../core/rng.js';

/** How weights follow a rewired topology (curveball, swap). */
export type WeightMode = 'travel' | 'redraw';

export interface RandomizeOptions {
  /**
   * Mixing steps: attempted swaps for `swap` and `G`, trades for `curveball`. Default: an
   * analytic bound per model (see defaultSwapSteps / defaultCurveballTrades).
   */
  steps?: number;
  /**
   * `travel` (default): every weight moves with its edge. `redraw`: after rewiring, the
   * weights of each sign are re-dealt at random over that sign's edges (the multiset of each
   * sign is kept exactly, its link to the topology is cut).
   */
  weights?: WeightMode;
}

/** A new record with these weights; everything else (bias included) copied from `layer`. */
export function withWeights(layer: LayerRecord, weights: Float32Array): LayerRecord {
  return {
    ...layer,
    shape: [layer.shape[0], layer.shape[1]],
    weights,
    bias: layer.bias ? layer.bias.slice() : null,
  };
}

/**
 * Permute the values of `w` at the slots `pos[0 … n)` uniformly at random (Fisher–Yates over
 * the slot list); other slots are untouched.
 */
export function permuteAt(w: Float32Array, pos: Uint32Array, n: number, rng: Rng): void {
  for (let k = n - 1; k > 0; k--) {
    const r = rng.int(k + 1);
    const a = pos[k], b = pos[r];
    const t = w[a];
    w[a] = w[b];
    w[b] = t;
  }
}

/** Collect into `out` the slots among `start, start + stride, …` (count of them: `len`) that pass `keep`; returns how many. */
export function collectSlots(
  w: Float32Array,
  start: number,
  stride: number,
  len: number,
  keep: (x: number) => boolean,
  out: Uint32Array,
): number {
  let n = 0;
  for (let k = 0, s = start; k < len; k++, s += stride) if (keep(w[s])) out[n++] = s;
  return n;
}

export const isPos = (x: number): boolean => x > 0;
export const isNeg = (x: number): boolean => x < 0;
export const isEdge = (x: number): boolean => x !== 0;

/** Re-deal each sign's weights uniformly over that sign's slots (the `redraw` weight mode; = model B). */
export function redrawBySign(w: Float32Array, rng: Rng): void {
  const pos = new Uint32Array(w.length);
  for (const keep of [isPos, isNeg]) {
    const n = collectSlots(w, 0, 1, w.length, keep, pos);
    permuteAt(w, pos, n, rng);
  }
}

/** Validate a user-given step count (non-negative integer). */
export function checkSteps(steps: number | undefined, what: string): number | undefined {
  if (steps === undefined) return undefined;
  if (!Number.isFinite(steps) || steps < 0 || Math.floor(steps) !== steps) {
    throw new UserError(`${what}: steps must be a non-negative integer, got ${steps}`);
  }
  return steps;
}

export function checkWeightMode(mode: string | undefined): WeightMode {
  if (mode === undefined || mode === 'travel') return 'travel';
  if (mode === 'redraw') return 'redraw';
  throw new UserError(`weights must be 'travel' or 'redraw', got '${mode}'`);
}
