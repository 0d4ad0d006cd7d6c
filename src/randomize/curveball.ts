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
      let x = rng.int(range) | 0; // < 2^31: int32, so the digits below come from integer divisions
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
      let x = rng.int(range) | 0; // < 2^31: int32, so the digits below come from integer divisions
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
  /** One bit per slot of a unit: the slots chosen to take a group's first state (zero between trades). */
  first: Int32Array;
}

/** Number of set bits of a 32-bit word. */
function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/**
 * `count` trades between random pairs of the `units` units of a sign matrix held as bit sets:
 * unit r's + slots at bits[r·2·ldw …] and its − slots at bits[r·2·ldw + ldw …] (ldw words of 32
 * slots, padding zero); unit r's weight at slot x is w[r·unitStride + x·slotStride] (row trades:
 * nOut, 1; column trades: 1, nOut, on the untransposed weights). Returns the entries exchanged.
 *
 * Per 32 slots, the three groups of differing slots are three masks of the two units' four words;
 * their bits are listed in slot order (the order the subset draws permute, as before: the random
 * stream and the result are those of the byte-per-slot kernel this replaced, bit for bit). The
 * exchange rewrites the four words from the chosen subsets and swaps the weights of the slots
 * whose state changed, and only those (about half the differing slots): so column trades need no
 * transposed copy of the weights (measured: two 4 MB transposes per block cost more than the
 * strided swaps).
 */
