/**
 * The tagger's engine on the WebAssembly SIMD kernels of kernels.ts: the forward pass, the
 * backward pass and Adam of model.ts's encoder, every array in one WebAssembly memory, JS only
 * choosing the calls (docs/transformer.md, "Engine"; docs/performance.md has the profiles).
 *
 * Layout (byte offsets into the kernels' memory): a constant 1.0 (column sums are 1ᵀ·D), the
 * dense parameters (per block the fused [d × 3d] Q|K|V kernel and its bias, attn.o, ffn.in,
 * ffn.out, the two norms; the final norm; the head) as one contiguous region, and for training
 * the same region three more times (gradients, Adam's m and v), the five embedding tables with
 * their gradients and moments, the weights transposed for the backward pass; then the
 * activations, sized for the largest batch so far. The FFN width and the tag count are padded to
 * multiples of 4 with zero weights, which stay zero (their gradients are exactly zero).
 *
 * Results are a pure function of the inputs: the same kernels add the same products in the same
 * order on every machine, so training is reproducible bit for bit from its seed; and a token's
 * logits do not depend on the other sentences of its batch (every product and norm is per row).
 */
import { UserError } from '../../core/errors.js';
import { adamFactors, argmaxPadded, Arena, ADAM_BETA1, ADAM_BETA2, crossEntropy, EmbeddingTable, up4 } from './engine-common.js';
import { GEMM_ACC, GEMM_RELU, kernelsAvailable, loadKernels, type Kernels } from './kernels.js';
import { EMBEDDINGS, type Ablation, type Batch, type Gradients, type TransformerConfig, type TransformerModel } from './records.js';

const EPS = 1e-5;

/** The engine runs configurations whose attention heads are whole f32x4 vectors (d/heads a multiple of 4), where WebAssembly SIMD exists. */
export function engineSupports(c: TransformerConfig): boolean {
  return (c.dim / c.heads) % 4 === 0 && kernelsAvailable();
}

/** Where a model tensor lives in the engine: element [r][c] at byte `at` + 4·(r·stride + c), relative to a region's start. */
interface Placement {
  data: (m: TransformerModel) => Float32Array;
  at: number;
  rows: number;
  cols: number;
  stride: number;
}

interface BlockOffsets {
  wqkv: number; bqkv: number; wo: number; bo: number; win: number; bin: number; wout: number; bout: number;
  g1: number; b1: number; g2: number; b2: number;
}

/** Activations of one block kept for the backward pass (training), or scratch reused by every block (evaluation). */
interface BlockCache {
  xhat1: number; h1: number; rstd1: number; qkv: number; p: number; att: number; xhat2: number; h2: number; rstd2: number; f: number;
}

/** Sentence spans of a batch: start token and length. */
function spans(batch: Batch): { a: number; L: number }[] {
  const out: { a: number; L: number }[] = [];
  for (let s = 0; s + 1 < batch.starts.length; s++) out.push({ a: batch.starts[s], L: batch.starts[s + 1] - batch.starts[s] });
  return out;
}

export interface EngineOptions {
  /** Keep activations, gradients and Adam's moments (else: inference only). */
  training: boolean;
  /**
   * Adam on the embedding rows a batch touches only (lazy Adam, as TensorFlow's LazyAdam and
   * PyTorch's SparseAdam), instead of every row every step as dense Adam does (docs/transformer.md).
   */
  lazyEmbeddings?: boolean;
}

