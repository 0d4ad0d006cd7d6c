/**
 * The exact first layer: a formulation of the first layer's pre-activations whose big sum is exact,
 * so that one evaluation can start from another's sums and add only the weights that differ
 * (X·ΔW costs in proportion to the changed weights, not to the layer), with the same bits whichever
 * route computed them. docs/performance-model.md has the derivation and the measurements.
 *
 *     h_rj = f32( fold_j + 2^−41 · Σ_{e ∈ image r} q_e · ŵ(w_{i_e j}) ),    ŵ(w) = nearest(w · scale · 2^41)
 *
 * q_e = p − mode is the pixel's integer offset from its mode (val_e = q_e·scale in float32 is what
 * the float32 path multiplies), fold_j the evaluator's float64 folded bias (b_j + Σ_i x(m_i)·w_ij,
 * the same value both paths use), and ŵ an integer: every product and partial sum is an integer
 * below 2^53 (checked per test split: `maxWeight`), so float64 adds it exactly in any order. For
 * ternary weights (sign probes) ŵ = ±ŵ(1) and the sum is ŵ(1)·Σ ±q, an int32 sum.
 *
 * Accuracy is the float32 path's, bit for bit: each image's prediction from these pre-activations is
 * kept only where the logit gap is larger than the largest difference the float32 path's rounding
 * can make (`certifiedPredictions`, a worst-case bound); the few others are recomputed the float32
 * way. CKA comes from these pre-activations (rounding-level differences from the float32 path's).
 */
import type { DenseModel, LayerRecord } from '../core/layer.js';
import type { SparseInputs } from './sparse-inputs.js';
import { DELTA_BLOCK_BYTES, loadDeltaKernel, type DeltaKernel } from './delta-kernel.js';

/** Bits of the grid the weights are rounded to (per unit of the pixel offset q). */
export const GRID_BITS = 41;
const UNIT = 2 ** -GRID_BITS;
const U32 = 2 ** -24;
const U64 = 2 ** -53;

/** Round to nearest, ties to even (WebAssembly's f64.nearest), for |x| < 2^52. */
export function nearestEven(x: number): number {
  const f = Math.floor(x);
  const r = x - f;
  if (r < 0.5) return f === 0 && x < 0 ? -0 : f;
  if (r > 0.5) return f + 1 === 0 && x < 0 ? -0 : f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** What the exact first layer needs of a test split (once per split). */
export interface ExactInputs {
  /** p − mode of each entry, as the float64 values the kernels multiply. */
  q: Float64Array;
  /** Per image: Σ|q|, Σ|val| (val = the float32 entries the float32 path multiplies), max |val| and its entry count. */
  qAbs: Float64Array;
  valAbs: Float64Array;
  valMax: Float64Array;
  entries: Uint32Array;
  /** scale · 2^41 (scale: the input scaling's per-unit step). */
  scale41: number;
  /** The largest |w| for which every sum stays an integer below 2^52 on this split. */
  maxWeight: number;
}

export function exactInputs(s: SparseInputs, scale: number): ExactInputs {
  const q = new Float64Array(s.val.length);
  const qAbs = new Float64Array(s.n);
  const valAbs = new Float64Array(s.n);
  const valMax = new Float64Array(s.n);
  const entries = new Uint32Array(s.n);
  let worst = 0;
  for (let r = 0; r < s.n; r++) {
    let a = 0;
    let v = 0;
    for (let e = s.rowPtr[r]; e < s.rowPtr[r + 1]; e++) {
      q[e] = s.q[e];
      a += Math.abs(s.q[e]);
      v += Math.abs(s.val[e]);
      valMax[r] = Math.max(valMax[r], Math.abs(s.val[e]));
    }
    qAbs[r] = a;
    valAbs[r] = v;
    entries[r] = s.rowPtr[r + 1] - s.rowPtr[r];
    worst = Math.max(worst, a);
  }
  const scale41 = scale * 2 ** GRID_BITS;
  // Every partial sum of an image is Σ q·ŵ over a mix of two weight matrices: ≤ Σ|q| · (scale41·M + ½).
  const maxWeight = worst === 0 ? Infinity : (2 ** 52 / worst - 0.5) / scale41;
  return { q, qAbs, valAbs, valMax, entries, scale41, maxWeight };
}

/** Whether the exact first layer's shape rules hold: two layers, ReLU hidden units (an even number), one or two outputs. */
export function exactShape(models: DenseModel[]): boolean {
  for (const m of models) {
    if (m.layers.length !== 2 || m.layers[0].activation !== 'relu') return false;
    const second = m.layers[1];
    if (second.shape[1] > 2 || second.activation === 'relu' || m.layers[0].shape[1] % 2 !== 0) return false;
  }
  return true;
}

/**
 * Thrown before an exact evaluation's part does any work when its weights are outside the grid's
 * range (|w| > maxWeight, or NaN): the evaluator measures the model with the float32 path instead.
 */
export class OutsideGrid extends Error {}

/** Per column j of a first layer: max_i |w_ij|, Σ_i |w_ij| (float32 sums: an upper bound after ×1.001) and the non-zero count. */
export interface ColumnStats {
  max: Float32Array;
  absSum: Float32Array;
  nonZero: Int32Array;
}

/** ColumnStats in plain JS (padded to `width` columns). */
export function columnStats(layer: LayerRecord, width: number): ColumnStats {
  const [d, h] = layer.shape;
  const out = { max: new Float32Array(width), absSum: new Float32Array(width), nonZero: new Int32Array(width) };
  const w = layer.weights;
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < h; j++) {
      const a = Math.abs(w[i * h + j]);
      if (!(a <= out.max[j])) out.max[j] = a;
      out.absSum[j] += a;
      if (a !== 0) out.nonZero[j]++;
    }
  }
  return out;
}

