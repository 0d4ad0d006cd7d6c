/**
 * The transformer engine's WebAssembly SIMD kernels (engine.ts drives them), built from bytes at
 * load time with wasm-asm.ts. Every address is a byte offset into the module's imported memory;
 * every float array is float32.
 *
 *   gemm(X, xr, xc, Y, yr, C, cr, rows, cols, depth, bias, flags)
 *     C[r][c] = init + Σ_{t<depth} X[r·xr + t·xc] · Y[t·yr + c]      for r < rows, c < cols
 *     init = (flags & ACC ? C[r][c] : 0) + (bias ? bias[c] : 0); then flags & RELU: max(·, 0) (NaN kept).
 *     Strides are in bytes; cols is a multiple of 4; Y and C rows are contiguous along c. X's two
 *     strides make one kernel serve A·B (xr = row bytes, xc = 4), Aᵀ·B (xr = 4, xc = row bytes) and
 *     column sums (X = a 1.0 with xr = xc = 0). A tile of GEMM_ROWS rows × 4·GEMM_VECS columns is
 *     kept in f32x4 registers over the whole reduction; each step loads GEMM_VECS vectors of Y and
 *     one splatted X value per row.
 */
import {
  block, br, brIf, call, f32c, f32Lanes, f32Load, f32Store, f32x4ExtractLane, Fn, ifThen, i32c, i32Load, load32Splat, loop, moduleBytes, op, shuffle, v128Load, v128Splat, v128Store, type Code,
} from './wasm-asm.js';

export const GEMM_ACC = 1;
export const GEMM_RELU = 2;

/** Register tile of gemm: rows × f32x4 vectors. */
export const GEMM_ROWS = 4;
export const GEMM_VECS = 2;

