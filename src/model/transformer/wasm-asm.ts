/**
 * A small WebAssembly assembler for hand-written kernels (the transformer engine's, kernels.ts):
 * named locals, structured control flow, the scalar and SIMD instructions the kernels use, and
 * the module encoding. Like src/model/wasm-kernel.ts, modules are built from bytes at load time:
 * no toolchain, no file to ship, and they run in Node and the browser.
 */
import { sleb, uleb } from '../wasm-kernel.js';

export type ValType = 'i32' | 'f32' | 'v128';
const TYPE_CODE: Record<ValType, number> = { i32: 0x7f, f32: 0x7d, v128: 0x7b };

export type Code = number[];

/** Instructions that take no immediates. */
export const op = {
  i32Add: [0x6a], i32Sub: [0x6b], i32Mul: [0x6c], i32And: [0x71], i32Or: [0x72], i32Shl: [0x74], i32ShrU: [0x76],
  i32Eqz: [0x45], i32Eq: [0x46], i32Ne: [0x47], i32LtS: [0x48], i32LtU: [0x49], i32GtS: [0x4a], i32GtU: [0x4b], i32LeS: [0x4c], i32GeS: [0x4e], i32GeU: [0x4f],
  f32Lt: [0x5d], f32Gt: [0x5e], f32Ge: [0x60],
  f32Sqrt: [0x91], f32Add: [0x92], f32Sub: [0x93], f32Mul: [0x94], f32Div: [0x95], f32Min: [0x96], f32Max: [0x97],
  f32ConvertI32S: [0xb2],
  select: [0x1b], drop: [0x1a], ret: [0x0f],
  // SIMD (0xfd prefix)
  f32x4Splat: [0xfd, 0x13], i32x4Splat: [0xfd, 0x11],
  v128And: [0xfd, 0x4e], v128AndNot: [0xfd, 0x4f], v128Or: [0xfd, 0x50], v128Xor: [0xfd, 0x51], v128Bitselect: [0xfd, 0x52],
  f32x4Eq: [0xfd, 0x41], f32x4Lt: [0xfd, 0x43], f32x4Gt: [0xfd, 0x44], f32x4Le: [0xfd, 0x45],
  f32x4Nearest: [0xfd, ...uleb(0x6a)],
  i32x4Shl: [0xfd, ...uleb(0xab)], i32x4Add: [0xfd, ...uleb(0xae)],
  f32x4Abs: [0xfd, ...uleb(0xe0)], f32x4Neg: [0xfd, ...uleb(0xe1)], f32x4Sqrt: [0xfd, ...uleb(0xe3)],
  f32x4Add: [0xfd, ...uleb(0xe4)], f32x4Sub: [0xfd, ...uleb(0xe5)], f32x4Mul: [0xfd, ...uleb(0xe6)], f32x4Div: [0xfd, ...uleb(0xe7)],
  f32x4Min: [0xfd, ...uleb(0xe8)], f32x4Max: [0xfd, ...uleb(0xe9)], f32x4Pmin: [0xfd, ...uleb(0xea)], f32x4Pmax: [0xfd, ...uleb(0xeb)],
  i32x4TruncSatF32x4S: [0xfd, ...uleb(0xf8)],
};

export const i32c = (v: number): Code => [0x41, ...sleb(v | 0)];
export const f32c = (x: number): Code => [0x43, ...new Uint8Array(new Float32Array([x]).buffer)];
export const v128Splat = (x: number): Code => [...f32c(x), ...op.f32x4Splat];
export const i32Load = (off = 0): Code => [0x28, 2, ...uleb(off)];
export const i32Store = (off = 0): Code => [0x36, 2, ...uleb(off)];
export const f32Load = (off = 0): Code => [0x2a, 2, ...uleb(off)];
export const f32Store = (off = 0): Code => [0x38, 2, ...uleb(off)];
/** v128 loads and stores: addresses need not be aligned (the alignment hint says 16 bytes; engines accept any address). */
export const v128Load = (off = 0): Code => [0xfd, 0x00, 4, ...uleb(off)];
export const v128Store = (off = 0): Code => [0xfd, 0x0b, 4, ...uleb(off)];
export const load32Splat = (off = 0): Code => [0xfd, 0x09, 2, ...uleb(off)];
/** i8x16.shuffle of two v128 by 16 byte-lane indices. */
export const shuffle = (lanes: number[]): Code => [0xfd, 0x0d, ...lanes];
export const f32x4ExtractLane = (lane: number): Code => [0xfd, 0x1f, lane];
/** Byte-lane indices picking f32 lanes (0–3 of the first operand, 4–7 of the second). */
export const f32Lanes = (l: number[]): number[] => l.flatMap((k) => [4 * k, 4 * k + 1, 4 * k + 2, 4 * k + 3]);
export const call = (f: number): Code => [0x10, ...uleb(f)];
export const memoryCopy: Code = [0xfc, ...uleb(10), 0, 0];
export const memoryFill: Code = [0xfc, ...uleb(11), 0];

