/**
 * The window-MLP baseline: its gradient against finite differences, and its window: a token's
 * tags depend on the tokens within the radius of it in its own sentence and on nothing else; the
 * WebAssembly engine (window-engine.ts) against the reference JS passes: logits, loss, gradients,
 * Adam steps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import { packBatch, type SentenceInput } from '../../src/model/transformer/model.js';
import { useTfjsMatmul } from '../../src/model/transformer/linalg.js';
import { initWindowMlp, windowMlpInternals, type WindowMlp, type WindowMlpConfig } from '../../src/model/transformer/window-mlp.js';
import { WindowMlpEngine } from '../../src/model/transformer/window-engine.js';
import { Adam, scheduledLr, type AdamParam } from '../../src/model/transformer/train.js';

const small: WindowMlpConfig = { vocab: 12, suffixes: 7, shapes: 5, lexicon: 4, dim: 6, radius: 2, hidden: 10, tags: 3 };
const { forward, lossAndGradient } = windowMlpInternals;

function sentences(rng: Rng, count: number, minLen = 1, c: WindowMlpConfig = small): SentenceInput[] {
  return Array.from({ length: count }, () => {
    const n = minLen + rng.int(9);
    const ints = (m: number) => Int32Array.from({ length: n }, () => rng.int(m));
    return { word: ints(c.vocab), suffix: ints(c.suffixes), shape: ints(c.shapes), lexicon: ints(c.lexicon), tag: ints(c.tags) };
  });
}

function perturbedModel(seed: number, c: WindowMlpConfig = small) {
  const m = initWindowMlp(c, seed);
  const rng = new Rng(seed + 1);
  for (const l of m.layers) if (l.bias) for (let i = 0; i < l.bias.length; i++) l.bias[i] = 0.3 * rng.normal();
  return m;
}

test('window MLP: the gradient matches central finite differences on every layer', () => {
  useTfjsMatmul(false);
  const model = perturbedModel(3);
  const batch = packBatch(sentences(new Rng(4), 5));
  const grads = model.layers.map((l) => ({ weights: new Float32Array(l.weights.length), bias: l.bias ? new Float32Array(l.bias.length) : null }));
  lossAndGradient(model, batch, grads);
  const scratch = model.layers.map((l) => ({ weights: new Float32Array(l.weights.length), bias: l.bias ? new Float32Array(l.bias.length) : null }));
  const rng = new Rng(5);
  let worst = 0;
  let checked = 0;
  const probe = (values: Float32Array, g: Float32Array) => {
    for (let t = 0; t < 4; t++) {
      const i = rng.int(values.length);
      const old = values[i];
      const h = 2e-3;
      values[i] = old + h;
      const up = lossAndGradient(model, batch, scratch);
      values[i] = old - h;
      const down = lossAndGradient(model, batch, scratch);
      values[i] = old;
      const numeric = (up - down) / (2 * h);
      if (numeric !== 0) checked++;
      worst = Math.max(worst, Math.abs(numeric - g[i]) / Math.max(1e-2, Math.abs(numeric) + Math.abs(g[i])));
    }
  };
  model.layers.forEach((l, k) => {
    probe(l.weights, grads[k].weights);
    if (l.bias) probe(l.bias, grads[k].bias!);
  });
  useTfjsMatmul(true);
  assert.ok(checked > 10, `only ${checked} non-zero derivatives probed`);
  assert.ok(worst < 0.05, `worst relative error ${worst}`);
});

test('window MLP: a token sees the tokens within the radius in its own sentence, and nothing else', () => {
  const model = perturbedModel(6);
  const rng = new Rng(7);
  const [a, b] = sentences(rng, 2, 8);
  const together = forward(model, packBatch([a, b])).logits;
  const alone = forward(model, packBatch([a])).logits;
  // packing another sentence beside it changes nothing
  assert.deepEqual(Array.from(together.subarray(0, alone.length)), Array.from(alone));
  const T = small.tags;
  const changed = (i: number, at: number): boolean => {
    const edited = { ...a, word: Int32Array.from(a.word) };
    edited.word[at] = (edited.word[at] + 1) % small.vocab;
    const l = forward(model, packBatch([edited])).logits;
    return l.subarray(i * T, i * T + T).some((v, t) => v !== alone[i * T + t]);
  };
  assert.ok(changed(3, 5), 'a word two to the right is inside the window');
  assert.ok(changed(3, 1), 'a word two to the left is inside the window');
  assert.ok(!changed(3, 6), 'a word three to the right is outside the window');
  assert.ok(!changed(3, 0), 'a word three to the left is outside the window');
});

const zeroGrads = (m: WindowMlp) => m.layers.map((l) => ({ weights: new Float32Array(l.weights.length), bias: l.bias ? new Float32Array(l.bias.length) : null }));

/** Every |a − b| within tol · max(1, max |b|). */
function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  let scale = 1;
  let worst = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  assert.ok(worst <= tol * scale, `${what}: max |Δ| ${worst}`);
}