function gemm(): { fn: Fn; code: Code } {
  const f = new Fn('gemm', [
    ['X', 'i32'], ['xr', 'i32'], ['xc', 'i32'], ['Y', 'i32'], ['yr', 'i32'], ['C', 'i32'], ['cr', 'i32'],
    ['rows', 'i32'], ['cols', 'i32'], ['depth', 'i32'], ['bias', 'i32'], ['flags', 'i32'],
  ]);
  f.locals('i32', 'r', 'cb', 'colsB', 'xp', 'yp', 'cp', 't');
  f.locals('v128', 's', 'zero');
  const RB = GEMM_ROWS;
  const VB = GEMM_VECS;
  for (let i = 1; i < RB; i++) f.locals('i32', `xr${i}`, `cr${i}`);
  const xrOf = (i: number) => (i === 0 ? [] : [...f.get(`xr${i}`), ...op.i32Add]);
  const crOf = (i: number) => (i === 0 ? [] : [...f.get(`cr${i}`), ...op.i32Add]);

  /** One register tile of rb rows × vb vectors at row r, column byte cb. */
  const tile = (rb: number, vb: number): Code => {
    const acc = (i: number, v: number) => `a${i}_${v}`;
    const y = (v: number) => `y${v}`;
    for (let i = 0; i < rb; i++) for (let v = 0; v < vb; v++) f.locals('v128', acc(i, v));
    for (let v = 0; v < vb; v++) f.locals('v128', y(v));
    const each = (g: (i: number, v: number) => Code): Code => Array.from({ length: rb }, (_, i) => Array.from({ length: vb }, (_, v) => g(i, v)).flat()).flat();
    return [
      ...f.get('C'), ...f.get('r'), ...f.get('cr'), ...op.i32Mul, ...op.i32Add, ...f.get('cb'), ...op.i32Add, ...f.set('cp'),
      ...ifThen([...f.get('flags'), ...i32c(GEMM_ACC), ...op.i32And],
        [each((i, v) => [...f.get('cp'), ...crOf(i), ...v128Load(16 * v), ...f.set(acc(i, v))])],
        [each((i, v) => [...f.get('zero'), ...f.set(acc(i, v))])]),
      ...ifThen(f.get('bias'), [each((i, v) => [...f.get(acc(i, v)), ...f.get('bias'), ...f.get('cb'), ...op.i32Add, ...v128Load(16 * v), ...op.f32x4Add, ...f.set(acc(i, v))])]),
      ...f.get('X'), ...f.get('r'), ...f.get('xr'), ...op.i32Mul, ...op.i32Add, ...f.set('xp'),
      ...f.get('Y'), ...f.get('cb'), ...op.i32Add, ...f.set('yp'),
      ...f.get('depth'), ...f.set('t'),
      ...block(loop(
        f.get('t'), op.i32Eqz, brIf(1),
        ...Array.from({ length: vb }, (_, v) => [...f.get('yp'), ...v128Load(16 * v), ...f.set(y(v))]),
        ...Array.from({ length: rb }, (_, i) => [
          ...f.get('xp'), ...xrOf(i), ...load32Splat(), ...f.set('s'),
          ...Array.from({ length: vb }, (_, v) => [...f.get(acc(i, v)), ...f.get('s'), ...f.get(y(v)), ...op.f32x4Mul, ...op.f32x4Add, ...f.set(acc(i, v))]).flat(),
        ]),
        f.inc('xp', f.get('xc')), f.inc('yp', f.get('yr')), f.inc('t', i32c(-1)),
        br(0),
      )),
      ...ifThen([...f.get('flags'), ...i32c(GEMM_RELU), ...op.i32And], [each((i, v) => [...f.get(acc(i, v)), ...f.get('zero'), ...op.f32x4Pmax, ...f.set(acc(i, v))])]),
      ...each((i, v) => [...f.get('cp'), ...crOf(i), ...f.get(acc(i, v)), ...v128Store(16 * v)]),
    ];
  };

  /** Column tiles of one row block: full vb-vector tiles, then single vectors. */
  const columns = (rb: number): Code => [
    ...i32c(0), ...f.set('cb'),
    ...block(loop(f.get('cb'), i32c(16 * VB), op.i32Add, f.get('colsB'), op.i32GtU, brIf(1), tile(rb, VB), f.inc('cb', i32c(16 * VB)), br(0))),
    ...block(loop(f.get('cb'), f.get('colsB'), op.i32GeU, brIf(1), tile(rb, 1), f.inc('cb', i32c(16)), br(0))),
  ];

  const code: Code = [
    ...f32c(0), ...op.f32x4Splat, ...f.set('zero'),
    ...f.get('cols'), ...i32c(4), ...op.i32Mul, ...f.set('colsB'),
    ...Array.from({ length: RB - 1 }, (_, k) => [
      ...f.get('xr'), ...i32c(k + 1), ...op.i32Mul, ...f.set(`xr${k + 1}`),
      ...f.get('cr'), ...i32c(k + 1), ...op.i32Mul, ...f.set(`cr${k + 1}`),
    ]).flat(),
    ...i32c(0), ...f.set('r'),
    ...block(loop(f.get('r'), i32c(RB), op.i32Add, f.get('rows'), op.i32GtU, brIf(1), columns(RB), f.inc('r', i32c(RB)), br(0))),
    ...block(loop(f.get('r'), f.get('rows'), op.i32GeU, brIf(1), columns(1), f.inc('r', i32c(1)), br(0))),
  ];
  return { fn: f, code };
}

/** The horizontal sum of v128 local `v` (a scalar f32 on the stack); `tmp` is scratch. */
function hsum(f: Fn, v: string, tmp: string): Code {
  return [
    ...f.get(v), ...f.get(v), ...f.get(v), ...shuffle(f32Lanes([2, 3, 0, 1])), ...op.f32x4Add, ...f.set(tmp),
    ...f.get(tmp), ...f.get(tmp), ...f.get(tmp), ...shuffle(f32Lanes([1, 0, 3, 2])), ...op.f32x4Add, ...f32x4ExtractLane(0),
  ];
}

/** The horizontal maximum of v128 local `v`. */
function hmax(f: Fn, v: string, tmp: string): Code {
  return [
    ...f.get(v), ...f.get(v), ...f.get(v), ...shuffle(f32Lanes([2, 3, 0, 1])), ...op.f32x4Max, ...f.set(tmp),
    ...f.get(tmp), ...f.get(tmp), ...f.get(tmp), ...shuffle(f32Lanes([1, 0, 3, 2])), ...op.f32x4Max, ...f32x4ExtractLane(0),
  ];
}

/**
 * transpose(src, sr, dst, dr, rows, cols): dst[c][r] = src[r][c] (strides in bytes), 4 × 4 blocks
 * through registers where both counts allow, single floats at the edges.
 */
