/**
 * The linear models the representation metrics fit (docs/multitask.md): least squares (with a
 * vanishing ridge, so rank-deficient codes such as one-hot tables still have a unique answer),
 * and L2-regularised logistic regression. Pure functions over row-major typed arrays; the
 * rows a fit uses are passed as an index list, so held-out splits need no copies.
 *
 * The small linear systems are solved by ml-matrix (Cholesky, SVD as the fallback). The logistic fit
 * is our own Newton iteration: ml-logistic-regression (the mljs package) runs a fixed number of
 * un-normalised gradient steps with no intercept, no regularisation and no convergence test, so its
 * answer depends on the sample count and feature scale and diverges on separable data, which
 * disentangled codes are. Both fits are deterministic: no randomness, so no seed.
 */
import { CholeskyDecomposition, Matrix, solve as svdSolve } from 'ml-matrix';
import { UserError } from '../core/errors.js';

/** n samples × dims values, row-major: sample k's values are values[k·dims … k·dims + dims). */
export interface SampleMatrix {
  values: ArrayLike<number>;
  n: number;
  dims: number;
}

/** A checked SampleMatrix (the length must be n × dims, every value finite). */
export function sampleMatrix(values: ArrayLike<number>, n: number, dims: number, what = 'matrix'): SampleMatrix {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(dims) || dims < 1) throw new UserError(`${what}: bad shape ${n} × ${dims}`);
  if (values.length !== n * dims) throw new UserError(`${what} holds ${values.length} values, not ${n} × ${dims}`);
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) throw new UserError(`${what} has a non-finite value at row ${Math.floor(i / dims)}`);
  return { values, n, dims };
}

/** 0 … n−1. */
export function allRows(n: number): Uint32Array {
  const r = new Uint32Array(n);
  for (let k = 0; k < n; k++) r[k] = k;
  return r;
}

/** Column means of x over `rows`. */
export function columnMeans(x: SampleMatrix, rows: ArrayLike<number>): Float64Array {
  const p = x.dims;
  const m = new Float64Array(p);
  for (let r = 0; r < rows.length; r++) {
    const o = rows[r] * p;
    for (let j = 0; j < p; j++) m[j] += x.values[o + j];
  }
  if (rows.length) for (let j = 0; j < p; j++) m[j] /= rows.length;
  return m;
}

/** Population standard deviations of the columns of x over `rows`, given their means. */
export function columnSds(x: SampleMatrix, rows: ArrayLike<number>, mean: Float64Array): Float64Array {
  const p = x.dims;
  const s = new Float64Array(p);
  for (let r = 0; r < rows.length; r++) {
    const o = rows[r] * p;
    for (let j = 0; j < p; j++) s[j] += (x.values[o + j] - mean[j]) ** 2;
  }
  for (let j = 0; j < p; j++) s[j] = rows.length ? Math.sqrt(s[j] / rows.length) : 0;
  return s;
}

/** Solve the symmetric positive semi-definite system A·X = B (p × p, p × q): Cholesky, or SVD when A is singular. */
function solveSymmetric(a: Float64Array, b: Float64Array, p: number, q: number): Float64Array {
  const A = Matrix.from1DArray(p, p, a);
  const B = Matrix.from1DArray(p, q, b);
  const chol = new CholeskyDecomposition(A);
  const X = chol.isPositiveDefinite() ? chol.solve(B) : svdSolve(A, B, true);
  return Float64Array.from(X.to1DArray());
}

export interface LinearFit {
  /** p × q, row-major: prediction_j = intercept_j + Σ_i x_i · weights[i·q + j]. */
  weights: Float64Array;
  intercept: Float64Array;
  p: number;
  q: number;
}

export interface LeastSquaresOptions {
  /**
   * Ridge λ relative to the mean variance of the inputs (λ = ridge · trace(XcᵀXc)/p). The default
   * 1e-8 only decides what plain least squares leaves undetermined (directions with no variance).
   */
  ridge?: number;
}

