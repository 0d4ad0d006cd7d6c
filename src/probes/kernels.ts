/**
 * Probe kernels: pure functions over Float32Array that return new arrays (inputs are never
 * mutated). Counts follow the reference code: a fraction f of n elements is `trunc(f · n)`.
 */
import { countNonZero } from '../core/layer.js';
import type { Rng } from '../core/rng.js';
import { magnitudeOrder } from '../stats/magnitude.js';
import { NOISE_LANES, lanesExact, noiseKernel, type NoiseKernel } from './noise-kernel.js';
import { SELECT_MAX_N, selectKernel } from './select-kernel.js';

export type MagnitudeSelect = 'smallest' | 'largest' | 'random';

/** Number of elements a fraction selects, as the reference's `int(f * n)`. */
export function fractionCount(fraction: number, n: number): number {
  return Math.min(n, Math.max(0, Math.trunc(fraction * n)));
}

/** The one order of weights by magnitude (|w| ascending, ties by index): src/stats/magnitude.ts. */
export { magnitudeOrder };

// Sorting is the costly part of pruning and flipping; sweeps reuse one order across levels.
const orderCache = new WeakMap<Float32Array, Uint32Array>();
function cachedOrder(values: Float32Array): Uint32Array {
  let o = orderCache.get(values);
  if (!o) {
    o = magnitudeOrder(values);
    orderCache.set(values, o);
  }
  return o;
}

/**
 * Indices of `count` elements chosen by magnitude: the smallest |v|, the largest |v|, or a
 * uniformly random subset.
 */
export function selectIndices(values: Float32Array, count: number, select: MagnitudeSelect, rng?: Rng): Uint32Array {
  const chosen = chosenIndices(values, count, select, rng);
  return select === 'random' ? chosen.slice() : chosen;
}

const selectState = new Int32Array(4);

/** selectIndices, the random ones possibly a view into the selection kernel's memory (valid until the next call). */
function chosenIndices(values: Float32Array, count: number, select: MagnitudeSelect, rng?: Rng): Uint32Array {
  const n = values.length;
  if (count <= 0) return new Uint32Array(0);
  if (select === 'random') {
    if (!rng) throw new Error('random selection needs an Rng');
    // Partial Fisher–Yates: the first `count` entries of a random permutation (the kernel: the same steps and draws).
    const kernel = n <= SELECT_MAX_N ? selectKernel() : null;
    if (kernel) {
      const idx = kernel.select(n, count, rng.getState(selectState));
      rng.setState(selectState);
      return idx;
    }
    const idx = new Uint32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    for (let i = 0; i < count; i++) {
      const j = i + rng.int(n - i);
      const t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
    }
    return idx.subarray(0, count);
  }
  const order = cachedOrder(values);
  return select === 'smallest' ? order.subarray(0, count) : order.subarray(n - count);
}

/** `out` (values.length long; may be values itself) filled with values, or a copy of values. */
function copyOf(values: Float32Array, out?: Float32Array): Float32Array {
  if (!out) return values.slice();
  if (out.length !== values.length) throw new RangeError(`out has ${out.length} elements, values ${values.length}`);
  if (out !== values) out.set(values);
  return out;
}

/**
 * Zero the chosen fraction of elements: `select` says which are removed. The result goes to `out`
 * when given (e.g. an array reused from draw to draw; it may be `values` itself), else to a new array.
 */
export function pruneValues(values: Float32Array, fractionRemoved: number, select: MagnitudeSelect, rng?: Rng, out?: Float32Array): Float32Array {
  const n = values.length;
  // The reference keeps int(f_keep · n) elements; the rest are removed.
  const keep = fractionCount(1 - fractionRemoved, n);
  const removed = chosenIndices(values, n - keep, select, rng);
  const result = copyOf(values, out);
  for (let k = 0; k < removed.length; k++) result[removed[k]] = 0;
  return result;
}

/** Flip the sign of the chosen fraction of elements (into `out` when given, as pruneValues). */
export function flipValues(values: Float32Array, fraction: number, select: MagnitudeSelect, rng?: Rng, out?: Float32Array): Float32Array {
  const idx = chosenIndices(values, fractionCount(fraction, values.length), select, rng);
  const result = copyOf(values, out);
  for (let k = 0; k < idx.length; k++) result[idx[k]] = -result[idx[k]];
  return result;
}

/** sign(): −1, 0 or +1 (torch.sign semantics; 0 stays 0), into `out` when given (it may be `values` itself). */
export function signValues(values: Float32Array, out: Float32Array = new Float32Array(values.length)): Float32Array {
  if (out.length !== values.length) throw new RangeError(`out has ${out.length} elements, values ${values.length}`);
  // (v > 0) − (v < 0) without branches (signs of trained weights are a coin toss for the branch predictor): ±0 and NaN give +0.
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = Number(v > 0) - Number(v < 0);
  }
  return out;
}

