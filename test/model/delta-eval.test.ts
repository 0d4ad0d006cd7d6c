/**
 * The exact first layer (src/model/delta-eval.ts): the float32 path's accuracy bit for bit on the
 * reference sweep of real models, CKA at float32 rounding level and nearer the float64 definition,
 * the same numbers whatever route computed them (plan order, reversed, fresh evaluators, plain JS),
 * images near a tie recomputed the float32 way, and weights outside its range left to the float32 path.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, type DenseModel } from '../../src/core/index.js';
import { createEvaluator, splitInputs, testBatchCount, trainMlp, REFERENCE_MLP, type Evaluator, type Measurement, type Split } from '../../src/model/index.js';
import { exactCounters, exactInputs } from '../../src/model/delta-eval.js';
import { sparseInputs } from '../../src/model/evaluator.js';
import { CkaAccumulator, ckaReference, linearCka } from '../../src/model/cka.js';
import { applyProbe, exactFirstLayer, planSweep, probedModel, type ProbeSpec } from '../../src/probes/index.js';
import { mnistPair } from './fixtures.js';

const test07 = mnistPair('t10k', 0, 7);
const test79 = mnistPair('t10k', 7, 9);
let model07: DenseModel;
let model79: DenseModel;

before(async () => {
  const train = (a: number, b: number, seed: number) => trainMlp(mnistPair('train', a, b, 4000), 'pm1', REFERENCE_MLP, { seed, epochs: 3, engine: 'sparse' });
  model07 = (await train(0, 7, 3)).model;
  model79 = (await train(7, 9, 5)).model;
});

/** Every evaluation of the reference sweep that exactFirstLayer computes exactly (deterministic prune and flip curves, binarization). */
const exactPlan = planSweep().filter((e) => exactFirstLayer(e.spec)).map((e) => e.spec);

/** First-layer ReLU activations in float64 from the scaled inputs (the definition, no sparse form). */
function hidden(split: Split, model: DenseModel): Float64Array {
  const x = splitInputs(split, 'pm1');
  const l = model.layers[0];
  const [d, h] = l.shape;
  const out = new Float64Array(split.n * h);
  for (let k = 0; k < split.n; k++) {
    for (let j = 0; j < h; j++) {
      let s = l.bias ? l.bias[j] : 0;
      for (let i = 0; i < d; i++) s += x[k * d + i] * l.weights[i * h + j];
      out[k * h + j] = Math.max(0, s);
    }
  }
  return out;
}

test('on every deterministic prune, flip and binarize evaluation of the reference sweep of two real models: the float32 path\'s accuracy, CKA within float32 rounding', () => {
  for (const [split, model] of [[test07, model07], [test79, model79]] as const) {
    const float32 = createEvaluator(split, 'pm1');
    const exact = createEvaluator(split, 'pm1');
    let worst = { d: 0, spec: exactPlan[0], model: model as DenseModel, exact: 0 };
    for (const spec of exactPlan) {
      const probed = applyProbe(model, spec, new Rng(0));
      const [a] = float32.measure([probed], model);
      const [b] = exact.measure([probed], model, { exact: true });
      assert.equal(b.accuracy, a.accuracy, `${spec.probe} ${spec.variant} ${spec.signed} ${spec.level}: accuracy`);
      const d = Math.abs(b.cka! - a.cka!);
      if (d > worst.d) worst = { d, spec, model: probed, exact: b.cka! };
    }
    assert.ok(worst.d < 1e-5, `largest CKA difference ${worst.d}`);
    // Where the two differ most, the exact one is within float32 rounding of the float64 definition.
    const definition = linearCka(hidden(split, model), hidden(split, worst.model), split.n, 64, 64);
    assert.ok(Math.abs(worst.exact - definition) < 1e-7, `exact CKA ${worst.exact}, definition ${definition}`);
  }
});

function same(a: Measurement[], b: Measurement[], what: string): void {
  assert.equal(a.length, b.length);
  a.forEach((m, k) => {
    assert.equal(m.accuracy, b[k].accuracy, `${what}, evaluation ${k}: accuracy`);
    assert.equal(m.cka, b[k].cka, `${what}, evaluation ${k}: CKA`);
  });
}

