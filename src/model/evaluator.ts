/**
 * Fast accuracy of many models on one test set: the hot path of every sweep (thousands of perturbed
 * models × ~2000 test images). A plain typed-array forward pass that exploits input sparsity.
 *
 * With x_i = scale·p_i + offset, the first layer's pre-activation is
 *     h = b + Σ_i x_i W_i = [b + Σ_i x(m_i) W_i] + Σ_{i: p_i ≠ m_i} scale·(p_i − m_i) W_i
 * where m_i is pixel i's most common value over the test set (0 for MNIST's background). The bracket
 * is the same for every image: it is folded into the bias once per model (one pass over W). The sum
 * runs only over the pixels that differ from their mode, stored once as CSR lists (≈ 20 % of MNIST
 * pixels), and each term adds one contiguous weight row W_i (nOut floats). Pixels constant over the
 * whole test set never appear in the lists. Later layers are small and run densely.
 *
 * The first layer runs in a small WebAssembly SIMD kernel (wasm-kernel.ts) with a plain JS fallback;
 * so do the folded bias and the CKA moments (bit for bit the JS loops' float64 results).
 * Tried and dropped: sharing one pass over the images between several models (interleaved weights)
 * was no faster once the kernel keeps its accumulators in registers.
 */
import { UserError, type DenseModel, type LayerRecord } from '../core/index.js';
import { activateInPlace, classOfLogits } from './predict.js';
import { CkaAccumulator, ckaFromMoments, ckaReference, type CkaReference } from './cka.js';
import { KERNEL_BLOCK, WIDE_BLOCK, loadSpmmKernel, type SpmmKernel } from './wasm-kernel.js';
import { loadDeltaKernel, type DeltaKernel } from './delta-kernel.js';
import { ExactEngine, OutsideGrid, certifiedPredictions, checkGrid, columnStats, exactFirstLayerJs, exactInputs, exactShape, type ExactInputs } from './delta-eval.js';
import { inputSizeOf, scalingOf, type InputScaling, type Split } from './split.js';
import type { SparseInputs } from './sparse-inputs.js';

export type { SparseInputs } from './sparse-inputs.js';

/** Build the sparse form of a split (once per test set). */
export function sparseInputs(test: Split, inputs: InputScaling): SparseInputs {
  const n = test.n;
  const d = inputSizeOf(test);
  if (!Number.isInteger(d) || d < 1) throw new UserError(`test set pixels (${test.pixels.length}) do not split into ${n} images`);
  if (test.labels.length !== n) throw new UserError(`test set has ${n} images but ${test.labels.length} labels`);
  const { scale, offset } = scalingOf(inputs);
  // Mode of every pixel over the test set.
  const hist = new Uint32Array(d * 256);
  for (let k = 0; k < n; k++) {
    const row = k * d;
    for (let i = 0; i < d; i++) hist[i * 256 + test.pixels[row + i]]++;
  }
  const mode = new Uint8Array(d);
  const baseX = new Float32Array(d);
  for (let i = 0; i < d; i++) {
    let best = 0;
    for (let v = 1; v < 256; v++) if (hist[i * 256 + v] > hist[i * 256 + best]) best = v;
    mode[i] = best;
    baseX[i] = best * scale + offset;
  }
  // Entries = pixels off their mode, counted from the histogram (no extra pass over the images).
  let nnz = n * d;
  for (let i = 0; i < d; i++) nnz -= hist[i * 256 + mode[i]];
  const rowPtr = new Uint32Array(n + 1);
  const col = new Uint32Array(nnz);
  const val = new Float32Array(nnz);
  const q = new Int16Array(nnz);
  let e = 0;
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < d; i++) {
      const p = test.pixels[k * d + i];
      if (p !== mode[i]) {
        col[e] = i;
        val[e] = (p - mode[i]) * scale;
        q[e] = p - mode[i];
        e++;
      }
    }
    rowPtr[k + 1] = e;
  }
  return { n, d, rowPtr, col, val, q, baseX, scale, labels: test.labels };
}

/**
 * What one evaluation measures: one model for the whole test set, or one model per consecutive
 * test batch of TEST_BATCH images (the reference re-draws its noise and random masks per batch).
 */
export type ProbedModel = DenseModel | DenseModel[];

/** The reference's test loader batch size. */
export const TEST_BATCH = 128;

