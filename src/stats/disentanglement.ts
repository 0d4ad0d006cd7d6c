/**
 * How abstract and disentangled a representation of a latent state is: pure functions of an
 * activations matrix (n samples × units) and the latents (n × D) that produced it. Every metric is
 * written from its definition (docs/multitask.md gives each with its reference):
 *
 * - out-of-distribution r² of a linear decoder fitted on all orthants but one and tested on the
 *   held-out one (Vafidis et al. 2024, arXiv 2407.11249), in the paper's normalisation and
 *   normalised so that predicting the held-out orthant's centre scores 0; in-distribution r²;
 * - cross-condition generalisation performance (CCGP) and the parallelism score (Bernardi et al.,
 *   Cell 2020);
 * - MIG (Chen et al. 2018) and DCI (Eastwood & Williams 2018) as google-research/disentanglement_lib
 *   computes them, DCI with ridge-regression importances (docs/multitask.md says why);
 * - sparsity of hidden units; angles between the latents' decoders and between tasks' normals and
 *   the normals a linear read-out of the representation recovers.
 *
 * Randomness (which orthants are held out when there are many, train/test splits, sampled
 * pairings) comes from a seed in the options: the same seed gives the same numbers bit for bit.
 */
import { Rng, deriveSeed } from '../core/rng.js';
import { UserError } from '../core/errors.js';
import { LATENT_VARIANCE, orthantCentre, orthantsOf, taskLabels, type LatentTaskSet } from '../data/latent-tasks.js';
import {
  allRows,
  sampleMatrix,
  columnMeans,
  columnSds,
  leastSquares,
  logisticRegression,
  logisticScores,
  predictLinear,
  type SampleMatrix,
} from './linear-models.js';

function checkPair(rep: SampleMatrix, latents: SampleMatrix): void {
  sampleMatrix(rep.values, rep.n, rep.dims, 'representation');
  sampleMatrix(latents.values, latents.n, latents.dims, 'latents');
  if (rep.n !== latents.n) throw new UserError(`the representation has ${rep.n} samples but the latents ${latents.n}`);
  if (rep.n < 2) throw new UserError(`a representation metric needs at least 2 samples, got ${rep.n}`);
}

/** Seeded split of 0 … n−1 into a test part of round(n·fraction) rows and the rest. */
function randomSplit(n: number, fraction: number, seed: number, label: string): { train: Uint32Array; test: Uint32Array } {
  if (!(fraction > 0 && fraction < 1)) throw new UserError(`test fraction must be between 0 and 1, got ${fraction}`);
  const perm = new Rng(deriveSeed(seed, label)).permutation(n);
  const nTest = Math.min(n - 1, Math.max(1, Math.round(n * fraction)));
  const test = perm.slice(0, nTest).sort();
  const train = perm.slice(nTest).sort();
  return { train, test };
}

/** The rows not in `test`, and `test` sorted (each row once, in range). */
function splitAt(n: number, testRows: ArrayLike<number>): { train: Uint32Array; test: Uint32Array } {
  const inTest = new Uint8Array(n);
  for (let i = 0; i < testRows.length; i++) {
    const k = testRows[i];
    if (!Number.isInteger(k) || k < 0 || k >= n || inTest[k]) throw new UserError(`test rows must be distinct rows from 0 to ${n - 1}; got ${k}`);
    inTest[k] = 1;
  }
  const test = Uint32Array.from(testRows).sort();
  const train = allRows(n).filter((k) => !inTest[k]);
  if (train.length < 2 || test.length < 1) throw new UserError(`a split needs ≥ 2 training rows and ≥ 1 test row, got ${train.length} and ${test.length}`);
  return { train, test };
}

// ---------------------------------------------------------------------------------------------
// Decoding r²

export interface HeldOutScore {
  /** The held-out orthant (bit d set ⇔ z_d > 0). */
  orthant: number;
  nTrain: number;
  nTest: number;
  /** The paper's r² = 1 − MSE / (1/12): MSE over the held-out samples and all D coordinates. */
  r2: number;
  /** 1 − MSE / MSE(centre): 0 for a decoder that predicts the orthant's centre (±¼ per coordinate). */
  r2Centre: number;
}

/**
 * Scores of predictions of the latents of `rows` (all in `orthant`), `predicted` row-major
 * rows.length × D. In the paper's normalisation the trivial prediction of the orthant's centre
 * already scores 1 − (1/48)/(1/12) = 0.75, since z_d is uniform on an interval of width ½ there.
 */