/** Throws OutsideGrid unless every column maximum is within the grid's range. */
export function checkGrid(cols: ColumnStats, ei: ExactInputs): void {
  for (let j = 0; j < cols.max.length; j++) if (!(cols.max[j] <= ei.maxWeight)) throw new OutsideGrid();
}

/**
 * The exact pre-activations in plain JS (where WebAssembly is missing): rows of `width` floats for
 * images [start, start + count), h_rj = f32(fold_j + 2^−41 Σ q·ŵ).
 */
export function exactFirstLayerJs(s: SparseInputs, ei: ExactInputs, layer: LayerRecord, fold: Float64Array, width: number, start: number, count: number): Float32Array {
  const h = layer.shape[1];
  const w = layer.weights;
  const hat = new Float64Array(w.length);
  for (let i = 0; i < w.length; i++) hat[i] = nearestEven(w[i] * ei.scale41);
  const out = new Float32Array(count * width);
  const acc = new Float64Array(h);
  for (let r = 0; r < count; r++) {
    acc.fill(0);
    for (let e = s.rowPtr[start + r]; e < s.rowPtr[start + r + 1]; e++) {
      const qv = ei.q[e];
      const base = s.col[e] * h;
      for (let j = 0; j < h; j++) acc[j] += qv * hat[base + j];
    }
    for (let j = 0; j < h; j++) out[r * width + j] = fold[j] + acc[j] * UNIT;
  }
  return out;
}

/**
 * Per image r of `count` (rows of `pre`): z0, z1 = b + Σ_j relu(x_j)·w01_j, then Σ_j |x_j|·aux_j0 and
 * Σ_j relu(x_j)·aux_j1 (four float64s per image). The certified head's sums; `headSumsJs` or the kernel's `head`.
 */
export type HeadSums = (count: number, pre: Float32Array, width: number, h: number, w01: Float64Array, aux: Float64Array, b0: number, b1: number) => Float64Array;

export const headSumsJs: HeadSums = (count, pre, width, h, w01, aux, b0, b1) => {
  const out = new Float64Array(4 * count);
  for (let r = 0; r < count; r++) {
    let z0 = b0;
    let z1 = b1;
    let hb = 0;
    let zs = 0;
    for (let j = 0; j < h; j++) {
      const x = pre[r * width + j];
      const relu = x < 0 ? 0 : x;
      z0 += relu * w01[2 * j];
      z1 += relu * w01[2 * j + 1];
      hb += Math.abs(x) * aux[2 * j];
      zs += relu * aux[2 * j + 1];
    }
    out.set([z0, z1, hb, zs], 4 * r);
  }
  return out;
};

