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
 * binary trade. Trades come in blocks: 5 sweeps of ⌈nIn/2⌉ trades between random pairs of input
 * units (rows), then 5 sweeps of ⌈nOut/2⌉ between random pairs of output units (columns). Each
 * trade preserves the uniform distribution, so the chain samples uniformly from the three-state
 * matrices with every unit's k+ and k− that its moves connect.
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

/** Largest range drawn at once when several Fisher–Yates steps share one random number. */
const MAX_COMBINED = 2 ** 31;

/**
 * Rearrange g[0 … n) so that g[0 … k) is a uniformly chosen k-subset: a partial Fisher–Yates
 * with min(k, n − k) steps. Consecutive steps share one draw: a uniform integer below
 * m₀·m₁·…·m_r (≤ 2^31) read as mixed-radix digits gives independent uniform j's, so this is
 * exactly the same distribution with 2–3× fewer calls to the generator.
 */
function chooseFirst(g: Uint32Array, n: number, k: number, rng: Rng): void {
  if (k <= n - k) {
    // Front to back: step i swaps g[i] with g[i + j], j uniform below n − i.
    let i = 0;
    while (i < k) {
      let range = n - i, last = i + 1;
      while (last < k && range * (n - last) <= MAX_COMBINED) range *= n - last++;
      let x = rng.int(range);
      for (; i < last; i++) {
        const m = n - i;
        // x < 2^31: the truncated float quotient is exact, the remainder follows without a second division
        const f = (x / m) | 0;
        const j = i + (x - f * m);
        x = f;
        const t = g[i]; g[i] = g[j]; g[j] = t;
      }
    }
  } else {
    // Back to front: the n − k unchosen ones gather in the tail.
    let i = n - 1;
    while (i >= k) {
      let range = i + 1, last = i - 1;
      while (last >= k && range * (last + 1) <= MAX_COMBINED) range *= 1 + last--;
      let x = rng.int(range);
      for (; i > last; i--) {
        const m = i + 1;
        const f = (x / m) | 0;
        const j = x - f * m;
        x = f;
        const t = g[i]; g[i] = g[j]; g[j] = t;
      }
    }
  }
}

/** Scratch buffers of one kernel run. */
interface Scratch {
  lf: Float64Array;
  g0: Uint32Array;
  g1: Uint32Array;
  g2: Uint32Array;
  logw: Float64Array;
}

/** Where the prefetching loads of tradeRows go (kept so they are not optimised away). */
let _prefetched = 0;

/** True where typed arrays are little-endian (every platform Node runs on; checked anyway). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * `count` trades between random pairs of the `units` rows of a sign matrix `st` (row r at
 * st[r·ld …], ld a multiple of 4, padding zero) with row-major [units, len] weights `w` (the
 * caller hands in the transposed matrices to trade columns). Returns the entries exchanged.
 */