export function heldOutScores(predicted: ArrayLike<number>, latents: SampleMatrix, rows: ArrayLike<number>, orthant: number): { r2: number; r2Centre: number; mse: number; mseCentre: number } {
  const D = latents.dims;
  if (predicted.length !== rows.length * D) throw new UserError(`predictions hold ${predicted.length} values, not ${rows.length} × ${D}`);
  if (rows.length === 0) throw new UserError(`orthant ${orthant} has no held-out samples`);
  const centre = orthantCentre(orthant, D);
  let se = 0, seCentre = 0;
  for (let r = 0; r < rows.length; r++) {
    for (let d = 0; d < D; d++) {
      const z = latents.values[rows[r] * D + d];
      se += (predicted[r * D + d] - z) ** 2;
      seCentre += (centre[d] - z) ** 2;
    }
  }
  const count = rows.length * D;
  const mse = se / count;
  const mseCentre = seCentre / count;
  return { r2: 1 - mse / LATENT_VARIANCE, r2Centre: mseCentre > 0 ? 1 - mse / mseCentre : NaN, mse, mseCentre };
}

export interface OodOptions {
  /** Seeds the choice of held-out orthants when not all are used. */
  seed: number;
  /** The orthants to hold out, in turn. Default: every orthant with ≥ minTest samples, or a seeded sample of maxHeldOut of them. */
  heldOut?: number[];
  /** Default 16 (all orthants for D ≤ 4). */
  maxHeldOut?: number;
  /** Fewest held-out samples an orthant needs to be scored (default 10). */
  minTest?: number;
  /** Least-squares ridge (linear-models.ts), default 1e-8. */
  ridge?: number;
}

export interface OodResult {
  /** Mean over the held-out orthants of the paper's r². */
  r2: number;
  /** Median over the held-out orthants of the paper's r² (the paper plots medians and quartiles). */
  r2Median: number;
  /** Mean over the held-out orthants of the centre-normalised r². */
  r2Centre: number;
  orthants: HeldOutScore[];
}

/**
 * Out-of-distribution r²: for each held-out orthant, fit z ≈ h·W + b by least squares on the
 * samples of every other orthant and score the predictions on the held-out samples
 * (heldOutScores). The paper trains its decoder by gradient descent on the same squared error;
 * least squares is that fit's optimum.
 */
export function oodR2(rep: SampleMatrix, latents: SampleMatrix, options: OodOptions): OodResult {
  checkPair(rep, latents);
  const D = latents.dims;
  const { minTest = 10, maxHeldOut = 16, ridge } = options;
  const orthant = orthantsOf(latents.values, latents.n, D);
  const counts = new Uint32Array(2 ** D);
  for (const o of orthant) counts[o]++;
  let chosen: number[];
  if (options.heldOut) {
    chosen = options.heldOut;
    for (const o of chosen) {
      if (!Number.isInteger(o) || o < 0 || o >= 2 ** D) throw new UserError(`held-out orthant must be from 0 to ${2 ** D - 1}, got ${o}`);
      if (counts[o] < minTest) throw new UserError(`held-out orthant ${o} has ${counts[o]} samples, fewer than ${minTest}`);
    }
  } else {
    const eligible = [...counts.keys()].filter((o) => counts[o] >= minTest);
    if (eligible.length === 0) throw new UserError(`no orthant has ${minTest} samples to hold out (${latents.n} samples over ${2 ** D} orthants)`);
    if (eligible.length <= maxHeldOut) chosen = eligible;
    else {
      const perm = new Rng(deriveSeed(options.seed, 'ood-orthants')).permutation(eligible.length);
      chosen = Array.from(perm.subarray(0, maxHeldOut), (i) => eligible[i]).sort((a, b) => a - b);
    }
  }
  const scores = chosen.map((o): HeldOutScore => {
    const train: number[] = [], test: number[] = [];
    for (let k = 0; k < latents.n; k++) (orthant[k] === o ? test : train).push(k);
    if (train.length < 2) throw new UserError(`only ${train.length} samples outside orthant ${o} to fit a decoder on`);
    const fit = leastSquares(rep, latents, train, { ridge });
    const s = heldOutScores(predictLinear(fit, rep, test), latents, test, o);
    return { orthant: o, nTrain: train.length, nTest: test.length, r2: s.r2, r2Centre: s.r2Centre };
  });
  const mean = (f: (s: HeldOutScore) => number) => scores.reduce((a, s) => a + f(s), 0) / scores.length;
  const sorted = scores.map((s) => s.r2).sort((a, b) => a - b);
  const h = sorted.length >> 1;
  const r2Median = sorted.length % 2 ? sorted[h] : (sorted[h - 1] + sorted[h]) / 2;
  return { r2: mean((s) => s.r2), r2Median, r2Centre: mean((s) => s.r2Centre), orthants: scores };
}

export interface InDistributionOptions {
  /** Seeds the train/test split. */
  seed: number;
  /** Default 0.2. */
  testFraction?: number;
  ridge?: number;
}

/**
 * In-distribution r²: a least-squares decoder of z fitted on a random (1 − testFraction) of the
 * samples, scored on the rest: `r2` in the paper's normalisation (1 − MSE/(1/12)) and `r2Variance`
 * normalised by the test latents' own variance (the usual coefficient of determination, pooled
 * over coordinates).
 */
