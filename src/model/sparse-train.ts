/**
 * The `sparse` training engine: the same MLP, loss, Adam and cosine schedule as the tfjs engine,
 * computed by weightscope's own code so that training can use the input sparsity the evaluator uses.
 *
 * First layer, forward: z = b + Σ_i x_i W_i = [b + Σ_i x(m_i) W_i] + Σ_{p_i ≠ m_i} s(p_i − m_i) W_i
 * (m_i = pixel i's mode over the training set; see evaluator.ts), by the WASM kernel `spmm` over the
 * mini-batch's CSR rows. First layer, weight gradient: ∂L/∂W_i = Σ_r x_{r,i} δ_r
 * = x(m_i)·Σ_r δ_r + Σ_r s(p_{r,i} − m_i) δ_r: a dense rank-one part plus the sparse part by the
 * kernel `sgrad`. W1, its gradient and Adam moments stay resident in the kernel's memory; the kernel
 * `adam` sweeps them once per step, adding the rank-one part, updating W1 (float32 SIMD) and summing
 * the next batch's folded bias. Later layers (64 → 2) are tiny and run as plain loops, fused into
 * one pass per image for the reference shape. Adam follows torch/tfjs: m ← β₁m + (1−β₁)g,
 * v ← β₂v + (1−β₂)g², p ← p − lr·m̂/(√v̂ + ε), ε = 1e-8.
 *
 * Everything is deterministic single-threaded arithmetic: the same seed gives the same weights bit
 * for bit. Results differ from the tfjs engine only by float summation order.
 */
import { UserError, type DenseModel } from '../core/index.js';
import { sparseInputs } from './evaluator.js';
import type { MlpConfig, TrainEngine } from './engine.js';
import type { InputScaling, Split } from './split.js';
import { KERNEL_BLOCK, loadSpmmKernel } from './wasm-kernel.js';

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-8;

function align16(x: number): number {
  return Math.ceil(x / 16) * 16;
}

/**
 * Keep the `k` entries of `w` (its first `cols` of every `stride` columns) largest in |w|, zeroing
 * the rest; ties at the threshold keep the lowest indices. Deterministic; returns the count kept.
 */
export function keepTopK(w: Float32Array, rows: number, cols: number, stride: number, k: number): number {
  const n = rows * cols;
  if (k >= n) return n;
  const abs = new Float32Array(n);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) abs[i * cols + j] = Math.abs(w[i * stride + j]);
  const threshold = kthLargest(abs.slice(), k);
  // Entries above the threshold are kept; of those equal to it, the first ones up to k in all.
  let above = 0;
  for (let i = 0; i < n; i++) if (abs[i] > threshold) above++;
  let ties = k - above;
  let kept = 0;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const a = abs[i * cols + j];
      if (a > threshold || (a === threshold && ties-- > 0)) kept++;
      else w[i * stride + j] = 0;
    }
  }
  return kept;
}

/** The k-th largest value of `a` (1-based), by quickselect with middle pivots (reorders `a`). */
function kthLargest(a: Float32Array, k: number): number {
  const target = a.length - k; // its index in ascending order
  let lo = 0, hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1];
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i]; a[i] = a[j]; a[j] = t;
        i++; j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return a[target];
  }
  return a[target];
}

