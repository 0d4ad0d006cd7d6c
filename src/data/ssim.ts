/**
 * Class-pair difficulty by structural similarity (SSIM), computed with the `ssim.js` package.
 *
 * The reference study scores a pair of classes by the mean SSIM (skimage
 * `structural_similarity`, defaults) of random cross-class image pairs, images scaled to
 * [−1, 1]; distance = 1 − SSIM, and a larger distance means an easier task.
 *
 * How ssim.js is made to compute exactly skimage's number (details in docs/data.md):
 * - skimage's default window is a 7×7 uniform filter over the valid region; ssim.js's `weber`
 *   algorithm is a 7×7 uniform sliding window over the valid region (integral images).
 * - SSIM is unchanged when both images and √C1, √C2 are scaled by the same factor. Images in
 *   [−1, 1] are passed as the integers v = 2p − 255 (255× larger) with L = 255, so
 *   C1 = (0.01·R·255)² = (k1·L)² with k1 = 0.01·R, where R is data_range in [−1, 1] units.
 * - skimage uses the sample covariance (×49/48 on every variance and covariance); that is the
 *   same as the population covariance ssim.js uses with C2 multiplied by 48/49 (hence √(48/49)).
 * - ssim.js takes RGBA image data and rounds pixel values with `(v + 0.5) | 0`, which moves
 *   negative integers up by one; negative values are therefore passed as v − 1 so that they
 *   arrive as v (a test checks this through SSIM's symmetry under negating both images).
 * - Like the reference, data_range is that of the first image of the pair (max − min in
 *   [−1, 1] units, 1 if the image is flat); 2 for every image that spans 0…255.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ssim as ssimJs } from 'ssim.js';
import { Rng, deriveSeed } from '../core/rng.js';
import { UserError } from '../core/errors.js';
import type { ImageSet } from './datasets.js';
import { checkDatasetName, N_CLASSES, type DatasetName } from './names.js';
import { sortRanking, type SsimRow } from './ssim-rows.js';

export type { SsimRow } from './ssim-rows.js';
export { sortRanking, ssimDistanceOf } from './ssim-rows.js';

export interface SsimOptions {
  /** Random cross-class image pairs per class pair (reference: 10,000). */
  samplesPerPair?: number;
  /** Seed; direction a→b draws from deriveSeed(seed, 'ssim-pair', a, b), b→a from deriveSeed(seed, 'ssim-pair', b, a). */
  seed?: number;
  /** Images drawn from: the first this-many training images of each class (reference: 1,000). */
  imagesPerClass?: number;
  /** Only these pairs (a < b is not required); default all 45. */
  pairs?: [number, number][];
}

export const SSIM_DEFAULTS = { samplesPerPair: 10000, seed: 1, imagesPerClass: 1000 } as const;

/** Everything that defines the method, stored with every ranking. */
export const SSIM_METHOD =
  'mean SSIM of random cross-class pairs (uniform with replacement) from the first imagesPerClass training images of each class, ' +
  'computed both ways (samplesPerPair draws of SSIM(a, b) and of SSIM(b, a), averaged, as the reference); ' +
  'images scaled to [-1,1]; skimage structural_similarity defaults replicated with ssim.js weber (7x7 uniform window, valid region, ' +
  'sample covariance, K1=0.01, K2=0.03, data_range of the first image)';

export interface SsimRanking {
  dataset: DatasetName;
  samplesPerPair: number;
  seed: number;
  imagesPerClass: number;
  method: string;
  /** All pairs, sorted by distance, largest (easiest) first. */
  rows: SsimRow[];
}

const PIXEL_CODE = (() => {
  // v = 2p − 255 is the [−1, 1] pixel ×255; negatives pre-shifted for ssim.js's rounding (see above).
  const t = new Int32Array(256);
  for (let p = 0; p < 256; p++) {
    const v = 2 * p - 255;
    t[p] = v < 0 ? v - 1 : v;
  }
  return t;
})();

const SAMPLE_COV = Math.sqrt(48 / 49);

/** Reusable RGBA buffers: ssim.js wants image data with 4 channels per pixel. */
class SsimScratch {
  readonly first: Int32Array;
  readonly second: Int32Array;
  constructor(readonly rows: number, readonly cols: number) {
    this.first = new Int32Array(rows * cols * 4);
    this.second = new Int32Array(rows * cols * 4);
  }
}