/** How many per-batch models an evaluation of n test images takes. */
export function testBatchCount(n: number, batch = TEST_BATCH): number {
  return Math.max(1, Math.ceil(n / batch));
}

export interface Measurement {
  accuracy: number;
  /** Linear CKA of the first hidden layer's activations against the reference model's (when one was given). */
  cka?: number;
}

export interface Evaluator {
  /** Number of test images. */
  readonly n: number;
  /**
   * Accuracy, and CKA against `reference` when given, of each probed model (a per-batch list must
   * hold testBatchCount(n) models: batch b is images [128·b, 128·b + 128)).
   */
  measure(models: ProbedModel[], reference?: DenseModel, options?: MeasureOptions): Measurement[];
  /** Fraction of test images classified correctly (prediction rule: see predict.ts). */
  accuracy(model: DenseModel): number;
  /** Which first-layer kernel runs: `wasm-simd` or the plain `js` fallback. */
  readonly kernel: 'wasm-simd' | 'js';
  /** Accuracies of several models (the same as mapping `accuracy`). */
  accuracies(models: DenseModel[]): number[];
  /** Predicted class of every test image. */
  predict(model: DenseModel): Uint8Array;
}

export interface MeasureOptions {
  /**
   * Compute the first layer's pre-activations exactly (delta-eval.ts): an evaluation may then start
   * from the sums of the unprobed model (`reference`), its signs or the last evaluation and add only
   * the weights that differ. The accuracy is the float32 path's, bit for bit (certified per image,
   * the rest recomputed); CKA differs from the float32 path's at float32 rounding level. Ignored
   * (the float32 path) for models the exact first layer does not apply to (exactApplies).
   */
  exact?: boolean;
}

export interface EvaluatorOptions {
  /** Use the WebAssembly SIMD kernel when available (default true); false forces the plain JS loop. */
  wasm?: boolean;
}

/** Build an evaluator for one test set; the model(s) come per call. */
export function createEvaluator(test: Split, inputs: InputScaling, options: EvaluatorOptions = {}): Evaluator {
  return evaluatorFromSparse(sparseInputs(test, inputs), options);
}