function tradeRows(st: Int8Array, ld: number, w: Float32Array, units: number, len: number, count: number, rng: Rng, sc: Scratch): number {
  if (units < 2 || len < 1) return 0;
  const { lf, g0, g1, g2, logw } = sc;
  // Four slots per load: equal words (common in sparse rows) are skipped at once.
  const st32 = LITTLE_ENDIAN ? new Int32Array(st.buffer, st.byteOffset, st.length >> 2) : null;
  const words = ld >> 2;
  // The weights' bits, so that exchange can swap them without branches (exactly).
  const wi = new Int32Array(w.buffer, w.byteOffset, w.length);
  const lc = (n: number, k: number): number => lf[n] - lf[k] - lf[n - k];
  let flips = 0;
  for (let t = 0; t < count; t++) {
    const r1 = rng.int(units);
    let r2 = rng.int(units - 1);
    if (r2 >= r1) r2++;
    const b1 = r1 * ld, b2 = r2 * ld;
    // Touch both units' weight rows in order, one load per cache line, so the hardware prefetcher
    // streams them in while the signs are scanned, before the exchange writes to them in random order.
    const w1 = r1 * len, w2 = r2 * len;
    let touch = 0;
    for (let k = 0; k < len; k += 16) touch |= wi[w1 + k] & wi[w2 + k];
    _prefetched ^= touch;

    // One pass: find the slots where the two units differ and sort them into the three groups, in
    // order, without branches (equal/unequal and which group are coin tosses for the branch
    // predictor): every slot is written to all three lists and only its own list advances. With
    // sx ≠ sy in {−1, 0, +1}: {+,−} ⇔ sx·sy = −1; {+,0} ⇔ sx + sy = 1; an equal pair advances none.
    let a = 0, b = 0, c = 0, p1 = 0, n1 = 0;
    if (st32) {
      // Four slots per load: equal words (common in sparse rows) are skipped at once, and the
      // groups come out of the two words already loaded, four slots at a time.
      for (let q = 0, q1 = b1 >> 2, q2 = b2 >> 2; q < words; q++) {
        const u = st32[q1 + q], v = st32[q2 + q];
        if (u === v) continue;
        // Bytes are 0x00, 0x01 (+) or 0xff (−), so byte m of x = u ^ v is 0x00 (equal), 0x01 ({+,0}),
        // 0xff ({−,0}) or 0xfe ({+,−}): its two low bits name the group. Bit 8m of these masks is slot k0 + m's.
        const x = u ^ v;
        const x0 = x & 0x01010101, x1 = (x >>> 1) & 0x01010101;
        const in0 = x1 & ~x0, in1 = x0 & ~x1, in2 = x0 & x1, differ = x0 | x1;
        // unit 1's + and − slots among them, counted by summing the bytes into the top one
        p1 += Math.imul(u & ~(u >>> 1) & differ, 0x01010101) >>> 24;
        n1 += Math.imul((u >>> 1) & differ, 0x01010101) >>> 24;
        const k0 = q << 2;
        g0[a] = k0; g1[b] = k0; g2[c] = k0;
        a += in0 & 1; b += in1 & 1; c += in2 & 1;
        g0[a] = k0 + 1; g1[b] = k0 + 1; g2[c] = k0 + 1;
        a += (in0 >>> 8) & 1; b += (in1 >>> 8) & 1; c += (in2 >>> 8) & 1;
        g0[a] = k0 + 2; g1[b] = k0 + 2; g2[c] = k0 + 2;
        a += (in0 >>> 16) & 1; b += (in1 >>> 16) & 1; c += (in2 >>> 16) & 1;
        g0[a] = k0 + 3; g1[b] = k0 + 3; g2[c] = k0 + 3;
        a += in0 >>> 24; b += in1 >>> 24; c += in2 >>> 24;
      }
    } else {
      for (let k = 0; k < len; k++) {
        const sx = st[b1 + k], sy = st[b2 + k];
        const dd = ((sx - sy) | (sy - sx)) >>> 31;
        const in0 = (sx * sy) >>> 31, in1 = dd & ((sx + sy + 1) >> 1);
        g0[a] = k; g1[b] = k; g2[c] = k;
        a += in0; b += in1; c += dd - in0 - in1;
        p1 += dd & ((sx + 1) >> 1);
        n1 += dd & ((1 - sx) >> 1);
      }
    }
    if (a + b + c === 0) continue;

    // p = number of {+,−} positions where r1 ends with +, drawn ∝ C(a,p)·C(b,q)·C(c,s).
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
    flips += exchange(st, wi, b1, b2, w1, w2, g0, 0, p, 1);
    flips += exchange(st, wi, b1, b2, w1, w2, g0, p, a, -1);
    flips += exchange(st, wi, b1, b2, w1, w2, g1, 0, q, 1);
    flips += exchange(st, wi, b1, b2, w1, w2, g1, q, b, 0);
    flips += exchange(st, wi, b1, b2, w1, w2, g2, 0, s, -1);
    flips += exchange(st, wi, b1, b2, w1, w2, g2, s, c, 0);
  }
  return flips;
}

/**
 * Give unit 1 state `target` at positions g[from … to), exchanging with unit 2 where it differs
 * (signs at b1 + x / b2 + x, weight bits at w1 + x / w2 + x). Branch-free, since whether a slot
 * flips is a coin toss: both units' slots are always written, the weights swapped through a mask.
 */
function exchange(
  st: Int8Array, wi: Int32Array, b1: number, b2: number, w1: number, w2: number,
  g: Uint32Array, from: number, to: number, target: number,
): number {
  let flips = 0;
  for (let i = from; i < to; i++) {
    const x = g[i];
    const s1 = b1 + x, s2 = b2 + x;
    const sx = st[s1], sy = st[s2];
    const d = sx - target;
    const flip = (d | -d) >> 31; // −1 where unit 1 changes state, else 0
    st[s1] = target;
    st[s2] = sx + sy - target;
    const u = wi[w1 + x], v = wi[w2 + x];
    const m = (u ^ v) & flip;
    wi[w1 + x] = u ^ m;
    wi[w2 + x] = v ^ m;
    flips -= flip;
  }
  return flips;
}