export function inDistributionR2(rep: SampleMatrix, latents: SampleMatrix, options: InDistributionOptions): { r2: number; r2Variance: number; nTrain: number; nTest: number } {
  checkPair(rep, latents);
  const { train, test } = randomSplit(rep.n, options.testFraction ?? 0.2, options.seed, 'in-distribution');
  const D = latents.dims;
  const pred = predictLinear(leastSquares(rep, latents, train, { ridge: options.ridge }), rep, test);
  const mean = new Float64Array(D);
  for (const k of test) for (let d = 0; d < D; d++) mean[d] += latents.values[k * D + d] / test.length;
  let se = 0, ss = 0;
  test.forEach((k, r) => {
    for (let d = 0; d < D; d++) {
      const z = latents.values[k * D + d];
      se += (pred[r * D + d] - z) ** 2;
      ss += (z - mean[d]) ** 2;
    }
  });
  const mse = se / (test.length * D);
  return { r2: 1 - mse / LATENT_VARIANCE, r2Variance: ss > 0 ? 1 - se / ss : NaN, nTrain: train.length, nTest: test.length };
}

// ---------------------------------------------------------------------------------------------
// CCGP and the parallelism score (Bernardi et al. 2020)

export interface CcgpOptions {
  /** Seeds the sample of held-out pairs when there are more than maxSplits. */
  seed: number;
  /** The (side-0 condition, side-1 condition) pairs to hold out, in turn. Default: every pair, or a seeded sample of maxSplits. */
  holdOuts?: [number, number][];
  /** Default 64. */
  maxSplits?: number;
  /** Logistic regression's L2 penalty (linear-models.ts), default 1. */
  l2?: number;
}

export interface CcgpSplit {
  heldOut: [number, number];
  /** Balanced accuracy on the two held-out conditions (mean of their per-condition accuracies). */
  accuracy: number;
}

function conditionRows(conditions: ArrayLike<number>, n: number): Map<number, number[]> {
  if (conditions.length !== n) throw new UserError(`${n} samples but ${conditions.length} condition labels`);
  const rows = new Map<number, number[]>();
  for (let k = 0; k < n; k++) {
    const c = conditions[k];
    let list = rows.get(c);
    if (!list) rows.set(c, (list = []));
    list.push(k);
  }
  return rows;
}

function checkSides(sides: [number[], number[]], rows: Map<number, number[]>, minPerSide: number): void {
  const [a, b] = sides;
  if (a.length < minPerSide || b.length < minPerSide) throw new UserError(`a dichotomy needs at least ${minPerSide} conditions on each side, got ${a.length} and ${b.length}`);
  const seen = new Set<number>();
  for (const c of [...a, ...b]) {
    if (seen.has(c)) throw new UserError(`condition ${c} is on both sides of the dichotomy (or twice)`);
    seen.add(c);
    if (!rows.get(c)?.length) throw new UserError(`condition ${c} has no samples`);
  }
}

/**
 * Cross-condition generalisation performance of one dichotomy of conditions (Bernardi et al. 2020):
 * a linear classifier (logistic regression) learns side 0 vs side 1 from the samples of every
 * condition except one held out on each side, and is tested on the two held-out conditions; CCGP is
 * the mean test accuracy over the held-out pairs. Chance is 0.5.
 */
export function ccgp(rep: SampleMatrix, conditions: ArrayLike<number>, sides: [number[], number[]], options: CcgpOptions): { ccgp: number; splits: CcgpSplit[] } {
  const rows = conditionRows(conditions, rep.n);
  checkSides(sides, rows, 2);
  const [a, b] = sides;
  let holdOuts = options.holdOuts;
  if (holdOuts) {
    for (const [x, y] of holdOuts) if (!a.includes(x) || !b.includes(y)) throw new UserError(`held-out pair (${x}, ${y}) is not (side 0, side 1)`);
  } else {
    const every: [number, number][] = a.flatMap((x) => b.map((y): [number, number] => [x, y]));
    const max = options.maxSplits ?? 64;
    holdOuts = every.length <= max ? every : Array.from(new Rng(deriveSeed(options.seed, 'ccgp-splits')).permutation(every.length).subarray(0, max), (i) => every[i]);
  }
  const side = new Map<number, number>();
  a.forEach((c) => side.set(c, 0));
  b.forEach((c) => side.set(c, 1));
  const labels = new Uint8Array(rep.n);
  for (let k = 0; k < rep.n; k++) labels[k] = side.get(conditions[k]) ?? 0;
  const splits = holdOuts.map(([x, y]): CcgpSplit => {
    const train: number[] = [];
    for (const c of [...a, ...b]) if (c !== x && c !== y) train.push(...rows.get(c)!);
    const fit = logisticRegression(rep, labels, Uint32Array.from(train).sort(), { l2: options.l2 });
    const accuracyOn = (c: number, want: number): number => {
      const r = rows.get(c)!;
      const s = logisticScores(fit, rep, r);
      let ok = 0;
      for (const v of s) if ((v > 0 ? 1 : 0) === want) ok++;
      return ok / r.length;
    };
    return { heldOut: [x, y], accuracy: (accuracyOn(x, 0) + accuracyOn(y, 1)) / 2 };
  });
  return { ccgp: splits.reduce((s, t) => s + t.accuracy, 0) / splits.length, splits };
}

