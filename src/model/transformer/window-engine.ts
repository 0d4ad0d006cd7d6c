/**
 * The window-MLP baseline (window-mlp.ts) on the WebAssembly SIMD kernels, as engine.ts runs the
 * transformer: parameters, activations, gradients and Adam's moments in the kernels' memory, the
 * two dense layers through gemm, the windows gathered and scattered in JS.
 *
 * Layout (byte offsets): the constant 1.0; the dense region — hidden kernel [W × Hp] (W = the
 * window width (2r+1)·d rounded up to a multiple of 4, Hp = hidden units rounded up), its bias, head
 * [Hp × Tp], its bias, the boundary vector [d] — and for training its gradient and moments; the four
 * embedding tables (training); the kernels transposed for the backward pass; then the activations.
 * Padding rows and columns hold zeros and get zero gradients, so they stay zero.
 */
import { UserError } from '../../core/errors.js';
import { adamFactors, argmaxPadded, Arena, ADAM_BETA1, ADAM_BETA2, crossEntropy, EmbeddingTable, up4 } from './engine-common.js';
import { GEMM_ACC, GEMM_RELU, kernelsAvailable, loadKernels, type Kernels } from './kernels.js';
import type { Batch, WindowMlp, WindowMlpConfig } from './records.js';

/** Layer order of a window MLP (initWindowMlp). */
const WORD = 0, SUFFIX = 1, SHAPE = 2, LEXICON = 3, BOUNDARY = 4, HIDDEN = 5, HEAD = 6;

export function windowEngineAvailable(): boolean {
  return kernelsAvailable();
}

export class WindowMlpEngine {
  private readonly k: Kernels;
  private f32: Float32Array;
  private readonly d: number;
  private readonly S: number;
  private readonly W: number;
  private readonly Hp: number;
  private readonly Tp: number;
  private readonly one = 16;
  private readonly denseFloats: number;
  private readonly P: number;
  private readonly G: number;
  private readonly M: number;
  private readonly V: number;
  private readonly off: { hidden: number; bh: number; head: number; bo: number; boundary: number };
  private readonly tables: EmbeddingTable[] = [];
  private readonly hiddenT: number = 0;
  private readonly headT: number = 0;
  private readonly actBase: number;
  private cap = 0;
  private act = { tok: 0, x: 0, h: 0, logits: 0, dlogits: 0, dh: 0, dx: 0, dtok: 0 };
  private steps = 0;
  private readonly lazy: boolean;

  constructor(readonly config: WindowMlpConfig, private readonly options: { training: boolean; lazyEmbeddings?: boolean }) {
    if (!kernelsAvailable()) throw new Error('WindowMlpEngine: WebAssembly SIMD unavailable');
    const d = (this.d = config.dim);
    this.S = 2 * config.radius + 1;
    const W = (this.W = up4(this.S * d));
    const Hp = (this.Hp = up4(config.hidden));
    const Tp = (this.Tp = up4(config.tags));
    this.lazy = options.lazyEmbeddings ?? true;
    let top = 0;
    const take = (floats: number): number => {
      const at = top;
      top += up4(floats) * 4;
      return at;
    };
    this.off = { hidden: take(W * Hp), bh: take(Hp), head: take(Hp * Tp), bo: take(Tp), boundary: take(d) };
    this.denseFloats = top / 4;
    const arena = new Arena(64);
    const regions = options.training ? 4 : 1;
    this.P = arena.alloc(regions * this.denseFloats);
    this.G = this.P + 4 * this.denseFloats;
    this.M = this.P + 8 * this.denseFloats;
    this.V = this.P + 12 * this.denseFloats;
    if (options.training) {
      for (const rows of [config.vocab, config.suffixes, config.shapes, config.lexicon]) this.tables.push(new EmbeddingTable(arena, rows, d));
      this.hiddenT = arena.alloc(Hp * W);
      this.headT = arena.alloc(Tp * Hp);
    }
    this.actBase = arena.top;
    const k = loadKernels(arena.top + (1 << 20));
    if (!k) throw new Error('WindowMlpEngine: WebAssembly SIMD unavailable');
    this.k = k;
    this.f32 = new Float32Array(k.memory.buffer);
    this.f32[this.one / 4] = 1;
  }

  private ensure(n: number): void {
    if (n <= this.cap) return;
    this.cap = n;
    const { d, W, Hp, Tp } = this;
    const arena = new Arena(this.actBase);
    const t = this.options.training;
    this.act = {
      tok: arena.alloc(n * d), x: arena.alloc(n * W), h: arena.alloc(n * Hp), logits: arena.alloc(n * Tp),
      dlogits: t ? arena.alloc(n * Tp) : 0, dh: t ? arena.alloc(n * Hp) : 0, dx: t ? arena.alloc(n * W) : 0, dtok: t ? arena.alloc(n * d) : 0,
    };
    const need = arena.top + 64;
    const have = this.k.memory.buffer.byteLength;
    if (need > have) this.k.memory.grow(Math.ceil((need - have) / 65536));
    this.f32 = new Float32Array(this.k.memory.buffer);
  }

