/**
 * The one layer record of weightscope: a dense layer as plain data.
 *
 * `weights` is row-major with shape [nIn, nOut]: weights[i * nOut + j] is the edge from input
 * unit i to output unit j. That is the layout of a TensorFlow.js Dense kernel and of
 * `W.T` for a PyTorch `nn.Linear`, so records move between frameworks without copies.
 */
import { UserError } from './errors.js';

export type Activation = 'relu' | 'sigmoid' | 'tanh' | 'linear' | 'softmax';

export interface LayerRecord {
  /** Unique name within its model, e.g. `dense_1` (tfjs) or `encoder.0.fc1`. */
  name: string;
  /** Row-major [nIn, nOut] weights. */
  weights: Float32Array;
  /** [nIn, nOut]. */
  shape: [number, number];
  /** Length nOut, or null for a layer without bias. */
  bias: Float32Array | null;
  /** Activation applied after this layer (absent for a bare weight matrix). */
  activation?: Activation;
}

/** A feed-forward stack of dense layers: what probes transform and evaluation runs. */
export interface DenseModel {
  layers: LayerRecord[];
}

export function nIn(layer: LayerRecord): number {
  return layer.shape[0];
}
export function nOut(layer: LayerRecord): number {
  return layer.shape[1];
}

/** How many values are not 0: a layer's edges (NaN counts: it is not 0; −0 does not). */
export function countNonZero(values: Float32Array): number {
  let count = 0;
  for (let i = 0; i < values.length; i++) if (values[i] !== 0) count++;
  return count;
}

/** A deep copy (probes never mutate their input). */
export function cloneLayer(layer: LayerRecord): LayerRecord {
  return {
    ...layer,
    shape: [layer.shape[0], layer.shape[1]],
    weights: layer.weights.slice(),
    bias: layer.bias ? layer.bias.slice() : null,
  };
}

export function cloneModel(model: DenseModel): DenseModel {
  return { ...model, layers: model.layers.map(cloneLayer) };
}

/** Check a record's internal consistency; throws a UserError naming the layer and the problem. */
export function validateLayer(layer: LayerRecord): LayerRecord {
  const [r, c] = layer.shape;
  const where = `layer '${layer.name}'`;
  if (!Number.isInteger(r) || !Number.isInteger(c) || r < 1 || c < 1) {
    throw new UserError(`${where}: shape must be two positive integers, got [${layer.shape.join(', ')}]`);
  }
  if (layer.weights.length !== r * c) {
    throw new UserError(`${where}: shape [${r}, ${c}] needs ${r * c} weights, got ${layer.weights.length}`);
  }
  if (layer.bias && layer.bias.length !== c) {
    throw new UserError(`${where}: bias must have ${c} entries, got ${layer.bias.length}`);
  }
  const bad = firstNonFinite(layer.weights);
  if (bad >= 0) {
    throw new UserError(`${where}: weight [${Math.floor(bad / c)}, ${bad % c}] is ${layer.weights[bad]} (weights must be finite)`);
  }
  if (layer.bias) {
    const b = firstNonFinite(layer.bias);
    if (b >= 0) throw new UserError(`${where}: bias [${b}] is ${layer.bias[b]} (biases must be finite)`);
  }
  return layer;
}

/** Validate a model: every layer valid, consecutive shapes chain, names unique. */
export function validateModel(model: DenseModel): DenseModel {
  if (model.layers.length === 0) throw new UserError('model has no dense layers');
  const seen = new Set<string>();
  model.layers.forEach((layer, k) => {
    validateLayer(layer);
    if (seen.has(layer.name)) throw new UserError(`model has two layers named '${layer.name}'`);
    seen.add(layer.name);
    if (k > 0 && model.layers[k - 1].shape[1] !== layer.shape[0]) {
      throw new UserError(
        `layer '${layer.name}' expects ${layer.shape[0]} inputs but '${model.layers[k - 1].name}' gives ${model.layers[k - 1].shape[1]}`,
      );
    }
  });
  return model;
}

/** Find a layer by name, or fail with the list of names that exist. */
export function findLayer(model: DenseModel, name: string): LayerRecord {
  const layer = model.layers.find((l) => l.name === name);
  if (!layer) {
    const names = model.layers.map((l) => l.name);
    // Every name while the list stays readable; the closest first once there are many to scan.
    const all = names.length <= 40 ? `layers: ${names.join(', ')}` : `${names.length} layers in all`;
    const listed = names.length <= 12 ? all : `closest: ${closestNames(name, names, 5).join(', ')}; ${all}`;
    throw new UserError(`no layer named '${name}' (${listed})`);
  }
  return layer;
}

/** The `k` names closest to `name` by edit distance (ties in model order). */
export function closestNames(name: string, names: string[], k: number): string[] {
  const distance = (a: string, b: string): number => {
    let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const cur = [i];
      for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
    return prev[b.length];
  };
  return names.map((n, i) => ({ n, i, d: distance(name, n) })).sort((a, b) => a.d - b.d || a.i - b.i).slice(0, k).map((x) => x.n);
}

function firstNonFinite(a: Float32Array): number {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return i;
  return -1;
}
