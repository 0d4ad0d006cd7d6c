/**
 * Signed Curveball: degree-preserving rewiring of a signed bipartite layer by trades between
 * pairs of units (Strona et al. 2014, "A fast and unbiased procedure to randomize ecological
 * binary matrices with fixed row and column totals", Nat. Commun. 5:4114; uniformity proved by
 * Carstens 2015, "Proof of uniform sampling of binary matrices with fixed row sums and column
 * sums for the fast Curveball algorithm", Phys. Rev. E 91:042812).
 *
 * The layer is a three-state matrix M (rows = input units, columns = output units, entries
 * +, − or 0 = no edge). Running Curveball on the positive incidence matrix and on the negative
 * one independently could put a + and a − on the same slot; instead one trade resamples both at
 * once. For a pair of rows r1, r2 with every other row fixed, each column's unordered pair
 * {M[r1,c], M[r2,c]} is fixed by the column counts; only its orientation is free. The columns
 * where the two rows differ form three groups — {+,−} (a of them), {+,0} (b), {−,0} (c) — and
 * r1 must keep P1 pluses and N1 minuses among them. A configuration gives r1 a + in p of the a
 * columns, a + in q = P1 − p of the b columns and a − in s = N1 − (a − p) of the c columns, so
 * there are Σ_p C(a,p)·C(b,q)·C(c,s) of them. The trade draws p with probability ∝ that term,
 * then the three subsets uniformly: an exact uniform draw from the pair's conditional
 * distribution (a heat-bath step). With no negative edges (or no zeros) it is exactly Strona's
 * binary trade. Trades alternate between a random pair of input units (rows) and a random pair of
 * output units (columns); each step preserves the uniform distribution, so the chain samples
 * uniformly from the three-state matrices with every unit's k+ and k− that its moves connect.
 *
 * What is uniform: the SIGN PATTERN (which slots are +, −, empty), over that connected class.
 * For two states (a dense layer: +/− only; or one sign only) the class is all matrices with these
 * degrees. With three states, 2×2 swaps alone are not always irreducible (a 3×3 Latin square of
 * {+,−,0} admits none); pair trades also swap whole cycles of a row pair, and trading both sides
 * connects the small cases we enumerate in the tests, but we do not claim irreducibility for
 * every degree sequence.
 *
 * Weights travel inside their column on a row trade (and inside their row on a column trade): an
 * entry moving from (r1, c) to (r2, c) keeps its weight and its output unit. Cost of one trade:
 * O(width of the pair) to scan the two units plus O(differing slots) draws.
 */
import type { LayerRecord } from '../core/layer.js';
import type { Rng } from '../core/rng.js';
import { checkSteps, checkWeightMode, redrawBySign, withWeights, type RandomizeOptions } from './common.js';
import { defaultCurveballTrades } from './steps.js';
import { slotSign } from '../graph/compact.js';

export interface CurveballStats {
  trades: number;
  /** Slot pairs whose entries were exchanged (a double-edge swap is two such flips). */
  flips: number;
}

/** ln(n!) for n = 0 … max. */
function logFactorials(max: number): Float64Array {
  const t = new Float64Array(max + 1);
  for (let n = 2; n <= max; n++) t[n] = t[n - 1] + Math.log(n);
  return t;
}

/**
 * Rearrange g[0 … n) so that g[0 … k) is a uniformly chosen k-subset (partial Fisher–Yates
 * with min(k, n − k) draws).
 */
function chooseFirst(g: Uint32Array, n: number, k: number, rng: Rng): void {
  if (k <= n - k) {
    for (let i = 0; i < k; i++) {
      const j = i + rng.int(n - i);
      const t = g[i]; g[i] = g[j]; g[j] = t;
    }
  } else {
    // Pick the n − k unchosen ones into the tail instead (fewer draws).
    for (let i = n - 1; i >= k; i--) {
      const j = rng.int(i + 1);
      const t = g[i]; g[i] = g[j]; g[j] = t;
    }
  }
}

/**
 * The signed Curveball kernel, in place on row-major `w` [nIn, nOut]: `trades` trades, even ones
 * between two rows (input units), odd ones between two columns (output units).
 */