/**
 * Predictions of images [start, start + count) (rows of `pre`, `width` apart) by the two-layer head
 * (the evaluator's twoLayerRelu rule, float64 logits), certified to be the float32 path's.
 *
 * Per hidden unit j the two paths' pre-activations differ by at most e_j: the float32 path's
 * rounding (float32 products and sums from f32(fold), one rounding per non-zero term: Higham's
 * γ_{k+3}·(|fold_j| + Σ_e |val_e·w_{e j}|) with k ≤ min(entries, non-zero weights of column j) and
 * Σ_e |val_e·w_{e j}| ≤ min(Σ|val|·max_i|w_ij|, max|val|·Σ_i|w_ij|), its float32 val against q·scale
 * included), this path's grid (½ a unit a term) and its two roundings; a column of zeros gives both
 * paths f32(fold_j). A unit certainly off in both paths (h ≤ −e_j) adds nothing to either head;
 * the others move the logit gap by at most e_j·|w_j1 − w_j0|; both heads' float64 sums add their
 * own rounding. An image whose gap is larger than that keeps this prediction; an image with no unit
 * possibly on has both paths' logits equal to the biases; the rest are recomputed with
 * `float32Rows` (the float32 path's pre-activations of the listed images, in order). Returns how many.
 */
export function certifiedPredictions(
  pre: Float32Array, width: number, start: number, count: number, model: DenseModel, fold: Float64Array, cols: ColumnStats, ei: ExactInputs,
  float32Rows: (images: number[]) => Float32Array, pred: Uint8Array, predictRows: (pre: Float32Array, width: number, out: Uint8Array) => void,
  headSums: HeadSums = headSumsJs,
): number {
  const second = model.layers[1];
  const h = model.layers[0].shape[1];
  const c = second.shape[1];
  const W = second.weights;
  const b0 = second.bias ? second.bias[0] : 0;
  const b1 = c === 2 && second.bias ? second.bias[1] : 0;
  // Per hidden unit: the logits' weights (w_j0, w_j1), and (|w_j1 − w_j0| for a non-empty column, |w_j0| + |w_j1|).
  const w01 = new Float64Array(2 * h);
  const aux = new Float64Array(2 * h);
  const dW = new Float64Array(h);
  const foldAbs = new Float64Array(h);
  let foldPart = 0;
  let maxPart = 0;
  let absPart = 0;
  let gridPart = 0;
  let nzMax = 0;
  for (let j = 0; j < h; j++) {
    w01[2 * j] = W[c * j];
    w01[2 * j + 1] = c === 2 ? W[2 * j + 1] : 0;
    dW[j] = c === 2 ? Math.abs(W[2 * j + 1] - W[2 * j]) : Math.abs(W[j]);
    aux[2 * j + 1] = Math.abs(w01[2 * j]) + Math.abs(w01[2 * j + 1]);
    foldAbs[j] = Math.abs(fold[j]);
    // An empty column gives both paths f32(fold): it adds nothing to the bound.
    if (cols.nonZero[j] === 0) continue;
    aux[2 * j] = dW[j];
    foldPart += foldAbs[j] * dW[j];
    maxPart += cols.max[j] * dW[j];
    absPart += cols.absSum[j] * 1.001 * dW[j];
    gridPart += dW[j];
    nzMax = Math.max(nzMax, cols.nonZero[j]);
  }
  const sums = headSums(count, pre, width, h, w01, aux, b0, b1);
  const biasAbs = Math.abs(b0) + Math.abs(b1);
  const gammaOf = (k: number): number => ((k * U32) / (1 - k * U32)) * (1 + 1e-6);
  const gammaCol = Float64Array.from(cols.nonZero.subarray(0, h), (nz) => gammaOf(nz + 3));
  const cx = U32 + 4 * U64;
  const e = new Float64Array(h);
  const unsure: number[] = [];
  for (let r = 0; r < count; r++) {
    const img = start + r;
    const z0 = sums[4 * r];
    const z1 = sums[4 * r + 1];
    const hb = sums[4 * r + 2];
    const zs = sums[4 * r + 3];
    const gap = c === 2 ? z1 - z0 : z0;
    const yes = (c === 2 ? z1 > z0 : z0 > 0) ? 1 : 0;
    // Coarse: every unit of a non-empty column counted (Σ_j min(a_j, b_j) ≤ min(Σ a, Σ b)).
    const va = ei.valAbs[img];
    const vm = ei.valMax[img];
    const grid = ei.qAbs[img] * 0.5000001 * UNIT;
    const entries = ei.entries[img];
    let bound = gammaOf(Math.min(entries, nzMax) + 3) * (foldPart + Math.min(va * maxPart, vm * absPart)) + grid * gridPart + cx * hb;
    bound = (bound + 2 * (h + 2) * U64 * (biasAbs + zs + bound)) * (1 + 1e-9);
    // bound = 0: nothing that differs between the paths reaches the logits (both sum the same float64 terms, or ties from zero biases)
    if (bound === 0 || Math.abs(gap) > bound) {
      pred[img] = yes;
      continue;
    }
    // Fine: per unit, the column's non-zero count and Σ|w|, and only units possibly on in either path.
    exactCounters.fine++;
    const gammaImage = gammaOf(entries + 3);
    for (let j = 0; j < h; j++) {
      if (cols.nonZero[j] === 0) e[j] = 0;
      else {
        const terms = Math.min(va * cols.max[j], vm * cols.absSum[j] * 1.001);
        e[j] = Math.min(gammaImage, gammaCol[j]) * (foldAbs[j] + terms) + grid;
      }
    }
    const o = r * width;
    bound = 0;
    let near = false;
    for (let j = 0; j < h; j++) {
      const x = pre[o + j];
      const ej = e[j] === 0 ? 0 : e[j] + cx * Math.abs(x);
      if (x > -ej) {
        near = true;
        bound += ej * dW[j];
      }
    }
    bound = (bound + 2 * (h + 2) * U64 * (biasAbs + zs + bound)) * (1 + 1e-9);
    if (!near || bound === 0 || Math.abs(gap) > bound) pred[img] = yes;
    else unsure.push(img);
  }
  if (unsure.length) {
    const rows = float32Rows(unsure);
    const p = new Uint8Array(unsure.length);
    predictRows(rows, width, p);
    unsure.forEach((img, k) => (pred[img] = p[k]));
  }
  return unsure.length;
}

