/**
 * PNG pictures in and out, with `pngjs`. Decoding checks the size a file declares (its IHDR
 * header) before pngjs allocates anything: PNGs come from strangers too.
 */
import { PNG } from 'pngjs';
import { UserError } from '../core/errors.js';
import { readInputFile } from '../core/io.js';
import { pictureBytes, type RgbImage } from './picture.js';

/** Largest side a PNG may declare (a 4096² RGBA decode is 64 MiB). */
export const PNG_MAX_SIDE = 4096;

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Width and height from the IHDR chunk, checked, without decoding. */
export function pngSize(bytes: Uint8Array, what = 'PNG'): { width: number; height: number } {
  if (bytes.length < 24 || SIGNATURE.some((b, k) => bytes[k] !== b)) throw new UserError(`${what} is not a PNG file (no PNG signature)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = String.fromCharCode(bytes[12], bytes[13], bytes[14], bytes[15]);
  if (type !== 'IHDR') throw new UserError(`${what}: corrupt PNG (first chunk is '${type}', not IHDR)`);
  const width = view.getUint32(16), height = view.getUint32(20);
  if (width < 1 || height < 1 || width > PNG_MAX_SIDE || height > PNG_MAX_SIDE) {
    throw new UserError(`${what}: PNG declares ${width}×${height} pixels (sides from 1 to ${PNG_MAX_SIDE})`);
  }
  return { width, height };
}

/** Decode PNG bytes to an RGB picture (alpha dropped; 16-bit and palette images as pngjs converts them to 8-bit). */
export function decodePng(bytes: Uint8Array, what = 'PNG'): RgbImage {
  const { width, height } = pngSize(bytes, what);
  let png;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (err) {
    throw new UserError(`${what}: corrupt PNG (${(err as Error).message.split('\n')[0]})`);
  }
  if (png.width !== width || png.height !== height) throw new UserError(`${what}: corrupt PNG (decoded size differs from its header)`);
  const P = width * height;
  const data = new Float32Array(P * 3);
  for (let p = 0; p < P; p++) {
    data[3 * p] = png.data[4 * p] / 255;
    data[3 * p + 1] = png.data[4 * p + 1] / 255;
    data[3 * p + 2] = png.data[4 * p + 2] / 255;
  }
  return { width, height, data };
}

/** Read a PNG file (regular files only; errors name the file). */
export function readPng(path: string): RgbImage {
  return decodePng(readInputFile(path, 'PNG file'), path);
}

/** Encode a picture as an 8-bit RGB PNG (bytes round(255·v)); deterministic. */
export function encodePng(img: RgbImage): Uint8Array {
  const png = new PNG({ width: img.width, height: img.height });
  const bytes = pictureBytes(img);
  const P = img.width * img.height;
  for (let p = 0; p < P; p++) {
    png.data[4 * p] = bytes[3 * p];
    png.data[4 * p + 1] = bytes[3 * p + 1];
    png.data[4 * p + 2] = bytes[3 * p + 2];
    png.data[4 * p + 3] = 255;
  }
  return new Uint8Array(PNG.sync.write(png, { colorType: 2, inputColorType: 6 }));
}

/** A `data:image/png;base64,…` URL of a picture, for a self-contained report. */
export function pngDataUrl(img: RgbImage): string {
  return `data:image/png;base64,${Buffer.from(encodePng(img)).toString('base64')}`;
}