function transpose(): { fn: Fn; code: Code } {
  const f = new Fn('transpose', [['src', 'i32'], ['sr', 'i32'], ['dst', 'i32'], ['dr', 'i32'], ['rows', 'i32'], ['cols', 'i32']]);
  f.locals('i32', 'r', 'c', 's', 'd', 'r4', 'c4');
  f.locals('v128', 'a0', 'a1', 'a2', 'a3', 'b0', 'b1', 'b2', 'b3');
  const rowAt = (base: string, stride: string, k: number): Code => [...f.get(base), ...(k ? [...f.get(stride), ...i32c(k), ...op.i32Mul, ...op.i32Add] : [])];
  // 4 × 4 block at (r, c): a_k = src row r+k, columns c…c+3; b_k = column c+k, rows r…r+3
  const block4: Code = [
    ...f.get('src'), ...f.get('r'), ...f.get('sr'), ...op.i32Mul, ...op.i32Add, ...f.get('c'), ...i32c(4), ...op.i32Mul, ...op.i32Add, ...f.set('s'),
    ...[0, 1, 2, 3].flatMap((k) => [...rowAt('s', 'sr', k), ...v128Load(), ...f.set(`a${k}`)]),
    // interleave: b0 = (a0[0], a1[0], a2[0], a3[0]) …
    ...f.get('a0'), ...f.get('a1'), ...shuffle(f32Lanes([0, 4, 1, 5])), ...f.set('b0'), // a0_0 a1_0 a0_1 a1_1
    ...f.get('a0'), ...f.get('a1'), ...shuffle(f32Lanes([2, 6, 3, 7])), ...f.set('b1'), // a0_2 a1_2 a0_3 a1_3
    ...f.get('a2'), ...f.get('a3'), ...shuffle(f32Lanes([0, 4, 1, 5])), ...f.set('b2'),
    ...f.get('a2'), ...f.get('a3'), ...shuffle(f32Lanes([2, 6, 3, 7])), ...f.set('b3'),
    ...f.get('dst'), ...f.get('c'), ...f.get('dr'), ...op.i32Mul, ...op.i32Add, ...f.get('r'), ...i32c(4), ...op.i32Mul, ...op.i32Add, ...f.set('d'),
    ...rowAt('d', 'dr', 0), ...f.get('b0'), ...f.get('b2'), ...shuffle(f32Lanes([0, 1, 4, 5])), ...v128Store(),
    ...rowAt('d', 'dr', 1), ...f.get('b0'), ...f.get('b2'), ...shuffle(f32Lanes([2, 3, 6, 7])), ...v128Store(),
    ...rowAt('d', 'dr', 2), ...f.get('b1'), ...f.get('b3'), ...shuffle(f32Lanes([0, 1, 4, 5])), ...v128Store(),
    ...rowAt('d', 'dr', 3), ...f.get('b1'), ...f.get('b3'), ...shuffle(f32Lanes([2, 3, 6, 7])), ...v128Store(),
  ];
  /** dst[c][r + k] = src[r + k][c] */
  const one = (k: number): Code => [
    ...f.get('dst'), ...f.get('c'), ...f.get('dr'), ...op.i32Mul, ...op.i32Add, ...f.get('r'), ...i32c(k), ...op.i32Add, ...i32c(4), ...op.i32Mul, ...op.i32Add,
    ...f.get('src'), ...f.get('r'), ...i32c(k), ...op.i32Add, ...f.get('sr'), ...op.i32Mul, ...op.i32Add, ...f.get('c'), ...i32c(4), ...op.i32Mul, ...op.i32Add, ...f32Load(),
    ...f32Store(),
  ];
  const code: Code = [
    ...f.get('rows'), ...i32c(-4), ...op.i32And, ...f.set('r4'),
    ...f.get('cols'), ...i32c(-4), ...op.i32And, ...f.set('c4'),
    ...f.forRange('r', i32c(0), f.get('r4'), i32c(4),
      f.forRange('c', i32c(0), f.get('c4'), i32c(4), block4),
      f.forRange('c', f.get('c4'), f.get('cols'), i32c(1), [0, 1, 2, 3].flatMap(one)),
    ),
    ...f.forRange('r', f.get('r4'), f.get('rows'), i32c(1), f.forRange('c', i32c(0), f.get('cols'), i32c(1), one(0))),
  ];
  return { fn: f, code };
}

/**
 * layerNorm(X, g, b, Xhat, Y, rstd, n, d, eps): per row i of X [n × d] (d a multiple of 4),
 * x̂ = (x − mean)·rstd with rstd = 1/√(var + eps) (population variance), y = x̂·g + b.
 * Writes Xhat and rstd (for the backward pass) unless Xhat is 0; Y may be Xhat's memory.
 */
