/**
 * The records of the tagger and of its window-MLP baseline (configurations, models, packed batches,
 * gradients) and the cross-entropy, in a module of their own: model.ts and window-mlp.ts run on
 * the engines (engine.ts, reference.ts, window-engine.ts), which need these shapes and import
 * nothing back (no import cycle).
 */
import type { LayerRecord } from '../../core/layer.js';

export interface TransformerConfig {
  vocab: number;
  suffixes: number;
  shapes: number;
  /** Rows of the lexicon embedding: the task's tags + 1 (row 0: a word unseen in training). */
  lexicon: number;
  maxLen: number;
  blocks: number;
  dim: number;
  heads: number;
  ffn: number;
  tags: number;
}

export interface NormParams {
  name: string;
  gamma: Float32Array;
  beta: Float32Array;
}

export interface TransformerModel {
  config: TransformerConfig;
  /** embed.word, embed.suffix, embed.shape, embed.lexicon, embed.position, blockK.attn.{q,k,v,o}, blockK.ffn.{in,out}…, head. */
  layers: LayerRecord[];
  /** blockK.norm1, blockK.norm2 …, final.norm. */
  norms: NormParams[];
}

export const EMBEDDINGS = ['embed.word', 'embed.suffix', 'embed.shape', 'embed.lexicon', 'embed.position'] as const;

/** Sentences packed end to end. */
export interface Batch {
  word: Int32Array;
  suffix: Int32Array;
  shape: Int32Array;
  lexicon: Int32Array;
  /** Gold tags (ignored by inference). */
  tag: Int32Array;
  /** Sentence s covers tokens starts[s] … starts[s+1]-1. */
  starts: Int32Array;
}

export interface SentenceInput {
  word: ArrayLike<number>;
  suffix: ArrayLike<number>;
  shape: ArrayLike<number>;
  lexicon: ArrayLike<number>;
  tag: ArrayLike<number>;
}

/** Branches to drop from the residual stream: `blockK.attn` or `blockK.ffn` (the block's branch output is zeroed, the skip path kept). */
export type Ablation = ReadonlySet<string>;

/** Gradients, in the same layout as the model. */
export interface Gradients {
  layers: Map<string, { weights: Float32Array; bias: Float32Array | null }>;
  norms: Map<string, { gamma: Float32Array; beta: Float32Array }>;
}

/** Mean cross-entropy of logits [n×T] against gold tags; writes its gradient into dLogits. */
export function softmaxCrossEntropy(logits: Float32Array, gold: Int32Array, T: number, dLogits: Float32Array): number {
  const n = gold.length;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const o = i * T;
    let max = -Infinity;
    for (let t = 0; t < T; t++) if (logits[o + t] > max) max = logits[o + t];
    let sum = 0;
    for (let t = 0; t < T; t++) sum += Math.exp(logits[o + t] - max);
    const g = gold[i];
    loss += Math.log(sum) + max - logits[o + g];
    for (let t = 0; t < T; t++) dLogits[o + t] = Math.exp(logits[o + t] - max) / sum / n;
    dLogits[o + g] -= 1 / n;
  }
  return loss / n;
}

export interface WindowMlpConfig {
  vocab: number;
  suffixes: number;
  shapes: number;
  lexicon: number;
  /** Embedding width of one token. */
  dim: number;
  /** Tokens each side of the tagged one. */
  radius: number;
  hidden: number;
  tags: number;
}

export interface WindowMlp {
  config: WindowMlpConfig;
  /** embed.word, embed.suffix, embed.shape, embed.lexicon, embed.boundary, hidden, head. */
  layers: LayerRecord[];
}
