/**
 * The tagger in the tfjs layers format: saveTransformer's model.json loaded back by
 * tf.loadLayersModel computes what weightscope's own engine computes, with the same weights.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { copyFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '../../src/model/index.js';
import { initTransformer, forward, packBatch, predictBatch, type TransformerModel } from '../../src/model/transformer/model.js';
import { trainTagger } from '../../src/model/transformer/train.js';
import { loadTransformer, saveTransformer } from '../../src/model/transformer/files.js';
import { padBatch, tfjsForward } from '../../src/model/transformer/tfjs-forward.js';
import { loadTaggerLayersModel, taggerInputs, toLayersModel, MaskedSelfAttention, PositionEmbedding } from '../../src/model/transformer/tfjs-layers.js';
import { defaultBrownDir, loadTagging, type EncodedSentence } from '../../src/data/brown.js';
import { UserError } from '../../src/core/errors.js';
import { taggerConfig } from '../../src/study/kinds/tagger/config.js';
import { buildIndex } from '../../src/viewer/index.js';

let model: TransformerModel;
let sentences: EncodedSentence[];
// everything this file writes lies under one temp folder, removed at the end
const root = mkdtempSync(join(tmpdir(), 'ws-tagger-layers-'));
const scratch = (name: string) => mkdtempSync(join(root, `${name}-`));
const dir = scratch('tagger');
after(() => rmSync(root, { recursive: true, force: true }));

before(async () => {
  await selectBackend();
  // real Brown files: two genres × 5 files (4 train, 1 held out each)
  const corpus = scratch('brown');
  for (const g of 'ab') for (let k = 1; k <= 5; k++) copyFileSync(join(defaultBrownDir(), `c${g}0${k}`), join(corpus, `c${g}0${k}`));
  const data = loadTagging({ dir: corpus, maxLen: 32, minCount: 2 });
  model = initTransformer(taggerConfig(data, { blocks: 2, dim: 16, heads: 4, ffn: 32 }, 32), 3);
  // a few steps, so that biases, norms and embeddings are all away from their initial values
  trainTagger(model, data.train, { tokens: 3000, batchTokens: 256, lr: 1e-2, warmupSteps: 2, seed: 3 });
  // held-out sentences of different lengths (the batch gets padded)
  sentences = data.test.filter((s) => s.word.length >= 3).slice(0, 8);
  assert.ok(new Set(sentences.map((s) => s.word.length)).size > 3);
  saveTransformer(dir, model, { tags: data.tags, vocab: data.vocab });
});

const bytes = (a: Float32Array | Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** The engine parameter a tfjs weight name stands for (the naming docs/transformer.md documents). */
function engineParameter(m: TransformerModel, tfjsName: string): Float32Array {
  const layer = (name: string) => m.layers.find((l) => l.name === name)!;
  const norm = (name: string) => m.norms.find((n) => n.name === name)!;
  let g: RegExpExecArray | null;
  if ((g = /^(block\d+\.attn)\/([qkvo])\/(kernel|bias)$/.exec(tfjsName))) {
    const l = layer(`${g[1]}.${g[2]}`);
    return g[3] === 'kernel' ? l.weights : l.bias!;
  }
  if ((g = /^(embed\.\w+)\/embeddings$/.exec(tfjsName))) return layer(g[1]).weights;
  if ((g = /^(.+)\/(kernel|bias)$/.exec(tfjsName))) return g[2] === 'kernel' ? layer(g[1]).weights : layer(g[1]).bias!;
  if ((g = /^(.+)\/(gamma|beta)$/.exec(tfjsName))) return norm(g[1])[g[2] as 'gamma' | 'beta'];
  throw new Error(`unexpected weight name ${tfjsName}`);
}

function argmaxAt(logits: Float32Array | Int32Array | Uint8Array, row: number, tags: number): number {
  let best = 0;
  for (let k = 1; k < tags; k++) if (logits[row * tags + k] > logits[row * tags + best]) best = k;
  return best;
}

