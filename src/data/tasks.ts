/**
 * Binary tasks (class a vs class b) cut from a dataset, and input scaling.
 *
 * Splits keep the raw pixel bytes: evaluation code uses their sparsity (most MNIST pixels are
 * 0), and scaling is a cheap table lookup done where floats are needed (`scaleInputs`).
 */
import { Rng, deriveSeed } from '../core/rng.js';
import { UserError } from '../core/errors.js';
import type { Dataset, ImageSet } from './datasets.js';
import { checkClassPair, taskName, type DatasetName } from './names.js';

/** Input scaling: `pm1` = p/255·2−1 ∈ [−1, 1] (the reference's Normalize(0.5, 0.5)); `unit` = p/255 ∈ [0, 1]. */
export const INPUT_SCALINGS = ['pm1', 'unit'] as const;
export type InputScaling = (typeof INPUT_SCALINGS)[number];

export interface Split {
  /** n × 784 raw pixel bytes 0–255. */
  pixels: Uint8Array;
  /** 0 for class a, 1 for class b. */
  labels: Uint8Array;
  n: number;
  /** Row of each image in the dataset's train (train/validation) or test set. */
  index: Uint32Array;
}

export interface BinaryTask {
  /** `mnist-0v7`. */
  name: string;
  dataset: DatasetName;
  classes: [number, number];
  inputs: InputScaling;
  train: Split;
  validation: Split | null;
  test: Split;
}

export interface BinaryTaskOptions {
  inputs?: InputScaling;
  /** Fraction of each class's training images held out for validation (0 = none). */
  validationFraction?: number;
  /** Seed of the validation draw (only used when validationFraction > 0). */
  seed?: number;
}

export function checkInputScaling(name: string): InputScaling {
  if (!(INPUT_SCALINGS as readonly string[]).includes(name)) {
    throw new UserError(`unknown input scaling '${name}' (use ${INPUT_SCALINGS.join(' or ')})`);
  }
  return name as InputScaling;
}

/**
 * The task a-vs-b: every training image of the two classes (minus a stratified, seeded
 * validation fraction) and every test image of the two classes, labels 0 (a) / 1 (b),
 * images in their dataset order.
 */
export function makeBinaryTask(
  data: Dataset,
  dataset: DatasetName,
  a: number,
  b: number,
  options: BinaryTaskOptions = {},
): BinaryTask {
  const name = taskName(dataset, a, b);
  checkClassPair(a, b, `task ${name}`);
  const inputs = checkInputScaling(options.inputs ?? 'pm1');
  const fraction = options.validationFraction ?? 0;
  if (!(fraction >= 0 && fraction < 1)) {
    throw new UserError(`task ${name}: validation fraction must be in [0, 1), got ${fraction}`);
  }
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new UserError(`task ${name}: seed must be an integer, got ${seed}`);

  const trainRows = rowsOfClasses(data.train, a, b, name, 'training');
  const testRows = rowsOfClasses(data.test, a, b, name, 'test');

  let validation: Split | null = null;
  let kept = trainRows;
  if (fraction > 0) {
    // Stratified: each class sends round(fraction · n_class) of its images, drawn by a seeded permutation.
    const held = new Uint8Array(trainRows.length);
    for (const cls of [a, b]) {
      const positions = trainRows.flatMap((row, pos) => (data.train.labels[row] === cls ? [pos] : []));
      const perm = new Rng(deriveSeed(seed, 'validation', name, cls)).permutation(positions.length);
      const nHeld = Math.round(fraction * positions.length);
      for (let r = 0; r < nHeld; r++) held[positions[perm[r]]] = 1;
    }
    kept = trainRows.filter((_, pos) => !held[pos]);
    validation = makeSplit(data.train, trainRows.filter((_, pos) => held[pos]), b);
  }
  return {
    name,
    dataset,
    classes: [a, b],
    inputs,
    train: makeSplit(data.train, kept, b),
    validation,
    test: makeSplit(data.test, testRows, b),
  };
}

function rowsOfClasses(set: ImageSet, a: number, b: number, name: string, which: string): number[] {
  const rows: number[] = [];
  let na = 0;
  let nb = 0;
  for (let i = 0; i < set.n; i++) {
    const l = set.labels[i];
    if (l === a) na++;
    else if (l === b) nb++;
    else continue;
    rows.push(i);
  }
  if (na === 0 || nb === 0) {
    throw new UserError(`task ${name}: the ${which} set has no images of class ${na === 0 ? a : b}`);
  }
  return rows;
}

function makeSplit(set: ImageSet, rows: number[], b: number): Split {
  const size = set.rows * set.cols;
  const n = rows.length;
  const pixels = new Uint8Array(n * size);
  const labels = new Uint8Array(n);
  const index = Uint32Array.from(rows);
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    pixels.set(set.pixels.subarray(r * size, (r + 1) * size), i * size);
    labels[i] = set.labels[r] === b ? 1 : 0;
  }
  return { pixels, labels, n, index };
}

const SCALE_TABLES: Record<InputScaling, Float32Array> = {
  pm1: Float32Array.from({ length: 256 }, (_, p) => (p / 255) * 2 - 1),
  unit: Float32Array.from({ length: 256 }, (_, p) => p / 255),
};

/** Raw bytes → network inputs: `pm1` → p/255·2−1 ∈ [−1, 1], `unit` → p/255 ∈ [0, 1]. */
export function scaleInputs(pixels: Uint8Array, inputs: InputScaling): Float32Array {
  const table = SCALE_TABLES[checkInputScaling(inputs)];
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = table[pixels[i]];
  return out;
}
