/**
 * The transformer engine's WebAssembly kernels (src/model/transformer/kernels.ts), each against a
 * plain loop written from its definition, on random data with sizes that exercise every tile and
 * edge path (rows and columns not multiples of the register tile, strided and transposed operands).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GEMM_ACC, GEMM_RELU, loadKernels, type Kernels } from '../../src/model/transformer/kernels.js';
import { Rng } from '../../src/core/rng.js';

const k = loadKernels(8 << 20) as Kernels;
const f32 = () => new Float32Array(k.memory.buffer);
/** A bump allocator over the kernel memory (byte offsets, 16-byte aligned). */
let top = 64;
function alloc(floats: number): number {
  const at = top;
  top += Math.ceil((floats * 4) / 16) * 16 + 16;
  return at;
}
function fill(at: number, n: number, rng: Rng, scale = 1): Float32Array {
  const v = f32().subarray(at / 4, at / 4 + n);
  for (let i = 0; i < n; i++) v[i] = scale * rng.normal();
  return v;
}
const view = (at: number, n: number) => f32().subarray(at / 4, at / 4 + n);

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
  assert.ok(worst <= tol, `${what}: worst relative difference ${worst}`);
}

test('the kernels need WebAssembly SIMD, which Node has', () => {
  assert.ok(k, 'loadKernels returned null');
});

test('gemm: A·B + bias, Aᵀ·B accumulated, column sums, ReLU, for sizes off the register tile', () => {
  const rng = new Rng(1);
  for (const [n, kk, m] of [[1, 1, 4], [3, 5, 4], [7, 3, 12], [9, 16, 36], [13, 64, 8], [4, 7, 20]]) {
    top = 64;
    const A = alloc(n * kk), B = alloc(kk * m), bias = alloc(m), C = alloc(n * m), G = alloc(kk * m), one = alloc(1), cs = alloc(m);
    const a = Float64Array.from(fill(A, n * kk, rng));
    const b = Float64Array.from(fill(B, kk * m, rng));
    const bi = Float64Array.from(fill(bias, m, rng));
    // C = relu(A·B + bias)
    k.gemm(A, kk * 4, 4, B, m * 4, C, m * 4, n, m, kk, bias, GEMM_RELU);
    const want = new Float64Array(n * m);
    for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) {
      let s = bi[j];
      for (let p = 0; p < kk; p++) s += a[i * kk + p] * b[p * m + j];
      want[i * m + j] = Math.max(0, s);
    }
    close(view(C, n * m), want, 1e-5, `relu(A·B + b) ${n}×${kk}×${m}`);
    // G (kk × m) = g0 + Aᵀ·C, C being n × m
    const g0 = Float64Array.from(fill(G, kk * m, rng));
    const c = Float64Array.from(view(C, n * m));
    k.gemm(A, 4, kk * 4, C, m * 4, G, m * 4, kk, m, n, 0, GEMM_ACC);
    const wantG = g0.slice();
    for (let p = 0; p < kk; p++) for (let j = 0; j < m; j++) for (let i = 0; i < n; i++) wantG[p * m + j] += a[i * kk + p] * c[i * m + j];
    close(view(G, kk * m), wantG, 1e-5, `G + Aᵀ·C ${n}×${kk}×${m}`);
    // column sums of C: X is a single 1.0 read with zero strides
    view(one, 1)[0] = 1;
    k.gemm(one, 0, 0, C, m * 4, cs, 0, 1, m, n, 0, 0);
    const wantCs = new Float64Array(m);
    for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) wantCs[j] += c[i * m + j];
    close(view(cs, m), wantCs, 1e-5, `column sums ${n}×${m}`);
  }
});

test('transpose: every element lands at its mirrored place (square and ragged shapes, strided rows)', () => {
  const rng = new Rng(2);
  for (const [r, c] of [[1, 1], [4, 4], [5, 7], [8, 3], [13, 17]]) {
    top = 64;
    const sr = (c + 3) * 4, dr = (r + 5) * 4;
    const S = alloc((r * sr) / 4), D = alloc((c * dr) / 4);
    const src = fill(S, (r * sr) / 4, rng).slice();
    k.transpose(S, sr, D, dr, r, c);
    const dst = view(D, (c * dr) / 4);
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) assert.equal(dst[(j * dr) / 4 + i], src[(i * sr) / 4 + j], `${r}×${c} at ${i},${j}`);
  }
});

