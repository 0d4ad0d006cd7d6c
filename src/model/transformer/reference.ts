/**
 * The tagger's previous engine, kept as the reference the WebAssembly engine (engine.ts) is
 * tested against and as the fallback where WebAssembly SIMD is missing: the forward and backward
 * passes written over Float32Arrays with plain JS loops for attention, layer norms and embeddings,
 * the dense products through linalg.ts (tfjs's matMul on the WASM or tfjs-node backend, else JS loops).
 */
import type { LayerRecord } from '../../core/layer.js';
import { UserError } from '../../core/errors.js';
import { addColumnSums, matmul, matmulABt, matmulAtB } from './linalg.js';
import { EMBEDDINGS, softmaxCrossEntropy, type Ablation, type Batch, type Gradients, type NormParams, type TransformerModel } from './records.js';

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

export interface ReferenceForward {
  logits: Float32Array;
  n: number;
  blocks: BlockCache[];
  xLast: Float32Array;
  xhatF: Float32Array;
  hf: Float32Array;
  rstdF: Float32Array;
}

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

/** The forward pass, keeping what the backward pass needs. */
export function referenceForward(model: TransformerModel, batch: Batch, ablate?: Ablation): ReferenceForward {
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

/** Mean cross-entropy over the batch's tokens; adds its gradient to `grads` (if given). */
export function referenceLossAndGradient(model: TransformerModel, batch: Batch, grads?: Gradients): number {
  const fw = referenceForward(model, batch);
  const dLogits = new Float32Array(fw.logits.length);
  const loss = softmaxCrossEntropy(fw.logits, batch.tag, model.config.tags, dLogits);
  if (grads) backward(model, batch, fw, dLogits, grads);
  return loss;
}

function backward(model: TransformerModel, batch: Batch, fw: ReferenceForward, dLogits: Float32Array, G: Gradients): void {
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
