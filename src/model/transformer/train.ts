/**
 * Training the tagger: Adam with linear warm-up and cosine decay, batches of whole sentences up to
 * a token budget, in a seeded order. Seeded end to end: same seed, same data → same weights.
 */
import { Rng } from '../../core/rng.js';
import { UserError } from '../../core/errors.js';
import { engineSupports, TransformerEngine } from './engine.js';
import { packBatch, predictBatch, zeroGradients, type Ablation, type Batch, type SentenceInput, type TransformerModel } from './model.js';
import { referenceLossAndGradient } from './reference.js';

export interface TaggerTrainConfig {
  /** Training tokens to consume in total (sentences are drawn in a seeded order, epoch after epoch). */
  tokens: number;
  /** Tokens per batch (whole sentences; a batch closes before it would exceed this). */
  batchTokens: number;
  lr: number;
  warmupSteps: number;
  seed: number;
  /**
   * Adam on the embedding rows each batch touches only (lazy; engine.ts), or (the default here) on
   * every row every step, as plain Adam and the PyTorch peer of bench/transformer.ts do.
   */
  lazyEmbeddings?: boolean;
  onStep?: (tokensDone: number, loss: number) => void;
}

/** Batches of 512 tokens: 0.3 point above 256 at 900,000 tokens (docs/transformer.md), and fewer, cheaper steps per token. */
export const DEFAULT_TAGGER_TRAIN = { batchTokens: 512, lr: 1e-2, warmupSteps: 30 } as const;

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

/** A parameter array and the gradient array that goes with it. */
export interface AdamParam {
  value: Float32Array;
  grad: Float32Array;
}

/**
 * Adam (β = 0.9, 0.98) with linear warm-up and cosine decay to 0 over `totalSteps`. Embedding rows
 * untouched by a batch have zero gradient; Adam still moves them by their momentum, as PyTorch's
 * dense Adam does.
 */
export class Adam {
  private m: Float32Array[];
  private v: Float32Array[];
  private step = 0;
  constructor(private params: AdamParam[], private cfg: { lr: number; warmupSteps: number; totalSteps: number }) {
    this.m = params.map((p) => new Float32Array(p.value.length));
    this.v = params.map((p) => new Float32Array(p.value.length));
  }

  zeroGrad(): void {
    for (const p of this.params) p.grad.fill(0);
  }

  update(): void {
    const beta1 = 0.9;
    const beta2 = 0.98;
    const step = ++this.step;
    const lr = scheduledLr(step, this.cfg);
    const c1 = 1 - beta1 ** step;
    const c2 = 1 - beta2 ** step;
    this.params.forEach((p, k) => {
      const g = p.grad;
      const mk = this.m[k];
      const vk = this.v[k];
      const w = p.value;
      for (let i = 0; i < w.length; i++) {
        const gi = g[i];
        mk[i] = beta1 * mk[i] + (1 - beta1) * gi;
        vk[i] = beta2 * vk[i] + (1 - beta2) * gi * gi;
        w[i] -= (lr * (mk[i] / c1)) / (Math.sqrt(vk[i] / c2) + 1e-8);
      }
    });
  }
}

/** The learning rate of step `step` (1, 2, …): linear warm-up over warmupSteps, cosine decay to 0 at totalSteps. */
export function scheduledLr(step: number, cfg: { lr: number; warmupSteps: number; totalSteps: number }): number {
  const { lr: peak, warmupSteps, totalSteps } = cfg;
  const warm = Math.min(1, step / warmupSteps);
  return peak * warm * 0.5 * (1 + Math.cos((Math.PI * Math.min(step, totalSteps)) / totalSteps));
}

/** Steps a token budget takes in batches of about batchTokens (for the decay schedule). */
export function stepsFor(train: SentenceInput[], tokens: number, batchTokens: number): number {
  const totalTokens = train.reduce((s, x) => s + x.word.length, 0);
  return Math.max(1, Math.ceil((tokens / totalTokens) * Math.ceil(totalTokens / batchTokens)));
}

