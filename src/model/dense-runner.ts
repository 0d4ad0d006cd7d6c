/**
 * Running a plain dense chain (an MLP read from any weights file) on a batch of inputs: each layer
 * x·W + b, the hidden layers' activation, the last layer's logits as the outputs [N, nOut] (the
 * prediction rule of predict.ts reads classes off them). The runner of `probe MODEL --inputs X.npy`
 * for models weightscope evaluates itself (probes/layer-probe.ts).
 */
import { UserError } from '../core/errors.js';
import type { Activation, LayerRecord } from '../core/layer.js';
import type { Outputs } from './output-metrics.js';
import { activateInPlace } from './predict.js';

/** Forward pass of `layers` (in order) on inputs [N, nIn] (any trailing shape of nIn values); hidden activations as each record says. */
export function denseChainOutputs(layers: readonly LayerRecord[], inputs: { data: Float32Array; shape: number[] }): Outputs {
  const n = inputs.shape[0];
  const nIn = layers[0].shape[0];
  if (n < 1 || inputs.data.length !== n * nIn) {
    throw new UserError(`--inputs of shape [${inputs.shape.join(', ')}] do not fit the model's first layer '${layers[0].name}' (${nIn} inputs per row)`);
  }
  let v: Float32Array = inputs.data;
  layers.forEach((layer, k) => {
    const [r, c] = layer.shape;
    const out = new Float32Array(n * c);
    const row = new Float64Array(c);
    for (let s = 0; s < n; s++) {
      if (layer.bias) for (let j = 0; j < c; j++) row[j] = layer.bias[j];
      else row.fill(0);
      for (let i = 0; i < r; i++) {
        const xi = v[s * r + i];
        if (xi === 0) continue;
        const base = i * c;
        for (let j = 0; j < c; j++) row[j] += xi * layer.weights[base + j];
      }
      // the last layer's scores are its logits (softmax / sigmoid heads are monotone); a relu is applied
      if (k < layers.length - 1 || layer.activation === 'relu') activateInPlace(row, c, layer.activation);
      for (let j = 0; j < c; j++) out[s * c + j] = row[j];
    }
    v = out;
  });
  return { data: v, shape: [n, layers[layers.length - 1].shape[1]] };
}

/** The records of a chain with the hidden layers' activation set (the last one's left as it is). */
export function withHiddenActivation(layers: readonly LayerRecord[], activation: Activation): LayerRecord[] {
  return layers.map((l, k) => (k < layers.length - 1 ? { ...l, activation } : l));
}
