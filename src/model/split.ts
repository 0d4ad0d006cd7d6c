/**
 * The inputs src/model works on. `Split` is the structural type of src/data's split (declared here
 * so that the model module does not wait on, or pull in, the data loaders).
 */

/** A set of images of a binary task: `pixels` is n×784 raw bytes (0–255), `labels` 0 = first class, 1 = second. */
export interface Split {
  pixels: Uint8Array;
  labels: Uint8Array;
  n: number;
}

/** Input scaling: `pm1` x = p/255·2−1 (the reference, background −1) or `unit` x = p/255 (background 0). */
export type InputScaling = 'pm1' | 'unit';

/** x = scale·p + offset for each scaling. */
export function scalingOf(inputs: InputScaling): { scale: number; offset: number } {
  return inputs === 'pm1' ? { scale: 2 / 255, offset: -1 } : { scale: 1 / 255, offset: 0 };
}

/** The scaled inputs of a split as one row-major n×d Float32Array. */
export function scaleInputs(split: Split, inputs: InputScaling): Float32Array {
  const { scale, offset } = scalingOf(inputs);
  const out = new Float32Array(split.pixels.length);
  for (let i = 0; i < out.length; i++) out[i] = split.pixels[i] * scale + offset;
  return out;
}

/** Pixels per image of a split (784 for MNIST). */
export function inputSizeOf(split: Split): number {
  return split.n > 0 ? split.pixels.length / split.n : 0;
}