function layerNorm(): { fn: Fn; code: Code } {
  const f = new Fn('layerNorm', [['X', 'i32'], ['g', 'i32'], ['b', 'i32'], ['Xhat', 'i32'], ['Y', 'i32'], ['rstd', 'i32'], ['n', 'i32'], ['d', 'i32'], ['eps', 'f32']]);
  f.locals('i32', 'i', 'j', 'row', 'db');
  f.locals('f32', 'mean', 'r', 'invD');
  f.locals('v128', 'acc', 'tmp', 'mv', 'rv', 'x');
  const at = (base: string) => [...f.get(base), ...f.get('row'), ...op.i32Add, ...f.get('j'), ...op.i32Add];
  const code: Code = [
    ...f32c(1), ...f.get('d'), ...op.f32ConvertI32S, ...op.f32Div, ...f.set('invD'),
    ...f.get('d'), ...i32c(4), ...op.i32Mul, ...f.set('db'),
    ...f.forRange('i', i32c(0), f.get('n'), i32c(1),
      [...f.get('i'), ...f.get('db'), ...op.i32Mul, ...f.set('row')],
      [...v128Splat(0), ...f.set('acc')],
      f.forRange('j', i32c(0), f.get('db'), i32c(16), [...f.get('acc'), ...at('X'), ...v128Load(), ...op.f32x4Add, ...f.set('acc')]),
      [...hsum(f, 'acc', 'tmp'), ...f.get('invD'), ...op.f32Mul, ...f.tee('mean'), ...op.f32x4Splat, ...f.set('mv')],
      [...v128Splat(0), ...f.set('acc')],
      f.forRange('j', i32c(0), f.get('db'), i32c(16), [
        ...at('X'), ...v128Load(), ...f.get('mv'), ...op.f32x4Sub, ...f.tee('x'), ...f.get('x'), ...op.f32x4Mul, ...f.get('acc'), ...op.f32x4Add, ...f.set('acc'),
      ]),
      [...f32c(1), ...hsum(f, 'acc', 'tmp'), ...f.get('invD'), ...op.f32Mul, ...f.get('eps'), ...op.f32Add, ...op.f32Sqrt, ...op.f32Div, ...f.tee('r'), ...op.f32x4Splat, ...f.set('rv')],
      ifThen(f.get('Xhat'), [[...f.get('rstd'), ...f.get('i'), ...i32c(4), ...op.i32Mul, ...op.i32Add, ...f.get('r'), ...f32Store()]]),
      f.forRange('j', i32c(0), f.get('db'), i32c(16),
        [...at('X'), ...v128Load(), ...f.get('mv'), ...op.f32x4Sub, ...f.get('rv'), ...op.f32x4Mul, ...f.set('x')],
        ifThen(f.get('Xhat'), [[...at('Xhat'), ...f.get('x'), ...v128Store()]]),
        [...at('Y'), ...f.get('x'), ...f.get('g'), ...f.get('j'), ...op.i32Add, ...v128Load(), ...op.f32x4Mul, ...f.get('b'), ...f.get('j'), ...op.i32Add, ...v128Load(), ...op.f32x4Add, ...v128Store()],
      ),
    ),
  ];
  return { fn: f, code };
}

/**
 * layerNormBack(dY, Xhat, rstd, g, dG, dB, dX, n, d): the layer norm's backward pass, added into
 * dG, dB and dX: per row, with dx̂ = dy·g, m₁ = mean(dx̂), m₂ = mean(dx̂·x̂):
 *   dG += dy·x̂,  dB += dy,  dX += rstd·(dx̂ − m₁ − x̂·m₂).
 */
