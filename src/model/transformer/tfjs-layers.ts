/**
 * The tagger as a TensorFlow.js LayersModel (functional API), so that a trained tagger can be saved
 * in the tfjs layers format (model.json + weights) and loaded by `tf.loadLayersModel` anywhere.
 * weightscope itself trains and evaluates with its own engine (model.ts); this module only mirrors
 * that architecture in tfjs layers and copies the engine's weights over unchanged.
 *
 * Inputs, each [batch, time]: word, suffix, shape, lexicon ids (int32), and mask (float32: 1 for a
 * real token, 0 for padding). The mask is an input of its own because id 0 is also the unknown
 * word, so padding cannot be told from the ids. Output: logits [batch, time, tags]; rows at padding
 * positions are meaningless.
 *
 * tfjs-layers has no multi-head attention and no learnt position table, so two custom layers
 * (registered with tf.serialization.registerClass) stand in: MaskedSelfAttention and PositionEmbedding.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError, withPathPrefix } from '../../core/errors.js';
import { confinedPath, modelRoot, readInputFile } from '../../core/io.js';
import { weightShardPaths } from '../../formats/layers-format.js';
import { checkConfig, type TransformerConfig, type TransformerModel } from './model.js';
import { parameterTensors, type TensorSpec } from './tensors.js';
import type { PaddedBatch } from './tfjs-forward.js';

export const LAYERS_MODEL_FILE = 'model.json';
/** The model's inputs, in the order `predict` takes them. */
export const TAGGER_INPUTS = ['word', 'suffix', 'shape', 'lexicon', 'mask'] as const;
/** Same as the engine's layer norm (model.ts). */
const LAYER_NORM_EPSILON = 1e-5;
/** Added to the attention scores of padding keys: their softmax weight underflows to 0. */
const MASKED_SCORE = -1e9;

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;
type Shape = (number | null)[];
type ShapeArg = Parameters<tf.layers.Layer['computeOutputShape']>[0];

const single = (inputs: tf.Tensor | tf.Tensor[]): tf.Tensor => (Array.isArray(inputs) ? inputs[0] : inputs);

/**
 * A learnt table of `maxLen` position vectors. Applied to an id tensor [batch, time], it returns
 * rows 0 … time−1 of the table for every sequence: [batch, time, dim]. Its weight is named
 * `embeddings`, as tf.layers.embedding's is.
 */
export class PositionEmbedding extends tf.layers.Layer {
  static className = 'WeightscopePositionEmbedding';
  readonly maxLen: number;
  readonly dim: number;
  private table: tf.LayerVariable | null = null;

  constructor(args: { maxLen: number; dim: number } & LayerArgs) {
    super(args);
    this.maxLen = args.maxLen;
    this.dim = args.dim;
  }

  override build(): void {
    this.table = this.addWeight('embeddings', [this.maxLen, this.dim], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: ShapeArg): Shape {
    return [...(inputShape as Shape), this.dim];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [batch, time] = single(inputs).shape;
      if (time > this.maxLen) throw new UserError(`sequence of ${time} tokens is longer than the model's ${this.maxLen} positions`);
      const rows = tf.slice(this.table!.read(), [0, 0], [time, this.dim]);
      return tf.tile(tf.expandDims(rows, 0), [batch, 1, 1]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), maxLen: this.maxLen, dim: this.dim };
  }
}

const PROJECTIONS = ['q', 'k', 'v', 'o'] as const;

/**
 * Multi-head self-attention over [x, mask] (x: [batch, time, d], mask: [batch, time], 1 = real
 * token): separate query, key, value and output projections (weights `q/kernel`, `q/bias`, …,
 * kernels [d, d] applied as x·W + b), heads of d/heads, softmax(q·kᵀ/√(d/heads) − 10⁹·(1 − mask of
 * the key)). Returns the output projection of the heads' concatenated values: [batch, time, d].
 */
