/**
 * The exact first layer's WebAssembly kernels (delta-eval.ts), built from bytes at load time like
 * wasm-kernel.ts and sharing the evaluator kernel's memory (imported as env.mem). All addresses are
 * byte offsets into that memory.
 *
 * The exact first layer works in integers: a weight w is the grid integer ŵ = nearest(w · scale · 2^41)
 * and an input entry is q = p − mode (the pixel's offset from its mode, −255…255), so an image's
 * sum Σ q·ŵ is an integer below 2^53 and float64 adds it exactly, in any order and in any number of
 * steps. That is what lets one evaluation start from another's sums and add only the weights that
 * differ (delta-eval.ts); every route gives the same bits.
 *
 *   dspmm(n, r0, rowPtr, col, qf, What, rowBytes, 0, out)   out[r] = Σ_e q_e · Ŵ[col_e]           (float64 rows; exact)
 *   diff(d, rowBytes, A, B, chPtr, chJ, chD, colCount, limit, colStride, scale) → cost
 *        the entries where the float32 matrices A and B differ, row by row (CSR: chPtr[i]; chJ = j·colStride;
 *        chD = ŵ(A) − ŵ(B), zero differences left out), and their cost Σ colCount[i]; −1 once the
 *        cost passes `limit` (a cheaper route is known)
 *   scatter(d, lo, hi, cscRow, cscQ, chPtr, chJ, chD, S)
 *        S[j][r] += q · chD for every change (i, j) and every entry (r, q) of pixel i's entries [lo[i], hi[i])
 *        (the test set by pixel: cscRow = 8·r, cscQ = q as float64; S column by column, chJ its column's offset)
 *   assemble(r0, r1, S, colStride, fold, out, outRowBytes, h, unit)
 *        out[r − r0][j] = f32(fold[j] + S[j][r]·unit), j < h (float32 pre-activations from row 0, as the evaluator's spmm writes them)
 *   widen(r0, r1, D, dRowBytes, S, colStride, h, c)      S[j][r] = D[r − r0][j]·c (float32 rows → float64 columns)
 *   count(d, rowBytes, A, B, colCount, limit) → diff's cost without the list (−1 past `limit`)
 *   head(n, pre, preRowBytes, h, W01, aux, b01, out)   the two-layer head's logits and two sums for its rounding bound
 *   compact(d, rowBytes, W, wPtr, wJ, wV, colStride) → nnz   the non-zero weights as CSR
 *   scatter32(d, lo, hi, cscRow, cscVal, wPtr, wJ, wV, T)   the float32 spmm over non-zero weights only, pixel by pixel (the same bits)
 *   rows32(r0, r1, T, colStride, out, outRowBytes, h)   float32 columns to rows
 *   classify(d, rowBytes, W, out)   per column: max_i |w_ij|, Σ_i |w_ij|, non-zero count; returns 1 when every w is −1, 0 or 1
 *
 * Images are the evaluator's rows r (no row list: a test batch is a range). dspmm keeps 16 outputs
 * in registers (rowBytes a multiple of 128). Ternary weights take the evaluator's own float32 spmm
 * with q as the entries: ±q sums are integers below 2^24, exact in float32 too.
 */
import { sleb, uleb } from './wasm-kernel.js';
import { wasmModuleOnce } from '../core/wasm.js';

const I32 = 0x7f;
const F64 = 0x7c;
const F32LOCAL = 0x7d;
const V128 = 0x7b;

