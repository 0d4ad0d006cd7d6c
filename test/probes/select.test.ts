/**
 * The random selection of the prune and sign-flip probes in WebAssembly (src/probes/select-kernel.ts):
 * the same indices as the partial Fisher–Yates shuffle written with Rng.int here, and the generator
 * left in the same state; uniform over the indices; the probes' results unchanged by reused arrays.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import { SELECT_MAX_N, selectKernel } from '../../src/probes/select-kernel.js';
import { flipValues, pruneValues, selectIndices, signValues } from '../../src/probes/kernels.js';

/** The definition: the first `count` steps of a Fisher–Yates shuffle of 0..n−1, j = i + rng.int(n − i). */
function reference(n: number, count: number, rng: Rng): Uint32Array {
  const idx = Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + rng.int(n - i);
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx.slice(0, count);
}

test('the kernel draws the indices of the Rng.int Fisher–Yates loop and leaves the generator where it leaves it', () => {
  const kernel = selectKernel();
  assert.ok(kernel, 'WebAssembly is available');
  for (const n of [1, 2, 7, 1000, 50176]) {
    for (const count of [0, 1, Math.floor(n / 2), n - 1, n]) {
      for (const seed of [1, 99, 123456789]) {
        const a = new Rng(seed);
        const b = new Rng(seed);
        const state = b.getState();
        const got = kernel.select(n, count, state).slice();
        b.setState(state);
        assert.deepEqual(got, reference(n, count, a), `n ${n}, count ${count}, seed ${seed}`);
        assert.equal(b.nextUint32(), a.nextUint32(), `the generator after n ${n}, count ${count}, seed ${seed}`);
      }
    }
  }
  // Beyond Rng.int's 21-bit branch the JS loop runs: still the definition.
  const big = new Float32Array(SELECT_MAX_N + 5);
  assert.deepEqual(selectIndices(big, 3, 'random', new Rng(4)), reference(big.length, 3, new Rng(4)));
});

test('one index of ten is uniform over seeds (χ² with 9 degrees of freedom)', () => {
  const counts = new Array<number>(10).fill(0);
  const draws = 20000;
  for (let s = 0; s < draws; s++) counts[selectIndices(new Float32Array(10), 1, 'random', new Rng(s))[0]]++;
  const chi2 = counts.reduce((acc, c) => acc + (c - draws / 10) ** 2 / (draws / 10), 0);
  assert.ok(chi2 < 27.88, `χ² = ${chi2} (p < 0.001 above 27.88)`); // 9 d.o.f.
});

test('random prune and flip into a reused array (or in place) give what fresh arrays give, and sign() in place too', () => {
  const rng = new Rng(3);
  const values = Float32Array.from({ length: 5000 }, () => rng.normal());
  const reused = new Float32Array(values.length);
  for (const level of [0, 0.1, 0.5, 0.999, 1]) {
    assert.deepEqual(pruneValues(values, level, 'random', new Rng(7), reused), pruneValues(values, level, 'random', new Rng(7)));
    assert.deepEqual(flipValues(values, level, 'random', new Rng(8), reused), flipValues(values, level, 'random', new Rng(8)));
    const removedSmallest = pruneValues(values, level, 'smallest', undefined, reused).slice();
    assert.deepEqual(removedSmallest, pruneValues(values, level, 'smallest'));
    assert.deepEqual(signValues(reused, reused), signValues(removedSmallest));
  }
  // the definition of a random prune: the first trunc(level·n)… removed indices zeroed, the rest kept
  const pruned = pruneValues(values, 0.3, 'random', new Rng(9));
  const removed = new Set(reference(values.length, values.length - Math.trunc(0.7 * values.length), new Rng(9)));
  pruned.forEach((v, i) => assert.equal(v, removed.has(i) ? 0 : values[i]));
});