export class TransformerEngine {
  readonly config: TransformerConfig;
  private readonly k: Kernels;
  private f32: Float32Array;
  private readonly d: number;
  private readonly H: number;
  private readonly dh: number;
  /** FFN width and tag count padded to multiples of 4. */
  private readonly F: number;
  private readonly Tp: number;
  private readonly one = 16;
  /** The dense region: its size (floats) and where its copies start. */
  private readonly denseFloats: number;
  private readonly P: number;
  private readonly G: number;
  private readonly M: number;
  private readonly V: number;
  private readonly blocks: BlockOffsets[] = [];
  private readonly gF: number;
  private readonly bF: number;
  private readonly whead: number;
  private readonly bhead: number;
  private readonly placements: Placement[] = [];
  /** Embedding tables (training), in EMBEDDINGS order. */
  private readonly tables: EmbeddingTable[] = [];
  /** Transposed weights for the backward pass, per block, and the head's. */
  private readonly transposed: { wqkv: number; wo: number; win: number; wout: number }[] = [];
  private readonly headT: number = 0;
  private readonly actBase: number;
  private capTokens = 0;
  private capProbs = 0;
  private act!: {
    x: number; cache: BlockCache[]; kT: number; vT: number; pScratch: number; xhatF: number; hf: number; rstdF: number; logits: number; dlogits: number;
    dx: number; dh: number; df: number; dAtt: number; dqkv: number; nT: number;
  };
  private steps = 0;
  /** The sentence spans of the batch in hand (set by forwardPass). */
  private spans: { a: number; L: number }[] = [];
  private readonly training: boolean;
  private readonly lazy: boolean;

  constructor(config: TransformerConfig, options: EngineOptions) {
    if (!engineSupports(config)) throw new Error('TransformerEngine: configuration or platform not supported (engineSupports)');
    this.config = config;
    this.training = options.training;
    this.lazy = options.lazyEmbeddings ?? true;
    const d = (this.d = config.dim);
    this.H = config.heads;
    this.dh = d / config.heads;
    const F = (this.F = up4(config.ffn));
    const Tp = (this.Tp = up4(config.tags));

    // the dense region, offsets relative to its start
    let top = 0;
    const take = (floats: number): number => {
      const at = top;
      top += up4(floats) * 4;
      return at;
    };
    const place = (data: Placement['data'], at: number, rows: number, cols: number, stride: number) => this.placements.push({ data, at, rows, cols, stride });
    const layer = (m: TransformerModel, name: string) => {
      const l = m.layers.find((x) => x.name === name);
      if (!l) throw new UserError(`transformer model has no '${name}'`);
      return l;
    };
    const norm = (m: TransformerModel, name: string) => {
      const l = m.norms.find((x) => x.name === name);
      if (!l) throw new UserError(`transformer model has no '${name}'`);
      return l;
    };
    for (let b = 0; b < config.blocks; b++) {
      const p = `block${b}`;
      const o: BlockOffsets = {
        wqkv: take(d * 3 * d), bqkv: take(3 * d), wo: take(d * d), bo: take(d), win: take(d * F), bin: take(F), wout: take(F * d), bout: take(d),
        g1: take(d), b1: take(d), g2: take(d), b2: take(d),
      };
      ['q', 'k', 'v'].forEach((x, k) => {
        place((m) => layer(m, `${p}.attn.${x}`).weights, o.wqkv + 4 * k * d, d, d, 3 * d);
        place((m) => layer(m, `${p}.attn.${x}`).bias!, o.bqkv + 4 * k * d, 1, d, d);
      });
      place((m) => layer(m, `${p}.attn.o`).weights, o.wo, d, d, d);
      place((m) => layer(m, `${p}.attn.o`).bias!, o.bo, 1, d, d);
      place((m) => layer(m, `${p}.ffn.in`).weights, o.win, d, config.ffn, F);
      place((m) => layer(m, `${p}.ffn.in`).bias!, o.bin, 1, config.ffn, F);
      place((m) => layer(m, `${p}.ffn.out`).weights, o.wout, config.ffn, d, d);
      place((m) => layer(m, `${p}.ffn.out`).bias!, o.bout, 1, d, d);
      place((m) => norm(m, `${p}.norm1`).gamma, o.g1, 1, d, d);
      place((m) => norm(m, `${p}.norm1`).beta, o.b1, 1, d, d);
      place((m) => norm(m, `${p}.norm2`).gamma, o.g2, 1, d, d);
      place((m) => norm(m, `${p}.norm2`).beta, o.b2, 1, d, d);
      this.blocks.push(o);
    }
    this.gF = take(d);
    this.bF = take(d);
    this.whead = take(d * Tp);
    this.bhead = take(Tp);
    place((m) => norm(m, 'final.norm').gamma, this.gF, 1, d, d);
    place((m) => norm(m, 'final.norm').beta, this.bF, 1, d, d);
    place((m) => layer(m, 'head').weights, this.whead, d, config.tags, Tp);
    place((m) => layer(m, 'head').bias!, this.bhead, 1, config.tags, Tp);
    this.denseFloats = top / 4;

    // absolute layout
    const arena = new Arena(64);
    const alloc = (floats: number): number => arena.alloc(floats);
    const regions = this.training ? 4 : 1;
    const dense = alloc(regions * this.denseFloats);
    this.P = dense;
    this.G = dense + 4 * this.denseFloats;
    this.M = dense + 8 * this.denseFloats;
    this.V = dense + 12 * this.denseFloats;
    if (this.training) {
      const rowsOf = [config.vocab, config.suffixes, config.shapes, config.lexicon, config.maxLen];
      for (const rows of rowsOf) this.tables.push(new EmbeddingTable(arena, rows, d));
      for (let b = 0; b < config.blocks; b++) this.transposed.push({ wqkv: alloc(3 * d * d), wo: alloc(d * d), win: alloc(F * d), wout: alloc(d * F) });
      this.headT = alloc(Tp * d);
    }
    this.actBase = arena.top;
    const k = loadKernels(arena.top + (1 << 20));
    if (!k) throw new Error('TransformerEngine: WebAssembly SIMD unavailable');
    this.k = k;
    this.f32 = new Float32Array(k.memory.buffer);
    this.f32[this.one / 4] = 1;
  }