const get = (i: number) => [0x20, ...uleb(i)];
const set = (i: number) => [0x21, ...uleb(i)];
const tee = (i: number) => [0x22, ...uleb(i)];
const i32c = (v: number) => [0x41, ...sleb(v)];
const f64c = (v: number) => [0x44, ...new Uint8Array(new Float64Array([v]).buffer)];
const mem = (op: number, align: number) => (off = 0) => [op, align, ...uleb(off)];
const i32Load = mem(0x28, 2);
const f32Load = mem(0x2a, 2);
const f64Load = mem(0x2b, 3);
const i32Store = mem(0x36, 2);
const f32Store = mem(0x38, 2);
const f32c0 = [0x43, 0, 0, 0, 0];
const f64Store = mem(0x39, 3);
const [add, mul] = [[0x6a], [0x6c]];
const [geU, ltU, gtS, eqz] = [[0x4f], [0x49], [0x4a], [0x45]];
const [f64Add, f64Sub, f64Mul, f64Nearest, f64Ne, f64Promote] = [[0xa0], [0xa1], [0xa2], [0x9e], [0x62], [0xbb]];
const simd = (op: number) => [0xfd, ...uleb(op)];
const vLoad = (off = 0) => [...simd(0x00), 4, ...uleb(off)];
const vStore = (off = 0) => [...simd(0x0b), 4, ...uleb(off)];
const load64Zero = (off = 0) => [...simd(0x5d), 3, ...uleb(off)];
const store32Lane = (lane: number) => [...simd(0x5a), 2, 0, lane];
const f64x2Splat = simd(0x14);
const [i32x4Ne, anyTrue] = [simd(0x38), simd(0x53)];
const [f64x2Add, f64x2Mul, f32x4DemoteZero, f64x2Gt, v128And, f64x2Abs] = [simd(0xf0), simd(0xf2), simd(0x5e), simd(0x4a), simd(0x4e), simd(0xec)];
const [f32x4Abs, f32x4Max, f32x4Add, f32x4Eq, f32x4Ne, i32x4Sub, v128Or, allTrue] = [
  simd(0xe0), simd(0xe9), simd(0xe4), simd(0x41), simd(0x42), simd(0xb1), simd(0x50), simd(0xa3),
];
const [block, loop, ifThen, end] = [[0x02, 0x40], [0x03, 0x40], [0x04, 0x40], [0x0b]];
const br = (d: number) => [0x0c, ...uleb(d)];
const brIf = (d: number) => [0x0d, ...uleb(d)];
const ret = [0x0f];
/** A v128 of zeros. */
const vZero = [...simd(0x0c), ...Array(16).fill(0)];

/** for (; get(x) < get(limit); x += step) { body } — as block/loop, unsigned compare. */
function forLt(x: number, limit: number, step: number, body: number[]): number[] {
  return [...block, ...loop, ...get(x), ...get(limit), ...geU, ...brIf(1), ...body, ...get(x), ...i32c(step), ...add, ...set(x), ...br(0), ...end, ...end];
}

/** v128 accumulators of dspmm. */
const ACCS = 8;

/**
 * dspmm: for images r0 ≤ r < r0 + n: out[r] = Σ_e q_e·W[col_e], the row's entries in order, ACCS
 * float64x2 accumulators per column block.
 */
function spmmBody(): number[] {
  const [N, R0, ROWPTR, COL, Q, W, RB, , OUT] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  // i32 locals
  const [R, E, END, E0, DST, C, WC, WROW] = [9, 10, 11, 12, 13, 14, 15, 16];
  const [QV, ACC] = [17, 18];
  const blockBytes = ACCS * 16;
  const regs = Array.from({ length: ACCS }, (_, k) => k);
  return [
    ...i32c(0), ...set(R),
    ...forLt(R, N, 1, [
      // entries [e0, end) of image r0 + r, as byte offsets of 4-byte arrays; dst = out + r·rowBytes
      ...get(ROWPTR), ...get(R0), ...get(R), ...add, ...i32c(4), ...mul, ...add, ...tee(WROW), ...i32Load(), ...i32c(4), ...mul, ...set(E0),
      ...get(WROW), ...i32Load(4), ...i32c(4), ...mul, ...set(END),
      ...get(OUT), ...get(R0), ...get(R), ...add, ...get(RB), ...mul, ...add, ...set(DST),
      ...i32c(0), ...set(C),
      ...loop,
      ...get(W), ...get(C), ...add, ...set(WC),
      ...regs.flatMap((k) => [...vZero, ...set(ACC + k)]),
      ...get(E0), ...set(E),
      ...forLt(E, END, 4, [
        // q as float64 (8 bytes an entry, E counts 4)
        ...get(Q), ...get(E), ...i32c(2), ...mul, ...add, ...f64Load(), ...f64x2Splat, ...set(QV),
        ...get(COL), ...get(E), ...add, ...i32Load(), ...get(RB), ...mul, ...get(WC), ...add, ...set(WROW),
        ...regs.flatMap((k) => [...get(ACC + k), ...get(QV), ...get(WROW), ...vLoad(16 * k), ...f64x2Mul, ...f64x2Add, ...set(ACC + k)]),
      ]),
      ...regs.flatMap((k) => [...get(DST), ...get(C), ...add, ...get(ACC + k), ...vStore(16 * k)]),
      ...get(C), ...i32c(blockBytes), ...add, ...tee(C), ...get(RB), ...ltU, ...brIf(0),
      ...end,
    ]),
  ];
}

