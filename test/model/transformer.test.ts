import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/model/index.js';
import {
  initTransformer, packBatch, predictBatch, forward, lossAndGradient, zeroGradients, asDense, withLayers, layerNames, sinusoidalPositions, POSITION_AMPLITUDE, type TransformerConfig, type SentenceInput,
} from '../../src/model/transformer/model.js';
import { trainTagger, tagSentences } from '../../src/model/transformer/train.js';
import { padBatch, tfjsForward } from '../../src/model/transformer/tfjs-forward.js';
import { useTfjsMatmul } from '../../src/model/transformer/linalg.js';
import { mkdtempSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultBrownDir, loadTagging, predictMostFrequent, taggingScores, type TaggingData } from '../../src/data/brown.js';
import { applyProbe } from '../../src/probes/index.js';
import { Rng } from '../../src/core/rng.js';
import { UserError } from '../../src/core/errors.js';
import { taggerConfig } from '../../src/study/kinds/tagger/config.js';

const small: TransformerConfig = { vocab: 20, suffixes: 9, shapes: 5, lexicon: 6, maxLen: 16, blocks: 2, dim: 8, heads: 2, ffn: 12, tags: 5 };

function randomSentences(rng: Rng, count: number, c: TransformerConfig): SentenceInput[] {
  return Array.from({ length: count }, () => {
    const n = 1 + rng.int(c.maxLen);
    const ints = (m: number) => Int32Array.from({ length: n }, () => rng.int(m));
    return { word: ints(c.vocab), suffix: ints(c.suffixes), shape: ints(c.shapes), lexicon: ints(c.lexicon), tag: ints(c.tags) };
  });
}

/** A model with non-trivial biases and norms, so the comparisons exercise every parameter. */
function perturbed(seed: number): ReturnType<typeof initTransformer> {
  const m = initTransformer(small, seed);
  const rng = new Rng(seed + 1);
  for (const l of m.layers) if (l.bias) for (let i = 0; i < l.bias.length; i++) l.bias[i] = 0.3 * rng.normal();
  for (const n of m.norms) for (let i = 0; i < n.gamma.length; i++) {
    n.gamma[i] = 1 + 0.3 * rng.normal();
    n.beta[i] = 0.3 * rng.normal();
  }
  return m;
}

before(async () => {
  await selectBackend();
});

test('the packed engine agrees with a padded, masked tfjs forward pass to float rounding (both matmul paths)', () => {
  const model = perturbed(4);
  const sentences = randomSentences(new Rng(9), 6, small);
  const padded = padBatch(sentences);
  const ref = tfjsForward(model, padded);
  const refData = ref.dataSync();
  ref.dispose();
  for (const viaTfjs of [true, false]) {
    useTfjsMatmul(viaTfjs);
    const { logits } = forward(model, packBatch(sentences));
    let o = 0;
    let maxDiff = 0;
    sentences.forEach((s, k) => {
      for (let i = 0; i < s.word.length; i++, o++) {
        for (let t = 0; t < small.tags; t++) maxDiff = Math.max(maxDiff, Math.abs(logits[o * small.tags + t] - refData[(k * padded.t + i) * small.tags + t]));
      }
    });
    assert.ok(maxDiff < 1e-4, `max |Δlogit| = ${maxDiff}`);
  }
  useTfjsMatmul(true);
});

test('masking: a sentence gives the same logits alone, packed with others, and padded in a tfjs batch', () => {
  const model = perturbed(5);
  const sentences = randomSentences(new Rng(3), 5, small);
  const together = forward(model, packBatch(sentences)).logits;
  let o = 0;
  for (const s of sentences) {
    const alone = forward(model, packBatch([s])).logits;
    for (let i = 0; i < alone.length; i++) assert.ok(Math.abs(alone[i] - together[o * small.tags + i]) < 1e-5);
    const paddedAlone = tfjsForward(model, padBatch([s], small.maxLen));
    const p = paddedAlone.dataSync();
    paddedAlone.dispose();
    for (let i = 0; i < alone.length; i++) assert.ok(Math.abs(alone[i] - p[i]) < 1e-4);
    o += s.word.length;
  }
});

test('the gradient matches finite differences of the loss on every parameter kind', () => {
  useTfjsMatmul(false);
  const model = perturbed(6);
  const batch = packBatch(randomSentences(new Rng(5), 4, small));
  const grads = zeroGradients(model);
  const base = lossAndGradient(model, batch, grads);
  const rng = new Rng(11);
  let worst = 0;
  const probe = (values: Float32Array, g: Float32Array) => {
    for (let t = 0; t < 3; t++) {
      const i = rng.int(values.length);
      const old = values[i];
      const h = 2e-3;
      values[i] = old + h;
      const up = lossAndGradient(model, batch);
      values[i] = old - h;
      const down = lossAndGradient(model, batch);
      values[i] = old;
      // A ReLU whose input lies within the step of 0 is a kink: there the gradient is the slope of
      // one side, so it must match the central difference or one of the one-sided ones.
      const error = (numeric: number) => Math.abs(numeric - g[i]) / Math.max(1e-2, Math.abs(numeric) + Math.abs(g[i]));
      worst = Math.max(worst, Math.min(error((up - down) / (2 * h)), error((up - base) / h), error((base - down) / h)));
    }
  };
  for (const l of model.layers) {
    const g = grads.layers.get(l.name)!;
    probe(l.weights, g.weights);
    if (l.bias) probe(l.bias, g.bias!);
  }
  for (const n of model.norms) {
    probe(n.gamma, grads.norms.get(n.name)!.gamma);
    probe(n.beta, grads.norms.get(n.name)!.beta);
  }
  useTfjsMatmul(true);
  assert.ok(worst < 0.05, `worst relative error ${worst}`);
});