/**
 * CCGP of each latent variable's sign. For variable d and every other variable e, the conditions
 * are the four cells (sign z_d, sign z_e); the classifier of sign z_d learns on one half z_e < 0
 * (or > 0) and is tested on the other: ccgp() with the two held-out pairs that share the sign of
 * z_e. Bernardi's other held-out pairs (diagonal cells) are left out: with continuous latents the
 * two training cells then touch only at the origin and leave the boundary's direction undetermined,
 * so even z itself would score 0.75 (tested). perVariable[d] is the mean over e; `mean` over d.
 */
export function latentCcgp(rep: SampleMatrix, latents: SampleMatrix, options: { l2?: number } = {}): { mean: number; perVariable: number[] } {
  checkPair(rep, latents);
  const D = latents.dims;
  if (D < 2) throw new UserError('latent CCGP needs at least 2 latent variables');
  const cond = new Uint8Array(rep.n);
  const perVariable: number[] = [];
  for (let d = 0; d < D; d++) {
    let sum = 0;
    for (let e = 0; e < D; e++) {
      if (e === d) continue;
      // condition = 2·[z_d > 0] + [z_e > 0]: side 0 = {0, 1}, side 1 = {2, 3}
      for (let k = 0; k < rep.n; k++) cond[k] = (latents.values[k * D + d] > 0 ? 2 : 0) + (latents.values[k * D + e] > 0 ? 1 : 0);
      sum += ccgp(rep, cond, [[0, 1], [2, 3]], { seed: 0, holdOuts: [[1, 3], [0, 2]], l2: options.l2 }).ccgp;
    }
    perVariable.push(sum / (D - 1));
  }
  return { mean: perVariable.reduce((s, v) => s + v, 0) / D, perVariable };
}

/** Mean representation of each condition (a Map condition → mean vector). */
function conditionMeans(rep: SampleMatrix, rows: Map<number, number[]>): Map<number, Float64Array> {
  const p = rep.dims;
  const means = new Map<number, Float64Array>();
  for (const [c, list] of rows) {
    const m = new Float64Array(p);
    for (const k of list) for (let j = 0; j < p; j++) m[j] += rep.values[k * p + j];
    for (let j = 0; j < p; j++) m[j] /= list.length;
    means.set(c, m);
  }
  return means;
}

export interface ParallelismOptions {
  /** Seeds the sample of pairings when there are more than maxPairings. */
  seed: number;
  /** Enumerate every pairing when m! ≤ maxPairings (default 40320 = 8!), else sample this many. */
  maxPairings?: number;
  /** A pairing always tried: preferred[i] is the side-1 condition paired with side-0 condition i. */
  preferred?: number[];
}

/**
 * The parallelism score of a dichotomy (Bernardi et al. 2020): pair every side-0 condition with a
 * distinct side-1 condition; each pair gives a coding vector (mean of the side-1 condition − mean
 * of the side-0 condition), normalised to unit length; the pairing's value is the mean cosine
 * between its coding vectors over all pairs of pairs; the score is the maximum over pairings.
 * 1 when all coding vectors are parallel; a zero coding vector counts as cosine 0. Both sides must
 * hold the same number m ≥ 2 of conditions.
 */