test('layerNorm and layerNormBack match their definitions', () => {
  const rng = new Rng(3);
  for (const [n, d] of [[1, 4], [5, 8], [3, 64]]) {
    top = 64;
    const X = alloc(n * d), g = alloc(d), b = alloc(d), Xh = alloc(n * d), Y = alloc(n * d), rs = alloc(n);
    const x = Float64Array.from(fill(X, n * d, rng, 2));
    const gg = Float64Array.from(fill(g, d, rng));
    const bb = Float64Array.from(fill(b, d, rng));
    k.layerNorm(X, g, b, Xh, Y, rs, n, d, 1e-5);
    const wantXh = new Float64Array(n * d), wantY = new Float64Array(n * d), wantR = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const row = x.subarray(i * d, i * d + d);
      const mean = row.reduce((s, v) => s + v, 0) / d;
      const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / d;
      wantR[i] = 1 / Math.sqrt(variance + 1e-5);
      for (let j = 0; j < d; j++) {
        wantXh[i * d + j] = (row[j] - mean) * wantR[i];
        wantY[i * d + j] = wantXh[i * d + j] * gg[j] + bb[j];
      }
    }
    close(view(Xh, n * d), wantXh, 1e-5, 'x̂');
    close(view(Y, n * d), wantY, 1e-5, 'y');
    close(view(rs, n), wantR, 1e-5, 'rstd');
    // backward, added into dG, dB, dX
    const dY = alloc(n * d), dG = alloc(d), dB = alloc(d), dX = alloc(n * d);
    const dy = Float64Array.from(fill(dY, n * d, rng));
    const dg0 = Float64Array.from(fill(dG, d, rng)), db0 = Float64Array.from(fill(dB, d, rng)), dx0 = Float64Array.from(fill(dX, n * d, rng));
    const xh = Float64Array.from(view(Xh, n * d)), r = Float64Array.from(view(rs, n));
    k.layerNormBack(dY, Xh, rs, g, dG, dB, dX, n, d);
    const wantDg = dg0.slice(), wantDb = db0.slice(), wantDx = dx0.slice();
    for (let i = 0; i < n; i++) {
      let m1 = 0, m2 = 0;
      for (let j = 0; j < d; j++) {
        wantDg[j] += dy[i * d + j] * xh[i * d + j];
        wantDb[j] += dy[i * d + j];
        m1 += dy[i * d + j] * gg[j];
        m2 += dy[i * d + j] * gg[j] * xh[i * d + j];
      }
      m1 /= d;
      m2 /= d;
      for (let j = 0; j < d; j++) wantDx[i * d + j] += r[i] * (dy[i * d + j] * gg[j] - m1 - xh[i * d + j] * m2);
    }
    close(view(dG, d), wantDg, 1e-5, 'dγ');
    close(view(dB, d), wantDb, 1e-5, 'dβ');
    close(view(dX, n * d), wantDx, 1e-4, 'dx');
  }
});