  /** [rows × cols] model array ↔ engine rows `stride` floats apart at byte `at` of region `base`. */
  private copy(base: number, at: number, data: Float32Array, rows: number, cols: number, stride: number, out: boolean): void {
    if (data.length !== rows * cols) throw new UserError(`window MLP tensor of ${data.length} values where ${rows}×${cols} were expected`);
    const o = (base + at) / 4;
    for (let r = 0; r < rows; r++) {
      if (out) data.set(this.f32.subarray(o + r * stride, o + r * stride + cols), r * cols);
      else this.f32.set(data.subarray(r * cols, r * cols + cols), o + r * stride);
    }
  }

  private transfer(model: WindowMlp, out: boolean): void {
    const c = this.config;
    const L = model.layers;
    this.copy(this.P, this.off.hidden, L[HIDDEN].weights, this.S * this.d, c.hidden, this.Hp, out);
    this.copy(this.P, this.off.bh, L[HIDDEN].bias!, 1, c.hidden, this.Hp, out);
    this.copy(this.P, this.off.head, L[HEAD].weights, c.hidden, c.tags, this.Tp, out);
    this.copy(this.P, this.off.bo, L[HEAD].bias!, 1, c.tags, this.Tp, out);
    this.copy(this.P, this.off.boundary, L[BOUNDARY].weights, 1, this.d, this.d, out);
    this.tables.forEach((t, e) => this.copy(0, t.at, L[e].weights, t.rows, this.d, this.d, out));
  }

  /** Copy the model's parameters in (the embedding tables only when training). */
  load(model: WindowMlp): void {
    this.transfer(model, false);
  }

  /** Copy the parameters out into the model's own arrays. */
  store(model: WindowMlp): void {
    this.transfer(model, true);
  }

  /** The windows of every token: x[i] = [e_{i−r}; …; e_{i+r}] with e = the boundary vector outside the sentence. */
  private forwardPass(batch: Batch, tables: Float32Array[]): void {
    const n = batch.word.length;
    this.ensure(n);
    const { d, S, W, Hp, Tp, k } = this;
    const f = this.f32;
    const [w, s, h, l] = tables;
    const tok = this.act.tok / 4;
    for (let i = 0; i < n; i++) {
      const ow = batch.word[i] * d, os = batch.suffix[i] * d, oh = batch.shape[i] * d, ol = batch.lexicon[i] * d;
      for (let j = 0; j < d; j++) f[tok + i * d + j] = w[ow + j] + s[os + j] + h[oh + j] + l[ol + j];
    }
    const x = this.act.x / 4;
    const boundary = (this.P + this.off.boundary) / 4;
    const r = this.config.radius;
    for (let sIdx = 0; sIdx + 1 < batch.starts.length; sIdx++) {
      const a = batch.starts[sIdx];
      const z = batch.starts[sIdx + 1];
      for (let i = a; i < z; i++) {
        for (let slot = 0; slot < S; slot++) {
          const j = i + slot - r;
          const src = j >= a && j < z ? tok + j * d : boundary;
          f.copyWithin(x + i * W + slot * d, src, src + d);
        }
      }
    }
    const P = this.P;
    k.gemm(this.act.x, 4 * W, 4, P + this.off.hidden, 4 * Hp, this.act.h, 4 * Hp, n, Hp, W, P + this.off.bh, GEMM_RELU);
    k.gemm(this.act.h, 4 * Hp, 4, P + this.off.head, 4 * Tp, this.act.logits, 4 * Tp, n, Tp, Hp, P + this.off.bo, 0);
  }

  /** Argmax tags of a batch (the dense parameters must be loaded; `tables`: the model's four embedding tables). */
  predict(batch: Batch, tables: Float32Array[]): Int32Array {
    this.forwardPass(batch, tables);
    return argmaxPadded(this.f32, this.act.logits / 4, batch.word.length, this.config.tags, this.Tp);
  }

  /** Logits [n × tags] (as predict). */
  logits(batch: Batch, tables: Float32Array[]): Float32Array {
    this.forwardPass(batch, tables);
    const n = batch.word.length;
    const T = this.config.tags;
    const out = new Float32Array(n * T);
    for (let i = 0; i < n; i++) out.set(this.f32.subarray(this.act.logits / 4 + i * this.Tp, this.act.logits / 4 + i * this.Tp + T), i * T);
    return out;
  }

