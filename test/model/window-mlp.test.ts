/**
 * The window-MLP baseline: its gradient against finite differences, and its window: a token's
 * tags depend on the tokens within the radius of it in its own sentence and on nothing else.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import { packBatch, type SentenceInput } from '../../src/model/transformer/model.js';
import { useTfjsMatmul } from '../../src/model/transformer/linalg.js';
import { initWindowMlp, windowMlpInternals, type WindowMlpConfig } from '../../src/model/transformer/window-mlp.js';

const small: WindowMlpConfig = { vocab: 12, suffixes: 7, shapes: 5, lexicon: 4, dim: 6, radius: 2, hidden: 10, tags: 3 };
const { forward, lossAndGradient } = windowMlpInternals;

function sentences(rng: Rng, count: number, minLen = 1): SentenceInput[] {
  return Array.from({ length: count }, () => {
    const n = minLen + rng.int(9);
    const ints = (m: number) => Int32Array.from({ length: n }, () => rng.int(m));
    return { word: ints(small.vocab), suffix: ints(small.suffixes), shape: ints(small.shapes), lexicon: ints(small.lexicon), tag: ints(small.tags) };
  });
}

function perturbedModel(seed: number) {
  const m = initWindowMlp(small, seed);
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