export function createSparseEngine(train: Split, inputs: InputScaling, mlp: MlpConfig, init: DenseModel, batchSize: number, density?: number): TrainEngine {
  const s = sparseInputs(train, inputs);
  const d = s.d;
  const L = init.layers.length;
  const widths = [d, ...init.layers.map((l) => l.shape[1])];
  const h1 = widths[1];
  const hp = Math.ceil(h1 / KERNEL_BLOCK) * KERNEL_BLOCK; // padded first-layer width
  const rowBytes = hp * 4;
  const softmax = mlp.head === 'softmax';
  const act = mlp.activation;

  // Kernel memory: the batch's row list, the training CSR, W1 (padded) with its gradient and Adam
  // moments (resident between steps), folded bias, Z1, δ1, the input modes, Σ_r δ1_r, the next fold.
  const at = { rows: 0, rowPtr: 0, col: 0, val: 0, w1: 0, bias: 0, z1: 0, g1: 0, d1: 0, m1: 0, v1: 0, bx: 0, cs: 0, fold: 0 };
  let top = 0;
  const place = (key: keyof typeof at, bytes: number) => {
    at[key] = top;
    top = align16(top + bytes);
  };
  place('rows', batchSize * 4);
  place('rowPtr', s.rowPtr.byteLength);
  place('col', s.col.byteLength);
  place('val', s.val.byteLength);
  place('w1', d * rowBytes);
  place('bias', rowBytes);
  place('z1', batchSize * rowBytes);
  place('g1', d * rowBytes);
  place('d1', batchSize * rowBytes);
  place('m1', d * rowBytes);
  place('v1', d * rowBytes);
  place('bx', d * 4);
  place('cs', rowBytes);
  place('fold', rowBytes);
  const kernel = loadSpmmKernel(top);
  if (!kernel) throw new UserError("training engine 'sparse' needs WebAssembly SIMD, which this runtime lacks; use engine 'tfjs'");
  const buf = kernel.memory.buffer;
  new Uint32Array(buf, at.rowPtr, s.rowPtr.length).set(s.rowPtr);
  new Uint32Array(buf, at.col, s.col.length).set(s.col);
  new Float32Array(buf, at.val, s.val.length).set(s.val);
  const rows = new Uint32Array(buf, at.rows, batchSize);
  const W1 = new Float32Array(buf, at.w1, d * hp);
  const bias0 = new Float32Array(buf, at.bias, hp);
  const Z1 = new Float32Array(buf, at.z1, batchSize * hp);
  const D1 = new Float32Array(buf, at.d1, batchSize * hp);
  const CS = new Float32Array(buf, at.cs, hp);
  const fold = new Float32Array(buf, at.fold, hp);
  new Float32Array(buf, at.bx, d).set(s.baseX);

  // Parameters: W1 lives (padded) in kernel memory; the rest are plain arrays.
  const first = init.layers[0];
  for (let i = 0; i < d; i++) W1.set(first.weights.subarray(i * h1, (i + 1) * h1), i * hp);
  // Weight-sparse training: the first layer's top-k by |w|, from the first step on.
  const topK = density === undefined ? 0 : Math.max(1, Math.round(density * d * h1));
  if (topK) keepTopK(W1, d, h1, hp, topK);
  const b1 = first.bias ? first.bias.slice() : new Float32Array(h1);
  const Ws = init.layers.map((l) => l.weights.slice());
  const bs = init.layers.map((l) => (l.bias ? l.bias.slice() : new Float32Array(l.shape[1])));
  // Adam state per parameter array; W1's lives in kernel memory (index 0 here is unused).
  // W1's padding columns get zero gradients and never move.
  const params: Float32Array[] = [W1, b1];
  for (let k = 1; k < L; k++) params.push(Ws[k], bs[k]);
  const moments = params.map((p, k) => ({ m: new Float32Array(k === 0 ? 0 : p.length), v: new Float32Array(k === 0 ? 0 : p.length) }));
  const gW: Float32Array[] = Ws.map((w) => new Float32Array(w.length));
  const gb: Float32Array[] = bs.map((b) => new Float32Array(b.length));
  let step = 0;

  // Per-layer activations A[k] (m × widths[k+1]) and deltas, batch-major.
  const A = widths.slice(1).map((w) => new Float32Array(batchSize * w));
  const Dl = widths.slice(1).map((w) => new Float32Array(batchSize * w));
  const colSum = new Float64Array(h1);
  // The folded bias of the first batch, b1 + Σ_i x(m_i)·W1_i (later ones come out of the Adam kernel).
  for (let i = 0; i < d; i++) {
    const x = s.baseX[i];
    if (x !== 0) for (let j = 0; j < h1; j++) fold[j] += x * W1[i * hp + j];
  }
  for (let j = 0; j < h1; j++) bias0[j] = b1[j] + fold[j];

  const activate = (z: number): number => (act === 'relu' ? (z > 0 ? z : 0) : act === 'tanh' ? Math.tanh(z) : 1 / (1 + Math.exp(-z)));
  /** Derivative of the activation, from its output a (and input z for relu). */
  const slope = (a: number, z: number): number => (act === 'relu' ? (z > 0 ? 1 : 0) : act === 'tanh' ? 1 - a * a : a * (1 - a));

  function adam(p: Float32Array, g: Float32Array, state: { m: Float32Array; v: Float32Array }, lr: number, c1: number, c2: number): void {
    const { m, v } = state;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i];
      const mi = BETA1 * m[i] + (1 - BETA1) * gi;
      const vi = BETA2 * v[i] + (1 - BETA2) * gi * gi;
      m[i] = mi;
      v[i] = vi;
      p[i] -= (lr * (mi / c1)) / (Math.sqrt(vi / c2) + EPSILON);
    }
  }

  /**
   * The reference shape's head (ReLU hidden layer → 2 softmax logits) in one pass per image:
   * activation, logits, loss, the 64→2 layer's gradients and δ1 (into D1 and colSum), with the
   * logits and δ in locals. The same arithmetic as genericHead, without its per-layer buffers.
   */
  function reluSoftmaxHead(m: number): number {
    const W = Ws[1], b = bs[1], g = gW[1], gbk = gb[1], a0 = A[0];
    g.fill(0);
    let gb0 = 0, gb1 = 0, loss = 0;
    for (let r = 0; r < m; r++) {
      const zr = r * hp, ar = r * h1;
      let z0 = b[0], z1 = b[1];
      for (let j = 0; j < h1; j++) {
        const z = Z1[zr + j];
        const a = z > 0 ? z : 0;
        a0[ar + j] = a;
        z0 += a * W[2 * j];
        z1 += a * W[2 * j + 1];
      }
      const y = train.labels[rows[r]];
      const mx = Math.max(z0, z1);
      const lse = mx + Math.log(Math.exp(z0 - mx) + Math.exp(z1 - mx));
      loss += lse - (y === 0 ? z0 : z1);
      const d0 = (Math.exp(z0 - lse) - (y === 0 ? 1 : 0)) / m;
      const d1 = (Math.exp(z1 - lse) - (y === 1 ? 1 : 0)) / m;
      gb0 += d0;
      gb1 += d1;
      for (let j = 0; j < h1; j++) {
        const a = a0[ar + j];
        g[2 * j] += a * d0;
        g[2 * j + 1] += a * d1;
        const delta = Z1[zr + j] > 0 ? d0 * W[2 * j] + d1 * W[2 * j + 1] : 0;
        D1[zr + j] = delta;
        colSum[j] += delta;
      }
    }
    gbk[0] = gb0;
    gbk[1] = gb1;
    return loss;
  }

  /** Any other shape: forward and backward through the layers after the first, layer by layer; δ1 into D1 and colSum. */
  function genericHead(m: number): number {
    // Forward through the remaining layers.
    const lastK = L - 1;
    for (let r = 0; r < m; r++) {
      const a = A[0];
      for (let j = 0; j < h1; j++) a[r * h1 + j] = lastK === 0 ? Z1[r * hp + j] : activate(Z1[r * hp + j]);
    }
    for (let k = 1; k < L; k++) {
      const rIn = widths[k];
      const c = widths[k + 1];
      const W = Ws[k];
      const b = bs[k];
      const prev = A[k - 1];
      const out = A[k];
      for (let r = 0; r < m; r++) {
        for (let j = 0; j < c; j++) {
          let z = b[j];
          for (let i = 0; i < rIn; i++) z += prev[r * rIn + i] * W[i * c + j];
          out[r * c + j] = k < lastK ? activate(z) : z;
        }
      }
    }

    // Loss and δ of the logits (mean over the batch).
    const logits = A[lastK];
    const dOut = Dl[lastK];
    const nOut = widths[L];
    let loss = 0;
    for (let r = 0; r < m; r++) {
      const y = train.labels[rows[r]];
      if (softmax) {
        const z0 = logits[r * 2];
        const z1 = logits[r * 2 + 1];
        const mx = Math.max(z0, z1);
        const lse = mx + Math.log(Math.exp(z0 - mx) + Math.exp(z1 - mx));
        loss += lse - (y === 0 ? z0 : z1);
        dOut[r * 2] = (Math.exp(z0 - lse) - (y === 0 ? 1 : 0)) / m;
        dOut[r * 2 + 1] = (Math.exp(z1 - lse) - (y === 1 ? 1 : 0)) / m;
      } else {
        const z = logits[r];
        loss += Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
        dOut[r] = (1 / (1 + Math.exp(-z)) - y) / m;
      }
    }
    void nOut;

    // Backward through the dense layers k ≥ 1.
    for (let k = lastK; k >= 1; k--) {
      const rIn = widths[k];
      const c = widths[k + 1];
      const W = Ws[k];
      const prev = A[k - 1];
      const delta = Dl[k];
      const g = gW[k];
      const gbk = gb[k];
      g.fill(0);
      gbk.fill(0);
      const dPrev = Dl[k - 1];
      for (let r = 0; r < m; r++) {
        for (let j = 0; j < c; j++) {
          const dj = delta[r * c + j];
          gbk[j] += dj;
          for (let i = 0; i < rIn; i++) g[i * c + j] += prev[r * rIn + i] * dj;
        }
        for (let i = 0; i < rIn; i++) {
          let sum = 0;
          for (let j = 0; j < c; j++) sum += delta[r * c + j] * W[i * c + j];
          const aPrev = prev[r * rIn + i];
          const zPrev = k - 1 === 0 ? Z1[r * hp + i] : aPrev; // relu's slope needs z; equal sign for k > 1
          dPrev[r * rIn + i] = sum * slope(aPrev, zPrev);
        }
      }
    }

    const delta1 = Dl[0];
    for (let r = 0; r < m; r++) {
      for (let j = 0; j < h1; j++) {
        const v = delta1[r * h1 + j];
        D1[r * hp + j] = v;
        colSum[j] += v;
      }
    }
    return loss;
  }

  const fastHead = L === 2 && act === 'relu' && softmax;

  function batch(m: number, lr: number): number {
    // bias0 holds the folded first-layer bias b1 + Σ_i x(m_i)·W1_i of the current weights.
    kernel!.spmm(m, at.rows, at.rowPtr, at.col, at.val, at.w1, rowBytes, at.bias, at.z1);
    colSum.fill(0);
    const loss = fastHead ? reluSoftmaxHead(m) : genericHead(m);

    // First layer gradient: the sparse part by the kernel `sgrad` into G1 (zero on entry); the
    // dense rank-one part x(m_i)·Σ_r δ_r is added inside the Adam kernel.
    kernel!.sgrad(m, at.rows, at.rowPtr, at.col, at.val, at.g1, rowBytes, at.d1, 0);
    const gb1 = gb[0];
    for (let j = 0; j < h1; j++) CS[j] = gb1[j] = colSum[j];

    // Adam: W1 in the kernel (which also zeroes G1 and sums the next folded bias), the rest here.
    step++;
    const c1 = 1 - Math.pow(BETA1, step);
    const c2 = 1 - Math.pow(BETA2, step);
    fold.fill(0);
    kernel!.adam(at.w1, at.g1, at.m1, at.v1, at.bx, at.cs, at.fold, d, rowBytes, lr / c1, 1 / c2);
    if (topK) {
      // Re-apply the constraint, then the folded bias of the constrained weights (the kernel summed the unconstrained ones).
      keepTopK(W1, d, h1, hp, topK);
      fold.fill(0);
      for (let i = 0; i < d; i++) {
        const x = s.baseX[i];
        if (x !== 0) for (let j = 0; j < h1; j++) fold[j] += x * W1[i * hp + j];
      }
    }
    adam(b1, gb1, moments[1], lr, c1, c2);
    for (let j = 0; j < h1; j++) bias0[j] = b1[j] + fold[j];
    for (let k = 1; k < L; k++) {
      adam(Ws[k], gW[k], moments[2 * k], lr, c1, c2);
      adam(bs[k], gb[k], moments[2 * k + 1], lr, c1, c2);
    }
    return loss / m;
  }

  return {
    epoch(order, lr) {
      let lossSum = 0;
      let batches = 0;
      for (let b0 = 0; b0 < order.length; b0 += batchSize) {
        const m = Math.min(batchSize, order.length - b0);
        rows.set(order.subarray(b0, b0 + m));
        lossSum += batch(m, lr);
        batches++;
      }
      return lossSum / batches;
    },
    snapshot() {
      const w1 = new Float32Array(d * h1);
      for (let i = 0; i < d; i++) w1.set(W1.subarray(i * hp, i * hp + h1), i * h1);
      return {
        layers: init.layers.map((l, k) => ({
          name: l.name,
          shape: [l.shape[0], l.shape[1]] as [number, number],
          weights: k === 0 ? w1 : Ws[k].slice(),
          bias: k === 0 ? b1.slice() : bs[k].slice(),
          activation: l.activation,
        })),
      };
    },
    dispose() {},
  };
}
