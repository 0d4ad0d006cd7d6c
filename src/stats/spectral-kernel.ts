/**
 * The spectra's hot loops as a small WebAssembly SIMD module, built from bytes at load time like
 * src/model/wasm-kernel.ts (no toolchain, runs in Node and the browser), in float64 throughout:
 *
 *   gram(P, rows, panels, G, ld, ap0, ap1)
 *     G[a][b] += Σ_{i < rows} T[i][a]·T[i][b]  for every 4×4 block with b-block ≤ a-block, for the
 *     a-blocks ap0 ≤ ap < ap1 (two threads can share the blocks of one chunk)
 *     T is packed as `panels` panels of 4 columns: T[i][4p + c] at P + ((p·rows + i)·4 + c)·8,
 *     G is row-major with `ld` doubles a row. Each block keeps eight f64x2 accumulators in
 *     locals over the rows; each row costs two vector loads, four splats and 16 multiply-adds.
 *
 *   sweep(A, ld, j0, k, V, Q, W, P)
 *     one step of the Householder tridiagonalisation, fused with the next step's product, on the
 *     lower triangle of the row-major A (ld doubles a row), rows and columns j0 ≤ j ≤ i < k:
 *       A[i][j] ← A[i][j] − (2V[i]·Q[j] + 2Q[i]·V[j])          (A ← A − 2vqᵀ − 2qvᵀ)
 *       P[j] += A[i][j]·W[i] and P[i] += A[i][j]·W[j]           (P = A·w with the new A)
 *     so the trailing block is read and written once a step. With V = Q = 0 it is only P = A·w.
 *
 *   overlaps(bits, words, n, fill, out) — NODF's pair overlaps: see overlapsBody.
 *
 * The arithmetic differs from the JS loops it replaces only in the order of the sums (pairs of
 * lanes), so results agree to rounding (tested against the JS versions and numpy).
 */
import { sleb, uleb } from '../model/wasm-kernel.js';

const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;
const EMPTY = 0x40;

const get = (i: number): number[] => [0x20, ...uleb(i)];
const set = (i: number): number[] => [0x21, ...uleb(i)];
const tee = (i: number): number[] => [0x22, ...uleb(i)];
const i32c = (v: number): number[] => [0x41, ...sleb(v)];
const f64c = (v: number): number[] => [0x44, ...new Uint8Array(new Float64Array([v]).buffer)];
const [add, sub, mul, shl] = [[0x6a], [0x6b], [0x6c], [0x74]];
const [ltU, geU, leU] = [[0x49], [0x4f], [0x4d]];
const [f64Add, f64Sub, f64Mul, f64Div] = [[0xa0], [0xa1], [0xa2], [0xa3]];
const f64FromU32 = [0xb8];
const f64Load = (off = 0): number[] => [0x2b, 3, ...uleb(off)];
const f64Store = (off = 0): number[] => [0x39, 3, ...uleb(off)];
const i32Load = (off = 0): number[] => [0x28, 2, ...uleb(off)];
const [block, loop, ifThen, end] = [[0x02, EMPTY], [0x03, EMPTY], [0x04, EMPTY], [0x0b]];
const br = (d: number): number[] => [0x0c, ...uleb(d)];
const brIf = (d: number): number[] => [0x0d, ...uleb(d)];
const simd = (op: number): number[] => [0xfd, ...uleb(op)];
const vLoad = (off = 0): number[] => [...simd(0x00), 4, ...uleb(off)];
const vStore = (off = 0): number[] => [...simd(0x0b), 4, ...uleb(off)];
const vSplat64 = (off = 0): number[] => [...simd(0x0a), 3, ...uleb(off)];
const [f64x2Splat, f64x2Add, f64x2Sub, f64x2Mul] = [simd(0x14), simd(240), simd(241), simd(242)];
const lane = (l: number): number[] => [...simd(0x21), l];
const vZero = [...simd(0x0c), ...Array(16).fill(0)];
const I64 = 0x7e;
const i64Zero = [0x42, 0];
const i64Load = (off = 0): number[] => [0x29, 3, ...uleb(off)];
const [i64And, i64Popcnt, i64Add, f64FromI64] = [[0x83], [0x7b], [0x7c], [0xba]];

/** for (idx = from; idx < to; idx += step) body — `to` re-read every turn (a local). */
function forLoop(idx: number, from: number[], to: number[], step: number, body: number[]): number[] {
  return [
    ...from, ...set(idx),
    ...block, ...loop,
    ...get(idx), ...to, ...geU, ...brIf(1),
    ...body,
    ...get(idx), ...i32c(step), ...add, ...set(idx),
    ...br(0),
    ...end, ...end,
  ];
}