/**
 * Sign matrix [rows, cols] with row stride srcLd → its transpose with row stride dstLd (both
 * multiples of 4). Runs once per block of trades, a large share of Curveball's time before it
 * moved 4×4 blocks of bytes as four 32-bit words (a quarter of the loads and stores): 32×32 tiles
 * of such blocks, the ragged edges byte by byte.
 */
function transposeSigns(src: Int8Array, srcLd: number, dst: Int8Array, dstLd: number, rows: number, cols: number): void {
  const r4 = LITTLE_ENDIAN ? rows & ~3 : 0, c4 = LITTLE_ENDIAN ? cols & ~3 : 0;
  if (r4 > 0 && c4 > 0) {
    const s32 = new Int32Array(src.buffer, src.byteOffset, src.length >> 2);
    const d32 = new Int32Array(dst.buffer, dst.byteOffset, dst.length >> 2);
    const sw = srcLd >> 2, dw = dstLd >> 2;
    for (let i0 = 0; i0 < r4; i0 += 32) {
      const i1 = Math.min(r4, i0 + 32);
      for (let j0 = 0; j0 < c4; j0 += 32) {
        const j1 = Math.min(c4, j0 + 32);
        for (let i = i0; i < i1; i += 4) {
          const s = i * sw, o = i >> 2;
          for (let j = j0; j < j1; j += 4) {
            const q = s + (j >> 2);
            const a = s32[q], b = s32[q + sw], c = s32[q + 2 * sw], d = s32[q + 3 * sw];
            // output word m (column j + m) holds byte m of a, b, c, d
            const t = j * dw + o;
            d32[t] = (a & 0xff) | ((b & 0xff) << 8) | ((c & 0xff) << 16) | (d << 24);
            d32[t + dw] = ((a >>> 8) & 0xff) | (b & 0xff00) | ((c & 0xff00) << 8) | ((d & 0xff00) << 16);
            d32[t + 2 * dw] = ((a >>> 16) & 0xff) | ((b >>> 8) & 0xff00) | (c & 0xff0000) | ((d & 0xff0000) << 8);
            d32[t + 3 * dw] = (a >>> 24) | ((b >>> 16) & 0xff00) | ((c >>> 8) & 0xff0000) | (d & 0xff000000);
          }
        }
      }
    }
  }
  for (let i = 0; i < rows; i++) {
    for (let j = i < r4 ? c4 : 0; j < cols; j++) dst[j * dstLd + i] = src[i * srcLd + j];
  }
}

/** Signs of row-major [rows, cols] weights, rows padded to stride ld with zeros. */
function paddedSigns(w: Float32Array, rows: number, cols: number, ld: number): Int8Array {
  const st = new Int8Array(rows * ld);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const x = w[i * cols + j];
      st[i * ld + j] = +(x > 0) - +(x < 0); // branch-free: the sign is a coin toss at low density
    }
  }
  return st;
}
/**
 * Row-major [rows, cols] → row-major [cols, rows] weights, moved as 32-bit words (exact bits) in
 * 4×4 blocks held in locals, 8×8 tiles of them (with larger tiles a power-of-two row stride of
 * floats thrashes the cache); the ragged edges one by one.
 */
function transposeF32(srcF: Float32Array, dstF: Float32Array, rows: number, cols: number): void {
  const src = new Int32Array(srcF.buffer, srcF.byteOffset, srcF.length);
  const dst = new Int32Array(dstF.buffer, dstF.byteOffset, dstF.length);
  const r4 = rows & ~3, c4 = cols & ~3;
  for (let i0 = 0; i0 < r4; i0 += 8) {
    const i1 = Math.min(r4, i0 + 8);
    for (let j0 = 0; j0 < c4; j0 += 8) {
      const j1 = Math.min(c4, j0 + 8);
      for (let i = i0; i < i1; i += 4) {
        for (let j = j0; j < j1; j += 4) {
          const s = i * cols + j;
          const a0 = src[s], a1 = src[s + 1], a2 = src[s + 2], a3 = src[s + 3];
          const b0 = src[s + cols], b1 = src[s + cols + 1], b2 = src[s + cols + 2], b3 = src[s + cols + 3];
          const s2 = s + 2 * cols, s3 = s + 3 * cols;
          const c0 = src[s2], c1 = src[s2 + 1], c2 = src[s2 + 2], c3 = src[s2 + 3];
          const d0 = src[s3], d1 = src[s3 + 1], d2 = src[s3 + 2], d3 = src[s3 + 3];
          const t = j * rows + i;
          dst[t] = a0; dst[t + 1] = b0; dst[t + 2] = c0; dst[t + 3] = d0;
          const t1 = t + rows;
          dst[t1] = a1; dst[t1 + 1] = b1; dst[t1 + 2] = c1; dst[t1 + 3] = d1;
          const t2 = t1 + rows;
          dst[t2] = a2; dst[t2 + 1] = b2; dst[t2 + 2] = c2; dst[t2 + 3] = d2;
          const t3 = t2 + rows;
          dst[t3] = a3; dst[t3 + 1] = b3; dst[t3 + 2] = c3; dst[t3 + 3] = d3;
        }
      }
    }
  }
  for (let i = 0; i < rows; i++) {
    for (let j = i < r4 ? c4 : 0; j < cols; j++) dst[j * rows + i] = src[i * cols + j];
  }
}

