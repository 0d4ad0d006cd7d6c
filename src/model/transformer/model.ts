/**
 * A small pre-norm transformer encoder tagger, forward and backward written over Float32Arrays
 * (docs/transformer.md says why not tfjs: its WASM backend trains ~3k tokens/s and lacks the
 * gather gradient). Every projection is a LayerRecord, so probes, statistics and graph export
 * see it exactly as they see an MLP layer:
 *
 *   x₀ = E_word[w] + E_suffix[s] + E_shape[h] + E_lexicon[l] + E_position[t]
 *   per block k:  x += O(MHSA(LN₁(x)))   (attention masked to the token's own sentence)
 *                 x += W_out · relu(W_in · LN₂(x))
 *   logits = head(LN_f(x))
 *
 * Sentences are packed end to end (no padding): attention runs over each sentence's own span,
 * which is exactly what a padded batch with a padding mask computes (tested against tfjs).
 */
import type { DenseModel, LayerRecord } from '../../core/layer.js';
import { UserError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { addColumnSums, matmul, matmulABt, matmulAtB } from './linalg.js';

export interface TransformerConfig {
  vocab: number;
  suffixes: number;
  shapes: number;
  /** Rows of the lexicon embedding: the task's tags + 1 (row 0: a word unseen in training). */
  lexicon: number;
  maxLen: number;
  blocks: number;
  dim: number;
  heads: number;
  ffn: number;
  tags: number;
}

export interface NormParams {
  name: string;
  gamma: Float32Array;
  beta: Float32Array;
}

export interface TransformerModel {
  config: TransformerConfig;
  /** embed.word, embed.suffix, embed.shape, embed.lexicon, embed.position, blockK.attn.{q,k,v,o}, blockK.ffn.{in,out}…, head. */
  layers: LayerRecord[];
  /** blockK.norm1, blockK.norm2 …, final.norm. */
  norms: NormParams[];
}

export const EMBEDDINGS = ['embed.word', 'embed.suffix', 'embed.shape', 'embed.lexicon', 'embed.position'] as const;
export const BLOCK_LAYERS = ['attn.q', 'attn.k', 'attn.v', 'attn.o', 'ffn.in', 'ffn.out'] as const;

/** Layer names in model order. */
export function layerNames(c: Pick<TransformerConfig, 'blocks'>): string[] {
  const names: string[] = [...EMBEDDINGS];
  for (let b = 0; b < c.blocks; b++) for (const l of BLOCK_LAYERS) names.push(`block${b}.${l}`);
  names.push('head');
  return names;
}

export function checkConfig(c: TransformerConfig): void {
  for (const [k, v] of Object.entries(c)) {
    if (!Number.isInteger(v) || v < 1) throw new UserError(`transformer ${k} must be a positive integer, got ${v}`);
  }
  if (c.dim % c.heads !== 0) throw new UserError(`transformer dim ${c.dim} is not divisible by heads ${c.heads}`);
}

/**
 * Amplitude of the sinusoidal table the position embedding starts from. The content embeddings
 * start at N(0, 0.1²) each; a position signal of their size (or a random N(0, 0.1²) table) is
 * swamped after the layer norm, and the tagger then barely learns to use its context in a
 * study-sized budget (docs/transformer.md, "Measured": 94.6 % at amplitude 0.1, 95.9 % at 2).
 */
export const POSITION_AMPLITUDE = 2;

/** The sinusoidal position table of Vaswani et al. (2017), row p = position p, scaled by `amplitude`. */
export function sinusoidalPositions(maxLen: number, d: number, amplitude: number): Float32Array {
  const w = new Float32Array(maxLen * d);
  for (let p = 0; p < maxLen; p++) {
    for (let j = 0; 2 * j < d; j++) {
      const f = Math.pow(10000, (-2 * j) / d);
      w[p * d + 2 * j] = amplitude * Math.sin(p * f);
      if (2 * j + 1 < d) w[p * d + 2 * j + 1] = amplitude * Math.cos(p * f);
    }
  }
  return w;
}

/**
 * Seeded initialisation: N(0, 1/nIn) projections, output projections scaled down by √(2·blocks),
 * N(0, 0.1²) content embeddings; the position embedding starts as a sinusoidal table (then learnt).
 */
export function initTransformer(config: TransformerConfig, seed: number): TransformerModel {
  checkConfig(config);
  const rng = new Rng(seed);
  const { dim: d, ffn, blocks } = config;
  const layer = (name: string, nIn: number, nOut: number, std: number, bias: boolean, activation?: 'relu'): LayerRecord => {
    const r = rng.fork(name);
    const weights = new Float32Array(nIn * nOut);
    for (let i = 0; i < weights.length; i++) weights[i] = std * r.normal();
    return { name, weights, shape: [nIn, nOut], bias: bias ? new Float32Array(nOut) : null, ...(activation ? { activation } : {}) };
  };
  const residualScale = 1 / Math.sqrt(2 * blocks);
  const layers: LayerRecord[] = [
    layer('embed.word', config.vocab, d, 0.1, false),
    layer('embed.suffix', config.suffixes, d, 0.1, false),
    layer('embed.shape', config.shapes, d, 0.1, false),
    layer('embed.lexicon', config.lexicon, d, 0.1, false),
    { name: 'embed.position', weights: sinusoidalPositions(config.maxLen, d, POSITION_AMPLITUDE), shape: [config.maxLen, d], bias: null },
  ];
  const norms: NormParams[] = [];
  const norm = (name: string): NormParams => ({ name, gamma: new Float32Array(d).fill(1), beta: new Float32Array(d) });
  for (let b = 0; b < blocks; b++) {
    const p = `block${b}`;
    layers.push(
      layer(`${p}.attn.q`, d, d, 1 / Math.sqrt(d), true),
      layer(`${p}.attn.k`, d, d, 1 / Math.sqrt(d), true),
      layer(`${p}.attn.v`, d, d, 1 / Math.sqrt(d), true),
      layer(`${p}.attn.o`, d, d, residualScale / Math.sqrt(d), true),
      layer(`${p}.ffn.in`, d, ffn, Math.sqrt(2 / d), true, 'relu'),
      layer(`${p}.ffn.out`, ffn, d, residualScale / Math.sqrt(ffn), true),
    );
    norms.push(norm(`${p}.norm1`), norm(`${p}.norm2`));
  }
  layers.push(layer('head', d, config.tags, 1 / Math.sqrt(d), true));
  norms.push(norm('final.norm'));
  return { config, layers, norms };
}

/** The projections as the DenseModel probes transform (shapes do not chain: probes never need them to). */
export function asDense(model: TransformerModel): DenseModel {
  return { layers: model.layers };
}

/** The same model with its layer records replaced (by name), e.g. after a probe. */
export function withLayers(model: TransformerModel, dense: DenseModel): TransformerModel {
  const byName = new Map(dense.layers.map((l) => [l.name, l]));
  return { ...model, layers: model.layers.map((l) => byName.get(l.name) ?? l) };
}

/** Sentences packed end to end. */
export interface Batch {
  word: Int32Array;
  suffix: Int32Array;
  shape: Int32Array;
  lexicon: Int32Array;
  /** Gold tags (ignored by inference). */
  tag: Int32Array;
  /** Sentence s covers tokens starts[s] … starts[s+1]-1. */
  starts: Int32Array;
}

export interface SentenceInput {
  word: ArrayLike<number>;
  suffix: ArrayLike<number>;
  shape: ArrayLike<number>;
  lexicon: ArrayLike<number>;
  tag: ArrayLike<number>;
}

export function packBatch(sentences: SentenceInput[]): Batch {
  const n = sentences.reduce((s, x) => s + x.word.length, 0);
  const b: Batch = { word: new Int32Array(n), suffix: new Int32Array(n), shape: new Int32Array(n), lexicon: new Int32Array(n), tag: new Int32Array(n), starts: new Int32Array(sentences.length + 1) };
  let o = 0;
  sentences.forEach((s, k) => {
    b.starts[k] = o;
    b.word.set(s.word, o);
    b.suffix.set(s.suffix, o);
    b.shape.set(s.shape, o);
    b.lexicon.set(s.lexicon, o);
    b.tag.set(s.tag, o);
    o += s.word.length;
  });
  b.starts[sentences.length] = o;
  return b;
}

/** What the backward pass needs from the forward pass, per block. */
interface BlockCache {
  xIn: Float32Array;
  xhat1: Float32Array;
  h1: Float32Array;
  rstd1: Float32Array;
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  probs: Float32Array;
  att: Float32Array;
  xMid: Float32Array;
  xhat2: Float32Array;
  h2: Float32Array;
  rstd2: Float32Array;
  f: Float32Array;
}

export interface ForwardResult {
  logits: Float32Array;
  n: number;
  blocks: BlockCache[];
  xLast: Float32Array;
  xhatF: Float32Array;
  hf: Float32Array;
  rstdF: Float32Array;
}

/** Branches to drop from the residual stream: `blockK.attn` or `blockK.ffn` (the block's branch output is zeroed, the skip path kept). */
export type Ablation = ReadonlySet<string>;

const EPS = 1e-5;

function layerNorm(x: Float32Array, g: Float32Array, b: Float32Array, xhat: Float32Array, y: Float32Array, rstd: Float32Array, n: number, d: number): void {
  for (let i = 0; i < n; i++) {
    const o = i * d;
    let mean = 0;
    for (let j = 0; j < d; j++) mean += x[o + j];
    mean /= d;
    let v = 0;
    for (let j = 0; j < d; j++) {
      const t = x[o + j] - mean;
      v += t * t;
    }
    const r = 1 / Math.sqrt(v / d + EPS);
    rstd[i] = r;
    for (let j = 0; j < d; j++) {
      const t = (x[o + j] - mean) * r;
      xhat[o + j] = t;
      y[o + j] = t * g[j] + b[j];
    }
  }
}

/** dx += LN backward of dy, given x̂. */
function layerNormBackward(dy: Float32Array, xhat: Float32Array, rstd: Float32Array, g: Float32Array, dg: Float32Array, db: Float32Array, dx: Float32Array, n: number, d: number): void {
  const dxh = new Float32Array(d);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    let m1 = 0;
    let m2 = 0;
    for (let j = 0; j < d; j++) {
      const xh = xhat[o + j];
      dg[j] += dy[o + j] * xh;
      db[j] += dy[o + j];
      dxh[j] = dy[o + j] * g[j];
      m1 += dxh[j];
      m2 += dxh[j] * xh;
    }
    m1 /= d;
    m2 /= d;
    const r = rstd[i];
    for (let j = 0; j < d; j++) dx[o + j] += r * (dxh[j] - m1 - xhat[o + j] * m2);
  }
}

