/**
 * A tiny WebAssembly SIMD module for the sparse first layer, built from bytes at load time: no
 * toolchain, no file to ship, and it runs in Node and the browser. Two sparse-product functions
 * (and `adam`, the sparse training engine's fused optimiser step: see adamBody; `fold` and `ckaAdd`,
 * the evaluator's folded bias and CKA moments in float64: see foldBody, ckaAddBody):
 *
 *   spmm(n, rows, rowPtr, col, val, W, rowBytes, bias, out)       (forward)
 *     for r < n, image k = rows[r]:   out[r] = bias + Σ_{e in row k} val[e] · W[col[e]]
 *   sgrad(n, rows, rowPtr, col, val, G, rowBytes, delta, 0)       (weight gradient; last argument unused)
 *     for r < n, image k = rows[r]:   G[col[e]] += val[e] · delta[r]   for every e in row k
 *
 * `rows` lists which CSR rows (images) to use, so a shuffled mini-batch needs no copy. Each W, G,
 * out and delta row is rowBytes bytes, a multiple of 4·KERNEL_BLOCK (widths are padded); all
 * addresses are byte offsets into the module's imported memory. Both keep a block of KERNEL_BLOCK
 * floats in four f32x4 registers and sweep the row's entries over it, so each entry costs one
 * weight-row block load and four multiply-adds.
 *
 * Plain JS scalar loops reach ~0.5 G multiply-adds/s on the development machine; this kernel ~8–9 G
 * (docs/performance-model.md). Where WebAssembly SIMD is missing, `loadSpmmKernel` returns null and
 * callers use JS loops.
 */
import { wasmMemory } from '../core/bounds.js';
import { wasmModuleOnce } from '../core/wasm.js';

const I32 = 0x7f;
const V128 = 0x7b;
const EMPTY = 0x40;

/** Unsigned LEB128, WebAssembly's encoding of sizes and indices (also used by probes/noise-kernel.ts). */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (constants). */
export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function name(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
}

// Instructions used by the kernels.
const get = (i: number) => [0x20, ...uleb(i)];
const set = (i: number) => [0x21, ...uleb(i)];
const i32c = (v: number) => [0x41, ...sleb(v)];
const add = [0x6a];
const mul = [0x6c];
const geU = [0x4f];
const ltU = [0x49];
const i32Load = [0x28, 2, 0];
const f32Load = [0x2a, 2, 0];
const f32x4Splat = [0xfd, 0x13];
const f32x4Add = [0xfd, ...uleb(228)];
const f32x4Mul = [0xfd, ...uleb(230)];
const block = [0x02, EMPTY];
const loop = [0x03, EMPTY];
const end = [0x0b];
const br = (d: number) => [0x0c, ...uleb(d)];
const brIf = (d: number) => [0x0d, ...uleb(d)];
const loadAt = (off: number) => [0xfd, 0x00, 4, ...uleb(off)];
const storeAt = (off: number) => [0xfd, 0x0b, 4, ...uleb(off)];

/** Floats per register block: the kernels keep KERNEL_BLOCK/4 v128 values in locals. */
export const KERNEL_BLOCK = 16;
const REGS = KERNEL_BLOCK / 4;

// Parameters (both functions: n, rows, rowPtr, col, val, W-or-G, rowBytes, then bias+out or delta).
const N = 0, ROWS = 1, ROWPTR = 2, COL = 3, VAL = 4, W = 5, ROWBYTES = 6, P7 = 7, P8 = 8;
// Locals after the (up to) 9 parameters.
const R = 9, E = 10, END = 11, DST = 12, WROW = 13, C = 14, E0 = 15, V = 16, A = 17;
const regs = Array.from({ length: REGS }, (_, r) => r);

/** Shared prologue of a row: e0/end of image rows[r], and dst = base + r·rowBytes. */
function rowSetup(base: number): number[] {
  return [
    ...get(base), ...get(R), ...get(ROWBYTES), ...mul, ...add, ...set(DST),
    // WROW is scratch here: the address of rowPtr[rows[r]]
    ...get(ROWPTR), ...get(ROWS), ...get(R), ...i32c(4), ...mul, ...add, ...i32Load, ...i32c(4), ...mul, ...add, ...set(WROW),
    ...get(WROW), ...i32Load, ...set(E0),
    ...get(WROW), ...i32c(4), ...add, ...i32Load, ...set(END),
  ];
}

