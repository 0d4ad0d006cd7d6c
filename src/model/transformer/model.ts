/**
 * A small pre-norm transformer encoder tagger. Its forward and backward passes run on the
 * WebAssembly SIMD engine (engine.ts; reference.ts is the previous JS engine, kept as the tested
 * reference and the fallback). Every projection is a LayerRecord, so probes, statistics and graph
 * export see it exactly as they see an MLP layer:
 *
 *   x₀ = E_word[w] + E_suffix[s] + E_shape[h] + E_lexicon[l] + E_position[t]
 *   per block k:  x += O(MHSA(LN₁(x)))   (attention masked to the token's own sentence)
 *                 x += W_out · relu(W_in · LN₂(x))
 *   logits = head(LN_f(x))
 *
 * Sentences are packed end to end (no padding): attention runs over each sentence's own span,
 * which is exactly what a padded batch with a padding mask computes (tested against tfjs).
 */
import type { DenseModel, LayerRecord } from '../../core/layer.js';
import { UserError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { embeddingTables, engineSupports, inferenceEngine, TransformerEngine } from './engine.js';
import { referenceForward, referenceLossAndGradient } from './reference.js';
import { EMBEDDINGS, type Ablation, type Batch, type Gradients, type NormParams, type SentenceInput, type TransformerConfig, type TransformerModel } from './records.js';

export { EMBEDDINGS, softmaxCrossEntropy } from './records.js';
export type { Ablation, Batch, Gradients, NormParams, SentenceInput, TransformerConfig, TransformerModel } from './records.js';

export const BLOCK_LAYERS = ['attn.q', 'attn.k', 'attn.v', 'attn.o', 'ffn.in', 'ffn.out'] as const;

/** Layer names in model order. */
export function layerNames(c: Pick<TransformerConfig, 'blocks'>): string[] {
  const names: string[] = [...EMBEDDINGS];
  for (let b = 0; b < c.blocks; b++) for (const l of BLOCK_LAYERS) names.push(`block${b}.${l}`);
  names.push('head');
  return names;
}

export function checkConfig(c: TransformerConfig): void {
  for (const [k, v] of Object.entries(c)) {
    if (!Number.isInteger(v) || v < 1) throw new UserError(`transformer ${k} must be a positive integer, got ${v}`);
  }
  if (c.dim % c.heads !== 0) throw new UserError(`transformer dim ${c.dim} is not divisible by heads ${c.heads}`);
}

/**
 * Amplitude of the sinusoidal table the position embedding starts from. The content embeddings
 * start at N(0, 0.1²) each; a position signal of their size (or a random N(0, 0.1²) table) is
 * swamped after the layer norm, and the tagger then barely learns to use its context in a
 * study-sized budget (docs/transformer.md, "Measured": 94.6 % at amplitude 0.1, 95.9 % at 2).
 */
export const POSITION_AMPLITUDE = 2;

/** The sinusoidal position table of Vaswani et al. (2017), row p = position p, scaled by `amplitude`. */
export function sinusoidalPositions(maxLen: number, d: number, amplitude: number): Float32Array {
  const w = new Float32Array(maxLen * d);
  for (let p = 0; p < maxLen; p++) {
    for (let j = 0; 2 * j < d; j++) {
      const f = Math.pow(10000, (-2 * j) / d);
      w[p * d + 2 * j] = amplitude * Math.sin(p * f);
      if (2 * j + 1 < d) w[p * d + 2 * j + 1] = amplitude * Math.cos(p * f);
    }
  }
  return w;
}

/**
 * Seeded initialisation: N(0, 1/nIn) projections, output projections scaled down by √(2·blocks),
 * N(0, 0.1²) content embeddings; the position embedding starts as a sinusoidal table (then learnt).
 */
export function initTransformer(config: TransformerConfig, seed: number): TransformerModel {
  checkConfig(config);
  const rng = new Rng(seed);
  const { dim: d, ffn, blocks } = config;
  const layer = (name: string, nIn: number, nOut: number, std: number, bias: boolean, activation?: 'relu'): LayerRecord => {
    const r = rng.fork(name);
    const weights = new Float32Array(nIn * nOut);
    for (let i = 0; i < weights.length; i++) weights[i] = std * r.normal();
    return { name, weights, shape: [nIn, nOut], bias: bias ? new Float32Array(nOut) : null, ...(activation ? { activation } : {}) };
  };
  const residualScale = 1 / Math.sqrt(2 * blocks);
  const layers: LayerRecord[] = [
    layer('embed.word', config.vocab, d, 0.1, false),
    layer('embed.suffix', config.suffixes, d, 0.1, false),
    layer('embed.shape', config.shapes, d, 0.1, false),
    layer('embed.lexicon', config.lexicon, d, 0.1, false),
    { name: 'embed.position', weights: sinusoidalPositions(config.maxLen, d, POSITION_AMPLITUDE), shape: [config.maxLen, d], bias: null },
  ];
  const norms: NormParams[] = [];
  const norm = (name: string): NormParams => ({ name, gamma: new Float32Array(d).fill(1), beta: new Float32Array(d) });
  for (let b = 0; b < blocks; b++) {
    const p = `block${b}`;
    layers.push(
      layer(`${p}.attn.q`, d, d, 1 / Math.sqrt(d), true),
      layer(`${p}.attn.k`, d, d, 1 / Math.sqrt(d), true),
      layer(`${p}.attn.v`, d, d, 1 / Math.sqrt(d), true),
      layer(`${p}.attn.o`, d, d, residualScale / Math.sqrt(d), true),
      layer(`${p}.ffn.in`, d, ffn, Math.sqrt(2 / d), true, 'relu'),
      layer(`${p}.ffn.out`, ffn, d, residualScale / Math.sqrt(ffn), true),
    );
    norms.push(norm(`${p}.norm1`), norm(`${p}.norm2`));
  }
  layers.push(layer('head', d, config.tags, 1 / Math.sqrt(d), true));
  norms.push(norm('final.norm'));
  return { config, layers, norms };
}

/** The projections as the DenseModel probes transform (shapes do not chain: probes never need them to). */
export function asDense(model: TransformerModel): DenseModel {
  return { layers: model.layers };
}

/** The same model with its layer records replaced (by name), e.g. after a probe. */
export function withLayers(model: TransformerModel, dense: DenseModel): TransformerModel {
  const byName = new Map(dense.layers.map((l) => [l.name, l]));
  return { ...model, layers: model.layers.map((l) => byName.get(l.name) ?? l) };
}

export function packBatch(sentences: SentenceInput[]): Batch {
  const n = sentences.reduce((s, x) => s + x.word.length, 0);
  const b: Batch = { word: new Int32Array(n), suffix: new Int32Array(n), shape: new Int32Array(n), lexicon: new Int32Array(n), tag: new Int32Array(n), starts: new Int32Array(sentences.length + 1) };
  let o = 0;
  sentences.forEach((s, k) => {
    b.starts[k] = o;
    b.word.set(s.word, o);
    b.suffix.set(s.suffix, o);
    b.shape.set(s.shape, o);
    b.lexicon.set(s.lexicon, o);
    b.tag.set(s.tag, o);
    o += s.word.length;
  });
  b.starts[sentences.length] = o;
  return b;
}

export function zeroGradients(model: TransformerModel): Gradients {
  return {
    layers: new Map(model.layers.map((l) => [l.name, { weights: new Float32Array(l.weights.length), bias: l.bias ? new Float32Array(l.bias.length) : null }])),
    norms: new Map(model.norms.map((l) => [l.name, { gamma: new Float32Array(l.gamma.length), beta: new Float32Array(l.beta.length) }])),
  };
}

/** Row-wise argmax of logits [n×T]. */
export function argmaxRows(logits: Float32Array, n: number, T: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let t = 1; t < T; t++) if (logits[i * T + t] > logits[i * T + best]) best = t;
    out[i] = best;
  }
  return out;
}