  /** Make room for a batch of n tokens whose attention probabilities take `probs` floats per block. */
  private ensure(n: number, probs: number): void {
    if (n <= this.capTokens && probs <= this.capProbs) return;
    this.capTokens = Math.max(n, this.capTokens);
    this.capProbs = Math.max(probs, this.capProbs);
    const { d, F, Tp } = this;
    const N = this.capTokens;
    const nT = N + 4;
    const maxLp = up4(this.config.maxLen);
    const arena = new Arena(this.actBase);
    const alloc = (floats: number): number => arena.alloc(floats);
    const blockCache = (): BlockCache => ({
      xhat1: alloc(N * d), h1: alloc(N * d), rstd1: alloc(N), qkv: alloc(3 * N * d), p: alloc(this.capProbs), att: alloc(N * d),
      xhat2: alloc(N * d), h2: alloc(N * d), rstd2: alloc(N), f: alloc(N * F),
    });
    const x = alloc(N * d);
    let cache: BlockCache[];
    if (this.training) cache = Array.from({ length: this.config.blocks }, blockCache);
    else {
      // one set of scratch for every block: the normed input and the FFN's normed input share h1
      const h = alloc(N * d);
      const shared: BlockCache = { xhat1: 0, h1: h, rstd1: 0, qkv: alloc(3 * N * d), p: 0, att: alloc(N * d), xhat2: 0, h2: h, rstd2: 0, f: alloc(N * F) };
      cache = Array.from({ length: this.config.blocks }, () => shared);
    }
    const act = {
      x, cache, kT: alloc(d * nT), vT: this.training ? alloc(d * nT) : 0, pScratch: alloc(maxLp * maxLp),
      xhatF: this.training ? alloc(N * d) : 0, hf: alloc(N * d), rstdF: this.training ? alloc(N) : 0, logits: alloc(N * Tp), dlogits: this.training ? alloc(N * Tp) : 0,
      dx: 0, dh: 0, df: 0, dAtt: 0, dqkv: 0, nT,
    };
    if (this.training) {
      act.dx = alloc(N * d);
      act.dh = alloc(N * d);
      act.df = alloc(N * F);
      act.dAtt = alloc(N * d);
      act.dqkv = alloc(3 * N * d);
    }
    this.act = act;
    const need = arena.top + 64;
    const have = this.k.memory.buffer.byteLength;
    if (need > have) this.k.memory.grow(Math.ceil((need - have) / 65536));
    this.f32 = new Float32Array(this.k.memory.buffer);
  }

  private probsOf(): number {
    let s = 0;
    for (const { L } of this.spans) s += L * up4(L) * this.H;
    return s;
  }