/**
 * diff(d, rowBytes, A, B, chPtr, chJ, chD, colCount, limit, colStride, scale) → cost, or −1 past `limit`.
 * Rows of rowBytes bytes (float32, padded with zeros alike in A and B); 16 bytes compared at a time.
 */
function diffBody(): number[] {
  const [D, RB, A, B, PTR, CJ, CD, CC, LIMIT, CS, SCALE] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const [I, O, ROWA, ROWB, COUNT, COST, LANE, X] = [11, 12, 13, 14, 15, 16, 17, 18];
  const [DELTA] = [19];
  // δ = nearest(f64(a)·scale) − nearest(f64(b)·scale) of lane LANE (byte offset O + 4·LANE)
  const grid = (base: number) => [...get(base), ...get(X), ...add, ...f32Load(), ...f64Promote, ...get(SCALE), ...f64Mul, ...f64Nearest];
  return [
    ...i32c(0), ...set(COUNT), ...i32c(0), ...set(COST), ...i32c(0), ...set(I),
    ...forLt(I, D, 1, [
      ...get(PTR), ...get(I), ...i32c(4), ...mul, ...add, ...get(COUNT), ...i32Store(),
      ...get(A), ...get(I), ...get(RB), ...mul, ...add, ...set(ROWA),
      ...get(B), ...get(I), ...get(RB), ...mul, ...add, ...set(ROWB),
      ...i32c(0), ...set(O),
      ...forLt(O, RB, 16, [
        ...get(ROWA), ...get(O), ...add, ...vLoad(), ...get(ROWB), ...get(O), ...add, ...vLoad(), ...i32x4Ne, ...anyTrue,
        ...ifThen,
        ...i32c(0), ...set(LANE),
        ...block, ...loop,
        ...get(O), ...get(LANE), ...i32c(4), ...mul, ...add, ...set(X),
        ...grid(ROWA), ...grid(ROWB), ...f64Sub, ...set(DELTA),
        ...get(DELTA), ...f64c(0), ...f64Ne,
        ...ifThen,
        // chJ[count] = j·colStride (j = X/4), chD[count] = δ
        ...get(CJ), ...get(COUNT), ...i32c(4), ...mul, ...add, ...get(X), ...i32c(2), ...[0x76], ...get(CS), ...mul, ...i32Store(),
        ...get(CD), ...get(COUNT), ...i32c(8), ...mul, ...add, ...get(DELTA), ...f64Store(),
        ...get(COUNT), ...i32c(1), ...add, ...set(COUNT),
        ...get(COST), ...get(CC), ...get(I), ...i32c(4), ...mul, ...add, ...i32Load(), ...add, ...set(COST),
        ...end,
        ...get(LANE), ...i32c(1), ...add, ...tee(LANE), ...i32c(4), ...ltU, ...brIf(0),
        ...end, ...end,
        ...end,
      ]),
      ...get(COST), ...get(LIMIT), ...gtS, ...ifThen, ...i32c(-1), ...ret, ...end,
    ]),
    ...get(PTR), ...get(D), ...i32c(4), ...mul, ...add, ...get(COUNT), ...i32Store(),
    ...get(COST),
  ];
}

/**
 * head(n, pre, preRowBytes, h, W01, aux, b01, out): per image r of n (rows of pre, float32), in
 * float64: (z0, z1) = b01 + Σ_j relu(x_j)·(w_j0, w_j1) and (Σ_j |x_j|·aux_j0, Σ_j relu(x_j)·aux_j1),
 * written as four float64s at out + 32·r. W01 and aux: two float64s per hidden unit. The logits are
 * the JS head's (twoLayerRelu) bit for bit: the same products added in the same order, the others
 * adding +0 (relu(x) = 0 for x ≤ 0 or NaN) where it adds nothing; without the branch it mispredicts.
 */