/** v = splat(val[e]); wRow = W + col[e]·rowBytes + c */
const entrySetup = [
  ...get(VAL), ...get(E), ...i32c(4), ...mul, ...add, ...f32Load, ...f32x4Splat, ...set(V),
  ...get(W), ...get(COL), ...get(E), ...i32c(4), ...mul, ...add, ...i32Load, ...get(ROWBYTES), ...mul, ...add, ...get(C), ...add, ...set(WROW),
];

/** for r < n { setup; for c in blocks { pre; for e in row { entry } post } } */
function rowsLoop(setup: number[], pre: number[], entry: number[], post: number[]): number[] {
  return [
    ...i32c(0), ...set(R),
    ...block, ...loop,
    ...get(R), ...get(N), ...geU, ...brIf(1),
    ...setup,
    ...i32c(0), ...set(C),
    ...loop,
    ...pre,
    ...get(E0), ...set(E),
    ...block, ...loop,
    ...get(E), ...get(END), ...geU, ...brIf(1),
    ...entrySetup,
    ...entry,
    ...get(E), ...i32c(1), ...add, ...set(E),
    ...br(0),
    ...end, ...end,
    ...post,
    ...get(C), ...i32c(KERNEL_BLOCK * 4), ...add, ...set(C),
    ...get(C), ...get(ROWBYTES), ...ltU, ...brIf(0),
    ...end,
    ...get(R), ...i32c(1), ...add, ...set(R),
    ...br(0),
    ...end, ...end,
  ];
}

function spmmBody(): number[] {
  const BIAS = P7, OUT = P8;
  return rowsLoop(
    rowSetup(OUT),
    // registers ← bias[c ..]
    regs.flatMap((r) => [...get(BIAS), ...get(C), ...add, ...loadAt(16 * r), ...set(A + r)]),
    // registers += v · W[col[e]][c ..]
    regs.flatMap((r) => [...get(A + r), ...get(V), ...get(WROW), ...loadAt(16 * r), ...f32x4Mul, ...f32x4Add, ...set(A + r)]),
    // out[r][c ..] ← registers
    regs.flatMap((r) => [...get(DST), ...get(C), ...add, ...get(A + r), ...storeAt(16 * r)]),
  );
}

/** Floats per register block of spmmWide (rows a multiple of it): twice spmm's, so each entry's index and value are loaded half as often. */
export const WIDE_BLOCK = 2 * KERNEL_BLOCK;

/**
 * spmmWide: spmm for rows of a multiple of WIDE_BLOCK floats, WIDE_BLOCK/4 accumulators, entries
 * walked by byte offset. The same products added in the same order for every output (bias, then the
 * row's entries in order), so the same bits as spmm.
 */
function spmmWideBody(): number[] {
  const BIAS = P7, OUT = P8;
  // Locals: rowSetup's R … E0 (9–15), then WC = W + c (16); the entry's value and the accumulators (v128).
  const WC = 16, V1 = 17, ACC = 18;
  const wide = Array.from({ length: WIDE_BLOCK / 4 }, (_, r) => r);
  return [
    ...i32c(0), ...set(R),
    ...block, ...loop,
    ...get(R), ...get(N), ...geU, ...brIf(1),
    ...rowSetup(OUT),
    // entries as byte offsets [4·e0, 4·end)
    ...get(E0), ...i32c(4), ...mul, ...set(E0),
    ...get(END), ...i32c(4), ...mul, ...set(END),
    ...i32c(0), ...set(C),
    ...loop,
    ...get(W), ...get(C), ...add, ...set(WC),
    ...wide.flatMap((r) => [...get(BIAS), ...get(C), ...add, ...loadAt(16 * r), ...set(ACC + r)]),
    ...get(E0), ...set(E),
    // accumulators += val[e] · W[col[e]][c ..] for the row's entries in order (two a step measured no faster)
    ...block, ...loop,
    ...get(E), ...get(END), ...geU, ...brIf(1),
    ...get(VAL), ...get(E), ...add, ...f32Load, ...f32x4Splat, ...set(V1),
    ...get(COL), ...get(E), ...add, ...i32Load, ...get(ROWBYTES), ...mul, ...get(WC), ...add, ...set(WROW),
    ...wide.flatMap((r) => [...get(ACC + r), ...get(V1), ...get(WROW), ...loadAt(16 * r), ...f32x4Mul, ...f32x4Add, ...set(ACC + r)]),
    ...get(E), ...i32c(4), ...add, ...set(E),
    ...br(0),
    ...end, ...end,
    ...wide.flatMap((r) => [...get(DST), ...get(C), ...add, ...get(ACC + r), ...storeAt(16 * r)]),
    ...get(C), ...i32c(WIDE_BLOCK * 4), ...add, ...set(C),
    ...get(C), ...get(ROWBYTES), ...ltU, ...brIf(0),
    ...end,
    ...get(R), ...i32c(1), ...add, ...set(R),
    ...br(0),
    ...end, ...end,
  ];
}

