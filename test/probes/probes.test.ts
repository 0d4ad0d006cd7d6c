import test from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import { UserError } from '../../src/core/errors.js';
import type { DenseModel, LayerRecord } from '../../src/core/layer.js';
import { applyProbe, type ProbeSpec } from '../../src/probes/probes.js';
import { magnitudeOrder, fractionCount } from '../../src/probes/kernels.js';
import { planSweep, runSweep, evaluationSeed } from '../../src/probes/sweep.js';
import { rowKey } from '../../src/core/results.js';

function randomLayer(name: string, nIn: number, nOut: number, rng: Rng, withBias = true): LayerRecord {
  const w = new Float32Array(nIn * nOut);
  for (let i = 0; i < w.length; i++) w[i] = rng.normal() * 0.1;
  const b = withBias ? Float32Array.from({ length: nOut }, () => rng.normal() * 0.1) : null;
  return { name, weights: w, shape: [nIn, nOut], bias: b, activation: 'relu' };
}
function randomModel(seed = 1): DenseModel {
  const rng = new Rng(seed);
  return { layers: [randomLayer('dense_0', 30, 8, rng), { ...randomLayer('dense_1', 8, 2, rng), activation: 'softmax' }] };
}
const spec = (s: Partial<ProbeSpec>): ProbeSpec => ({ probe: 'baseline', variant: 'reference', signed: false, level: 0, layer: 'all', ...s });
const count = (a: Float32Array, f: (x: number) => boolean): number => a.reduce((n, x) => n + (f(x) ? 1 : 0), 0);

test('magnitude order sorts by |w| with ties broken by index', () => {
  const v = new Float32Array([0.5, -0.1, 0.1, -2, 0, 0.5]);
  assert.deepEqual([...magnitudeOrder(v)], [4, 1, 2, 0, 5, 3]);
  const rng = new Rng(3);
  const big = Float32Array.from({ length: 5000 }, () => rng.normal());
  const o = magnitudeOrder(big);
  for (let k = 1; k < o.length; k++) assert.ok(Math.abs(big[o[k - 1]]) <= Math.abs(big[o[k]]));
});

test('reference pruning removes exactly the smallest |w| and keeps int((1-f)·n), biases too', () => {
  const model = randomModel();
  for (const level of [0, 0.3, 0.75, 1]) {
    const out = applyProbe(model, spec({ probe: 'prune', level }), new Rng(0));
    model.layers.forEach((l, k) => {
      const w = out.layers[k].weights;
      const kept = fractionCount(1 - level, l.weights.length);
      assert.equal(count(w, (x) => x !== 0), kept, `layer ${k} level ${level}`);
      // every kept weight is at least as large as every removed one
      let minKept = Infinity, maxRemoved = 0;
      l.weights.forEach((x, i) => (w[i] !== 0 ? (minKept = Math.min(minKept, Math.abs(x))) : (maxRemoved = Math.max(maxRemoved, Math.abs(x)))));
      if (kept > 0 && kept < l.weights.length) assert.ok(minKept >= maxRemoved);
      // survivors are unchanged
      w.forEach((x, i) => x !== 0 && assert.equal(x, l.weights[i]));
      assert.equal(count(out.layers[k].bias!, (x) => x !== 0), fractionCount(1 - level, l.bias!.length));
    });
  }
});

test('pruning followed by sign gives weights in {-1, 0, +1} with the original signs', () => {
  const model = randomModel();
  const out = applyProbe(model, spec({ probe: 'prune', level: 0.5, signed: true }), new Rng(0));
  out.layers.forEach((l, k) => l.weights.forEach((x, i) => {
    assert.ok(x === 0 || x === Math.sign(model.layers[k].weights[i]));
  }));
});

