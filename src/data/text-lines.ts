/**
 * Text-line images made from MNIST test digits, shaped and normalised the way PaddleOCR feeds its
 * recognition models (PP-OCR rec): dark ink on a light page, resized to height 48 keeping the aspect
 * ratio, scaled to [−1, 1] by (x/255 − 0.5)/0.5, three identical channels, padded on the right with
 * 0 up to the fixed width. Inputs for probing a model nobody here trained.
 */
import { Rng } from '../core/rng.js';
import { UserError } from '../core/errors.js';
import type { ImageSet } from './datasets.js';

export interface TextLineOptions {
  /** Digits per line (default 6). */
  digits?: number;
  /** Output height and width (default 48 × 320, PP-OCRv4 rec). */
  height?: number;
  width?: number;
  seed?: number;
}

export interface TextLines {
  /** [count, 3, height, width] row-major. */
  data: Float32Array;
  shape: [number, 3, number, number];
  /** The digits of each line, e.g. '407132'. */
  text: string[];
}

/** `count` lines of random MNIST test digits (drawn with the seed), each laid out side by side with a 4-pixel margin. */
export function mnistTextLines(images: ImageSet, count: number, options: TextLineOptions = {}): TextLines {
  const digits = options.digits ?? 6;
  const height = options.height ?? 48;
  const width = options.width ?? 320;
  if (!Number.isInteger(count) || count < 1) throw new UserError(`line count must be a positive integer, got ${count}`);
  if (!Number.isInteger(digits) || digits < 1) throw new UserError(`digits per line must be a positive integer, got ${digits}`);
  const rng = new Rng(options.seed ?? 1);
  const { rows, cols } = images;
  const margin = 4;
  const srcH = rows + 2 * margin;
  const srcW = digits * cols + 2 * margin;
  // PaddleOCR: resized width = ceil(h · ratio), at most the model's width
  const w = Math.min(width, Math.ceil((height * srcW) / srcH));
  const data = new Float32Array(count * 3 * height * width);
  const text: string[] = [];
  const page = new Float32Array(srcH * srcW);
  for (let line = 0; line < count; line++) {
    page.fill(255);
    let label = '';
    for (let d = 0; d < digits; d++) {
      const k = rng.int(images.n);
      label += images.labels[k];
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) page[(margin + r) * srcW + margin + d * cols + c] = 255 - images.pixels[k * rows * cols + r * cols + c];
      }
    }
    text.push(label);
    const base = line * 3 * height * width;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < w; x++) {
        const v = bilinear(page, srcH, srcW, ((y + 0.5) * srcH) / height - 0.5, ((x + 0.5) * srcW) / w - 0.5);
        const normalised = (v / 255 - 0.5) / 0.5;
        for (let ch = 0; ch < 3; ch++) data[base + (ch * height + y) * width + x] = normalised;
      }
    }
  }
  return { data, shape: [count, 3, height, width], text };
}

/** Bilinear sample at (y, x) in pixel-centre coordinates, edges clamped (as OpenCV's INTER_LINEAR). */
function bilinear(img: Float32Array, h: number, w: number, y: number, x: number): number {
  const cy = Math.min(Math.max(y, 0), h - 1);
  const cx = Math.min(Math.max(x, 0), w - 1);
  const y0 = Math.floor(cy);
  const x0 = Math.floor(cx);
  const y1 = Math.min(y0 + 1, h - 1);
  const x1 = Math.min(x0 + 1, w - 1);
  const fy = cy - y0;
  const fx = cx - x0;
  const top = img[y0 * w + x0] * (1 - fx) + img[y0 * w + x1] * fx;
  const bottom = img[y1 * w + x0] * (1 - fx) + img[y1 * w + x1] * fx;
  return top * (1 - fy) + bottom * fy;
}
