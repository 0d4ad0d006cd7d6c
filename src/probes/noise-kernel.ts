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

import { growWasmMemory } from '../core/bounds.js';
import { sleb, uleb } from '../model/wasm-kernel.js';

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

/*
 * noise4(n, scale, stride, out): the same for four generators at once, one per i32x4 lane
 * (xoshiro128**'s steps are 32-bit integer operations, so four independent streams step together),
 * all adding noise to the same values (a layer's trained weights: zero in every lane or in none):
 *   for i < n, v = values[i], each lane k:  out_k[i] = v ≠ 0 ? f32(v + s_k·scale) : v
 * with s_k = int32(r_k ^ 2^31) = r_k − 2^31 and scale = a·2^−31: (r/2^32·2 − 1)·a is exactly
 * (r − 2^31)·2^−31·a, and s·(a·2^−31) rounds the same real number once, so the sums are bit for bit
 * noise()'s where a·2^−31 is exact (the caller checks). Memory: the states at byte 0 as four i32x4
 * (s0 of lanes 0–3, then s1, s2, s3), the values from byte 64, out_k at out + k·stride.
 */
const LANES = 4;
const STATE4_BYTES = 64;
const simd = (op: number) => [0xfd, ...uleb(op)];
const v128Load = (off: number) => [...simd(0x00), 4, ...uleb(off)];
const v128Store = (off: number) => [...simd(0x0b), 4, ...uleb(off)];
const store32Lane = (lane: number) => [...simd(0x5a), 2, 0, lane];
const [i32x4Shl, i32x4ShrU, i32x4Add, v128Or, v128Xor] = [simd(0xab), simd(0xad), simd(0xae), simd(0x50), simd(0x51)];
const [f64x2Splat, f64x2Add, f64x2Mul, f64x2FromI32Low, f32x4DemoteF64] = [simd(0x14), simd(0xf0), simd(0xf2), simd(0xfe), simd(0x5e)];
const signBits = [...simd(0x0c), ...Array.from({ length: 4 }, () => [0, 0, 0, 0x80]).flat()]; // i32x4 of 2^31
const highToLow = [...simd(0x0d), 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
const i32Big = (v: number) => [0x41, ...sleb(v)];
// Locals: 0 n, 1 scale (f64), 2 stride, 3 out (params; out advances); 4 p, 5 end (i32); 6 v (f32); 7–10 s0..s3, 11 t, 12 r, 13 v as f64x2, 14 sign, 15 scale (f64x2), 16 result (v128)
const [N4, SCALE, STRIDE, Q4, P4, END4, V4, X0, X1, X2, X3, T4, R4, VD, SIGN, SC2, D4] = Array.from({ length: 17 }, (_, k) => k);
const shlBy = (k: number) => [...i32c(k), ...i32x4Shl];
const vxor = (dst: number, src: number) => [...localGet(dst), ...localGet(src), ...v128Xor, ...localSet(dst)];
const laneAddress = (k: number) => [...localGet(Q4), ...(k > 0 ? [...localGet(STRIDE), ...i32c(k), ...i32Mul, ...i32Add] : [])];
const body4 = [
  ...[X0, X1, X2, X3].flatMap((s, k) => [...i32c(0), ...v128Load(16 * k), ...localSet(s)]),
  ...signBits, ...localSet(SIGN),
  ...localGet(SCALE), ...f64x2Splat, ...localSet(SC2),
  ...i32Big(STATE4_BYTES), ...localSet(P4),
  ...localGet(N4), ...i32c(4), ...i32Mul, ...i32Big(STATE4_BYTES), ...i32Add, ...localSet(END4),
  ...block, ...loop,
  ...localGet(P4), ...localGet(END4), ...i32GeU, ...brIf(1),
  ...localGet(P4), ...f32Load, ...localTee(V4), ...f32Zero, ...f32Ne,
  ...[0x04, 0x40],
  // r = rotl(s1·5, 7)·9 per lane (·5 and ·9 as shift-and-add: the same value mod 2^32), then s = r ^ 2^31
  ...localGet(X1), ...localGet(X1), ...shlBy(2), ...i32x4Add, ...localTee(T4),
  ...shlBy(7), ...localGet(T4), ...i32c(25), ...i32x4ShrU, ...v128Or, ...localTee(T4),
  ...localGet(T4), ...shlBy(3), ...i32x4Add, ...localGet(SIGN), ...v128Xor, ...localSet(R4),
  ...localGet(V4), ...f64FromF32, ...f64x2Splat, ...localSet(VD),
  // lanes 0, 1 then 2, 3: f32(v + s·scale)
  ...localGet(VD), ...localGet(R4), ...f64x2FromI32Low, ...localGet(SC2), ...f64x2Mul, ...f64x2Add, ...f32x4DemoteF64, ...localSet(D4),
  ...laneAddress(0), ...localGet(D4), ...store32Lane(0),
  ...laneAddress(1), ...localGet(D4), ...store32Lane(1),
  ...localGet(VD), ...localGet(R4), ...localGet(R4), ...highToLow, ...f64x2FromI32Low, ...localGet(SC2), ...f64x2Mul, ...f64x2Add, ...f32x4DemoteF64, ...localSet(D4),
  ...laneAddress(2), ...localGet(D4), ...store32Lane(0),
  ...laneAddress(3), ...localGet(D4), ...store32Lane(1),
  // the xoshiro128 step, four lanes
  ...localGet(X1), ...shlBy(9), ...localSet(T4),
  ...vxor(X2, X0), ...vxor(X3, X1), ...vxor(X1, X2), ...vxor(X0, X3), ...vxor(X2, T4),
  ...localGet(X3), ...shlBy(11), ...localGet(X3), ...i32c(21), ...i32x4ShrU, ...v128Or, ...localSet(X3),
  0x05, // else: zero (or −0) stays, in every lane
  ...[0, 1, 2, 3].flatMap((k) => [...laneAddress(k), ...localGet(V4), ...f32Store]),
  ...end,
  ...localGet(P4), ...i32c(4), ...i32Add, ...localSet(P4),
  ...localGet(Q4), ...i32c(4), ...i32Add, ...localSet(Q4),
  ...br(0),
  ...end, ...end,
  ...[X0, X1, X2, X3].flatMap((s, k) => [...i32c(0), ...localGet(s), ...v128Store(16 * k)]),
  ...end,
];

const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content];
const text = (s: string) => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];
const fn = [2, 7, 0x7f, 1, 0x7d, ...body]; // locals: 7 i32, 1 f32
const fn4 = [3, 2, 0x7f, 1, 0x7d, 10, 0x7b, ...body4]; // locals: 2 i32, 1 f32, 10 v128

