/**
 * Which tensors of a model file are layers, of what kind, and how each becomes a layer record:
 * a row-major [nIn, nOut] matrix whose rows are the layer's input units in every format (PyTorch
 * stores Linear weights (out, in) and is transposed; Keras/tfjs/NumPy store (in, out)).
 * Convolutions map to input channel × output channel (the kernel summed over its window, or its
 * L2 norm with the sum's sign), or unfold to (channel, window position) × output channel; fused
 * attention matrices are split into query, key and value. Rules and examples: docs/formats.md.
 */
import { UserError } from '../core/errors.js';
import { validateLayer, type LayerRecord } from '../core/layer.js';
import type { ModelFile, RawTensor, TensorDType } from './types.js';

export type LayerKind = 'dense' | 'conv' | 'attention.q' | 'attention.k' | 'attention.v' | 'attention.o' | 'ffn.in' | 'ffn.out' | 'embedding';
export type Orientation = 'in-out' | 'out-in';
/** How a convolution kernel becomes a bipartite layer; see docs/formats.md. */
export type ConvMapping = 'sum' | 'norm' | 'unfold';
export type ConvLayout = 'oiw' | 'wio' | 'iow';
export const CONV_MAPPINGS: readonly ConvMapping[] = ['sum', 'norm', 'unfold'];

export interface InventoryLayer {
  /**
   * The layer's name: the tensor name without `.weight` / `/kernel` (fused parts get `.q` `.k` `.v`);
   * the layer the format names (Keras, or an ONNX node when the tensor's name is generated) otherwise.
   */
  name: string;
  /** Its other natural names, each naming this layer only: the tensor's full name, the ONNX node or Keras layer. */
  aliases: string[];
  kind: LayerKind;
  /** The tensor it comes from. */
  tensor: string;
  tensorShape: number[];
  /** [nIn, nOut] of the layer record. */
  shape: [number, number];
  /** How the tensor stores it: `out-in` (PyTorch) is transposed into the record. */
  orientation: Orientation;
  dtype: TensorDType;
  /** Weights of this layer in the file (its share of a fused tensor), plus its bias. */
  params: number;
  /** The bias tensor attached (length nOut), or null. */
  bias: string | null;
  /** Part `index` of `of` along the output axis (fused q/k/v). */
  part?: { index: number; of: number };
  /**
   * Convolutions: the window's shape, the mapping used, and the kernel's layout: `oiw` (out, in,
   * window…: PyTorch, ONNX Conv), `wio` (window…, in, out: Keras), `iow` (in, out, window…: ONNX
   * ConvTranspose, PyTorch ConvTranspose*d).
   */
  conv?: { window: number[]; mapping: ConvMapping; layout: ConvLayout };
}

export interface SkippedTensor {
  name: string;
  shape: number[];
  /** Why it is not a layer: `norm`, `bias` (attached to a layer, named), `vector`, `scalar`, `empty`. */
  reason: string;
}

export interface Inventory {
  layers: InventoryLayer[];
  skipped: SkippedTensor[];
}

export interface InventoryOptions {
  conv?: ConvMapping;
  /** Orientation of 2-D tensors whose name and format do not tell (overrides the format default). */
  orientation?: Orientation;
}


function stripSuffix(name: string): string {
  return name.replace(/:0$/, '').replace(/([./](weight|kernel)|_weight)$/i, '');
}

/** Name segments, lower-cased, split on `.`, `/` (the layer path). */
function segments(name: string): string[] {
  return stripSuffix(name).toLowerCase().split(/[./]/);
}

const has = (segs: string[], re: RegExp): boolean => segs.some((s) => re.test(s));

