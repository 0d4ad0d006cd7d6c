/**
 * RGB pictures (what a CPPN draws) and how alike two of them are: SSIM with `ssim.js`, the fraction
 * of pixels that changed, and left–right symmetry. Pure functions, browser-safe.
 *
 * SSIM of colour pictures is skimage's `structural_similarity(a, b, channel_axis=2, data_range=255)`
 * on the pictures as 8-bit bytes (what is shown and what a PNG stores): SSIM of each channel
 * (7×7 uniform window over the valid region, sample covariance, K1 = 0.01, K2 = 0.03), averaged over
 * R, G, B. ssim.js computes each channel with its `weber` algorithm, driven as src/data/ssim.ts
 * explains: a grey RGBA image whose three channels hold the channel's bytes, C2 × 48/49 for the
 * sample covariance, no downsampling.
 */
import { ssim as ssimJs } from 'ssim.js';
import { UserError } from '../core/errors.js';

/** An RGB picture: `data[(i·width + j)·3 + c]`, values in [0, 1]; row i, column j. */
export interface RgbImage {
  width: number;
  height: number;
  data: Float32Array;
}

/** The 8-bit bytes of a picture (round(255·v), v clipped to [0, 1]), 3 per pixel. */
export function pictureBytes(img: RgbImage): Uint8Array {
  const out = new Uint8Array(img.data.length);
  for (let k = 0; k < out.length; k++) {
    const v = img.data[k];
    out[k] = v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
  }
  return out;
}

/** A picture from 8-bit RGB bytes (3 per pixel). */
export function pictureFromBytes(bytes: Uint8Array, width: number, height: number): RgbImage {
  if (bytes.length !== width * height * 3) throw new UserError(`picture: ${width}×${height} RGB needs ${width * height * 3} bytes, got ${bytes.length}`);
  const data = new Float32Array(bytes.length);
  for (let k = 0; k < bytes.length; k++) data[k] = bytes[k] / 255;
  return { width, height, data };
}

function checkSameSize(a: RgbImage, b: RgbImage, what: string): void {
  if (a.width !== b.width || a.height !== b.height || a.data.length !== b.data.length || a.data.length !== a.width * a.height * 3) {
    throw new UserError(`${what}: pictures must have the same size, got ${a.width}×${a.height} and ${b.width}×${b.height}`);
  }
}

const SAMPLE_COV = Math.sqrt(48 / 49);

/** SSIM of one channel of two byte pictures. */
function channelSsim(a: Uint8Array, b: Uint8Array, channel: number, width: number, height: number, first: Int32Array, second: Int32Array): number {
  const P = width * height;
  for (let p = 0; p < P; p++) {
    const u = a[3 * p + channel], v = b[3 * p + channel];
    first[4 * p] = first[4 * p + 1] = first[4 * p + 2] = u;
    second[4 * p] = second[4 * p + 1] = second[4 * p + 2] = v;
    first[4 * p + 3] = second[4 * p + 3] = 255;
  }
  const image = (data: Int32Array) => ({ data, width, height }) as unknown as Parameters<typeof ssimJs>[0];
  return ssimJs(image(first), image(second), { ssim: 'weber', windowSize: 7, k1: 0.01, k2: 0.03 * SAMPLE_COV, bitDepth: 8, downsample: false }).mssim;
}

/** SSIM of two 8-bit RGB byte pictures (mean over the three channels). */
export function ssimOfBytes(a: Uint8Array, b: Uint8Array, width: number, height: number): number {
  if (a.length !== width * height * 3 || b.length !== a.length) throw new UserError(`SSIM: both pictures must be ${width}×${height} RGB`);
  if (width < 7 || height < 7) throw new UserError(`SSIM: pictures must be at least 7×7 (the SSIM window), got ${width}×${height}`);
  const first = new Int32Array(width * height * 4);
  const second = new Int32Array(width * height * 4);
  let sum = 0;
  for (let c = 0; c < 3; c++) sum += channelSsim(a, b, c, width, height, first, second);
  return sum / 3;
}

/** SSIM of two RGB pictures as shown (8-bit): 1 for the same picture, ≈ 0 for unrelated ones. */
export function pictureSsim(a: RgbImage, b: RgbImage): number {
  checkSameSize(a, b, 'SSIM');
  return ssimOfBytes(pictureBytes(a), pictureBytes(b), a.width, a.height);
}

/** RGB pixel values (3 per pixel, any typed array) mirrored left–right: column j ↔ width − 1 − j. */
export function mirrorValues<T extends Float32Array | Uint8Array>(values: T, width: number, height: number): T {
  const out = new (values.constructor as new (n: number) => T)(values.length);
  for (let i = 0; i < height; i++) {
    for (let j = 0; j < width; j++) {
      const from = (i * width + (width - 1 - j)) * 3, to = (i * width + j) * 3;
      out[to] = values[from];
      out[to + 1] = values[from + 1];
      out[to + 2] = values[from + 2];
    }
  }
  return out;
}

/** The picture mirrored left–right (column j ↔ width − 1 − j). */
export function mirrorLeftRight(img: RgbImage): RgbImage {
  return { width: img.width, height: img.height, data: mirrorValues(img.data, img.width, img.height) };
}

/** Left–right symmetry: SSIM of the picture and its mirror image (1 = symmetric as shown). */
export function mirrorSsim(img: RgbImage): number {
  return pictureSsim(img, mirrorLeftRight(img));
}

/**
 * Fraction of pixels whose colour moved by more than `threshold` in some channel (values in
 * [0, 1]; default 0.1, a tenth of the range: a visible change). How local a change is.
 */
export function changedFraction(a: RgbImage, b: RgbImage, threshold = 0.1): number {
  checkSameSize(a, b, 'changed fraction');
  const P = a.width * a.height;
  let changed = 0;
  for (let p = 0; p < P; p++) {
    const k = 3 * p;
    if (Math.abs(a.data[k] - b.data[k]) > threshold || Math.abs(a.data[k + 1] - b.data[k + 1]) > threshold || Math.abs(a.data[k + 2] - b.data[k + 2]) > threshold) changed++;
  }
  return changed / P;
}

/** Mean squared error over all pixels and channels (values in [0, 1]). */
export function pictureMse(a: RgbImage, b: RgbImage): number {
  checkSameSize(a, b, 'MSE');
  let s = 0;
  for (let k = 0; k < a.data.length; k++) {
    const d = a.data[k] - b.data[k];
    s += d * d;
  }
  return s / a.data.length;
}
