/**
 * Comparing a model's outputs: with labels (accuracy, macro-F1) or against the unprobed model's
 * outputs on the same inputs (top-1 agreement, mean KL divergence, cosine similarity). Outputs are
 * row-major [N, …, C]: the last axis holds one prediction's C class scores, so a sequence model
 * ([N, T, C], e.g. CTC text recognition) gives N·T predictions.
 */
import { UserError } from '../core/errors.js';
import { classOfLogits } from './predict.js';

export interface Outputs {
  data: Float32Array;
  /** [N, …, C]. */
  shape: number[];
}

/** Predictions per output row (the prediction rule of predict.ts on the last axis). */
export function topClasses(out: Outputs): Int32Array {
  const c = out.shape[out.shape.length - 1];
  const rows = out.data.length / c;
  const classes = new Int32Array(rows);
  for (let r = 0; r < rows; r++) classes[r] = classOfLogits(out.data, r * c, c);
  return classes;
}

/** Fraction of rows whose top class equals the label. */
export function accuracyOf(predicted: Int32Array, labels: ArrayLike<number>): number {
  let hit = 0;
  for (let i = 0; i < predicted.length; i++) if (predicted[i] === labels[i]) hit++;
  return hit / predicted.length;
}

/** Macro-averaged F1 over the classes that occur as a label or a prediction (as scikit-learn's f1_score(average='macro')). */
export function macroF1(predicted: Int32Array, labels: ArrayLike<number>): number {
  const tp = new Map<number, number>();
  const fp = new Map<number, number>();
  const fn = new Map<number, number>();
  const bump = (m: Map<number, number>, k: number) => m.set(k, (m.get(k) ?? 0) + 1);
  for (let i = 0; i < predicted.length; i++) {
    const p = predicted[i];
    const y = labels[i];
    if (p === y) bump(tp, p);
    else {
      bump(fp, p);
      bump(fn, y);
    }
  }
  const classes = new Set([...tp.keys(), ...fp.keys(), ...fn.keys()]);
  let sum = 0;
  for (const k of classes) {
    const t = tp.get(k) ?? 0;
    sum += (2 * t) / (2 * t + (fp.get(k) ?? 0) + (fn.get(k) ?? 0));
  }
  return sum / classes.size;
}

/** True when every row of the output is already a probability distribution (non-negative, sums to 1 ± 1e-3). */
export function isDistribution(out: Outputs): boolean {
  const c = out.shape[out.shape.length - 1];
  for (let r = 0; r < out.data.length; r += c) {
    let s = 0;
    for (let j = 0; j < c; j++) {
      const v = out.data[r + j];
      if (!(v >= 0)) return false;
      s += v;
    }
    if (Math.abs(s - 1) > 1e-3) return false;
  }
  return true;
}

/** Probabilities below this count as this in KL (both sides), so a class the probed model rules out costs a finite amount. */
export const KL_FLOOR = 1e-12;

export interface Agreement {
  /** Fraction of rows with the same top class. */
  agreement: number;
  /** Mean over rows of KL(reference ‖ probed), natural log; scores that are not distributions are softmaxed first. */
  kl: number;
  /** Mean over the N inputs of the cosine similarity of their whole outputs. */
  cosine: number;
}

/**
 * How far probed outputs are from reference outputs of the same inputs. `asDistribution` says
 * whether rows are already probabilities (decide it once from the reference: isDistribution).
 */
export function agreementOf(reference: Outputs, probed: Outputs, asDistribution: boolean): Agreement {
  return compareWith(reference, asDistribution)(probed);
}

/**
 * A comparer against one reference output: what depends only on the reference (its top classes,
 * its distributions and their Σ p·ln p, its norms) is computed once, since every probed
 * evaluation is compared with the same unprobed outputs.
 */
export function compareWith(reference: Outputs, asDistribution: boolean): (probed: Outputs) => Agreement {
  const c = reference.shape[reference.shape.length - 1];
  const n = reference.shape[0];
  const rows = reference.data.length / c;
  const per = reference.data.length / n;
  const top = topClasses(reference);
  const p = new Float64Array(reference.data.length);
  let pLogP = 0;
  for (let r = 0; r < rows; r++) {
    rowDistribution(reference.data, r * c, c, asDistribution, p.subarray(r * c, (r + 1) * c));
    for (let k = r * c; k < (r + 1) * c; k++) if (p[k] > 0) pLogP += p[k] * Math.log(Math.max(p[k], KL_FLOOR));
  }
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let aa = 0;
    for (let k = i * per; k < (i + 1) * per; k++) aa += reference.data[k] * reference.data[k];
    norms[i] = aa;
  }
  const q = new Float64Array(c);
  return (probed) => {
    if (probed.data.length !== reference.data.length) throw new UserError(`outputs differ in size: ${reference.shape} vs ${probed.shape}`);
    const other = topClasses(probed);
    let same = 0;
    for (let r = 0; r < rows; r++) if (top[r] === other[r]) same++;
    // KL(p‖q) = Σ p ln p − Σ p ln q, both with probabilities floored at KL_FLOOR
    let pLogQ = 0;
    for (let r = 0; r < rows; r++) {
      rowDistribution(probed.data, r * c, c, asDistribution, q);
      for (let j = 0; j < c; j++) {
        const pj = p[r * c + j];
        if (pj > 0) pLogQ += pj * Math.log(Math.max(q[j], KL_FLOOR));
      }
    }
    let cosine = 0;
    for (let i = 0; i < n; i++) {
      let ab = 0;
      let bb = 0;
      for (let k = i * per; k < (i + 1) * per; k++) {
        const y = probed.data[k];
        ab += reference.data[k] * y;
        bb += y * y;
      }
      const aa = norms[i];
      cosine += aa === 0 || bb === 0 ? (aa === bb ? 1 : 0) : ab / Math.sqrt(aa * bb);
    }
    // a probed model equal to the reference gives exactly 0, not rounding noise of either sign
    return { agreement: same / rows, kl: Math.max(0, (pLogP - pLogQ) / rows), cosine: cosine / n };
  };
}

function rowDistribution(data: Float32Array, offset: number, c: number, asDistribution: boolean, out: Float64Array): void {
  if (asDistribution) {
    for (let j = 0; j < c; j++) out[j] = data[offset + j];
    return;
  }
  let max = -Infinity;
  for (let j = 0; j < c; j++) max = Math.max(max, data[offset + j]);
  let s = 0;
  for (let j = 0; j < c; j++) s += out[j] = Math.exp(data[offset + j] - max);
  for (let j = 0; j < c; j++) out[j] /= s;
}
