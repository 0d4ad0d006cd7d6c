/**
 * The engine-independent part of training: model and training configs, PyTorch-style
 * initialisation, and the epoch loop (cosine schedule, batch order, early stopping) that drives a
 * TrainEngine. No tfjs here, so training workers (the study executors' threads) load in milliseconds; mlp.ts adds
 * the tfjs engine and re-exports all of this.
 *
 * Reproducibility: the initial weights come from the project's `Rng` (PyTorch's nn.Linear default,
 * U(−1/√nIn, 1/√nIn) for weights and biases, as in the reference code), every epoch's mini-batch
 * order is an `Rng.permutation`, and nothing else is random. The same seed on the same engine (and
 * tfjs backend) gives the same weights bit for bit.
 */
import { Rng, UserError, deriveSeed, type Activation, type DenseModel, type LayerRecord } from '../core/index.js';
import type { BackendInfo } from './backend.js';
import type { MlpConfig, TrainEngine } from './engine.js';
import { createEvaluator } from './evaluator.js';
import { createSparseEngine } from './sparse-train.js';
import { inputSizeOf, type InputScaling, type Split } from './split.js';

export type { Head, HiddenActivation, MlpConfig, TrainEngine } from './engine.js';

/** The reference network: 784 → 64 → 2, ReLU, softmax head. */
export const REFERENCE_MLP: MlpConfig = { inputSize: 784, hidden: [64], activation: 'relu', head: 'softmax' };

export interface EpochInfo {
  /** 1-based epoch number. */
  epoch: number;
  epochs: number;
  /** Mean training loss over the epoch's batches. */
  loss: number;
  /** Wall-clock seconds of the epoch. */
  seconds: number;
  /** Learning rate used during the epoch. */
  learningRate: number;
  /** Accuracy on the early-stopping validation split, when one is given. */
  valAccuracy?: number;
}

export interface TrainConfig {
  /** Default 10. */
  epochs?: number;
  /** Default 128. */
  batchSize?: number;
  /** Adam's initial learning rate, default 0.01. */
  learningRate?: number;
  /** Cosine annealing period in epochs, default 10: lr_t = lr/2·(1 + cos(π·t/T_max)) for epoch t = 0, 1, … */
  cosineTMax?: number;
  /** Seed of the initial weights and the batch order. */
  seed: number;
  /** Stop when validation accuracy has not improved for `patience` epochs; the best epoch's weights are kept. */
  earlyStopping?: { patience: number; validation: Split };
  /** Called after every epoch. */
  onProgress?: (info: EpochInfo) => void;
  /**
   * `tfjs`: tfjs ops and tf.train.adam on the active backend. `sparse`: the same model, loss, Adam
   * and schedule in weightscope's sparse WASM-SIMD code, several times faster on CPU
   * (docs/model.md); not bit-identical to tfjs (float order), equally reproducible. Default:
   * defaultTrainEngine() (`tfjs` where tfjs-node is installed, else `sparse`).
   */
  engine?: 'tfjs' | 'sparse';
  /**
   * Weight-sparse training (engine `sparse` only): after every Adam step, and on the initial
   * weights, only the `density` fraction of the first layer's weights largest in |w| are kept and
   * the rest set to 0 (a top-k magnitude constraint, in the spirit of arXiv 2511.13653; ties at the
   * threshold keep the lowest indices). Later layers (64 → 2) stay dense. Default: none.
   */
  density?: number;
}

export interface TrainResult {
  model: DenseModel;
  history: EpochInfo[];
  backend: BackendInfo;
}

/** The learning rate of epoch t (0-based) under cosine annealing, like torch's CosineAnnealingLR stepped per epoch. */
export function cosineLearningRate(lr: number, t: number, tMax: number): number {
  return (lr / 2) * (1 + Math.cos((Math.PI * t) / tMax));
}

function layerShapes(mlp: MlpConfig): [number, number][] {
  const widths = [mlp.inputSize, ...mlp.hidden, mlp.head === 'softmax' ? 2 : 1];
  return widths.slice(0, -1).map((w, k) => [w, widths[k + 1]]);
}

function checkMlp(mlp: MlpConfig): void {
  const ok = (x: number) => Number.isInteger(x) && x >= 1;
  if (!ok(mlp.inputSize)) throw new UserError(`inputSize must be a positive integer, got ${mlp.inputSize}`);
  for (const h of mlp.hidden) if (!ok(h)) throw new UserError(`hidden widths must be positive integers, got ${mlp.hidden.join(',')}`);
  if (!['relu', 'sigmoid', 'tanh'].includes(mlp.activation)) throw new UserError(`unknown activation '${mlp.activation}' (relu, sigmoid, tanh)`);
  if (!['softmax', 'sigmoid'].includes(mlp.head)) throw new UserError(`unknown head '${mlp.head}' (softmax, sigmoid)`);
}