export class MaskedSelfAttention extends tf.layers.Layer {
  static className = 'WeightscopeMaskedSelfAttention';
  readonly heads: number;
  private kernels = new Map<string, tf.LayerVariable>();
  private biases = new Map<string, tf.LayerVariable>();

  constructor(args: { heads: number } & LayerArgs) {
    super(args);
    this.heads = args.heads;
  }

  override build(inputShape: ShapeArg): void {
    const x = (inputShape as Shape[])[0];
    const d = x[x.length - 1];
    if (d === null || d % this.heads !== 0) throw new UserError(`attention width ${d} is not divisible by ${this.heads} heads`);
    for (const p of PROJECTIONS) {
      this.kernels.set(p, this.addWeight(`${p}/kernel`, [d, d], 'float32', tf.initializers.zeros()));
      this.biases.set(p, this.addWeight(`${p}/bias`, [d], 'float32', tf.initializers.zeros()));
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: ShapeArg): Shape {
    return (inputShape as Shape[])[0];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x, mask] = inputs as tf.Tensor[];
      const [b, t, d] = x.shape;
      const dh = d / this.heads;
      const project = (y: tf.Tensor, p: string) => tf.reshape(tf.add(tf.matMul(tf.reshape(y, [b * t, d]), this.kernels.get(p)!.read()), this.biases.get(p)!.read()), [b, t, d]);
      const split = (y: tf.Tensor) => tf.transpose(tf.reshape(y, [b, t, this.heads, dh]), [0, 2, 1, 3]);
      const q = split(project(x, 'q'));
      const k = split(project(x, 'k'));
      const v = split(project(x, 'v'));
      const keyMask = tf.reshape(tf.mul(tf.sub(1, mask), MASKED_SCORE), [b, 1, 1, t]);
      const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh)), keyMask);
      const values = tf.reshape(tf.transpose(tf.matMul(tf.softmax(scores), v), [0, 2, 1, 3]), [b, t, d]);
      return project(values, 'o');
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), heads: this.heads };
  }
}

let registered = false;
/** Make the custom layers known to tfjs's deserializer (needed before tf.loadLayersModel). Idempotent. */
export function registerTaggerLayers(): void {
  if (registered) return;
  tf.serialization.registerClass(PositionEmbedding);
  tf.serialization.registerClass(MaskedSelfAttention);
  registered = true;
}
registerTaggerLayers();

/**
 * The tagger's architecture as a LayersModel, weights all zero (fill them with setTaggerWeights).
 * Layer names are the engine's (`embed.word`, `block0.norm1`, `block0.ffn.in`, `head`, …); the
 * four attention projections of block k live in one layer, `blockk.attn`.
 */
