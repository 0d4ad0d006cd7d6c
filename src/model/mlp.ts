/**
 * Building and training the MLPs of the study with TensorFlow.js, seeded and reproducible.
 *
 * Reproducibility: the initial weights come from the project's `Rng` (PyTorch's nn.Linear default,
 * U(−1/√nIn, 1/√nIn) for weights and biases, as in the reference code), every epoch's mini-batch
 * order is an `Rng.permutation`, and nothing else is random. The same seed on the same backend gives
 * the same weights bit for bit.
 */
import * as tf from '@tensorflow/tfjs';
import type { DenseModel } from '../core/index.js';
import { backendInfo, defaultTrainEngine } from './backend.js';
import { classOfLogits } from './predict.js';
import { inputSizeOf, splitInputs, type InputScaling, type Split } from './split.js';
import { checkTraining, initMlp, runTraining, trainSparse, type MlpConfig, type TrainConfig, type TrainEngine, type TrainResult } from './train-loop.js';

// The engine-independent part (configs, init, the epoch loop) lives in train-loop.ts, which does
// not load tfjs, so that training workers start fast; it is re-exported here.
export * from './train-loop.js';

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

/**
 * Train an MLP on a binary task with Adam and per-epoch cosine annealing. Engine `tfjs` (the
 * default where tfjs-node is installed) runs on the active tfjs backend (chosen by the caller with
 * selectBackend); engine `sparse` (the default otherwise) runs the same math in weightscope's own
 * sparse WASM-SIMD code (sparse-train.ts). Returns the final (or, with early stopping, the best)
 * weights as a DenseModel with layers `dense_0`, `dense_1`, …
 */
export async function trainMlp(train: Split, inputs: InputScaling, mlp: MlpConfig, cfg: TrainConfig): Promise<TrainResult> {
  const engineName = cfg.engine ?? defaultTrainEngine();
  if (engineName === 'sparse') return trainSparse(train, inputs, mlp, cfg);
  checkTraining(train, mlp, { ...cfg, engine: engineName });
  return runTraining(train, inputs, cfg, backendInfo(), initMlp(mlp, cfg.seed), (init, batchSize) => tfjsEngine(train, inputs, mlp, init, batchSize));
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