/**
 * Which loop adds the noise. `wasm`: the WebAssembly kernel (noise-kernel.ts), or the JS loop where
 * WebAssembly is missing; `js`: the JS loop. Both give the same bits (test/probes/noise.test.ts runs
 * both on pruned and unpruned weights), so this only chooses speed; `js` is there to test the fallback.
 */
export type NoiseLoop = 'wasm' | 'js';

export interface NoiseOptions {
  /** Where the result goes (values.length long), e.g. an array reused from draw to draw: fresh memory costs page faults. */
  out?: Float32Array;
  /** The number of non-zero values, when the caller knows it (the JS loop counts them otherwise). */
  nonZero?: number;
  /** Default `wasm`. */
  loop?: NoiseLoop;
}

/** The WebAssembly kernel when `loop` asks for it and it loaded, else null (the JS loop). */
function kernelFor(loop: NoiseLoop = 'wasm'): NoiseKernel | null {
  return loop === 'wasm' ? noiseKernel() : null;
}

/** Whether a noise loop draws with the WebAssembly kernel (which counts the non-zero values as it goes). */
export function noiseLoopIsWasm(loop: NoiseLoop = 'wasm'): boolean {
  return kernelFor(loop) !== null;
}

/**
 * Add U(−a, a) noise to the non-zero elements only (pruned slots stay zero): one rng.next() per
 * non-zero element, in order, u ↦ (2u − 1)·a. Returns `options.out` (or a new array).
 */
export function addUniformNoise(values: Float32Array, a: number, rng: Rng, options: NoiseOptions = {}): Float32Array {
  const out = options.out ?? new Float32Array(values.length);
  if (out.length !== values.length) throw new RangeError(`addUniformNoise: out has ${out.length} elements, values ${values.length}`);
  if (a <= 0) {
    out.set(values);
    return out;
  }
  const kernel = kernelFor(options.loop);
  if (kernel) {
    kernel.addNoise(values, a, rng.getState(noiseState), out);
    rng.setState(noiseState);
    return out;
  }
  out.set(values);
  // One draw per non-zero element, in order: drawn in bulk (the same stream as rng.next() each).
  const n = out.length;
  const count = options.nonZero ?? countNonZero(values);
  if (noiseDraws.length < count) noiseDraws = new Float64Array(count);
  const draws = noiseDraws; // a local: the loops below read it 50k times
  rng.nextInto(draws, count);
  if (count === n) {
    for (let i = 0; i < n; i++) out[i] += (draws[i] * 2 - 1) * a;
  } else {
    for (let i = 0, k = 0; i < n; i++) {
      const v = out[i];
      if (v !== 0) out[i] = v + (draws[k++] * 2 - 1) * a;
    }
  }
  return out;
}

/**
 * addUniformNoise of the same values with several generators: outs[k] gets what
 * addUniformNoise(values, a, rngs[k], { out: outs[k] }) gives, bit for bit, and rngs[k] advances as
 * it would. The WebAssembly kernel draws NOISE_LANES generators per pass (e.g. a layer's per-batch draws).
 */
export function addUniformNoiseMany(values: Float32Array, a: number, rngs: Rng[], outs: Float32Array[], options: Omit<NoiseOptions, 'out'> = {}): Float32Array[] {
  if (outs.length !== rngs.length || outs.some((o) => o.length !== values.length)) {
    throw new RangeError(`addUniformNoiseMany: ${rngs.length} generators need as many outputs of ${values.length} elements`);
  }
  const kernel = kernelFor(options.loop);
  if (!kernel || !lanesExact(a)) return rngs.map((r, k) => addUniformNoise(values, a, r, { ...options, out: outs[k] }));
  for (let first = 0; first < rngs.length; first += NOISE_LANES) {
    const group = rngs.slice(first, first + NOISE_LANES);
    const states = group.map((r) => r.getState());
    kernel.addNoiseLanes(values, a, states, outs.slice(first, first + NOISE_LANES));
    group.forEach((r, k) => r.setState(states[k]));
  }
  return outs;
}

/** addUniformNoise's draws, reused (a layer's worth; grown to the largest layer seen). */
let noiseDraws = new Float64Array(0);
const noiseState = new Int32Array(4);

/** Mean |v| over all elements (the scale of the scaled binarization). */
export function meanAbs(values: Float32Array): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += Math.abs(values[i]);
  return values.length ? s / values.length : 0;
}