function gramBody(): number[] {
  const [P, ROWS, , G, LD, AP0, AP1] = [0, 1, 2, 3, 4, 5, 6];
  // i32 locals
  const [AP, BP, PA, PB, END, GA, LDB, PSTRIDE] = [7, 8, 9, 10, 11, 12, 13, 14];
  // v128 locals
  const [X0, X1, S] = [15, 16, 17];
  const ACC = 18; // acc[r][v] = ACC + 2r + v
  const acc = (r: number, v: number): number => ACC + 2 * r + v;
  const rs = [0, 1, 2, 3];
  return [
    ...get(LD), ...i32c(3), ...shl, ...set(LDB),
    ...get(ROWS), ...i32c(5), ...shl, ...set(PSTRIDE),
    ...forLoop(AP, get(AP0), get(AP1), 1, [
      ...i32c(0), ...set(BP),
      ...loop,
      // GA = G + (4·AP·ld + 4·BP)·8
      ...get(G), ...get(AP), ...i32c(2), ...shl, ...get(LDB), ...mul, ...add, ...get(BP), ...i32c(5), ...shl, ...add, ...set(GA),
      ...rs.flatMap((r) => [0, 1].flatMap((v) => [...get(GA), ...(r ? [...get(LDB), ...i32c(r), ...mul, ...add] : []), ...vLoad(16 * v), ...set(acc(r, v))])),
      ...get(P), ...get(AP), ...get(PSTRIDE), ...mul, ...add, ...set(PA),
      ...get(P), ...get(BP), ...get(PSTRIDE), ...mul, ...add, ...set(PB),
      ...get(PA), ...get(PSTRIDE), ...add, ...set(END),
      ...loop,
      ...get(PB), ...vLoad(0), ...set(X0),
      ...get(PB), ...vLoad(16), ...set(X1),
      ...rs.flatMap((r) => [
        ...get(PA), ...vSplat64(8 * r), ...set(S),
        ...get(acc(r, 0)), ...get(S), ...get(X0), ...f64x2Mul, ...f64x2Add, ...set(acc(r, 0)),
        ...get(acc(r, 1)), ...get(S), ...get(X1), ...f64x2Mul, ...f64x2Add, ...set(acc(r, 1)),
      ]),
      ...get(PA), ...i32c(32), ...add, ...set(PA),
      ...get(PB), ...i32c(32), ...add, ...set(PB),
      ...get(PA), ...get(END), ...ltU, ...brIf(0),
      ...end,
      ...rs.flatMap((r) => [0, 1].flatMap((v) => [...get(GA), ...(r ? [...get(LDB), ...i32c(r), ...mul, ...add] : []), ...get(acc(r, v)), ...vStore(16 * v)])),
      ...get(BP), ...i32c(1), ...add, ...tee(BP), ...get(AP), ...leU, ...brIf(0),
      ...end,
    ]),
  ];
}

