/**
 * Linear CKA (centred kernel alignment, Kornblith et al. 2019) between two sets of activations of
 * the same n inputs, X (n × p) and Y (n × q), rows = inputs:
 *
 *     CKA(X, Y) = ‖Ycᵀ Xc‖²_F / (‖Xcᵀ Xc‖_F · ‖Ycᵀ Yc‖_F),     Xc, Yc column-centred.
 *
 * 1 for identical representations; invariant to orthogonal transforms and isotropic scaling of
 * either side; 0 when a side is constant (no information; the formula would be 0/0).
 *
 * `linearCka` is the plain definition (float64, dense). `CkaAccumulator` is what the evaluator's JS
 * path uses: it streams the probed model's activations image by image against the original's,
 * skipping zero activations (ReLU), so CKA costs about one extra pass of n·h² multiply-adds at most.
 * The evaluator's WASM path accumulates the same moments in the same order in its kernel
 * (wasm-kernel.ts `ckaAdd`); `ckaFromMoments` finishes both.
 */

/** Linear CKA of row-major X (n × p) and Y (n × q). */
export function linearCka(x: ArrayLike<number>, y: ArrayLike<number>, n: number, p: number, q: number): number {
  const xc = centred(x, n, p);
  const yc = centred(y, n, q);
  const cross = gramNorm2(yc, xc, n, q, p);
  const xx = Math.sqrt(gramNorm2(xc, xc, n, p, p));
  const yy = Math.sqrt(gramNorm2(yc, yc, n, q, q));
  return xx === 0 || yy === 0 ? 0 : cross / (xx * yy);
}

function centred(a: ArrayLike<number>, n: number, p: number): Float64Array {
  const out = Float64Array.from(a as ArrayLike<number>);
  for (let j = 0; j < p; j++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += out[k * p + j];
    const m = n ? s / n : 0;
    for (let k = 0; k < n; k++) out[k * p + j] -= m;
  }
  return out;
}

/** ‖Aᵀ B‖²_F for row-major A (n × p), B (n × q). */
function gramNorm2(a: Float64Array, b: Float64Array, n: number, p: number, q: number): number {
  const g = new Float64Array(p * q);
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < p; i++) {
      const v = a[k * p + i];
      if (v === 0) continue;
      for (let j = 0; j < q; j++) g[i * q + j] += v * b[k * q + j];
    }
  }
  let s = 0;
  for (let i = 0; i < g.length; i++) s += g[i] * g[i];
  return s;
}

/** The original model's activations, centred once, with ‖Xcᵀ Xc‖_F. */
export interface CkaReference {
  n: number;
  h: number;
  /** Centred activations, row-major n × h. */
  xc: Float64Array;
  normXX: number;
}

export function ckaReference(x: ArrayLike<number>, n: number, h: number): CkaReference {
  const xc = centred(x, n, h);
  return { n, h, xc, normXX: Math.sqrt(gramNorm2(xc, xc, n, h, h)) };
}

/**
 * Streams the probed model's activations (any order of image blocks) against a CkaReference.
 * Because Σ_k xc_k = 0, Ycᵀ Xc = Yᵀ Xc: only the reference side needs centring, and Ycᵀ Yc comes
 * from Yᵀ Y and the column sums of Y.
 */
export class CkaAccumulator {
  private readonly yx: Float64Array;
  private readonly yy: Float64Array;
  private readonly sum: Float64Array;
  private readonly nz: Int32Array;
  private seen = 0;

  constructor(private readonly ref: CkaReference) {
    const h = ref.h;
    this.yx = new Float64Array(h * h);
    this.yy = new Float64Array(h * h);
    this.sum = new Float64Array(h);
    this.nz = new Int32Array(h);
  }

  /** Add image `k`'s activations y[offset .. offset + h). */
  add(k: number, y: ArrayLike<number>, offset: number): void {
    const { h, xc } = this.ref;
    const { yx, yy, sum, nz } = this;
    let m = 0;
    for (let j = 0; j < h; j++) if (y[offset + j] !== 0) nz[m++] = j;
    const xo = k * h;
    for (let a = 0; a < m; a++) {
      const i = nz[a];
      const v = y[offset + i];
      sum[i] += v;
      const row = i * h;
      for (let j = 0; j < h; j++) yx[row + j] += v * xc[xo + j];
      // upper triangle of Yᵀ Y over the non-zero entries only
      for (let b = a; b < m; b++) yy[row + nz[b]] += v * y[offset + nz[b]];
    }
    this.seen++;
  }

  /** CKA over the images added (all n of the reference's must have been added once). */
  value(): number {
    if (this.seen !== this.ref.n) throw new Error(`CKA needs all ${this.ref.n} images, got ${this.seen}`);
    return ckaFromMoments(this.ref, this.yx, this.yy, this.sum);
  }
}

/**
 * CKA from the moments of all n images of the probed side: yx = Yᵀ Xc (h × h), the upper triangle of
 * Yᵀ Y (h × h; entries below the diagonal are ignored) and the column sums of Y. The evaluator's WASM
 * kernel (wasm-kernel.ts ckaAdd) accumulates the same moments as CkaAccumulator.add.
 */
export function ckaFromMoments(ref: CkaReference, yx: ArrayLike<number>, yy: ArrayLike<number>, sum: ArrayLike<number>): number {
  const { h, n, normXX } = ref;
  let cross = 0;
  for (let i = 0; i < h * h; i++) cross += yx[i] * yx[i];
  let yy2 = 0;
  for (let i = 0; i < h; i++) {
    for (let j = i; j < h; j++) {
      const c = yy[i * h + j] - (sum[i] * sum[j]) / n;
      yy2 += i === j ? c * c : 2 * c * c;
    }
  }
  const normYY = Math.sqrt(yy2);
  return normXX === 0 || normYY === 0 ? 0 : cross / (normXX * normYY);
}