function sgradBody(): number[] {
  const DELTA = P7;
  return rowsLoop(
    rowSetup(DELTA),
    // registers ← delta[r][c ..]
    regs.flatMap((r) => [...get(DST), ...get(C), ...add, ...loadAt(16 * r), ...set(A + r)]),
    // G[col[e]][c ..] += v · registers
    regs.flatMap((r) => [...get(WROW), ...get(WROW), ...loadAt(16 * r), ...get(V), ...get(A + r), ...f32x4Mul, ...f32x4Add, ...storeAt(16 * r)]),
    [],
  );
}

function functionBody(code: number[], locals: number[] = [2, 7, I32, 1 + REGS, V128]): number[] {
  const func = [...locals, ...code, ...end];
  return [...uleb(func.length), ...func];
}

const F32 = 0x7d;
const f32c = (x: number) => [0x43, ...new Uint8Array(new Float32Array([x]).buffer)];
const f32x4Sub = [0xfd, ...uleb(229)];
const f32x4Div = [0xfd, ...uleb(231)];
const f32x4Sqrt = [0xfd, ...uleb(227)];

/**
 * adam(P, G, M, V, bx, cs, fold, rows, rowBytes, a, b): one Adam step of the first layer's padded
 * [rows, rowBytes/4] weights, fused with what surrounds it so the 50k-float arrays are swept once:
 *   g = G + bx[i]·cs          (the dense rank-one part of the gradient: input mode × Σ_r δ_r)
 *   G ← 0                     (ready for the next batch's sparse gradient)
 *   M ← β₁M + (1−β₁)g,  V ← β₂V + (1−β₂)g²,  P ← P − a·M / (√(b·V) + ε)   (a = lr/c₁, b = 1/c₂)
 *   fold += bx[i]·P           (Σ_i x(m_i)·W_i, the part of the next batch's folded bias)
 */
function adamBody(): number[] {
  const P = 0, G = 1, M = 2, Vv = 3, BX = 4, CS = 5, FOLD = 6, ROWS = 7, RB = 8, AS = 9, BS = 10;
  const I = 11, O = 12, Cc = 13;
  const X = 14, GV = 15, MV = 16, VV = 17, PV = 18, B1 = 19, B1C = 20, B2 = 21, B2C = 22, EPS = 23, AV = 24, BV = 25, ZERO = 26;
  const splatF = (x: number, to: number) => [...f32c(x), ...f32x4Splat, ...set(to)];
  const at = (base: number) => [...get(base), ...get(O), ...add];
  return [
    ...splatF(0.9, B1), ...splatF(1 - 0.9, B1C), ...splatF(0.999, B2), ...splatF(1 - 0.999, B2C), ...splatF(1e-8, EPS), ...splatF(0, ZERO),
    ...get(AS), ...f32x4Splat, ...set(AV), ...get(BS), ...f32x4Splat, ...set(BV),
    ...i32c(0), ...set(I), ...i32c(0), ...set(O),
    ...block, ...loop,
    ...get(I), ...get(ROWS), ...geU, ...brIf(1),
    ...get(BX), ...get(I), ...i32c(4), ...mul, ...add, ...f32Load, ...f32x4Splat, ...set(X),
    ...i32c(0), ...set(Cc),
    ...loop,
    // g = G + x·cs; G ← 0
    ...at(G), ...loadAt(0), ...get(X), ...get(CS), ...get(Cc), ...add, ...loadAt(0), ...f32x4Mul, ...f32x4Add, ...set(GV),
    ...at(G), ...get(ZERO), ...storeAt(0),
    // M ← β₁M + (1−β₁)g
    ...get(B1), ...at(M), ...loadAt(0), ...f32x4Mul, ...get(B1C), ...get(GV), ...f32x4Mul, ...f32x4Add, ...set(MV),
    ...at(M), ...get(MV), ...storeAt(0),
    // V ← β₂V + (1−β₂)g²
    ...get(B2), ...at(Vv), ...loadAt(0), ...f32x4Mul, ...get(B2C), ...get(GV), ...get(GV), ...f32x4Mul, ...f32x4Mul, ...f32x4Add, ...set(VV),
    ...at(Vv), ...get(VV), ...storeAt(0),
    // P ← P − a·M / (√(b·V) + ε)
    ...at(P), ...loadAt(0), ...get(AV), ...get(MV), ...f32x4Mul, ...get(BV), ...get(VV), ...f32x4Mul, ...f32x4Sqrt, ...get(EPS), ...f32x4Add, ...f32x4Div, ...f32x4Sub, ...set(PV),
    ...at(P), ...get(PV), ...storeAt(0),
    // fold += x·P
    ...get(FOLD), ...get(Cc), ...add, ...get(FOLD), ...get(Cc), ...add, ...loadAt(0), ...get(X), ...get(PV), ...f32x4Mul, ...f32x4Add, ...storeAt(0),
    ...get(O), ...i32c(16), ...add, ...set(O),
    ...get(Cc), ...i32c(16), ...add, ...set(Cc),
    ...get(Cc), ...get(RB), ...ltU, ...brIf(0),
    ...end,
    ...get(I), ...i32c(1), ...add, ...set(I),
    ...br(0),
    ...end, ...end,
  ];
}