function sweepBody(): number[] {
  const [A, LD, J0, K, V, Q, W, P] = [0, 1, 2, 3, 4, 5, 6, 7];
  // i32 locals (byte offsets: JB = 8·j)
  const [I, JB, LDB, LASTB, ROW0, ROW1, IB] = [8, 9, 10, 11, 12, 13, 14];
  // f64 locals, per row r of the pair: v_i, q_i, w_i, the row sum
  const VI = [15, 16], QI = [17, 18], WI = [19, 20], SS = [21, 22];
  const X = 23;
  // v128 locals
  const VI2 = [24, 25], QI2 = [26, 27], WIV = [28, 29], SV = [30, 31], AV = [32, 33];
  const [QV, VV, WV] = [34, 35, 36];
  const ROW = [ROW0, ROW1];
  const rowSetup = (r: number): number[] => [
    // v_i, q_i, w_i of row I + r (IB = 8·I)
    ...get(V), ...get(IB), ...add, ...f64Load(8 * r), ...tee(VI[r]), ...get(VI[r]), ...f64Add, ...f64x2Splat, ...set(VI2[r]),
    ...get(Q), ...get(IB), ...add, ...f64Load(8 * r), ...tee(QI[r]), ...get(QI[r]), ...f64Add, ...f64x2Splat, ...set(QI2[r]),
    ...get(W), ...get(IB), ...add, ...f64Load(8 * r), ...tee(WI[r]), ...f64x2Splat, ...set(WIV[r]),
    ...vZero, ...set(SV[r]),
  ];
  // a = A[i][j..j+2] − (2v_i·Q[j..] + 2q_i·V[j..]), stored; s += a·W[j..] (QV, VV, WV loaded)
  const update = (r: number): number[] => [
    ...get(ROW[r]), ...get(JB), ...add, ...vLoad(), ...get(VI2[r]), ...get(QV), ...f64x2Mul, ...get(QI2[r]), ...get(VV), ...f64x2Mul, ...f64x2Add, ...f64x2Sub, ...set(AV[r]),
    ...get(ROW[r]), ...get(JB), ...add, ...get(AV[r]), ...vStore(),
    ...get(SV[r]), ...get(AV[r]), ...get(WV), ...f64x2Mul, ...f64x2Add, ...set(SV[r]),
  ];
  const loadColumns = [
    ...get(Q), ...get(JB), ...add, ...vLoad(), ...set(QV),
    ...get(V), ...get(JB), ...add, ...vLoad(), ...set(VV),
    ...get(W), ...get(JB), ...add, ...vLoad(), ...set(WV),
  ];
  // P[j..] += a·w_i for the rows given, in row order
  const pUpdate = (rows: number[]): number[] => [
    ...get(P), ...get(JB), ...add,
    ...get(P), ...get(JB), ...add, ...vLoad(),
    ...rows.flatMap((r) => [...get(AV[r]), ...get(WIV[r]), ...f64x2Mul, ...f64x2Add]),
    ...vStore(),
  ];
  /** Pairs of columns j, j+1 < (last row's index) from JB on, for the given rows of the step. */
  const pairLoop = (rows: number[]): number[] => [
    ...block, ...loop,
    ...get(JB), ...get(LASTB), ...geU, ...brIf(1),
    ...loadColumns,
    ...rows.flatMap(update),
    ...pUpdate(rows),
    ...get(JB), ...i32c(16), ...add, ...set(JB),
    ...br(0),
    ...end, ...end,
  ];
  /** Row I + r from column JB to its diagonal, one element at a time; then P[i] += its sum. */
  const finishRow = (r: number): number[] => [
    ...get(SV[r]), ...lane(0), ...get(SV[r]), ...lane(1), ...f64Add, ...set(SS[r]),
    ...block, ...loop,
    ...get(JB), ...get(IB), ...i32c(8 * r), ...add, ...leU, ...ifThen,
    ...get(ROW[r]), ...get(JB), ...add, ...f64Load(),
    ...get(VI[r]), ...get(VI[r]), ...f64Add, ...get(Q), ...get(JB), ...add, ...f64Load(), ...f64Mul,
    ...get(QI[r]), ...get(QI[r]), ...f64Add, ...get(V), ...get(JB), ...add, ...f64Load(), ...f64Mul, ...f64Add, ...f64Sub, ...set(X),
    ...get(ROW[r]), ...get(JB), ...add, ...get(X), ...f64Store(),
    ...get(SS[r]), ...get(X), ...get(W), ...get(JB), ...add, ...f64Load(), ...f64Mul, ...f64Add, ...set(SS[r]),
    ...get(JB), ...get(IB), ...i32c(8 * r), ...add, ...ltU, ...ifThen,
    ...get(P), ...get(JB), ...add, ...get(P), ...get(JB), ...add, ...f64Load(), ...get(X), ...get(WI[r]), ...f64Mul, ...f64Add, ...f64Store(),
    ...end,
    ...get(JB), ...i32c(8), ...add, ...set(JB),
    ...br(1),
    ...end,
    ...end, ...end,
    ...get(P), ...get(IB), ...add, ...get(P), ...get(IB), ...add, ...f64Load(8 * r), ...get(SS[r]), ...f64Add, ...f64Store(8 * r),
  ];
  return [
    ...get(LD), ...i32c(3), ...shl, ...set(LDB),
    ...get(J0), ...set(I),
    // two rows a step: the column vectors (Q, V, W, P) are loaded once for both
    ...block, ...loop,
    ...get(I), ...i32c(1), ...add, ...get(K), ...geU, ...brIf(1),
    ...get(I), ...i32c(3), ...shl, ...set(IB),
    ...get(A), ...get(I), ...get(LDB), ...mul, ...add, ...tee(ROW0), ...get(LDB), ...add, ...set(ROW1),
    ...rowSetup(0), ...rowSetup(1),
    // pairs j, j+1 < i: both rows
    ...get(IB), ...i32c(8), ...sub, ...set(LASTB),
    ...get(J0), ...i32c(3), ...shl, ...set(JB),
    ...pairLoop([0, 1]),
    // row i to its diagonal, then row i+1 from the same column to its diagonal
    ...get(JB), ...set(LASTB), // LASTB: where the pairs stopped
    ...finishRow(0),
    ...get(LASTB), ...set(JB),
    ...finishRow(1),
    ...get(I), ...i32c(2), ...add, ...set(I),
    ...br(0),
    ...end, ...end,
    // the last row alone when k − j0 is odd
    ...get(I), ...get(K), ...ltU, ...ifThen,
    ...get(I), ...i32c(3), ...shl, ...set(IB),
    ...get(A), ...get(I), ...get(LDB), ...mul, ...add, ...set(ROW0),
    ...rowSetup(0),
    ...get(IB), ...i32c(8), ...sub, ...set(LASTB),
    ...get(J0), ...i32c(3), ...shl, ...set(JB),
    ...pairLoop([0]),
    ...finishRow(0),
    ...end,
  ];
}