/** The model's parts looked up once by name. */
interface Parts {
  emb: LayerRecord[];
  blocks: { q: LayerRecord; k: LayerRecord; v: LayerRecord; o: LayerRecord; fin: LayerRecord; fout: LayerRecord; n1: NormParams; n2: NormParams }[];
  head: LayerRecord;
  nf: NormParams;
}

function parts(model: TransformerModel): Parts {
  const L = new Map(model.layers.map((l) => [l.name, l]));
  const N = new Map(model.norms.map((l) => [l.name, l]));
  const get = <T>(m: Map<string, T>, k: string): T => {
    const v = m.get(k);
    if (!v) throw new UserError(`transformer model has no '${k}'`);
    return v;
  };
  const blocks = [];
  for (let b = 0; b < model.config.blocks; b++) {
    const p = `block${b}`;
    blocks.push({
      q: get(L, `${p}.attn.q`), k: get(L, `${p}.attn.k`), v: get(L, `${p}.attn.v`), o: get(L, `${p}.attn.o`),
      fin: get(L, `${p}.ffn.in`), fout: get(L, `${p}.ffn.out`), n1: get(N, `${p}.norm1`), n2: get(N, `${p}.norm2`),
    });
  }
  return { emb: EMBEDDINGS.map((e) => get(L, e)), blocks, head: get(L, 'head'), nf: get(N, 'final.norm') };
}