export function buildTaggerLayersModel(c: TransformerConfig): tf.LayersModel {
  checkConfig(c);
  const [word, suffix, shape, lexicon] = TAGGER_INPUTS.slice(0, 4).map((name) => tf.input({ shape: [null], dtype: 'int32', name }));
  const mask = tf.input({ shape: [null], dtype: 'float32', name: 'mask' });
  const apply = (layer: tf.layers.Layer, input: tf.SymbolicTensor | tf.SymbolicTensor[]) => layer.apply(input) as tf.SymbolicTensor;
  const embed = (name: string, rows: number, ids: tf.SymbolicTensor) =>
    apply(tf.layers.embedding({ name, inputDim: rows, outputDim: c.dim, embeddingsInitializer: 'zeros' }), ids);
  const norm = (name: string, x: tf.SymbolicTensor) =>
    apply(tf.layers.layerNormalization({ name, axis: -1, epsilon: LAYER_NORM_EPSILON }), x);
  const dense = (name: string, units: number, x: tf.SymbolicTensor, activation?: 'relu') =>
    apply(tf.layers.dense({ name, units, activation, kernelInitializer: 'zeros', biasInitializer: 'zeros' }), x);
  const add = (name: string, xs: tf.SymbolicTensor[]) => apply(tf.layers.add({ name }), xs);

  let x = add('embed.sum', [
    embed('embed.word', c.vocab, word),
    embed('embed.suffix', c.suffixes, suffix),
    embed('embed.shape', c.shapes, shape),
    embed('embed.lexicon', c.lexicon, lexicon),
    apply(new PositionEmbedding({ name: 'embed.position', maxLen: c.maxLen, dim: c.dim }), word),
  ]);
  for (let k = 0; k < c.blocks; k++) {
    const p = `block${k}`;
    const attended = apply(new MaskedSelfAttention({ name: `${p}.attn`, heads: c.heads }), [norm(`${p}.norm1`, x), mask]);
    x = add(`${p}.attn.residual`, [x, attended]);
    const hidden = dense(`${p}.ffn.in`, c.ffn, norm(`${p}.norm2`, x), 'relu');
    x = add(`${p}.ffn.residual`, [x, dense(`${p}.ffn.out`, c.dim, hidden)]);
  }
  const logits = dense('head', c.tags, norm('final.norm', x));
  return tf.model({ name: 'weightscope_tagger', inputs: [word, suffix, shape, lexicon, mask], outputs: logits });
}

/**
 * The tfjs weight name of an engine parameter (parameterTensors' names): embeddings are
 * `<layer>/embeddings`, an attention projection `blockK.attn.q/kernel` is `blockK.attn/q/kernel`;
 * dense kernels and biases and the norms' gamma and beta keep their names.
 */
export function layersWeightName(engineName: string): string {
  const [layer, param] = engineName.split('/');
  if (layer.startsWith('embed.')) return `${layer}/embeddings`;
  const attention = /^(block\d+\.attn)\.([qkvo])$/.exec(layer);
  return attention ? `${attention[1]}/${attention[2]}/${param}` : engineName;
}

/** The engine's parameters, in weights.bin order, as tfjs weight-manifest entries. */
function manifestWeights(specs: TensorSpec[]): tf.io.WeightsManifestEntry[] {
  return specs.map((s) => ({ name: layersWeightName(s.name), shape: s.shape, dtype: 'float32' }));
}

/** The built model must hold exactly the manifest's weights (same names, same shapes): a bug otherwise. */
function checkSameWeights(model: tf.LayersModel, weights: tf.io.WeightsManifestEntry[]): void {
  const key = (name: string, shape: readonly (number | null)[]) => `${name} [${shape.join(',')}]`;
  const ours = weights.map((w) => key(w.name, w.shape)).sort();
  const theirs = model.weights.map((w) => key(w.originalName, w.shape)).sort();
  if (ours.join('\n') !== theirs.join('\n')) {
    throw new Error(`tfjs tagger weights differ from the engine's: ${theirs.filter((n) => !ours.includes(n)).concat(ours.filter((n) => !theirs.includes(n))).join(', ')}`);
  }
}

/** Copy an engine model's parameters into a LayersModel built for its config (exact float32 copies). */
export function setTaggerWeights(layersModel: tf.LayersModel, model: TransformerModel): void {
  const tensors = parameterTensors(model);
  checkSameWeights(layersModel, manifestWeights(tensors.map((t) => t.spec)));
  const byName = new Map(tensors.map((t) => [layersWeightName(t.spec.name), t]));
  tf.tidy(() => {
    for (const w of layersModel.weights) {
      const t = byName.get(w.originalName)!;
      w.write(tf.tensor(t.data, t.spec.shape, 'float32'));
    }
  });
}

/** A LayersModel computing what `model` computes, with its weights. */
export function toLayersModel(model: TransformerModel): tf.LayersModel {
  const layersModel = buildTaggerLayersModel(model.config);
  setTaggerWeights(layersModel, model);
  return layersModel;
}

