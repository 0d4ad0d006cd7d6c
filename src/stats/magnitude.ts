/**
 * The order of weights by magnitude, defined once: |w| ascending, equal |w| in index (row-major)
 * order. Pruning and sign flips of the smallest weights (src/probes), the reference's
 * prune-then-randomize, percolation and the viewer's edge order all use it.
 */
import { UserError } from '../core/errors.js';

/**
 * Entries sorted by |w| ascending (stable: ties keep index order), each coded as
 * `2·index + (sign bit of w)` so that callers filtering by sign read sequentially. With
 * `nonZeroOnly`, zeros (±0) are left out. LSD radix sort on the IEEE bits of |w| (for non-negative
 * floats the bit pattern is monotone in the value; NaN sorts after +∞): three 11-bit passes,
 * O(n), no comparator calls.
 */
export function signedMagnitudeOrder(values: Float32Array, nonZeroOnly: boolean): Uint32Array {
  if (values.length >= 2 ** 31) throw new UserError(`ordering by magnitude handles arrays below 2^31 values, got ${values.length}`);
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  let e = 0;
  if (nonZeroOnly) {
    for (let k = 0; k < bits.length; k++) if ((bits[k] & 0x7fffffff) !== 0) e++;
  } else e = bits.length;
  let keys = new Uint32Array(e);
  let pay = new Uint32Array(e);
  for (let k = 0, t = 0; k < bits.length; k++) {
    const b = bits[k];
    const key = b & 0x7fffffff;
    if (key !== 0 || !nonZeroOnly) {
      keys[t] = key;
      pay[t++] = k * 2 + (b >>> 31);
    }
  }
  let keys2 = new Uint32Array(e);
  let pay2 = new Uint32Array(e);
  const RADIX = 2048;
  const count = new Uint32Array(RADIX);
  for (const shift of [0, 11, 22]) {
    count.fill(0);
    for (let t = 0; t < e; t++) count[(keys[t] >>> shift) & 2047]++;
    let nonEmpty = 0;
    for (let d = 0; d < RADIX; d++) if (count[d]) nonEmpty++;
    if (nonEmpty <= 1) continue; // this digit is the same for all keys: nothing to do
    let sum = 0;
    for (let d = 0; d < RADIX; d++) {
      const c = count[d];
      count[d] = sum;
      sum += c;
    }
    for (let t = 0; t < e; t++) {
      const pos = count[(keys[t] >>> shift) & 2047]++;
      keys2[pos] = keys[t];
      pay2[pos] = pay[t];
    }
    [keys, keys2] = [keys2, keys];
    [pay, pay2] = [pay2, pay];
  }
  return pay;
}

/**
 * Indices of `values` sorted by |value| ascending, ties by index (a stable, platform-independent
 * order); with `nonZeroOnly`, the zeros are left out.
 */
export function magnitudeOrder(values: Float32Array, options: { nonZeroOnly?: boolean } = {}): Uint32Array {
  const coded = signedMagnitudeOrder(values, options.nonZeroOnly ?? false);
  for (let t = 0; t < coded.length; t++) coded[t] >>>= 1;
  return coded;
}