export function evaluatorFromSparse(s: SparseInputs, options: EvaluatorOptions = {}): Evaluator {
  const ks = options.wasm === false ? null : kernelFor(s);
  const accuracyOf = (pred: Uint8Array): number => {
    let correct = 0;
    for (let k = 0; k < s.n; k++) if (pred[k] === s.labels[k]) correct++;
    return s.n === 0 ? 0 : correct / s.n;
  };
  const references = new WeakMap<DenseModel, CkaReference>();
  const referenceOf = (model: DenseModel): CkaReference => {
    let r = references.get(model);
    if (!r) {
      const h = model.layers[0].shape[1];
      const x = new Float32Array(s.n * h);
      forward(s, ks, model, 0, s.n, (pre, width) => copyActivations(pre, width, 0, s.n, model, x));
      references.set(model, (r = ckaReference(x, s.n, h)));
    }
    return r;
  };
  let jsInputs: ExactInputs | null = null;
  const exactOf = (width: number, h: number): { ei: ExactInputs; engine: ExactEngine | null } => {
    if (ks) {
      const engine = engineOf(ks, s, width, h);
      return { ei: ks.ei!, engine };
    }
    return { ei: (jsInputs ??= exactInputs(s, s.scale)), engine: null };
  };
  const measureOne = (probed: ProbedModel, reference?: DenseModel, options: MeasureOptions = {}): Measurement => {
    const ref = reference ? referenceOf(reference) : null;
    const models = Array.isArray(probed) ? probed : [probed];
    // Per-batch models: batch b of the test set runs through models[b] only.
    const size = Array.isArray(probed) ? TEST_BATCH : Math.max(1, s.n);
    const parts = testBatchCount(s.n, size);
    if (Array.isArray(probed) && probed.length !== parts) {
      throw new UserError(`a per-batch evaluation needs ${parts} models (one per test batch of ${TEST_BATCH}), got ${probed.length}`);
    }
    for (const model of models) {
      checkModel(s, model);
      if (ref && model.layers[0].shape[1] !== ref.h) throw new UserError(`CKA needs the same hidden width as the original (${ref.h}), got ${model.layers[0].shape[1]}`);
    }
    const h = models[0].layers[0].shape[1];
    const width = Math.ceil(h / KERNEL_BLOCK) * KERNEL_BLOCK;
    // The engine's buffers first (the exact first layer, the float32 route for mostly zero weights):
    // making them may grow the kernel memory, and views made before would be detached.
    if (ks) engineOf(ks, s, width, h);
    const ex = options.exact && models.every((m) => m.layers[0].shape[1] === h) ? exactOf(width, h) : null;
    const useExact = ex !== null && exactShape(models);
    // CKA moments in the kernel, straight from its output (ReLU hidden layers, width a multiple of 8), else streamed in JS.
    const inKernel = ref && ks && ref.h % 8 === 0 && models.every((m) => m.layers[0].activation === 'relu') ? ckaMoments(ks, s, ref) : null;
    const acc = ref && !inKernel ? new CkaAccumulator(ref) : null;
    const exactPred = useExact ? new Uint8Array(s.n) : null;
    let correct = 0;
    for (let b = 0; b < parts; b++) {
      const start = b * size;
      const count = Math.min(size, s.n - start);
      const model = models[b];
      const onHidden = inKernel
        ? (_pre: Float32Array, width: number) => inKernel.add(start, count, width)
        : acc ? (pre: Float32Array, width: number) => feedCka(acc, pre, width, start, count, model) : undefined;
      if (useExact) {
        try {
          exactForward(s, ks, ex!, model, reference ?? null, width, start, count, parts === 1 ? -1 : b, onHidden, exactPred!);
        } catch (e) {
          // Weights beyond the grid's range (checked before a part does any work): the float32 path, from the start.
          if (e instanceof OutsideGrid) return measureOne(probed, reference, {});
          throw e;
        }
        continue;
      }
      const pred = forward(s, ks, model, start, count, onHidden);
      for (let k = 0; k < count; k++) if (pred[k] === s.labels[start + k]) correct++;
    }
    if (exactPred) for (let k = 0; k < s.n; k++) if (exactPred[k] === s.labels[k]) correct++;
    const cka = inKernel ? inKernel.value() : acc?.value();
    return { accuracy: s.n === 0 ? 0 : correct / s.n, ...(cka !== undefined ? { cka } : {}) };
  };
  return {
    n: s.n,
    kernel: ks ? 'wasm-simd' : 'js',
    measure: (models, reference, options) => models.map((m) => measureOne(m, reference, options)),
    accuracy: (model) => accuracyOf(forward(s, ks, model, 0, s.n)),
    accuracies: (models) => models.map((m) => accuracyOf(forward(s, ks, m, 0, s.n))),
    predict: (model) => forward(s, ks, model, 0, s.n),
  };
}

/** Consecutive blocks of `size` images as self-contained SparseInputs (their own CSR offsets). */
export function splitSparse(s: SparseInputs, size: number): { s: SparseInputs; start: number }[] {
  if (s.n === 0) return [{ s, start: 0 }];
  const out: { s: SparseInputs; start: number }[] = [];
  for (let start = 0; start < s.n; start += size) {
    const end = Math.min(s.n, start + size);
    const e0 = s.rowPtr[start];
    const e1 = s.rowPtr[end];
    const rowPtr = Uint32Array.from(s.rowPtr.subarray(start, end + 1), (p) => p - e0);
    out.push({
      start,
      s: {
        n: end - start, d: s.d, rowPtr, col: s.col.subarray(e0, e1), val: s.val.subarray(e0, e1), q: s.q.subarray(e0, e1),
        baseX: s.baseX, scale: s.scale, labels: s.labels.subarray(start, end),
      },
    });
  }
  return out;
}

/** Activations of the first layer (its own activation applied) of images [0, count), written to out at row `start`. */
function copyActivations(pre: Float32Array, width: number, start: number, count: number, model: DenseModel, out: Float32Array): void {
  const h = model.layers[0].shape[1];
  const act = model.layers[0].activation;
  for (let r = 0; r < count; r++) {
    const row = out.subarray((start + r) * h, (start + r + 1) * h);
    row.set(pre.subarray(r * width, r * width + h));
    activateInPlace(row, h, act);
  }
}

