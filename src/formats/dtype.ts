/**
 * Decoding and encoding of the element types model files store (little-endian, as every format
 * here is). F16 and BF16 have no typed array in Node 20, so they are converted by hand; encoding
 * rounds to nearest-even, so a value decoded from a file encodes back to the same bits.
 */
import type { TensorDType } from './types.js';

export const DTYPE_BYTES: Record<TensorDType, number> = { F16: 2, BF16: 2, F32: 4, F64: 8 };

/** Decode `count` elements of `dtype` from little-endian bytes (any alignment). */
export function decodeValues(dtype: TensorDType, bytes: Uint8Array): Float32Array | Float64Array {
  const n = bytes.length / DTYPE_BYTES[dtype];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === 'F64') {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
    return out;
  }
  if (dtype === 'F32') {
    // An aligned copy is a plain memcpy on little-endian machines (all Node targets). Not
    // bytes.slice(): on a Node Buffer that is a view of the shared pool, not a copy.
    return new Float32Array(new Uint8Array(bytes).buffer, 0, n);
  }
  const out = new Float32Array(n);
  if (dtype === 'BF16') {
    for (let i = 0; i < n; i++) out[i] = bf16ToFloat(view.getUint16(i * 2, true));
    return out;
  }
  for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
  return out;
}

/** Encode values as little-endian bytes of `dtype` (the inverse of decodeValues). */
export function encodeValues(dtype: TensorDType, values: ArrayLike<number>): Uint8Array {
  const n = values.length;
  const out = new Uint8Array(n * DTYPE_BYTES[dtype]);
  const view = new DataView(out.buffer);
  if (dtype === 'F64') for (let i = 0; i < n; i++) view.setFloat64(i * 8, values[i], true);
  else if (dtype === 'F32') for (let i = 0; i < n; i++) view.setFloat32(i * 4, values[i], true);
  else if (dtype === 'BF16') for (let i = 0; i < n; i++) view.setUint16(i * 2, floatToBf16(values[i]), true);
  else for (let i = 0; i < n; i++) view.setUint16(i * 2, floatToHalf(values[i]), true);
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // zero or subnormal
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** float32 → IEEE half, round to nearest even; overflow → ±Infinity. */
export function floatToHalf(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf / NaN
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal: ±0
    mant |= 0x800000; // implicit leading one
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let m = mant >>> shift;
    if (rest > half || (rest === half && m & 1)) m++;
    return sign | m; // m may carry into the smallest normal: still the right bits
  }
  let m = mant >>> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && m & 1)) {
    m++;
    if (m === 0x400) {
      m = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}

/** bfloat16 bits → float32: they are the upper half of the float32 bits. */
export function bf16ToFloat(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0];
}

/** float32 → bfloat16 (the upper half of the float32 bits), round to nearest even. */
export function floatToBf16(x: number): number {
  f32[0] = x;
  const b = u32[0];
  if ((b & 0x7f800000) === 0x7f800000 && b & 0x7fffff) return (b >>> 16) | 0x40; // keep NaN a NaN
  const rounded = b + 0x7fff + ((b >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}