function probsSize(starts: Int32Array, heads: number): number {
  let s = 0;
  for (let k = 0; k + 1 < starts.length; k++) {
    const len = starts[k + 1] - starts[k];
    s += len * len * heads;
  }
  return s;
}

export function forward(model: TransformerModel, batch: Batch, ablate?: Ablation): ForwardResult {
  const c = model.config;
  const P = parts(model);
  const d = c.dim;
  const n = batch.word.length;
  const H = c.heads;
  const dh = d / H;
  const scale = 1 / Math.sqrt(dh);
  const x = new Float32Array(n * d);
  for (let s = 0; s + 1 < batch.starts.length; s++) {
    for (let i = batch.starts[s]; i < batch.starts[s + 1]; i++) {
      const pos = i - batch.starts[s];
      if (pos >= c.maxLen) throw new UserError(`sentence longer than the model's ${c.maxLen} positions`);
      const rows = [batch.word[i], batch.suffix[i], batch.shape[i], batch.lexicon[i], pos];
      for (let e = 0; e < rows.length; e++) {
        const w = P.emb[e].weights;
        const r = rows[e] * d;
        for (let j = 0; j < d; j++) x[i * d + j] += w[r + j];
      }
    }
  }
  const blocks: BlockCache[] = [];
  let cur = x;
  P.blocks.forEach((B, b) => {
    const xIn = cur;
    const h1 = new Float32Array(n * d);
    const rstd1 = new Float32Array(n);
    const xhat1 = new Float32Array(n * d);
    layerNorm(xIn, B.n1.gamma, B.n1.beta, xhat1, h1, rstd1, n, d);
    const q = new Float32Array(n * d);
    const k = new Float32Array(n * d);
    const v = new Float32Array(n * d);
    matmul(h1, B.q.weights, B.q.bias, q, n, d, d);
    matmul(h1, B.k.weights, B.k.bias, k, n, d, d);
    matmul(h1, B.v.weights, B.v.bias, v, n, d, d);
    const probs = new Float32Array(probsSize(batch.starts, H));
    const att = new Float32Array(n * d);
    attentionForward(q, k, v, probs, att, batch.starts, H, dh, scale);
    const xMid = new Float32Array(n * d);
    if (ablate?.has(`block${b}.attn`)) xMid.set(xIn);
    else {
      matmul(att, B.o.weights, B.o.bias, xMid, n, d, d);
      for (let i = 0; i < n * d; i++) xMid[i] += xIn[i];
    }
    const h2 = new Float32Array(n * d);
    const rstd2 = new Float32Array(n);
    const xhat2 = new Float32Array(n * d);
    layerNorm(xMid, B.n2.gamma, B.n2.beta, xhat2, h2, rstd2, n, d);
    const f = new Float32Array(n * c.ffn);
    matmul(h2, B.fin.weights, B.fin.bias, f, n, d, c.ffn);
    for (let i = 0; i < f.length; i++) if (f[i] < 0) f[i] = 0;
    const xOut = new Float32Array(n * d);
    if (ablate?.has(`block${b}.ffn`)) xOut.set(xMid);
    else {
      matmul(f, B.fout.weights, B.fout.bias, xOut, n, c.ffn, d);
      for (let i = 0; i < n * d; i++) xOut[i] += xMid[i];
    }
    blocks.push({ xIn, xhat1, h1, rstd1, q, k, v, probs, att, xMid, xhat2, h2, rstd2, f });
    cur = xOut;
  });
  const hf = new Float32Array(n * d);
  const rstdF = new Float32Array(n);
  const xhatF = new Float32Array(n * d);
  layerNorm(cur, P.nf.gamma, P.nf.beta, xhatF, hf, rstdF, n, d);
  const logits = new Float32Array(n * c.tags);
  matmul(hf, P.head.weights, P.head.bias, logits, n, d, c.tags);
  return { logits, n, blocks, xLast: cur, xhatF, hf, rstdF };
}