const F64 = 0x7c;
const f32Ne = [0x5c];
const f64Load = [0x2b, 3, 0];
const f64Store = [0x39, 3, 0];
const f64Add = [0xa0];
const f64Ne = [0x62];
const f64Promote = [0xbb];
const f64Zero = [0x44, 0, 0, 0, 0, 0, 0, 0, 0];
const f32x4Pmax = [0xfd, ...uleb(235)];
const and = [0x71];
const ifThen = [0x04, EMPTY];
const f64x2Splat = [0xfd, 0x14];
const f64x2Add = [0xfd, ...uleb(240)];
const f64x2Mul = [0xfd, ...uleb(242)];
const f64x2PromoteLow = [0xfd, ...uleb(95)];
const load64Splat = (off: number) => [0xfd, 0x0a, 3, ...uleb(off)];

/**
 * fold(d, baseX, W, rowBytes, acc): acc[j] += Σ_{i < d, baseX[i] ≠ 0} baseX[i]·W[i][j] in float64,
 * for every column j of the padded [d, rowBytes/4] float32 weights (acc: rowBytes/4 float64s, holding
 * the bias on entry). The evaluator's folded bias: the same products, added in the same order (i
 * ascending per column), as its float64 JS loop, so the result is bit for bit the same. Each column
 * block keeps 8 f64x2 accumulators in locals over the whole sweep of rows.
 */
function foldBody(): number[] {
  const D = 0, BX = 1, Wt = 2, RB = 3, ACC = 4;
  const I = 9, C = 10, WROW = 11, X = 12, A0 = 13;
  const pairs = Array.from({ length: KERNEL_BLOCK / 2 }, (_, r) => r);
  return [
    ...i32c(0), ...set(C),
    ...loop,
    // accumulators ← acc[c ..] (f64 index = f32 index, so byte offset 2·c)
    ...pairs.flatMap((r) => [...get(ACC), ...get(C), ...i32c(2), ...mul, ...add, ...loadAt(16 * r), ...set(A0 + r)]),
    ...i32c(0), ...set(I),
    ...block, ...loop,
    ...get(I), ...get(D), ...geU, ...brIf(1),
    ...get(BX), ...get(I), ...i32c(4), ...mul, ...add, ...f32Load, ...set(X),
    ...get(X), ...f32c(0), ...f32Ne, ...ifThen,
    ...get(Wt), ...get(I), ...get(RB), ...mul, ...add, ...get(C), ...add, ...set(WROW),
    ...pairs.flatMap((r) => [
      ...get(A0 + r), ...get(X), ...f64Promote, ...f64x2Splat,
      ...get(WROW), ...load64Splat(8 * r), ...f64x2PromoteLow, ...f64x2Mul, ...f64x2Add, ...set(A0 + r),
    ]),
    ...end,
    ...get(I), ...i32c(1), ...add, ...set(I),
    ...br(0),
    ...end, ...end,
    ...pairs.flatMap((r) => [...get(ACC), ...get(C), ...i32c(2), ...mul, ...add, ...get(A0 + r), ...storeAt(16 * r)]),
    ...get(C), ...i32c(KERNEL_BLOCK * 4), ...add, ...set(C),
    ...get(C), ...get(RB), ...ltU, ...brIf(0),
    ...end,
  ];
}