const scratch = { row: new Float32Array(0) };
function feedCka(acc: CkaAccumulator, pre: Float32Array, width: number, start: number, count: number, model: DenseModel): void {
  const h = model.layers[0].shape[1];
  if (scratch.row.length < h) scratch.row = new Float32Array(h);
  const row = scratch.row;
  const act = model.layers[0].activation;
  for (let r = 0; r < count; r++) {
    for (let j = 0; j < h; j++) row[j] = pre[r * width + j];
    activateInPlace(row, h, act);
    acc.add(start + r, row, 0);
  }
}

function checkModel(s: SparseInputs, model: DenseModel): void {
  if (!model.layers || model.layers.length === 0) throw new UserError('model has no dense layers');
  const first = model.layers[0];
  if (first.shape[0] !== s.d) {
    throw new UserError(`layer '${first.name}' expects ${first.shape[0]} inputs but the images have ${s.d} pixels`);
  }
  for (let k = 0; k < model.layers.length; k++) {
    const l = model.layers[k];
    if (l.weights.length !== l.shape[0] * l.shape[1] || (l.bias && l.bias.length !== l.shape[1])) {
      throw new UserError(`layer '${l.name}': weights or bias do not match its shape [${l.shape.join(', ')}]`);
    }
    if (k > 0 && l.shape[0] !== model.layers[k - 1].shape[1]) {
      throw new UserError(`layer '${model.layers[k].name}' expects ${model.layers[k].shape[0]} inputs but '${model.layers[k - 1].name}' gives ${model.layers[k - 1].shape[1]}`);
    }
  }
}

/** b + Σ_i x(m_i)·W_i for the first layer, in float64 then rounded once (the kernel's `fold` does the same in WASM). */
function foldedBias(s: SparseInputs, layer: LayerRecord): Float64Array {
  const h = layer.shape[1];
  const W = layer.weights;
  const acc = new Float64Array(h);
  if (layer.bias) acc.set(layer.bias);
  for (let i = 0; i < s.d; i++) {
    const x = s.baseX[i];
    if (x === 0) continue;
    const base = i * h;
    for (let j = 0; j < h; j++) acc[j] += x * W[base + j];
  }
  return acc;
}

/**
 * Where the evaluator keeps the test set and its working buffers in the WASM kernel's memory: one
 * memory for the whole test set (a test batch is a range of the identity row list, so per-batch
 * models need no copies of the images), then the buffers of the current layout (byte addresses).
 */
interface KernelState {
  kernel: SpmmKernel;
  /** The identity row list 0..n−1 (image k of the test set is row k). */
  rows: number;
  rowPtr: number;
  col: number;
  val: number;
  baseX: number;
  /** First free byte after the test set (16-aligned). */
  dynamic: number;
  layout: Layout | null;
  /** delta-kernel.ts on the same memory: the branch-free head. */
  delta: DeltaKernel | null;
  /** The exact first layer's engine (delta-eval.ts) on this memory, made with the layout it sits after. */
  engine: ExactEngine | null;
  engineLayout: Layout | null;
  ei: ExactInputs | null;
}

/** Buffers for a first layer of `width` padded floats and h hidden units. */
interface Layout {
  width: number;
  h: number;
  /** Padded weights [d, width] f32, the folded bias f32 and its float64 accumulator, the output [n, width] f32. */
  w: number;
  bias: number;
  fold: number;
  out: number;
  /** CKA: the reference's centred activations [n, h] f64, the moments Yᵀ Xc, Yᵀ Y [h, h] f64, Σ y [h] f64, one widened row [h] f64. */
  xc: number;
  yx: number;
  yy: number;
  sum: number;
  row: number;
  /** The head kernel's weights and bias (float64 pairs) and its output (four float64s an image). */
  headIn: number;
  headOut: number;
  /** The reference whose activations are in xc. */
  loaded: CkaReference | null;
  /** First free byte after these buffers. */
  end: number;
}

function align16(x: number): number {
  return Math.ceil(x / 16) * 16;
}