export function signedCurveballKernel(w: Float32Array, nIn: number, nOut: number, rng: Rng, trades: number): CurveballStats {
  const maxLen = Math.max(nIn, nOut);
  const lf = logFactorials(maxLen);
  const g0 = new Uint32Array(maxLen), g1 = new Uint32Array(maxLen), g2 = new Uint32Array(maxLen);
  const logw = new Float64Array(maxLen + 1);
  // Byte-per-slot signs, row-major and column-major, so that both kinds of trade scan
  // contiguous memory; the float weights are touched only where entries move.
  const rowState = slotSign(w);
  const colState = new Int8Array(w.length);
  for (let i = 0; i < nIn; i++) for (let j = 0; j < nOut; j++) colState[j * nIn + i] = rowState[i * nOut + j];
  let flips = 0;
  const lc = (n: number, k: number): number => lf[n] - lf[k] - lf[n - k];

  for (let t = 0; t < trades; t++) {
    const rows = (t & 1) === 0;
    const units = rows ? nIn : nOut;
    if (units < 2) continue;
    const r1 = rng.int(units);
    let r2 = rng.int(units - 1);
    if (r2 >= r1) r2++;
    const len = rows ? nOut : nIn;
    const st = rows ? rowState : colState;
    const other = rows ? colState : rowState;
    const b1 = r1 * len, b2 = r2 * len;

    let a = 0, b = 0, c = 0, p1 = 0, n1 = 0;
    for (let k = 0; k < len; k++) {
      const sx = st[b1 + k], sy = st[b2 + k];
      if (sx === sy) continue;
      if (sx > 0) p1++;
      else if (sx < 0) n1++;
      if (sx !== 0 && sy !== 0) g0[a++] = k;
      else if (sx > 0 || sy > 0) g1[b++] = k;
      else g2[c++] = k;
    }
    if (a + b + c === 0) continue;

    // p = number of {+,−} positions where r1 ends with +.
    const lo = Math.max(0, p1 - b, a - n1);
    const hi = Math.min(a, p1, c + a - n1);
    let p = lo;
    if (hi > lo) {
      let max = -Infinity;
      for (let q = lo; q <= hi; q++) {
        const v = lc(a, q) + lc(b, p1 - q) + lc(c, n1 - a + q);
        logw[q - lo] = v;
        if (v > max) max = v;
      }
      let total = 0;
      for (let q = 0; q <= hi - lo; q++) total += (logw[q] = Math.exp(logw[q] - max));
      let u = rng.next() * total;
      p = hi;
      for (let q = 0; q <= hi - lo; q++) {
        u -= logw[q];
        if (u < 0) { p = lo + q; break; }
      }
    }
    const q = p1 - p;
    const s = n1 - (a - p);

    // The chosen first ones: r1 gets the group's first state (+, +, −); the rest the other.
    chooseFirst(g0, a, p, rng);
    chooseFirst(g1, b, q, rng);
    chooseFirst(g2, c, s, rng);
    const apply = (g: Uint32Array, n: number, k: number, first: number, second: number): void => {
      for (let i = 0; i < n; i++) {
        const pos = g[i];
        const want = i < k ? first : second;
        const sx = st[b1 + pos];
        if (sx === want) continue;
        // Exchange the two units' entries at this position: weights and both sign views.
        const sy = st[b2 + pos];
        st[b1 + pos] = sy;
        st[b2 + pos] = sx;
        other[pos * units + r1] = sy;
        other[pos * units + r2] = sx;
        const s1 = rows ? r1 * nOut + pos : pos * nOut + r1;
        const s2 = rows ? r2 * nOut + pos : pos * nOut + r2;
        const tmp = w[s1]; w[s1] = w[s2]; w[s2] = tmp;
        flips++;
      }
    };
    apply(g0, a, p, 1, -1);
    apply(g1, b, q, 1, 0);
    apply(g2, c, s, -1, 0);
  }
  return { trades, flips };
}

/**
 * `curveball` — signed Curveball. Preserves every unit's k+ and k− on both sides, the multisets
 * of positive and of negative weights (with `weights: 'travel'` a weight keeps one endpoint of
 * its edge in every trade; `redraw` re-deals each sign's weights afterwards); edges move onto empty slots, never onto an occupied one, so
 * there are no multi-edges and a slot never holds two signs. Samples the sign pattern uniformly
 * from the class its trades connect (see the module comment). Steps: trades, default
 * 10 · (nIn + nOut) alternating sides (defaultCurveballTrades). O(nIn + nOut) per trade.
 */
export function signedCurveball(layer: LayerRecord, rng: Rng, options: RandomizeOptions = {}): LayerRecord {
  const [nIn, nOut] = layer.shape;
  const w = layer.weights.slice();
  const trades = checkSteps(options.steps, 'curveball') ?? defaultCurveballTrades(nIn, nOut);
  signedCurveballKernel(w, nIn, nOut, rng, trades);
  if (checkWeightMode(options.weights) === 'redraw') redrawBySign(w, rng);
  return withWeights(layer, w);
}
