/**
 * `.safetensors` (Hugging Face): 8-byte little-endian header length N, N bytes of JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {…}}`, then the data, with
 * offsets relative to the data start. Parsed by hand (the format is that small) with the checks
 * the reference implementation makes: the tensors tile the data exactly (no overlap, no gap, no
 * trailing bytes), each tensor's byte length matches its shape and dtype, and the header length
 * is bounded by the file, so a corrupt header can never make us allocate more than the file holds.
 * A folder of shards is read through its `model.safetensors.index.json` weight map.
 */
import { dirname, join, resolve } from 'node:path';
import { checkBound } from '../core/bounds.js';
import { UserError, withPathPrefix } from '../core/errors.js';
import { confinedPath, inputFileSize, inputPathKind, modelRoot, readInputFile, writeFileAtomic } from '../core/io.js';
import { DTYPE_BYTES, decodeValues, encodeValues } from './dtype.js';
import type { ModelFile, RawTensor, TensorDType } from './types.js';

/** Header lengths above this are refused (the reference implementation's limit). */
export const MAX_HEADER_BYTES = 100_000_000;
export const SHARD_INDEX = 'model.safetensors.index.json';

/** Spec dtypes weightscope does not compute on (integer buffers, 8-bit floats): kept and copied, never exposed. */
const OTHER_DTYPE_BYTES: Record<string, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, F8_E8M0: 1, I16: 2, U16: 2, I32: 4, U32: 4, I64: 8, U64: 8,
};

export interface SafetensorsEntry {
  name: string;
  dtype: string;
  shape: number[];
  /** Absolute byte range in the file. */
  start: number;
  end: number;
}

export interface SafetensorsLayout {
  headerBytes: number;
  entries: SafetensorsEntry[];
  metadata: Record<string, string> | null;
}

/**
 * Check and decode the layout of a safetensors file from its first bytes and total size. Needs
 * only `head` (at least 8 + N bytes); throws a UserError naming the first problem.
 */
export function parseSafetensorsHeader(head: Uint8Array, fileSize: number): SafetensorsLayout {
  if (fileSize < 8 || head.length < 8) throw new UserError(`truncated: ${fileSize} bytes is shorter than the 8-byte header length`);
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n > MAX_HEADER_BYTES) throw new UserError(`header length ${n} is absurd (over ${MAX_HEADER_BYTES} bytes): not a safetensors file`);
  if (8 + n > fileSize) throw new UserError(`truncated: header says ${n} bytes but the file has ${fileSize - 8} after the length`);
  if (head.length < 8 + n) throw new Error('parseSafetensorsHeader: head shorter than the header');
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(8, 8 + n)));
  } catch (err) {
    throw new UserError(`header is not UTF-8 JSON (${(err as Error).message.split('\n')[0]})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new UserError('header is not a JSON object');
  const dataStart = 8 + n;
  const dataSize = fileSize - dataStart;
  let metadata: Record<string, string> | null = null;
  const entries: SafetensorsEntry[] = [];
  for (const [name, info] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof info !== 'object' || info === null || Array.isArray(info) || Object.values(info).some((v) => typeof v !== 'string')) {
        throw new UserError('__metadata__ must map strings to strings');
      }
      metadata = info as Record<string, string>;
      continue;
    }
    const where = `tensor '${name}'`;
    if (typeof info !== 'object' || info === null) throw new UserError(`${where}: entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
    if (typeof dtype !== 'string') throw new UserError(`${where}: no dtype`);
    const item = dtype in DTYPE_BYTES ? DTYPE_BYTES[dtype as TensorDType] : OTHER_DTYPE_BYTES[dtype];
    if (item === undefined) throw new UserError(`${where}: unknown dtype '${dtype}'`);
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      throw new UserError(`${where}: shape must be a list of non-negative integers`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || offsets.some((o) => !Number.isSafeInteger(o) || o < 0)) {
      throw new UserError(`${where}: data_offsets must be two non-negative integers`);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) throw new UserError(`${where}: data_offsets [${begin}, ${end}] end before they begin`);
    if (end > dataSize) throw new UserError(`truncated or corrupt: ${where} ends at byte ${end} of the data but the data has ${dataSize} bytes`);
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (count * item !== end - begin) {
      throw new UserError(`${where}: shape [${(shape as number[]).join(', ')}] of ${dtype} needs ${count * item} bytes but data_offsets give ${end - begin}`);
    }
    entries.push({ name, dtype, shape: shape as number[], start: dataStart + begin, end: dataStart + end });
  }
  const sorted = [...entries].sort((a, b) => a.start - b.start || a.end - b.end);
  let at = dataStart;
  for (const e of sorted) {
    if (e.start < at) throw new UserError(`tensor '${e.name}' overlaps the tensor before it (data_offsets begin at ${e.start - dataStart}, previous ends at ${at - dataStart})`);
    if (e.start > at) throw new UserError(`gap of ${e.start - at} bytes before tensor '${e.name}' (data_offsets must tile the data)`);
    at = e.end;
  }
  if (at !== fileSize) throw new UserError(`${fileSize - at} bytes of trailing data after the last tensor`);
  return { headerBytes: dataStart, entries, metadata };
}

