/**
 * Building and training the MLPs of the study with TensorFlow.js, seeded and reproducible.
 *
 * Reproducibility: the initial weights come from the project's `Rng` (PyTorch's nn.Linear default,
 * U(−1/√nIn, 1/√nIn) for weights and biases, as in the reference code), every epoch's mini-batch
 * order is an `Rng.permutation`, and nothing else is random. The same seed on the same backend gives
 * the same weights bit for bit.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng, UserError, deriveSeed, type Activation, type DenseModel, type LayerRecord } from '../core/index.js';
import { backendInfo, defaultTrainEngine, type BackendInfo } from './backend.js';
import { createEvaluator } from './evaluator.js';
import { classOfLogits } from './predict.js';
import { createSparseEngine } from './sparse-train.js';
import { inputSizeOf, splitInputs, type InputScaling, type Split } from './split.js';

export type HiddenActivation = 'relu' | 'sigmoid' | 'tanh';
export type Head = 'softmax' | 'sigmoid';

export interface MlpConfig {
  /** Inputs per image (784 for MNIST). */
  inputSize: number;
  /** Hidden layer widths, e.g. [64]. */
  hidden: number[];
  /** Activation of every hidden layer. */
  activation: HiddenActivation;
  /** `softmax`: 2 outputs, cross-entropy (the reference code); `sigmoid`: 1 output, binary cross-entropy. */
  head: Head;
}

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

/**
 * A tfjs Sequential model holding a DenseModel's weights (copies). With `logits`, the last layer is
 * linear (what training uses: the loss works on logits); otherwise each layer keeps its activation.
 */
export function toTfModel(model: DenseModel, options: { logits?: boolean } = {}): tf.Sequential {
  const seq = tf.sequential();
  const last = model.layers.length - 1;
  model.layers.forEach((layer, k) => {
    const activation = k === last && options.logits ? 'linear' : (layer.activation ?? 'linear');
    seq.add(
      tf.layers.dense({
        units: layer.shape[1],
        inputShape: k === 0 ? [layer.shape[0]] : undefined,
        activation,
        useBias: layer.bias !== null,
        name: layer.name,
      }),
    );
  });
  model.layers.forEach((layer, k) => {
    const values: tf.Tensor[] = [tf.tensor2d(layer.weights, layer.shape)];
    if (layer.bias) values.push(tf.tensor1d(layer.bias));
    seq.layers[k].setWeights(values);
    values.forEach((t) => t.dispose());
  });
  return seq;
}

/** a·w with gradients through explicit transposes (see trainMlp). */
type CustomGradFn = Parameters<typeof tf.customGrad>[0];