function headBody(): number[] {
  const [N, PRE, PRB, H, W01, AUX, B01, OUT] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [R, J, ROW, WP, AP] = [8, 9, 10, 11, 12];
  const [Z, A, X, REL, ZERO] = [13, 14, 15, 16, 17];
  return [
    ...vZero, ...set(ZERO),
    ...i32c(0), ...set(R),
    ...forLt(R, N, 1, [
      ...get(B01), ...vLoad(), ...set(Z),
      ...vZero, ...set(A),
      ...get(PRE), ...get(R), ...get(PRB), ...mul, ...add, ...set(ROW),
      ...get(W01), ...set(WP),
      ...get(AUX), ...set(AP),
      ...i32c(0), ...set(J),
      ...forLt(J, H, 1, [
        ...get(ROW), ...get(J), ...i32c(2), ...[0x74], ...add, ...f32Load(), ...f64Promote, ...f64x2Splat, ...set(X),
        // relu as the JS head's `x > 0` reads it (−0 and NaN give +0): x & (x > 0)
        ...get(X), ...get(X), ...get(ZERO), ...f64x2Gt, ...v128And, ...tee(REL),
        ...get(WP), ...vLoad(), ...f64x2Mul, ...get(Z), ...f64x2Add, ...set(Z),
        // (|x|, relu x)·aux
        ...get(X), ...f64x2Abs, ...get(REL), ...simd(0x0d), 0, 1, 2, 3, 4, 5, 6, 7, 24, 25, 26, 27, 28, 29, 30, 31,
        ...get(AP), ...vLoad(), ...f64x2Mul, ...get(A), ...f64x2Add, ...set(A),
        ...get(WP), ...i32c(16), ...add, ...set(WP),
        ...get(AP), ...i32c(16), ...add, ...set(AP),
      ]),
      ...get(OUT), ...get(R), ...i32c(5), ...[0x74], ...add, ...tee(ROW), ...get(Z), ...vStore(),
      ...get(ROW), ...get(A), ...vStore(16),
    ]),
  ];
}

/**
 * compact(d, rowBytes, W, wPtr, wJ, wV, colStride) → nnz: the non-zero weights of padded float32
 * rows as CSR (wPtr[i] the first of row i, wJ = j·colStride, wV = w), row by row, columns
 * ascending; ±0 left out.
 */
function compactBody(): number[] {
  const [D, RB, Wp, PTR, WJ, WV, CS] = [0, 1, 2, 3, 4, 5, 6];
  const [I, O, ROW, COUNT, LANE, X] = [7, 8, 9, 10, 11, 12];
  const [V] = [13];
  const [ZERO] = [14];
  return [
    ...vZero, ...set(ZERO),
    ...i32c(0), ...set(COUNT), ...i32c(0), ...set(I),
    ...forLt(I, D, 1, [
      ...get(PTR), ...get(I), ...i32c(4), ...mul, ...add, ...get(COUNT), ...i32Store(),
      ...get(Wp), ...get(I), ...get(RB), ...mul, ...add, ...set(ROW),
      ...i32c(0), ...set(O),
      ...forLt(O, RB, 16, [
        ...get(ROW), ...get(O), ...add, ...vLoad(), ...get(ZERO), ...f32x4Ne, ...anyTrue,
        ...ifThen,
        ...i32c(0), ...set(LANE),
        ...block, ...loop,
        ...get(O), ...get(LANE), ...i32c(2), ...[0x74], ...add, ...set(X),
        ...get(ROW), ...get(X), ...add, ...f32Load(), ...tee(V), ...f32c0, ...[0x5c], // f32.ne
        ...ifThen,
        ...get(WJ), ...get(COUNT), ...i32c(2), ...[0x74], ...add, ...get(X), ...i32c(2), ...[0x76], ...get(CS), ...mul, ...i32Store(),
        ...get(WV), ...get(COUNT), ...i32c(2), ...[0x74], ...add, ...get(V), ...f32Store(),
        ...get(COUNT), ...i32c(1), ...add, ...set(COUNT),
        ...end,
        ...get(LANE), ...i32c(1), ...add, ...tee(LANE), ...i32c(4), ...ltU, ...brIf(0),
        ...end, ...end,
        ...end,
      ]),
    ]),
    ...get(PTR), ...get(D), ...i32c(4), ...mul, ...add, ...get(COUNT), ...i32Store(),
    ...get(COUNT),
  ];
}

/**
 * scatter32(d, lo, hi, cscRow, cscVal, wPtr, wJ, wV, T): the evaluator's float32 first layer over
 * the non-zero weights only, pixel by pixel: T[j][r] = f32(T[j][r] + f32(val·w_ij)) for every
 * non-zero weight (i, j) and every entry (r, val) of pixel i in [lo[i], hi[i]) (cscRow = 4·r; T
 * float32, column by column, holding the bias). Each output gets its terms in pixel order, as
 * spmm adds an image's entries, without the terms val·0, which add nothing: spmm's bits (a −0 sum
 * could read +0, which no head or CKA tells apart).
 */