test('largest-first and random pruning remove the right count; random is seeded', () => {
  const model = randomModel();
  const largest = applyProbe(model, spec({ probe: 'prune', variant: 'largest', level: 0.2 }), new Rng(0));
  const l0 = model.layers[0].weights;
  const maxKept = Math.max(...[...largest.layers[0].weights].map(Math.abs));
  const removed = [...l0].filter((_, i) => largest.layers[0].weights[i] === 0).map(Math.abs);
  assert.ok(Math.min(...removed) >= maxKept);
  const a = applyProbe(model, spec({ probe: 'prune', variant: 'random', level: 0.5 }), new Rng(9));
  const b = applyProbe(model, spec({ probe: 'prune', variant: 'random', level: 0.5 }), new Rng(9));
  const c = applyProbe(model, spec({ probe: 'prune', variant: 'random', level: 0.5 }), new Rng(10));
  assert.deepEqual(a.layers[0].weights, b.layers[0].weights);
  assert.notDeepEqual(a.layers[0].weights, c.layers[0].weights);
  assert.equal(count(a.layers[0].weights, (x) => x !== 0), fractionCount(0.5, l0.length));
});

test('global pruning ranks all layers together', () => {
  const rng = new Rng(5);
  const small = randomLayer('a', 10, 10, rng);
  small.weights.forEach((_, i) => (small.weights[i] *= 0.01));
  const large = randomLayer('b', 10, 10, rng);
  const out = applyProbe({ layers: [small, large] }, spec({ probe: 'prune', variant: 'global', level: 0.5 }), new Rng(0));
  assert.equal(count(out.layers[0].weights, (x) => x !== 0) + count(out.layers[1].weights, (x) => x !== 0), 100);
  assert.ok(count(out.layers[0].weights, (x) => x !== 0) < count(out.layers[1].weights, (x) => x !== 0));
});

test('binarize variants: reference signs weights and biases, others handle the bias as named', () => {
  const model = randomModel();
  const ref = applyProbe(model, spec({ probe: 'binarize', signed: true }), new Rng(0));
  const keep = applyProbe(model, spec({ probe: 'binarize', variant: 'bias-keep', signed: true }), new Rng(0));
  const zero = applyProbe(model, spec({ probe: 'binarize', variant: 'bias-zero', signed: true }), new Rng(0));
  const scaled = applyProbe(model, spec({ probe: 'binarize', variant: 'scaled', signed: true }), new Rng(0));
  model.layers.forEach((l, k) => {
    l.weights.forEach((x, i) => assert.equal(ref.layers[k].weights[i], Math.sign(x)));
    l.bias!.forEach((x, j) => {
      assert.equal(ref.layers[k].bias![j], Math.sign(x));
      assert.equal(keep.layers[k].bias![j], x);
      assert.equal(zero.layers[k].bias![j], 0);
    });
    const m = l.weights.reduce((s, x) => s + Math.abs(x), 0) / l.weights.length;
    l.weights.forEach((x, i) => assert.ok(Math.abs(scaled.layers[k].weights[i] - Math.sign(x) * m) < 1e-6));
  });
});

test('uniform noise touches only non-zero weights, stays within ±a, and is reproducible', () => {
  const pruned = applyProbe(randomModel(), spec({ probe: 'prune', level: 0.5 }), new Rng(0));
  const a = 0.05;
  const n1 = applyProbe(pruned, spec({ probe: 'noise', level: a }), new Rng(42));
  const n2 = applyProbe(pruned, spec({ probe: 'noise', level: a }), new Rng(42));
  assert.deepEqual(n1.layers[0].weights, n2.layers[0].weights);
  pruned.layers.forEach((l, k) => l.weights.forEach((x, i) => {
    const y = n1.layers[k].weights[i];
    if (x === 0) assert.equal(y, 0);
    else assert.ok(Math.abs(y - x) <= a + 1e-7 && y !== x);
  }));
  const signed = applyProbe(pruned, spec({ probe: 'binarize+noise', level: a, signed: true }), new Rng(42));
  signed.layers.forEach((l, k) => l.weights.forEach((y, i) => assert.equal(y, Math.sign(n1.layers[k].weights[i]))));
});

test('sign flip of the smallest fraction flips exactly those weights', () => {
  const model = randomModel();
  const q = 0.25;
  const out = applyProbe(model, spec({ probe: 'signflip', level: q }), new Rng(0));
  model.layers.forEach((l, k) => {
    const order = magnitudeOrder(l.weights);
    const nFlip = fractionCount(q, l.weights.length);
    const flipped = new Set([...order.subarray(0, nFlip)]);
    l.weights.forEach((x, i) => assert.equal(out.layers[k].weights[i], flipped.has(i) ? -x : x));
  });
});

