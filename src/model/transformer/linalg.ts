/**
 * The three row-major products a dense layer's forward and backward pass need, over plain
 * Float32Arrays. On tfjs's WASM (or tfjs-node) backend they go through tf.matMul (XNNPACK's SIMD
 * kernels: ~20× the plain loops below on our machine); elsewhere, or with `useTfjsMatmul(false)`,
 * plain loops ordered so the innermost one walks contiguous memory.
 */
import * as tf from '@tensorflow/tfjs';

let allowTfjs = true;
/** Turn the tfjs path off (tests compare the two; the JS loops need no backend). */
export function useTfjsMatmul(on: boolean): void {
  allowTfjs = on;
}
function tfjsFast(): boolean {
  if (!allowTfjs) return false;
  const b = tf.getBackend();
  return b === 'wasm' || b === 'tensorflow';
}

/** Row-major transpose of X[r×c]. (tfjs-wasm's own transposed matMul runs ~10× slower than a JS transpose plus a plain one.) */
function transpose(x: Float32Array, r: number, c: number): Float32Array {
  const t = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) t[j * r + i] = x[i * c + j];
  return t;
}

function viaTfjs(a: Float32Array, aShape: [number, number], b: Float32Array, bShape: [number, number]): Float32Array {
  // tidy must return the tensor, not its data: tidy walks a returned container element by element.
  const product = tf.tidy(() => tf.matMul(tf.tensor2d(a.subarray(0, aShape[0] * aShape[1]), aShape), tf.tensor2d(b.subarray(0, bShape[0] * bShape[1]), bShape)));
  const out = product.dataSync() as Float32Array;
  product.dispose();
  return out;
}

/** C[n×m] = A[n×k] · B[k×m] (+ bias[m]); C is overwritten. */
export function matmul(a: Float32Array, b: Float32Array, bias: Float32Array | null, c: Float32Array, n: number, k: number, m: number): void {
  if (tfjsFast()) {
    c.set(viaTfjs(a, [n, k], b, [k, m]));
    if (bias) for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) c[i * m + j] += bias[j];
    return;
  }
  for (let i = 0; i < n; i++) {
    const ci = i * m;
    if (bias) for (let j = 0; j < m; j++) c[ci + j] = bias[j];
    else c.fill(0, ci, ci + m);
    const ai = i * k;
    for (let p = 0; p < k; p++) {
      const av = a[ai + p];
      if (av === 0) continue;
      const bp = p * m;
      for (let j = 0; j < m; j++) c[ci + j] += av * b[bp + j];
    }
  }
}

/** G[k×m] += A[n×k]ᵀ · D[n×m] (the weight gradient). */
export function matmulAtB(a: Float32Array, d: Float32Array, g: Float32Array, n: number, k: number, m: number): void {
  if (tfjsFast()) {
    const r = viaTfjs(transpose(a, n, k), [k, n], d, [n, m]);
    for (let i = 0; i < k * m; i++) g[i] += r[i];
    return;
  }
  for (let i = 0; i < n; i++) {
    const ai = i * k;
    const di = i * m;
    for (let p = 0; p < k; p++) {
      const av = a[ai + p];
      if (av === 0) continue;
      const gp = p * m;
      for (let j = 0; j < m; j++) g[gp + j] += av * d[di + j];
    }
  }
}

/** C[n×k] = D[n×m] · B[k×m]ᵀ (the input gradient); with accumulate, C += instead of =. */
export function matmulABt(d: Float32Array, b: Float32Array, c: Float32Array, n: number, k: number, m: number, accumulate = false): void {
  if (tfjsFast()) {
    const r = viaTfjs(d, [n, m], transpose(b, k, m), [m, k]);
    if (accumulate) for (let i = 0; i < n * k; i++) c[i] += r[i];
    else c.set(r);
    return;
  }
  for (let i = 0; i < n; i++) {
    const di = i * m;
    const ci = i * k;
    for (let p = 0; p < k; p++) {
      const bp = p * m;
      let s = 0;
      for (let j = 0; j < m; j++) s += d[di + j] * b[bp + j];
      c[ci + p] = accumulate ? c[ci + p] + s : s;
    }
  }
}

/** Column sums of D[n×m] added to g[m] (the bias gradient). */
export function addColumnSums(d: Float32Array, g: Float32Array, n: number, m: number): void {
  for (let i = 0; i < n; i++) {
    const di = i * m;
    for (let j = 0; j < m; j++) g[j] += d[di + j];
  }
}
