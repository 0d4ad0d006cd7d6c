/**
 * The inputs src/model works on. `Split` is the structural part of src/data's split that the model
 * code needs (so a bare {pixels, labels, n} works too, e.g. in a worker); the input scaling itself
 * is src/data's (one definition of pm1/unit).
 */
import { inputAffine, scaleInputs, type InputScaling } from '../data/tasks.js';

export type { InputScaling };

/** A set of images of a binary task: `pixels` is n×784 raw bytes (0–255), `labels` 0 = first class, 1 = second. */
export interface Split {
  pixels: Uint8Array;
  labels: Uint8Array;
  n: number;
}

/** x = scale·p + offset for each scaling (the affine form the evaluator folds into biases). */
export function scalingOf(inputs: InputScaling): { scale: number; offset: number } {
  return inputAffine(inputs);
}

/** The scaled inputs of a split as one row-major n×d Float32Array. */
export function splitInputs(split: Split, inputs: InputScaling): Float32Array {
  return scaleInputs(split.pixels, inputs);
}

/** Pixels per image of a split (784 for MNIST). */
export function inputSizeOf(split: Split): number {
  return split.n > 0 ? split.pixels.length / split.n : 0;
}