/** The kind of a 2-D weight from its name (Hugging Face / PyTorch / Keras naming). */
export function kindFromName(name: string): LayerKind | 'attention.qkv' {
  const segs = segments(name);
  const path = segs.join('.');
  const last = segs[segs.length - 1];
  if (/(^|_)(in_proj|qkv|wqkv|c_attn|query_key_value)$/.test(last) || /in_proj_weight$/i.test(name)) return 'attention.qkv';
  if (has(segs, /^(embeddings?|embed_tokens|word_embeddings|position_embeddings|token_type_embeddings|tok_embeddings|wte|wpe|shared|embed)$/) || /embed/.test(last)) return 'embedding';
  const inAttention = has(segs, /^(attn|attention|self_attn|self_attention|selfattention|mha|multi_head_attention)$/);
  if (/^(q_proj|query|q_lin|q|wq|to_q)$/.test(last)) return 'attention.q';
  if (/^(k_proj|key|k_lin|k|wk|to_k)$/.test(last)) return 'attention.k';
  if (/^(v_proj|value|v_lin|v|wv|to_v)$/.test(last)) return 'attention.v';
  if (/^(o_proj|out_proj|out_lin|wo|to_out|o)$/.test(last) && inAttention) return 'attention.o';
  if (inAttention && (/attention\.output\.dense$/.test(path) || /^(c_proj|dense|proj|out)$/.test(last))) return 'attention.o';
  if (/^(fc1|lin1|up_proj|gate_proj|w1|w3|c_fc|dense_h_to_4h|fc_in|wi|wi_0|wi_1)$/.test(last) || /intermediate\.dense$/.test(path)) return 'ffn.in';
  if (/^(fc2|lin2|down_proj|w2|dense_4h_to_h|fc_out)$/.test(last) || /(^|\.)output\.dense$/.test(path) || (has(segs, /^(mlp|ffn|feed_forward|feedforward)$/) && /^(c_proj|wo|out|proj)$/.test(last))) return 'ffn.out';
  return 'dense';
}

/** GPT-2's Conv1D modules store (in, out) although they come as PyTorch `.weight`. */
function isGpt2Conv1D(name: string): boolean {
  return /(^|\.)(attn|mlp|crossattention)\.(c_attn|c_proj|c_fc|q_attn)\.weight$/.test(name) && /(^|\.)h\.\d+\./.test(name);
}

function orientationOf(file: ModelFile, t: RawTensor, kind: string, options: InventoryOptions): Orientation {
  if (t.hint?.orientation) return t.hint.orientation;
  if (kind === 'embedding') return 'in-out'; // a lookup table: rows are the vocabulary (the inputs)
  if (/[./]kernel(:0)?$/i.test(t.name) || isGpt2Conv1D(t.name)) return 'in-out';
  if (options.orientation) return options.orientation;
  // PyTorch (safetensors) stores Linear (out, in); NumPy and Keras store (in, out). ONNX readers give hints.
  return file.format === 'safetensors' || /[./]weight$/.test(t.name) ? 'out-in' : 'in-out';
}

/** Tensor names exporters make up (torch.onnx's anonymous initializers): the node names the layer better. */
function isGeneratedName(name: string): boolean {
  return /^onnx::|^(val|_v)_\d+$/.test(name);
}

/** The layer's primary name: the tensor's (as every format names PyTorch modules), unless the format names the layer better. */
function layerBaseName(file: ModelFile, t: RawTensor): string {
  if (file.format === 'onnx' && !isGeneratedName(t.name)) return stripSuffix(t.name);
  return t.hint?.layer ?? stripSuffix(t.name);
}

function isNormName(name: string): boolean {
  return /(norm|(^|[._/])ln(_\w+)?([._/]|$)|layernorm|batchnorm|rmsnorm)/i.test(name);
}

