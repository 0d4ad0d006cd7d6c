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
  const RADIX = 2048;
  // the three digits' histograms, counted while the keys are gathered (one pass instead of four)
  const counts = [new Uint32Array(RADIX), new Uint32Array(RADIX), new Uint32Array(RADIX)];
  const [c0, c1, c2] = counts;
  for (let k = 0, t = 0; k < bits.length; k++) {
    const b = bits[k];
    const key = b & 0x7fffffff;
    if (key !== 0 || !nonZeroOnly) {
      keys[t] = key;
      pay[t++] = k * 2 + (b >>> 31);
      c0[key & 2047]++;
      c1[(key >>> 11) & 2047]++;
      c2[key >>> 22]++;
    }
  }
  let keys2 = new Uint32Array(e);
  let pay2 = new Uint32Array(e);
  // digits the same for every key need no pass; the last pass moves only the payloads (the keys are done with)
  const passes = [0, 1, 2].filter((p) => counts[p].reduce((n, c) => n + (c ? 1 : 0), 0) > 1);
  for (const pass of passes) {
    const count = counts[pass];
    const shift = 11 * pass;
    let sum = 0;
    for (let d = 0; d < RADIX; d++) {
      const c = count[d];
      count[d] = sum;
      sum += c;
    }
    if (pass === passes[passes.length - 1]) {
      for (let t = 0; t < e; t++) pay2[count[(keys[t] >>> shift) & 2047]++] = pay[t];
    } else {
      for (let t = 0; t < e; t++) {
        const pos = count[(keys[t] >>> shift) & 2047]++;
        keys2[pos] = keys[t];
        pay2[pos] = pay[t];
      }
      [keys, keys2] = [keys2, keys];
    }
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
