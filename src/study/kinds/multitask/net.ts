/**
 * The multi-task study's networks, trained by their own small forward/backward pass over typed
 * arrays (docs/multitask.md, "The models"): the project's engines read byte images with one label
 * each, and these networks read float observations with K binary labels each and draw fresh noise
 * every epoch. The networks are tiny (≈ 10⁴ weights), so plain loops are fast enough and give the
 * same bits on every executor: every sum runs in one fixed order, in float64, and every weight is
 * stored as float32.
 *
 * - `mlp`: observations → hidden1 (ReLU) → hidden2 (ReLU) → K sigmoid heads.
 * - `rnn`: the authors' rate network with dt = τ (RNN.py): h_t = ReLU(x_t·W_in + h_{t−1}·W_rec + b),
 *   h_0 = 0, over T noisy looks; the K sigmoid heads read h_T.
 *
 * Loss: binary cross-entropy averaged over the batch and the K heads (PyTorch's BCEWithLogitsLoss,
 * mean reduction). Optimiser: Adam (PyTorch's defaults β = (0.9, 0.999), ε = 1e-8, bias-corrected).
 * Initialisation: PyTorch's nn.Linear, weights and biases U(−1/√fan-in, 1/√fan-in), as the authors'.
 *
 * A model is a DenseModel (weights row-major [nIn, nOut]): the probes, the weight lens, the run
 * folder's model.json and the viewer all read it as they read any model.
 */
import { UserError } from '../../../core/errors.js';
import type { DenseModel, LayerRecord } from '../../../core/layer.js';
import { Rng } from '../../../core/rng.js';

export const NET_KINDS = ['mlp', 'rnn'] as const;
export type NetKind = (typeof NET_KINDS)[number];

export interface NetConfig {
  kind: NetKind;
  /** Observation width M. */
  inputs: number;
  /** Hidden widths: mlp [64, 64], rnn [64]. */
  hidden: number[];
  /** K heads. */
  outputs: number;
  /** Looks per sample: 1 for the mlp, T for the rnn. */
  steps: number;
}

/** The layer names of a network, in order. */
export function layerNamesOf(kind: NetKind, hiddenLayers: number): string[] {
  return kind === 'rnn' ? ['input', 'recurrent', 'heads'] : [...Array.from({ length: hiddenLayers }, (_, k) => `hidden${k + 1}`), 'heads'];
}

/** The name of the layer the weight lens studies (hidden to hidden: the MLP's second layer, the RNN's recurrent matrix). */
export function hiddenLayerName(kind: NetKind): string {
  return kind === 'rnn' ? 'recurrent' : 'hidden2';
}

export function checkNetConfig(c: NetConfig): void {
  if (!(NET_KINDS as readonly string[]).includes(c.kind)) throw new UserError(`unknown network '${c.kind}' (networks: ${NET_KINDS.join(', ')})`);
  const sizes = [c.inputs, ...c.hidden, c.outputs, c.steps];
  if (sizes.some((s) => !Number.isInteger(s) || s < 1)) throw new UserError(`network sizes must be positive integers, got ${JSON.stringify(c)}`);
  if (c.kind === 'rnn' && c.hidden.length !== 1) throw new UserError('the recurrent network has one hidden width');
  if (c.kind === 'mlp' && c.steps !== 1) throw new UserError('the MLP reads one look per sample');
}

/** A freshly initialised network: every weight and bias U(±1/√fan-in), drawn layer by layer, weights (row-major) before biases. */
export function initNet(c: NetConfig, seed: number): DenseModel {
  checkNetConfig(c);
  const rng = new Rng(seed);
  const draw = (nIn: number, nOut: number, name: string, bias: boolean, activation: LayerRecord['activation'], fanIn = nIn): LayerRecord => {
    const bound = 1 / Math.sqrt(fanIn);
    const r = rng.fork(name);
    const weights = new Float32Array(nIn * nOut);
    for (let i = 0; i < weights.length; i++) weights[i] = r.uniform(-bound, bound);
    let b: Float32Array | null = null;
    if (bias) {
      b = new Float32Array(nOut);
      for (let j = 0; j < nOut; j++) b[j] = r.uniform(-bound, bound);
    }
    return { name, weights, shape: [nIn, nOut], bias: b, activation };
  };
  const names = layerNamesOf(c.kind, c.hidden.length);
  if (c.kind === 'rnn') {
    const H = c.hidden[0];
    return {
      layers: [
        draw(c.inputs, H, names[0], true, 'relu'),
        // nn.Linear(H, H)'s bias adds to the input layer's: one bias suffices, and the layer graph stays a plain matrix.
        draw(H, H, names[1], false, 'relu'),
        draw(H, c.outputs, names[2], true, 'sigmoid'),
      ],
    };
  }
  const sizes = [c.inputs, ...c.hidden, c.outputs];
  return { layers: names.map((name, k) => draw(sizes[k], sizes[k + 1], name, true, k === names.length - 1 ? 'sigmoid' : 'relu')) };
}