/** Structured control flow (all blocks without results). */
export const block = (...body: Code[]): Code => [0x02, 0x40, ...body.flat(), 0x0b];
export const loop = (...body: Code[]): Code => [0x03, 0x40, ...body.flat(), 0x0b];
export const ifThen = (cond: Code, then: Code[], otherwise?: Code[]): Code =>
  [...cond, 0x04, 0x40, ...then.flat(), ...(otherwise ? [0x05, ...otherwise.flat()] : []), 0x0b];
export const br = (depth: number): Code => [0x0c, ...uleb(depth)];
export const brIf = (depth: number): Code => [0x0d, ...uleb(depth)];

/**
 * A function under construction: parameters and locals by name. `get`, `set`, `tee` emit the
 * local instructions; `whileLoop` and `forRange` emit the usual counted loops.
 */
export class Fn {
  private names = new Map<string, number>();
  private types: ValType[] = [];
  readonly paramTypes: ValType[];
  constructor(readonly name: string, params: [string, ValType][]) {
    this.paramTypes = params.map(([, t]) => t);
    for (const [n, t] of params) this.declare(n, t);
  }

  private declare(n: string, t: ValType): number {
    if (this.names.has(n)) throw new Error(`wasm-asm: local '${n}' declared twice in ${this.name}`);
    this.names.set(n, this.types.length);
    this.types.push(t);
    return this.types.length - 1;
  }

  /** Declare locals (idempotent for the same name and type). */
  locals(type: ValType, ...names: string[]): void {
    for (const n of names) {
      const k = this.names.get(n);
      if (k === undefined) this.declare(n, type);
      else if (this.types[k] !== type) throw new Error(`wasm-asm: local '${n}' redeclared as ${type}`);
    }
  }

  private index(n: string): number {
    const k = this.names.get(n);
    if (k === undefined) throw new Error(`wasm-asm: no local '${n}' in ${this.name}`);
    return k;
  }

  get = (n: string): Code => [0x20, ...uleb(this.index(n))];
  set = (n: string): Code => [0x21, ...uleb(this.index(n))];
  tee = (n: string): Code => [0x22, ...uleb(this.index(n))];
  /** n += delta (i32) */
  inc = (n: string, delta: Code): Code => [...this.get(n), ...delta, ...op.i32Add, ...this.set(n)];

  /** for (v = from; v < to; v += step) body — `to` and `step` are code evaluated every iteration; unsigned compare. */
  forRange(v: string, from: Code, to: Code, step: Code, ...body: Code[]): Code {
    return [
      ...from, ...this.set(v),
      ...block(loop(this.get(v), to, op.i32GeU, brIf(1), ...body, this.inc(v, step), br(0))),
    ];
  }

  /** The encoded body: local declarations (beyond the parameters) then the code. */
  encode(code: Code): number[] {
    const extra = this.types.slice(this.paramTypes.length);
    const groups: [number, ValType][] = [];
    for (const t of extra) {
      if (groups.length && groups[groups.length - 1][1] === t) groups[groups.length - 1][0]++;
      else groups.push([1, t]);
    }
    const body = [...uleb(groups.length), ...groups.flatMap(([n, t]) => [...uleb(n), TYPE_CODE[t]]), ...code, 0x0b];
    return [...uleb(body.length), ...body];
  }
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function name(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
}

/** A module importing one memory (`env.mem`) and exporting every function by its name (no results). */
export function moduleBytes(fns: { fn: Fn; code: Code }[]): Uint8Array<ArrayBuffer> {
  const types = fns.map(({ fn }) => [0x60, ...uleb(fn.paramTypes.length), ...fn.paramTypes.map((t) => TYPE_CODE[t]), 0]);
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [...uleb(types.length), ...types.flat()]),
    ...section(2, [1, ...name('env'), ...name('mem'), 0x02, 0x00, 1]),
    ...section(3, [...uleb(fns.length), ...fns.flatMap((_, k) => uleb(k))]),
    ...section(7, [...uleb(fns.length), ...fns.flatMap(({ fn }, k) => [...name(fn.name), 0x00, ...uleb(k)])]),
    ...section(10, [...uleb(fns.length), ...fns.flatMap(({ fn, code }) => fn.encode(code))]),
  ];
  return new Uint8Array(bytes);
}
