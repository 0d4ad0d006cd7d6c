import test from 'node:test';
import assert from 'node:assert/strict';
import { Rng, deriveSeed } from '../../src/core/rng.js';
import { UserError } from '../../src/core/errors.js';
import type { DenseModel, LayerRecord } from '../../src/core/layer.js';
import { applyProbe, referenceInitBiases, type ProbeSpec } from '../../src/probes/probes.js';
import { magnitudeOrder } from '../../src/probes/kernels.js';
import { lanesExact, noiseKernel } from '../../src/probes/noise-kernel.js';
import { DrawBuffers, planSweep, probedModel, runSweep, evaluationSeed, referenceInitModel } from '../../src/probes/sweep.js';
import { rowKey } from '../../src/core/results.js';
import { assertUniformNoise } from './uniform.js';

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

// Counts kept/flipped, hard-coded from the reference's definition int(fraction · n) (probe_mlp_layer /
// simple_mlp.threshold_weight_forward), for the test model's layers: 240 and 16 weights, 8 and 2 biases.
// Level → [kept weights dense_0, dense_1, kept biases dense_0, dense_1]; int(0.7·16) = 11, int(0.7·2) = 1, int(0.25·2) = 0.
const KEPT_AFTER_PRUNING: [number, [number, number, number, number]][] = [
  [0, [240, 16, 8, 2]],
  [0.3, [168, 11, 5, 1]],
  [0.75, [60, 4, 2, 0]],
  [1, [0, 0, 0, 0]],
];

/** Indices of the `count` smallest |v|, by a plain comparator sort (independent of the probe's packed-key sort). */
function smallestByComparator(v: Float32Array, count: number): Set<number> {
  const idx = Array.from(v, (_, i) => i).sort((a, b) => Math.abs(v[a]) - Math.abs(v[b]) || a - b);
  return new Set(idx.slice(0, count));
}