/** Copy the sparse test set into a fresh kernel's memory; null where WebAssembly SIMD is unavailable. */
function kernelFor(s: SparseInputs): KernelState | null {
  const rows = 0;
  const rowPtr = align16(rows + s.n * 4);
  const col = align16(rowPtr + s.rowPtr.byteLength);
  const val = align16(col + s.col.byteLength);
  const baseX = align16(val + s.val.byteLength);
  const dynamic = align16(baseX + s.d * 4);
  const kernel = loadSpmmKernel(dynamic + (1 << 20));
  if (!kernel) return null;
  const buf = kernel.memory.buffer;
  const identity = new Uint32Array(buf, rows, s.n);
  for (let k = 0; k < s.n; k++) identity[k] = k;
  new Uint32Array(buf, rowPtr, s.rowPtr.length).set(s.rowPtr);
  new Uint32Array(buf, col, s.col.length).set(s.col);
  new Float32Array(buf, val, s.val.length).set(s.val);
  new Float32Array(buf, baseX, s.d).set(s.baseX);
  return { kernel, rows, rowPtr, col, val, baseX, dynamic, layout: null, delta: loadDeltaKernel(kernel.memory), engine: null, engineLayout: null, ei: null };
}

/**
 * The engine of delta-eval.ts for this width's layout (made, and the memory grown, on first use:
 * call it before making views of the memory). Null for a layout of another hidden width.
 */
function engineOf(ks: KernelState, s: SparseInputs, width: number, h: number): ExactEngine | null {
  const L = layoutOf(ks, s, width, ks.layout?.width === width ? ks.layout.h : h);
  if (ks.engineLayout !== L) {
    ks.ei ??= exactInputs(s, s.scale);
    const spmm = width % WIDE_BLOCK === 0 ? ks.kernel.spmmWide : ks.kernel.spmm;
    const host = { memory: ks.kernel.memory, s, rows: ks.rows, rowPtr: ks.rowPtr, col: ks.col, spmm, w: L.w, out: L.out, width, h: L.h, free: L.end };
    ks.engine = ExactEngine.create(host, ks.ei, TEST_BATCH);
    ks.engineLayout = L;
  }
  return L.h === h ? ks.engine : null;
}

/** The buffers for this width and h (made, and the memory grown, on first use or when they change). */
function layoutOf(ks: KernelState, s: SparseInputs, width: number, h: number): Layout {
  if (ks.layout && ks.layout.width === width && ks.layout.h === h) return ks.layout;
  const w = ks.dynamic;
  const bias = align16(w + s.d * width * 4);
  const fold = align16(bias + width * 4);
  const out = align16(fold + width * 8);
  const xc = align16(out + s.n * width * 4);
  const yx = align16(xc + s.n * h * 8);
  const yy = align16(yx + h * h * 8);
  const sum = align16(yy + h * h * 8);
  const row = align16(sum + h * 8);
  const headIn = align16(row + h * 8);
  const headOut = align16(headIn + (2 * h + 2) * 8);
  const need = align16(headOut + s.n * 32);
  const mem = ks.kernel.memory;
  if (need > mem.buffer.byteLength) mem.grow(Math.ceil((need - mem.buffer.byteLength) / 65536));
  return (ks.layout = { width, h, w, bias, fold, out, xc, yx, yy, sum, row, headIn, headOut, loaded: null, end: need });
}

/** CKA moments accumulated by the kernel's ckaAdd over the test batches of one evaluation. */
function ckaMoments(ks: KernelState, s: SparseInputs, ref: CkaReference): { add(start: number, count: number, width: number): void; value(): number } {
  const h = ref.h;
  const width = Math.ceil(h / KERNEL_BLOCK) * KERNEL_BLOCK;
  const L = layoutOf(ks, s, width, h);
  const buf = ks.kernel.memory.buffer;
  if (L.loaded !== ref) {
    new Float64Array(buf, L.xc, s.n * h).set(ref.xc);
    L.loaded = ref;
  }
  const yx = new Float64Array(buf, L.yx, h * h);
  const yy = new Float64Array(buf, L.yy, h * h);
  const sum = new Float64Array(buf, L.sum, h);
  yx.fill(0);
  yy.fill(0);
  sum.fill(0);
  let seen = 0;
  return {
    add(start, count, w) {
      if (w !== width || ks.layout !== L) throw new Error('CKA moments: the kernel layout changed during an evaluation');
      ks.kernel.ckaAdd(count, L.out, width * 4, L.xc + start * h * 8, h, L.yx, L.yy, L.sum, L.row);
      seen += count;
    },
    value() {
      if (seen !== s.n) throw new Error(`CKA needs all ${s.n} images, got ${seen}`);
      return ckaFromMoments(ref, yx, yy, sum);
    },
  };
}

/**
 * First-layer pre-activations of images [start, start + count): row r of the result holds image
 * start + r's h₀ values, padded to `width` (a multiple of KERNEL_BLOCK) floats.
 */