/**
 * The loop both taggers train with: sentences in a seeded order, epoch after epoch, cut into
 * batches, until `cfg.tokens` tokens are consumed. `lossAndGrad` adds the batch's gradient into
 * the params' grad arrays and returns its mean loss. Returns the mean loss of the last tenth of the steps.
 */
export function trainLoop(params: AdamParam[], train: SentenceInput[], cfg: TaggerTrainConfig, lossAndGrad: (batch: Batch) => number): { steps: number; finalLoss: number } {
  const adam = new Adam(params, { lr: cfg.lr, warmupSteps: cfg.warmupSteps, totalSteps: stepsFor(train, cfg.tokens, cfg.batchTokens) });
  return forEachBatch(train, cfg, (batch) => {
    adam.zeroGrad();
    const loss = lossAndGrad(batch);
    adam.update();
    return loss;
  });
}

/** A WebAssembly engine's training surface (the tagger's and the window MLP's engines). */
export interface TrainingEngine<M> {
  load(model: M): void;
  lossAndGradient(batch: Batch): number;
  adamStep(lr: number): void;
  store(model: M): void;
}

/** Train `model` on an engine: load it, one scheduled Adam step per batch, store the weights back. */
export function trainOnEngine<M>(engine: TrainingEngine<M>, model: M, train: SentenceInput[], cfg: TaggerTrainConfig): { steps: number; finalLoss: number } {
  engine.load(model);
  const schedule = { lr: cfg.lr, warmupSteps: cfg.warmupSteps, totalSteps: stepsFor(train, cfg.tokens, cfg.batchTokens) };
  const r = forEachBatch(train, cfg, (batch, k) => {
    const loss = engine.lossAndGradient(batch);
    engine.adamStep(scheduledLr(k, schedule));
    return loss;
  });
  engine.store(model);
  return r;
}

/**
 * The batches of a training run: sentences in a seeded order, epoch after epoch, cut into
 * batches, until `cfg.tokens` tokens are consumed; `step(batch, k)` (k = 1, 2, …) trains on one
 * and returns its loss. Returns the mean loss of the last tenth of the steps.
 */
export function forEachBatch(train: SentenceInput[], cfg: TaggerTrainConfig, step: (batch: Batch, k: number) => number): { steps: number; finalLoss: number } {
  if (train.length === 0) throw new UserError('no training sentences');
  const rng = new Rng(cfg.seed).fork('order');
  let steps = 0;
  let done = 0;
  const losses: number[] = [];
  while (done < cfg.tokens) {
    const order = rng.permutation(train.length);
    for (const batch of batchesOf(Array.from(order, (k) => train[k]), cfg.batchTokens)) {
      if (done >= cfg.tokens) break;
      const loss = step(batch, steps + 1);
      steps++;
      done += batch.word.length;
      losses.push(loss);
      cfg.onStep?.(Math.min(done, cfg.tokens), loss);
    }
  }
  const tail = losses.slice(-Math.max(1, Math.floor(losses.length / 10)));
  return { steps, finalLoss: tail.reduce((s, x) => s + x, 0) / tail.length };
}

/**
 * Train in place; returns the mean loss of the last tenth of the steps. On the WebAssembly engine
 * (engine.ts: Adam on the embedding rows each batch touches), else on the reference engine with
 * dense Adam.
 */
export function trainTagger(model: TransformerModel, train: SentenceInput[], cfg: TaggerTrainConfig): { steps: number; finalLoss: number } {
  if (engineSupports(model.config)) {
    return trainOnEngine(new TransformerEngine(model.config, { training: true, lazyEmbeddings: cfg.lazyEmbeddings ?? false }), model, train, cfg);
  }
  const grads = zeroGradients(model);
  const params: AdamParam[] = [];
  for (const l of model.layers) {
    const g = grads.layers.get(l.name)!;
    params.push({ value: l.weights, grad: g.weights });
    if (l.bias) params.push({ value: l.bias, grad: g.bias! });
  }
  for (const nrm of model.norms) {
    const g = grads.norms.get(nrm.name)!;
    params.push({ value: nrm.gamma, grad: g.gamma }, { value: nrm.beta, grad: g.beta });
  }
  return trainLoop(params, train, cfg, (batch) => referenceLossAndGradient(model, batch, grads));
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