/** Sweeps per block: a block is this many sweeps of row trades, then as many of column trades. */
const SWEEPS_PER_BLOCK = 5;

/**
 * The signed Curveball kernel, in place on row-major `w` [nIn, nOut]: `trades` trades. A sweep of
 * one side is ⌈n/2⌉ trades between random pairs of its n units (each unit in ~1 trade); trades run
 * in blocks of 5 sweeps of input-unit (row) trades, then 5 sweeps of output-unit (column) trades,
 * and so on until `trades` are done. Column trades run on transposed copies of the sign matrix and
 * the weights, made once per block, so every trade scans and writes contiguous memory. (Each
 * trade preserves the uniform distribution, so any such schedule does.)
 */
export function signedCurveballKernel(w: Float32Array, nIn: number, nOut: number, rng: Rng, trades: number): CurveballStats {
  const maxLen = Math.max(nIn, nOut);
  const sc: Scratch = {
    lf: logFactorials(maxLen),
    g0: new Uint32Array(maxLen), g1: new Uint32Array(maxLen), g2: new Uint32Array(maxLen),
    logw: new Float64Array(maxLen + 1),
  };
  // Byte-per-slot signs, rows padded to a multiple of 4 slots for word-wise scans.
  const ldRow = (nOut + 3) & ~3, ldCol = (nIn + 3) & ~3;
  const st = paddedSigns(w, nIn, nOut, ldRow);
  let stT: Int8Array | null = null, wT: Float32Array | null = null;
  let flips = 0;
  const rowBlock = SWEEPS_PER_BLOCK * Math.ceil(nIn / 2), colBlock = SWEEPS_PER_BLOCK * Math.ceil(nOut / 2);
  for (let t = 0; t < trades;) {
    const m = Math.min(rowBlock, trades - t);
    flips += tradeRows(st, ldRow, w, nIn, nOut, m, rng, sc);
    t += m;
    if (t >= trades) break;
    const m2 = Math.min(colBlock, trades - t);
    stT ??= new Int8Array(nOut * ldCol);
    wT ??= new Float32Array(w.length);
    transposeSigns(st, ldRow, stT, ldCol, nIn, nOut);
    transposeF32(w, wT, nIn, nOut);
    flips += tradeRows(stT, ldCol, wT, nOut, nIn, m2, rng, sc);
    transposeSigns(stT, ldCol, st, ldRow, nOut, nIn);
    transposeF32(wT, w, nOut, nIn);
    t += m2;
  }
  return { trades, flips };
}

/**
 * `curveball` — signed Curveball. Preserves every unit's k+ and k− on both sides and the
 * multisets of positive and of negative weights (with `weights: 'travel'` a weight keeps one
 * endpoint of its edge in every trade; `redraw` re-deals each sign's weights afterwards). Edges
 * move onto empty slots, never onto an occupied one: no multi-edges, no slot with two signs. Samples the sign pattern uniformly
 * from the class its trades connect (see the module comment). Steps: trades, default
 * 10 · (⌈nIn/2⌉ + ⌈nOut/2⌉), i.e. ~10 trades per unit (defaultCurveballTrades). O(nIn + nOut)
 * per trade.
 */
export function signedCurveball(layer: LayerRecord, rng: Rng, options: RandomizeOptions = {}): LayerRecord {
  const [nIn, nOut] = layer.shape;
  const w = layer.weights.slice();
  const trades = checkSteps(options.steps, 'curveball') ?? defaultCurveballTrades(nIn, nOut);
  signedCurveballKernel(w, nIn, nOut, rng, trades);
  if (checkWeightMode(options.weights) === 'redraw') redrawBySign(w, rng);
  return withWeights(layer, w);
}