/**
 * Least squares of y on x (with an intercept) over `rows`: minimises Σ ‖y − xW − b‖² + λ‖W‖²
 * through the centred normal equations (XcᵀXc + λI) W = XcᵀYc.
 */
export function leastSquares(x: SampleMatrix, y: SampleMatrix, rows: ArrayLike<number> = allRows(x.n), options: LeastSquaresOptions = {}): LinearFit {
  if (x.n !== y.n) throw new UserError(`least squares: ${x.n} input rows but ${y.n} target rows`);
  const p = x.dims, q = y.dims;
  const { ridge = 1e-8 } = options;
  const mx = columnMeans(x, rows);
  const my = columnMeans(y, rows);
  const G = new Float64Array(p * p);
  const B = new Float64Array(p * q);
  const xr = new Float64Array(p);
  for (let r = 0; r < rows.length; r++) {
    const k = rows[r];
    for (let i = 0; i < p; i++) xr[i] = x.values[k * p + i] - mx[i];
    for (let i = 0; i < p; i++) {
      const v = xr[i];
      if (v === 0) continue;
      for (let j = i; j < p; j++) G[i * p + j] += v * xr[j];
      for (let j = 0; j < q; j++) B[i * q + j] += v * (y.values[k * q + j] - my[j]);
    }
  }
  let trace = 0;
  for (let i = 0; i < p; i++) {
    trace += G[i * p + i];
    for (let j = 0; j < i; j++) G[i * p + j] = G[j * p + i];
  }
  let weights: Float64Array;
  if (trace === 0) weights = new Float64Array(p * q); // constant inputs: predict the mean
  else {
    const lambda = (ridge * trace) / p;
    for (let i = 0; i < p; i++) G[i * p + i] += lambda;
    weights = solveSymmetric(G, B, p, q);
  }
  const intercept = Float64Array.from(my);
  for (let i = 0; i < p; i++) for (let j = 0; j < q; j++) intercept[j] -= mx[i] * weights[i * q + j];
  return { weights, intercept, p, q };
}

