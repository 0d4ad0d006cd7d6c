/**
 * The noise probes' two loops, tested alike: the WebAssembly kernel (the default) and the JS loop
 * (the fallback where WebAssembly is missing), each on unpruned weights (no zero: the JS loop's
 * dense branch) and on pruned ones (zeros skipped), one generator at a time and four per pass.
 * Both must give the definition's bits — one rng.next() u per non-zero value, in order, v + (2u − 1)·a
 * rounded to float32 — and the drawn noise must be U(−a, a) (uniform.ts: mean, E[d²], signs, χ², KS).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import type { DenseModel, LayerRecord } from '../../src/core/layer.js';
import { addUniformNoise, addUniformNoiseMany, type NoiseLoop } from '../../src/probes/kernels.js';
import { noiseKernel } from '../../src/probes/noise-kernel.js';
import { applyProbe, type ProbeSpec } from '../../src/probes/probes.js';
import { probedModel } from '../../src/probes/sweep.js';
import { assertUniformNoise } from './uniform.js';

const LOOPS: NoiseLoop[] = ['wasm', 'js'];

/** n values ~ N(0, 0.1), none zero; `pruned`: every other one (and a −0) zeroed. */
function values(n: number, seed: number, pruned: boolean): Float32Array {
  const rng = new Rng(seed);
  const v = Float32Array.from({ length: n }, () => rng.normal() * 0.1 || 0.01);
  if (pruned) {
    for (let i = 0; i < n; i += 2) v[i] = 0;
    v[1] = -0;
  }
  return v;
}

/** The definition, one next() at a time (independent of both loops' bulk draws and lanes). */
function definition(v: Float32Array, a: number, rng: Rng): Float32Array {
  return Float32Array.from(v, (x) => (x === 0 ? x : x + (rng.next() * 2 - 1) * a));
}

/** out − v at the non-zero values. */
function deltas(v: Float32Array, out: Float32Array): number[] {
  const d: number[] = [];
  v.forEach((x, i) => x !== 0 && d.push(out[i] - x));
  return d;
}

test('the WASM kernel is there: the default loop is not the fallback', () => {
  assert.ok(noiseKernel(), 'Node ≥ 20 has WebAssembly: the kernel loads');
});

test('both loops give the definition bit for bit and leave the generator where it would be, unpruned and pruned, one generator and several', () => {
  for (const pruned of [false, true]) {
    const v = values(3001, pruned ? 2 : 1, pruned);
    for (const a of [0.05, 1.5, 1e-300]) { // 1e-300: a·2^−31 is not exact, the kernel draws one generator at a time
      const want = definition(v, a, new Rng(7));
      const after = new Rng(7);
      for (let k = 0; k < v.length; k++) if (v[k] !== 0) after.next();
      const wantNext = after.next();
      for (const loop of LOOPS) {
        const label = `${pruned ? 'pruned' : 'unpruned'}, a = ${a}, ${loop}`;
        const rng = new Rng(7);
        const got = addUniformNoise(v, a, rng, { loop });
        assert.deepEqual(got, want, label);
        assert.equal(rng.next(), wantNext, `${label}: one draw per non-zero value`);
        // -0 and the zeros stay as they were
        if (pruned) assert.ok(Object.is(got[1], -0) && got[0] === 0, label);
        // several generators (the per-batch draws): six, so the kernel runs a full and a partial pass of four lanes
        const rngs = Array.from({ length: 6 }, (_, b) => new Rng(100 + b));
        const many = addUniformNoiseMany(v, a, rngs, rngs.map(() => new Float32Array(v.length)), { loop });
        many.forEach((m, b) => assert.deepEqual(m, definition(v, a, new Rng(100 + b)), `${label}, generator ${b} of 6`));
      }
    }
  }
});

test('both loops draw U(−a, a): centred, symmetric, flat (χ², KS), unpruned and pruned', () => {
  for (const pruned of [false, true]) {
    const v = values(40_000, 3, pruned);
    for (const loop of LOOPS) {
      const label = `${pruned ? 'pruned' : 'unpruned'}, ${loop}`;
      const a = 0.05;
      const d = deltas(v, addUniformNoise(v, a, new Rng(11), { loop }));
      assert.equal(d.length, pruned ? 19_999 : 40_000, label);
      assertUniformNoise(d, a, label);
      // the per-batch path, one of its generators
      const [first] = addUniformNoiseMany(v, a, [new Rng(12), new Rng(13)], [new Float32Array(v.length), new Float32Array(v.length)], { loop });
      assertUniformNoise(deltas(v, first), a, `${label}, several generators`);
    }
  }
});

function layer(name: string, nIn: number, nOut: number, seed: number, pruned: boolean): LayerRecord {
  return { name, shape: [nIn, nOut], weights: values(nIn * nOut, seed, pruned), bias: values(nOut, seed + 1, false), activation: 'relu' };
}

test('the noise probes through either loop: the same models, bit for bit; the noise U(−a, a) on unpruned and pruned weights', () => {
  for (const pruned of [false, true]) {
    const model: DenseModel = { layers: [layer('dense_0', 300, 40, 5, pruned), { ...layer('dense_1', 40, 2, 7, pruned), activation: 'softmax' }] };
    const spec: ProbeSpec = { probe: 'noise', variant: 'reference', signed: false, level: 0.2, layer: 'all' };
    const one = LOOPS.map((noiseLoop) => applyProbe(model, spec, new Rng(21), { noiseLoop }));
    const perBatch = LOOPS.map((noiseLoop) => probedModel(model, spec, 21, 5, undefined, { noiseLoop }) as DenseModel[]);
    const what = pruned ? 'pruned' : 'unpruned';
    assert.deepEqual(one[1], one[0], `${what}: one draw, JS loop = WASM kernel`);
    assert.deepEqual(perBatch[1], perBatch[0], `${what}: per-batch draws, JS loop = WASM kernel`);
    for (const [k, loop] of LOOPS.entries()) {
      assertUniformNoise(deltas(model.layers[0].weights, one[k].layers[0].weights), 0.2, `${what} weights, ${loop}`);
      assertUniformNoise(deltas(model.layers[0].weights, perBatch[k][4].layers[0].weights), 0.2, `${what} weights, last test batch, ${loop}`);
    }
  }
});