function firstLayer(s: SparseInputs, ks: KernelState | null, layer: LayerRecord, width: number, start: number, count: number): Float32Array {
  const d = s.d;
  const h = layer.shape[1];
  const fillWeights = (W: Float32Array): void => {
    if (h === width) W.set(layer.weights);
    else {
      W.fill(0); // padding columns
      for (let i = 0; i < d; i++) W.set(layer.weights.subarray(i * h, (i + 1) * h), i * width);
    }
  };
  if (ks) {
    const engine = engineOf(ks, s, width, h);
    // Any layout of this width serves (its h only sizes the CKA buffers, which an evaluation with CKA set up).
    const L = layoutOf(ks, s, width, ks.layout?.width === width ? ks.layout.h : h);
    const buf = ks.kernel.memory.buffer;
    fillWeights(new Float32Array(buf, L.w, d * width));
    // Folded bias in the kernel (float64, the same order as foldedBias), rounded once to float32.
    const fold = new Float64Array(buf, L.fold, width);
    fold.fill(0);
    if (layer.bias) fold.set(layer.bias);
    ks.kernel.fold(d, ks.baseX, L.w, width * 4, L.fold, 0, 0, 0, 0);
    new Float32Array(buf, L.bias, width).set(fold);
    // The same sums either way: the wide kernel loads each entry's index and value half as often;
    // for mostly zero weights (pruned ≥ 90 %) the engine adds only the non-zero ones (the others add nothing).
    const part = start === 0 && count === s.n ? -1 : start % TEST_BATCH === 0 && count === Math.min(TEST_BATCH, s.n - start) ? start / TEST_BATCH : null;
    if (engine && part !== null && mostlyZero(layer.weights)) {
      engine.sparseFloat32(start, start + count, part, L.bias, L.w);
    } else {
      const spmm = width % WIDE_BLOCK === 0 ? ks.kernel.spmmWide : ks.kernel.spmm;
      spmm(count, ks.rows + start * 4, ks.rowPtr, ks.col, ks.val, L.w, width * 4, L.bias, L.out);
    }
    return new Float32Array(buf, L.out, count * width);
  }
  // Plain JS fallback: the same computation, one scalar multiply-add at a time.
  const W = new Float32Array(d * width);
  fillWeights(W);
  const bias = new Float32Array(width);
  bias.set(foldedBias(s, layer));
  const out = new Float32Array(count * width);
  const { rowPtr, col, val } = s;
  for (let r = 0; r < count; r++) {
    const a = r * width;
    out.set(bias, a);
    const end = rowPtr[start + r + 1];
    for (let e = rowPtr[start + r]; e < end; e++) {
      const v = val[e];
      const base = col[e] * width;
      for (let j = 0; j < width; j++) out[a + j] += v * W[base + j];
    }
  }
  return out;
}

/**
 * Predicted class of test images [start, start + count); `onHidden` sees the first layer's
 * pre-activations (rows padded to `width`).
 */
function forward(s: SparseInputs, ks: KernelState | null, model: DenseModel, start: number, count: number, onHidden?: (pre: Float32Array, width: number) => void): Uint8Array {
  checkModel(s, model);
  const width = Math.ceil(model.layers[0].shape[1] / KERNEL_BLOCK) * KERNEL_BLOCK;
  const pre = firstLayer(s, ks, model.layers[0], width, start, count);
  onHidden?.(pre, width);
  const pred = new Uint8Array(count);
  if (ks && headKernel(ks, model, width, count, pred)) return pred;
  if (twoLayerRelu(model, pre, width, pred)) return pred;
  const rest = restOf(model);
  for (let img = 0; img < count; img++) pred[img] = rest(pre, img * width);
  return pred;
}

/**
 * The exact first layer (delta-eval.ts) of images [start, start + count) through `model`, then its
 * head: predictions into pred[start …], certified to be the float32 path's (the few images within
 * rounding of a tie recomputed the float32 way). `base`: the unprobed model the probe started
 * from (its sums are where most routes start). `onHidden` sees the pre-activations, as in forward.
 */