function fillRgba(dst: Int32Array, pixels: Uint8Array, offset: number, size: number): void {
  for (let k = 0; k < size; k++) {
    const v = PIXEL_CODE[pixels[offset + k]];
    const o = 4 * k;
    dst[o] = v;
    dst[o + 1] = v;
    dst[o + 2] = v;
    dst[o + 3] = 255;
  }
}

function ssimAt(pixelsA: Uint8Array, offA: number, pixelsB: Uint8Array, offB: number, s: SsimScratch): number {
  const size = s.rows * s.cols;
  let lo = 255;
  let hi = 0;
  for (let k = 0; k < size; k++) {
    const p = pixelsA[offA + k];
    if (p < lo) lo = p;
    if (p > hi) hi = p;
  }
  // data_range of the first image in [−1, 1] units; the reference falls back to 1 for a flat image.
  const range = hi > lo ? (2 * (hi - lo)) / 255 : 1;
  fillRgba(s.first, pixelsA, offA, size);
  fillRgba(s.second, pixelsB, offB, size);
  const image = (data: Int32Array) => ({ data, width: s.cols, height: s.rows }) as unknown as Parameters<typeof ssimJs>[0];
  return ssimJs(image(s.first), image(s.second), {
    ssim: 'weber',
    windowSize: 7,
    k1: 0.01 * range,
    k2: 0.03 * range * SAMPLE_COV,
    bitDepth: 8,
    downsample: false,
  }).mssim;
}

/**
 * SSIM of two raw images (bytes 0–255, row-major) as the reference computes it: skimage
 * `structural_similarity(x, y, data_range=x.max()-x.min())` on the images scaled to [−1, 1].
 */
export function imageSsim(x: Uint8Array, y: Uint8Array, rows = 28, cols = 28): number {
  if (x.length !== rows * cols || y.length !== rows * cols) {
    throw new UserError(`imageSsim: both images must have ${rows}×${cols} pixels, got ${x.length} and ${y.length}`);
  }
  if (rows < 7 || cols < 7) throw new UserError(`imageSsim: images must be at least 7×7 (the SSIM window), got ${rows}×${cols}`);
  return ssimAt(x, 0, y, 0, new SsimScratch(rows, cols));
}

/** All 45 unordered pairs (a < b) of the 10 classes. */
export function allClassPairs(): [number, number][] {
  const pairs: [number, number][] = [];
  for (let a = 0; a < N_CLASSES; a++) for (let b = a + 1; b < N_CLASSES; b++) pairs.push([a, b]);
  return pairs;
}

/**
 * Score class pairs by mean cross-class SSIM and sort them, most dissimilar (easiest) first.
 * Deterministic: each pair (a, b), a < b, has its own seeded stream, so a pair's score does not
 * depend on which other pairs are computed.
 */