function layerNormBack(): { fn: Fn; code: Code } {
  const f = new Fn('layerNormBack', [['dY', 'i32'], ['Xhat', 'i32'], ['rstd', 'i32'], ['g', 'i32'], ['dG', 'i32'], ['dB', 'i32'], ['dX', 'i32'], ['n', 'i32'], ['d', 'i32']]);
  f.locals('i32', 'i', 'j', 'row', 'db');
  f.locals('f32', 'invD');
  f.locals('v128', 'm1', 'm2', 'tmp', 'dy', 'xh', 'dxh', 'rv');
  const at = (base: string) => [...f.get(base), ...f.get('row'), ...op.i32Add, ...f.get('j'), ...op.i32Add];
  const col = (base: string) => [...f.get(base), ...f.get('j'), ...op.i32Add];
  const code: Code = [
    ...f32c(1), ...f.get('d'), ...op.f32ConvertI32S, ...op.f32Div, ...f.set('invD'),
    ...f.get('d'), ...i32c(4), ...op.i32Mul, ...f.set('db'),
    ...f.forRange('i', i32c(0), f.get('n'), i32c(1),
      [...f.get('i'), ...f.get('db'), ...op.i32Mul, ...f.set('row')],
      [...v128Splat(0), ...f.set('m1'), ...v128Splat(0), ...f.set('m2')],
      f.forRange('j', i32c(0), f.get('db'), i32c(16),
        [...at('dY'), ...v128Load(), ...f.set('dy'), ...at('Xhat'), ...v128Load(), ...f.set('xh')],
        [...col('dG'), ...col('dG'), ...v128Load(), ...f.get('dy'), ...f.get('xh'), ...op.f32x4Mul, ...op.f32x4Add, ...v128Store()],
        [...col('dB'), ...col('dB'), ...v128Load(), ...f.get('dy'), ...op.f32x4Add, ...v128Store()],
        [...f.get('dy'), ...col('g'), ...v128Load(), ...op.f32x4Mul, ...f.tee('dxh'), ...f.get('m1'), ...op.f32x4Add, ...f.set('m1')],
        [...f.get('dxh'), ...f.get('xh'), ...op.f32x4Mul, ...f.get('m2'), ...op.f32x4Add, ...f.set('m2')],
      ),
      [...hsum(f, 'm1', 'tmp'), ...f.get('invD'), ...op.f32Mul, ...op.f32x4Splat, ...f.set('m1')],
      [...hsum(f, 'm2', 'tmp'), ...f.get('invD'), ...op.f32Mul, ...op.f32x4Splat, ...f.set('m2')],
      [...f.get('rstd'), ...f.get('i'), ...i32c(4), ...op.i32Mul, ...op.i32Add, ...load32Splat(), ...f.set('rv')],
      f.forRange('j', i32c(0), f.get('db'), i32c(16), [
        ...at('dX'), ...at('dX'), ...v128Load(),
        ...f.get('rv'),
        ...at('dY'), ...v128Load(), ...col('g'), ...v128Load(), ...op.f32x4Mul, ...f.get('m1'), ...op.f32x4Sub,
        ...at('Xhat'), ...v128Load(), ...f.get('m2'), ...op.f32x4Mul, ...op.f32x4Sub,
        ...op.f32x4Mul, ...op.f32x4Add, ...v128Store(),
      ]),
    ),
  ];
  return { fn: f, code };
}

/**
 * e^x of the four lanes of v128 local `x` (left on the stack): Cody–Waite reduction x = n·ln 2 + r,
 * Cephes' degree-7 polynomial for e^r (|error| ≲ 2 ulp in float32), 2^n built in the exponent
 * bits. x is clamped below at −88, where 2^n underflows to exactly 0; x ≤ 0 here (softmax).
 */
function exp(f: Fn, x: string): Code {
  f.locals('v128', 'expN', 'expR', 'expP');
  const poly = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
  return [
    ...f.get(x), ...v128Splat(-88), ...op.f32x4Max, ...f.set(x),
    ...f.get(x), ...v128Splat(Math.LOG2E), ...op.f32x4Mul, ...op.f32x4Nearest, ...f.set('expN'),
    ...f.get(x), ...f.get('expN'), ...v128Splat(0.693359375), ...op.f32x4Mul, ...op.f32x4Sub,
    ...f.get('expN'), ...v128Splat(-2.12194440e-4), ...op.f32x4Mul, ...op.f32x4Sub, ...f.set('expR'),
    ...v128Splat(poly[0]),
    ...poly.slice(1).flatMap((c) => [...f.get('expR'), ...op.f32x4Mul, ...v128Splat(c), ...op.f32x4Add]),
    ...f.set('expP'),
    // y = p·r² + r + 1
    ...f.get('expP'), ...f.get('expR'), ...op.f32x4Mul, ...f.get('expR'), ...op.f32x4Mul, ...f.get('expR'), ...op.f32x4Add, ...v128Splat(1), ...op.f32x4Add,
    // · 2^n: (n + 127) << 23 as float bits
    ...f.get('expN'), ...op.i32x4TruncSatF32x4S, ...i32c(127), ...op.i32x4Splat, ...op.i32x4Add, ...i32c(23), ...op.i32x4Shl,
    ...op.f32x4Mul,
  ];
}

