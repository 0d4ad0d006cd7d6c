/** Test helpers: write small IDX files (from slices of the real data) into temp folders. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export function tempDir(prefix = 'ws-data-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Encode unsigned bytes as an IDX file: magic (0, 0, 0x08, ndim), big-endian dims, data. */
export function encodeIdx(dims: number[], data: Uint8Array, type = 0x08): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  header[2] = type;
  header[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}

/** Write an IDX folder with the four standard names holding the given images and labels. */
export function writeIdxDir(
  dir: string,
  train: { pixels: Uint8Array; labels: Uint8Array },
  test: { pixels: Uint8Array; labels: Uint8Array },
  gz = false,
): void {
  const put = (name: string, bytes: Uint8Array) =>
    writeFileSync(join(dir, gz ? `${name}.gz` : name), gz ? gzipSync(bytes, { level: 1 }) : bytes);
  put('train-images-idx3-ubyte', encodeIdx([train.labels.length, 28, 28], train.pixels));
  put('train-labels-idx1-ubyte', encodeIdx([train.labels.length], train.labels));
  put('t10k-images-idx3-ubyte', encodeIdx([test.labels.length, 28, 28], test.pixels));
  put('t10k-labels-idx1-ubyte', encodeIdx([test.labels.length], test.labels));
}

/** Count of each label 0–9. */
export function classCounts(labels: Uint8Array): number[] {
  const c = new Array(10).fill(0);
  for (const l of labels) c[l]++;
  return c;
}
