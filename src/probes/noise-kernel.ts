/**
 * The noise probes' hot loop as a tiny WebAssembly module (built from bytes at load time, as
 * src/model/wasm-kernel.ts): copy, draw and add in one pass, the generator's state in registers.
 *
 *   noise(n, a):  for i < n, v = values[i]:  if v ≠ 0:  values[i] = f32(v + (u·2 − 1)·a),
 *                 u = the generator's next() (xoshiro128**, as src/core/rng.ts: r / 2^32)
 *
 * Memory: the generator's four state words at byte 0, the values (float32) from byte 16. The
 * arithmetic is JS's own (the same f64 operations in the same order, one rounding to float32), so
 * the result is bit for bit addUniformNoise's JS loop; test/probes/probes.test.ts checks both
 * against per-element next() calls. JS loops draw at ≈ 2 ns a value plus ≈ 2 ns to add; this one
 * does both in ≈ 1.5 ns. Null where WebAssembly is missing: callers use the JS loop.
 */

import { uleb } from '../model/wasm-kernel.js';

const STATE_BYTES = 16;

// Opcodes used below.
const localGet = (i: number) => [0x20, i];
const localSet = (i: number) => [0x21, i];
const localTee = (i: number) => [0x22, i];
const i32c = (v: number) => [0x41, v]; // small non-negative constants only (< 64)
const f64c = (v: number) => [0x44, ...new Uint8Array(new Float64Array([v]).buffer)];
const f32Zero = [0x43, 0, 0, 0, 0];
const i32Load = (off: number) => [0x28, 2, off];
const i32Store = (off: number) => [0x36, 2, off];
const f32Load = [0x2a, 2, 0];
const f32Store = [0x38, 2, 0];
const [i32Add, i32Mul, i32Xor, i32Shl, i32Rotl, i32GeU] = [[0x6a], [0x6c], [0x73], [0x74], [0x77], [0x4f]];
const [f32Ne, f64Add, f64Sub, f64Mul] = [[0x5c], [0xa0], [0xa1], [0xa2]];
const [f64FromU32, f64FromF32, f32FromF64] = [[0xb8], [0xbb], [0xb6]];
const [block, loop, ifVoid, end] = [[0x02, 0x40], [0x03, 0x40], [0x04, 0x40], [0x0b]];
const br = (d: number) => [0x0c, d];
const brIf = (d: number) => [0x0d, d];

// Locals: 0 n, 1 a (params); 2–5 s0..s3, 6 address, 7 end, 8 t (i32); 9 v (f32).
const [N, A, S0, S1, S2, S3, P, END, T, V] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const xor = (dst: number, src: number) => [...localGet(dst), ...localGet(src), ...i32Xor, ...localSet(dst)];

const body = [
  ...[S0, S1, S2, S3].flatMap((s, k) => [...i32c(0), ...i32Load(4 * k), ...localSet(s)]),
  ...i32c(STATE_BYTES), ...localSet(P),
  ...localGet(N), ...i32c(4), ...i32Mul, ...i32c(STATE_BYTES), ...i32Add, ...localSet(END),
  ...block, ...loop,
  ...localGet(P), ...localGet(END), ...i32GeU, ...brIf(1),
  ...localGet(P), ...f32Load, ...localTee(V), ...f32Zero, ...f32Ne,
  ...ifVoid,
  // values[i] = f32(v + ((r / 2^32)·2 − 1)·a), r = rotl(s1·5, 7)·9 as uint32
  ...localGet(P), ...localGet(V), ...f64FromF32,
  ...localGet(S1), ...i32c(5), ...i32Mul, ...i32c(7), ...i32Rotl, ...i32c(9), ...i32Mul,
  // r / 2^32 · 2 is exactly r · 2^−31 (both only shift the exponent), and a multiply is much cheaper than a division
  ...f64FromU32, ...f64c(2 ** -31), ...f64Mul, ...f64c(1), ...f64Sub, ...localGet(A), ...f64Mul,
  ...f64Add, ...f32FromF64, ...f32Store,
  // the xoshiro128 step: t = s1 << 9; s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11)
  ...localGet(S1), ...i32c(9), ...i32Shl, ...localSet(T),
  ...xor(S2, S0), ...xor(S3, S1), ...xor(S1, S2), ...xor(S0, S3), ...xor(S2, T),
  ...localGet(S3), ...i32c(11), ...i32Rotl, ...localSet(S3),
  ...end,
  ...localGet(P), ...i32c(4), ...i32Add, ...localSet(P),
  ...br(0),
  ...end, ...end,
  ...[S0, S1, S2, S3].flatMap((s, k) => [...i32c(0), ...localGet(s), ...i32Store(4 * k)]),
  ...end,
];

const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content];
const text = (s: string) => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];
const fn = [2, 7, 0x7f, 1, 0x7d, ...body]; // locals: 7 i32, 1 f32

const bytes = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
  ...section(1, [1, 0x60, 2, 0x7f, 0x7c, 0]), // type (i32, f64) → ()
  ...section(3, [1, 0]),
  ...section(5, [1, 0, 1]), // memory, 1 page to start
  ...section(7, [2, ...text('noise'), 0, 0, ...text('memory'), 2, 0]),
  ...section(10, [1, ...uleb(fn.length), ...fn]),
]);

export interface NoiseKernel {
  /**
   * values + U(−a, a) on the non-zero elements into out, drawing from `state` (xoshiro128**'s four
   * words, as Rng.getState gives them), which is advanced by one step per draw.
   */
  addNoise(values: Float32Array, a: number, state: Int32Array, out: Float32Array): void;
}

let loaded: NoiseKernel | null | undefined;

/** The kernel, or null where WebAssembly is unavailable. */
export function noiseKernel(): NoiseKernel | null {
  if (loaded !== undefined) return loaded;
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    const memory = instance.exports.memory as WebAssembly.Memory;
    const noise = instance.exports.noise as (n: number, a: number) => void;
    loaded = {
      addNoise(values, a, state, out) {
        const need = STATE_BYTES + 4 * values.length;
        if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
        new Int32Array(memory.buffer, 0, 4).set(state);
        const v = new Float32Array(memory.buffer, STATE_BYTES, values.length);
        v.set(values);
        noise(values.length, a);
        out.set(v);
        state.set(new Int32Array(memory.buffer, 0, 4));
      },
    };
  } catch {
    loaded = null;
  }
  return loaded;
}