function scatter32Body(): number[] {
  const [D, LO, HI, CROW, CV, PTR, WJ, WV, T0] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [I, C, C1, E0, E, EEND, BASE, T] = [9, 10, 11, 12, 13, 14, 15, 16];
  const [W] = [17];
  return [
    ...i32c(0), ...set(I),
    ...forLt(I, D, 1, [
      ...get(PTR), ...get(I), ...i32c(2), ...[0x74], ...add, ...tee(T), ...i32Load(), ...set(C),
      ...get(T), ...i32Load(4), ...set(C1),
      ...get(C), ...get(C1), ...ltU,
      ...ifThen,
      ...get(LO), ...get(I), ...i32c(2), ...[0x74], ...add, ...i32Load(), ...set(E0),
      ...get(HI), ...get(I), ...i32c(2), ...[0x74], ...add, ...i32Load(), ...set(EEND),
      ...forLt(C, C1, 1, [
        ...get(T0), ...get(WJ), ...get(C), ...i32c(2), ...[0x74], ...add, ...i32Load(), ...add, ...set(BASE),
        ...get(WV), ...get(C), ...i32c(2), ...[0x74], ...add, ...f32Load(), ...set(W),
        ...get(E0), ...set(E),
        ...forLt(E, EEND, 1, [
          ...get(BASE), ...get(CROW), ...get(E), ...i32c(2), ...[0x74], ...add, ...i32Load(), ...add, ...tee(T),
          ...get(T), ...f32Load(), ...get(CV), ...get(E), ...i32c(2), ...[0x74], ...add, ...f32Load(), ...get(W), ...[0x94], ...[0x92], // f32.mul, f32.add
          ...f32Store(),
        ]),
      ]),
      ...end,
    ]),
  ];
}

/** rows32(r0, r1, T, colStride, out, outRowBytes, h): out[r − r0][j] = T[j][r] (float32 columns to rows). */
function rows32Body(): number[] {
  const [R0, R1, T0, CS, OUT, ORB, H] = [0, 1, 2, 3, 4, 5, 6];
  const [J, R, SRC, DST] = [7, 8, 9, 10];
  return [
    ...i32c(0), ...set(J),
    ...forLt(J, H, 1, [
      ...get(T0), ...get(J), ...get(CS), ...mul, ...add, ...get(R0), ...i32c(2), ...[0x74], ...add, ...set(SRC),
      ...get(OUT), ...get(J), ...i32c(2), ...[0x74], ...add, ...set(DST),
      ...get(R0), ...set(R),
      ...forLt(R, R1, 1, [
        ...get(DST), ...get(SRC), ...f32Load(), ...f32Store(),
        ...get(SRC), ...i32c(4), ...add, ...set(SRC),
        ...get(DST), ...get(ORB), ...add, ...set(DST),
      ]),
    ]),
  ];
}

/**
 * count(d, rowBytes, A, B, colCount, limit) → Σ_i colCount[i]·(lanes of row i where A and B differ),
 * or −1 once that passes `limit`: diff's cost without listing anything, four lanes a step.
 */
function countBody(): number[] {
  const [D, RB, A, B, CC, LIMIT] = [0, 1, 2, 3, 4, 5];
  const [I, O, ROWA, ROWB, COST] = [6, 7, 8, 9, 10];
  const [ACC] = [11];
  const lane = (l: number) => [...get(ACC), ...simd(0x1b), l];
  return [
    ...i32c(0), ...set(COST), ...i32c(0), ...set(I),
    ...forLt(I, D, 1, [
      ...get(A), ...get(I), ...get(RB), ...mul, ...add, ...set(ROWA),
      ...get(B), ...get(I), ...get(RB), ...mul, ...add, ...set(ROWB),
      ...vZero, ...set(ACC),
      ...i32c(0), ...set(O),
      ...forLt(O, RB, 16, [
        ...get(ACC), ...get(ROWA), ...get(O), ...add, ...vLoad(), ...get(ROWB), ...get(O), ...add, ...vLoad(), ...i32x4Ne, ...i32x4Sub, ...set(ACC),
      ]),
      ...get(COST),
      ...lane(0), ...lane(1), ...add, ...lane(2), ...add, ...lane(3), ...add,
      ...get(CC), ...get(I), ...i32c(4), ...mul, ...add, ...i32Load(), ...mul, ...add, ...tee(COST),
      ...get(LIMIT), ...gtS, ...ifThen, ...i32c(-1), ...ret, ...end,
    ]),
    ...get(COST),
  ];
}