  /** Copy the model's parameters in (the dense ones; in training, the embedding tables too). */
  load(model: TransformerModel): void {
    const f = this.f32;
    for (const p of this.placements) {
      const src = p.data(model);
      if (src.length !== p.rows * p.cols) throw new UserError(`transformer tensor of ${src.length} values where ${p.rows}×${p.cols} were expected`);
      const base = (this.P + p.at) / 4;
      if (p.stride === p.cols) f.set(src, base);
      else for (let r = 0; r < p.rows; r++) for (let c = 0; c < p.cols; c++) f[base + r * p.stride + c] = src[r * p.cols + c];
    }
    const tables = embeddingTables(model);
    this.tables.forEach((t, e) => {
      if (tables[e].length !== t.rows * this.d) throw new UserError(`transformer embedding ${EMBEDDINGS[e]} holds ${tables[e].length} values where ${t.rows}×${this.d} were expected`);
      f.set(tables[e], t.at / 4);
    });
  }

  /** Copy the parameters out into the model's own arrays (after training). */
  store(model: TransformerModel): void {
    this.copyOut(this.P, (p) => p.data(model), false);
    const tables = embeddingTables(model);
    this.tables.forEach((t, e) => tables[e].set(this.f32.subarray(t.at / 4, t.at / 4 + t.rows * this.d)));
  }

  private copyOut(region: number, dst: (p: Placement) => Float32Array, add: boolean): void {
    const f = this.f32;
    for (const p of this.placements) {
      const out = dst(p);
      const base = (region + p.at) / 4;
      for (let r = 0; r < p.rows; r++) {
        const o = base + r * p.stride;
        if (add) for (let c = 0; c < p.cols; c++) out[r * p.cols + c] += f[o + c];
        else out.set(f.subarray(o, o + p.cols), r * p.cols);
      }
    }
  }

  /** x₀: the five embeddings of every token summed (tables as float arrays [rows × d]). */
  private embed(batch: Batch, tables: Float32Array[]): void {
    const { d } = this;
    const f = this.f32;
    const x = this.act.x / 4;
    const [w, s, h, l, p] = tables;
    const maxLen = this.config.maxLen;
    for (const { a, L } of this.spans) {
      if (L > maxLen) throw new UserError(`sentence longer than the model's ${maxLen} positions`);
      for (let i = a; i < a + L; i++) {
        const ow = batch.word[i] * d, os = batch.suffix[i] * d, oh = batch.shape[i] * d, ol = batch.lexicon[i] * d, op = (i - a) * d;
        const o = x + i * d;
        for (let j = 0; j < d; j++) f[o + j] = w[ow + j] + s[os + j] + h[oh + j] + l[ol + j] + p[op + j];
      }
    }
  }

  private tableViews(which: 'at' | 'g'): Float32Array[] {
    return this.tables.map((t) => t.view(this.f32, which));
  }

  /** Multi-head attention of block cache C (its qkv) into C.att, per sentence and head. */
  private attention(C: BlockCache, n: number): void {
    const { d, H, dh, k } = this;
    const { kT, nT, pScratch } = this.act;
    const scale = 1 / Math.sqrt(dh);
    // Kᵀ [d × nT]; its 4 columns past the last token are zeroed (read, never used, by the last sentence's padded score columns)
    k.transpose(C.qkv + 4 * d, 12 * d, kT, 4 * nT, n, d);
    for (let r = 0; r < d; r++) this.f32.fill(0, kT / 4 + r * nT + n, kT / 4 + r * nT + nT);
    let po = C.p;
    for (const { a, L } of this.spans) {
      const Lp = up4(L);
      for (let h = 0; h < H; h++) {
        const S = this.training ? po : pScratch;
        k.gemm(C.qkv + 4 * (a * 3 * d + h * dh), 12 * d, 4, kT + 4 * (h * dh * nT + a), 4 * nT, S, 4 * Lp, L, Lp, dh, 0, 0);
        k.softmaxRows(S, L, L, 4 * Lp, scale);
        k.gemm(S, 4 * Lp, 4, C.qkv + 4 * (a * 3 * d + 2 * d + h * dh), 12 * d, C.att + 4 * (a * d + h * dh), 4 * d, L, dh, L, 0, 0);
        po += 4 * L * Lp;
      }
    }
  }