/** A cached set of first-layer sums: the weights (padded float32 rows in kernel memory) and Σ q·ŵ of every image (float64, hidden unit by hidden unit: column j holds all images). */
interface State {
  w: number;
  s: number;
  /** The weights' array this state was made from (the base model's), or null. */
  source: Float32Array | null;
  ready: boolean;
}

/** What the engine borrows from the evaluator: its kernel memory, the test set in it, its float32 spmm and buffers. */
export interface ExactHost {
  memory: WebAssembly.Memory;
  s: SparseInputs;
  /** Byte addresses of the test set in kernel memory: the identity row list, CSR row pointers, pixel indices. */
  rows: number;
  rowPtr: number;
  col: number;
  /** The evaluator's float32 spmm (bias + Σ val·W over the listed rows). */
  spmm: (n: number, rows: number, rowPtr: number, col: number, val: number, w: number, rowBytes: number, bias: number, out: number) => void;
  /** The evaluator's buffers for this width: padded float32 weights, float32 output rows. */
  w: number;
  out: number;
  width: number;
  h: number;
  /** First free byte after the evaluator's buffers. */
  free: number;
}

/** What the exact first layer did, over every engine of this thread (the bench and profiles print it). */
export const exactCounters = { scatterPairs: 0, fullPasses: 0, recomputed: 0, images: 0, diffs: 0, fine: 0, sparseFloat32Images: 0 };

/**
 * Route costs in scatter pairs (one q·δ added to one sum, ≈ 2 cycles): a full pass costs a
 * multiply-add per entry and hidden unit, four (float32, ternary weights) or two (float64) a SIMD
 * step at ≈ 1.5 cycles (docs/performance-model.md).
 */
const FULL_F32_PER_MAC = 1 / 5;
const FULL_F64_PER_MAC = 1 / 2.5;
/** A route this much cheaper than a full pass is taken without looking further. */
const GOOD_ENOUGH = 1 / 16;

/**
 * The WebAssembly engine: states of the first-layer sums (the start model's, its signs', the last
 * whole-test-set evaluation's; negated signs and zero implicit), and the cheapest route from one of
 * them to a model's sums for a range of images: the changed weights only (`diff`, then `scatter`
 * pixel by pixel over the images that have the pixel), or a full pass (float32 with q for ternary
 * weights, float64 with ŵ otherwise).
 */