/**
 * scatter(d, lo, hi, cscRow, cscQ, chPtr, chJ, chD, S): pixel by pixel, only the pixels with
 * changes; per change (its column's offset chJ and δ in registers) over the pixel's images, two at a step.
 */
function scatterBody(): number[] {
  const [D, LO, HI, CROW, CQ, PTR, CJ, CD, S] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [I, C, C1, E0, E, EEND, BASE, T, E2, E1] = [9, 10, 11, 12, 13, 14, 15, 16, 17, 18];
  const [DV] = [19];
  // S[base + cscRow[e]] += cscQ[e]·δ, e as an entry index
  const one = (e: number) => [
    ...get(BASE), ...get(CROW), ...get(e), ...i32c(2), ...[0x74], ...add, ...i32Load(), ...add, ...tee(T),
    ...get(T), ...f64Load(), ...get(CQ), ...get(e), ...i32c(3), ...[0x74], ...add, ...f64Load(), ...get(DV), ...f64Mul, ...f64Add,
    ...f64Store(),
  ];
  return [
    ...i32c(0), ...set(I),
    ...forLt(I, D, 1, [
      ...get(PTR), ...get(I), ...i32c(4), ...mul, ...add, ...tee(T), ...i32Load(), ...set(C),
      ...get(T), ...i32Load(4), ...set(C1),
      ...get(C), ...get(C1), ...ltU,
      ...ifThen,
      ...get(LO), ...get(I), ...i32c(4), ...mul, ...add, ...i32Load(), ...set(E0),
      ...get(HI), ...get(I), ...i32c(4), ...mul, ...add, ...i32Load(), ...set(EEND),
      ...forLt(C, C1, 1, [
        ...get(S), ...get(CJ), ...get(C), ...i32c(4), ...mul, ...add, ...i32Load(), ...add, ...set(BASE),
        ...get(CD), ...get(C), ...i32c(8), ...mul, ...add, ...f64Load(), ...set(DV),
        ...get(E0), ...set(E),
        // two entries a step while two remain, then the last one
        ...get(EEND), ...i32c(1), ...[0x6b], ...set(E2),
        ...block, ...loop,
        ...get(E), ...get(E2), ...[0x4e], ...brIf(1), // E ≥ EEND − 1 (signed: EEND may be 0)
        ...one(E),
        ...get(E), ...i32c(1), ...add, ...set(E1),
        ...one(E1),
        ...get(E), ...i32c(2), ...add, ...set(E),
        ...br(0),
        ...end, ...end,
        ...get(E), ...get(EEND), ...ltU, ...ifThen, ...one(E), ...end,
      ]),
      ...end,
    ]),
  ];
}

/** assemble(r0, r1, S, colStride, fold, out, outRowBytes, h, unit): column by column, two images a step. */
function assembleBody(): number[] {
  const [R0, R1, S, CS, FOLD, OUT, ORB, H, UNIT] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [J, R, COL, O, R2] = [9, 10, 11, 12, 13];
  const [F, U2, V] = [14, 15, 16];
  return [
    ...get(UNIT), ...f64x2Splat, ...set(U2),
    ...get(R1), ...get(R0), ...[0x6b], ...i32c(-2), ...[0x71], ...get(R0), ...add, ...set(R2), // r0 + even part of the range
    ...i32c(0), ...set(J),
    ...forLt(J, H, 1, [
      ...get(FOLD), ...get(J), ...i32c(3), ...[0x74], ...add, ...f64Load(), ...f64x2Splat, ...set(F),
      ...get(S), ...get(J), ...get(CS), ...mul, ...add, ...set(COL),
      ...get(OUT), ...get(J), ...i32c(2), ...[0x74], ...add, ...set(O),
      ...get(R0), ...set(R),
      ...forLt(R, R2, 2, [
        ...get(COL), ...get(R), ...i32c(3), ...[0x74], ...add, ...vLoad(), ...get(U2), ...f64x2Mul, ...get(F), ...f64x2Add, ...f32x4DemoteZero, ...set(V),
        ...get(O), ...get(V), ...store32Lane(0),
        ...get(O), ...get(ORB), ...add, ...get(V), ...store32Lane(1),
        ...get(O), ...get(ORB), ...i32c(1), ...[0x74], ...add, ...set(O),
      ]),
      // an odd last image
      ...get(R), ...get(R1), ...ltU,
      ...ifThen,
      ...get(COL), ...get(R), ...i32c(3), ...[0x74], ...add, ...load64Zero(), ...get(U2), ...f64x2Mul, ...get(F), ...f64x2Add, ...f32x4DemoteZero, ...set(V),
      ...get(O), ...get(V), ...store32Lane(0),
      ...end,
    ]),
  ];
}