test('saveTransformer writes model.json (tfjs layers format) whose manifest reads weights.bin: no second copy, no temp files', () => {
  assert.deepEqual(readdirSync(dir).sort(), ['model.json', 'transformer.json', 'vocab.json', 'weights.bin']);
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  assert.equal(json.format, 'layers-model');
  assert.match(json.generatedBy, /tfjs-layers v\d/);
  assert.equal(json.weightsManifest.length, 1);
  assert.deepEqual(json.weightsManifest[0].paths, ['weights.bin']);
  const count = json.weightsManifest[0].weights.reduce((s: number, w: { shape: number[] }) => s + w.shape.reduce((a, n) => a * n, 1), 0);
  assert.equal(count * 4, readFileSync(join(dir, 'weights.bin')).length);
  // weightscope's own reader still reads the folder, unchanged
  const back = loadTransformer(dir).model;
  back.layers.forEach((l, k) => assert.ok(bytes(l.weights).equals(bytes(model.layers[k].weights)), l.name));
});

test('tf.loadLayersModel gives the engine\'s weights bit for bit, in embedding, custom attention, layer-norm and dense layers', async () => {
  const loaded = await loadTaggerLayersModel(dir);
  const c = model.config;
  const kinds = loaded.layers.map((l) => l.getClassName());
  const count = (k: string) => kinds.filter((x) => x === k).length;
  assert.equal(count('Embedding'), 4);
  assert.equal(count(PositionEmbedding.className), 1);
  assert.equal(count(MaskedSelfAttention.className), c.blocks);
  assert.equal(count('LayerNormalization'), 2 * c.blocks + 1);
  assert.equal(count('Dense'), 2 * c.blocks + 1);
  assert.ok(loaded.getLayer('block1.attn') instanceof MaskedSelfAttention);
  // every engine parameter appears once
  const engineCount = model.layers.reduce((s, l) => s + 1 + (l.bias ? 1 : 0), 0) + 2 * model.norms.length;
  assert.equal(loaded.weights.length, engineCount);
  for (const w of loaded.weights) {
    const values = w.read().dataSync() as Float32Array;
    assert.ok(bytes(values).equals(bytes(engineParameter(model, w.originalName))), `${w.originalName} differs`);
  }
  loaded.dispose();
});

test('model.predict on a padded, masked batch of Brown sentences gives the engine\'s logits and tags (and tfjsForward\'s)', async () => {
  const loaded = await loadTaggerLayersModel(dir);
  const T = model.config.tags;
  const padded = padBatch(sentences);
  const inputs = taggerInputs(padded);
  const out = loaded.predict(inputs) as tf.Tensor;
  assert.deepEqual(out.shape, [sentences.length, padded.t, T]);
  const ours = out.dataSync();
  const reference = tfjsForward(model, padded);
  const ref = reference.dataSync();
  const engine = forward(model, packBatch(sentences)).logits;
  const engineTags = predictBatch(model, packBatch(sentences));
  let o = 0;
  let worstEngine = 0;
  let worstTfjs = 0;
  sentences.forEach((s, k) => {
    for (let i = 0; i < s.word.length; i++, o++) {
      const row = k * padded.t + i;
      for (let t = 0; t < T; t++) {
        worstEngine = Math.max(worstEngine, Math.abs(ours[row * T + t] - engine[o * T + t]));
        worstTfjs = Math.max(worstTfjs, Math.abs(ours[row * T + t] - ref[row * T + t]));
      }
      assert.equal(argmaxAt(ours, row, T), engineTags[o], `sentence ${k} token ${i}`);
    }
  });
  assert.ok(worstEngine < 1e-4, `max |Δlogit| vs engine = ${worstEngine}`);
  assert.ok(worstTfjs < 1e-4, `max |Δlogit| vs tfjsForward = ${worstTfjs}`);
  tf.dispose([...inputs, out, reference]);
  loaded.dispose();
});

test('masking: a sentence padded to the model\'s length among others gives the logits it gives alone, unpadded', async () => {
  const loaded = await loadTaggerLayersModel(dir);
  const T = model.config.tags;
  const s = sentences[0];
  const run = (batch: ReturnType<typeof padBatch>) => {
    const inputs = taggerInputs(batch);
    const out = loaded.predict(inputs) as tf.Tensor;
    const data = out.dataSync().slice();
    tf.dispose([...inputs, out]);
    return data;
  };
  const alone = run(padBatch([s]));
  const padded = padBatch([s, ...sentences.slice(1, 4)], model.config.maxLen);
  assert.ok(padded.t > s.word.length);
  const together = run(padded);
  let worst = 0;
  for (let i = 0; i < s.word.length * T; i++) worst = Math.max(worst, Math.abs(alone[i] - together[i]));
  assert.ok(worst < 1e-5, `max |Δlogit| = ${worst}`);
  // the mask is what does it: the padding (id 0 = the unknown word) counted as tokens changes the logits
  padded.mask.fill(1);
  const unmasked = run(padded);
  let moved = 0;
  for (let i = 0; i < s.word.length * T; i++) moved = Math.max(moved, Math.abs(alone[i] - unmasked[i]));
  assert.ok(moved > 1e-3, `padding unmasked moved the logits by only ${moved}`);
  loaded.dispose();
});