/**
 * overlaps(bits, words, n, fill, out): for rows sorted by decreasing fill (n of them, bitsets of
 * `words` 32-bit words, a multiple of 4, at bits + 4·words·a; fill a uint32 array),
 * out[0] = Σ_{a < b} 100·|row a ∧ row b| / fill[b] over the pairs with 0 < fill[b] ≠ fill[a]
 * (b stops at the first empty row). One float64 sum in the order of structure.ts's JS loop, so the
 * result is bit for bit its own.
 */
function overlapsBody(): number[] {
  const [BITS, WORDS, N, FILL, OUT] = [0, 1, 2, 3, 4];
  const [A, B, FA, FB, BA, BB, K, END, ROWB] = [5, 6, 7, 8, 9, 10, 11, 12, 13];
  const [TOTAL] = [14];
  const [CNT] = [15]; // i64
  const u32At = (base: number, idx: number): number[] => [...get(base), ...get(idx), ...i32c(2), ...shl, ...add, ...i32Load()];
  return [
    ...get(WORDS), ...i32c(2), ...shl, ...set(ROWB),
    ...f64c(0), ...set(TOTAL),
    ...forLoop(A, i32c(0), get(N), 1, [
      ...u32At(FILL, A), ...set(FA),
      ...get(BITS), ...get(A), ...get(ROWB), ...mul, ...add, ...set(BA),
      ...get(BA), ...get(ROWB), ...add, ...set(END),
      ...get(A), ...i32c(1), ...add, ...set(B),
      ...get(END), ...set(BB),
      ...block, ...loop,
      ...get(B), ...get(N), ...geU, ...brIf(1),
      ...u32At(FILL, B), ...tee(FB),
      // fb = 0: every later row is empty too
      ...[0x45], ...brIf(1),
      ...get(FB), ...get(FA), ...[0x47], ...ifThen, // fb ≠ fa
      ...i64Zero, ...set(CNT),
      ...get(BA), ...set(K),
      ...loop,
      // two 64-bit words a step (rows are whole 128-bit words): native popcounts
      ...get(CNT),
      ...get(K), ...i64Load(0), ...get(BB), ...i64Load(0), ...i64And, ...i64Popcnt,
      ...get(K), ...i64Load(8), ...get(BB), ...i64Load(8), ...i64And, ...i64Popcnt,
      ...i64Add, ...i64Add, ...set(CNT),
      ...get(BB), ...i32c(16), ...add, ...set(BB),
      ...get(K), ...i32c(16), ...add, ...tee(K), ...get(END), ...ltU, ...brIf(0),
      ...end,
      ...get(TOTAL),
      ...f64c(100),
      ...get(CNT), ...f64FromI64, ...f64Mul, ...get(FB), ...f64FromU32, ...f64Div, ...f64Add, ...set(TOTAL),
      // (BB has walked to the next row)
      ...[0x05], // else: skip row b
      ...get(BB), ...get(ROWB), ...add, ...set(BB),
      ...end,
      ...get(B), ...i32c(1), ...add, ...set(B),
      ...br(0),
      ...end, ...end,
    ]),
    ...get(OUT), ...get(TOTAL), ...f64Store(),
  ];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function name(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
}

function functionBody(code: number[], locals: [number, number][]): number[] {
  const func = [...uleb(locals.length), ...locals.flatMap(([n, t]) => [...uleb(n), t]), ...code, ...end];
  return [...uleb(func.length), ...func];
}

/** Pages of the shared memory's declared maximum (4 GiB): a shared memory must declare one. */
const SHARED_MAX_PAGES = 65536;

function kernelBytes(sharedMemory = false): Uint8Array<ArrayBuffer> {
  const type = (n: number): number[] => [0x60, ...uleb(n), ...Array(n).fill(I32), 0];
  // memory import limits: min 1 page, or (shared) min 1 and a maximum
  const limits = sharedMemory ? [0x03, 1, ...uleb(SHARED_MAX_PAGES)] : [0x00, 1];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [3, ...type(5), ...type(8), ...type(7)]),
    ...section(2, [1, ...name('env'), ...name('mem'), 0x02, ...limits]),
    ...section(3, [3, 2, 1, 0]),
    ...section(7, [3, ...name('gram'), 0x00, 0, ...name('sweep'), 0x00, 1, ...name('overlaps'), 0x00, 2]),
    ...section(10, [
      3,
      ...functionBody(gramBody(), [[8, I32], [3 + 8, V128]]),
      ...functionBody(sweepBody(), [[7, I32], [9, F64], [13, V128]]),
      ...functionBody(overlapsBody(), [[9, I32], [1, F64], [1, I64]]),
    ]),
  ];
  return new Uint8Array(bytes);
}