export class ExactEngine {
  readonly kernel: DeltaKernel;
  private readonly mem: WebAssembly.Memory;
  private readonly host: ExactHost;
  private readonly ei: ExactInputs;
  /** Bytes from one hidden unit's sums to the next's (n float64s). */
  private readonly colStride: number;
  private readonly qf: number;
  private readonly q32: number;
  private readonly cscRow: number;
  private readonly cscQ: number;
  /** The same entries for the float32 route (sparseFloat32): 4·r and val. */
  private readonly cscRow4: number;
  private readonly cscVal: number;
  private readonly colStride32: number;
  private readonly t32: number;
  private readonly w32: { ptr: number; j: number; v: number };
  /** Per test batch b (and the whole set, last): each pixel's first entry at or after the range's first image. */
  private readonly cscStart: number[];
  private readonly colCounts: number[];
  private readonly changes: { ptr: number; j: number; d: number };
  private readonly what: number;
  private readonly dOut: number;
  private readonly zeroBias: number;
  private readonly zeroW: number;
  private readonly negW: number;
  private readonly work: State;
  private readonly base: State;
  private readonly signs: State;
  private readonly last: State;
  private readonly imagesList: number;
  private readonly fallbackOut: number;
  private readonly statsOut: number;
  private readonly headIn: number;
  private readonly headOut: number;
  /** The candidate that won the previous route choice (tried first: consecutive parts are alike). */
  private lastWinner = -1;
  readonly counters = exactCounters;

  private constructor(host: ExactHost, ei: ExactInputs, kernel: DeltaKernel, batch: number) {
    this.host = host;
    this.ei = ei;
    this.kernel = kernel;
    this.mem = host.memory;
    const { s, width } = host;
    this.colStride = s.n * 8;
    let at = host.free;
    const alloc = (bytes: number): number => {
      const a = at;
      at += Math.ceil(bytes / 16) * 16;
      return a;
    };
    const nnz = s.val.length;
    const wBytes = s.d * width * 4;
    const batches = Math.max(1, Math.ceil(s.n / batch));
    this.qf = alloc(nnz * 8);
    this.q32 = alloc(nnz * 4);
    this.cscRow = alloc(nnz * 4);
    this.cscQ = alloc(nnz * 8);
    this.cscRow4 = alloc(nnz * 4);
    this.cscVal = alloc(nnz * 4);
    this.colStride32 = s.n * 4;
    this.t32 = alloc(s.n * host.h * 4);
    this.w32 = { ptr: alloc((s.d + 1) * 4), j: alloc(s.d * width * 4), v: alloc(s.d * width * 4) };
    this.cscStart = Array.from({ length: batches + 2 }, () => alloc(s.d * 4));
    this.colCounts = Array.from({ length: batches + 1 }, () => alloc(s.d * 4));
    this.changes = { ptr: alloc((s.d + 1) * 4), j: alloc(s.d * width * 4), d: alloc(s.d * width * 8) };
    this.what = alloc(s.d * width * 8);
    this.dOut = alloc(s.n * width * 8);
    this.zeroBias = alloc(width * 4);
    this.zeroW = alloc(wBytes);
    this.negW = alloc(wBytes);
    const state = (): State => ({ w: alloc(wBytes), s: alloc(s.n * host.h * 8), source: null, ready: false });
    this.work = state();
    this.base = state();
    this.signs = state();
    this.last = state();
    this.imagesList = alloc(s.n * 4);
    this.fallbackOut = alloc(s.n * width * 4);
    this.statsOut = alloc(width * 12);
    this.headIn = alloc(32 * host.h + 16);
    this.headOut = alloc(32 * s.n);
    if (at > this.mem.buffer.byteLength) this.mem.grow(Math.ceil((at - this.mem.buffer.byteLength) / 65536));
    const buf = this.mem.buffer;
    new Float64Array(buf, this.qf, nnz).set(ei.q);
    new Float32Array(buf, this.q32, nnz).set(ei.q);
    new Float32Array(buf, this.zeroBias, width).fill(0);
    new Float32Array(buf, this.zeroW, s.d * width).fill(0);
    // The test set pixel by pixel (images in order within a pixel), and where each range starts in it.
    const perPixel = new Uint32Array(s.d + 1);
    for (let e = 0; e < nnz; e++) perPixel[s.col[e] + 1]++;
    for (let i = 0; i < s.d; i++) perPixel[i + 1] += perPixel[i];
    const next = perPixel.slice(0, s.d);
    const rowOf = new Int32Array(buf, this.cscRow, nnz);
    const qOf = new Float64Array(buf, this.cscQ, nnz);
    const row4Of = new Int32Array(buf, this.cscRow4, nnz);
    const valOf = new Float32Array(buf, this.cscVal, nnz);
    const starts = this.cscStart.map((a) => new Int32Array(buf, a, s.d));
    let b = 0;
    for (let r = 0; r < s.n; r++) {
      while (b < batches && r >= b * batch) {
        for (let i = 0; i < s.d; i++) starts[b][i] = next[i];
        b++;
      }
      for (let e = s.rowPtr[r]; e < s.rowPtr[r + 1]; e++) {
        const k = next[s.col[e]]++;
        rowOf[k] = r * 8;
        qOf[k] = ei.q[e];
        row4Of[k] = r * 4;
        valOf[k] = s.val[e];
      }
    }
    for (; b <= batches; b++) for (let i = 0; i < s.d; i++) starts[b][i] = next[i];
    starts[batches + 1].set(perPixel.subarray(0, s.d));
    // Entries of each pixel per test batch, and over the whole set (the scatter route's cost).
    for (let k = 0; k <= batches; k++) {
      const [lo, hi] = k < batches ? [starts[k], starts[k + 1]] : [starts[batches + 1], starts[batches]];
      const counts = new Int32Array(buf, this.colCounts[k], s.d);
      for (let i = 0; i < s.d; i++) counts[i] = hi[i] - lo[i];
    }
  }