/** The network's configuration read back from its layers (a saved or probed model). */
export function netConfigOf(model: DenseModel, kind: NetKind, steps: number): NetConfig {
  const L = model.layers;
  if (kind === 'rnn') {
    if (L.length !== 3 || L[1].shape[0] !== L[1].shape[1] || L[0].shape[1] !== L[1].shape[0] || L[2].shape[0] !== L[1].shape[1]) {
      throw new UserError('not a recurrent network of this study: expected input [M, H], recurrent [H, H], heads [H, K]');
    }
    return { kind, inputs: L[0].shape[0], hidden: [L[1].shape[0]], outputs: L[2].shape[1], steps };
  }
  for (let k = 1; k < L.length; k++) if (L[k].shape[0] !== L[k - 1].shape[1]) throw new UserError(`layer '${L[k].name}' does not take layer '${L[k - 1].name}' as input`);
  return { kind, inputs: L[0].shape[0], hidden: L.slice(0, -1).map((l) => l.shape[1]), outputs: L[L.length - 1].shape[1], steps: 1 };
}

// ---------------------------------------------------------------------------------------------
// Dense kernels (row-major weights [nIn, nOut]; a batch is m rows)

/** out[s, j] = b[j] + Σ_i a[s, i]·W[i, j]; `accumulate` adds to out instead (b ignored). */
function denseForward(a: Float32Array | Float64Array, m: number, W: Float32Array, b: Float32Array | null, nIn: number, nOut: number, out: Float64Array, accumulate = false): void {
  for (let s = 0; s < m; s++) {
    const o = s * nOut;
    if (!accumulate) {
      if (b) for (let j = 0; j < nOut; j++) out[o + j] = b[j];
      else out.fill(0, o, o + nOut);
    }
    const ai = s * nIn;
    for (let i = 0; i < nIn; i++) {
      const x = a[ai + i];
      if (x === 0) continue;
      const wi = i * nOut;
      for (let j = 0; j < nOut; j++) out[o + j] += x * W[wi + j];
    }
  }
}

/** dW += aᵀ·d, db += Σ_s d (when db), and (when dA) dA = d·Wᵀ. */
function denseBackward(
  a: Float32Array | Float64Array, d: Float64Array, m: number, W: Float32Array, nIn: number, nOut: number,
  dW: Float64Array, db: Float64Array | null, dA: Float64Array | null,
): void {
  for (let s = 0; s < m; s++) {
    const o = s * nOut;
    const ai = s * nIn;
    if (db) for (let j = 0; j < nOut; j++) db[j] += d[o + j];
    for (let i = 0; i < nIn; i++) {
      const x = a[ai + i];
      const wi = i * nOut;
      let back = 0;
      if (x !== 0) {
        for (let j = 0; j < nOut; j++) {
          const g = d[o + j];
          dW[wi + j] += x * g;
          back += W[wi + j] * g;
        }
      } else if (dA) {
        for (let j = 0; j < nOut; j++) back += W[wi + j] * d[o + j];
      }
      if (dA) dA[ai + i] = back;
    }
  }
}

const relu = (v: Float64Array, from = 0, to = v.length): void => {
  for (let i = from; i < to; i++) if (v[i] < 0) v[i] = 0;
};

// ---------------------------------------------------------------------------------------------
// Inference

export interface NetOutput {
  /** The representation the metrics read: the last hidden layer (MLP) or h_T (RNN), n × H. */
  hidden: Float64Array;
  hiddenWidth: number;
  /** Logits of the K heads, n × K. */
  logits: Float64Array;
}

