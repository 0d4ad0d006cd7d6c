/**
 * The random selection of the prune and sign-flip probes (`count` indices of n, uniformly: the first
 * `count` steps of a Fisher–Yates shuffle of 0..n−1) as a tiny WebAssembly module built from bytes,
 * as noise-kernel.ts is: the generator's state in registers, Lemire's multiply-and-reject in int64.
 *
 *   select(n, count):  idx = 0..n−1;  for i < count: j = i + int(n − i); swap idx[i], idx[j]
 *
 * int(m) is Rng.int's for m ≤ 2^21: x = the generator's next uint32 (xoshiro128**), p = x·m,
 * accept hi = p >> 32 when lo = p mod 2^32 ≥ m or lo ≥ (2^32 − m) mod m, else draw again. So the
 * indices and the generator's state afterwards are bit for bit the JS loop's
 * (test/probes/probes.test.ts). Memory: the state's four words at byte 0, idx from byte 16.
 * A per-batch random probe draws 16 such selections of up to 50k indices an evaluation: the JS loop
 * spent ≈ 8 ns a step in Rng.int, this ≈ 2 ns (docs/performance-model.md). Null where WebAssembly is missing.
 */
import { uleb } from '../model/wasm-kernel.js';

const get = (i: number) => [0x20, i];
const set = (i: number) => [0x21, i];
const tee = (i: number) => [0x22, i];
const i32c = (v: number) => [0x41, v]; // small non-negative constants only (< 64)
const [i32Load, i32Store] = [(off: number) => [0x28, 2, off], (off: number) => [0x36, 2, off]];
const [add, sub, mul, xor, shl, rotl, geU, remU] = [[0x6a], [0x6b], [0x6c], [0x73], [0x74], [0x77], [0x4f], [0x70]];
const [i64ExtendU, i64Mul, i64ShrU, i32Wrap] = [[0xad], [0x7e], [0x88], [0xa7]];
const i64c32 = [0x42, 0x20]; // i64.const 32
const [block, loop, end] = [[0x02, 0x40], [0x03, 0x40], [0x0b]];
const br = (d: number) => [0x0c, d];
const brIf = (d: number) => [0x0d, d];

const STATE_BYTES = 16;
// Locals: 0 n, 1 count (params); 2–5 s0..s3, 6 i, 7 m, 8 r, 9 t, 10 lo, 11 a (address), 12 j (i32); 13 p (i64)
const [N, COUNT, S0, S1, S2, S3, I, M, R, T, LO, A, J, P] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
const xorInto = (dst: number, src: number) => [...get(dst), ...get(src), ...xor, ...set(dst)];
const idxAt = (k: number) => [...get(k), ...i32c(2), ...shl, ...i32c(STATE_BYTES), ...add];

const body = [
  ...[S0, S1, S2, S3].flatMap((s, k) => [...i32c(0), ...i32Load(4 * k), ...set(s)]),
  // idx = 0..n−1
  ...i32c(0), ...set(I),
  ...block, ...loop,
  ...get(I), ...get(N), ...geU, ...brIf(1),
  ...idxAt(I), ...get(I), ...i32Store(0),
  ...get(I), ...i32c(1), ...add, ...set(I),
  ...br(0),
  ...end, ...end,
  ...i32c(0), ...set(I),
  ...block, ...loop,
  ...get(I), ...get(COUNT), ...geU, ...brIf(1),
  ...get(N), ...get(I), ...sub, ...set(M),
  // draw until accepted (Rng.int)
  ...block, ...loop,
  // r = rotl(s1·5, 7)·9, then the xoshiro128 step
  ...get(S1), ...i32c(5), ...mul, ...i32c(7), ...rotl, ...i32c(9), ...mul, ...set(R),
  ...get(S1), ...i32c(9), ...shl, ...set(T),
  ...xorInto(S2, S0), ...xorInto(S3, S1), ...xorInto(S1, S2), ...xorInto(S0, S3), ...xorInto(S2, T),
  ...get(S3), ...i32c(11), ...rotl, ...set(S3),
  ...get(R), ...i64ExtendU, ...get(M), ...i64ExtendU, ...i64Mul, ...tee(P), ...i32Wrap, ...tee(LO),
  ...get(M), ...geU, ...brIf(1),
  ...get(LO), ...i32c(0), ...get(M), ...sub, ...get(M), ...remU, ...geU, ...brIf(1),
  ...br(0),
  ...end, ...end,
  // j = i + (p >> 32); swap idx[i], idx[j]
  ...get(I), ...get(P), ...i64c32, ...i64ShrU, ...i32Wrap, ...add, ...set(J),
  ...idxAt(I), ...tee(A), ...i32Load(0), ...set(T),
  ...get(A), ...idxAt(J), ...i32Load(0), ...i32Store(0),
  ...idxAt(J), ...get(T), ...i32Store(0),
  ...get(I), ...i32c(1), ...add, ...set(I),
  ...br(0),
  ...end, ...end,
  ...[S0, S1, S2, S3].flatMap((s, k) => [...i32c(0), ...get(s), ...i32Store(4 * k)]),
  ...end,
];

const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content];
const text = (s: string) => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];
const fn = [2, 11, 0x7f, 1, 0x7e, ...body]; // locals: 11 i32, 1 i64

const bytes = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
  ...section(1, [1, 0x60, 2, 0x7f, 0x7f, 0]), // (i32, i32) → ()
  ...section(3, [1, 0]),
  ...section(5, [1, 0, 1]), // memory, 1 page to start
  ...section(7, [2, ...text('select'), 0, 0, ...text('memory'), 2, 0]),
  ...section(10, [1, ...uleb(fn.length), ...fn]),
]);

/** The largest n Rng.int's 21-bit branch (and so this kernel) handles. */
export const SELECT_MAX_N = 0x200000;

export interface SelectKernel {
  /**
   * The first `count` indices of a Fisher–Yates shuffle of 0..n−1 drawing from `state`
   * (xoshiro128**'s words, as Rng.getState gives them; advanced as Rng.int would). A view into the
   * kernel's memory, valid until the next call. n ≤ SELECT_MAX_N.
   */
  select(n: number, count: number, state: Int32Array): Uint32Array;
}

let loaded: SelectKernel | null | undefined;

/** The kernel, or null where WebAssembly is unavailable. */
export function selectKernel(): SelectKernel | null {
  if (loaded !== undefined) return loaded;
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    const memory = instance.exports.memory as WebAssembly.Memory;
    const run = instance.exports.select as (n: number, count: number) => void;
    loaded = {
      select(n, count, state) {
        if (n > SELECT_MAX_N || count > n || count < 0) throw new RangeError(`select: ${count} of ${n} indices (n ≤ ${SELECT_MAX_N})`);
        const need = STATE_BYTES + 4 * n;
        if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
        new Int32Array(memory.buffer, 0, 4).set(state);
        run(n, count);
        state.set(new Int32Array(memory.buffer, 0, 4));
        return new Uint32Array(memory.buffer, STATE_BYTES, count);
      },
    };
  } catch {
    loaded = null;
  }
  return loaded;
}
