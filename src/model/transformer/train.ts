/**
 * Training the tagger: Adam with linear warm-up and cosine decay, batches of whole sentences up to
 * a token budget, in a seeded order. Seeded end to end: same seed, same data → same weights.
 */
import { Rng } from '../../core/rng.js';
import { UserError } from '../../core/errors.js';
import { lossAndGradient, packBatch, predictBatch, zeroGradients, type Ablation, type Batch, type SentenceInput, type TransformerModel } from './model.js';

export interface TaggerTrainConfig {
  /** Training tokens to consume in total (sentences are drawn in a seeded order, epoch after epoch). */
  tokens: number;
  /** Tokens per batch (whole sentences; a batch closes before it would exceed this). */
  batchTokens: number;
  lr: number;
  warmupSteps: number;
  seed: number;
  onStep?: (tokensDone: number, loss: number) => void;
}

export const DEFAULT_TAGGER_TRAIN = { batchTokens: 256, lr: 1e-2, warmupSteps: 30 } as const;

/** Cut a token stream of sentences into batches of at most batchTokens tokens (a longer sentence is a batch alone). */
export function batchesOf(sentences: SentenceInput[], batchTokens: number): Batch[] {
  const out: Batch[] = [];
  let cur: SentenceInput[] = [];
  let size = 0;
  for (const s of sentences) {
    if (size > 0 && size + s.word.length > batchTokens) {
      out.push(packBatch(cur));
      cur = [];
      size = 0;
    }
    cur.push(s);
    size += s.word.length;
  }
  if (cur.length) out.push(packBatch(cur));
  return out;
}

/** Train in place; returns the mean loss of the last tenth of the steps. */
export function trainTagger(model: TransformerModel, train: SentenceInput[], cfg: TaggerTrainConfig): { steps: number; finalLoss: number } {
  if (train.length === 0) throw new UserError('no training sentences');
  const rng = new Rng(cfg.seed).fork('order');
  const params: { value: Float32Array; grad: (g: ReturnType<typeof zeroGradients>) => Float32Array }[] = [];
  for (const l of model.layers) {
    params.push({ value: l.weights, grad: (g) => g.layers.get(l.name)!.weights });
    if (l.bias) params.push({ value: l.bias, grad: (g) => g.layers.get(l.name)!.bias! });
  }
  for (const nrm of model.norms) {
    params.push({ value: nrm.gamma, grad: (g) => g.norms.get(nrm.name)!.gamma }, { value: nrm.beta, grad: (g) => g.norms.get(nrm.name)!.beta });
  }
  const m = params.map((p) => new Float32Array(p.value.length));
  const v = params.map((p) => new Float32Array(p.value.length));
  const totalTokens = train.reduce((s, x) => s + x.word.length, 0);
  const estSteps = Math.max(1, Math.ceil((cfg.tokens / totalTokens) * Math.ceil(totalTokens / cfg.batchTokens)));
  const beta1 = 0.9;
  const beta2 = 0.98;
  let step = 0;
  let done = 0;
  const losses: number[] = [];
  // Embedding rows untouched by a batch have zero gradient; Adam still moves them by its momentum, as in PyTorch's dense Adam.
  const grads = zeroGradients(model);
  while (done < cfg.tokens) {
    const order = rng.permutation(train.length);
    const batches = batchesOf(Array.from(order, (k) => train[k]), cfg.batchTokens);
    for (const batch of batches) {
      if (done >= cfg.tokens) break;
      for (const g of grads.layers.values()) {
        g.weights.fill(0);
        g.bias?.fill(0);
      }
      for (const g of grads.norms.values()) {
        g.gamma.fill(0);
        g.beta.fill(0);
      }
      const loss = lossAndGradient(model, batch, grads);
      step++;
      const warm = Math.min(1, step / cfg.warmupSteps);
      const lr = cfg.lr * warm * 0.5 * (1 + Math.cos((Math.PI * Math.min(step, estSteps)) / estSteps));
      const c1 = 1 - beta1 ** step;
      const c2 = 1 - beta2 ** step;
      params.forEach((p, k) => {
        const g = p.grad(grads);
        const mk = m[k];
        const vk = v[k];
        const w = p.value;
        for (let i = 0; i < w.length; i++) {
          const gi = g[i];
          mk[i] = beta1 * mk[i] + (1 - beta1) * gi;
          vk[i] = beta2 * vk[i] + (1 - beta2) * gi * gi;
          w[i] -= (lr * (mk[i] / c1)) / (Math.sqrt(vk[i] / c2) + 1e-8);
        }
      });
      done += batch.word.length;
      losses.push(loss);
      cfg.onStep?.(Math.min(done, cfg.tokens), loss);
    }
  }
  const tail = losses.slice(-Math.max(1, Math.floor(losses.length / 10)));
  return { steps: step, finalLoss: tail.reduce((s, x) => s + x, 0) / tail.length };
}

/** Predicted tags per sentence, evaluated in batches. */
export function tagSentences(model: TransformerModel, sentences: SentenceInput[], options: { batchTokens?: number; ablate?: Ablation } = {}): Int32Array[] {
  const out: Int32Array[] = [];
  for (const batch of batchesOf(sentences, options.batchTokens ?? 2048)) {
    const pred = predictBatch(model, batch, options.ablate);
    for (let s = 0; s + 1 < batch.starts.length; s++) out.push(pred.slice(batch.starts[s], batch.starts[s + 1]));
  }
  return out;
}
