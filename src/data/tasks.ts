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

/**
 * The one definition of input scaling, as the affine map x = scale·p + offset of a pixel byte p:
 * `pm1` → p·2/255 − 1 ∈ [−1, 1] (the reference's Normalize(0.5, 0.5)), `unit` → p/255 ∈ [0, 1].
 * The tables below and the evaluator's folded form (src/model/split.ts scalingOf) both come from it.
 */
export function inputAffine(inputs: InputScaling): { scale: number; offset: number } {
  return checkInputScaling(inputs) === 'pm1' ? { scale: 2 / 255, offset: -1 } : { scale: 1 / 255, offset: 0 };
}

const scaleTable = (inputs: InputScaling): Float32Array => {
  const { scale, offset } = inputAffine(inputs);
  return Float32Array.from({ length: 256 }, (_, p) => scale * p + offset);
};
const SCALE_TABLES: Record<InputScaling, Float32Array> = { pm1: scaleTable('pm1'), unit: scaleTable('unit') };

/** Raw bytes → network inputs: `pm1` → p/255·2−1 ∈ [−1, 1], `unit` → p/255 ∈ [0, 1]. */
export function scaleInputs(pixels: Uint8Array, inputs: InputScaling): Float32Array {
  const table = SCALE_TABLES[checkInputScaling(inputs)];
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = table[pixels[i]];
  return out;
}

/** A stratified, seeded subset of at most `limit` images (keeps both classes in proportion, dataset order). */
export function limitSplit<S extends { pixels: Uint8Array; labels: Uint8Array; n: number; index?: Uint32Array }>(
  split: S,
  limit: number | undefined,
  seed: number,
): S {
  if (!limit || limit >= split.n) return split;
  const d = split.pixels.length / split.n;
  const byClass: number[][] = [[], []];
  for (let k = 0; k < split.n; k++) byClass[split.labels[k]].push(k);
  const rng = new Rng(seed);
  const chosen: number[] = [];
  for (const idx of byClass) {
    const take = Math.round((limit * idx.length) / split.n);
    chosen.push(...rng.shuffle(idx).slice(0, take));
  }
  chosen.sort((a, b) => a - b);
  const pixels = new Uint8Array(chosen.length * d);
  const labels = new Uint8Array(chosen.length);
  chosen.forEach((k, i) => {
    pixels.set(split.pixels.subarray(k * d, (k + 1) * d), i * d);
    labels[i] = split.labels[k];
  });
  const index = split.index ? Uint32Array.from(chosen, (k) => split.index![k]) : undefined;
  return { ...split, pixels, labels, n: chosen.length, ...(index ? { index } : {}) };
}

export interface TaskSplitOptions {
  inputs: InputScaling;
  /** The run's base seed: the validation draw and the --train-limit / --test-limit samples derive from it. */
  seed: number;
  /** Hold out this fraction of the training images for validation (0 = none). */
  validationFraction: number;
  trainLimit?: number;
  testLimit?: number;
}

/**
 * The splits of a task as a study uses them, defined once: the task a-vs-b with its validation
 * draw, then the seeded stratified train/test limits. `reproduce`, `train` and `probe` all build
 * their data through this, so `probe --test-limit N --data-seed S` evaluates on the same images
 * as a run with `--test-limit N --seed S`.
 */
export function taskSplits(data: Dataset, dataset: DatasetName, pair: [number, number], o: TaskSplitOptions): { task: BinaryTask; train: Split; test: Split } {
  const name = taskName(dataset, pair[0], pair[1]);
  const task = makeBinaryTask(data, dataset, pair[0], pair[1], {
    inputs: o.inputs,
    validationFraction: o.validationFraction,
    seed: deriveSeed(o.seed, 'split', name),
  });
  return {
    task,
    train: limitSplit(task.train, o.trainLimit, deriveSeed(o.seed, 'train-limit', name)),
    test: limitSplit(task.test, o.testLimit, deriveSeed(o.seed, 'test-limit', name)),
  };
}