/** Run a network on n samples (x: n × steps × M, row-major). */
export function runNet(model: DenseModel, c: NetConfig, x: Float32Array | Float64Array, n: number): NetOutput {
  const M = c.inputs;
  if (x.length !== n * c.steps * M) throw new UserError(`inputs hold ${x.length} values, not ${n} × ${c.steps} × ${M}`);
  const L = model.layers;
  const head = L[L.length - 1];
  if (c.kind === 'rnn') {
    const H = c.hidden[0];
    const [inp, rec] = L;
    let h = new Float64Array(n * H);
    let next = new Float64Array(n * H);
    const xt = new Float64Array(n * M);
    for (let t = 0; t < c.steps; t++) {
      for (let s = 0; s < n; s++) for (let i = 0; i < M; i++) xt[s * M + i] = x[(s * c.steps + t) * M + i];
      denseForward(xt, n, inp.weights, inp.bias, M, H, next);
      if (t > 0) denseForward(h, n, rec.weights, null, H, H, next, true);
      relu(next);
      [h, next] = [next, h];
    }
    const logits = new Float64Array(n * c.outputs);
    denseForward(h, n, head.weights, head.bias, H, c.outputs, logits);
    return { hidden: h, hiddenWidth: H, logits };
  }
  let a: Float32Array | Float64Array = x;
  for (let k = 0; k < L.length - 1; k++) {
    const [nIn, nOut] = L[k].shape;
    const out = new Float64Array(n * nOut);
    denseForward(a, n, L[k].weights, L[k].bias, nIn, nOut, out);
    relu(out);
    a = out;
  }
  const H = head.shape[0];
  const logits = new Float64Array(n * c.outputs);
  denseForward(a, n, head.weights, head.bias, H, c.outputs, logits);
  return { hidden: a as Float64Array, hiddenWidth: H, logits };
}

/** Per head: the fraction of samples whose logit's side (> 0) is the label. */
export function headAccuracies(logits: Float64Array, labels: Uint8Array, n: number, K: number): Float64Array {
  const right = new Float64Array(K);
  for (let s = 0; s < n; s++) for (let k = 0; k < K; k++) if ((logits[s * K + k] > 0 ? 1 : 0) === labels[s * K + k]) right[k]++;
  for (let k = 0; k < K; k++) right[k] /= n;
  return right;
}

// ---------------------------------------------------------------------------------------------
// Loss and gradients

/** Gradients of every layer's weights and bias, float64, shaped as the model's. */
export interface NetGradients {
  weights: Float64Array[];
  bias: (Float64Array | null)[];
}

export function zeroGradients(model: DenseModel): NetGradients {
  return {
    weights: model.layers.map((l) => new Float64Array(l.weights.length)),
    bias: model.layers.map((l) => (l.bias ? new Float64Array(l.bias.length) : null)),
  };
}

/** Mean binary cross-entropy of logits z against labels y (log(1 + e^z) − y·z, stably), and dLoss/dz into d. */
function bce(logits: Float64Array, labels: Uint8Array, count: number, d: Float64Array): number {
  let loss = 0;
  for (let i = 0; i < count; i++) {
    const z = logits[i];
    const y = labels[i];
    loss += Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
    d[i] = (1 / (1 + Math.exp(-z)) - y) / count;
  }
  return loss / count;
}

/**
 * The mean loss of a batch (x: m × steps × M, labels m × K) and its gradients, added into `grads`
 * (zero them first for a plain gradient).
 */
export function lossAndGradients(model: DenseModel, c: NetConfig, x: Float32Array | Float64Array, labels: Uint8Array, m: number, grads: NetGradients): number {
  const M = c.inputs;
  const K = c.outputs;
  const L = model.layers;
  const last = L.length - 1;
  const head = L[last];
  const logits = new Float64Array(m * K);
  const dLogits = new Float64Array(m * K);
  if (c.kind === 'rnn') {
    const H = c.hidden[0];
    const T = c.steps;
    const [inp, rec] = L;
    // states[t]: h_{t+1}, m × H; inputs[t]: x_t, m × M
    const states = Array.from({ length: T }, () => new Float64Array(m * H));
    const inputs = Array.from({ length: T }, () => new Float64Array(m * M));
    for (let t = 0; t < T; t++) {
      const xt = inputs[t];
      for (let s = 0; s < m; s++) for (let i = 0; i < M; i++) xt[s * M + i] = x[(s * T + t) * M + i];
      denseForward(xt, m, inp.weights, inp.bias, M, H, states[t]);
      if (t > 0) denseForward(states[t - 1], m, rec.weights, null, H, H, states[t], true);
      relu(states[t]);
    }
    denseForward(states[T - 1], m, head.weights, head.bias, H, K, logits);
    const loss = bce(logits, labels, m * K, dLogits);
    const dh = new Float64Array(m * H);
    denseBackward(states[T - 1], dLogits, m, head.weights, H, K, grads.weights[2], grads.bias[2], dh);
    const dPrev = new Float64Array(m * H);
    for (let t = T - 1; t >= 0; t--) {
      const h = states[t];
      for (let i = 0; i < dh.length; i++) if (h[i] <= 0) dh[i] = 0; // through the ReLU
      denseBackward(inputs[t], dh, m, inp.weights, M, H, grads.weights[0], grads.bias[0], null);
      if (t === 0) break;
      denseBackward(states[t - 1], dh, m, rec.weights, H, H, grads.weights[1], null, dPrev);
      dh.set(dPrev);
    }
    return loss;
  }
  // MLP: activations[k] is layer k's input
  const activations: (Float32Array | Float64Array)[] = [x];
  for (let k = 0; k < last; k++) {
    const [nIn, nOut] = L[k].shape;
    const out = new Float64Array(m * nOut);
    denseForward(activations[k], m, L[k].weights, L[k].bias, nIn, nOut, out);
    relu(out);
    activations.push(out);
  }
  denseForward(activations[last], m, head.weights, head.bias, head.shape[0], K, logits);
  const loss = bce(logits, labels, m * K, dLogits);
  let d = dLogits;
  for (let k = last; k >= 0; k--) {
    const [nIn, nOut] = L[k].shape;
    const dA = k > 0 ? new Float64Array(m * nIn) : null;
    denseBackward(activations[k], d, m, L[k].weights, nIn, nOut, grads.weights[k], grads.bias[k], dA);
    if (dA) {
      const a = activations[k];
      for (let i = 0; i < dA.length; i++) if (a[i] <= 0) dA[i] = 0;
      d = dA;
    }
  }
  return loss;
}