function readRange(path: string, start: number, length: number): Uint8Array {
  const buf = readInputFile(path, 'safetensors file', { offset: start, length });
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

/** The layout of one file on disk (reads the header only). */
export function readSafetensorsLayout(path: string): SafetensorsLayout {
  if (inputPathKind(path) === null) throw new UserError(`no file at ${path}`);
  const size = inputFileSize(path, 'safetensors file');
  return withPathPrefix(path, () => {
    const lengthBytes = readRange(path, 0, Math.min(8, size));
    if (size < 8) return parseSafetensorsHeader(lengthBytes, size);
    const n = Number(new DataView(lengthBytes.buffer).getBigUint64(0, true));
    // Read the header only once its length is known to fit the file (parse checks that first).
    const head = n <= MAX_HEADER_BYTES && 8 + n <= size ? readRange(path, 0, 8 + n) : lengthBytes;
    return parseSafetensorsHeader(head, size);
  });
}

function tensorsOf(path: string, layout: SafetensorsLayout): RawTensor[] {
  return layout.entries
    .filter((e) => e.dtype in DTYPE_BYTES)
    .map((e) => ({
      name: e.name,
      dtype: e.dtype as TensorDType,
      shape: [...e.shape],
      values: () => decodeValues(e.dtype as TensorDType, readRange(path, e.start, e.end - e.start)),
    }));
}

/** The file's bytes with the named tensors re-encoded in place (same dtype, same length). */
function replacedBytes(path: string, layout: SafetensorsLayout, replaced: ReadonlyMap<string, Float32Array | Float64Array>): Uint8Array {
  const bytes = new Uint8Array(readInputFile(path, 'safetensors file'));
  for (const e of layout.entries) {
    const values = replaced.get(e.name);
    if (!values) continue;
    const encoded = encodeValues(e.dtype as TensorDType, values);
    if (encoded.length !== e.end - e.start) {
      throw new UserError(`tensor '${e.name}': ${values.length} replacement values do not fit its shape [${e.shape.join(', ')}]`);
    }
    bytes.set(encoded, e.start);
  }
  return bytes;
}

function checkReplacedNames(known: Set<string>, replaced: ReadonlyMap<string, unknown>): void {
  for (const name of replaced.keys()) if (!known.has(name)) throw new UserError(`cannot replace tensor '${name}': the model has no float tensor of that name`);
}

/** One `.safetensors` file. */
export function readSafetensors(path: string): ModelFile {
  const layout = readSafetensorsLayout(path);
  const tensors = tensorsOf(path, layout);
  return {
    format: 'safetensors',
    path,
    tensors,
    write(out, replaced) {
      checkReplacedNames(new Set(tensors.map((t) => t.name)), replaced);
      writeFileAtomic(out, replacedBytes(path, layout, replaced));
    },
  };
}

/**
 * A folder of shards (or its index file): every shard named in the index's `weight_map` is read;
 * writing gives a folder with the same shard names and the index copied byte for byte.
 */
export function readSafetensorsShards(path: string): ModelFile {
  const isDir = inputPathKind(path) === 'folder';
  const indexPath = isDir ? join(path, SHARD_INDEX) : path;
  const dir = isDir ? path : join(indexPath, '..');
  if (inputPathKind(indexPath) === null) throw new UserError(`no ${SHARD_INDEX} in ${path}`);
  checkBound('jsonBytes', inputFileSize(indexPath, 'shard index'), `${indexPath}: the shard index`);
  const indexText = readInputFile(indexPath, 'shard index');
  let weightMap: Record<string, unknown>;
  try {
    const json = JSON.parse(indexText.toString('utf8')) as { weight_map?: unknown };
    if (typeof json.weight_map !== 'object' || json.weight_map === null || Array.isArray(json.weight_map)) throw new Error('no weight_map object');
    weightMap = json.weight_map as Record<string, unknown>;
  } catch (err) {
    throw new UserError(`${indexPath}: not a safetensors index (${(err as Error).message.split('\n')[0]})`);
  }
  const shardNames = [...new Set(Object.values(weightMap))];
  for (const s of shardNames) {
    // Shards are written back under the same names: plain names in the folder, nothing else.
    if (typeof s !== 'string' || s === '' || /[/\\\0]/.test(s) || s === '.' || s === '..') {
      throw new UserError(`${indexPath}: shard names must be plain file names, got ${JSON.stringify(s)}`);
    }
  }
  // Inside the model's root once symlinks are resolved (a Hugging Face snapshot's shards are links into ../../blobs).
  const root = modelRoot(indexPath);
  const base = dirname(resolve(indexPath));
  const shards = (shardNames as string[]).map((name) => {
    const file = confinedPath(root, base, name, `${indexPath}: shard`, () => new UserError(`${indexPath}: shard '${name}' is missing (looked for ${join(dir, name)})`));
    return { name, file, layout: readSafetensorsLayout(file) };
  });
  const owner = new Map<string, string>();
  const tensors: RawTensor[] = [];
  for (const shard of shards) {
    for (const e of shard.layout.entries) {
      if (owner.has(e.name)) throw new UserError(`${dir}: tensor '${e.name}' is in both '${owner.get(e.name)}' and '${shard.name}'`);
      owner.set(e.name, shard.name);
    }
    tensors.push(...tensorsOf(shard.file, shard.layout));
  }
  for (const [tensor, shard] of Object.entries(weightMap)) {
    if (owner.get(tensor) !== shard) throw new UserError(`${indexPath}: tensor '${tensor}' is not in its shard '${String(shard)}'`);
  }
  return {
    format: 'safetensors',
    path,
    tensors,
    write(out, replaced) {
      checkReplacedNames(new Set(tensors.map((t) => t.name)), replaced);
      // Shards first, the index last: a folder with an index is complete.
      for (const shard of shards) writeFileAtomic(join(out, shard.name), replacedBytes(shard.file, shard.layout, replaced));
      writeFileAtomic(join(out, SHARD_INDEX), new Uint8Array(indexText));
    },
  };
}

/**
 * Write a new safetensors file (tensors in the given order, offsets contiguous; header padded
 * with spaces to a multiple of 8 as the reference writer does). For tests and the bench.
 */
export function encodeSafetensors(
  tensors: { name: string; dtype: TensorDType; shape: number[]; values: ArrayLike<number> }[],
  metadata?: Record<string, string>,
): Uint8Array {
  return assembleSafetensors(tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, bytes: encodeValues(t.dtype, t.values) })), metadata);
}

/**
 * The bytes of a safetensors file from tensors already encoded (any dtype name, e.g. `U8`), in the
 * given order, offsets contiguous, the header padded with spaces to a multiple of 8.
 */
export function assembleSafetensors(tensors: { name: string; dtype: string; shape: number[]; bytes: Uint8Array }[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const t of tensors) {
    out.set(t.bytes, at);
    at += t.bytes.length;
  }
  return out;
}