  /** Mean cross-entropy of the batch; its gradient added to the gradient regions (training). */
  lossAndGradient(batch: Batch): number {
    if (!this.options.training) throw new Error('WindowMlpEngine: lossAndGradient needs a training engine');
    this.ensure(batch.word.length);
    this.forwardPass(batch, this.tables.map((t) => t.view(this.f32, 'at')));
    const n = batch.word.length;
    const { d, S, W, Hp, Tp, k, P, G } = this;
    const { x, h, dlogits, dh, dx, dtok } = this.act;
    const loss = crossEntropy(this.f32, this.act.logits / 4, dlogits / 4, n, this.config.tags, Tp, batch.tag);
    k.transpose(P + this.off.head, 4 * Tp, this.headT, 4 * Hp, Hp, Tp);
    k.transpose(P + this.off.hidden, 4 * Hp, this.hiddenT, 4 * W, W, Hp);
    k.gemm(h, 4, 4 * Hp, dlogits, 4 * Tp, G + this.off.head, 4 * Tp, Hp, Tp, n, 0, GEMM_ACC);
    k.gemm(this.one, 0, 0, dlogits, 4 * Tp, G + this.off.bo, 0, 1, Tp, n, 0, GEMM_ACC);
    k.gemm(dlogits, 4 * Tp, 4, this.headT, 4 * Hp, dh, 4 * Hp, n, Hp, Tp, 0, 0);
    k.reluMask(dh, h, n * Hp);
    k.gemm(x, 4, 4 * W, dh, 4 * Hp, G + this.off.hidden, 4 * Hp, W, Hp, n, 0, GEMM_ACC);
    k.gemm(this.one, 0, 0, dh, 4 * Hp, G + this.off.bh, 0, 1, Hp, n, 0, GEMM_ACC);
    k.gemm(dh, 4 * Hp, 4, this.hiddenT, 4 * W, dx, 4 * W, n, W, Hp, 0, 0);
    // each window slot's gradient back to the token (or the boundary vector) it came from, then to the tables
    const f = this.f32;
    f.fill(0, dtok / 4, dtok / 4 + n * d);
    const gb = (G + this.off.boundary) / 4;
    const r = this.config.radius;
    for (let sIdx = 0; sIdx + 1 < batch.starts.length; sIdx++) {
      const a = batch.starts[sIdx];
      const z = batch.starts[sIdx + 1];
      for (let i = a; i < z; i++) {
        for (let slot = 0; slot < S; slot++) {
          const j = i + slot - r;
          const dst = j >= a && j < z ? dtok / 4 + j * d : gb;
          const src = dx / 4 + i * W + slot * d;
          for (let t = 0; t < d; t++) f[dst + t] += f[src + t];
        }
      }
    }
    const [w, s, hh, l] = this.tables;
    for (let i = 0; i < n; i++) {
      const row = dtok + 4 * i * d;
      w.addRow(f, batch.word[i], row);
      s.addRow(f, batch.suffix[i], row);
      hh.addRow(f, batch.shape[i], row);
      l.addRow(f, batch.lexicon[i], row);
    }
    return loss;
  }

  /** Zero every gradient. */
  zeroGradients(): void {
    this.f32.fill(0, this.G / 4, this.G / 4 + this.denseFloats);
    for (const t of this.tables) t.zeroGradient(this.f32);
  }

  /** The gradients in the model's layout, added into `grads` (window-mlp.ts order). */
  addGradients(grads: { weights: Float32Array; bias: Float32Array | null }[]): void {
    const c = this.config;
    const add = (at: number, dst: Float32Array, rows: number, cols: number, stride: number, base = this.G) => {
      const o = (base + at) / 4;
      for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) dst[r * cols + j] += this.f32[o + r * stride + j];
    };
    add(this.off.hidden, grads[HIDDEN].weights, this.S * this.d, c.hidden, this.Hp);
    add(this.off.bh, grads[HIDDEN].bias!, 1, c.hidden, this.Hp);
    add(this.off.head, grads[HEAD].weights, c.hidden, c.tags, this.Tp);
    add(this.off.bo, grads[HEAD].bias!, 1, c.tags, this.Tp);
    add(this.off.boundary, grads[BOUNDARY].weights, 1, this.d, this.d);
    [WORD, SUFFIX, SHAPE, LEXICON].forEach((e) => add(this.tables[e].g, grads[e].weights, this.tables[e].rows, this.d, this.d, 0));
  }

  /** One Adam step at learning rate lr, as the transformer engine's (β = 0.9, 0.98). */
  adamStep(lr: number): void {
    const { a, b } = adamFactors(lr, ++this.steps);
    this.k.adam(this.P, this.G, this.M, this.V, this.denseFloats, a, b, ADAM_BETA1, ADAM_BETA2);
    for (const t of this.tables) t.adam(this.k, a, b, this.lazy);
  }
}

let inference: { key: string; engine: WindowMlpEngine } | null = null;

/** This thread's inference engine for a configuration. */
export function windowInferenceEngine(c: WindowMlpConfig): WindowMlpEngine {
  const key = JSON.stringify(c);
  if (inference?.key !== key) inference = { key, engine: new WindowMlpEngine(c, { training: false }) };
  return inference.engine;
}