function exactForward(
  s: SparseInputs, ks: KernelState | null, ex: { ei: ExactInputs; engine: ExactEngine | null }, model: DenseModel, base: DenseModel | null,
  width: number, start: number, count: number, part: number, onHidden: ((pre: Float32Array, width: number) => void) | undefined, pred: Uint8Array,
): void {
  const layer = model.layers[0];
  const h = layer.shape[1];
  const predictRows = (pre: Float32Array, w: number, out: Uint8Array) => void twoLayerRelu(model, pre, w, out);
  if (ks && ex.engine) {
    const L = layoutOf(ks, s, width, ks.layout?.width === width ? ks.layout.h : h);
    const buf = ks.kernel.memory.buffer;
    fillPadded(new Float32Array(buf, L.w, s.d * width), layer, width);
    const fold = new Float64Array(buf, L.fold, width);
    fold.fill(0);
    if (layer.bias) fold.set(layer.bias);
    ks.kernel.fold(s.d, ks.baseX, L.w, width * 4, L.fold, 0, 0, 0, 0);
    const cols = ex.engine.preActivations(start, start + count, L.fold, base ? base.layers[0].weights : null, part);
    const pre = new Float32Array(buf, L.out, count * width);
    onHidden?.(pre, width);
    const engine = ex.engine;
    // The float32 path's pre-activations of a few images: its float32 bias f32(fold), its spmm over their rows.
    const float32Rows = (images: number[]): Float32Array => {
      new Float32Array(buf, L.bias, width).set(new Float64Array(buf, L.fold, width));
      const spmm = width % WIDE_BLOCK === 0 ? ks.kernel.spmmWide : ks.kernel.spmm;
      spmm(images.length, engine.imageList(images), ks.rowPtr, ks.col, ks.val, L.w, width * 4, L.bias, engine.fallbackRows);
      return new Float32Array(buf, engine.fallbackRows, images.length * width);
    };
    engine.counters.recomputed += certifiedPredictions(pre, width, start, count, model, new Float64Array(buf, L.fold, width), cols, ex.ei, float32Rows, pred, predictRows, engine.headSums);
    return;
  }
  // Plain JS: the same numbers, one scalar at a time.
  const cols = columnStats(layer, width);
  checkGrid(cols, ex.ei);
  const fold = foldedBias(s, layer);
  const pre = exactFirstLayerJs(s, ex.ei, layer, fold, width, start, count);
  // CKA in the kernel (if any) reads the pre-activations where firstLayer leaves them
  if (ks) new Float32Array(ks.kernel.memory.buffer, layoutOf(ks, s, width, ks.layout?.width === width ? ks.layout.h : h).out, count * width).set(pre);
  onHidden?.(pre, width);
  const float32Rows = (images: number[]): Float32Array => {
    const out = new Float32Array(images.length * width);
    images.forEach((img, k) => out.set(firstLayer(s, null, layer, width, img, 1), k * width));
    return out;
  };
  certifiedPredictions(pre, width, start, count, model, fold, cols, ex.ei, float32Rows, pred, predictRows);
}

/** A first layer's weights as padded rows of `width` floats (zeros in the padding). */
function fillPadded(W: Float32Array, layer: LayerRecord, width: number): void {
  const h = layer.shape[1];
  if (h === width) W.set(layer.weights);
  else {
    W.fill(0);
    for (let i = 0; i < layer.shape[0]; i++) W.set(layer.weights.subarray(i * h, (i + 1) * h), i * width);
  }
}

/** Whether a weight array is mostly zeros (≤ 10 % non-zero, judged on every 7th weight): sparseFloat32 then beats the dense rows. */
function mostlyZero(w: Float32Array): boolean {
  let nonZero = 0;
  let seen = 0;
  for (let i = 0; i < w.length; i += 7, seen++) if (w[i] !== 0) nonZero++;
  return nonZero * 10 <= seen;
}

/**
 * twoLayerRelu by the kernel's head (delta-kernel.ts `head`): the same logits bit for bit, without
 * the branch on each hidden unit (a coin toss for the predictor). The pre-activations are at the
 * layout's `out` (firstLayer's result). False for other shapes.
 */