export interface SpectralKernel {
  memory: WebAssembly.Memory;
  gram(p: number, rows: number, panels: number, g: number, ld: number, ap0: number, ap1: number): void;
  sweep(a: number, ld: number, j0: number, k: number, v: number, q: number, w: number, p: number): void;
  overlaps(bits: number, words: number, n: number, fill: number, out: number): void;
  /** Make the memory at least `bytes` long (contents kept). */
  reserve(bytes: number): void;
  /** The compiled module, when the memory is shared (another thread can instantiate it on the same memory). */
  sharedModule: WebAssembly.Module | null;
}

/**
 * A second thread for the Gram product (gram-helper.ts installs one): `post` hands it the a-blocks
 * [ap0, ap1) of the chunk now in memory, `finish` returns once they are done (doing them itself if
 * the helper has not started them).
 */
export interface GramHelper {
  post(p: number, rows: number, panels: number, g: number, ld: number, ap0: number, ap1: number): void;
  finish(): void;
}

let compiled: { module: WebAssembly.Module; shared: boolean } | null | undefined;
let instance: SpectralKernel | null | undefined;
let enabled = true;
let helper: GramHelper | null = null;

/**
 * Switch the kernels off (the plain JS loops run instead) or back on: for the tests and benches that
 * compare the two. Returns the previous setting.
 */
export function useSpectralKernel(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

/** Install (or remove, with null) the thread that shares Gram products with this one. */
export function setGramHelper(h: GramHelper | null): void {
  helper = h;
}

export function gramHelper(): GramHelper | null {
  return helper;
}

function compile(): { module: WebAssembly.Module; shared: boolean } | null {
  if (typeof WebAssembly === 'undefined') return null;
  // a shared memory where SharedArrayBuffer exists (Node; cross-origin isolated pages), else a private one
  for (const shared of typeof SharedArrayBuffer === 'undefined' ? [false] : [true, false]) {
    try {
      const bytes = kernelBytes(shared);
      if (WebAssembly.validate(bytes)) return { module: new WebAssembly.Module(bytes), shared };
    } catch {
      // try the next variant
    }
  }
  return null;
}

/** The kernels (one instance per thread, its memory grown on demand); null without WebAssembly SIMD. */
export function spectralKernel(): SpectralKernel | null {
  if (!enabled) return null;
  if (instance !== undefined) return instance;
  if (compiled === undefined) compiled = compile();
  if (!compiled) return (instance = null);
  let memory: WebAssembly.Memory;
  try {
    memory = new WebAssembly.Memory(compiled.shared ? { initial: 16, maximum: SHARED_MAX_PAGES, shared: true } : { initial: 16 });
  } catch {
    if (!compiled.shared) return (instance = null);
    // no room for a shared memory's reservation (a 32-bit or constrained host): the private variant
    try {
      const bytes = kernelBytes(false);
      compiled = { module: new WebAssembly.Module(bytes), shared: false };
      memory = new WebAssembly.Memory({ initial: 16 });
    } catch {
      return (instance = null);
    }
  }
  const fn = new WebAssembly.Instance(compiled.module, { env: { mem: memory } }).exports as unknown as Pick<SpectralKernel, 'gram' | 'sweep' | 'overlaps'>;
  instance = {
    memory,
    gram: fn.gram,
    sweep: fn.sweep,
    overlaps: fn.overlaps,
    reserve(bytes: number) {
      const have = memory.buffer.byteLength;
      if (bytes > have) memory.grow(Math.ceil((bytes - have) / 65536));
    },
    sharedModule: compiled.shared ? compiled.module : null,
  };
  return instance;
}

/** Kernel bytes, exported for the validity test. */
export const spectralKernelBytes = kernelBytes;
