/**
 * The one seeded random number generator of weightscope.
 *
 * xoshiro128** (Blackman & Vigna 2018): 32-bit state words, so every step is exact integer
 * arithmetic with Math.imul and `>>> 0`; the same seed gives the same stream bit for bit on
 * every platform, in Node and in the browser. Seeds are expanded with splitmix32 so that
 * nearby seeds (1, 2, 3…) give unrelated streams.
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  /** The seed this generator was created from (for provenance in result rows). */
  readonly seed: number;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
    this.seed = seed >>> 0;
    let x = this.seed;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    // State words are kept as int32 (| 0): values ≥ 2^31 stored as uint32 (>>> 0) would be boxed
    // as heap numbers on every step. Same bits, same stream.
    this.s0 = next() | 0;
    this.s1 = next() | 0;
    this.s2 = next() | 0;
    this.s3 = next() | 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    this.s1 = s1 ^ n2;
    this.s0 = s0 ^ n3;
    this.s2 = n2 ^ t;
    this.s3 = rotl(n3, 11) | 0;
    return r;
  }

  /** Uniform float in [0, 1) with 32 bits of randomness. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /**
   * The next `count` values of next() into out[0..count), in bulk: the same stream bit for bit,
   * with the state in locals (≈ 4× faster a value than calling next(); noise probes draw 50k a model).
   */
  nextInto(out: Float64Array, count = out.length): void {
    if (count > out.length) throw new RangeError(`nextInto: ${count} values do not fit ${out.length}`);
    let s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    for (let i = 0; i < count; i++) {
      const m = Math.imul(s1, 5);
      out[i] = (Math.imul((m << 7) | (m >>> 25), 9) >>> 0) / 4294967296;
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
  }

  /** The generator's four state words (for a kernel that runs the same steps; setState puts them back). */
  getState(out = new Int32Array(4)): Int32Array {
    out[0] = this.s0;
    out[1] = this.s1;
    out[2] = this.s2;
    out[3] = this.s3;
    return out;
  }

  /** Continue from state words getState gave (after a kernel advanced them). */
  setState(state: Int32Array): void {
    if ((state[0] | state[1] | state[2] | state[3]) === 0) throw new RangeError('setState: the all-zero state is not a xoshiro128** state');
    this.s0 = state[0] | 0;
    this.s1 = state[1] | 0;
    this.s2 = state[2] | 0;
    this.s3 = state[3] | 0;
  }

  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [0, n), unbiased (Lemire's multiply-and-reject), for n ≤ 2^32. */
  int(n: number): number {
    if (!(n >= 1) || n > 4294967296) throw new RangeError(`int(n) needs 1 ≤ n ≤ 2^32, got ${n}`);
    if (n <= 0x200000) {
      // 21-bit bound: the 53-bit product fits a double exactly.
      for (;;) {
        const x = this.nextUint32();
        const m = x * n;
        const hi = Math.floor(m / 4294967296);
        const lo = m - hi * 4294967296;
        // Lemire: the threshold (a slow remainder) matters only when lo < n, which is rare.
        if (lo >= n || lo >= (4294967296 - n) % n) return hi;
      }
    }
    // Large n: rejection on the top bits.
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** Standard normal draw (Box–Muller; one value per call, deterministic). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** In-place Fisher–Yates shuffle of any indexable array. */
  shuffle<T extends { length: number; [i: number]: any }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Uint32Array {
    const p = new Uint32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /** A child generator whose stream depends on this one's seed and the given labels only. */
  fork(...labels: (string | number)[]): Rng {
    return new Rng(deriveSeed(this.seed, ...labels));
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * Derive a 32-bit seed from a base seed and labels (task, run, probe, level…), so that every
 * evaluation's seed is a pure function of what it is, not of the order work was scheduled in.
 * That is what lets a resumed or parallel sweep reproduce a serial one bit for bit.
 */
export function deriveSeed(base: number, ...labels: (string | number)[]): number {
  let h = 0x811c9dc5;
  const mix = (c: number): void => {
    h = Math.imul(h ^ c, 0x01000193) >>> 0;
  };
  // The base seed goes in byte by byte, like the labels, so it cannot cancel against them.
  const b = base >>> 0;
  mix(b & 0xff);
  mix((b >>> 8) & 0xff);
  mix((b >>> 16) & 0xff);
  mix(b >>> 24);
  for (const label of labels) {
    const s = typeof label === 'number' ? `#${label}` : label;
    for (let i = 0; i < s.length; i++) mix(s.charCodeAt(i));
    mix(0x1f);
  }
  // murmur3 finalizer to spread the FNV hash over all bits
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