/** Predictions of a linear fit for `rows` of x, row-major rows.length × q. */
export function predictLinear(fit: LinearFit, x: SampleMatrix, rows: ArrayLike<number> = allRows(x.n)): Float64Array {
  if (x.dims !== fit.p) throw new UserError(`linear fit expects ${fit.p} inputs, got ${x.dims}`);
  const { p, q, weights, intercept } = fit;
  const out = new Float64Array(rows.length * q);
  for (let r = 0; r < rows.length; r++) {
    const k = rows[r];
    out.set(intercept, r * q);
    for (let i = 0; i < p; i++) {
      const v = x.values[k * p + i];
      if (v === 0) continue;
      for (let j = 0; j < q; j++) out[r * q + j] += v * weights[i * q + j];
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Logistic regression

export interface LogisticFit {
  /** Weights on the original (unstandardised) inputs: P(y = 1) = σ(intercept + x·weights). */
  weights: Float64Array;
  intercept: number;
  /** Newton iterations taken. */
  iterations: number;
}

export interface LogisticOptions {
  /**
   * L2 penalty λ on the standardised weights: minimises Σ log-loss + λ/2·‖w‖² (scikit-learn's
   * LogisticRegression with C = 1/λ). Default 1. Keeps separable data (a perfectly abstract code)
   * at a finite answer.
   */
  l2?: number;
  /** Default 100. */
  maxIterations?: number;
}

/**
 * L2-regularised logistic regression of binary `labels` (0/1 per sample of x) on the `rows` of x,
 * by Newton's method with backtracking on the standardised inputs (columns with no variance get
 * weight 0). The objective is strictly convex, so the answer does not depend on the start.
 */
export function logisticRegression(x: SampleMatrix, labels: ArrayLike<number>, rows: ArrayLike<number> = allRows(x.n), options: LogisticOptions = {}): LogisticFit {
  const { l2 = 1, maxIterations = 100 } = options;
  if (!(l2 > 0)) throw new UserError(`logistic regression needs an L2 penalty > 0, got ${l2}`);
  if (labels.length !== x.n) throw new UserError(`logistic regression: ${x.n} rows but ${labels.length} labels`);
  const p = x.dims;
  const n = rows.length;
  const mean = columnMeans(x, rows);
  const sd = columnSds(x, rows, mean);
  // Standardised design with an intercept column last: n × (p + 1).
  const P = p + 1;
  const X = new Float64Array(n * P);
  const y = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const k = rows[r];
    for (let i = 0; i < p; i++) X[r * P + i] = sd[i] > 0 ? (x.values[k * p + i] - mean[i]) / sd[i] : 0;
    X[r * P + p] = 1;
    y[r] = labels[k] ? 1 : 0;
  }
  const objective = (w: Float64Array): number => {
    let f = 0;
    for (let r = 0; r < n; r++) {
      let z = 0;
      for (let i = 0; i < P; i++) z += X[r * P + i] * w[i];
      // log(1 + e^z) − y·z, computed without overflow
      f += Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))) - y[r] * z;
    }
    for (let i = 0; i < p; i++) f += 0.5 * l2 * w[i] * w[i];
    return f;
  };
  let w = new Float64Array(P);
  let f = objective(w);
  let it = 0;
  const grad = new Float64Array(P);
  const hess = new Float64Array(P * P);
  for (; it < maxIterations; it++) {
    grad.fill(0);
    hess.fill(0);
    for (let r = 0; r < n; r++) {
      let z = 0;
      for (let i = 0; i < P; i++) z += X[r * P + i] * w[i];
      const mu = 1 / (1 + Math.exp(-z));
      const e = mu - y[r];
      const v = mu * (1 - mu);
      for (let i = 0; i < P; i++) {
        const xi = X[r * P + i];
        if (xi === 0) continue;
        grad[i] += e * xi;
        const vx = v * xi;
        for (let j = i; j < P; j++) hess[i * P + j] += vx * X[r * P + j];
      }
    }
    for (let i = 0; i < P; i++) {
      if (i < p) {
        grad[i] += l2 * w[i];
        hess[i * P + i] += l2;
      } else hess[i * P + i] += 1e-12 * n; // the intercept is unpenalised; keeps a one-class fit solvable
      for (let j = 0; j < i; j++) hess[i * P + j] = hess[j * P + i];
    }
    const step = solveSymmetric(hess, grad, P, 1);
    // Backtracking: Newton's full step can overshoot far from the optimum.
    let t = 1;
    let next = w;
    let fNext = f;
    for (let tries = 0; tries < 40; tries++, t /= 2) {
      next = Float64Array.from(w, (wi, i) => wi - t * step[i]);
      fNext = objective(next);
      if (fNext <= f) break;
    }
    let change = 0;
    for (let i = 0; i < P; i++) change = Math.max(change, Math.abs(next[i] - w[i]));
    w = next;
    const improvement = f - fNext;
    f = fNext;
    // Newton converges quadratically: stop once a step no longer changes the fit in any useful digit.
    if (change < 1e-10 || improvement <= 1e-10 * Math.max(1, Math.abs(f))) {
      it++;
      break;
    }
  }
  const weights = new Float64Array(p);
  let intercept = w[p];
  for (let i = 0; i < p; i++) {
    if (sd[i] > 0) {
      weights[i] = w[i] / sd[i];
      intercept -= (w[i] * mean[i]) / sd[i];
    }
  }
  return { weights, intercept, iterations: it };
}

/** The logit intercept + x·weights of each of `rows`. */
export function logisticScores(fit: LogisticFit, x: SampleMatrix, rows: ArrayLike<number> = allRows(x.n)): Float64Array {
  const p = x.dims;
  if (fit.weights.length !== p) throw new UserError(`logistic fit expects ${fit.weights.length} inputs, got ${p}`);
  const out = new Float64Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    let z = fit.intercept;
    for (let i = 0; i < p; i++) z += x.values[rows[r] * p + i] * fit.weights[i];
    out[r] = z;
  }
  return out;
}