const matMulT = tf.customGrad(((a: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a, w]);
  return {
    value: tf.matMul(a as tf.Tensor2D, w as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const g = dy as tf.Tensor2D;
      const [sa, sw] = saved as tf.Tensor2D[];
      return [tf.matMul(g, tf.transpose(sw)), tf.matMul(tf.transpose(sa), g)];
    },
  };
}) as unknown as CustomGradFn) as (a: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

/** x·w for a data batch x (no gradient towards x, which is not trained). */
function dataMatMul(x: tf.Tensor2D): (w: tf.Tensor2D) => tf.Tensor2D {
  return tf.customGrad(((w: tf.Tensor, save: tf.GradSaveFunc) => {
    save([w]);
    return {
      value: tf.matMul(x, w as tf.Tensor2D),
      gradFunc: (dy: tf.Tensor | tf.Tensor[]) => [tf.matMul(tf.transpose(x), dy as tf.Tensor2D)],
    };
  }) as unknown as CustomGradFn) as (w: tf.Tensor2D) => tf.Tensor2D;
}

/** Read a tfjs model's Dense weights back into a DenseModel (names and activations from `like`). */
function fromTfModel(seq: tf.Sequential, like: DenseModel): DenseModel {
  return {
    layers: like.layers.map((layer, k) => {
      const [w, b] = seq.layers[k].getWeights();
      return {
        name: layer.name,
        shape: [layer.shape[0], layer.shape[1]] as [number, number],
        weights: new Float32Array(w.dataSync()),
        bias: b ? new Float32Array(b.dataSync()) : null,
        activation: layer.activation,
      };
    }),
  };
}

/** One way of running training epochs (tfjs, or the sparse WASM engine of sparse-train.ts). */
export interface TrainEngine {
  /** One epoch over the images in `order`, in mini-batches, at learning rate `lr`; the mean batch loss. */
  epoch(order: Uint32Array, lr: number): number;
  /** The current weights as a DenseModel (copies). */
  snapshot(): DenseModel;
  dispose(): void;
}

/**
 * Train an MLP on a binary task with Adam and per-epoch cosine annealing. Engine `tfjs` (the
 * default where tfjs-node is installed) runs on the active tfjs backend (chosen by the caller with
 * selectBackend); engine `sparse` (the default otherwise) runs the same math in weightscope's own sparse WASM-SIMD code (sparse-train.ts). Returns the final
 * (or, with early stopping, the best) weights as a DenseModel with layers `dense_0`, `dense_1`, …
 */
export async function trainMlp(train: Split, inputs: InputScaling, mlp: MlpConfig, cfg: TrainConfig): Promise<TrainResult> {
  checkMlp(mlp);
  const epochs = cfg.epochs ?? 10;
  const batchSize = cfg.batchSize ?? 128;
  const lr0 = cfg.learningRate ?? 0.01;
  const tMax = cfg.cosineTMax ?? 10;
  const engineName = cfg.engine ?? defaultTrainEngine();
  if (!Number.isInteger(epochs) || epochs < 1) throw new UserError(`epochs must be a positive integer, got ${epochs}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new UserError(`batch size must be a positive integer, got ${batchSize}`);
  if (!(lr0 > 0)) throw new UserError(`learning rate must be positive, got ${lr0}`);
  if (!(tMax > 0)) throw new UserError(`cosine T_max must be positive, got ${tMax}`);
  if (engineName !== 'tfjs' && engineName !== 'sparse') throw new UserError(`unknown training engine '${engineName}' (tfjs, sparse)`);
  if (train.n < 1) throw new UserError('training set is empty');
  const d = inputSizeOf(train);
  if (d !== mlp.inputSize) throw new UserError(`images have ${d} pixels but the model expects ${mlp.inputSize} inputs`);

  const init = initMlp(mlp, cfg.seed);
  const engine = engineName === 'sparse' ? createSparseEngine(train, inputs, mlp, init, batchSize) : tfjsEngine(train, inputs, mlp, init, batchSize);
  const backend = engineName === 'sparse' ? { name: 'weightscope-sparse', version: 'wasm-simd' } : backendInfo();
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

/** The tfjs training engine: Adam from tf.train.adam, forward/backward as tfjs ops. */
function tfjsEngine(train: Split, inputs: InputScaling, mlp: MlpConfig, init: DenseModel, batchSize: number): TrainEngine {
  const d = mlp.inputSize;
  const x = splitInputs(train, inputs);
  const nOutputs = mlp.head === 'softmax' ? 2 : 1;
  const seq = toTfModel(init, { logits: true });
  const trainable = seq.trainableWeights.map((w) => w.read() as tf.Variable);
  // The forward pass as raw ops on the layers' variables: the same math as seq.apply, without the
  // layers API's per-call bookkeeping. Matrix products go through matMulT, whose gradients use an
  // explicit transpose: tfjs-wasm's matMul with a transpose flag (what the built-in gradient uses)
  // measured ~10× slower than transpose + plain matMul for these shapes.
  const params = seq.layers.map((layer) => layer.trainableWeights.map((w) => w.read() as tf.Variable));
  const forward = (xs: tf.Tensor2D): tf.Tensor2D => {
    let h: tf.Tensor2D = xs;
    params.forEach(([w, b], k) => {
      h = k === 0 ? dataMatMul(xs)(w as tf.Tensor2D) : matMulT(h, w as tf.Tensor2D);
      if (b) h = tf.add(h, b);
      if (k < params.length - 1) h = mlp.activation === 'relu' ? tf.relu(h) : mlp.activation === 'tanh' ? tf.tanh(h) : tf.sigmoid(h);
    });
    return h;
  };
  // Adam with torch's epsilon (1e-8; tfjs would use 1e-7).
  const optimizer = tf.train.adam(0.01, 0.9, 0.999, 1e-8);
  const xBatch = new Float32Array(batchSize * d);
  const yBatch = new Float32Array(batchSize * nOutputs);
  return {
    epoch(order, lr) {
      // AdamOptimizer reads its learningRate field on every step; setting it keeps the moment estimates.
      (optimizer as unknown as { learningRate: number }).learningRate = lr;
      const n = order.length;
      let lossSum = 0;
      let batches = 0;
      for (let b0 = 0; b0 < n; b0 += batchSize) {
        const m = Math.min(batchSize, n - b0);
        yBatch.fill(0);
        for (let r = 0; r < m; r++) {
          const src = order[b0 + r];
          xBatch.set(x.subarray(src * d, (src + 1) * d), r * d);
          if (nOutputs === 2) yBatch[r * 2 + train.labels[src]] = 1;
          else yBatch[r] = train.labels[src];
        }
        const loss = tf.tidy(() => {
          const xs = tf.tensor2d(xBatch.subarray(0, m * d), [m, d]);
          const ys = tf.tensor2d(yBatch.subarray(0, m * nOutputs), [m, nOutputs]);
          return optimizer.minimize(() => {
            const logits = forward(xs);
            return nOutputs === 2 ? tf.losses.softmaxCrossEntropy(ys, logits) : tf.losses.sigmoidCrossEntropy(ys, logits);
          }, true, trainable) as tf.Scalar;
        });
        lossSum += loss.dataSync()[0];
        loss.dispose();
        batches++;
      }
      return lossSum / batches;
    },
    snapshot: () => fromTfModel(seq, init),
    dispose() {
      optimizer.dispose();
      seq.dispose();
    },
  };
}

/** Classes predicted by tfjs `model.predict` (the same prediction rule as the evaluator, read off the outputs). */
export function predictTf(model: DenseModel, images: Split, inputs: InputScaling): Uint8Array {
  const d = inputSizeOf(images);
  const seq = toTfModel(model, { logits: true });
  try {
    const logits = tf.tidy(() => (seq.predict(tf.tensor2d(splitInputs(images, inputs), [images.n, d])) as tf.Tensor2D).dataSync());
    const c = model.layers[model.layers.length - 1].shape[1];
    const out = new Uint8Array(images.n);
    for (let k = 0; k < images.n; k++) out[k] = classOfLogits(logits, k * c, c);
    return out;
  } finally {
    seq.dispose();
  }
}