/**
 * The logits [n × tags] of a batch: on the WebAssembly engine (engine.ts) where it runs, else on
 * the reference engine (reference.ts).
 */
export function forward(model: TransformerModel, batch: Batch, ablate?: Ablation): { logits: Float32Array; n: number } {
  if (!engineSupports(model.config)) return referenceForward(model, batch, ablate);
  const engine = inferenceEngine(model.config);
  engine.load(model);
  return { logits: engine.logits(batch, embeddingTables(model), ablate), n: batch.word.length };
}

let gradientEngine: { key: string; engine: TransformerEngine } | null = null;

/** Mean cross-entropy over the batch's tokens; adds its gradient to `grads` (if given). */
export function lossAndGradient(model: TransformerModel, batch: Batch, grads?: Gradients): number {
  if (!engineSupports(model.config)) return referenceLossAndGradient(model, batch, grads);
  const key = JSON.stringify(model.config);
  if (gradientEngine?.key !== key) gradientEngine = { key, engine: new TransformerEngine(model.config, { training: true }) };
  const engine = gradientEngine.engine;
  engine.load(model);
  engine.zeroGradients();
  const loss = engine.lossAndGradient(batch);
  if (grads) engine.addGradients(model, grads);
  return loss;
}

/** Argmax tag of every token of every sentence. */
export function predictBatch(model: TransformerModel, batch: Batch, ablate?: Ablation): Int32Array {
  if (!engineSupports(model.config)) {
    const { logits, n } = referenceForward(model, batch, ablate);
    return argmaxRows(logits, n, model.config.tags);
  }
  const engine = inferenceEngine(model.config);
  engine.load(model);
  return engine.predict(batch, embeddingTables(model), ablate);
}