function tradeRows(bits: Int32Array, ldw: number, w: Float32Array, unitStride: number, slotStride: number, units: number, len: number, count: number, rng: Rng, sc: Scratch): number {
  if (units < 2 || len < 1) return 0;
  const { lf, g0, g1, g2, logw, first } = sc;
  // The weights' bits, so that they are swapped exactly.
  const wi = new Int32Array(w.buffer, w.byteOffset, w.length);
  const lc = (n: number, k: number): number => lf[n] - lf[k] - lf[n - k];
  let flips = 0;
  for (let t = 0; t < count; t++) {
    const r1 = rng.int(units);
    let r2 = rng.int(units - 1);
    if (r2 >= r1) r2++;
    const o1 = r1 * 2 * ldw, o2 = r2 * 2 * ldw;
    const w1 = r1 * unitStride, w2 = r2 * unitStride;

    // The slots where the two units differ, in three groups: {+,−}, {+,0}, {−,0}; and unit 1's
    // + and − counts among them.
    let a = 0, b = 0, c = 0, p1 = 0, n1 = 0;
    for (let q = 0; q < ldw; q++) {
      const up = bits[o1 + q], un = bits[o1 + ldw + q], vp = bits[o2 + q], vn = bits[o2 + ldw + q];
      const m0 = (up & vn) | (un & vp);
      const m1 = (up ^ vp) & ~(un | vn);
      const m2 = (un ^ vn) & ~(up | vp);
      if ((m0 | m1 | m2) === 0) continue;
      p1 += popcount(up & (m0 | m1));
      n1 += popcount(un & (m0 | m2));
      const k0 = (q << 5) + 31;
      for (let m = m0; m !== 0; m &= m - 1) g0[a++] = k0 - Math.clz32(m & -m);
      for (let m = m1; m !== 0; m &= m - 1) g1[b++] = k0 - Math.clz32(m & -m);
      for (let m = m2; m !== 0; m &= m - 1) g2[c++] = k0 - Math.clz32(m & -m);
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

    // The chosen first ones: r1 gets the group's first state (+, +, −), r2 the other one; the
    // rest the other way round.
    chooseFirst(g0, a, p, rng);
    chooseFirst(g1, b, q, rng);
    chooseFirst(g2, c, s, rng);
    for (let i = 0; i < p; i++) first[g0[i] >>> 5] |= 1 << (g0[i] & 31);
    for (let i = 0; i < q; i++) first[g1[i] >>> 5] |= 1 << (g1[i] & 31);
    for (let i = 0; i < s; i++) first[g2[i] >>> 5] |= 1 << (g2[i] & 31);

    // Exchange: the four words rewritten; the weights of the slots where r1 changes state swapped.
    for (let q = 0; q < ldw; q++) {
      const up = bits[o1 + q], un = bits[o1 + ldw + q], vp = bits[o2 + q], vn = bits[o2 + ldw + q];
      const m0 = (up & vn) | (un & vp);
      const m1 = (up ^ vp) & ~(un | vn);
      const m2 = (un ^ vn) & ~(up | vp);
      const differ = m0 | m1 | m2;
      if (differ === 0) continue;
      const f = first[q];
      first[q] = 0;
      const keep = ~differ;
      const np1 = (up & keep) | ((m0 | m1) & f);
      const nn1 = (un & keep) | (m0 & ~f) | (m2 & f);
      bits[o1 + q] = np1;
      bits[o1 + ldw + q] = nn1;
      bits[o2 + q] = (vp & keep) | ((m0 | m1) & ~f);
      bits[o2 + ldw + q] = (vn & keep) | (m0 & f) | (m2 & ~f);
      const moved = (np1 ^ up) | (nn1 ^ un);
      const k0 = (q << 5) + 31;
      for (let m = moved; m !== 0; m &= m - 1) {
        const x = (k0 - Math.clz32(m & -m)) * slotStride;
        const u = wi[w1 + x];
        wi[w1 + x] = wi[w2 + x];
        wi[w2 + x] = u;
        flips++;
      }
    }
  }
  return flips;
}

/**
 * Sign bit sets of row-major [rows, cols] weights (the layout tradeRows reads: per row, ldw words
 * of + bits then ldw words of − bits).
 */
function signBits(w: Float32Array, rows: number, cols: number, ldw: number, out: Int32Array): void {
  for (let i = 0; i < rows; i++) {
    const o = i * 2 * ldw, r = i * cols;
    for (let q = 0; q < ldw; q++) {
      const j0 = q << 5, j1 = Math.min(cols, j0 + 32);
      let pos = 0, neg = 0;
      for (let j = j0; j < j1; j++) {
        const x = w[r + j];
        // branch-free: the sign is a coin toss at low density
        pos |= +(x > 0) << (j - j0);
        neg |= +(x < 0) << (j - j0);
      }
      out[o + q] = pos;
      out[o + ldw + q] = neg;
    }
  }
}

/**
 * The transpose of a sign matrix held as bit sets (tradeRows' layout): `rows` units of ldSrc
 * words per sign → `cols` units of ldDst words. 32×32 blocks of bits, each transposed in
 * registers by five rounds of masked swaps of ever smaller sub-blocks (Hacker's Delight, 7-3).
 */
function transposeBits(src: Int32Array, ldSrc: number, dst: Int32Array, ldDst: number, rows: number, cols: number, blk: Int32Array): void {
  for (let sign = 0; sign < 2; sign++) {
    const so = sign * ldSrc, doff = sign * ldDst;
    for (let bi = 0; bi < ldDst; bi++) {
      const i0 = bi << 5, n = Math.min(32, rows - i0);
      for (let bj = 0; bj < ldSrc; bj++) {
        for (let k = 0; k < n; k++) blk[k] = src[(i0 + k) * 2 * ldSrc + so + bj];
        for (let k = n; k < 32; k++) blk[k] = 0;
        // bit j of blk[k] is slot (i0 + k, 32·bj + j); swap the off-diagonal halves of every
        // 2j×2j block, for j = 16, 8, 4, 2, 1.
        for (let j = 16, m = 0x0000ffff; j !== 0; j >>>= 1, m ^= m << j) {
          for (let k = 0; k < 32; k = (k + j + 1) & ~j) {
            const t = ((blk[k] >>> j) ^ blk[k + j]) & m;
            blk[k + j] ^= t;
            blk[k] ^= t << j;
          }
        }
        const j0 = bj << 5, nj = Math.min(32, cols - j0);
        for (let k = 0; k < nj; k++) dst[(j0 + k) * 2 * ldDst + doff + bi] = blk[k];
      }
    }
  }
}

/** Sweeps per block: a block is this many sweeps of row trades, then as many of column trades. */
const SWEEPS_PER_BLOCK = 5;

/**
 * The signed Curveball kernel, in place on row-major `w` [nIn, nOut]: `trades` trades. A sweep of
 * one side is ⌈n/2⌉ trades between random pairs of its n units (each unit in ~1 trade); trades run
 * in blocks of 5 sweeps of input-unit (row) trades, then 5 sweeps of output-unit (column) trades,
 * and so on until `trades` are done. Column trades scan a transposed copy of the sign bit sets,
 * made once per block (a few hundred µs), and swap the moved weights in place. (Each trade
 * preserves the uniform distribution, so any such schedule does.)
 */
export function signedCurveballKernel(w: Float32Array, nIn: number, nOut: number, rng: Rng, trades: number): CurveballStats {
  const maxLen = Math.max(nIn, nOut);
  const sc: Scratch = {
    lf: logFactorials(maxLen),
    g0: new Uint32Array(maxLen), g1: new Uint32Array(maxLen), g2: new Uint32Array(maxLen),
    logw: new Float64Array(maxLen + 1),
    first: new Int32Array((maxLen + 31) >>> 5),
  };
  // The signs as bit sets, 32 slots a word, in both orientations (transposed once per block).
  const ldRow = (nOut + 31) >>> 5, ldCol = (nIn + 31) >>> 5;
  const bits = new Int32Array(nIn * ldRow * 2);
  signBits(w, nIn, nOut, ldRow, bits);
  let bitsT: Int32Array | null = null;
  const blk = new Int32Array(32);
  let flips = 0;
  const rowBlock = SWEEPS_PER_BLOCK * Math.ceil(nIn / 2), colBlock = SWEEPS_PER_BLOCK * Math.ceil(nOut / 2);
  for (let t = 0; t < trades;) {
    const m = Math.min(rowBlock, trades - t);
    flips += tradeRows(bits, ldRow, w, nOut, 1, nIn, nOut, m, rng, sc);
    t += m;
    if (t >= trades) break;
    const m2 = Math.min(colBlock, trades - t);
    bitsT ??= new Int32Array(nOut * ldCol * 2);
    transposeBits(bits, ldRow, bitsT, ldCol, nIn, nOut, blk);
    flips += tradeRows(bitsT, ldCol, w, 1, nOut, nOut, nIn, m2, rng, sc);
    transposeBits(bitsT, ldCol, bits, ldRow, nOut, nIn, blk);
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
