/**
 * The TensorFlow.js layers format (model.json + binary weight shards) as pure data transforms, with
 * no Node or tfjs imports: the CLI (files.ts) and the browser viewer both use this module.
 *
 *   - layersToDenseModel(modelJson, shards) reads the Dense layers of a Sequential or functional
 *     model into a DenseModel (float32 weights only);
 *   - denseModelToLayers(model) writes a Sequential of Dense layers loadable by tf.loadLayersModel.
 */
import { UserError, validateModel, type Activation, type DenseModel, type LayerRecord } from '../core/index.js';

interface WeightSpec {
  name: string;
  shape: number[];
  dtype?: string;
  quantization?: unknown;
}
interface WeightGroup {
  paths: string[];
  weights: WeightSpec[];
}
interface LayerJson {
  class_name: string;
  config: Record<string, unknown>;
}

const ACTIVATIONS: Activation[] = ['relu', 'sigmoid', 'tanh', 'linear', 'softmax'];
/** Layers that do nothing to a flat input at inference time. */
const PASS_THROUGH = new Set(['InputLayer', 'Flatten', 'Dropout', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout']);

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function manifestOf(modelJson: unknown): WeightGroup[] {
  if (!isObject(modelJson)) throw new UserError('model.json is not a JSON object');
  const topology = modelJson.modelTopology;
  if (!isObject(topology) || !('class_name' in topology || 'model_config' in topology)) {
    throw new UserError('model.json is not a TensorFlow.js layers model (no modelTopology with a Keras model config)');
  }
  const manifest = modelJson.weightsManifest;
  if (!Array.isArray(manifest)) throw new UserError('model.json has no weightsManifest');
  return manifest.map((g, k) => {
    if (!isObject(g) || !Array.isArray(g.paths) || !Array.isArray(g.weights)) {
      throw new UserError(`model.json weightsManifest entry ${k} needs "paths" and "weights" lists`);
    }
    return g as unknown as WeightGroup;
  });
}

/** The weight shard files a model.json refers to, relative to its folder, in manifest order. */
export function weightShardPaths(modelJson: unknown): string[] {
  const paths: string[] = [];
  for (const g of manifestOf(modelJson)) for (const p of g.paths) if (!paths.includes(p)) paths.push(p);
  return paths;
}

/** The layer list of a Sequential (Keras 2 list or {layers}) or functional (Model/Functional) config. */
function layerList(modelJson: Record<string, unknown>): LayerJson[] {
  let topology = modelJson.modelTopology as Record<string, unknown>;
  if (isObject(topology.model_config)) topology = topology.model_config;
  const config = topology.config;
  const layers = Array.isArray(config) ? config : isObject(config) ? config.layers : undefined;
  if (!Array.isArray(layers)) throw new UserError(`model.json: cannot find the layer list of the ${String(topology.class_name)} model`);
  return layers.map((l, k) => {
    if (!isObject(l) || typeof l.class_name !== 'string' || !isObject(l.config)) throw new UserError(`model.json: layer ${k} is malformed`);
    return l as unknown as LayerJson;
  });
}

function activationOf(layerName: string, value: unknown): Activation {
  if (value === undefined || value === null) return 'linear';
  const name = typeof value === 'string' ? value : isObject(value) ? String(value.class_name ?? value.config) : String(value);
  if (!ACTIVATIONS.includes(name as Activation)) {
    throw new UserError(`layer '${layerName}' uses activation '${name}', which weightscope cannot evaluate (${ACTIVATIONS.join(', ')})`);
  }
  return name as Activation;
}

function product(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Bytes per element of the dtypes the tfjs weights manifest defines ('string' has no fixed size). */
const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };

/** Strip a trailing ':0' (Keras variable names) so `dense/kernel:0` matches `dense/kernel`. */
function plainName(name: string): string {
  return name.replace(/:\d+$/, '');
}

/**
 * Read a tfjs layers model into a DenseModel. `shards` maps each path of weightShardPaths(modelJson)
 * to its bytes. Only Dense layers carry weights; InputLayer/Flatten/Dropout are skipped and an
 * Activation layer sets the activation of the linear Dense before it; anything else is an error
 * naming the layer.
 */
export function layersToDenseModel(modelJson: unknown, shards: Record<string, ArrayBuffer | Uint8Array>): DenseModel {
  const groups = manifestOf(modelJson);
  // Locate every weight: its group's shards concatenated, weights laid out one after another.
  const weights = new Map<string, { data: Float32Array | null; shape: number[]; dtype: string }>();
  for (const g of groups) {
    const parts = g.paths.map((p) => {
      const b = shards[p];
      if (!b) throw new UserError(`weight shard '${p}' is missing`);
      return b instanceof Uint8Array ? b : new Uint8Array(b);
    });
    const total = parts.reduce((a, p) => a + p.length, 0);
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
    let offset = 0;
    for (const w of g.weights) {
      if (!isObject(w) || typeof w.name !== 'string' || !Array.isArray(w.shape)) throw new UserError('model.json: malformed weight entry in weightsManifest');
      const dtype = w.dtype ?? 'float32';
      if (w.quantization) throw new UserError(`weight '${w.name}' is quantized; weightscope reads float32 weights only`);
      // Never trust declared sizes: each dimension a non-negative integer, the total checked against the shard bytes below.
      if (!w.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
        throw new UserError(`weight '${w.name}' has shape ${JSON.stringify(w.shape)}; dimensions must be non-negative integers`);
      }
      if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) {
        throw new UserError(`weight '${w.name}' has dtype ${JSON.stringify(dtype)}, which weightscope cannot read (float32 weights only)`);
      }
      const nbytes = product(w.shape) * DTYPE_BYTES[dtype];
      if (offset + nbytes > total) {
        throw new UserError(`weight shard(s) ${g.paths.join(', ')} too short: '${w.name}' needs bytes ${offset}–${offset + nbytes} but there are only ${total}`);
      }
      let data: Float32Array | null = null;
      if (dtype === 'float32') {
        // Copy into an aligned buffer (a shard offset need not be a multiple of 4).
        data = new Float32Array(new Uint8Array(bytes.buffer, offset, nbytes).slice().buffer);
      }
      weights.set(plainName(w.name), { data, shape: w.shape, dtype });
      offset += nbytes;
    }
    if (offset !== total) {
      throw new UserError(`weight shard(s) ${g.paths.join(', ')} hold ${total} bytes but the manifest declares ${offset}: corrupt, or not the shards of this model.json`);
    }
  }
  const find = (layerName: string, kind: 'kernel' | 'bias') => {
    for (const [name, w] of weights) if (name === `${layerName}/${kind}` || name.endsWith(`/${layerName}/${kind}`)) return { name, ...w };
    return null;
  };

  const layers: LayerRecord[] = [];
  for (const l of layerList(modelJson as Record<string, unknown>)) {
    const name = String(l.config.name ?? l.class_name);
    if (PASS_THROUGH.has(l.class_name)) continue;
    if (l.class_name === 'Activation' || l.class_name === 'ReLU' || l.class_name === 'Softmax') {
      const act = l.class_name === 'ReLU' ? 'relu' : l.class_name === 'Softmax' ? 'softmax' : activationOf(name, l.config.activation);
      const prev = layers[layers.length - 1];
      if (!prev || (prev.activation !== 'linear' && act !== 'linear')) {
        throw new UserError(`layer '${name}' (${l.class_name}) does not follow a linear Dense layer; weightscope cannot place its activation`);
      }
      if (act !== 'linear') prev.activation = act;
      continue;
    }
    if (l.class_name !== 'Dense') {
      throw new UserError(`layer '${name}' is a ${l.class_name}, not a Dense layer; weightscope reads Dense layers (InputLayer, Flatten, Dropout and Activation are skipped)`);
    }
    const kernel = find(name, 'kernel');
    if (!kernel) throw new UserError(`Dense layer '${name}' has no '${name}/kernel' weight in the weightsManifest`);
    if (kernel.shape.length !== 2) throw new UserError(`Dense layer '${name}': kernel shape [${kernel.shape.join(', ')}] is not 2-D`);
    if (!kernel.data) throw new UserError(`Dense layer '${name}': kernel dtype ${kernel.dtype}; weightscope reads float32 weights only`);
    const useBias = l.config.use_bias !== false;
    const bias = useBias ? find(name, 'bias') : null;
    if (useBias && !bias) throw new UserError(`Dense layer '${name}' uses a bias but has no '${name}/bias' weight`);
    if (bias && !bias.data) throw new UserError(`Dense layer '${name}': bias dtype ${bias.dtype}; weightscope reads float32 weights only`);
    layers.push({
      name,
      weights: kernel.data,
      shape: [kernel.shape[0], kernel.shape[1]],
      bias: bias ? bias.data : null,
      activation: activationOf(name, l.config.activation),
    });
  }
  return validateModel({ layers });
}

/** A DenseModel as a tfjs layers model: model.json (object) and the one weight shard it names. */
export function denseModelToLayers(
  model: DenseModel,
  options: { shardName?: string; generatedBy?: string } = {},
): { modelJson: Record<string, unknown>; weightData: ArrayBuffer } {
  validateModel(model);
  const shardName = options.shardName ?? 'weights.bin';
  const specs: WeightSpec[] = [];
  const arrays: Float32Array[] = [];
  const layers = model.layers.map((layer, k) => {
    specs.push({ name: `${layer.name}/kernel`, shape: [layer.shape[0], layer.shape[1]], dtype: 'float32' });
    arrays.push(layer.weights);
    if (layer.bias) {
      specs.push({ name: `${layer.name}/bias`, shape: [layer.shape[1]], dtype: 'float32' });
      arrays.push(layer.bias);
    }
    const config: Record<string, unknown> = {
      name: layer.name,
      trainable: true,
      dtype: 'float32',
      units: layer.shape[1],
      activation: layer.activation ?? 'linear',
      use_bias: layer.bias !== null,
    };
    if (k === 0) config.batch_input_shape = [null, layer.shape[0]];
    return { class_name: 'Dense', config };
  });
  const total = arrays.reduce((a, x) => a + x.length, 0);
  const data = new Float32Array(total);
  let at = 0;
  for (const a of arrays) {
    data.set(a, at);
    at += a.length;
  }
  const modelJson = {
    format: 'layers-model',
    generatedBy: options.generatedBy ?? 'weightscope',
    convertedBy: null,
    modelTopology: {
      class_name: 'Sequential',
      config: { name: 'sequential', layers },
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    },
    weightsManifest: [{ paths: [shardName], weights: specs }],
  };
  return { modelJson, weightData: data.buffer };
}