test('the same numbers by any route: plan order, reversed, each on a fresh evaluator, plain JS; per-batch models too', () => {
  const split = mnistPair('t10k', 7, 9, 700);
  const specs: ProbeSpec[] = [
    ...exactPlan.filter((s) => s.probe === 'prune' && s.variant === 'reference' && [0, 0.5, 0.53, 0.9, 0.999].includes(s.level)),
    ...exactPlan.filter((s) => s.probe === 'signflip' && s.variant === 'largest' && s.signed).filter((_, k) => k % 7 === 0),
    ...exactPlan.filter((s) => s.probe === 'binarize'),
    // per-batch draws (not in the sweep's exact set, but any model takes the exact option)
    { probe: 'prune', variant: 'random', signed: true, level: 0.3, layer: 'all' },
    { probe: 'binarize+noise', variant: 'reference', signed: true, level: 2 ** -6, layer: 'all' },
  ];
  const models = specs.map((spec) => probedModel(model79, spec, 11, testBatchCount(split.n)));
  // CKA against the binarized model: its float32 activations are the same bits in JS and WebAssembly
  // (products ±val exact, one rounding per add), so CKA compares the exact pre-activations themselves.
  const reference = applyProbe(model79, { probe: 'binarize', variant: 'bias-keep', signed: true, level: 0, layer: 'all' }, new Rng(0));
  const run = (ev: () => Evaluator, order: number[]) => {
    const out: Measurement[] = new Array(models.length);
    const shared = ev();
    for (const k of order) out[k] = shared.measure([models[k]], reference, { exact: true })[0];
    return out;
  };
  const inOrder = models.map((_, k) => k);
  const images = exactCounters.images;
  const planned = run(() => createEvaluator(split, 'pm1'), inOrder);
  assert.ok(exactCounters.images > images, 'the WebAssembly engine ran');
  same(run(() => createEvaluator(split, 'pm1'), [...inOrder].reverse()), planned, 'reversed');
  same(models.map((m) => createEvaluator(split, 'pm1').measure([m], reference, { exact: true })[0]), planned, 'fresh evaluators');
  same(run(() => createEvaluator(split, 'pm1', { wasm: false }), inOrder), planned, 'plain JS');
  // and the float32 path's accuracy
  const float32 = createEvaluator(split, 'pm1');
  models.forEach((m, k) => assert.equal(planned[k].accuracy, float32.measure([m], reference)[0].accuracy, `evaluation ${k}`));
});

test('images within the float32 path\'s rounding of a tie are recomputed the float32 way', () => {
  // Hidden units 32…63 copy units 0…31 with a few weights nudged by a few ulps, and the head takes
  // their difference: every logit gap is at the float32 path's rounding level, where it decides.
  const split = mnistPair('t10k', 0, 7, 400);
  const float32 = createEvaluator(split, 'pm1');
  const exact = createEvaluator(split, 'pm1');
  const rng = new Rng(8);
  const before = exactCounters.recomputed;
  const accuracies = new Set<number>();
  for (const nudge of [0, 1, 4, 16, 64, 256]) {
    const first = model07.layers[0];
    const w = first.weights.slice();
    for (let i = 0; i < 784; i++) {
      for (let j = 0; j < 32; j++) {
        let v = w[i * 64 + j];
        if (nudge > 0 && rng.next() < 0.05) v = Math.fround(v * (1 + nudge * 2 ** -23 * (rng.next() < 0.5 ? -1 : 1)));
        w[i * 64 + 32 + j] = v;
      }
    }
    const head = Float32Array.from({ length: 128 }, (_, i) => (i % 2 === 1 ? (Math.floor(i / 2) < 32 ? 1 : -1) : 0));
    const m: DenseModel = { ...model07, layers: [{ ...first, weights: w, bias: Float32Array.from({ length: 64 }, (_, j) => first.bias![j % 32]) }, { ...model07.layers[1], weights: head, bias: new Float32Array(2) }] };
    const [a] = float32.measure([m], model07);
    const [b] = exact.measure([m], model07, { exact: true });
    assert.equal(b.accuracy, a.accuracy, `nudge ${nudge} ulps`);
    accuracies.add(a.accuracy);
  }
  assert.ok(exactCounters.recomputed - before > 1000, `${exactCounters.recomputed - before} images recomputed`);
  assert.ok(accuracies.size > 2, `the float32 path's rounding decides: accuracies ${[...accuracies].join(', ')}`);
});