export function parallelismScore(rep: SampleMatrix, conditions: ArrayLike<number>, sides: [number[], number[]], options: ParallelismOptions): { score: number; pairing: number[]; exhaustive: boolean } {
  const rows = conditionRows(conditions, rep.n);
  checkSides(sides, rows, 2);
  const [a, b] = sides;
  const m = a.length;
  if (b.length !== m) throw new UserError(`the parallelism score needs equal sides, got ${m} and ${b.length} conditions`);
  const means = conditionMeans(rep, rows);
  const p = rep.dims;
  // Unit coding vector of every (side-0 i, side-1 j) and the cosine between every two of them.
  const unit: Float64Array[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      const v = Float64Array.from(means.get(b[j])!, (x, t) => x - means.get(a[i])![t]);
      const norm = Math.hypot(...v);
      unit.push(norm > 0 ? v.map((x) => x / norm) : v.fill(0));
    }
  }
  const cos = new Float64Array(m * m * m * m);
  for (let u = 0; u < m * m; u++) {
    for (let w = u + 1; w < m * m; w++) {
      let s = 0;
      for (let t = 0; t < p; t++) s += unit[u][t] * unit[w][t];
      cos[u * m * m + w] = cos[w * m * m + u] = s;
    }
  }
  const value = (pi: ArrayLike<number>): number => {
    let s = 0;
    for (let i = 0; i < m; i++) for (let k = i + 1; k < m; k++) s += cos[(i * m + pi[i]) * m * m + (k * m + pi[k])];
    return s / ((m * (m - 1)) / 2);
  };
  let best = -Infinity;
  let bestPairing: number[] = [];
  const consider = (pi: ArrayLike<number>): void => {
    const v = value(pi);
    if (v > best) {
      best = v;
      bestPairing = Array.from(pi, (j) => b[j]);
    }
  };
  if (options.preferred) {
    if (options.preferred.length !== m) throw new UserError(`preferred pairing must name ${m} side-1 conditions`);
    const pi = options.preferred.map((c) => b.indexOf(c));
    if (pi.some((j) => j < 0) || new Set(pi).size !== m) throw new UserError('preferred pairing must use each side-1 condition once');
    consider(pi);
  }
  const max = options.maxPairings ?? 40320;
  let count = 1;
  for (let i = 2; i <= m && count <= max; i++) count *= i;
  const exhaustive = count <= max;
  if (exhaustive) {
    // Heap's algorithm: every permutation of 0 … m−1.
    const pi = Array.from({ length: m }, (_, i) => i);
    const c = new Array(m).fill(0);
    consider(pi);
    for (let i = 1; i < m; ) {
      if (c[i] < i) {
        const j = i % 2 === 0 ? 0 : c[i];
        [pi[j], pi[i]] = [pi[i], pi[j]];
        consider(pi);
        c[i]++;
        i = 1;
      } else c[i++] = 0;
    }
  } else {
    const rng = new Rng(deriveSeed(options.seed, 'parallelism-pairings'));
    for (let s = 0; s < max; s++) consider(rng.permutation(m));
  }
  return { score: best, pairing: bestPairing, exhaustive };
}

/**
 * The parallelism score of each latent variable's sign, over the orthants as conditions: side 0 =
 * the orthants with z_d < 0, side 1 = those with z_d > 0, with the pairing that flips only z_d
 * always among those tried. Orthants without samples are left out with their partner.
 */
export function latentParallelism(rep: SampleMatrix, latents: SampleMatrix, options: ParallelismOptions): { mean: number; perVariable: number[] } {
  checkPair(rep, latents);
  const D = latents.dims;
  const orthant = orthantsOf(latents.values, latents.n, D);
  const present = new Set(orthant);
  const perVariable: number[] = [];
  for (let d = 0; d < D; d++) {
    const a: number[] = [];
    for (let o = 0; o < 2 ** D; o++) if (!((o >> d) & 1) && present.has(o) && present.has(o | (1 << d))) a.push(o);
    const b = a.map((o) => o | (1 << d));
    if (a.length < 2) throw new UserError(`too few occupied orthant pairs across z_${d} for a parallelism score (${a.length})`);
    perVariable.push(parallelismScore(rep, orthant, [a, b], { seed: deriveSeed(options.seed, d), maxPairings: options.maxPairings, preferred: b }).score);
  }
  return { mean: perVariable.reduce((s, v) => s + v, 0) / D, perVariable };
}

// ---------------------------------------------------------------------------------------------
// MIG and DCI (as in google-research/disentanglement_lib)

/**
 * Histogram discretisation of one column, as disentanglement_lib's `_histogram_discretize`
 * (np.digitize(x, np.histogram(x, bins)[1][:-1])): equal-width bins between the column's min and
 * max, labels 1 … bins, the maximum in the last bin. A constant column lands in one bin.
 */
export function histogramDiscretize(values: ArrayLike<number>, n: number, dims: number, column: number, bins: number): Int32Array {
  let lo = Infinity, hi = -Infinity;
  for (let k = 0; k < n; k++) {
    const v = values[k * dims + column];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  // numpy widens an empty range by ½ on each side; then linspace(lo, hi, bins + 1) as numpy computes it.
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const step = (hi - lo) / bins;
  const edges = new Float64Array(bins);
  for (let i = 0; i < bins; i++) edges[i] = lo + i * step;
  const out = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const v = values[k * dims + column];
    // label = number of edges[0 … bins−1] ≤ v; start from the arithmetic guess, then settle on the comparisons
    let i = Math.min(bins, Math.max(0, Math.floor((v - lo) / step) + 1));
    while (i > 0 && edges[i - 1] > v) i--;
    while (i < bins && edges[i] <= v) i++;
    out[k] = i;
  }
  return out;
}

/**
 * Mutual information (nats) of two vectors of non-negative integer labels:
 * Σ p_xy log(p_xy / (p_x p_y)) over the contingency table, as sklearn's mutual_info_score.
 */