/**
 * ckaAdd(n, Y, yRowBytes, XC, h, YX, YY, SUM, ROW): the linear-CKA moments of n images' hidden ReLU
 * activations, in float64, as CkaAccumulator.add does them (cka.ts), straight from the forward
 * kernel's output. Per image r: y = relu(Y[r][0..h)) (float32 pre-activations, rows yRowBytes
 * apart) is widened into ROW, then for every i with y_i ≠ 0:
 *   SUM[i] += y_i;   YX[i][·] += y_i·XC[r][·];   YY[i][j] += y_i·y_j for j ≥ i rounded down to a multiple of 8
 * (XC: the reference's centred activations, n × h float64; YX, YY: h × h float64; h a multiple of
 * 8). The same products summed in the same order as the JS accumulator, so the moments are bit for
 * bit the same (products with a zero y_j add nothing; YY's extra entries below the diagonal are never
 * read). Rows are updated four f64x2 (8 floats) a step.
 */
function ckaAddBody(): number[] {
  const N_ = 0, Y = 1, YRB = 2, XC = 3, H = 4, YX = 5, YY = 6, SUM = 7, ROW = 8;
  const Rr = 9, I = 10, J = 11, YROW = 12, XROW = 13, H8 = 14, T = 15, V = 16, VS = 17, ZERO = 18;
  // acc[j .. j+8) += v·src[j .. j+8) for j = j0, j0+8, … < h: four f64x2 a step (h is a multiple of 8)
  const rowUpdate = (src: number) => [
    ...loop,
    ...[0, 16, 32, 48].flatMap((o) => [
      ...get(T), ...get(J), ...add,
      ...get(T), ...get(J), ...add, ...loadAt(o), ...get(VS), ...get(src), ...get(J), ...add, ...loadAt(o), ...f64x2Mul, ...f64x2Add,
      ...storeAt(o),
    ]),
    ...get(J), ...i32c(64), ...add, ...set(J),
    ...get(J), ...get(H8), ...ltU, ...brIf(0),
    ...end,
  ];
  return [
    ...get(H), ...i32c(8), ...mul, ...set(H8),
    ...f32c(0), ...f32x4Splat, ...set(ZERO),
    ...i32c(0), ...set(Rr),
    ...block, ...loop,
    ...get(Rr), ...get(N_), ...geU, ...brIf(1),
    ...get(Y), ...get(Rr), ...get(YRB), ...mul, ...add, ...set(YROW),
    ...get(XC), ...get(Rr), ...get(H8), ...mul, ...add, ...set(XROW),
    // ROW[j] = relu(y[j]) widened to float64, two at a time; pmax(y, 0) = y < 0 ? 0 : y is activateInPlace's relu (NaN and −0 kept)
    ...i32c(0), ...set(J),
    ...loop,
    ...get(ROW), ...get(J), ...i32c(2), ...mul, ...add,
    ...get(YROW), ...get(J), ...add, ...load64Splat(0), ...get(ZERO), ...f32x4Pmax, ...f64x2PromoteLow,
    ...storeAt(0),
    ...get(J), ...i32c(8), ...add, ...set(J),
    ...get(J), ...get(H), ...i32c(4), ...mul, ...ltU, ...brIf(0),
    ...end,
    ...i32c(0), ...set(I),
    ...block, ...loop,
    ...get(I), ...get(H), ...geU, ...brIf(1),
    ...get(ROW), ...get(I), ...i32c(8), ...mul, ...add, ...f64Load, ...set(V),
    ...get(V), ...f64Zero, ...f64Ne, ...ifThen,
    // SUM[i] += v
    ...get(SUM), ...get(I), ...i32c(8), ...mul, ...add, ...set(T),
    ...get(T), ...get(T), ...f64Load, ...get(V), ...f64Add, ...f64Store,
    ...get(V), ...f64x2Splat, ...set(VS),
    // YX[i][·] += v·XC[r][·]
    ...get(YX), ...get(I), ...get(H8), ...mul, ...add, ...set(T),
    ...i32c(0), ...set(J),
    ...rowUpdate(XROW),
    // YY[i][j] += v·ROW[j] for j from i rounded down to a multiple of 8
    ...get(YY), ...get(I), ...get(H8), ...mul, ...add, ...set(T),
    ...get(I), ...i32c(-8), ...and, ...i32c(8), ...mul, ...set(J),
    ...rowUpdate(ROW),
    ...end,
    ...get(I), ...i32c(1), ...add, ...set(I),
    ...br(0),
    ...end, ...end,
    ...get(Rr), ...i32c(1), ...add, ...set(Rr),
    ...br(0),
    ...end, ...end,
  ];
}

