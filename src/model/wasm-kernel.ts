/**
 * A tiny WebAssembly SIMD kernel for the evaluator's hot loop (sparse rows × dense weights), built
 * from bytes at load time: no toolchain, no file to ship, and it runs in Node and the browser.
 *
 *   spmm(n, rowPtr, col, val, W, rowBytes, bias, out):
 *     for every image k: out[k] = bias + Σ_{e in row k} val[e] · W[col[e]]
 * where each W row and out row is rowBytes bytes (a multiple of 4·KERNEL_BLOCK: widths are padded),
 * all addresses are byte offsets into the module's imported memory, and the inner loop adds one
 * weight row with f32x4 multiply/add (4 lanes per instruction).
 *
 * Plain JS scalar loops reach ~0.5 G multiply-adds/s on the development machine; this kernel is
 * several times faster (docs/performance-model.md). Where WebAssembly SIMD is missing,
 * `loadSpmmKernel` returns null and the evaluator uses its JS loop.
 */

const I32 = 0x7f;
const V128 = 0x7b;
const EMPTY = 0x40;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
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

// Instructions used by the kernel.
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

// Parameters and locals.
const N = 0, ROWPTR = 1, COL = 2, VAL = 3, W = 4, ROWBYTES = 5, BIAS = 6, OUT = 7;
const IMG = 8, E = 9, END = 10, ACC = 11, WROW = 12, C = 13, E0 = 14, V = 15, A = 16;

/** Floats per register block: the kernel keeps LANES/4 v128 accumulators in locals. */
export const KERNEL_BLOCK = 16;
const REGS = KERNEL_BLOCK / 4;

const loadAt = (off: number) => [0xfd, 0x00, 4, ...uleb(off)];
const storeAt = (off: number) => [0xfd, 0x0b, 4, ...uleb(off)];

function kernelBytes(): Uint8Array<ArrayBuffer> {
  const regs = Array.from({ length: REGS }, (_, r) => r);
  const body = [
    ...i32c(0), ...set(IMG),
    ...block, ...loop,
    // while (img < n)
    ...get(IMG), ...get(N), ...geU, ...brIf(1),
    // acc = out + img * rowBytes; e0 = rowPtr[img]; end = rowPtr[img + 1]
    ...get(OUT), ...get(IMG), ...get(ROWBYTES), ...mul, ...add, ...set(ACC),
    ...get(ROWPTR), ...get(IMG), ...i32c(4), ...mul, ...add, ...set(WROW),
    ...get(WROW), ...i32Load, ...set(E0),
    ...get(WROW), ...i32c(4), ...add, ...i32Load, ...set(END),
    // for each block of KERNEL_BLOCK outputs (c = byte offset of the block)
    ...i32c(0), ...set(C),
    ...loop,
    // registers ← bias[c ..]
    ...regs.flatMap((r) => [...get(BIAS), ...get(C), ...add, ...loadAt(16 * r), ...set(A + r)]),
    ...get(E0), ...set(E),
    ...block, ...loop,
    ...get(E), ...get(END), ...geU, ...brIf(1),
    // v = splat(val[e]); wRow = W + col[e] * rowBytes + c
    ...get(VAL), ...get(E), ...i32c(4), ...mul, ...add, ...f32Load, ...f32x4Splat, ...set(V),
    ...get(W), ...get(COL), ...get(E), ...i32c(4), ...mul, ...add, ...i32Load, ...get(ROWBYTES), ...mul, ...add, ...get(C), ...add, ...set(WROW),
    // registers += v · wRow[0 .. KERNEL_BLOCK)
    ...regs.flatMap((r) => [...get(A + r), ...get(V), ...get(WROW), ...loadAt(16 * r), ...f32x4Mul, ...f32x4Add, ...set(A + r)]),
    ...get(E), ...i32c(1), ...add, ...set(E),
    ...br(0),
    ...end, ...end,
    // acc[c ..] ← registers
    ...regs.flatMap((r) => [...get(ACC), ...get(C), ...add, ...get(A + r), ...storeAt(16 * r)]),
    ...get(C), ...i32c(KERNEL_BLOCK * 4), ...add, ...set(C),
    ...get(C), ...get(ROWBYTES), ...ltU, ...brIf(0),
    ...end,
    ...get(IMG), ...i32c(1), ...add, ...set(IMG),
    ...br(0),
    ...end, ...end,
    ...end,
  ];
  const locals = [2, 7, I32, 1 + REGS, V128];
  const func = [...locals, ...body];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 8, I32, I32, I32, I32, I32, I32, I32, I32, 0]),
    ...section(2, [1, ...name('env'), ...name('mem'), 0x02, 0x00, 1]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...name('spmm'), 0x00, 0]),
    ...section(10, [1, ...uleb(func.length), ...func]),
  ];
  return new Uint8Array(bytes);
}

export type SpmmFn = (n: number, rowPtr: number, col: number, val: number, w: number, rowBytes: number, bias: number, out: number) => void;

/** One kernel instance bound to its own growable memory. */
export interface SpmmKernel {
  memory: WebAssembly.Memory;
  spmm: SpmmFn;
}

let compiled: WebAssembly.Module | null | undefined;

/** Compile (once) and instantiate the kernel with a fresh memory; null where WebAssembly SIMD is unavailable. */
export function loadSpmmKernel(initialBytes: number): SpmmKernel | null {
  if (compiled === undefined) {
    try {
      const bytes = kernelBytes();
      compiled = typeof WebAssembly !== 'undefined' && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
    } catch {
      compiled = null;
    }
  }
  if (!compiled) return null;
  const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(initialBytes / 65536)) });
  const instance = new WebAssembly.Instance(compiled, { env: { mem: memory } });
  return { memory, spmm: instance.exports.spmm as SpmmFn };
}