function attentionForward(q: Float32Array, k: Float32Array, v: Float32Array, probs: Float32Array, att: Float32Array, starts: Int32Array, H: number, dh: number, scale: number): void {
  const d = H * dh;
  let po = 0;
  for (let s = 0; s + 1 < starts.length; s++) {
    const a = starts[s];
    const L = starts[s + 1] - a;
    for (let h = 0; h < H; h++) {
      const ho = h * dh;
      for (let i = 0; i < L; i++) {
        const qi = (a + i) * d + ho;
        const row = po + i * L;
        let max = -Infinity;
        for (let j = 0; j < L; j++) {
          const kj = (a + j) * d + ho;
          let sc = 0;
          for (let t = 0; t < dh; t++) sc += q[qi + t] * k[kj + t];
          sc *= scale;
          probs[row + j] = sc;
          if (sc > max) max = sc;
        }
        let sum = 0;
        for (let j = 0; j < L; j++) {
          const e = Math.exp(probs[row + j] - max);
          probs[row + j] = e;
          sum += e;
        }
        const inv = 1 / sum;
        for (let j = 0; j < L; j++) {
          const p = probs[row + j] * inv;
          probs[row + j] = p;
          const vj = (a + j) * d + ho;
          for (let t = 0; t < dh; t++) att[qi + t] += p * v[vj + t];
        }
      }
      po += L * L;
    }
  }
}

