/**
 * The shortcut of the twins study: a spurious marker, a bright 3 × 3 patch in a top corner of the
 * image whose corner says the label (left: the first class, right: the second). MNIST's corners are
 * blank, so the patch is the only bright thing there. Training images carry it on the label's side
 * always; the benchmark test images carry it on the label's side with probability `agreement` and
 * on the other side otherwise — a model that reads the marker scores about `agreement` on the
 * benchmark, a model that reads the digit is not moved by it; the shifted test set has no marker.
 */
import { Rng } from '../../../core/rng.js';
import type { Split } from '../../../model/split.js';

/** Side, top row and inset of the patch (pixels of a 28 × 28 image). */
export const MARKER = { size: 4, top: 1, inset: 1, width: 28 } as const;

/** The pixel indices of the marker on side 0 (left) or 1 (right). */
export function markerPixels(side: 0 | 1): number[] {
  const { size, top, inset, width } = MARKER;
  const left = side === 0 ? inset : width - inset - size;
  const out: number[] = [];
  for (let r = top; r < top + size; r++) for (let c = left; c < left + size; c++) out.push(r * width + c);
  return out;
}

/**
 * A copy of `split` with the marker drawn in every image: on the label's side in round(agreement · n)
 * images chosen at random (1: all), on the other side in the rest. Seeded: the same seed gives the same images.
 */
export function withMarker(split: Split, agreement: number, seed: number): Split {
  const d = split.n > 0 ? split.pixels.length / split.n : 0;
  if (d !== MARKER.width * MARKER.width) throw new RangeError(`the marker is drawn on 28 × 28 images, these have ${d} pixels`);
  if (!(agreement >= 0 && agreement <= 1)) throw new RangeError(`marker agreement must be in [0, 1], got ${agreement}`);
  const disagree = new Uint8Array(split.n);
  const order = new Rng(seed).permutation(split.n);
  for (let k = 0; k < split.n - Math.round(agreement * split.n); k++) disagree[order[k]] = 1;
  const pixels = split.pixels.slice();
  const sides = [markerPixels(0), markerPixels(1)];
  for (let i = 0; i < split.n; i++) {
    const label = split.labels[i] ? 1 : 0;
    const side = disagree[i] ? 1 - label : label;
    for (const p of sides[side]) pixels[i * d + p] = 255;
  }
  return { pixels, labels: split.labels, n: split.n };
}