/** widen(r0, r1, D, dRowBytes, S, colStride, h, c): S[j][r] = f64(D[r − r0][j])·c, D float32 rows. */
function widenBody(): number[] {
  const [R0, R1, Dp, DRB, S, CS, H, CC] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [J, R, SRC, DST] = [8, 9, 10, 11];
  return [
    ...i32c(0), ...set(J),
    ...forLt(J, H, 1, [
      ...get(Dp), ...get(J), ...i32c(2), ...[0x74], ...add, ...set(SRC),
      ...get(S), ...get(J), ...get(CS), ...mul, ...add, ...get(R0), ...i32c(3), ...[0x74], ...add, ...set(DST),
      ...get(R0), ...set(R),
      ...forLt(R, R1, 1, [
        ...get(DST), ...get(SRC), ...f32Load(), ...f64Promote, ...get(CC), ...f64Mul, ...f64Store(),
        ...get(SRC), ...get(DRB), ...add, ...set(SRC),
        ...get(DST), ...i32c(8), ...add, ...set(DST),
      ]),
    ]),
  ];
}

/**
 * classify(d, rowBytes, W, out) → 1 if every w ∈ {−1, 0, 1}. Per column j (rowBytes/4 of them):
 * out[j] ← max_i |w_ij| (f32; NaN if any is), out[width + j] ← Σ_i |w_ij| (f32), out[2·width + j] ← #{i: w_ij ≠ 0} (i32).
 */
function classifyBody(): number[] {
  const [D, RB, Wp, OUT] = [0, 1, 2, 3];
  const [I, O, ROW, TERN, T] = [4, 5, 6, 7, 8];
  const [V, ONES, ZEROS] = [9, 10, 11];
  return [
    ...vZero, ...set(ZEROS),
    ...[...simd(0x0c), ...Array.from({ length: 4 }, () => [0, 0, 0x80, 0x3f]).flat()], ...set(ONES), // f32x4 of 1
    ...i32c(1), ...set(TERN),
    ...i32c(0), ...set(O),
    ...get(RB), ...i32c(3), ...mul, ...set(T),
    ...forLt(O, T, 16, [...get(OUT), ...get(O), ...add, ...vZero, ...vStore()]),
    ...i32c(0), ...set(I),
    ...forLt(I, D, 1, [
      ...get(Wp), ...get(I), ...get(RB), ...mul, ...add, ...set(ROW),
      ...i32c(0), ...set(O),
      ...forLt(O, RB, 16, [
        ...get(ROW), ...get(O), ...add, ...vLoad(), ...f32x4Abs, ...set(V),
        ...get(OUT), ...get(O), ...add, ...set(T),
        // max (f32x4.max propagates NaN), Σ|w|, and the non-zero count (a true lane of ne is −1)
        ...get(T), ...get(T), ...vLoad(), ...get(V), ...f32x4Max, ...vStore(),
        ...get(T), ...get(RB), ...add, ...tee(T), ...get(T), ...vLoad(), ...get(V), ...f32x4Add, ...vStore(),
        ...get(T), ...get(RB), ...add, ...tee(T), ...get(T), ...vLoad(), ...get(V), ...get(ZEROS), ...f32x4Ne, ...i32x4Sub, ...vStore(),
        // ternary: |w| = 1 or |w| = 0 in every lane
        ...get(V), ...get(ONES), ...f32x4Eq, ...get(V), ...get(ZEROS), ...f32x4Eq, ...v128Or, ...allTrue, ...eqz,
        ...ifThen, ...i32c(0), ...set(TERN), ...end,
      ]),
    ]),
    ...get(TERN),
  ];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}
function text(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
}
function fn(locals: [number, number][], code: number[]): number[] {
  const body = [...uleb(locals.length), ...locals.flatMap(([count, type]) => [...uleb(count), type]), ...code, ...end];
  return [...uleb(body.length), ...body];
}