export function rankPairsBySsim(data: { train: ImageSet }, options: SsimOptions = {}): SsimRow[] {
  const samples = options.samplesPerPair ?? SSIM_DEFAULTS.samplesPerPair;
  const seed = options.seed ?? SSIM_DEFAULTS.seed;
  const perClass = options.imagesPerClass ?? SSIM_DEFAULTS.imagesPerClass;
  if (!Number.isInteger(samples) || samples < 1) throw new UserError(`SSIM samples per pair must be a positive integer, got ${samples}`);
  if (!Number.isInteger(perClass) || perClass < 1) throw new UserError(`SSIM images per class must be a positive integer, got ${perClass}`);
  const { train } = data;
  const size = train.rows * train.cols;

  // The first `perClass` training images of each class (dataset order), as row offsets.
  const firstRows: number[][] = Array.from({ length: N_CLASSES }, () => []);
  for (let i = 0; i < train.n; i++) {
    const rows = firstRows[train.labels[i]];
    if (rows && rows.length < perClass) rows.push(i * size);
  }
  const scratch = new SsimScratch(train.rows, train.cols);
  const pairs = (options.pairs ?? allClassPairs()).map(([p, q]) => (p < q ? [p, q] : [q, p]) as [number, number]);
  const rows = pairs.map(([a, b]): SsimRow => {
    if (a === b || !firstRows[a] || !firstRows[b]) throw new UserError(`SSIM: bad class pair ${a}v${b}`);
    const A = firstRows[a];
    const B = firstRows[b];
    if (A.length === 0 || B.length === 0) throw new UserError(`SSIM: no training images of class ${A.length === 0 ? a : b}`);
    // SSIM is not symmetric here (data_range comes from the first image), so the reference computes
    // each direction with its own 10,000 draws and averages the two.
    let mean = 0;
    let m2 = 0;
    let count = 0;
    const direction = (first: number[], second: number[], stream: number): number => {
      const rng = new Rng(stream);
      let sum = 0;
      for (let s = 0; s < samples; s++) {
        const x = ssimAt(train.pixels, first[rng.int(first.length)], train.pixels, second[rng.int(second.length)], scratch);
        sum += x;
        // Welford's running mean/variance over both directions: numerically stable.
        count++;
        const d = x - mean;
        mean += d / count;
        m2 += d * (x - mean);
      }
      return sum / samples;
    };
    const ab = direction(A, B, deriveSeed(seed, 'ssim-pair', a, b));
    const ba = direction(B, A, deriveSeed(seed, 'ssim-pair', b, a));
    const both = (ab + ba) / 2;
    return { a, b, ssim: both, distance: 1 - both, sd: count > 1 ? Math.sqrt(m2 / (count - 1)) : 0, ab, ba };
  });
  return sortRanking(rows);
}

/** The most dissimilar pair (easy task) and the most similar pair (hard task) of a ranking. */
export function pickAutoPairs(ranking: SsimRow[] | SsimRanking): { easy: SsimRow; hard: SsimRow } {
  const rows = sortRanking(Array.isArray(ranking) ? ranking : ranking.rows);
  if (rows.length < 2) throw new UserError(`an SSIM ranking needs at least two pairs to pick easy and hard tasks, got ${rows.length}`);
  return { easy: rows[0], hard: rows[rows.length - 1] };
}

/** The ranking with its parameters, as written to data/ssim-<dataset>.json and a run's ssim.json. */
export function makeRanking(dataset: DatasetName, rows: SsimRow[], options: SsimOptions = {}): SsimRanking {
  return {
    dataset,
    samplesPerPair: options.samplesPerPair ?? SSIM_DEFAULTS.samplesPerPair,
    seed: options.seed ?? SSIM_DEFAULTS.seed,
    imagesPerClass: options.imagesPerClass ?? SSIM_DEFAULTS.imagesPerClass,
    method: SSIM_METHOD,
    rows: sortRanking(rows),
  };
}

/** The package root (the folder with weightscope's package.json), found from this file's location. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 6; up++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (pkg.name === 'weightscope') return dir;
    } catch {
      /* not here: go up */
    }
    dir = dirname(dir);
  }
  throw new Error('weightscope package root not found above ' + fileURLToPath(import.meta.url));
}

/** Path of the embedded precomputed ranking of a dataset (`<root>/data/ssim-<dataset>.json`). */
export function ssimRankingPath(dataset: DatasetName): string {
  return join(packageRoot(), 'data', `ssim-${dataset}.json`);
}

/** The precomputed default ranking shipped with the package (see precompute-ssim.ts). */
export function loadSsimRanking(dataset: DatasetName | string): SsimRanking {
  const name = checkDatasetName(dataset);
  const path = ssimRankingPath(name);
  let parsed: SsimRanking;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UserError(`cannot read the embedded SSIM ranking ${path} (${(err as Error).message}); regenerate it with node dist/src/data/precompute-ssim.js`);
  }
  const ok =
    parsed &&
    parsed.dataset === name &&
    Array.isArray(parsed.rows) &&
    parsed.rows.length === 45 &&
    parsed.rows.every((r) => [r.a, r.b, r.ssim, r.distance].every((v) => typeof v === 'number' && Number.isFinite(v)));
  if (!ok) throw new UserError(`${path}: not a valid SSIM ranking of ${name} (expected 45 rows of {a, b, ssim, distance})`);
  return { ...parsed, rows: sortRanking(parsed.rows) };
}