/**
 * softmaxRows(S, rows, L, sr, scale): each row of S (rows × L scores, rows sr bytes apart, padded
 * to a multiple of 4 floats) becomes softmax(scale · row) over its first L entries; the padding
 * entries become 0.
 */
function softmaxRows(): { fn: Fn; code: Code } {
  const f = new Fn('softmaxRows', [['S', 'i32'], ['rows', 'i32'], ['L', 'i32'], ['sr', 'i32'], ['scale', 'f32']]);
  f.locals('i32', 'i', 'j', 'row', 'lb');
  f.locals('v128', 'mx', 'tmp', 'sum', 'x', 'sv');
  const at = [...f.get('row'), ...f.get('j'), ...op.i32Add];
  const code: Code = [
    ...f.get('L'), ...i32c(3), ...op.i32Add, ...i32c(-4), ...op.i32And, ...i32c(4), ...op.i32Mul, ...f.set('lb'),
    ...f.get('scale'), ...op.f32x4Splat, ...f.set('sv'),
    ...f.forRange('i', i32c(0), f.get('rows'), i32c(1),
      [...f.get('S'), ...f.get('i'), ...f.get('sr'), ...op.i32Mul, ...op.i32Add, ...f.set('row')],
      f.forRange('j', [...f.get('L'), ...i32c(4), ...op.i32Mul], f.get('lb'), i32c(4), [...at, ...f32c(-Infinity), ...f32Store()]),
      [...v128Splat(-Infinity), ...f.set('mx')],
      f.forRange('j', i32c(0), f.get('lb'), i32c(16), [...f.get('mx'), ...at, ...v128Load(), ...op.f32x4Max, ...f.set('mx')]),
      [...hmax(f, 'mx', 'tmp'), ...op.f32x4Splat, ...f.set('mx')],
      [...v128Splat(0), ...f.set('sum')],
      f.forRange('j', i32c(0), f.get('lb'), i32c(16),
        [...at, ...v128Load(), ...f.get('mx'), ...op.f32x4Sub, ...f.get('sv'), ...op.f32x4Mul, ...f.set('x')],
        [...at, ...exp(f, 'x'), ...f.tee('x'), ...v128Store(), ...f.get('sum'), ...f.get('x'), ...op.f32x4Add, ...f.set('sum')],
      ),
      [...f32c(1), ...hsum(f, 'sum', 'tmp'), ...op.f32Div, ...op.f32x4Splat, ...f.set('sum')],
      f.forRange('j', i32c(0), f.get('lb'), i32c(16), [...at, ...at, ...v128Load(), ...f.get('sum'), ...op.f32x4Mul, ...v128Store()]),
    ),
  ];
  return { fn: f, code };
}

/**
 * softmaxBack(P, dP, rows, Lp, sr, scale): the gradient of the scores from that of the
 * probabilities, in place of dP: dS = scale · P ⊙ (dP − Σ_j P·dP), over Lp (a multiple of 4)
 * entries per row (P is 0 in the padding, so dS is too wherever dP is finite).
 */
function softmaxBack(): { fn: Fn; code: Code } {
  const f = new Fn('softmaxBack', [['P', 'i32'], ['dP', 'i32'], ['rows', 'i32'], ['Lp', 'i32'], ['sr', 'i32'], ['scale', 'f32']]);
  f.locals('i32', 'i', 'j', 'o', 'lb');
  f.locals('v128', 'dot', 'tmp', 'sv');
  const p = [...f.get('P'), ...f.get('o'), ...op.i32Add, ...f.get('j'), ...op.i32Add];
  const dp = [...f.get('dP'), ...f.get('o'), ...op.i32Add, ...f.get('j'), ...op.i32Add];
  const code: Code = [
    ...f.get('Lp'), ...i32c(4), ...op.i32Mul, ...f.set('lb'),
    ...f.get('scale'), ...op.f32x4Splat, ...f.set('sv'),
    ...f.forRange('i', i32c(0), f.get('rows'), i32c(1),
      [...f.get('i'), ...f.get('sr'), ...op.i32Mul, ...f.set('o')],
      [...v128Splat(0), ...f.set('dot')],
      f.forRange('j', i32c(0), f.get('lb'), i32c(16), [...f.get('dot'), ...p, ...v128Load(), ...dp, ...v128Load(), ...op.f32x4Mul, ...op.f32x4Add, ...f.set('dot')]),
      [...hsum(f, 'dot', 'tmp'), ...op.f32x4Splat, ...f.set('dot')],
      f.forRange('j', i32c(0), f.get('lb'), i32c(16), [
        ...dp, ...p, ...v128Load(), ...dp, ...v128Load(), ...f.get('dot'), ...op.f32x4Sub, ...op.f32x4Mul, ...f.get('sv'), ...op.f32x4Mul, ...v128Store(),
      ]),
    ),
  ];
  return { fn: f, code };
}