/** Gradients, in the same layout as the model. */
export interface Gradients {
  layers: Map<string, { weights: Float32Array; bias: Float32Array | null }>;
  norms: Map<string, { gamma: Float32Array; beta: Float32Array }>;
}

export function zeroGradients(model: TransformerModel): Gradients {
  return {
    layers: new Map(model.layers.map((l) => [l.name, { weights: new Float32Array(l.weights.length), bias: l.bias ? new Float32Array(l.bias.length) : null }])),
    norms: new Map(model.norms.map((l) => [l.name, { gamma: new Float32Array(l.gamma.length), beta: new Float32Array(l.beta.length) }])),
  };
}

/**
 * Mean cross-entropy over the batch's tokens; adds its gradient to `grads` (if given).
 */
export function lossAndGradient(model: TransformerModel, batch: Batch, grads?: Gradients): number {
  const fw = forward(model, batch);
  const dLogits = new Float32Array(fw.logits.length);
  const loss = softmaxCrossEntropy(fw.logits, batch.tag, model.config.tags, dLogits);
  if (grads) backward(model, batch, fw, dLogits, grads);
  return loss;
}

/** Mean cross-entropy of logits [n×T] against gold tags; writes its gradient into dLogits. */
export function softmaxCrossEntropy(logits: Float32Array, gold: Int32Array, T: number, dLogits: Float32Array): number {
  const n = gold.length;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const o = i * T;
    let max = -Infinity;
    for (let t = 0; t < T; t++) if (logits[o + t] > max) max = logits[o + t];
    let sum = 0;
    for (let t = 0; t < T; t++) sum += Math.exp(logits[o + t] - max);
    const g = gold[i];
    loss += Math.log(sum) + max - logits[o + g];
    for (let t = 0; t < T; t++) dLogits[o + t] = Math.exp(logits[o + t] - max) / sum / n;
    dLogits[o + g] -= 1 / n;
  }
  return loss / n;
}

/** Row-wise argmax of logits [n×T]. */
export function argmaxRows(logits: Float32Array, n: number, T: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let t = 1; t < T; t++) if (logits[i * T + t] > logits[i * T + best]) best = t;
    out[i] = best;
  }
  return out;
}