export function discreteMutualInformation(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  if (y.length !== n) throw new UserError(`mutual information of ${n} and ${y.length} labels`);
  let mx = 0, my = 0;
  for (let k = 0; k < n; k++) {
    if (!(Number.isInteger(x[k]) && x[k] >= 0 && Number.isInteger(y[k]) && y[k] >= 0)) throw new UserError('mutual information needs non-negative integer labels');
    if (x[k] > mx) mx = x[k];
    if (y[k] > my) my = y[k];
  }
  const wy = my + 1;
  const joint = new Float64Array((mx + 1) * wy);
  const px = new Float64Array(mx + 1);
  const py = new Float64Array(wy);
  for (let k = 0; k < n; k++) {
    joint[x[k] * wy + y[k]]++;
    px[x[k]]++;
    py[y[k]]++;
  }
  let mi = 0;
  for (let a = 0; a <= mx; a++) {
    for (let b = 0; b < wy; b++) {
      const c = joint[a * wy + b];
      if (c > 0) mi += (c / n) * Math.log((n * c) / (px[a] * py[b]));
    }
  }
  return Math.max(0, mi);
}

export interface MigResult {
  /** Mean over factors of (largest − second largest MI with a code) / H(factor). */
  mig: number;
  perFactor: Float64Array;
  /** MI (nats) of every code with every factor, row-major codes × factors. */
  mutualInformation: Float64Array;
  /** Entropy (nats) of each discretised factor. */
  entropy: Float64Array;
}

/**
 * The mutual information gap (Chen et al. 2018) as disentanglement_lib's `_compute_mig`: codes and
 * (continuous) latents discretised into `bins` equal-width bins (default 20, the library's), the
 * MI of every code with every factor, and per factor the gap between its two most informative
 * codes divided by its entropy. 1: each factor is captured by one code alone.
 */
export function mig(rep: SampleMatrix, latents: SampleMatrix, options: { bins?: number } = {}): MigResult {
  checkPair(rep, latents);
  const bins = options.bins ?? 20;
  if (!Number.isInteger(bins) || bins < 2) throw new UserError(`MIG needs at least 2 bins, got ${bins}`);
  const C = rep.dims, F = latents.dims;
  const codes = Array.from({ length: C }, (_, i) => histogramDiscretize(rep.values, rep.n, C, i, bins));
  const factors = Array.from({ length: F }, (_, j) => histogramDiscretize(latents.values, latents.n, F, j, bins));
  const mutualInformation = new Float64Array(C * F);
  for (let i = 0; i < C; i++) for (let j = 0; j < F; j++) mutualInformation[i * F + j] = discreteMutualInformation(codes[i], factors[j]);
  const entropy = Float64Array.from(factors, (f) => discreteMutualInformation(f, f));
  const perFactor = new Float64Array(F);
  for (let j = 0; j < F; j++) {
    let first = 0, second = 0;
    for (let i = 0; i < C; i++) {
      const v = mutualInformation[i * F + j];
      if (v > first) {
        second = first;
        first = v;
      } else if (v > second) second = v;
    }
    perFactor[j] = entropy[j] > 0 ? (first - second) / entropy[j] : NaN;
  }
  return { mig: perFactor.reduce((s, v) => s + v, 0) / F, perFactor, mutualInformation, entropy };
}

/** Entropy of a non-negative vector normalised to sum 1, in base `base` (scipy.stats.entropy). */
function entropyOf(weights: ArrayLike<number>, base: number): number {
  let total = 0;
  for (let i = 0; i < weights.length; i++) total += weights[i];
  let h = 0;
  for (let i = 0; i < weights.length; i++) {
    const q = weights[i] / total;
    if (q > 0) h -= q * Math.log(q);
  }
  return h / Math.log(base);
}

/**
 * Disentanglement and completeness of an importance matrix R (codes × factors, row-major,
 * non-negative), as disentanglement_lib: per code D_i = 1 − H_F(R_i· / Σ R_i·), weighted by the
 * code's share of the total importance; per factor C_j = 1 − H_C(R_·j / Σ R_·j), weighted by the
 * factor's share. Like the library, every entry gets 1e-11 added inside the entropies (so an
 * all-zero row counts as uniform), and an all-zero matrix weighs codes and factors equally.
 */
export function dciFromImportance(importance: ArrayLike<number>, codes: number, factors: number): { disentanglement: number; completeness: number; perCode: Float64Array; perFactor: Float64Array } {
  if (importance.length !== codes * factors) throw new UserError(`importance holds ${importance.length} values, not ${codes} × ${factors}`);
  if (codes < 2 || factors < 2) throw new UserError(`DCI needs at least 2 codes and 2 factors, got ${codes} and ${factors}`);
  const R = Float64Array.from(importance);
  const perCode = new Float64Array(codes);
  const perFactor = new Float64Array(factors);
  for (let i = 0; i < codes; i++) perCode[i] = 1 - entropyOf(Array.from({ length: factors }, (_, j) => R[i * factors + j] + 1e-11), factors);
  for (let j = 0; j < factors; j++) perFactor[j] = 1 - entropyOf(Array.from({ length: codes }, (_, i) => R[i * factors + j] + 1e-11), codes);
  let total = R.reduce((s, v) => s + v, 0);
  if (total === 0) {
    R.fill(1);
    total = R.length;
  }
  let disentanglement = 0, completeness = 0;
  for (let i = 0; i < codes; i++) {
    let row = 0;
    for (let j = 0; j < factors; j++) row += R[i * factors + j];
    disentanglement += perCode[i] * (row / total);
  }
  for (let j = 0; j < factors; j++) {
    let col = 0;
    for (let i = 0; i < codes; i++) col += R[i * factors + j];
    completeness += perFactor[j] * (col / total);
  }
  return { disentanglement, completeness, perCode, perFactor };
}