/**
 * adam(P, G, M, V, count, a, b, beta1, beta2): one Adam step of `count` floats (a multiple of 4),
 * G zeroed after use: M ← β₁M + (1−β₁)G, V ← β₂V + (1−β₂)G², P ← P − a·M / (√(b·V) + 1e-8),
 * with a = lr/(1 − β₁ᵗ) and b = 1/(1 − β₂ᵗ).
 */
function adam(): { fn: Fn; code: Code } {
  const f = new Fn('adam', [['P', 'i32'], ['G', 'i32'], ['M', 'i32'], ['V', 'i32'], ['count', 'i32'], ['a', 'f32'], ['b', 'f32'], ['beta1', 'f32'], ['beta2', 'f32']]);
  f.locals('i32', 'o', 'end');
  f.locals('v128', 'g', 'm', 'v', 'b1', 'c1', 'b2', 'c2', 'av', 'bv', 'eps', 'zero');
  const at = (base: string) => [...f.get(base), ...f.get('o'), ...op.i32Add];
  const code: Code = [
    ...f.get('beta1'), ...op.f32x4Splat, ...f.set('b1'), ...f32c(1), ...f.get('beta1'), ...op.f32Sub, ...op.f32x4Splat, ...f.set('c1'),
    ...f.get('beta2'), ...op.f32x4Splat, ...f.set('b2'), ...f32c(1), ...f.get('beta2'), ...op.f32Sub, ...op.f32x4Splat, ...f.set('c2'),
    ...f.get('a'), ...op.f32x4Splat, ...f.set('av'), ...f.get('b'), ...op.f32x4Splat, ...f.set('bv'),
    ...v128Splat(1e-8), ...f.set('eps'), ...v128Splat(0), ...f.set('zero'),
    ...f.get('count'), ...i32c(4), ...op.i32Mul, ...f.set('end'),
    ...f.forRange('o', i32c(0), f.get('end'), i32c(16),
      [...at('G'), ...v128Load(), ...f.set('g'), ...at('G'), ...f.get('zero'), ...v128Store()],
      [...f.get('b1'), ...at('M'), ...v128Load(), ...op.f32x4Mul, ...f.get('c1'), ...f.get('g'), ...op.f32x4Mul, ...op.f32x4Add, ...f.set('m'), ...at('M'), ...f.get('m'), ...v128Store()],
      [...f.get('b2'), ...at('V'), ...v128Load(), ...op.f32x4Mul, ...f.get('c2'), ...f.get('g'), ...f.get('g'), ...op.f32x4Mul, ...op.f32x4Mul, ...op.f32x4Add, ...f.set('v'), ...at('V'), ...f.get('v'), ...v128Store()],
      [
        ...at('P'), ...at('P'), ...v128Load(),
        ...f.get('av'), ...f.get('m'), ...op.f32x4Mul, ...f.get('bv'), ...f.get('v'), ...op.f32x4Mul, ...op.f32x4Sqrt, ...f.get('eps'), ...op.f32x4Add, ...op.f32x4Div,
        ...op.f32x4Sub, ...v128Store(),
      ],
    ),
  ];
  return { fn: f, code };
}

/** adamRows(P, G, M, V, list, count, rowBytes, a, b, beta1, beta2): adam() on the rows whose indices (i32) the list holds. Calls function ADAM_INDEX. */
function adamRows(adamIndex: number): { fn: Fn; code: Code } {
  const f = new Fn('adamRows', [
    ['P', 'i32'], ['G', 'i32'], ['M', 'i32'], ['V', 'i32'], ['list', 'i32'], ['count', 'i32'], ['rowBytes', 'i32'], ['a', 'f32'], ['b', 'f32'], ['beta1', 'f32'], ['beta2', 'f32'],
  ]);
  f.locals('i32', 'k', 'o');
  const code: Code = f.forRange('k', i32c(0), f.get('count'), i32c(1),
    [...f.get('list'), ...f.get('k'), ...i32c(4), ...op.i32Mul, ...op.i32Add, ...i32Load(), ...f.get('rowBytes'), ...op.i32Mul, ...f.set('o')],
    ['P', 'G', 'M', 'V'].flatMap((x) => [...f.get(x), ...f.get('o'), ...op.i32Add]),
    [...f.get('rowBytes'), ...i32c(2), ...op.i32ShrU, ...f.get('a'), ...f.get('b'), ...f.get('beta1'), ...f.get('beta2'), ...call(adamIndex)],
  );
  return { fn: f, code };
}