function kernelBytes(): Uint8Array<ArrayBuffer> {
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    // one function type for both: 9 i32 parameters (sgrad ignores the last), no results
    // type 1 (adam): 9 i32 addresses and counts, 2 f32 scalars
    ...section(1, [2, 0x60, 9, ...Array(9).fill(I32), 0, 0x60, 11, ...Array(9).fill(I32), F32, F32, 0]),
    ...section(2, [1, ...name('env'), ...name('mem'), 0x02, 0x00, 1]),
    // fold and ckaAdd use type 0 too (fold ignores its last four parameters)
    ...section(3, [6, 0, 0, 1, 0, 0, 0]),
    ...section(7, [6, ...name('spmm'), 0x00, 0, ...name('sgrad'), 0x00, 1, ...name('adam'), 0x00, 2, ...name('fold'), 0x00, 3, ...name('ckaAdd'), 0x00, 4, ...name('spmmWide'), 0x00, 5]),
    ...section(10, [
      6, ...functionBody(spmmBody()), ...functionBody(sgradBody()), ...functionBody(adamBody(), [2, 3, I32, 13, V128]),
      ...functionBody(foldBody(), [3, 3, I32, 1, F32, KERNEL_BLOCK / 2, V128]),
      ...functionBody(ckaAddBody(), [3, 7, I32, 1, F64, 2, V128]),
      ...functionBody(spmmWideBody(), [2, 8, I32, 1 + WIDE_BLOCK / 4, V128]),
    ]),
  ];
  return new Uint8Array(bytes);
}

export type SpmmFn = (n: number, rows: number, rowPtr: number, col: number, val: number, w: number, rowBytes: number, bias: number, out: number) => void;
export type SgradFn = (n: number, rows: number, rowPtr: number, col: number, val: number, g: number, rowBytes: number, delta: number, unused: 0) => void;

export type FoldFn = (d: number, baseX: number, w: number, rowBytes: number, acc: number, u0: 0, u1: 0, u2: 0, u3: 0) => void;
export type CkaAddFn = (n: number, y: number, yRowBytes: number, xc: number, h: number, yx: number, yy: number, sum: number, row: number) => void;

export type AdamFn = (p: number, g: number, m: number, v: number, bx: number, cs: number, fold: number, rows: number, rowBytes: number, a: number, b: number) => void;

/** One kernel instance bound to its own growable memory. */
export interface SpmmKernel {
  memory: WebAssembly.Memory;
  spmm: SpmmFn;
  /** spmm for rows of a multiple of WIDE_BLOCK floats (spmmWideBody): the same bits. */
  spmmWide: SpmmFn;
  sgrad: SgradFn;
  /** The fused first-layer Adam step of the sparse training engine (adamBody). */
  adam: AdamFn;
  /** The evaluator's folded first-layer bias in float64 (foldBody). */
  fold: FoldFn;
  /** Linear-CKA moments of hidden ReLU activations (ckaAddBody). */
  ckaAdd: CkaAddFn;
}

const compiledKernel = wasmModuleOnce(kernelBytes);

/** Compile (once) and instantiate the kernels with a fresh memory; null where WebAssembly SIMD is unavailable. */
export function loadSpmmKernel(initialBytes: number): SpmmKernel | null {
  const compiled = compiledKernel();
  if (!compiled) return null;
  const memory = wasmMemory(initialBytes, 'the WebAssembly kernels (evaluation, sparse training)');
  const instance = new WebAssembly.Instance(compiled, { env: { mem: memory } });
  const fn = instance.exports;
  return { memory, spmm: fn.spmm as SpmmFn, spmmWide: fn.spmmWide as SpmmFn, sgrad: fn.sgrad as SgradFn, adam: fn.adam as AdamFn, fold: fn.fold as FoldFn, ckaAdd: fn.ckaAdd as CkaAddFn };
}
