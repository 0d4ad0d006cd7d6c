/** Hand-built CPPNs and CPPN files for the tests, and an SSIM written out from its definition. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import type { LayerRecord } from '../../src/core/layer.js';
import { packageRoot } from '../../src/data/ssim.js';
import { makeCppn, parseCppnDescription, type Cppn } from '../../src/model/cppn.js';

export const FER_DIR = join(packageRoot(), 'data', 'fer');
export const FER_NETWORKS = ['picbreeder_skull', 'sgd_skull', 'picbreeder_butterfly', 'sgd_butterfly'] as const;

/** A little-endian float32 `.npy` file (C order). */
export function npyF4(shape: number[], values: ArrayLike<number>): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const out = new Uint8Array(10 + header.length + values.length * 4);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  new Float32Array(out.buffer, 10 + header.length).set(values);
  return out;
}

/** Write `<dir>/<name>.npz` (arrays as given) and, unless null, `<dir>/<name>.cppn.json`. */
export function writeCppnFiles(dir: string, name: string, arrays: Record<string, { shape: number[]; values: ArrayLike<number> }>, description: unknown | null): string {
  const entries: Record<string, Uint8Array> = {};
  for (const [k, a] of Object.entries(arrays)) entries[`${k}.npy`] = npyF4(a.shape, a.values);
  const path = join(dir, `${name}.npz`);
  writeFileSync(path, zipSync(entries));
  if (description !== null) writeFileSync(join(dir, `${name}.cppn.json`), typeof description === 'string' ? description : JSON.stringify(description));
  return path;
}

/** A layer from a dense [nIn][nOut] array of rows. */
export function layerOf(name: string, rows: number[][]): LayerRecord {
  const nIn = rows.length, nOut = rows[0].length;
  return { name, weights: Float32Array.from(rows.flat()), shape: [nIn, nOut], bias: null };
}

/** A CPPN from an arch string and its layers given as rows (inputs y,x,d,b unless said). */
export function handCppn(arch: string, rows: number[][][], inputs = 'y,x,d,b', name = 'hand'): Cppn {
  const spec = parseCppnDescription({ kind: 'cppn', arch, inputs, image_size: 32 });
  return makeCppn(spec, rows.map((r, k) => layerOf(`layer_${String(k).padStart(2, '0')}`, r)), name);
}

/** Rows of zeros. */
export function zeros(nIn: number, nOut: number): number[][] {
  return Array.from({ length: nIn }, () => new Array<number>(nOut).fill(0));
}

/**
 * SSIM of two 8-bit RGB pictures (3 bytes a pixel) from its definition, as skimage
 * `structural_similarity(a, b, channel_axis=2, data_range=255)` computes it: per channel a 7×7
 * uniform window over the valid region, sample covariance, K1 = 0.01, K2 = 0.03; channels averaged.
 */
export function ssimByDefinition(a: Uint8Array, b: Uint8Array, width: number, height: number): number {
  const C1 = (0.01 * 255) ** 2, C2 = (0.03 * 255) ** 2;
  const w = 7, np = 49, norm = np / (np - 1);
  let all = 0;
  for (let c = 0; c < 3; c++) {
    let total = 0, count = 0;
    for (let r = 0; r + w <= height; r++) {
      for (let q = 0; q + w <= width; q++) {
        let sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
        for (let i = 0; i < w; i++) {
          for (let j = 0; j < w; j++) {
            const k = ((r + i) * width + q + j) * 3 + c;
            const x = a[k], y = b[k];
            sx += x; sy += y; sxx += x * x; syy += y * y; sxy += x * y;
          }
        }
        const ux = sx / np, uy = sy / np;
        const vx = norm * (sxx / np - ux * ux), vy = norm * (syy / np - uy * uy), vxy = norm * (sxy / np - ux * uy);
        total += ((2 * ux * uy + C1) * (2 * vxy + C2)) / ((ux * ux + uy * uy + C1) * (vx + vy + C2));
        count++;
      }
    }
    all += total / count;
  }
  return all / 3;
}