test('weights outside the grid\'s range (or NaN-free but huge) are measured by the float32 path, bit for bit', () => {
  const split = mnistPair('t10k', 7, 9, 500);
  const ei = exactInputs(sparseInputs(split, 'pm1'), 2 / 255);
  assert.ok(ei.maxWeight > 1, `signs fit the grid (${ei.maxWeight})`);
  const big = structuredClone(model79);
  big.layers[0].weights[1234] = 2 * ei.maxWeight;
  const [a] = createEvaluator(split, 'pm1').measure([big], model79);
  const [b] = createEvaluator(split, 'pm1').measure([big], model79, { exact: true });
  assert.deepEqual(b, a);
  // and a shape the certified head does not handle (three layers) likewise
  const deep: DenseModel = {
    ...model79,
    layers: [{ ...model79.layers[0] }, { ...model79.layers[1], shape: [64, 2], activation: 'relu' }, { name: 'dense_2', shape: [2, 2], weights: Float32Array.from([1, 0, 0, 1]), bias: null, activation: 'softmax' }],
  };
  const [c] = createEvaluator(split, 'pm1').measure([deep], model79);
  const [d] = createEvaluator(split, 'pm1').measure([deep], model79, { exact: true });
  assert.deepEqual(d, c);
});

/**
 * The float32 path by its definition, in plain JS with Math.fround: bias32 = f32(b + Σ_i x(m_i)·w_i
 * in float64), then per image, its entries in order, acc = f32(acc + f32(val·w)); ReLU activations.
 */
function float32Definition(split: Split, model: DenseModel): Float32Array {
  const s = sparseInputs(split, 'pm1');
  const l = model.layers[0];
  const [d, h] = l.shape;
  const bias = new Float32Array(h);
  for (let j = 0; j < h; j++) {
    let f = l.bias ? l.bias[j] : 0;
    for (let i = 0; i < d; i++) if (s.baseX[i] !== 0) f += s.baseX[i] * l.weights[i * h + j];
    bias[j] = f;
  }
  const out = new Float32Array(s.n * h);
  for (let r = 0; r < s.n; r++) {
    for (let j = 0; j < h; j++) {
      let acc = bias[j];
      for (let e = s.rowPtr[r]; e < s.rowPtr[r + 1]; e++) acc = Math.fround(acc + Math.fround(s.val[e] * l.weights[s.col[e] * h + j]));
      out[r * h + j] = Math.max(0, acc);
    }
  }
  return out;
}

test('the float32 path, through dense rows or (weights ≥ 90 % zero) pixel by pixel over the non-zero weights, is its definition bit for bit (accuracy and CKA)', () => {
  const split = mnistPair('t10k', 7, 9, 300);
  const ev = createEvaluator(split, 'pm1');
  const refActs = float32Definition(split, model79);
  const ref = ckaReference(refActs, split.n, 64);
  const sparse = exactCounters.sparseFloat32Images;
  for (const spec of [
    { probe: 'prune', variant: 'reference', signed: false, level: 0.5, layer: 'all' },
    { probe: 'prune', variant: 'reference', signed: false, level: 0.95, layer: 'all' },
    { probe: 'prune', variant: 'largest', signed: true, level: 0.99, layer: 'all' },
    { probe: 'randomize', variant: 'A', signed: false, level: 0.97, layer: 'all' },
    { probe: 'randomize', variant: 'E', signed: true, level: 0.999, layer: 'all' },
  ] as ProbeSpec[]) {
    const m = applyProbe(model79, spec, new Rng(5));
    const acts = float32Definition(split, m);
    const acc = new CkaAccumulator(ref);
    for (let r = 0; r < split.n; r++) acc.add(r, acts, r * 64);
    // predictions by the twoLayerRelu rule from the definition's activations
    const W = m.layers[1].weights;
    const b = m.layers[1].bias!;
    let correct = 0;
    for (let r = 0; r < split.n; r++) {
      let z0 = b[0];
      let z1 = b[1];
      for (let j = 0; j < 64; j++) {
        const x = acts[r * 64 + j];
        if (x > 0) {
          z0 += x * W[2 * j];
          z1 += x * W[2 * j + 1];
        }
      }
      if ((z1 > z0 ? 1 : 0) === split.labels[r]) correct++;
    }
    const [got] = ev.measure([m], model79);
    assert.equal(got.accuracy, correct / split.n, `${spec.variant} ${spec.level}: accuracy`);
    assert.equal(got.cka, acc.value(), `${spec.variant} ${spec.level}: CKA`);
  }
  assert.equal(exactCounters.sparseFloat32Images - sparse, 4 * split.n, 'the four models ≥ 90 % zero took the route over non-zero weights');
});