  /** The engine on the evaluator's kernel memory, or null where its kernels do not load or the width does not suit them. */
  static create(host: ExactHost, ei: ExactInputs, batch: number): ExactEngine | null {
    if ((host.width * 8) % DELTA_BLOCK_BYTES !== 0) return null;
    const kernel = loadDeltaKernel(host.memory);
    return kernel ? new ExactEngine(host, ei, kernel, batch) : null;
  }

  /** Copy a model's first-layer weights into a padded float32 region. */
  private fillW(at: number, weights: Float32Array, negate = false): void {
    const { d } = this.host.s;
    const { width, h } = this.host;
    const W = new Float32Array(this.mem.buffer, at, d * width);
    if (h === width && !negate) W.set(weights);
    else {
      W.fill(0);
      for (let i = 0; i < d; i++) for (let j = 0; j < h; j++) W[i * width + j] = negate ? -weights[i * h + j] : weights[i * h + j];
    }
  }

  /** The weights' column statistics (views, valid until the next call) and whether the weights at `w` (padded rows) are all −1, 0 or 1. */
  private classify(w: number): { ternary: boolean; cols: ColumnStats } {
    const width = this.host.width;
    const ternary = this.kernel.classify(this.host.s.d, width * 4, w, this.statsOut) === 1;
    const buf = this.mem.buffer;
    const cols = { max: new Float32Array(buf, this.statsOut, width), absSum: new Float32Array(buf, this.statsOut + 4 * width, width), nonZero: new Int32Array(buf, this.statsOut + 8 * width, width) };
    return { ternary, cols };
  }

  /** Σ q·ŵ of images [r0, r1) of the weights at `w` into `dst` rows by a full pass. */
  private fullPass(w: number, ternary: boolean, dst: number, r0: number, r1: number): void {
    const { s, width, h } = this.host;
    const buf = this.mem.buffer;
    if (ternary) {
      // ±q sums: integers below 2^24, exact in the evaluator's float32 kernel; then ·ŵ(1).
      this.host.spmm(r1 - r0, this.host.rows + r0 * 4, this.host.rowPtr, this.host.col, this.q32, w, width * 4, this.zeroBias, this.dOut);
      this.kernel.widen(r0, r1, this.dOut, width * 4, dst, this.colStride, h, nearestEven(this.ei.scale41));
    } else {
      const n = s.d * width;
      const src = new Float32Array(buf, w, n);
      const hat = new Float64Array(buf, this.what, n);
      const s41 = this.ei.scale41;
      for (let i = 0; i < n; i++) hat[i] = nearestEven(src[i] * s41);
      // float64 rows of images [r0, r1) from row 0, then hidden unit by hidden unit
      this.kernel.dspmm(r1 - r0, r0, this.host.rowPtr, this.host.col, this.qf, this.what, width * 8, 0, this.dOut - r0 * width * 8);
      const rows = new Float64Array(buf, this.dOut, (r1 - r0) * width);
      for (let j = 0; j < h; j++) {
        const col = new Float64Array(buf, dst + j * this.colStride + r0 * 8, r1 - r0);
        for (let r = 0; r < r1 - r0; r++) col[r] = rows[r * width + j];
      }
    }
    this.counters.fullPasses += (r1 - r0) / s.n;
  }