test('reference pruning removes exactly the smallest |w| and keeps int((1-f)·n), biases too', () => {
  const model = randomModel();
  for (const [level, [k0, k1, b0, b1]] of KEPT_AFTER_PRUNING) {
    const out = applyProbe(model, spec({ probe: 'prune', level }), new Rng(0));
    const keptW = [k0, k1];
    const keptB = [b0, b1];
    model.layers.forEach((l, k) => {
      const w = out.layers[k].weights;
      assert.equal(count(w, (x) => x !== 0), keptW[k], `layer ${k} level ${level}`);
      // exactly the smallest (n − kept) by magnitude are removed; survivors are unchanged
      const removed = smallestByComparator(l.weights, l.weights.length - keptW[k]);
      l.weights.forEach((x, i) => assert.equal(w[i], removed.has(i) ? 0 : x));
      assert.equal(count(out.layers[k].bias!, (x) => x !== 0), keptB[k], `bias ${k} level ${level}`);
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
  assert.equal(count(a.layers[0].weights, (x) => x !== 0), 120); // int(0.5 · 240)
  assert.equal(count(largest.layers[0].weights, (x) => x !== 0), 192); // int(0.8 · 240)
});

test('random pruning and random flips pick every weight with the same probability (chi-square over seeds)', () => {
  const layer: LayerRecord = { name: 'dense_0', weights: Float32Array.from({ length: 20 }, (_, i) => (i + 1) * (i % 2 ? -0.1 : 0.1)), shape: [4, 5], bias: null };
  for (const probe of ['prune', 'signflip'] as const) {
    const hits = new Array(20).fill(0);
    const draws = 1000;
    for (let s = 0; s < draws; s++) {
      const out = applyProbe({ layers: [layer] }, spec({ probe, variant: 'random', level: 0.25 }), new Rng(1000 + s));
      out.layers[0].weights.forEach((x, i) => (x !== layer.weights[i] ? hits[i]++ : 0));
    }
    // 5 of 20 chosen each time: expected 250 hits per weight.
    assert.equal(hits.reduce((a, b) => a + b, 0), 5 * draws);
    const e = (5 * draws) / 20;
    const chi2 = hits.reduce((acc, h) => acc + (h - e) ** 2 / e, 0);
    assert.ok(chi2 < 43.8, `${probe}: chi2 ${chi2.toFixed(1)} (19 dof, p = 0.001 at 43.8)`);
  }
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

function bigModel(): DenseModel {
  const rng = new Rng(8);
  return { layers: [randomLayer('dense_0', 200, 40, rng), { ...randomLayer('dense_1', 40, 2, rng), activation: 'softmax' }] };
}

test('uniform noise is U(−a, a) on the non-zero weights and biases only, and reproducible', () => {
  const pruned = applyProbe(bigModel(), spec({ probe: 'prune', level: 0.5 }), new Rng(0));
  const a = 0.05;
  const n1 = applyProbe(pruned, spec({ probe: 'noise', level: a }), new Rng(42));
  const n2 = applyProbe(pruned, spec({ probe: 'noise', level: a }), new Rng(42));
  assert.deepEqual(n1.layers[0].weights, n2.layers[0].weights);
  const deltas: number[] = [];
  pruned.layers.forEach((l, k) => l.weights.forEach((x, i) => {
    const y = n1.layers[k].weights[i];
    if (x === 0) assert.equal(y, 0);
    else deltas.push(y - x);
  }));
  assert.equal(deltas.length, 4000 + 40); // the non-zero weights: int(0.5 · 8000) + int(0.5 · 80)
  assertUniformNoise(deltas, a, 'weights');
  const biasDeltas = pruned.layers.flatMap((l, k) => [...l.bias!].flatMap((x, j) => (x === 0 ? [] : [n1.layers[k].bias![j] - x])));
  assert.equal(biasDeltas.length, 20 + 1);
  assert.ok(biasDeltas.every((d) => Math.abs(d) <= a * (1 + 1e-5)) && biasDeltas.some((d) => d > 0) && biasDeltas.some((d) => d < 0));
  const signed = applyProbe(pruned, spec({ probe: 'binarize+noise', level: a, signed: true }), new Rng(42));
  signed.layers.forEach((l, k) => l.weights.forEach((y, i) => assert.equal(y, Math.sign(n1.layers[k].weights[i]))));
});

test('noise is bit for bit the definition: per layer, rng.fork(name), one next() per non-zero weight then bias, in order (WASM kernel and JS loop, pruned and unpruned)', () => {
  const unpruned = bigModel();
  const pruned = applyProbe(unpruned, spec({ probe: 'prune', level: 0.3 }), new Rng(0));
  assert.ok(noiseKernel(), 'Node 20 has WebAssembly: the kernel loads');
  for (const [model, what] of [[pruned, 'pruned'], [unpruned, 'unpruned']] as const) for (const [variant, level, loop] of [['reference', 0.05, 'wasm'], ['relative', 0.5, 'wasm'], ['reference', 0.05, 'js'], ['relative', 0.5, 'js']] as const) {
    const out = applyProbe(model, spec({ probe: 'noise', variant, level }), new Rng(17), { noiseLoop: loop });
    const root = new Rng(17);
    model.layers.forEach((l, k) => {
      const r = root.fork(l.name);
      let sum = 0, sq = 0;
      l.weights.forEach((x) => (sum += x));
      l.weights.forEach((x) => (sq += (x - sum / l.weights.length) ** 2));
      const a = variant === 'relative' ? level * Math.sqrt(sq / l.weights.length) : level;
      const expect = (values: Float32Array) => Float32Array.from(values, (x) => (x === 0 ? 0 : x + (r.next() * 2 - 1) * a));
      assert.deepEqual(out.layers[k].weights, expect(l.weights), `${variant} weights of ${what} ${l.name} (${loop})`);
      assert.deepEqual(out.layers[k].bias, expect(l.bias!), `${variant} bias of ${what} ${l.name} (${loop})`);
    });
  }
});

test('per-batch noise draws (four generators per kernel pass) are bit for bit the definition: batch b from deriveSeed(seed, test-batch, b), per layer fork, one next() per non-zero value', () => {
  // Zeros from pruning (no draw, the value kept), −0 kept as it is, and a bias with zeros too; and an unpruned model (no zero anywhere).
  const unpruned = bigModel();
  const pruned = applyProbe(unpruned, spec({ probe: 'prune', level: 0.3 }), new Rng(0));
  pruned.layers[0].weights[7] = -0;
  assert.ok(unpruned.layers.every((l) => l.weights.every((x) => x !== 0) && l.bias!.every((x) => x !== 0)));
  const definition = (model: DenseModel, s: ProbeSpec, seed: number, b: number): DenseModel => {
    const root = new Rng(deriveSeed(seed, 'test-batch', b));
    return {
      ...model,
      layers: model.layers.map((l) => {
        const r = root.fork(l.name);
        let sum = 0, sq = 0;
        l.weights.forEach((x) => (sum += x));
        l.weights.forEach((x) => (sq += (x - sum / l.weights.length) ** 2));
        const a = s.variant === 'relative' ? s.level * Math.sqrt(sq / l.weights.length) : s.level;
        const expect = (values: Float32Array) => Float32Array.from(values, (x) => (x === 0 ? x : x + (r.next() * 2 - 1) * a));
        const sign = (v: Float32Array) => (s.signed ? Float32Array.from(v, (x) => (x > 0 ? 1 : x < 0 ? -1 : 0)) : v);
        return { ...l, weights: sign(expect(l.weights)), bias: sign(expect(l.bias!)) };
      }),
    };
  };
  const cases: [Partial<ProbeSpec>, number][] = [
    [{ probe: 'noise', level: 0.05 }, 16], [{ probe: 'noise', variant: 'relative', level: 0.5 }, 5], [{ probe: 'noise', level: 2 }, 1],
    [{ probe: 'binarize+noise', level: 0.3, signed: true }, 6], [{ probe: 'noise', level: 1e-300 }, 3], // a·2^−31 not exact: one generator at a time
  ];
  for (const [s, batches] of cases) {
    for (const [model, what] of [[pruned, 'pruned'], [unpruned, 'unpruned']] as const) for (const noiseLoop of ['wasm', 'js'] as const) {
      const plain = probedModel(model, spec(s), 99, batches, undefined, { noiseLoop }) as DenseModel[];
      const buffers = new DrawBuffers();
      probedModel(model, spec({ ...s, level: 0.7 }), 5, batches, buffers, { noiseLoop }); // the buffers hold another draw first
      const reused = probedModel(model, spec(s), 99, batches, buffers, { noiseLoop }) as DenseModel[];
      assert.equal(plain.length, batches);
      for (let b = 0; b < batches; b++) {
        const want = definition(model, spec(s), 99, b);
        want.layers.forEach((l, k) => {
          const label = `${s.probe} ${s.variant ?? 'reference'} ${s.level}, batch ${b} of ${batches}, ${what} ${l.name} (${noiseLoop})`;
          assert.deepEqual(plain[b].layers[k].weights, l.weights, `weights: ${label}`);
          assert.deepEqual(plain[b].layers[k].bias, l.bias, `bias: ${label}`);
          assert.deepEqual(reused[b].layers[k].weights, l.weights, `weights into reused buffers: ${label}`);
          if (model === pruned) assert.ok(Object.is(plain[b].layers[0].weights[7], s.signed ? 0 : -0), `−0 kept: ${label}`);
        });
      }
    }
  }
  assert.ok(lanesExact(0.05) && lanesExact(1) && !lanesExact(1e-300) && !lanesExact(0), 'lanesExact: a·2^−31 exact for ordinary amplitudes only');
});

test('sign flip of the smallest fraction flips exactly int(q·n) smallest weights', () => {
  const model = randomModel();
  // q = 0.25: int(0.25·240) = 60 and int(0.25·16) = 4 weights; int(0.25·8) = 2 and int(0.25·2) = 0 biases
  const flips = [[60, 2], [4, 0]];
  const out = applyProbe(model, spec({ probe: 'signflip', level: 0.25 }), new Rng(0));
  model.layers.forEach((l, k) => {
    const flipped = smallestByComparator(l.weights, flips[k][0]);
    l.weights.forEach((x, i) => assert.equal(out.layers[k].weights[i], flipped.has(i) ? -x : x));
    const flippedBias = smallestByComparator(l.bias!, flips[k][1]);
    l.bias!.forEach((x, j) => assert.equal(out.layers[k].bias![j], flippedBias.has(j) ? -x : x));
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
  const first = await runSweep({ target, plan, baseSeed: 1, evaluate, nTest: 10, testBatch: 0 });
  assert.equal(first.length, plan.length);
  assert.equal(calls, plan.length);
  const done = new Set(first.slice(0, 3).map(rowKey));
  calls = 0;
  const rest = await runSweep({ target, plan, baseSeed: 1, evaluate, nTest: 10, done, testBatch: 0 });
  assert.equal(calls, plan.length - 3);
  assert.deepEqual(rest, first.slice(3));
});

test('relative noise is U(−a·σ(w), a·σ(w)) with each layer\'s own σ(w)', () => {
  const model = bigModel();
  const level = 0.5;
  const out = applyProbe(model, spec({ probe: 'noise', variant: 'relative', level }), new Rng(3));
  // dense_0 only: dense_1 has 80 weights, too few for the distribution test
  const l = model.layers[0];
  const mean = l.weights.reduce((s, x) => s + x, 0) / l.weights.length;
  const sigma = Math.sqrt(l.weights.reduce((s, x) => s + (x - mean) ** 2, 0) / l.weights.length);
  assertUniformNoise([...l.weights].map((x, i) => out.layers[0].weights[i] - x), level * sigma, 'relative');
});

test('reference-init biases are U(−1/√fan_in, 1/√fan_in) as nn.Linear draws them; weights untouched; seeded', () => {
  const rng = new Rng(2);
  const model: DenseModel = { layers: [randomLayer('dense_0', 100, 6000, rng), randomLayer('dense_1', 6000, 2, rng, false)] };
  const a = referenceInitBiases(model, new Rng(5));
  const b = referenceInitBiases(model, new Rng(5));
  assert.deepEqual(a.layers[0].bias, b.layers[0].bias);
  assert.equal(a.layers[0].weights, model.layers[0].weights);
  assertUniformNoise([...a.layers[0].bias!], 0.1, 'bias init, fan_in 100'); // 1/√100
  // a layer saved without bias gets one too (the reference's nn.Linear has it): bound 1/√6000
  assert.equal(a.layers[1].bias!.length, 2);
  assert.ok([...a.layers[1].bias!].every((x) => Math.abs(x) <= 1 / Math.sqrt(6000)));
  assert.notDeepEqual(referenceInitBiases(model, new Rng(6)).layers[0].bias, a.layers[0].bias);
});

test('sweeps with bias reference-init run every probe from the fresh biases and label their rows', async () => {
  const model = randomModel();
  const plan = planSweep({ probes: ['baseline', 'binarize', 'noise'], noiseLevels: [0.01], relativeNoiseLevels: [], noiseSeeds: 1, biases: ['trained', 'reference-init'] });
  const seen: DenseModel[] = [];
  const evaluate = async (models: DenseModel[]): Promise<number[]> => (seen.push(...models), models.map(() => 0.5));
  const target = { task: 't-0v1', difficulty: 'easy' as const, run: 3, inputs: 'pm1', model };
  const rows = await runSweep({ target, plan, baseSeed: 1, evaluate, nTest: 10, batchSize: 1 });
  const init = referenceInitModel(1, target);
  assert.equal(rows.length, plan.length);
  assert.equal(rows.filter((r) => r.bias === 'reference-init').length, rows.length / 2);
  assert.ok(rows.every((r) => r.bias === undefined || r.bias === 'reference-init'), 'trained rows keep the column absent');
  assert.equal(new Set(rows.map(rowKey)).size, rows.length);
  rows.forEach((r, k) => {
    const m = seen[k];
    const biases = r.bias ? init.layers[0].bias! : model.layers[0].bias!;
    if (r.probe === 'baseline') assert.deepEqual(m.layers[0].bias, biases);
    if (r.probe === 'binarize' && r.variant === 'reference') assert.deepEqual([...m.layers[0].bias!], [...biases].map(Math.sign));
  });
  // fresh biases lie within ±1/√fan_in (30 inputs) and differ from the trained ones
  assert.ok([...init.layers[0].bias!].every((x) => Math.abs(x) <= 1 / Math.sqrt(30)));
  assert.notDeepEqual(init.layers[0].bias, model.layers[0].bias);
});

test('noise, random masks and random flips are re-drawn per test batch of 128; the same seed gives the same rows', async () => {
  const model = randomModel();
  const plan = planSweep({
    probes: ['baseline', 'prune', 'noise', 'signflip', 'randomize'], pruneLevels: [0.5], noiseLevels: [0.05], relativeNoiseLevels: [],
    flipLevels: [0.3], randomizeLevels: [0.5], randomizations: ['A'],
  });
  const target = { task: 't-0v1', difficulty: 'easy' as const, run: 0, inputs: 'pm1', model };
  const seen = new Map<string, DenseModel | DenseModel[]>();
  const evaluate = async (models: (DenseModel | DenseModel[])[]): Promise<number[]> =>
    models.map((m) => {
      const list = Array.isArray(m) ? m : [m];
      return list.reduce((s, x) => s + x.layers[0].weights[3] + x.layers[0].weights[100], 0); // a fingerprint of every draw
    });
  const record = async (models: (DenseModel | DenseModel[])[]): Promise<number[]> => {
    models.forEach((m, k) => seen.set(String(seen.size + k), m));
    return evaluate(models);
  };
  const rows = await runSweep({ target, plan, baseSeed: 4, evaluate: record, nTest: 1000 });
  const byIndex = [...seen.values()];
  rows.forEach((r, k) => {
    const m = byIndex[k];
    const perBatch = r.probe === 'noise' || ((r.probe === 'prune' || r.probe === 'signflip') && r.variant === 'random');
    assert.equal(Array.isArray(m), perBatch, `${r.probe} ${r.variant}`);
    if (!Array.isArray(m)) return;
    assert.equal(m.length, 8, 'ceil(1000 / 128) batches');
    // two batches see different draws (different weights touched or different noise)
    assert.notDeepEqual(m[0].layers[0].weights, m[1].layers[0].weights);
    assert.equal(new Set(m.map((b) => b.layers[0].weights.join())).size, 8);
  });
  const again = await runSweep({ target, plan, baseSeed: 4, evaluate, nTest: 1000 });
  assert.deepEqual(again, rows);
  const other = await runSweep({ target, plan, baseSeed: 5, evaluate, nTest: 1000 });
  const noiseRow = (rs: typeof rows) => rs.find((r) => r.probe === 'noise')!.accuracy;
  assert.notEqual(noiseRow(other), noiseRow(rows));
  // testBatch 0: one draw per evaluation (the earlier behaviour)
  const single = await runSweep({ target, plan, baseSeed: 4, evaluate: record, nTest: 1000, testBatch: 0 });
  assert.equal(single.length, rows.length);
});

test('default grids are the reference\'s: 30 flip fractions, pruning to 99.9 %, 23 randomization levels', () => {
  const plan = planSweep();
  const levels = (probe: string, variant: string) => [...new Set(plan.filter((e) => e.spec.probe === probe && e.spec.variant === variant && !e.spec.signed).map((e) => e.spec.level))];
  const flips = levels('signflip', 'reference');
  assert.equal(flips.length, 30);
  assert.equal(flips[0], 0);
  assert.equal(flips[29], 1);
  assert.ok(Math.abs(flips[1] - 1 / 29) < 1e-12); // numpy.linspace(0, 1, 30)
  const prune = levels('prune', 'reference');
  assert.equal(Math.max(...prune), 0.999);
  assert.ok(prune.includes(0.53) && prune.includes(0.995));
  const rand = levels('randomize', 'B');
  assert.equal(rand.length, 23);
  assert.deepEqual(rand.slice(0, 4), [0, 0.1, 0.2, 0.3]);
  assert.equal(Math.max(...rand), 0.999);
});

test('the randomize probe is prune-then-null on the documented stream: layer L of seed S draws from new Rng(S).fork("randomize", method, L)', async () => {
  const { randomizeLayer } = await import('../../src/randomize/index.js');
  const { pruneValues } = await import('../../src/probes/kernels.js');
  const model = randomModel(12);
  for (const method of ['B', 'E', 'curveball']) {
    for (const [level, signed] of [[0, false], [0.5, true]] as const) {
      const got = applyProbe(model, spec({ probe: 'randomize', variant: method, level, signed }), new Rng(77));
      model.layers.forEach((layer, k) => {
        // by hand from docs/null-models.md: prune the smallest |w| and |b|, shuffle on the layer's stream, keep the pruned bias, sign
        const w = level > 0 ? pruneValues(layer.weights, level, 'smallest') : layer.weights;
        const b = level > 0 ? pruneValues(layer.bias!, level, 'smallest') : layer.bias!;
        const shuffled = randomizeLayer({ ...layer, weights: w, bias: b }, method, new Rng(77).fork('randomize', method, layer.name)).weights;
        const sgn = (v: Float32Array): Float32Array => v.map((x) => Math.sign(x));
        assert.deepEqual(got.layers[k].weights, signed ? sgn(shuffled) : shuffled, `${method} ${level} ${layer.name}`);
        assert.deepEqual(got.layers[k].bias, signed ? sgn(b) : b);
      });
    }
  }
});
