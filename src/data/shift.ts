/**
 * Distribution shifts of a test set of square grey images (MNIST, Fashion-MNIST): the test images
 * moved, noised or inverted, labels kept, so a model's accuracy under a shift the user chooses can
 * sit beside its accuracy on the benchmark (the perturbation fingerprint, docs/compare.md).
 *
 *   translate-N   every image moved N pixels to the right (N ≥ 1), the uncovered columns set to the
 *                 background value 0 and the right-most N columns dropped;
 *   noise-S       Gaussian noise of standard deviation S grey levels (0–255 scale) added to every
 *                 pixel, rounded to the nearest level and clipped to 0…255; seeded;
 *   invert        p → 255 − p (white digits on black become black on white).
 *
 * Pure functions of the split (and the seed): the input is never changed.
 */
import { UserError } from '../core/errors.js';
import { Rng, deriveSeed } from '../core/rng.js';

/** The images of a split as the shifts need them: n × d raw bytes and labels (src/data's and src/model's Split both fit). */
export interface ImageSplit {
  pixels: Uint8Array;
  labels: Uint8Array;
  n: number;
}

export type ShiftSpec = { kind: 'translate'; pixels: number } | { kind: 'noise'; sigma: number } | { kind: 'invert' };

/** The shifts a fingerprint runs unless told otherwise. */
export const DEFAULT_SHIFTS = ['translate-2', 'noise-64', 'invert'] as const;

export const SHIFT_HELP = 'translate-N (N pixels to the right), noise-S (Gaussian noise, S grey levels), invert';

/** Parse a shift name (`translate-2`, `noise-64`, `invert`); a UserError naming the forms otherwise. */
export function parseShift(name: string): ShiftSpec {
  if (name === 'invert') return { kind: 'invert' };
  let m = /^translate-(\d{1,4})$/.exec(name);
  if (m && Number(m[1]) >= 1) return { kind: 'translate', pixels: Number(m[1]) };
  m = /^noise-(\d{1,4}(?:\.\d+)?)$/.exec(name);
  if (m && Number(m[1]) > 0) return { kind: 'noise', sigma: Number(m[1]) };
  throw new UserError(`unknown distribution shift '${name}' (shifts: ${SHIFT_HELP})`);
}

/** The column name of a shift's accuracy: `shift_translate_2`, `shift_noise_64`, `shift_invert`. */
export function shiftColumn(name: string): string {
  parseShift(name);
  return `shift_${name.replace(/[^A-Za-z0-9]+/g, '_')}`;
}

/**
 * The split with shift `name` applied to every image. Noise draws from
 * `new Rng(deriveSeed(seed, 'shift', name))`, pixel by pixel in image order.
 */
export function shiftSplit<S extends ImageSplit>(split: S, name: string, seed = 1): S {
  const spec = parseShift(name);
  const { n } = split;
  const d = n > 0 ? split.pixels.length / n : 0;
  if (!Number.isInteger(d)) throw new UserError(`test set pixels (${split.pixels.length}) do not split into ${n} images`);
  const src = split.pixels;
  const out = new Uint8Array(src.length);
  if (spec.kind === 'invert') {
    for (let k = 0; k < src.length; k++) out[k] = 255 - src[k];
  } else if (spec.kind === 'noise') {
    const rng = new Rng(deriveSeed(seed, 'shift', name));
    for (let k = 0; k < src.length; k++) {
      const v = Math.round(src[k] + spec.sigma * rng.normal());
      out[k] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  } else {
    const side = Math.round(Math.sqrt(d));
    if (side * side !== d) throw new UserError(`translate-${spec.pixels} needs square images; these have ${d} pixels`);
    const s = Math.min(spec.pixels, side);
    for (let img = 0; img < n; img++) {
      const base = img * d;
      for (let r = 0; r < side; r++) {
        const row = base + r * side;
        // columns s … side−1 take columns 0 … side−1−s; columns 0 … s−1 stay 0 (background)
        out.set(src.subarray(row, row + side - s), row + s);
      }
    }
  }
  return { ...split, pixels: out };
}