/**
 * model.json for a tagger whose parameters (`specs`, parameterTensors' order) lie as consecutive
 * little-endian float32 values in `weightsPath`: the topology is the LayersModel's own
 * serialization (what LayersModel.save writes), the manifest reads the engine's weight file as it is.
 */
export function taggerModelJson(config: TransformerConfig, specs: TensorSpec[], weightsPath: string): tf.io.ModelJSON {
  const layersModel = buildTaggerLayersModel(config);
  try {
    const weights = manifestWeights(specs);
    checkSameWeights(layersModel, weights);
    return {
      modelTopology: layersModel.toJSON(null, false) as tf.io.ModelJSON['modelTopology'],
      format: 'layers-model',
      generatedBy: `weightscope (model built with TensorFlow.js tfjs-layers v${tf.version_layers})`,
      convertedBy: null,
      weightsManifest: [{ paths: [weightsPath], weights }],
    };
  } finally {
    layersModel.dispose();
  }
}

/**
 * Load a tagger folder's model.json (and the weight files its manifest lists) with
 * tf.loadLayersModel. Anything missing, malformed or inconsistent is one UserError line.
 */
export async function loadTaggerLayersModel(dir: string): Promise<tf.LayersModel> {
  registerTaggerLayers();
  const path = join(dir, LAYERS_MODEL_FILE);
  if (!existsSync(path)) throw new UserError(`${dir} holds no ${LAYERS_MODEL_FILE} (the tagger in the tfjs layers format)`);
  const artifacts = withPathPrefix(path, (): tf.io.ModelArtifacts => {
    let json: tf.io.ModelJSON;
    try {
      json = JSON.parse(readInputFile(path, LAYERS_MODEL_FILE).toString('utf8'));
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw new UserError('not valid JSON');
    }
    const shards = weightShardPaths(json); // checks the topology and manifest are there and well formed
    if (json.format !== 'layers-model') throw new UserError(`format is ${JSON.stringify(json.format)}, not 'layers-model'`);
    const root = modelRoot(path);
    const parts = shards.map((p) => readInputFile(confinedPath(root, dir, p, `weights file listed in ${LAYERS_MODEL_FILE}`), `weights file listed in ${LAYERS_MODEL_FILE}`));
    const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
    if (!weightSpecs.every((w) => typeof w?.name === 'string' && Array.isArray(w.shape))) throw new UserError('a weightsManifest weight lacks its name or shape');
    const size = parts.reduce((s, b) => s + b.length, 0);
    // tfjs would read past the end or ignore the rest silently; the tagger's weights are all float32
    const needed = weightSpecs.reduce((s, w) => s + 4 * w.shape.reduce((a, n) => a * n, 1), 0);
    if (weightSpecs.every((w) => w.dtype === 'float32' && !w.quantization) && needed !== size) {
      throw new UserError(`the weight files hold ${size} bytes, the manifest describes ${needed}`);
    }
    const weightData = new Uint8Array(size);
    let o = 0;
    for (const b of parts) {
      weightData.set(b, o);
      o += b.length;
    }
    return { modelTopology: json.modelTopology, format: json.format, weightSpecs, weightData: weightData.buffer };
  });
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (err) {
    const message = (err as Error)?.message ?? String(err);
    throw new UserError(`${path} could not be loaded as a tfjs layers model: ${message.split('\n')[0]}`);
  }
}

/** A padded batch (tfjs-forward.ts padBatch) as the model's five input tensors, in TAGGER_INPUTS order. */
export function taggerInputs(batch: PaddedBatch): tf.Tensor2D[] {
  const { b, t } = batch;
  return [
    tf.tensor2d(batch.word, [b, t], 'int32'),
    tf.tensor2d(batch.suffix, [b, t], 'int32'),
    tf.tensor2d(batch.shape, [b, t], 'int32'),
    tf.tensor2d(batch.lexicon, [b, t], 'int32'),
    tf.tensor2d(batch.mask, [b, t], 'float32'),
  ];
}
