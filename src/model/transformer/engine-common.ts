/**
 * What the two WebAssembly engines (engine.ts: the transformer; window-engine.ts: the window-MLP
 * baseline) share: a bump allocator over the kernels' memory, embedding tables trained with Adam
 * on the rows a batch touched (or on every row), and the softmax cross-entropy of padded logits.
 */
import type { Kernels } from './kernels.js';

export const ADAM_BETA1 = 0.9;
export const ADAM_BETA2 = 0.98;
export const up4 = (n: number): number => Math.ceil(n / 4) * 4;

/** Byte offsets handed out in order, each array 16-byte aligned with 16 spare bytes after it. */
export class Arena {
  constructor(public top: number) {}
  alloc(floats: number): number {
    const at = this.top;
    this.top += up4(floats) * 4 + 16;
    return at;
  }
}

/**
 * One embedding table in the kernels' memory ([rows × d] at `at`) with its gradient and Adam
 * moments, and the rows the current batch touched (collected by `addRow`).
 */
export class EmbeddingTable {
  readonly at: number;
  readonly g: number;
  readonly m: number;
  readonly v: number;
  private readonly list: number;
  private readonly touched: Int32Array;
  private readonly stamp: Int32Array;
  private count = 0;
  private batch = 0;

  constructor(arena: Arena, readonly rows: number, readonly d: number) {
    this.at = arena.alloc(rows * d);
    this.g = arena.alloc(rows * d);
    this.m = arena.alloc(rows * d);
    this.v = arena.alloc(rows * d);
    this.list = arena.alloc(rows);
    this.touched = new Int32Array(rows);
    this.stamp = new Int32Array(rows).fill(-1);
  }

  view(f32: Float32Array, which: 'at' | 'g'): Float32Array {
    return f32.subarray(this[which] / 4, this[which] / 4 + this.rows * this.d);
  }

  /** g[row] += f32[from … from+d) (byte offset `from`), the row remembered as touched. */
  addRow(f32: Float32Array, row: number, from: number): void {
    if (this.stamp[row] !== this.batch) {
      this.stamp[row] = this.batch;
      this.touched[this.count++] = row;
    }
    const o = (this.g / 4) + row * this.d;
    const s = from / 4;
    for (let j = 0; j < this.d; j++) f32[o + j] += f32[s + j];
  }

  zeroGradient(f32: Float32Array): void {
    f32.fill(0, this.g / 4, this.g / 4 + this.rows * this.d);
    this.stamp.fill(-1);
    this.count = 0;
  }

  /** One Adam step (a = lr/(1 − β₁ᵗ), b = 1/(1 − β₂ᵗ)) on the touched rows (lazy) or every row; gradients zeroed after. */
  adam(k: Kernels, a: number, b: number, lazy: boolean): void {
    if (lazy) {
      new Int32Array(k.memory.buffer, this.list, this.count).set(this.touched.subarray(0, this.count));
      k.adamRows(this.at, this.g, this.m, this.v, this.list, this.count, 4 * this.d, a, b, ADAM_BETA1, ADAM_BETA2);
    } else k.adam(this.at, this.g, this.m, this.v, this.rows * this.d, a, b, ADAM_BETA1, ADAM_BETA2);
    this.count = 0;
    this.batch++;
  }
}

/**
 * Mean softmax cross-entropy of n rows of logits (T of each row's Tp floats, at float index lo)
 * against gold tags; its gradient with respect to the logits written at float index go (padding
 * columns 0).
 */
export function crossEntropy(f: Float32Array, lo: number, go: number, n: number, T: number, Tp: number, gold: ArrayLike<number>): number {
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const o = lo + i * Tp;
    let max = -Infinity;
    for (let t = 0; t < T; t++) if (f[o + t] > max) max = f[o + t];
    let sum = 0;
    for (let t = 0; t < T; t++) sum += Math.exp(f[o + t] - max);
    const g = gold[i];
    loss += Math.log(sum) + max - f[o + g];
    for (let t = 0; t < Tp; t++) f[go + i * Tp + t] = t < T ? Math.exp(f[o + t] - max) / sum / n : 0;
    f[go + i * Tp + g] -= 1 / n;
  }
  return loss / n;
}

/** Row-wise argmax of n rows of T logits, Tp floats apart from float index lo. */
export function argmaxPadded(f: Float32Array, lo: number, n: number, T: number, Tp: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = lo + i * Tp;
    let best = 0;
    for (let t = 1; t < T; t++) if (f[r + t] > f[r + best]) best = t;
    out[i] = best;
  }
  return out;
}

/** Adam's bias-corrected step factors at step t (1, 2, …): a = lr/(1 − β₁ᵗ), b = 1/(1 − β₂ᵗ). */
export function adamFactors(lr: number, t: number): { a: number; b: number } {
  return { a: lr / (1 - ADAM_BETA1 ** t), b: 1 / (1 - ADAM_BETA2 ** t) };
}