test('softmaxRows: softmax of the scaled scores (exp to float32 accuracy), padding zeroed; softmaxBack: its Jacobian-vector product', () => {
  const rng = new Rng(4);
  for (const L of [1, 3, 4, 5, 17, 64]) {
    top = 64;
    const Lp = Math.ceil(L / 4) * 4, rows = L, sr = (Lp + 4) * 4, scale = 0.25;
    const S = alloc((rows * sr) / 4);
    const s = Float64Array.from(fill(S, (rows * sr) / 4, rng, 8));
    k.softmaxRows(S, rows, L, sr, scale);
    const p = view(S, (rows * sr) / 4);
    const want = new Float64Array(rows * Lp);
    for (let i = 0; i < rows; i++) {
      const row = Array.from({ length: L }, (_, j) => scale * s[(i * sr) / 4 + j]);
      const mx = Math.max(...row);
      const e = row.map((v) => Math.exp(v - mx));
      const sum = e.reduce((a, v) => a + v, 0);
      for (let j = 0; j < L; j++) want[i * Lp + j] = e[j] / sum;
    }
    const got = new Float64Array(rows * Lp);
    for (let i = 0; i < rows; i++) for (let j = 0; j < Lp; j++) got[i * Lp + j] = p[(i * sr) / 4 + j];
    let worst = 0;
    want.forEach((w, i) => (worst = Math.max(worst, Math.abs(got[i] - w) / Math.max(1e-30, w))));
    assert.ok(worst < 2e-6, `L ${L}: worst relative error of a probability ${worst}`);
    for (let i = 0; i < rows; i++) for (let j = L; j < Lp; j++) assert.equal(got[i * Lp + j], 0, 'padding probability');
    // dS = scale·P⊙(dP − Σ P·dP)
    const dP = alloc((rows * sr) / 4);
    const dp = Float64Array.from(fill(dP, (rows * sr) / 4, rng));
    k.softmaxBack(S, dP, rows, Lp, sr, scale);
    const ds = view(dP, (rows * sr) / 4);
    for (let i = 0; i < rows; i++) {
      let dot = 0;
      for (let j = 0; j < Lp; j++) dot += got[i * Lp + j] * dp[(i * sr) / 4 + j];
      for (let j = 0; j < Lp; j++) {
        const w = scale * got[i * Lp + j] * (dp[(i * sr) / 4 + j] - dot);
        assert.ok(Math.abs(ds[(i * sr) / 4 + j] - w) < 1e-6, `dS L ${L} at ${i},${j}`);
      }
    }
  }
});

test('adam and adamRows: one Adam step as defined, gradients zeroed, untouched rows untouched', () => {
  const rng = new Rng(5);
  top = 64;
  const rows = 6, w = 8, n = rows * w;
  const P = alloc(n), G = alloc(n), M = alloc(n), V = alloc(n), list = alloc(2);
  const step = (p: Float64Array, g: Float64Array, m: Float64Array, v: Float64Array, i: number, a: number, b: number) => {
    m[i] = 0.9 * m[i] + 0.1 * g[i];
    v[i] = 0.98 * v[i] + 0.02 * g[i] * g[i];
    p[i] -= (a * m[i]) / (Math.sqrt(b * v[i]) + 1e-8);
  };
  const p = Float64Array.from(fill(P, n, rng)), g = Float64Array.from(fill(G, n, rng)), m = Float64Array.from(fill(M, n, rng, 0.1));
  const v = Float64Array.from(fill(V, n, rng)).map((x) => x * x);
  view(V, n).set(v);
  k.adam(P, G, M, V, n, 0.01, 1.5, 0.9, 0.98);
  for (let i = 0; i < n; i++) step(p, g, m, v, i, 0.01, 1.5);
  close(view(P, n), p, 1e-6, 'P');
  close(view(M, n), m, 1e-6, 'M');
  close(view(V, n), v, 1e-6, 'V');
  assert.ok(view(G, n).every((x) => x === 0), 'G zeroed');
  // rows 1 and 4 only
  const g2 = Float64Array.from(fill(G, n, rng));
  const before = Float64Array.from(view(P, n));
  new Int32Array(k.memory.buffer, list, 2).set([4, 1]);
  k.adamRows(P, G, M, V, list, 2, w * 4, 0.02, 1.1, 0.9, 0.98);
  for (const r of [1, 4]) for (let j = 0; j < w; j++) step(before, g2, m, v, r * w + j, 0.02, 1.1);
  close(view(P, n), before, 1e-6, 'P after adamRows');
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < w; j++) assert.equal(view(G, n)[r * w + j], r === 1 || r === 4 ? 0 : Math.fround(g2[r * w + j]), `G row ${r}`);
  }
});

test('reluMask keeps the gradient where the activation is positive', () => {
  top = 64;
  const D = alloc(8), F = alloc(8);
  view(D, 8).set([1, 2, 3, 4, 5, 6, 7, 8]);
  view(F, 8).set([1, 0, -1, 2, -0, 3, -2, 0.5]);
  k.reluMask(D, F, 8);
  assert.deepEqual(Array.from(view(D, 8)), [1, 0, 0, 4, 0, 6, 0, 8]);
});