test('probes never mutate the input model and can target one layer', () => {
  const model = randomModel();
  const before = model.layers.map((l) => l.weights.slice());
  const out = applyProbe(model, spec({ probe: 'noise', level: 0.1, layer: 'dense_1' }), new Rng(1));
  model.layers.forEach((l, k) => assert.deepEqual(l.weights, before[k]));
  assert.equal(out.layers[0], model.layers[0]);
  assert.notDeepEqual(out.layers[1].weights, model.layers[1].weights);
});

test('bad probe input is a one-line UserError', () => {
  const model = randomModel();
  assert.throws(() => applyProbe(model, spec({ probe: 'prune', level: 1.5 }), new Rng(0)), UserError);
  assert.throws(() => applyProbe(model, spec({ probe: 'noise', level: -1 }), new Rng(0)), UserError);
  assert.throws(() => applyProbe(model, spec({ probe: 'prune', level: 0.1, layer: 'nope' }), new Rng(0)), /no layer named 'nope'/);
  assert.throws(() => applyProbe(model, spec({ probe: 'binarize', variant: 'magic' }), new Rng(0)), /unknown variant 'magic'/);
});

test('sweep plan: random probes get distinct seeds per repetition, deterministic probes seed 0', () => {
  const plan = planSweep({ noiseSeeds: 3 });
  const target = { task: 'mnist-0v7', run: 0 };
  const noise = plan.filter((e) => e.spec.probe === 'noise' && e.spec.variant === 'reference' && e.spec.level === 1);
  assert.equal(noise.length, 3);
  assert.equal(new Set(noise.map((e) => evaluationSeed(7, target, e))).size, 3);
  const prune = plan.filter((e) => e.spec.probe === 'prune' && e.spec.variant === 'reference');
  assert.ok(prune.every((e) => evaluationSeed(7, target, e) === 0));
  assert.notEqual(evaluationSeed(7, target, noise[0]), evaluationSeed(8, target, noise[0]));
});

test('runSweep skips evaluations already recorded and reproduces the same rows', async () => {
  const model = randomModel();
  const plan = planSweep({ probes: ['baseline', 'noise'], noiseLevels: [0.01, 0.1], relativeNoiseLevels: [], noiseSeeds: 2 });
  let calls = 0;
  const evaluate = async (models: DenseModel[]): Promise<number[]> => {
    calls += models.length;
    return models.map((m) => m.layers[0].weights[0]); // a fingerprint of the probed model
  };
  const target = { task: 't-0v1', difficulty: 'easy' as const, run: 0, inputs: 'pm1', model };
  const first = await runSweep({ target, plan, baseSeed: 1, evaluate, nTest: 10 });
  assert.equal(first.length, plan.length);
  assert.equal(calls, plan.length);
  const done = new Set(first.slice(0, 3).map(rowKey));
  calls = 0;
  const rest = await runSweep({ target, plan, baseSeed: 1, evaluate, nTest: 10, done });
  assert.equal(calls, plan.length - 3);
  assert.deepEqual(rest, first.slice(3));
});

test('relative noise scales the amplitude by each layer\'s σ(w)', () => {
  const model = randomModel();
  const level = 0.5;
  const out = applyProbe(model, spec({ probe: 'noise', variant: 'relative', level }), new Rng(3));
  model.layers.forEach((l, k) => {
    const mean = l.weights.reduce((s, x) => s + x, 0) / l.weights.length;
    const sigma = Math.sqrt(l.weights.reduce((s, x) => s + (x - mean) ** 2, 0) / l.weights.length);
    const deltas = [...l.weights].map((x, i) => Math.abs(out.layers[k].weights[i] - x));
    const maxDelta = Math.max(...deltas);
    assert.ok(maxDelta <= level * sigma + 1e-6, `layer ${k}: ${maxDelta} > ${level * sigma}`);
    assert.ok(maxDelta > 0.8 * level * sigma, 'the draws span most of ±a');
  });
});