  /** Make a lazily computed state (the start model's sums, or its signs') ready. */
  private ensure(state: State): void {
    if (state.ready) return;
    this.fullPass(state.w, this.classify(state.w).ternary, state.s, 0, this.host.s.n);
    state.ready = true;
  }

  /** Point the start states at a new start model (its sums are computed when a route first needs them). */
  private useBase(weights: Float32Array): void {
    if (this.base.source === weights) return;
    this.fillW(this.base.w, weights);
    this.base.source = weights;
    this.base.ready = false;
    const signs = new Float32Array(weights.length);
    for (let i = 0; i < weights.length; i++) signs[i] = weights[i] > 0 ? 1 : weights[i] < 0 ? -1 : 0;
    this.fillW(this.signs.w, signs);
    this.signs.source = weights;
    this.signs.ready = false;
    this.fillW(this.negW, signs, true);
  }

  /**
   * The first-layer pre-activations of images [r0, r1) for the weights at host.w (the evaluated
   * model's, already in place), written from row 0 of host.out; the model's float64 folded bias is
   * at `foldAt`. `part`: the test batch the range is (its index), or −1 for the whole test set (the
   * result then becomes the last state). Returns the weights' column statistics; throws OutsideGrid
   * (before any work) for weights outside the grid's range.
   */
  preActivations(r0: number, r1: number, foldAt: number, baseWeights: Float32Array | null, part: number): ColumnStats {
    const { s, width, h } = this.host;
    const k = this.kernel;
    const buf = this.mem.buffer;
    const whole = part < 0;
    const target = this.classify(this.host.w);
    checkGrid(target.cols, this.ei);
    const cols = { max: target.cols.max.slice(), absSum: target.cols.absSum.slice(), nonZero: target.cols.nonZero.slice() };
    if (baseWeights) this.useBase(baseWeights);
    const colCount = this.colCounts[whole ? this.cscStart.length - 2 : part];
    const [lo, hi] = this.rangeOf(part);
    // Candidates: a state's weights and sums, optionally negated (−W has sums −S exactly); null: zero.
    type Candidate = { w: number; state: State | null; negate: boolean };
    const candidates: Candidate[] = [];
    candidates.push(this.last.ready ? { w: this.last.w, state: this.last, negate: false } : { w: this.zeroW, state: null, negate: false });
    if (this.base.source) {
      candidates.push({ w: this.base.w, state: this.base, negate: false });
      candidates.push({ w: this.signs.w, state: this.signs, negate: false });
      candidates.push({ w: this.negW, state: this.signs, negate: true });
    }
    if (this.last.ready) candidates.push({ w: this.zeroW, state: null, negate: false });
    const entries = s.rowPtr[r1] - s.rowPtr[r0];
    const fullCost = entries * h * (target.ternary ? FULL_F32_PER_MAC : FULL_F64_PER_MAC);
    const order = candidates.map((_, c) => c);
    if (this.lastWinner >= 0 && this.lastWinner < candidates.length) order.unshift(...order.splice(this.lastWinner, 1));
    let best = -1;
    let bestCost = Math.floor(Math.min(fullCost, 2 ** 31 - 1));
    for (const c of order) {
      const cand = candidates[c];
      // A state not yet computed costs a full pass of every image first: worth it only if much cheaper afterwards.
      const extra = cand.state && !cand.state.ready ? fullCost * (s.n / Math.max(1, r1 - r0)) * 0.05 : 0;
      const limit = Math.floor(bestCost - extra);
      if (limit < 0) continue;
      this.counters.diffs++;
      const cost = k.count(s.d, width * 4, this.host.w, cand.w, colCount, limit);
      if (cost >= 0 && cost + extra < bestCost) {
        best = c;
        bestCost = cost + extra;
        if (bestCost <= fullCost * GOOD_ENOUGH) break;
      }
    }
    this.lastWinner = best;
    // A whole-set evaluation from the last state adds its changes in place: that state becomes this one.
    const inPlace = whole && best >= 0 && candidates[best].state === this.last && !candidates[best].negate;
    const dst = inPlace ? this.last.s : this.work.s;
    if (best < 0) {
      this.fullPass(this.host.w, target.ternary, dst, r0, r1);
    } else {
      const cand = candidates[best];
      const L = this.changes;
      k.diff(s.d, width * 4, this.host.w, cand.w, L.ptr, L.j, L.d, colCount, 2 ** 31 - 1, this.colStride, this.ei.scale41);
      const rows = r1 - r0;
      if (cand.state) this.ensure(cand.state);
      for (let j = 0; j < h && !inPlace; j++) {
        const to = new Float64Array(buf, dst + j * this.colStride + r0 * 8, rows);
        if (!cand.state) to.fill(0);
        else {
          const from = new Float64Array(buf, cand.state.s + j * this.colStride + r0 * 8, rows);
          if (cand.negate) for (let t = 0; t < rows; t++) to[t] = -from[t];
          else to.set(from);
        }
      }
      k.scatter(s.d, lo, hi, this.cscRow, this.cscQ, L.ptr, L.j, L.d, dst);
      this.counters.scatterPairs += bestCost;
    }
    k.assemble(r0, r1, dst, this.colStride, foldAt, this.host.out, width * 4, h, UNIT);
    this.counters.images += r1 - r0;
    if (whole) {
      // The evaluated model becomes the last state: its weights copied, its sums the last state's buffer.
      new Float32Array(buf, this.last.w, s.d * width).set(new Float32Array(buf, this.host.w, s.d * width));
      if (!inPlace) [this.last.s, this.work.s] = [dst, this.last.s];
      this.last.ready = true;
    }
    return cols;
  }