  /**
   * The forward pass; logits land at act.logits ([n × Tp]). `tables`: the embedding tables to read
   * (null: the engine's own, in training; views are made after the memory has grown).
   */
  private forwardPass(batch: Batch, tables: Float32Array[] | null, ablate?: Ablation): void {
    const n = batch.word.length;
    this.spans = spans(batch);
    this.ensure(n, this.training ? this.probsOf() : 0);
    const { d, F, Tp, k } = this;
    const { x } = this.act;
    this.embed(batch, tables ?? this.tableViews('at'));
    this.blocks.forEach((B, b) => {
      const C = this.act.cache[b];
      const P = this.P;
      if (!ablate?.has(`block${b}.attn`)) {
        k.layerNorm(x, P + B.g1, P + B.b1, C.xhat1, C.h1, C.rstd1, n, d, EPS);
        k.gemm(C.h1, 4 * d, 4, P + B.wqkv, 12 * d, C.qkv, 12 * d, n, 3 * d, d, P + B.bqkv, 0);
        this.attention(C, n);
        k.gemm(C.att, 4 * d, 4, P + B.wo, 4 * d, x, 4 * d, n, d, d, P + B.bo, GEMM_ACC);
      }
      if (!ablate?.has(`block${b}.ffn`)) {
        k.layerNorm(x, P + B.g2, P + B.b2, C.xhat2, C.h2, C.rstd2, n, d, EPS);
        k.gemm(C.h2, 4 * d, 4, P + B.win, 4 * F, C.f, 4 * F, n, F, d, P + B.bin, GEMM_RELU);
        k.gemm(C.f, 4 * F, 4, P + B.wout, 4 * d, x, 4 * d, n, d, F, P + B.bout, GEMM_ACC);
      }
    });
    const { xhatF, hf, rstdF, logits } = this.act;
    k.layerNorm(x, this.P + this.gF, this.P + this.bF, xhatF, hf, rstdF, n, d, EPS);
    k.gemm(hf, 4 * d, 4, this.P + this.whead, 4 * Tp, logits, 4 * Tp, n, Tp, d, this.P + this.bhead, 0);
  }

  /** Logits [n × tags] of a batch (inference; the model's dense parameters must be loaded). */
  logits(batch: Batch, tables: Float32Array[], ablate?: Ablation): Float32Array {
    this.forwardPass(batch, tables, ablate);
    const n = batch.word.length;
    const T = this.config.tags;
    const out = new Float32Array(n * T);
    const o = this.act.logits / 4;
    for (let i = 0; i < n; i++) out.set(this.f32.subarray(o + i * this.Tp, o + i * this.Tp + T), i * T);
    return out;
  }

  /** Argmax tag of every token (inference). */
  predict(batch: Batch, tables: Float32Array[], ablate?: Ablation): Int32Array {
    this.forwardPass(batch, tables, ablate);
    return argmaxPadded(this.f32, this.act.logits / 4, batch.word.length, this.config.tags, this.Tp);
  }

  /** Mean cross-entropy of the batch; its gradient is added to the gradient regions (training). */
  lossAndGradient(batch: Batch): number {
    if (!this.training) throw new Error('TransformerEngine: lossAndGradient needs a training engine');
    this.forwardPass(batch, null);
    const loss = crossEntropy(this.f32, this.act.logits / 4, this.act.dlogits / 4, batch.word.length, this.config.tags, this.Tp, batch.tag);
    this.backwardPass(batch);
    return loss;
  }