const bytes = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
  ...section(1, [2, 0x60, 2, 0x7f, 0x7c, 0, 0x60, 4, 0x7f, 0x7c, 0x7f, 0x7f, 0]), // types (i32, f64) → (), (i32, f64, i32, i32) → ()
  ...section(3, [2, 0, 1]),
  ...section(5, [1, 0, 1]), // memory, 1 page to start
  ...section(7, [3, ...text('noise'), 0, 0, ...text('noise4'), 0, 1, ...text('memory'), 2, 0]),
  ...section(10, [2, ...uleb(fn.length), ...fn, ...uleb(fn4.length), ...fn4]),
]);

export interface NoiseKernel {
  /**
   * values + U(−a, a) on the non-zero elements into out, drawing from `state` (xoshiro128**'s four
   * words, as Rng.getState gives them), which is advanced by one step per draw.
   */
  addNoise(values: Float32Array, a: number, state: Int32Array, out: Float32Array): void;
  /**
   * addNoise for up to four generators at once (states[k] and outs[k] for each; one pass of the
   * values): the same results bit for bit, where `lanesExact(a)`; states advanced as addNoise does.
   */
  addNoiseLanes(values: Float32Array, a: number, states: Int32Array[], outs: Float32Array[]): void;
}

/** Generators addNoiseLanes draws for in one pass. */
export const NOISE_LANES = LANES;

/** Whether addNoiseLanes gives addNoise's bits for amplitude a: a·2^−31 must be exact (a normal float64 after scaling). */
export function lanesExact(a: number): boolean {
  const scale = a * 2 ** -31;
  return Number.isFinite(a) && a > 0 && Math.abs(scale) >= 2 ** -1022 && scale * 2 ** 31 === a;
}

let loaded: NoiseKernel | null | undefined;

/** The kernel, or null where WebAssembly is unavailable. */
export function noiseKernel(): NoiseKernel | null {
  if (loaded !== undefined) return loaded;
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    const memory = instance.exports.memory as WebAssembly.Memory;
    const noise = instance.exports.noise as (n: number, a: number) => void;
    const noise4 = instance.exports.noise4 as (n: number, scale: number, stride: number, out: number) => void;
    const grow = (need: number): void => {
      growWasmMemory(memory, need, 'the noise kernel (a layer\'s noise draws)');
    };
    loaded = {
      addNoise(values, a, state, out) {
        grow(STATE_BYTES + 4 * values.length);
        new Int32Array(memory.buffer, 0, 4).set(state);
        const v = new Float32Array(memory.buffer, STATE_BYTES, values.length);
        v.set(values);
        noise(values.length, a);
        out.set(v);
        state.set(new Int32Array(memory.buffer, 0, 4));
      },
      addNoiseLanes(values, a, states, outs) {
        const used = states.length;
        if (used < 1 || used > LANES || outs.length !== used) throw new RangeError(`addNoiseLanes: 1 to ${LANES} generators and as many outputs, got ${states.length} and ${outs.length}`);
        const n = values.length;
        const stride = Math.ceil((4 * n) / 16) * 16;
        const out = STATE4_BYTES + stride;
        grow(out + LANES * stride);
        // Lane k's state words at s_w[k]: four i32x4 (unused lanes step a copy of lane 0 and are dropped).
        const st = new Int32Array(memory.buffer, 0, 4 * LANES);
        for (let k = 0; k < LANES; k++) for (let w = 0; w < 4; w++) st[w * LANES + k] = states[Math.min(k, used - 1)][w];
        new Float32Array(memory.buffer, STATE4_BYTES, n).set(values);
        noise4(n, a * 2 ** -31, stride, out);
        for (let k = 0; k < used; k++) {
          outs[k].set(new Float32Array(memory.buffer, out + k * stride, n));
          for (let w = 0; w < 4; w++) states[k][w] = st[w * LANES + k];
        }
      },
    };
  } catch {
    loaded = null;
  }
  return loaded;
}
