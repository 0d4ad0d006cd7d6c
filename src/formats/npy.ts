/**
 * NumPy `.npy` arrays (format v1–v3): the one parser and writer of the project (the `.npy` MODEL
 * reader in tfjs.ts, the `.npz` reader, inputs and labels, `export --format npy` all use it).
 */
import { UserError } from '../core/errors.js';
import { DTYPE_BYTES, decodeValues } from './dtype.js';
import type { TensorDType } from './types.js';

const NPY_DTYPES: Record<string, TensorDType> = { '<f2': 'F16', '<f4': 'F32', '<f8': 'F64' };

export interface NpyLayout {
  shape: number[];
  dtype: TensorDType;
  fortranOrder: boolean;
  /** Byte range of the data within the bytes parsed. */
  dataStart: number;
  dataEnd: number;
}

interface NpyHeader {
  descr: string;
  shape: number[];
  fortranOrder: boolean;
  dataStart: number;
}

/** Magic, version and the header dictionary; sizes are checked by the callers against the bytes present. */
function readNpyHeader(bytes: Uint8Array): NpyHeader {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) throw new UserError('not a NumPy .npy file (bad magic bytes)');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new UserError('truncated .npy header');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else throw new UserError(`unsupported .npy format version ${major}`);
  if (headerStart + headerLen > bytes.length) throw new UserError('truncated .npy header');
  const header = new TextDecoder().decode(bytes.subarray(headerStart, headerStart + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new UserError('malformed .npy header');
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  if (shape.some((x) => !Number.isSafeInteger(x) || x < 0)) throw new UserError(`malformed .npy shape (${shapeText.trim()})`);
  return { descr, shape, fortranOrder: fortran === 'True', dataStart: headerStart + headerLen };
}

/** The data must fill the rest of the file exactly: never trust a declared size beyond the bytes present. */
function checkDataSize(bytes: Uint8Array, h: NpyHeader, itemBytes: number): number {
  const need = h.shape.reduce((a, b) => a * b, 1) * itemBytes;
  if (bytes.length - h.dataStart !== need) {
    const what = bytes.length - h.dataStart < need ? 'too short' : 'too long (bytes after the declared array)';
    throw new UserError(`.npy data ${what}: shape (${h.shape.join(', ')}) needs ${need} bytes, found ${bytes.length - h.dataStart}`);
  }
  return h.dataStart + need;
}

/** Check an .npy header of a float array and locate its data; throws a UserError naming the problem. */
export function parseNpyLayout(bytes: Uint8Array): NpyLayout {
  const h = readNpyHeader(bytes);
  const dtype = NPY_DTYPES[h.descr];
  if (dtype === undefined) throw new UserError(`.npy dtype '${h.descr}' not supported (little-endian float16 '<f2', float32 '<f4' or float64 '<f8' only)`);
  const dataEnd = checkDataSize(bytes, h, DTYPE_BYTES[dtype]);
  return { shape: h.shape, dtype, fortranOrder: h.fortranOrder, dataStart: h.dataStart, dataEnd };
}

/** Integer and boolean element readers: inputs and labels (token ids, classes) may be integers. */
const NPY_INTEGER_READERS: Record<string, [number, (v: DataView, o: number) => number]> = {
  '|u1': [1, (v, o) => v.getUint8(o)],
  '|i1': [1, (v, o) => v.getInt8(o)],
  '|b1': [1, (v, o) => v.getUint8(o)],
  '<i2': [2, (v, o) => v.getInt16(o, true)],
  '<u2': [2, (v, o) => v.getUint16(o, true)],
  '<i4': [4, (v, o) => v.getInt32(o, true)],
  '<u4': [4, (v, o) => v.getUint32(o, true)],
  '<i8': [8, (v, o) => Number(v.getBigInt64(o, true))],
  '<u8': [8, (v, o) => Number(v.getBigUint64(o, true))],
};

/** Every dtype parseNpyArray reads. */
export const NPY_ARRAY_DTYPES = [...Object.keys(NPY_DTYPES), ...Object.keys(NPY_INTEGER_READERS)];

/**
 * An array of any shape and any numeric dtype (inputs, labels) as row-major float32; `accept`
 * limits the dtypes (e.g. weights: floats only).
 */
export function parseNpyArray(bytes: Uint8Array, accept: string[] = NPY_ARRAY_DTYPES): { shape: number[]; data: Float32Array } {
  const h = readNpyHeader(bytes);
  if (!accept.includes(h.descr) || !NPY_ARRAY_DTYPES.includes(h.descr)) {
    throw new UserError(`.npy dtype '${h.descr}' not supported (${accept.join(', ')} only)`);
  }
  if (NPY_DTYPES[h.descr]) {
    const layout = parseNpyLayout(bytes);
    const values = npyValues(bytes, layout);
    return { shape: h.shape, data: values instanceof Float32Array ? values : Float32Array.from(values) };
  }
  const [item, read] = NPY_INTEGER_READERS[h.descr];
  checkDataSize(bytes, h, item);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const raw = new Float32Array(h.shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < raw.length; i++) raw[i] = read(view, h.dataStart + i * item);
  return { shape: h.shape, data: h.fortranOrder ? fortranToC(raw, h.shape) : raw };
}

/** The array's values in row-major (C) order, whatever order the file stores. */
export function npyValues(bytes: Uint8Array, layout: NpyLayout): Float32Array | Float64Array {
  const raw = decodeValues(layout.dtype, bytes.subarray(layout.dataStart, layout.dataEnd));
  return layout.fortranOrder ? fortranToC(raw, layout.shape) : raw;
}

/** Convert between column-major and row-major order of an n-D array (`toFortran` for the inverse). */
export function fortranToC<T extends Float32Array | Float64Array>(values: T, shape: number[], toFortran = false): T {
  if (shape.length < 2) return values;
  const out = values.slice() as T;
  const n = shape.length;
  const fStrides = new Array<number>(n);
  for (let d = 0, s = 1; d < n; d++) { fStrides[d] = s; s *= shape[d]; }
  const idx = new Array<number>(n).fill(0);
  for (let c = 0; c < values.length; c++) {
    let f = 0;
    for (let d = 0; d < n; d++) f += idx[d] * fStrides[d];
    if (toFortran) out[f] = values[c];
    else out[c] = values[f];
    for (let d = n - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** Parse .npy bytes holding a 2-D float array into row-major float32 (a weight matrix). */
export function parseNpyMatrix(bytes: Uint8Array): { rows: number; cols: number; data: Float32Array } {
  const layout = parseNpyLayout(bytes);
  const { shape } = layout;
  if (shape.length !== 2 || shape.some((x) => x < 1)) {
    throw new UserError(`.npy array must be 2-D with positive dimensions (a weight matrix), got shape (${shape.join(', ')}${shape.length === 1 ? ',' : ''})`);
  }
  const values = npyValues(bytes, layout);
  return { rows: shape[0], cols: shape[1], data: values instanceof Float32Array ? values : Float32Array.from(values) };
}

/** A float32 array of any shape as the bytes of a little-endian C-order `.npy` (format 1.0). */
export function encodeNpy(data: Float32Array, shape: number[]): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  // magic (6) + version (2) + header length (2) + header + '\n' must be a multiple of 64
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length); // the platforms Node runs on are little-endian, as '<f4' says
  return out;
}