function headKernel(ks: KernelState, model: DenseModel, width: number, count: number, pred: Uint8Array): boolean {
  if (!ks.delta || !ks.layout || ks.layout.width !== width || model.layers.length !== 2 || model.layers[0].activation !== 'relu') return false;
  const second = model.layers[1];
  const c = second.shape[1];
  if (c > 2 || second.activation === 'relu') return false;
  const h = second.shape[0];
  const L = ks.layout;
  const buf = ks.kernel.memory.buffer;
  const w01 = new Float64Array(buf, L.headIn, 2 * h + 2);
  const W = second.weights;
  for (let j = 0; j < h; j++) {
    w01[2 * j] = W[c * j];
    w01[2 * j + 1] = c === 2 ? W[2 * j + 1] : 0;
  }
  w01[2 * h] = second.bias ? second.bias[0] : 0;
  w01[2 * h + 1] = c === 2 && second.bias ? second.bias[1] : 0;
  // aux (the exact path's bound sums) unused here: the weights again
  ks.delta.head(count, L.out, width * 4, h, L.headIn, L.headIn, L.headIn + 16 * h, L.headOut);
  const z = new Float64Array(buf, L.headOut, 4 * count);
  if (c === 2) for (let k = 0; k < count; k++) pred[k] = z[4 * k + 1] > z[4 * k] ? 1 : 0;
  else for (let k = 0; k < count; k++) pred[k] = z[4 * k] > 0 ? 1 : 0;
  return true;
}

/**
 * Fast path for the study's shape, hidden ReLU layer → 1 or 2 outputs: the second layer and the
 * prediction rule inlined with the logits in locals (the generic path spent ~40 % of the time here).
 * Returns false for other shapes.
 */
function twoLayerRelu(model: DenseModel, pre: Float32Array, width: number, pred: Uint8Array): boolean {
  if (model.layers.length !== 2 || model.layers[0].activation !== 'relu') return false;
  const second = model.layers[1];
  const c = second.shape[1];
  if (c > 2 || second.activation === 'relu') return false;
  const h = second.shape[0];
  const W = second.weights;
  const b0 = second.bias ? second.bias[0] : 0;
  const n = pred.length;
  if (c === 2) {
    const b1 = second.bias ? second.bias[1] : 0;
    for (let img = 0; img < n; img++) {
      const o = img * width;
      let z0 = b0;
      let z1 = b1;
      for (let j = 0; j < h; j++) {
        const x = pre[o + j];
        if (x > 0) {
          z0 += x * W[2 * j];
          z1 += x * W[2 * j + 1];
        }
      }
      pred[img] = z1 > z0 ? 1 : 0;
    }
  } else {
    for (let img = 0; img < n; img++) {
      const o = img * width;
      let z = b0;
      for (let j = 0; j < h; j++) {
        const x = pre[o + j];
        if (x > 0) z += x * W[j];
      }
      pred[img] = z > 0 ? 1 : 0;
    }
  }
  return true;
}

/**
 * The part of a model after the first layer's pre-activation: activation, later dense layers, and
 * the prediction rule. Returns a function of (pre-activations, offset) → class, with its own
 * scratch buffers; everything per layer is looked up once here, not per image.
 */
function restOf(model: DenseModel): (pre: Float32Array, offset: number) => number {
  const L = model.layers.length;
  const widths = model.layers.map((l) => l.shape[1]);
  const weights = model.layers.map((l) => l.weights);
  const biases = model.layers.map((l) => l.bias);
  const acts = model.layers.map((l, k) => (k < L - 1 || l.activation === 'relu' ? l.activation : undefined));
  const bufs = widths.map((w) => new Float32Array(w));
  return (pre, offset) => {
    const h0 = widths[0];
    const a0 = bufs[0];
    if (acts[0] === 'relu') {
      for (let j = 0; j < h0; j++) {
        const x = pre[offset + j];
        a0[j] = x > 0 ? x : 0;
      }
    } else {
      for (let j = 0; j < h0; j++) a0[j] = pre[offset + j];
      activateInPlace(a0, h0, acts[0]);
    }
    let v = a0;
    for (let k = 1; k < L; k++) {
      const r = widths[k - 1];
      const c = widths[k];
      const W = weights[k];
      const b = biases[k];
      const out = bufs[k];
      for (let j = 0; j < c; j++) out[j] = b ? b[j] : 0;
      for (let i = 0; i < r; i++) {
        const x = v[i];
        if (x === 0) continue;
        const base = i * c;
        for (let j = 0; j < c; j++) out[j] += x * W[base + j];
      }
      activateInPlace(out, c, acts[k]);
      v = out;
    }
    return classOfLogits(v, 0, widths[L - 1]);
  };
}
