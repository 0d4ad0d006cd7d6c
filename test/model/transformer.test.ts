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
import { referenceForward, referenceLossAndGradient } from '../../src/model/transformer/reference.js';
import { engineSupports, TransformerEngine } from '../../src/model/transformer/engine.js';
import { Adam, scheduledLr, type AdamParam } from '../../src/model/transformer/train.js';
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
function perturbed(seed: number, config: TransformerConfig = small): ReturnType<typeof initTransformer> {
  const m = initTransformer(config, seed);
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

test('both packed engines agree with a padded, masked tfjs forward pass to float rounding (the reference on both matmul paths)', () => {
  const model = perturbed(4);
  const sentences = randomSentences(new Rng(9), 6, small);
  const padded = padBatch(sentences);
  const ref = tfjsForward(model, padded);
  const refData = ref.dataSync();
  ref.dispose();
  assert.ok(engineSupports(small), 'the WebAssembly engine runs the small config');
  for (const path of ['engine', 'reference, tfjs matMul', 'reference, JS loops'] as const) {
    useTfjsMatmul(path !== 'reference, JS loops');
    const { logits } = path === 'engine' ? forward(model, packBatch(sentences)) : referenceForward(model, packBatch(sentences));
    let o = 0;
    let maxDiff = 0;
    sentences.forEach((s, k) => {
      for (let i = 0; i < s.word.length; i++, o++) {
        for (let t = 0; t < small.tags; t++) maxDiff = Math.max(maxDiff, Math.abs(logits[o * small.tags + t] - refData[(k * padded.t + i) * small.tags + t]));
      }
    });
    assert.ok(maxDiff < 1e-4, `${path}: max |Δlogit| = ${maxDiff}`);
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

/** Shapes the WebAssembly engine must agree with the reference on: FFN widths and tag counts it pads, one to four heads of 4–16 floats. */
const SHAPES: TransformerConfig[] = [
  small,
  { ...small, ffn: 10, tags: 3 },
  { vocab: 30, suffixes: 7, shapes: 5, lexicon: 13, maxLen: 40, blocks: 3, dim: 12, heads: 3, ffn: 18, tags: 12 },
  { vocab: 50, suffixes: 11, shapes: 5, lexicon: 13, maxLen: 64, blocks: 1, dim: 32, heads: 2, ffn: 64, tags: 12 },
];

/** Every |a − b| within tol · max(1, max |b|) (float32 arithmetic summed in different orders). */
function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  let scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  assert.ok(worst <= tol * scale, `${what}: max |Δ| ${worst} (scale ${scale})`);
}

test('the WebAssembly engine computes the reference engine\'s logits (branches removed too), loss and every gradient to float32 rounding', () => {
  useTfjsMatmul(false);
  for (const [k, c] of SHAPES.entries()) {
    assert.ok(engineSupports(c), `engine supports ${JSON.stringify(c)}`);
    const model = perturbed(20 + k, c);
    const batch = packBatch(randomSentences(new Rng(30 + k), 7, c));
    for (const ablate of [undefined, new Set(['block0.attn']), new Set(['block0.ffn', `block${c.blocks - 1}.attn`])]) {
      assertClose(forward(model, batch, ablate).logits, referenceForward(model, batch, ablate).logits, 2e-5, `shape ${k} logits, removed ${[...(ablate ?? [])]}`);
    }
    const ours = zeroGradients(model);
    const ref = zeroGradients(model);
    const loss = lossAndGradient(model, batch, ours);
    assert.ok(Math.abs(loss - referenceLossAndGradient(model, batch, ref)) < 1e-5, `shape ${k} loss`);
    for (const [name, g] of ours.layers) {
      assertClose(g.weights, ref.layers.get(name)!.weights, 1e-4, `shape ${k} ∂${name}`);
      if (g.bias) assertClose(g.bias, ref.layers.get(name)!.bias!, 1e-4, `shape ${k} ∂${name} bias`);
    }
    for (const [name, g] of ours.norms) {
      assertClose(g.gamma, ref.norms.get(name)!.gamma, 1e-4, `shape ${k} ∂${name} γ`);
      assertClose(g.beta, ref.norms.get(name)!.beta, 1e-4, `shape ${k} ∂${name} β`);
    }
  }
  useTfjsMatmul(true);
});

/** The model's parameters with their reference gradients, in the order trainTagger's reference path uses. */
function adamParams(model: ReturnType<typeof initTransformer>, grads: ReturnType<typeof zeroGradients>): AdamParam[] {
  const params: AdamParam[] = [];
  for (const l of model.layers) {
    params.push({ value: l.weights, grad: grads.layers.get(l.name)!.weights });
    if (l.bias) params.push({ value: l.bias, grad: grads.layers.get(l.name)!.bias! });
  }
  for (const n of model.norms) params.push({ value: n.gamma, grad: grads.norms.get(n.name)!.gamma }, { value: n.beta, grad: grads.norms.get(n.name)!.beta });
  return params;
}

test('engine training steps with dense Adam are the reference Adam steps; lazy Adam leaves the rows a batch did not touch where they were', () => {
  useTfjsMatmul(false);
  const c = SHAPES[2];
  const schedule = { lr: 1e-2, warmupSteps: 2, totalSteps: 10 };
  const batches = [0, 1, 2].map((k) => packBatch(randomSentences(new Rng(50 + k), 4, c)));
  const ours = perturbed(40, c);
  const ref = perturbed(40, c);
  const engine = new TransformerEngine(c, { training: true, lazyEmbeddings: false });
  engine.load(ours);
  const grads = zeroGradients(ref);
  const adam = new Adam(adamParams(ref, grads), schedule);
  batches.forEach((batch, k) => {
    engine.lossAndGradient(batch);
    engine.adamStep(scheduledLr(k + 1, schedule));
    adam.zeroGrad();
    referenceLossAndGradient(ref, batch, grads);
    adam.update();
  });
  engine.store(ours);
  ours.layers.forEach((l, k) => assertClose(l.weights, ref.layers[k].weights, 1e-5, `${l.name} after 3 steps`));
  ours.norms.forEach((n, k) => assertClose(n.gamma, ref.norms[k].gamma, 1e-5, `${n.name} γ after 3 steps`));

  // lazy: two steps; a word row of batch 0 that batch 1 does not use keeps its value after step 1, a row neither uses its initial value
  const lazyModel = perturbed(41, c);
  const initial = lazyModel.layers[0].weights.slice();
  const lazy = new TransformerEngine(c, { training: true, lazyEmbeddings: true });
  lazy.load(lazyModel);
  const short = [0, 1].map((k) => packBatch(randomSentences(new Rng(55 + k), 1, { ...c, maxLen: 6 })));
  lazy.lossAndGradient(short[0]);
  lazy.adamStep(1e-2);
  lazy.store(lazyModel);
  const afterOne = lazyModel.layers[0].weights.slice();
  lazy.lossAndGradient(short[1]);
  lazy.adamStep(1e-2);
  lazy.store(lazyModel);
  const used = short.map((b) => new Set(b.word));
  const row = (w: Float32Array, r: number) => Array.from(w.subarray(r * c.dim, (r + 1) * c.dim));
  let checked = 0;
  for (let r = 0; r < c.vocab; r++) {
    if (!used[0].has(r) && !used[1].has(r)) assert.deepEqual(row(lazyModel.layers[0].weights, r), row(initial, r), `untouched row ${r}`);
    else if (used[0].has(r) && !used[1].has(r)) {
      assert.notDeepEqual(row(afterOne, r), row(initial, r), `row ${r} moved in step 1`);
      assert.deepEqual(row(lazyModel.layers[0].weights, r), row(afterOne, r), `row ${r} not moved in step 2`);
      checked++;
    }
  }
  assert.ok(checked > 0, 'some row was used by batch 0 only');
  useTfjsMatmul(true);
});

test('the engine\'s logits do not depend on the batch around a sentence nor on what ran before (bit for bit)', () => {
  const c = SHAPES[3];
  const model = perturbed(60, c);
  const rng = new Rng(61);
  const few = randomSentences(rng, 2, c);
  const many = randomSentences(rng, 12, c);
  const alone = forward(model, packBatch(few)).logits.slice();
  forward(model, packBatch(many)); // the engine grows for the larger batch
  assert.deepEqual(forward(model, packBatch(few)).logits, alone);
  const mixed = forward(model, packBatch([...many.slice(0, 5), ...few])).logits;
  const offset = many.slice(0, 5).reduce((s, x) => s + x.word.length, 0) * c.tags;
  assert.deepEqual(mixed.subarray(offset), alone);
  const fresh = new TransformerEngine(c, { training: false });
  fresh.load(model);
  assert.deepEqual(fresh.logits(packBatch(few), model.layers.slice(0, 5).map((l) => l.weights)), alone);
});

test('a configuration whose heads are not whole f32x4 vectors runs on the reference engine', () => {
  const c = { ...small, dim: 6, heads: 2 };
  assert.equal(engineSupports(c), false);
  const model = perturbed(70, c);
  const batch = packBatch(randomSentences(new Rng(71), 3, c));
  assert.deepEqual(forward(model, batch).logits, referenceForward(model, batch).logits);
  trainTagger(model, randomSentences(new Rng(72), 10, c), { tokens: 100, batchTokens: 40, lr: 1e-2, warmupSteps: 1, seed: 1 });
  assert.ok(model.layers.every((l) => l.weights.every(Number.isFinite)));
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