/** reluMask(D, F, count): D[i] = F[i] > 0 ? D[i] : 0 (the ReLU's backward pass; count a multiple of 4). */
function reluMask(): { fn: Fn; code: Code } {
  const f = new Fn('reluMask', [['D', 'i32'], ['F', 'i32'], ['count', 'i32']]);
  f.locals('i32', 'o', 'end');
  f.locals('v128', 'zero');
  const code: Code = [
    ...v128Splat(0), ...f.set('zero'),
    ...f.get('count'), ...i32c(4), ...op.i32Mul, ...f.set('end'),
    ...f.forRange('o', i32c(0), f.get('end'), i32c(16), [
      ...f.get('D'), ...f.get('o'), ...op.i32Add,
      ...f.get('D'), ...f.get('o'), ...op.i32Add, ...v128Load(),
      ...f.get('F'), ...f.get('o'), ...op.i32Add, ...v128Load(), ...f.get('zero'), ...op.f32x4Gt, ...op.v128And,
      ...v128Store(),
    ]),
  ];
  return { fn: f, code };
}

export type GemmFn = (x: number, xr: number, xc: number, y: number, yr: number, c: number, cr: number, rows: number, cols: number, depth: number, bias: number, flags: number) => void;

/** One instance of the kernels on its own memory (addresses are byte offsets into it). */
export interface Kernels {
  memory: WebAssembly.Memory;
  gemm: GemmFn;
  transpose: (src: number, sr: number, dst: number, dr: number, rows: number, cols: number) => void;
  layerNorm: (x: number, g: number, b: number, xhat: number, y: number, rstd: number, n: number, d: number, eps: number) => void;
  layerNormBack: (dy: number, xhat: number, rstd: number, g: number, dg: number, db: number, dx: number, n: number, d: number) => void;
  softmaxRows: (s: number, rows: number, l: number, sr: number, scale: number) => void;
  softmaxBack: (p: number, dp: number, rows: number, lp: number, sr: number, scale: number) => void;
  adam: (p: number, g: number, m: number, v: number, count: number, a: number, b: number, beta1: number, beta2: number) => void;
  adamRows: (p: number, g: number, m: number, v: number, list: number, count: number, rowBytes: number, a: number, b: number, beta1: number, beta2: number) => void;
  reluMask: (d: number, f: number, count: number) => void;
}

const KERNELS = ['gemm', 'transpose', 'layerNorm', 'layerNormBack', 'softmaxRows', 'softmaxBack', 'adam', 'adamRows', 'reluMask'] as const;

export function kernelModuleBytes(): Uint8Array<ArrayBuffer> {
  const fns = [gemm(), transpose(), layerNorm(), layerNormBack(), softmaxRows(), softmaxBack(), adam()];
  fns.push(adamRows(KERNELS.indexOf('adam')), reluMask());
  fns.forEach(({ fn }, k) => {
    if (fn.name !== KERNELS[k]) throw new Error(`kernel ${k} is ${fn.name}, expected ${KERNELS[k]}`);
  });
  return moduleBytes(fns);
}

let compiled: WebAssembly.Module | null | undefined;

/** The compiled module (once per thread); null where WebAssembly SIMD is unavailable. */
function compiledModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      const b = kernelModuleBytes();
      compiled = typeof WebAssembly !== 'undefined' && WebAssembly.validate(b) ? new WebAssembly.Module(b) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

export function kernelsAvailable(): boolean {
  return compiledModule() !== null;
}

/** Instantiate the kernels on a fresh memory of at least `bytes`; null where WebAssembly SIMD is unavailable. */
export function loadKernels(bytes: number): Kernels | null {
  const module = compiledModule();
  if (!module) return null;
  const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) });
  const fn = new WebAssembly.Instance(module, { env: { mem: memory } }).exports;
  return Object.fromEntries([['memory', memory], ...KERNELS.map((k) => [k, fn[k]])]) as unknown as Kernels;
}