/** The layers of a model file and the tensors that are not layers, in file order. */
export function inventory(file: ModelFile, options: InventoryOptions = {}): Inventory {
  const conv = options.conv ?? 'sum';
  const layers: InventoryLayer[] = [];
  const skipped: SkippedTensor[] = [];
  const byName = new Map(file.tensors.map((t) => [t.name, t]));
  const usedAsBias = new Set<string>();
  const vectors: RawTensor[] = [];
  for (const t of file.tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count === 0) { skipped.push({ name: t.name, shape: t.shape, reason: 'empty' }); continue; }
    if (t.shape.length < 2 || t.hint?.kind === 'norm' || t.hint?.kind === 'bias') { vectors.push(t); continue; }
    const transposed = t.hint?.kind === 'conv.transpose';
    const hinted = transposed ? 'conv' : t.hint?.kind;
    const kind = (hinted as LayerKind | 'attention.qkv' | undefined) ?? (t.shape.length > 2 ? 'conv' : kindFromName(t.name));
    const orientation = transposed ? 'in-out' : orientationOf(file, t, kind, options);
    const base = layerBaseName(file, t);
    const biasName = findBias(t, base, byName, file);
    if (kind === 'conv' || t.shape.length > 2) {
      const layout: ConvLayout = transposed ? 'iow' : orientation === 'out-in' ? 'oiw' : 'wio';
      const window = layout === 'wio' ? t.shape.slice(0, -2) : t.shape.slice(2);
      const [cOut, cIn] = layout === 'oiw' ? [t.shape[0], t.shape[1]] : layout === 'iow' ? [t.shape[1], t.shape[0]] : [t.shape[t.shape.length - 1], t.shape[t.shape.length - 2]];
      const w = window.reduce((a, b) => a * b, 1);
      const bias = biasName && byName.get(biasName)!.shape[0] === cOut ? biasName : null;
      if (bias) usedAsBias.add(bias);
      layers.push({
        name: base, aliases: [], kind: 'conv', tensor: t.name, tensorShape: t.shape, shape: [conv === 'unfold' ? cIn * w : cIn, cOut],
        orientation, dtype: t.dtype, params: count + (bias ? cOut : 0), bias, conv: { window, mapping: conv, layout },
      });
      continue;
    }
    const [nIn, nOut] = orientation === 'out-in' ? [t.shape[1], t.shape[0]] : [t.shape[0], t.shape[1]];
    const bias = biasName && byName.get(biasName)!.shape[0] === nOut ? biasName : null;
    if (kind === 'attention.qkv' && nOut % 3 === 0) {
      if (bias) usedAsBias.add(bias);
      (['q', 'k', 'v'] as const).forEach((p, index) => {
        layers.push({
          name: `${base}.${p}`, aliases: [], kind: `attention.${p}`, tensor: t.name, tensorShape: t.shape, shape: [nIn, nOut / 3], orientation,
          dtype: t.dtype, params: (nIn * nOut) / 3 + (bias ? nOut / 3 : 0), bias, part: { index, of: 3 },
        });
      });
      continue;
    }
    if (bias) usedAsBias.add(bias);
    layers.push({
      name: base, aliases: [], kind: kind === 'attention.qkv' ? 'dense' : kind, tensor: t.name, tensorShape: t.shape, shape: [nIn, nOut],
      orientation, dtype: t.dtype, params: count + (bias ? nOut : 0), bias,
    });
  }
  for (const t of vectors) {
    const reason = usedAsBias.has(t.name) ? 'bias' : t.shape.length === 0 ? 'scalar' : t.hint?.kind === 'norm' || isNormName(t.name) ? 'norm' : 'vector';
    skipped.push({ name: t.name, shape: t.shape, reason });
  }
  const seen = new Set<string>();
  for (const l of layers) {
    if (seen.has(l.name)) l.name = l.tensor; // two tensors of one module: keep both, by tensor name
    seen.add(l.name);
  }
  addAliases(layers, byName);
  return { layers, skipped };
}

/**
 * The other natural names of each layer (its tensor's full name, the stripped tensor name, the
 * ONNX node or Keras layer that uses it), kept only where they name that one layer: a name that is
 * another layer's name, or that two layers could claim (the three parts of a fused tensor), is no alias.
 */
function addAliases(layers: InventoryLayer[], byName: Map<string, RawTensor>): void {
  const primary = new Set(layers.map((l) => l.name));
  const candidates = layers.map((l) => {
    if (l.part) return [];
    const t = byName.get(l.tensor)!;
    return [...new Set([l.tensor, stripSuffix(l.tensor), t.hint?.layer].filter((n): n is string => !!n && n !== l.name))];
  });
  const claims = new Map<string, number>();
  for (const list of candidates) for (const n of list) claims.set(n, (claims.get(n) ?? 0) + 1);
  layers.forEach((l, k) => {
    l.aliases = candidates[k].filter((n) => !primary.has(n) && claims.get(n) === 1);
  });
}

function findBias(t: RawTensor, base: string, byName: Map<string, RawTensor>, file: ModelFile): string | null {
  const candidates = [
    t.name.replace(/weight$/, 'bias'),
    t.name.replace(/kernel(:0)?$/, 'bias$1'),
    `${base}.bias`, `${base}/bias`, `${base}_bias`,
  ];
  for (const c of candidates) {
    if (c !== t.name && byName.get(c)?.shape.length === 1) return c;
  }
  if (t.hint?.layer) {
    const sibling = file.tensors.find((o) => o !== t && o.hint?.layer === t.hint!.layer && o.shape.length === 1 && (o.hint?.kind === 'bias' || /bias/i.test(o.name)));
    if (sibling) return sibling.name;
  }
  return null;
}

const asF32 = (v: Float32Array | Float64Array): Float32Array => (v instanceof Float32Array ? v : Float32Array.from(v));