// ---------------------------------------------------------------------------------------------
// Adam

export interface AdamSettings {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
}

export const ADAM_DEFAULTS: Omit<AdamSettings, 'lr'> = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };

/** Adam's state for one model: first and second moments, step count. */
export class Adam {
  private readonly m: Float64Array[];
  private readonly v: Float64Array[];
  private t = 0;

  constructor(private readonly model: DenseModel, private readonly s: AdamSettings) {
    const params = this.params();
    this.m = params.map((p) => new Float64Array(p.length));
    this.v = params.map((p) => new Float64Array(p.length));
  }

  /** Weights then bias of every layer, in order. */
  private params(): Float32Array[] {
    return this.model.layers.flatMap((l) => (l.bias ? [l.weights, l.bias] : [l.weights]));
  }

  /** One step along the gradients (PyTorch's update: lr·m̂/(√v̂ + ε)). */
  step(grads: NetGradients): void {
    this.t++;
    const { lr, beta1, beta2, eps } = this.s;
    const c1 = 1 - beta1 ** this.t;
    const c2 = 1 - beta2 ** this.t;
    const g = this.model.layers.flatMap((l, k) => (l.bias ? [grads.weights[k], grads.bias[k]!] : [grads.weights[k]]));
    this.params().forEach((p, k) => {
      const m = this.m[k];
      const v = this.v[k];
      const gk = g[k];
      for (let i = 0; i < p.length; i++) {
        m[i] = beta1 * m[i] + (1 - beta1) * gk[i];
        v[i] = beta2 * v[i] + (1 - beta2) * gk[i] * gk[i];
        p[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
      }
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Training

export interface TrainSettings {
  epochs: number;
  /** Fresh samples per epoch (latents and noise drawn anew: the paper's stream of new trials). */
  samplesPerEpoch: number;
  batchSize: number;
  lr: number;
}

/** One epoch's samples: x (n × steps × M) and labels (n × K). */
export interface EpochData {
  x: Float32Array;
  labels: Uint8Array;
  n: number;
}

/**
 * Train a network from its seed: each epoch asks `epochData(e)` for fresh samples and steps through
 * them in order in batches (the last one shorter). Returns the mean loss of each epoch.
 */
export function trainNet(model: DenseModel, c: NetConfig, s: TrainSettings, epochData: (epoch: number) => EpochData, onEpoch?: (epoch: number, loss: number) => void): number[] {
  const adam = new Adam(model, { lr: s.lr, ...ADAM_DEFAULTS });
  const grads = zeroGradients(model);
  const history: number[] = [];
  const stride = c.steps * c.inputs;
  for (let e = 0; e < s.epochs; e++) {
    const data = epochData(e);
    let total = 0;
    for (let first = 0; first < data.n; first += s.batchSize) {
      const m = Math.min(s.batchSize, data.n - first);
      for (const g of grads.weights) g.fill(0);
      for (const g of grads.bias) g?.fill(0);
      const loss = lossAndGradients(model, c, data.x.subarray(first * stride, (first + m) * stride), data.labels.subarray(first * c.outputs, (first + m) * c.outputs), m, grads);
      adam.step(grads);
      total += loss * m;
    }
    history.push(total / data.n);
    onEpoch?.(e, total / data.n);
  }
  return history;
}