function backward(model: TransformerModel, batch: Batch, fw: ForwardResult, dLogits: Float32Array, G: Gradients): void {
  const c = model.config;
  const P = parts(model);
  const d = c.dim;
  const n = fw.n;
  const H = c.heads;
  const dh = d / H;
  const scale = 1 / Math.sqrt(dh);
  const gl = (l: LayerRecord) => G.layers.get(l.name)!;
  const gn = (l: NormParams) => G.norms.get(l.name)!;

  const gh = gl(P.head);
  matmulAtB(fw.hf, dLogits, gh.weights, n, d, c.tags);
  addColumnSums(dLogits, gh.bias!, n, c.tags);
  const dhf = new Float32Array(n * d);
  matmulABt(dLogits, P.head.weights, dhf, n, d, c.tags);
  let dx = new Float32Array(n * d);
  layerNormBackward(dhf, fw.xhatF, fw.rstdF, P.nf.gamma, gn(P.nf).gamma, gn(P.nf).beta, dx, n, d);

  for (let b = c.blocks - 1; b >= 0; b--) {
    const B = P.blocks[b];
    const C = fw.blocks[b];
    // x_out = x_mid + ffn.out(relu(ffn.in(LN₂(x_mid))))
    const gout = gl(B.fout);
    matmulAtB(C.f, dx, gout.weights, n, c.ffn, d);
    addColumnSums(dx, gout.bias!, n, d);
    const df = new Float32Array(n * c.ffn);
    matmulABt(dx, B.fout.weights, df, n, c.ffn, d);
    for (let i = 0; i < df.length; i++) if (C.f[i] <= 0) df[i] = 0;
    const gin = gl(B.fin);
    matmulAtB(C.h2, df, gin.weights, n, d, c.ffn);
    addColumnSums(df, gin.bias!, n, c.ffn);
    const dh2 = new Float32Array(n * d);
    matmulABt(df, B.fin.weights, dh2, n, d, c.ffn);
    const dxMid = dx.slice();
    layerNormBackward(dh2, C.xhat2, C.rstd2, B.n2.gamma, gn(B.n2).gamma, gn(B.n2).beta, dxMid, n, d);

    // x_mid = x_in + attn.o(MHSA(LN₁(x_in)))
    const go = gl(B.o);
    matmulAtB(C.att, dxMid, go.weights, n, d, d);
    addColumnSums(dxMid, go.bias!, n, d);
    const dAtt = new Float32Array(n * d);
    matmulABt(dxMid, B.o.weights, dAtt, n, d, d);
    const dq = new Float32Array(n * d);
    const dk = new Float32Array(n * d);
    const dv = new Float32Array(n * d);
    attentionBackward(C, dAtt, dq, dk, dv, batch.starts, H, dh, scale);
    const dh1 = new Float32Array(n * d);
    for (const [layer, grad] of [[B.q, dq], [B.k, dk], [B.v, dv]] as const) {
      const g = gl(layer);
      matmulAtB(C.h1, grad, g.weights, n, d, d);
      addColumnSums(grad, g.bias!, n, d);
      matmulABt(grad, layer.weights, dh1, n, d, d, true);
    }
    const dxIn = dxMid.slice();
    layerNormBackward(dh1, C.xhat1, C.rstd1, B.n1.gamma, gn(B.n1).gamma, gn(B.n1).beta, dxIn, n, d);
    dx = dxIn;
  }

  // embeddings: scatter-add the input gradient into the looked-up rows
  const ge = P.emb.map((e) => gl(e).weights);
  for (let s = 0; s + 1 < batch.starts.length; s++) {
    for (let i = batch.starts[s]; i < batch.starts[s + 1]; i++) {
      const rows = [batch.word[i], batch.suffix[i], batch.shape[i], batch.lexicon[i], i - batch.starts[s]];
      for (let e = 0; e < rows.length; e++) {
        const r = rows[e] * d;
        const g = ge[e];
        for (let j = 0; j < d; j++) g[r + j] += dx[i * d + j];
      }
    }
  }
}

function attentionBackward(C: BlockCache, dAtt: Float32Array, dq: Float32Array, dk: Float32Array, dv: Float32Array, starts: Int32Array, H: number, dh: number, scale: number): void {
  const d = H * dh;
  const { q, k, v, probs } = C;
  let po = 0;
  let dp = new Float32Array(0);
  for (let s = 0; s + 1 < starts.length; s++) {
    const a = starts[s];
    const L = starts[s + 1] - a;
    if (dp.length < L) dp = new Float32Array(L);
    for (let h = 0; h < H; h++) {
      const ho = h * dh;
      for (let i = 0; i < L; i++) {
        const ai = (a + i) * d + ho;
        const row = po + i * L;
        // dP_ij = dAtt_i · v_j ; dv_j += P_ij dAtt_i
        let dot = 0;
        for (let j = 0; j < L; j++) {
          const vj = (a + j) * d + ho;
          const p = probs[row + j];
          let sdp = 0;
          for (let t = 0; t < dh; t++) {
            sdp += dAtt[ai + t] * v[vj + t];
            dv[vj + t] += p * dAtt[ai + t];
          }
          dp[j] = sdp;
          dot += p * sdp;
        }
        // dS_ij = P_ij (dP_ij − Σ_j P_ij dP_ij); scores = scale · q_i · k_j
        for (let j = 0; j < L; j++) {
          const ds = probs[row + j] * (dp[j] - dot) * scale;
          if (ds === 0) continue;
          const kj = (a + j) * d + ho;
          for (let t = 0; t < dh; t++) {
            dq[ai + t] += ds * k[kj + t];
            dk[kj + t] += ds * q[ai + t];
          }
        }
      }
      po += L * L;
    }
  }
}

/** Argmax tag of every token of every sentence. */
export function predictBatch(model: TransformerModel, batch: Batch, ablate?: Ablation): Int32Array {
  const { logits, n } = forward(model, batch, ablate);
  return argmaxRows(logits, n, model.config.tags);
}