/** The layer record of one inventory layer (values read from the file now). Validated. */
export function layerRecord(file: ModelFile, layer: InventoryLayer): LayerRecord {
  const tensor = file.tensors.find((t) => t.name === layer.tensor)!;
  const values = tensor.values();
  const [nIn, nOut] = layer.shape;
  const weights = new Float32Array(nIn * nOut);
  if (layer.conv) convToRecord(values, layer, weights);
  else {
    const part = layer.part ?? { index: 0, of: 1 };
    const fullOut = nOut * part.of;
    const offset = part.index * nOut;
    if (layer.orientation === 'out-in') {
      // tensor (fullOut, nIn): row offset + j, column i
      for (let j = 0; j < nOut; j++) {
        const row = (offset + j) * nIn;
        for (let i = 0; i < nIn; i++) weights[i * nOut + j] = values[row + i];
      }
    } else {
      for (let i = 0; i < nIn; i++) for (let j = 0; j < nOut; j++) weights[i * nOut + j] = values[i * fullOut + offset + j];
    }
  }
  let bias: Float32Array | null = null;
  if (layer.bias) {
    const b = asF32(file.tensors.find((t) => t.name === layer.bias)!.values());
    bias = layer.part ? b.slice(layer.part.index * nOut, (layer.part.index + 1) * nOut) : b;
  }
  return validateLayer({ name: layer.name, weights, shape: [nIn, nOut], bias });
}

/** Index of kernel element (channel c, window position p, output o) in the tensor. */
function convIndex(layer: InventoryLayer, c: number, p: number, o: number): number {
  const { window, layout } = layer.conv!;
  const w = window.reduce((a, b) => a * b, 1);
  const s = layer.tensorShape;
  if (layout === 'oiw') return (o * s[1] + c) * w + p;
  if (layout === 'iow') return (c * s[1] + o) * w + p;
  return (p * s[s.length - 2] + c) * s[s.length - 1] + o;
}

function convToRecord(values: Float32Array | Float64Array, layer: InventoryLayer, out: Float32Array): void {
  const { mapping, window } = layer.conv!;
  const w = window.reduce((a, b) => a * b, 1);
  const nOut = layer.shape[1];
  const cIn = mapping === 'unfold' ? layer.shape[0] / w : layer.shape[0];
  for (let c = 0; c < cIn; c++) {
    for (let o = 0; o < nOut; o++) {
      if (mapping === 'unfold') {
        for (let p = 0; p < w; p++) out[(c * w + p) * nOut + o] = values[convIndex(layer, c, p, o)];
        continue;
      }
      let sum = 0, sq = 0;
      for (let p = 0; p < w; p++) {
        const v = values[convIndex(layer, c, p, o)];
        sum += v;
        sq += v * v;
      }
      out[c * nOut + o] = mapping === 'sum' ? sum : Math.sign(sum) * Math.sqrt(sq);
    }
  }
}

/**
 * The tensors to write so that the file holds the given (changed) layer records: each record's
 * weights put back into its tensor's layout (transposed back, into its third of a fused matrix,
 * folded back from an unfolded convolution). Biases are not written (null models keep them).
 */
export function replacementsFor(file: ModelFile, inv: Inventory, changed: LayerRecord[]): Map<string, Float32Array | Float64Array> {
  const out = new Map<string, Float32Array | Float64Array>();
  for (const record of changed) {
    const layer = inv.layers.find((l) => l.name === record.name);
    if (!layer) throw new UserError(`no layer named '${record.name}' in ${file.path}`);
    if (layer.conv && layer.conv.mapping !== 'unfold') {
      throw new UserError(`layer '${layer.name}' is a convolution seen through its kernel ${layer.conv.mapping}, which cannot be written back: use --conv unfold`);
    }
    let values = out.get(layer.tensor);
    if (!values) {
      values = file.tensors.find((t) => t.name === layer.tensor)!.values().slice();
      out.set(layer.tensor, values);
    }
    const [nIn, nOut] = layer.shape;
    const w = record.weights;
    if (layer.conv) {
      const win = layer.conv.window.reduce((a, b) => a * b, 1);
      for (let c = 0; c < nIn / win; c++) for (let p = 0; p < win; p++) for (let o = 0; o < nOut; o++) values[convIndex(layer, c, p, o)] = w[(c * win + p) * nOut + o];
      continue;
    }
    const part = layer.part ?? { index: 0, of: 1 };
    const offset = part.index * nOut;
    if (layer.orientation === 'out-in') {
      for (let j = 0; j < nOut; j++) for (let i = 0; i < nIn; i++) values[(offset + j) * nIn + i] = w[i * nOut + j];
    } else {
      const fullOut = nOut * part.of;
      for (let i = 0; i < nIn; i++) for (let j = 0; j < nOut; j++) values[i * fullOut + offset + j] = w[i * nOut + j];
    }
  }
  return out;
}

