/**
 * Reader for the IDX format of MNIST and Fashion-MNIST (LeCun et al.): a 4-byte magic
 * (0, 0, type, ndim), ndim big-endian uint32 dimensions, then the values row-major.
 * Only the unsigned-byte type (0x08) is supported: that is what both datasets ship.
 * Files ending in `.gz` (or starting with the gzip magic) are gunzipped transparently.
 */
import { gunzipSync } from 'node:zlib';
import { UserError } from '../core/errors.js';
import { readInputFile } from '../core/io.js';
import { bound, boundMessage } from '../core/bounds.js';

export interface IdxArray {
  dims: number[];
  /** A view on the file's bytes, row-major, length = product of dims. */
  data: Uint8Array;
}

const IDX_TYPES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

/**
 * Read an IDX file (path, or its bytes with an optional name for error messages).
 * Throws a one-line UserError naming the file when it is missing, not IDX, not unsigned
 * bytes, or shorter/longer than its header says.
 */
export function readIdx(pathOrBytes: string | Uint8Array, name?: string): IdxArray {
  const label = name ?? (typeof pathOrBytes === 'string' ? pathOrBytes : 'IDX data');
  let bytes: Uint8Array;
  if (typeof pathOrBytes === 'string') {
    bytes = readInputFile(pathOrBytes, 'IDX file'); // regular files only: a pipe or device would never end
  } else {
    bytes = pathOrBytes;
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    const max = bound('gunzipBytes');
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: max }); // a gzip bomb stops at the bound, never fills memory
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new UserError(`${label}: ${boundMessage('gunzipBytes', max + 1, 'inflated size (at least)')}`);
      throw new UserError(`${label}: gzip data is corrupt or truncated (${(err as Error).message})`);
    }
  }
  return parseIdx(bytes, label);
}

function parseIdx(bytes: Uint8Array, label: string): IdxArray {
  if (bytes.length < 4) throw new UserError(`${label}: truncated IDX file (${bytes.length} bytes, no header)`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new UserError(`${label}: not an IDX file (magic starts with 0x${hex(bytes[0])}${hex(bytes[1])}, expected 0x0000)`);
  }
  const type = bytes[2];
  const ndim = bytes[3];
  if (type !== 0x08) {
    const known = IDX_TYPES[type];
    throw new UserError(
      known
        ? `${label}: unsupported IDX value type ${known} (0x${hex(type)}); only unsigned bytes (0x08) are supported`
        : `${label}: not an IDX file (unknown value type 0x${hex(type)})`,
    );
  }
  if (ndim < 1) throw new UserError(`${label}: IDX header has 0 dimensions`);
  const headerLength = 4 + 4 * ndim;
  if (bytes.length < headerLength) {
    throw new UserError(`${label}: truncated IDX file (header needs ${headerLength} bytes, file has ${bytes.length})`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let d = 0; d < ndim; d++) {
    const size = view.getUint32(4 + 4 * d, false);
    dims.push(size);
    count *= size;
  }
  const have = bytes.length - headerLength;
  if (have < count) {
    throw new UserError(
      `${label}: truncated IDX file (dims ${dims.join('×')} need ${count} data bytes, file has ${have})`,
    );
  }
  if (have > count) {
    throw new UserError(
      `${label}: corrupt IDX file (dims ${dims.join('×')} need ${count} data bytes, file has ${have - count} extra)`,
    );
  }
  // A plain Uint8Array view (not a Buffer) on the bytes: no copy of the 47 MB training images.
  return { dims, data: new Uint8Array(bytes.buffer, bytes.byteOffset + headerLength, count) };
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}