function kernelBytes(): Uint8Array<ArrayBuffer> {
  const types = [
    [0x60, 9, ...Array(9).fill(I32), 0], // 0 dspmm, scatter
    [0x60, 11, ...Array(10).fill(I32), F64, 1, I32], // 1 diff → cost
    [0x60, 9, ...Array(8).fill(I32), F64, 0], // 2 assemble
    [0x60, 8, ...Array(7).fill(I32), F64, 0], // 3 widen
    [0x60, 4, I32, I32, I32, I32, 1, I32], // 4 classify → ternary
    [0x60, 6, I32, I32, I32, I32, I32, I32, 1, I32], // 5 count → cost
    [0x60, 8, ...Array(8).fill(I32), 0], // 6 head
    [0x60, 7, ...Array(7).fill(I32), 1, I32], // 7 compact → nnz
    [0x60, 7, ...Array(7).fill(I32), 0], // 8 rows32
  ];
  const exports: [string, number][] = [['dspmm', 0], ['diff', 1], ['scatter', 2], ['assemble', 3], ['widen', 4], ['classify', 5], ['count', 6], ['head', 7], ['compact', 8], ['scatter32', 9], ['rows32', 10]];
  const bodies = [
    fn([[8, I32], [1 + ACCS, V128]], spmmBody()),
    fn([[8, I32], [1, F64]], diffBody()),
    fn([[10, I32], [1, F64]], scatterBody()),
    fn([[5, I32], [3, V128]], assembleBody()),
    fn([[4, I32]], widenBody()),
    fn([[5, I32], [3, V128]], classifyBody()),
    fn([[5, I32], [1, V128]], countBody()),
    fn([[5, I32], [5, V128]], headBody()),
    fn([[6, I32], [1, F32LOCAL], [1, V128]], compactBody()),
    fn([[8, I32], [1, F32LOCAL]], scatter32Body()),
    fn([[4, I32]], rows32Body()),
  ];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [...uleb(types.length), ...types.flat()]),
    ...section(2, [1, ...text('env'), ...text('mem'), 0x02, 0x00, 1]),
    ...section(3, [11, 0, 1, 0, 2, 3, 4, 5, 6, 7, 0, 8]),
    ...section(7, [...uleb(exports.length), ...exports.flatMap(([n, i]) => [...text(n), 0x00, i])]),
    ...section(10, [...uleb(bodies.length), ...bodies.flat()]),
  ]);
}

export type SpmmRowsFn = (n: number, r0: number, rowPtr: number, col: number, q: number, w: number, rowBytes: number, unused: 0, out: number) => void;

export interface DeltaKernel {
  dspmm: SpmmRowsFn;
  diff(d: number, rowBytes: number, a: number, b: number, chPtr: number, chJ: number, chD: number, colCount: number, limit: number, colStride: number, scale: number): number;
  scatter(d: number, lo: number, hi: number, cscRow: number, cscQ: number, chPtr: number, chJ: number, chD: number, s: number): void;
  assemble(r0: number, r1: number, s: number, colStride: number, fold: number, out: number, outRowBytes: number, h: number, unit: number): void;
  widen(r0: number, r1: number, d: number, dRowBytes: number, s: number, colStride: number, h: number, c: number): void;
  classify(d: number, rowBytes: number, w: number, colMax: number): number;
  count(d: number, rowBytes: number, a: number, b: number, colCount: number, limit: number): number;
  head(n: number, pre: number, preRowBytes: number, h: number, w01: number, aux: number, b01: number, out: number): void;
  compact(d: number, rowBytes: number, w: number, wPtr: number, wJ: number, wV: number, colStride: number): number;
  scatter32(d: number, lo: number, hi: number, cscRow: number, cscVal: number, wPtr: number, wJ: number, wV: number, t: number): void;
  rows32(r0: number, r1: number, t: number, colStride: number, out: number, outRowBytes: number, h: number): void;
}

/** Rows of dspmm are a multiple of this many bytes. */
export const DELTA_BLOCK_BYTES = ACCS * 16;

const compiledKernel = wasmModuleOnce(kernelBytes);

/** The kernels on `memory` (the evaluator kernel's); null where WebAssembly SIMD is unavailable. */
export function loadDeltaKernel(memory: WebAssembly.Memory): DeltaKernel | null {
  const compiled = compiledKernel();
  if (!compiled) return null;
  const x = new WebAssembly.Instance(compiled, { env: { mem: memory } }).exports as unknown as DeltaKernel;
  return { dspmm: x.dspmm, diff: x.diff, scatter: x.scatter, assemble: x.assemble, widen: x.widen, classify: x.classify, count: x.count, head: x.head, compact: x.compact, scatter32: x.scatter32, rows32: x.rows32 };
}