export interface DciOptions {
  /** Seeds the train/test split. */
  seed: number;
  /** Ridge of the importance regression on standardised codes (λ = ridge · n), default 1e-3. */
  ridge?: number;
  /** Default 0.2. */
  testFraction?: number;
  /** The held-out rows, instead of a seeded testFraction (the rest train). */
  testRows?: ArrayLike<number>;
}

export interface DciResult {
  disentanglement: number;
  completeness: number;
  /** Mean over factors of the regression's r² on the held-out samples (1 − SSE/SST). */
  informativeness: number;
  /** The same on the training samples. */
  informativenessTrain: number;
  /** |weight| of every standardised code for every standardised factor, row-major codes × factors. */
  importance: Float64Array;
}

/**
 * DCI (Eastwood & Williams 2018) with disentanglement_lib's disentanglement and completeness
 * (dciFromImportance). The importance of code i for factor j is |w_ij| of a ridge regression of the
 * standardised factors on the standardised codes (fitted on a seeded 1 − testFraction of the
 * samples), where the library uses gradient-boosted-tree classifiers of discretised factors: our
 * factors are continuous, and a linear read-out is what the out-of-distribution r² measures too.
 * Not the lasso of Eastwood & Williams: with an overcomplete code (64 units, 2 factors) the lasso
 * gives each factor a few units of its own by sparsity alone, and scores a random entangled ReLU
 * code D ≈ 0.99 (docs/multitask.md). Informativeness is the regression's held-out r².
 */
export function dci(rep: SampleMatrix, latents: SampleMatrix, options: DciOptions): DciResult {
  checkPair(rep, latents);
  const { ridge = 1e-3, testFraction = 0.2 } = options;
  const { train, test } = options.testRows ? splitAt(rep.n, options.testRows) : randomSplit(rep.n, testFraction, options.seed, 'dci');
  const standardised = (m: SampleMatrix, what: string): SampleMatrix => {
    const mean = columnMeans(m, train);
    const sd = columnSds(m, train, mean);
    const out = new Float64Array(m.n * m.dims);
    for (let k = 0; k < m.n; k++) {
      for (let j = 0; j < m.dims; j++) out[k * m.dims + j] = sd[j] > 0 ? (m.values[k * m.dims + j] - mean[j]) / sd[j] : 0;
    }
    if (what === 'factor') sd.forEach((v, j) => { if (!(v > 0)) throw new UserError(`factor ${j} is constant over the training samples`); });
    return { values: out, n: m.n, dims: m.dims };
  };
  const codes = standardised(rep, 'code');
  const factors = standardised(latents, 'factor');
  const C = rep.dims, F = latents.dims;
  const fit = leastSquares(codes, factors, train, { ridge });
  const importance = fit.weights.map(Math.abs);
  const r2 = (rows: Uint32Array): number => {
    const pred = predictLinear(fit, codes, rows);
    let sum = 0;
    for (let j = 0; j < F; j++) {
      let m = 0;
      for (const k of rows) m += factors.values[k * F + j] / rows.length;
      let se = 0, ss = 0;
      rows.forEach((k, r) => {
        const y = factors.values[k * F + j];
        se += (pred[r * F + j] - y) ** 2;
        ss += (y - m) ** 2;
      });
      sum += ss > 0 ? 1 - se / ss : NaN;
    }
    return sum / F;
  };
  const { disentanglement, completeness } = dciFromImportance(importance, C, F);
  return { disentanglement, completeness, informativeness: r2(test), informativenessTrain: r2(train), importance };
}

// ---------------------------------------------------------------------------------------------
// Sparsity and angles

export interface SparsityResult {
  /** Fraction of (sample, unit) activations > 0 (the paper's sparsity figure). */
  activeFraction: number;
  /** Mean over units of the lifetime sparseness S (Vinje & Gallant 2000). */
  lifetimeSparseness: number;
  /** Units never active (> 0) on any sample. */
  silentUnits: number;
  /** S of each unit: (1 − (Σr/m)² / (Σr²/m)) / (1 − 1/m); 1 for a unit silent on every sample (the authors' convention). */
  perUnit: Float64Array;
}

