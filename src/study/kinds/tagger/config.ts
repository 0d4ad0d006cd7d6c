/**
 * The tagger study's sizes and the pieces of its configuration other commands share (`probe` on a
 * saved tagger scores it on the same held-out sample): no data loaded, no tfjs.
 */
import { lexiconSize, SHAPES, type EncodedSentence, type TaggingData } from '../../../data/brown.js';
import type { TransformerConfig } from '../../../model/transformer/model.js';
import type { WindowMlpConfig } from '../../../model/transformer/window-mlp.js';

/** The default: sized so the whole study fits 15 minutes on 2 cores (docs/transformer.md). */
export const DEFAULT_STUDY = { blocks: 4, dim: 64, heads: 4, ffn: 256, runs: 3, trainTokens: 300_000, evalTokens: 3000, lr: 1e-2 };
/** --quick: a smoke run for tests, well under 2 minutes. */
export const QUICK_STUDY = { blocks: 4, dim: 32, heads: 2, ffn: 64, runs: 1, trainTokens: 12_000, evalTokens: 600, lr: 1.5e-2 };

export const MAX_LEN = 64;
export const MIN_WORD_COUNT = 3;

/** An evenly spaced sample of sentences holding at least `tokens` tokens (all of them if fewer). */
export function evaluationSample(test: EncodedSentence[], tokens: number): EncodedSentence[] {
  const total = test.reduce((s, x) => s + x.tag.length, 0);
  if (tokens >= total) return test;
  const out: EncodedSentence[] = [];
  let n = 0;
  // every k-th sentence, k chosen so the sample reaches the token target
  const stride = Math.max(1, Math.floor(total / tokens));
  for (let k = 0; k < test.length && n < tokens; k += stride) {
    out.push(test[k]);
    n += test[k].tag.length;
  }
  return out;
}

/** The model's table sizes from the data, its architecture from the options. */
export function taggerConfig(data: TaggingData, arch: Pick<TransformerConfig, 'blocks' | 'dim' | 'heads' | 'ffn'>, maxLen = MAX_LEN): TransformerConfig {
  return {
    vocab: data.vocab.words.size + 1, suffixes: data.vocab.suffixes.size + 1, shapes: SHAPES.length, lexicon: lexiconSize(data.tags.length), maxLen,
    blocks: arch.blocks, dim: arch.dim, heads: arch.heads, ffn: arch.ffn, tags: data.tags.length,
  };
}

/** The window-MLP baseline: the transformer's token width and FFN width, ±2 tokens. */
export function windowConfig(c: TransformerConfig): WindowMlpConfig {
  return { vocab: c.vocab, suffixes: c.suffixes, shapes: c.shapes, lexicon: c.lexicon, dim: c.dim, radius: 2, hidden: c.ffn, tags: c.tags };
}