/** Fresh weights as PyTorch's nn.Linear draws them: weights and biases ~ U(−1/√nIn, 1/√nIn). */
export function initMlp(mlp: MlpConfig, seed: number): DenseModel {
  checkMlp(mlp);
  const rng = new Rng(deriveSeed(seed, 'init'));
  const shapes = layerShapes(mlp);
  const layers: LayerRecord[] = shapes.map(([r, c], k) => {
    const bound = 1 / Math.sqrt(r);
    const weights = new Float32Array(r * c);
    for (let i = 0; i < weights.length; i++) weights[i] = rng.uniform(-bound, bound);
    const bias = new Float32Array(c);
    for (let j = 0; j < c; j++) bias[j] = rng.uniform(-bound, bound);
    const activation: Activation = k < shapes.length - 1 ? mlp.activation : mlp.head;
    return { name: `dense_${k}`, weights, shape: [r, c], bias, activation };
  });
  return { layers };
}

/** Check a training request; user errors name the bad setting. */
export function checkTraining(train: Split, mlp: MlpConfig, cfg: TrainConfig): void {
  checkMlp(mlp);
  const { epochs = 10, batchSize = 128, learningRate: lr0 = 0.01, cosineTMax: tMax = 10, engine = 'sparse' } = cfg;
  if (!Number.isInteger(epochs) || epochs < 1) throw new UserError(`epochs must be a positive integer, got ${epochs}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new UserError(`batch size must be a positive integer, got ${batchSize}`);
  if (!(lr0 > 0)) throw new UserError(`learning rate must be positive, got ${lr0}`);
  if (!(tMax > 0)) throw new UserError(`cosine T_max must be positive, got ${tMax}`);
  if (engine !== 'tfjs' && engine !== 'sparse') throw new UserError(`unknown training engine '${engine}' (tfjs, sparse)`);
  if (cfg.density !== undefined) {
    if (!(cfg.density > 0 && cfg.density <= 1)) throw new UserError(`density must be in (0, 1], got ${cfg.density}`);
    if (engine !== 'sparse') throw new UserError("weight-sparse training (density) runs on the training engine 'sparse' only");
  }
  if (train.n < 1) throw new UserError('training set is empty');
  const d = inputSizeOf(train);
  if (d !== mlp.inputSize) throw new UserError(`images have ${d} pixels but the model expects ${mlp.inputSize} inputs`);
}

/** What training with the sparse engine reports as its backend. */
export const SPARSE_BACKEND: BackendInfo = { name: 'weightscope-sparse', version: 'wasm-simd' };

/** trainMlp with the `sparse` engine (what training workers run). */
export function trainSparse(train: Split, inputs: InputScaling, mlp: MlpConfig, cfg: TrainConfig): Promise<TrainResult> {
  checkTraining(train, mlp, { ...cfg, engine: 'sparse' });
  const init = initMlp(mlp, cfg.seed);
  return runTraining(train, inputs, cfg, SPARSE_BACKEND, init, (first, batchSize) => createSparseEngine(train, inputs, mlp, first, batchSize, cfg.density));
}

/** The epoch loop: cosine-annealed learning rate, seeded batch order, optional early stopping. */
export async function runTraining(
  train: Split, inputs: InputScaling, cfg: TrainConfig, backend: BackendInfo, init: DenseModel,
  makeEngine: (init: DenseModel, batchSize: number) => TrainEngine,
): Promise<TrainResult> {
  const epochs = cfg.epochs ?? 10;
  const lr0 = cfg.learningRate ?? 0.01;
  const tMax = cfg.cosineTMax ?? 10;
  const engine = makeEngine(init, cfg.batchSize ?? 128);
  const batchRng = new Rng(deriveSeed(cfg.seed, 'batches'));
  const validator = cfg.earlyStopping ? createEvaluator(cfg.earlyStopping.validation, inputs) : null;
  const history: EpochInfo[] = [];
  let best: { accuracy: number; model: DenseModel } | null = null;
  let sinceBest = 0;
  try {
    for (let t = 0; t < epochs; t++) {
      const start = performance.now();
      const lr = cosineLearningRate(lr0, t, tMax);
      const loss = engine.epoch(batchRng.permutation(train.n), lr);
      const info: EpochInfo = { epoch: t + 1, epochs, loss, seconds: (performance.now() - start) / 1000, learningRate: lr };
      if (validator && cfg.earlyStopping) {
        const current = engine.snapshot();
        info.valAccuracy = validator.accuracy(current);
        if (!best || info.valAccuracy > best.accuracy) {
          best = { accuracy: info.valAccuracy, model: current };
          sinceBest = 0;
        } else sinceBest++;
      }
      history.push(info);
      cfg.onProgress?.(info);
      if (cfg.earlyStopping && sinceBest >= cfg.earlyStopping.patience) break;
      // Let the event loop breathe between epochs (progress output, signals).
      await new Promise((resolve) => setImmediate(resolve));
    }
    return { model: best ? best.model : engine.snapshot(), history, backend };
  } finally {
    engine.dispose();
  }
}