  /** The certified head's sums by the kernel (HeadSums), over the pre-activations at host.out. */
  readonly headSums: HeadSums = (count, _pre, width, h, w01, aux, b0, b1) => {
    const buf = this.mem.buffer;
    new Float64Array(buf, this.headIn, 4 * h + 2).set(w01);
    new Float64Array(buf, this.headIn + 16 * h, 2 * h).set(aux);
    new Float64Array(buf, this.headIn + 32 * h, 2).set([b0, b1]);
    this.kernel.head(count, this.host.out, width * 4, h, this.headIn, this.headIn + 16 * h, this.headIn + 32 * h, this.headOut);
    return new Float64Array(buf, this.headOut, 4 * count);
  };

  /** Where test batch `part` (−1: the whole set) starts and ends in each pixel's entries. */
  private rangeOf(part: number): [number, number] {
    const batches = this.cscStart.length - 2;
    return part < 0 ? [this.cscStart[batches + 1], this.cscStart[batches]] : [this.cscStart[part], this.cscStart[part + 1]];
  }

  /**
   * The float32 path's first layer (spmm's bits) of images [r0, r1) — test batch `part`, or −1 for
   * the whole set — over the non-zero weights at `w` only, pixel by pixel (scatter32), from the
   * float32 bias at `bias`; written from row 0 of host.out. Beats spmm's dense rows for mostly zero
   * weights (heavily pruned models), where it costs in proportion to the non-zero weights.
   */
  sparseFloat32(r0: number, r1: number, part: number, bias: number, w: number): void {
    const { s, width, h } = this.host;
    const k = this.kernel;
    const buf = this.mem.buffer;
    k.compact(s.d, width * 4, w, this.w32.ptr, this.w32.j, this.w32.v, this.colStride32);
    const b = new Float32Array(buf, bias, h);
    for (let j = 0; j < h; j++) new Float32Array(buf, this.t32 + j * this.colStride32 + r0 * 4, r1 - r0).fill(b[j]);
    const [lo, hi] = this.rangeOf(part);
    k.scatter32(s.d, lo, hi, this.cscRow4, this.cscVal, this.w32.ptr, this.w32.j, this.w32.v, this.t32);
    k.rows32(r0, r1, this.t32, this.colStride32, this.host.out, width * 4, h);
    this.counters.sparseFloat32Images += r1 - r0;
  }

  /** Image indices for a float32 recomputation: written to kernel memory, returns their address. */
  imageList(images: number[]): number {
    new Uint32Array(this.mem.buffer, this.imagesList, images.length).set(images);
    return this.imagesList;
  }

  /** Where float32 recomputations are written. */
  get fallbackRows(): number {
    return this.fallbackOut;
  }
}