  private backwardPass(batch: Batch): void {
    const n = batch.word.length;
    const { d, F, Tp, H, dh, k, P, G } = this;
    const scale = 1 / Math.sqrt(dh);
    const { dlogits, hf, xhatF, rstdF, dx, dh: dH, df, dAtt, dqkv, vT, nT, pScratch } = this.act;
    const colSums = (D: number, cols: number, into: number) => k.gemm(this.one, 0, 0, D, 4 * cols, into, 0, 1, cols, n, 0, GEMM_ACC);

    // the weights transposed, for the input gradients (products with Bᵀ)
    k.transpose(P + this.whead, 4 * Tp, this.headT, 4 * d, d, Tp);
    this.blocks.forEach((B, b) => {
      const T = this.transposed[b];
      k.transpose(P + B.wqkv, 12 * d, T.wqkv, 4 * d, d, 3 * d);
      k.transpose(P + B.wo, 4 * d, T.wo, 4 * d, d, d);
      k.transpose(P + B.win, 4 * F, T.win, 4 * d, d, F);
      k.transpose(P + B.wout, 4 * d, T.wout, 4 * F, F, d);
    });

    // head and final norm
    k.gemm(hf, 4, 4 * d, dlogits, 4 * Tp, G + this.whead, 4 * Tp, d, Tp, n, 0, GEMM_ACC);
    colSums(dlogits, Tp, G + this.bhead);
    k.gemm(dlogits, 4 * Tp, 4, this.headT, 4 * d, dH, 4 * d, n, d, Tp, 0, 0);
    this.f32.fill(0, dx / 4, dx / 4 + n * d);
    k.layerNormBack(dH, xhatF, rstdF, P + this.gF, G + this.gF, G + this.bF, dx, n, d);

    for (let b = this.blocks.length - 1; b >= 0; b--) {
      const B = this.blocks[b];
      const T = this.transposed[b];
      const C = this.act.cache[b];
      // x_out = x_mid + ffn.out(relu(ffn.in(LN₂(x_mid))))
      k.gemm(C.f, 4, 4 * F, dx, 4 * d, G + B.wout, 4 * d, F, d, n, 0, GEMM_ACC);
      colSums(dx, d, G + B.bout);
      k.gemm(dx, 4 * d, 4, T.wout, 4 * F, df, 4 * F, n, F, d, 0, 0);
      k.reluMask(df, C.f, n * F);
      k.gemm(C.h2, 4, 4 * d, df, 4 * F, G + B.win, 4 * F, d, F, n, 0, GEMM_ACC);
      colSums(df, F, G + B.bin);
      k.gemm(df, 4 * F, 4, T.win, 4 * d, dH, 4 * d, n, d, F, 0, 0);
      k.layerNormBack(dH, C.xhat2, C.rstd2, P + B.g2, G + B.g2, G + B.b2, dx, n, d);

      // x_mid = x_in + attn.o(MHSA(LN₁(x_in)))
      k.gemm(C.att, 4, 4 * d, dx, 4 * d, G + B.wo, 4 * d, d, d, n, 0, GEMM_ACC);
      colSums(dx, d, G + B.bo);
      k.gemm(dx, 4 * d, 4, T.wo, 4 * d, dAtt, 4 * d, n, d, d, 0, 0);
      // Vᵀ [d × nT], padding columns zeroed (read by the padded dP columns, multiplied by P = 0)
      k.transpose(C.qkv + 8 * d, 12 * d, vT, 4 * nT, n, d);
      for (let r = 0; r < d; r++) this.f32.fill(0, vT / 4 + r * nT + n, vT / 4 + r * nT + nT);
      let po = C.p;
      for (const { a, L } of this.spans) {
        const Lp = up4(L);
        for (let h = 0; h < H; h++) {
          const ho = h * dh;
          const dA = dAtt + 4 * (a * d + ho);
          // dP = dAtt_h · V_hᵀ ; dV_h = Pᵀ · dAtt_h
          k.gemm(dA, 4 * d, 4, vT + 4 * (ho * nT + a), 4 * nT, pScratch, 4 * Lp, L, Lp, dh, 0, 0);
          k.gemm(po, 4, 4 * Lp, dA, 4 * d, dqkv + 4 * (a * 3 * d + 2 * d + ho), 12 * d, L, dh, L, 0, 0);
          // dS = scale · P ⊙ (dP − rowsum(P ⊙ dP)); dQ_h = dS · K_h ; dK_h = dSᵀ · Q_h
          k.softmaxBack(po, pScratch, L, Lp, 4 * Lp, scale);
          k.gemm(pScratch, 4 * Lp, 4, C.qkv + 4 * (a * 3 * d + d + ho), 12 * d, dqkv + 4 * (a * 3 * d + ho), 12 * d, L, dh, L, 0, 0);
          k.gemm(pScratch, 4, 4 * Lp, C.qkv + 4 * (a * 3 * d + ho), 12 * d, dqkv + 4 * (a * 3 * d + d + ho), 12 * d, L, dh, L, 0, 0);
          po += 4 * L * Lp;
        }
      }
      k.gemm(C.h1, 4, 4 * d, dqkv, 12 * d, G + B.wqkv, 12 * d, d, 3 * d, n, 0, GEMM_ACC);
      colSums(dqkv, 3 * d, G + B.bqkv);
      k.gemm(dqkv, 12 * d, 4, T.wqkv, 4 * d, dH, 4 * d, n, d, 3 * d, 0, 0);
      k.layerNormBack(dH, C.xhat1, C.rstd1, P + B.g1, G + B.g1, G + B.b1, dx, n, d);
    }

    // embeddings: the input gradient added into the rows each token looked up
    const [w, s, h, l, p] = this.tables;
    const f = this.f32;
    for (const { a, L } of this.spans) {
      for (let i = a; i < a + L; i++) {
        const row = dx + 4 * i * d;
        w.addRow(f, batch.word[i], row);
        s.addRow(f, batch.suffix[i], row);
        h.addRow(f, batch.shape[i], row);
        l.addRow(f, batch.lexicon[i], row);
        p.addRow(f, i - a, row);
      }
    }
  }