test('model.json is what LayersModel.save itself writes: same topology, and the manifest finds each weight\'s bytes where tfjs\'s own encoding has them', async () => {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  let saved: tf.io.ModelArtifacts | undefined;
  const lm = toLayersModel(model);
  await lm.save(tf.io.withSaveHandler(async (artifacts) => {
    saved = artifacts;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  lm.dispose();
  assert.ok(saved);
  assert.deepEqual(json.modelTopology, JSON.parse(JSON.stringify(saved.modelTopology)));
  const locate = (specs: tf.io.WeightsManifestEntry[], buffer: Buffer) => {
    const out = new Map<string, Buffer>();
    let o = 0;
    for (const w of specs) {
      const n = 4 * w.shape.reduce((a, b) => a * b, 1);
      out.set(w.name, buffer.subarray(o, o + n));
      o += n;
    }
    return out;
  };
  const data = saved.weightData!;
  const theirs = locate(saved.weightSpecs!, Buffer.concat((Array.isArray(data) ? data : [data]).map((b) => Buffer.from(b))));
  const ours = locate(json.weightsManifest[0].weights, readFileSync(join(dir, 'weights.bin')));
  assert.deepEqual([...ours.keys()].sort(), [...theirs.keys()].sort());
  for (const [name, b] of theirs) assert.ok(b.equals(ours.get(name)!), name);
});

test('a missing, corrupt or inconsistent model.json is one clear line', async () => {
  const variant = (edit: (d: string) => void) => {
    const d = scratch('bad');
    cpSync(dir, d, { recursive: true });
    edit(d);
    return d;
  };
  const json = readFileSync(join(dir, 'model.json'), 'utf8');
  const cases: [string, (d: string) => void, RegExp][] = [
    ['not JSON', (d) => writeFileSync(join(d, 'model.json'), '{"format": "layers-model", '), /model\.json: not valid JSON/],
    ['no topology', (d) => writeFileSync(join(d, 'model.json'), '{"format": "layers-model", "weightsManifest": []}'), /not a TensorFlow\.js layers model/],
    ['wrong format', (d) => writeFileSync(join(d, 'model.json'), json.replace('"layers-model"', '"graph-model"')), /format is "graph-model", not 'layers-model'/],
    ['weights file missing', (d) => writeFileSync(join(d, 'model.json'), json.replace('"weights.bin"', '"gone.bin"')), /weights file listed in model\.json 'gone\.bin' is missing/],
    ['weights file cut short', (d) => writeFileSync(join(d, 'weights.bin'), readFileSync(join(dir, 'weights.bin')).subarray(0, 100)), /weight files hold 100 bytes, the manifest describes \d+/],
    ['unknown layer class', (d) => writeFileSync(join(d, 'model.json'), json.replaceAll(MaskedSelfAttention.className, 'NoSuchAttention')), /could not be loaded as a tfjs layers model: .*NoSuchAttention/],
    ['empty model.json', (d) => writeFileSync(join(d, 'model.json'), ''), /model\.json: not valid JSON/],
  ];
  for (const [what, edit, message] of cases) {
    const d = variant(edit);
    await assert.rejects(loadTaggerLayersModel(d), (err: Error) => {
      assert.ok(err instanceof UserError, `${what}: ${err.stack}`);
      assert.match(err.message, message, what);
      assert.ok(!err.message.includes('\n'), `${what}: more than one line`);
      return true;
    });
  }
  await assert.rejects(loadTaggerLayersModel(scratch('empty')), /holds no model\.json/);
});

test('the viewer\'s folder index skips a tagger folder\'s model.json (embedding and attention layers its page cannot read)', () => {
  const served = scratch('index');
  cpSync(dir, join(served, 'tagger'), { recursive: true });
  cpSync(dir, join(served, 'plain'), { recursive: true });
  rmSync(join(served, 'plain', 'transformer.json'));
  // without transformer.json the same model.json is indexed: the skip is what keeps the tagger out
  assert.deepEqual(buildIndex(served).models.map((m) => m.path), ['plain/model.json']);
});
