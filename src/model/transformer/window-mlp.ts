/**
 * The second baseline of the tagger study: an MLP on a window of word embeddings (docs/transformer.md).
 * Each token is the sum of the same four input embeddings the transformer has (word, suffix,
 * shape, lexicon); the tags of token i come from the concatenation of tokens i−r … i+r (positions
 * outside the sentence are a learned boundary vector), one ReLU hidden layer and a linear head:
 *
 *   e_j = E_word[w_j] + E_suffix[s_j] + E_shape[h_j] + E_lexicon[l_j]     (j outside: E_boundary)
 *   logits_i = head(relu(hidden([e_{i−r}; …; e_{i+r}])))
 *
 * No attention, no position beyond the window: what the transformer adds is measured against it.
 * Trained and run on the WebAssembly kernels (window-engine.ts), with the same Adam as the tagger
 * (dense on the embedding rows by default); the JS forward and backward passes below are the reference it is
 * tested against and the fallback where WebAssembly SIMD is missing.
 */
import type { LayerRecord } from '../../core/layer.js';
import { Rng } from '../../core/rng.js';
import { addColumnSums, matmul, matmulABt, matmulAtB } from './linalg.js';
import { argmaxRows, packBatch, softmaxCrossEntropy, type Batch, type SentenceInput } from './model.js';
import { batchesOf, trainLoop, trainOnEngine, type AdamParam, type TaggerTrainConfig } from './train.js';
import { windowEngineAvailable, windowInferenceEngine, WindowMlpEngine } from './window-engine.js';
import type { WindowMlp, WindowMlpConfig } from './records.js';

export type { WindowMlp, WindowMlpConfig } from './records.js';

export function initWindowMlp(config: WindowMlpConfig, seed: number): WindowMlp {
  const rng = new Rng(seed);
  const { dim: d, hidden, radius } = config;
  const layer = (name: string, nIn: number, nOut: number, std: number, bias: boolean): LayerRecord => {
    const r = rng.fork(name);
    const weights = new Float32Array(nIn * nOut);
    for (let i = 0; i < weights.length; i++) weights[i] = std * r.normal();
    return { name, weights, shape: [nIn, nOut], bias: bias ? new Float32Array(nOut) : null };
  };
  const width = (2 * radius + 1) * d;
  return {
    config,
    layers: [
      layer('embed.word', config.vocab, d, 0.1, false),
      layer('embed.suffix', config.suffixes, d, 0.1, false),
      layer('embed.shape', config.shapes, d, 0.1, false),
      layer('embed.lexicon', config.lexicon, d, 0.1, false),
      layer('embed.boundary', 1, d, 0.1, false),
      layer('hidden', width, hidden, Math.sqrt(2 / width), true),
      layer('head', hidden, config.tags, 1 / Math.sqrt(hidden), true),
    ],
  };
}

interface Forward {
  /** [n × (2r+1)·d]: the concatenated windows. */
  x: Float32Array;
  /** [n × hidden], after the ReLU. */
  h: Float32Array;
  logits: Float32Array;
}

/** Token row of window slot k for token i (−1: outside the sentence). */
function windowSource(batch: Batch, s: number, i: number, offset: number): number {
  const j = i + offset;
  return j >= batch.starts[s] && j < batch.starts[s + 1] ? j : -1;
}

function forward(model: WindowMlp, batch: Batch): Forward {
  const { dim: d, radius: r, hidden, tags } = model.config;
  const [word, suffix, shape, lexicon, boundary, hid, head] = model.layers;
  const n = batch.word.length;
  const slots = 2 * r + 1;
  const tokens = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const rows = [batch.word[i], batch.suffix[i], batch.shape[i], batch.lexicon[i]];
    [word, suffix, shape, lexicon].forEach((e, k) => {
      const o = rows[k] * d;
      for (let j = 0; j < d; j++) tokens[i * d + j] += e.weights[o + j];
    });
  }
  const x = new Float32Array(n * slots * d);
  for (let s = 0; s + 1 < batch.starts.length; s++) {
    for (let i = batch.starts[s]; i < batch.starts[s + 1]; i++) {
      for (let k = 0; k < slots; k++) {
        const j = windowSource(batch, s, i, k - r);
        x.set(j < 0 ? boundary.weights : tokens.subarray(j * d, j * d + d), (i * slots + k) * d);
      }
    }
  }
  const h = new Float32Array(n * hidden);
  matmul(x, hid.weights, hid.bias, h, n, slots * d, hidden);
  for (let i = 0; i < h.length; i++) if (h[i] < 0) h[i] = 0;
  const logits = new Float32Array(n * tags);
  matmul(h, head.weights, head.bias, logits, n, hidden, tags);
  return { x, h, logits };
}