  /** Zero every gradient (the dense region and the embedding tables). */
  zeroGradients(): void {
    this.f32.fill(0, this.G / 4, this.G / 4 + this.denseFloats);
    for (const t of this.tables) t.zeroGradient(this.f32);
  }

  /** Add the gradients into a model-shaped `grads`. */
  addGradients(model: TransformerModel, grads: Gradients): void {
    const byArray = new Map<Float32Array, Float32Array>();
    for (const l of model.layers) {
      const g = grads.layers.get(l.name)!;
      byArray.set(l.weights, g.weights);
      if (l.bias) byArray.set(l.bias, g.bias!);
    }
    for (const nrm of model.norms) {
      const g = grads.norms.get(nrm.name)!;
      byArray.set(nrm.gamma, g.gamma);
      byArray.set(nrm.beta, g.beta);
    }
    this.copyOut(this.G, (p) => byArray.get(p.data(model))!, true);
    const views = this.tableViews('g');
    EMBEDDINGS.forEach((name, e) => {
      const g = grads.layers.get(name)!.weights;
      for (let i = 0; i < g.length; i++) g[i] += views[e][i];
    });
  }

  /**
   * One Adam step at learning rate lr (β = 0.9, 0.98, ε = 1e-8), gradients zeroed after: the dense
   * parameters all together, the embedding tables lazily (the rows this batch touched) or whole.
   */
  adamStep(lr: number): void {
    const { a, b } = adamFactors(lr, ++this.steps);
    this.k.adam(this.P, this.G, this.M, this.V, this.denseFloats, a, b, ADAM_BETA1, ADAM_BETA2);
    for (const t of this.tables) t.adam(this.k, a, b, this.lazy);
  }
}

let inference: { key: string; engine: TransformerEngine } | null = null;

/** This thread's inference engine for a configuration (one kept: evaluations come in runs of one model). */
export function inferenceEngine(c: TransformerConfig): TransformerEngine {
  const key = JSON.stringify(c);
  if (inference?.key !== key) inference = { key, engine: new TransformerEngine(c, { training: false }) };
  return inference.engine;
}

/** The model's embedding tables in engine order. */
export function embeddingTables(model: TransformerModel): Float32Array[] {
  return EMBEDDINGS.map((name) => {
    const l = model.layers.find((x) => x.name === name);
    if (!l) throw new UserError(`transformer model has no '${name}'`);
    return l.weights;
  });
}