test('training is seeded: same seed, same weights; another seed, other weights', () => {
  const sentences = randomSentences(new Rng(1), 30, small);
  const run = (seed: number) => {
    const m = initTransformer(small, seed);
    trainTagger(m, sentences, { tokens: 300, batchTokens: 64, lr: 3e-3, warmupSteps: 2, seed });
    return m.layers[4].weights;
  };
  assert.deepEqual(run(2), run(2));
  assert.notDeepEqual(run(2), run(3));
});

let data: TaggingData;
test('the tagger learns real Brown tags well above the most-frequent-tag baseline on a small slice', () => {
  // a small corpus folder of real files: 6 genres × 5 files, split 4 : 1 within each genre
  const dir = mkdtempSync(join(tmpdir(), 'ws-brown-slice-'));
  for (const g of 'abfgjk') for (let k = 1; k <= 5; k++) copyFileSync(join(defaultBrownDir(), `c${g}0${k}`), join(dir, `c${g}0${k}`));
  data = loadTagging({ dir, maxLen: 32, minCount: 2 });
  const train = data.train;
  const held = data.test;
  const config = taggerConfig(data, { blocks: 2, dim: 32, heads: 2, ffn: 64 }, 32);
  const model = initTransformer(config, 1);
  trainTagger(model, train, { tokens: 120_000, batchTokens: 512, lr: 1.5e-2, warmupSteps: 10, seed: 1 });
  const ours = taggingScores(held.map((s) => s.tag), tagSentences(model, held), 12);
  const base = taggingScores(held.map((s) => s.tag), held.map((s) => predictMostFrequent(s, data.unknownTag)), 12);
  // the baseline knows every training word's most frequent tag (held-out set ≈ 12k tokens: a standard
  // error of ≈ 0.25 points), so 2 points above it is no accident
  assert.ok(ours.accuracy > base.accuracy + 0.02, `tagger ${ours.accuracy.toFixed(3)} vs most-frequent ${base.accuracy.toFixed(3)}`);
});

test('a probe touches only the layer named; an unknown layer name lists the names', () => {
  const model = perturbed(7);
  const probed = withLayers(model, applyProbe(asDense(model), { probe: 'binarize', variant: 'reference', signed: true, level: 0, layer: 'block1.attn.v' }, new Rng(1)));
  for (const [k, l] of probed.layers.entries()) {
    if (l.name === 'block1.attn.v') assert.ok(l.weights.every((w) => w === 1 || w === -1 || w === 0));
    else assert.equal(l, model.layers[k]);
  }
  assert.deepEqual(probed.norms, model.norms);
  assert.notDeepEqual(predictBatch(probed, packBatch(randomSentences(new Rng(2), 8, small))), undefined);
  assert.throws(
    () => applyProbe(asDense(model), { probe: 'binarize', variant: 'reference', signed: true, level: 0, layer: 'block9.attn.q' }, new Rng(1)),
    (e: unknown) => e instanceof UserError && e.message.includes(layerNames(small).join(', ')),
  );
});

test('tfjs sanity: the reference forward leaves no tensors behind', () => {
  const before = tf.memory().numTensors;
  const model = perturbed(8);
  tfjsForward(model, padBatch(randomSentences(new Rng(4), 2, small))).dispose();
  assert.equal(tf.memory().numTensors, before);
});

test('the position embedding starts from the sinusoidal table (hand-worked values)', () => {
  // d = 4: frequencies 1 and 10000^(-2/4) = 0.01; even columns sin, odd columns cos
  const w = sinusoidalPositions(3, 4, 2);
  const expected = [0, 2, 0, 2, 2 * Math.sin(1), 2 * Math.cos(1), 2 * Math.sin(0.01), 2 * Math.cos(0.01), 2 * Math.sin(2), 2 * Math.cos(2), 2 * Math.sin(0.02), 2 * Math.cos(0.02)];
  expected.forEach((v, i) => assert.ok(Math.abs(w[i] - v) < 1e-6, `entry ${i}: ${w[i]} vs ${v}`));
  const model = initTransformer(small, 1);
  const position = model.layers.find((l) => l.name === 'embed.position')!;
  assert.deepEqual(position.shape, [small.maxLen, small.dim]);
  assert.ok(Math.abs(position.weights[small.dim + 0] - POSITION_AMPLITUDE * Math.sin(1)) < 1e-6);
});