/** Mean cross-entropy of the batch; adds its gradient to `grads` (same order as model.layers). */
function lossAndGradient(model: WindowMlp, batch: Batch, grads: { weights: Float32Array; bias: Float32Array | null }[]): number {
  const { dim: d, radius: r, hidden, tags } = model.config;
  const [, , , , , hid, head] = model.layers;
  const n = batch.word.length;
  const slots = 2 * r + 1;
  const fw = forward(model, batch);
  const dLogits = new Float32Array(fw.logits.length);
  const loss = softmaxCrossEntropy(fw.logits, batch.tag, tags, dLogits);
  const [gWord, gSuffix, gShape, gLexicon, gBoundary, gHid, gHead] = grads;
  matmulAtB(fw.h, dLogits, gHead.weights, n, hidden, tags);
  addColumnSums(dLogits, gHead.bias!, n, tags);
  const dh = new Float32Array(n * hidden);
  matmulABt(dLogits, head.weights, dh, n, hidden, tags);
  for (let i = 0; i < dh.length; i++) if (fw.h[i] <= 0) dh[i] = 0;
  matmulAtB(fw.x, dh, gHid.weights, n, slots * d, hidden);
  addColumnSums(dh, gHid.bias!, n, hidden);
  const dx = new Float32Array(n * slots * d);
  matmulABt(dh, hid.weights, dx, n, slots * d, hidden);
  for (let s = 0; s + 1 < batch.starts.length; s++) {
    for (let i = batch.starts[s]; i < batch.starts[s + 1]; i++) {
      for (let k = 0; k < slots; k++) {
        const j = windowSource(batch, s, i, k - r);
        const src = (i * slots + k) * d;
        if (j < 0) {
          for (let t = 0; t < d; t++) gBoundary.weights[t] += dx[src + t];
          continue;
        }
        const rows = [batch.word[j], batch.suffix[j], batch.shape[j], batch.lexicon[j]];
        [gWord, gSuffix, gShape, gLexicon].forEach((g, e) => {
          const o = rows[e] * d;
          for (let t = 0; t < d; t++) g.weights[o + t] += dx[src + t];
        });
      }
    }
  }
  return loss;
}

export function trainWindowMlp(model: WindowMlp, train: SentenceInput[], cfg: TaggerTrainConfig): { steps: number; finalLoss: number } {
  if (windowEngineAvailable()) {
    return trainOnEngine(new WindowMlpEngine(model.config, { training: true, lazyEmbeddings: cfg.lazyEmbeddings ?? false }), model, train, cfg);
  }
  const grads = model.layers.map((l) => ({ weights: new Float32Array(l.weights.length), bias: l.bias ? new Float32Array(l.bias.length) : null }));
  const params: AdamParam[] = [];
  model.layers.forEach((l, k) => {
    params.push({ value: l.weights, grad: grads[k].weights });
    if (l.bias) params.push({ value: l.bias, grad: grads[k].bias! });
  });
  return trainLoop(params, train, cfg, (batch) => lossAndGradient(model, batch, grads));
}

/** Predicted tags per sentence. */
export function tagWithWindowMlp(model: WindowMlp, sentences: SentenceInput[]): Int32Array[] {
  const out: Int32Array[] = [];
  const engine = windowEngineAvailable() ? windowInferenceEngine(model.config) : null;
  engine?.load(model);
  const tables = model.layers.slice(0, 4).map((l) => l.weights);
  for (const batch of batchesOf(sentences, 4096)) {
    const pred = engine ? engine.predict(batch, tables) : argmaxRows(forward(model, batch).logits, batch.word.length, model.config.tags);
    for (let s = 0; s + 1 < batch.starts.length; s++) out.push(pred.slice(batch.starts[s], batch.starts[s + 1]));
  }
  return out;
}

/** The reference JS passes, exposed for the tests. */
export const windowMlpInternals = { forward, lossAndGradient, packBatch };