const SHAPES: WindowMlpConfig[] = [small, { vocab: 40, suffixes: 9, shapes: 5, lexicon: 13, dim: 8, radius: 1, hidden: 16, tags: 12 }];

test('window MLP engine: the reference passes\' logits, loss and every gradient to float32 rounding (padded widths too)', () => {
  useTfjsMatmul(false);
  for (const [k, c] of SHAPES.entries()) {
    const model = perturbedModel(10 + k, c);
    const batch = packBatch(sentences(new Rng(20 + k), 6, 1, c));
    const engine = new WindowMlpEngine(c, { training: true });
    engine.load(model);
    assertClose(engine.logits(batch, model.layers.slice(0, 4).map((l) => l.weights)), forward(model, batch).logits, 1e-5, `shape ${k} logits`);
    const ref = zeroGrads(model);
    const refLoss = lossAndGradient(model, batch, ref);
    engine.zeroGradients();
    assert.ok(Math.abs(engine.lossAndGradient(batch) - refLoss) < 1e-5, `shape ${k} loss`);
    const ours = zeroGrads(model);
    engine.addGradients(ours);
    model.layers.forEach((l, j) => {
      assertClose(ours[j].weights, ref[j].weights, 1e-4, `shape ${k} ∂${l.name}`);
      if (l.bias) assertClose(ours[j].bias!, ref[j].bias!, 1e-4, `shape ${k} ∂${l.name} bias`);
    });
  }
  useTfjsMatmul(true);
});

test('window MLP engine: dense-Adam steps are the reference Adam steps; the inference engine predicts the reference argmax', () => {
  useTfjsMatmul(false);
  const c = SHAPES[1];
  const schedule = { lr: 1e-2, warmupSteps: 2, totalSteps: 10 };
  const ours = perturbedModel(30, c);
  const ref = perturbedModel(30, c);
  const engine = new WindowMlpEngine(c, { training: true, lazyEmbeddings: false });
  engine.load(ours);
  const grads = zeroGrads(ref);
  const params: AdamParam[] = [];
  ref.layers.forEach((l, k) => {
    params.push({ value: l.weights, grad: grads[k].weights });
    if (l.bias) params.push({ value: l.bias, grad: grads[k].bias! });
  });
  const adam = new Adam(params, schedule);
  for (let k = 0; k < 3; k++) {
    const batch = packBatch(sentences(new Rng(40 + k), 4, 1, c));
    engine.lossAndGradient(batch);
    engine.adamStep(scheduledLr(k + 1, schedule));
    adam.zeroGrad();
    lossAndGradient(ref, batch, grads);
    adam.update();
  }
  engine.store(ours);
  ours.layers.forEach((l, k) => assertClose(l.weights, ref.layers[k].weights, 1e-5, `${l.name} after 3 steps`));
  const batch = packBatch(sentences(new Rng(50), 8, 1, c));
  const inference = new WindowMlpEngine(c, { training: false });
  inference.load(ref);
  const logits = forward(ref, batch).logits;
  const predicted = inference.predict(batch, ref.layers.slice(0, 4).map((l) => l.weights));
  predicted.forEach((t, i) => {
    const row = Array.from(logits.subarray(i * c.tags, (i + 1) * c.tags));
    assert.equal(row[t], Math.max(...row), `token ${i}`);
  });
  useTfjsMatmul(true);
});