/** Sparsity of non-negative (e.g. ReLU) hidden activations. */
export function hiddenSparsity(rep: SampleMatrix): SparsityResult {
  const { n, dims: p, values } = rep;
  if (n < 2) throw new UserError(`sparsity needs at least 2 samples, got ${n}`);
  let active = 0;
  let silentUnits = 0;
  const perUnit = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    let s = 0, s2 = 0, on = 0;
    for (let k = 0; k < n; k++) {
      const r = values[k * p + j];
      if (r < 0) throw new UserError(`lifetime sparseness needs non-negative activations; unit ${j} has ${r}`);
      if (r > 0) on++;
      s += r;
      s2 += r * r;
    }
    active += on;
    if (on === 0) {
      silentUnits++;
      perUnit[j] = 1;
    } else perUnit[j] = (1 - (s / n) ** 2 / (s2 / n)) / (1 - 1 / n);
  }
  return { activeFraction: active / (n * p), lifetimeSparseness: perUnit.reduce((a, v) => a + v, 0) / p, silentUnits, perUnit };
}

function angleDegrees(u: ArrayLike<number>, v: ArrayLike<number>): number {
  let dot = 0, nu = 0, nv = 0;
  for (let i = 0; i < u.length; i++) {
    dot += u[i] * v[i];
    nu += u[i] * u[i];
    nv += v[i] * v[i];
  }
  if (nu === 0 || nv === 0) return NaN;
  return (Math.acos(Math.max(-1, Math.min(1, dot / Math.sqrt(nu * nv)))) * 180) / Math.PI;
}

/**
 * Angles between the latents' linear decoders (the paper's "angle of latents"): least squares
 * z ≈ h·W + b; column d of W is the read-out direction of z_d in representation space; the angle
 * (degrees) between every two of them, row-major D × D (0 on the diagonal), and their mean over
 * pairs. 90° when the latents are read out along orthogonal directions.
 */
export function latentDecoderAngles(rep: SampleMatrix, latents: SampleMatrix, options: { ridge?: number } = {}): { angles: Float64Array; mean: number } {
  checkPair(rep, latents);
  const fit = leastSquares(rep, latents, allRows(rep.n), options);
  const D = latents.dims, p = rep.dims;
  const column = (d: number) => Float64Array.from({ length: p }, (_, i) => fit.weights[i * D + d]);
  const angles = new Float64Array(D * D);
  let sum = 0;
  for (let a = 0; a < D; a++) {
    for (let b = a + 1; b < D; b++) {
      const t = angleDegrees(column(a), column(b));
      angles[a * D + b] = angles[b * D + a] = t;
      sum += t;
    }
  }
  return { angles, mean: D > 1 ? sum / ((D * (D - 1)) / 2) : NaN };
}

export interface TaskAngle {
  /** The task's true unit normal in latent space. */
  normal: Float64Array;
  /** The latent-space normal a linear read-out of the representation implements (unit length). */
  recovered: Float64Array;
  /** Angle (degrees) between the two, oriented (0 … 180). */
  angle: number;
  /** In-sample accuracy of the read-out. */
  accuracy: number;
}

/**
 * Task angles as the representation carries them: a logistic read-out w_i of each task's labels
 * from the representation, pulled back to latent space through the least-squares encoding h ≈ z·M + c
 * (so w_i·h ≈ (M w_i)·z + const): the recovered normal M w_i against the task's normal n_i.
 * 0° for any representation that holds z linearly (identity, rotations) and solves the tasks
 * with it; meaningless where the read-out's accuracy is near chance.
 */
export function taskAngles(rep: SampleMatrix, latents: SampleMatrix, tasks: LatentTaskSet, options: { l2?: number } = {}): { tasks: TaskAngle[]; meanAngle: number } {
  checkPair(rep, latents);
  const D = latents.dims;
  if (tasks.latentDim !== D) throw new UserError(`tasks are in ${tasks.latentDim} dimensions but the latents in ${D}`);
  const labels = taskLabels(tasks, Float64Array.from(latents.values), latents.n);
  const K = tasks.tasks, p = rep.dims;
  const rows = allRows(rep.n);
  const encoding = leastSquares(latents, rep, rows); // weights D × p
  const one = new Uint8Array(rep.n);
  const out: TaskAngle[] = [];
  for (let i = 0; i < K; i++) {
    for (let k = 0; k < rep.n; k++) one[k] = labels[k * K + i];
    const fit = logisticRegression(rep, one, rows, { l2: options.l2 });
    const recovered = new Float64Array(D);
    for (let d = 0; d < D; d++) for (let j = 0; j < p; j++) recovered[d] += encoding.weights[d * p + j] * fit.weights[j];
    const norm = Math.hypot(...recovered);
    if (norm > 0) for (let d = 0; d < D; d++) recovered[d] /= norm;
    const normal = tasks.normals.slice(i * D, (i + 1) * D);
    const scores = logisticScores(fit, rep, rows);
    let ok = 0;
    for (let k = 0; k < rep.n; k++) if ((scores[k] > 0 ? 1 : 0) === one[k]) ok++;
    out.push({ normal, recovered, angle: angleDegrees(normal, recovered), accuracy: ok / rep.n });
  }
  return { tasks: out, meanAngle: out.reduce((s, t) => s + t.angle, 0) / K };
}
