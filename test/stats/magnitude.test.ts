import test from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import { magnitudeOrder } from '../../src/stats/index.js';

/** The definition, by a plain comparator sort: |w| ascending, ties by index. */
function byComparator(v: Float32Array, nonZeroOnly: boolean): number[] {
  return Array.from(v.keys()).filter((k) => !nonZeroOnly || v[k] !== 0).sort((a, b) => Math.abs(v[a]) - Math.abs(v[b]) || a - b);
}

test('magnitude order: |w| ascending, ties (±0, ±x) by index; zeros left out on request', () => {
  const v = new Float32Array([0.5, -0.1, 0.1, -2, 0, 0.5, -0, 3e-39]);
  assert.deepEqual([...magnitudeOrder(v)], [4, 6, 7, 1, 2, 0, 5, 3]);
  assert.deepEqual([...magnitudeOrder(v, { nonZeroOnly: true })], [7, 1, 2, 0, 5, 3]);
  const rng = new Rng(9);
  // a few thousand values with many exact ties and zeros, both signs
  const big = Float32Array.from({ length: 6000 }, () => (rng.next() < 0.2 ? 0 : Math.round(rng.normal() * 50) / 8));
  assert.deepEqual([...magnitudeOrder(big)], byComparator(big, false));
  assert.deepEqual([...magnitudeOrder(big, { nonZeroOnly: true })], byComparator(big, true));
});
