/**
 * Hostile model files for test/cli/hostile-input.test.ts, written by the tests themselves: ONNX
 * graphs whose external data points anywhere, shard indexes and tfjs manifests that name files
 * outside their folder, HDF5 weights with links and cycles (h5wasm), zip bombs, FIFOs. Every
 * escape leads to a canary (float32 31337.25, also in a sibling folder whose name extends the
 * model folder's), so an output holding that number is a leak.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync, type Zippable } from 'fflate';
import h5wasm from 'h5wasm/node';
import { onnx, ONNX_DTYPE } from '../../src/formats/onnx.js';
import { encodeSafetensors, SHARD_INDEX } from '../../src/formats/safetensors.js';
import { encodeNpy } from '../../src/formats/npy.js';
import { saveModel } from '../../src/model/index.js';

/** The canary value: no output may ever hold it. */
export const CANARY = 31337.25;
export const canaryBytes = (n: number): Buffer => Buffer.from(new Float32Array(n).fill(CANARY).buffer);
/** W [4, 3] of the fixtures: k/8 − 0.5, every value exact in float32 and none the canary. */
export const W = Float32Array.from({ length: 12 }, (_, k) => k / 8 - 0.5);
const wBytes = (): Buffer => Buffer.from(W.buffer.slice(0));

/** A FIFO at `path`, or false where mkfifo is missing. */
export function fifo(path: string): boolean {
  return spawnSync('mkfifo', [path]).status === 0;
}

export interface OnnxOptions {
  /** W's external location (default 'w.bin', written here with W's bytes); null: W stored inline. */
  location?: string | null;
  offset?: string;
  length?: string;
  /** Write w.bin beside the model (default true). */
  writeData?: boolean;
  /** The int64 `shape` tensor of the Reshape, stored externally at this location. */
  shapeLocation?: string;
  dims?: number[];
  /** Bytes appended to the graph message (a field the schema cannot read). */
  graphTail?: number[];
  /** The MatMul node's op_type (empty: a node that cannot be run). */
  op?: string;
}

/** y = reshape(x · W, [-1, 3]): x [N, 4] float, W [4, 3] float (external by default), shape int64 [2]. */
export function onnxModel(dir: string, name: string, o: OnnxOptions = {}): string {
  mkdirSync(dir, { recursive: true });
  const location = o.location === undefined ? 'w.bin' : o.location;
  const w = onnx.TensorProto.create({ name: 'W', dims: o.dims ?? [4, 3], dataType: ONNX_DTYPE.F32 });
  if (location === null) w.rawData = wBytes();
  else {
    if (o.writeData !== false && location === 'w.bin') writeFileSync(join(dir, 'w.bin'), wBytes());
    w.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    w.externalData = [{ key: 'location', value: location }, { key: 'offset', value: o.offset ?? '0' }, { key: 'length', value: o.length ?? '48' }];
  }
  const shape = onnx.TensorProto.create({ name: 'shape', dims: [2], dataType: 7 });
  if (o.shapeLocation) {
    shape.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    shape.externalData = [{ key: 'location', value: o.shapeLocation }, { key: 'offset', value: '0' }, { key: 'length', value: '16' }];
  } else shape.rawData = new Uint8Array(new BigInt64Array([-1n, 3n]).buffer);
  const graph = onnx.GraphProto.encode({
    name: 'hostile',
    node: [
      { opType: o.op ?? 'MatMul', name: 'mm', input: ['x', 'W'], output: ['y0'] },
      { opType: 'Reshape', name: 'reshape', input: ['y0', 'shape'], output: ['y'] },
    ],
    initializer: [w, shape],
    input: [{ name: 'x', type: { tensorType: { elemType: ONNX_DTYPE.F32, shape: { dim: [{ dimParam: 'N' }, { dimValue: 4 }] } } } }],
    output: [{ name: 'y', type: { tensorType: { elemType: ONNX_DTYPE.F32 } } }],
  }).finish();
  const graphBytes = Buffer.concat([graph, Buffer.from(o.graphTail ?? [])]);
  const head = onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ version: 13 }] }).finish();
  const len: number[] = [];
  for (let n = graphBytes.length; ; n >>>= 7) {
    if (n < 0x80) {
      len.push(n);
      break;
    }
    len.push((n & 0x7f) | 0x80);
  }
  const path = join(dir, `${name}.onnx`);
  writeFileSync(path, Buffer.concat([head, Buffer.from([(7 << 3) | 2, ...len]), graphBytes]));
  return path;
}

/** A folder of one shard and its index, with the weight map given. */
export function shardFolder(dir: string, weightMap: Record<string, string>, shards: Record<string, Uint8Array | 'fifo' | { link: string }> = {}): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, SHARD_INDEX), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  for (const [name, content] of Object.entries(shards)) {
    if (content === 'fifo') fifo(join(dir, name));
    else if (content instanceof Uint8Array) writeFileSync(join(dir, name), content);
    else symlinkSync(content.link, join(dir, name));
  }
  return dir;
}

/** A safetensors file holding `fc.weight` [3, 4] of these values. */
export function safetensors(values: Float32Array): Uint8Array {
  return encodeSafetensors([{ name: 'fc.weight', dtype: 'F32', shape: [3, 4], values }]);
}

/** A tfjs model folder (dense 4 → 3) whose manifest paths are `paths`; weights.bin written beside it unless told otherwise. */
export function tfjsFolder(dir: string, paths: string[], options: { weights?: 'file' | 'fifo' | { link: string } } = {}): string {
  mkdirSync(dir, { recursive: true });
  saveModel(dir, { layers: [{ name: 'dense', weights: W, shape: [4, 3], bias: null, activation: 'linear' }] });
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  json.weightsManifest[0].paths = paths;
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  const weights = options.weights ?? 'file';
  if (weights !== 'file') {
    rmSync(join(dir, 'weights.bin'));
    if (weights === 'fifo') fifo(join(dir, 'weights.bin'));
    else symlinkSync(weights.link, join(dir, 'weights.bin'));
  }
  return dir;
}

const kerasConfig = new TextEncoder().encode(JSON.stringify({ class_name: 'Sequential', config: { name: 'seq', layers: [{ class_name: 'Dense', config: { name: 'dense' } }] } }));

type H5File = InstanceType<typeof h5wasm.File>;

/** A .keras archive: layers/dense/vars/0 = W [4, 3], `build` adds to the HDF5 file, `mutate` edits its bytes, `extra` adds zip entries. */
export async function kerasFile(
  path: string, options: { build?: (f: H5File, vars: InstanceType<typeof h5wasm.Group>) => void; mutate?: (h5: Uint8Array) => Uint8Array; extra?: Zippable } = {},
): Promise<string> {
  await h5wasm.ready;
  const h5 = `${path}.${process.pid}.h5`;
  const f = new h5wasm.File(h5, 'w');
  const vars = f.create_group('layers').create_group('dense').create_group('vars');
  vars.create_dataset({ name: '0', data: W, shape: [4, 3], dtype: '<f' });
  options.build?.(f, vars);
  f.close();
  let bytes: Uint8Array = new Uint8Array(readFileSync(h5));
  rmSync(h5);
  if (options.mutate) bytes = options.mutate(bytes);
  writeFileSync(path, zipSync({ 'config.json': kerasConfig, 'model.weights.h5': bytes, ...options.extra }));
  return path;
}

/**
 * A .keras whose dataset `layers/dense/vars/0` keeps its data in an external file (HDF5 external
 * storage) named `layers`: h5wasm cannot write one, so a file written with the oldest format (v1
 * object headers, no checksums; local heaps hold the names) has a 64-byte attribute message of
 * the dataset rewritten into an External Data Files message (type 0x0007, HDF5 spec IV.A.2.g)
 * whose one slot names the string 'layers' of the root group's local heap, 48 bytes from offset 0.
 * The library on the host file system reads that file's bytes as the weights.
 */
export async function kerasExternalStorage(path: string): Promise<string> {
  await h5wasm.ready;
  const h5 = `${path}.${process.pid}.h5`;
  const f = new h5wasm.File(h5, 'w', { libver: ['earliest', 'v108'] });
  const ds = f.create_group('layers').create_group('dense').create_group('vars').create_dataset({ name: '0', data: W, shape: [4, 3], dtype: '<f' });
  ds.create_attribute('pad', 'X'.repeat(64));
  f.close();
  const b = Buffer.from(readFileSync(h5));
  rmSync(h5);
  const body = b.indexOf(Buffer.from('pad\0\0\0\0\0')) - 8; // attribute message v1: name at body + 8
  const header = body - 8;
  if (body < 8 || b.readUInt16LE(header) !== 0x000c || b.readUInt16LE(header + 2) < 40) throw new Error('kerasExternalStorage: no attribute message to rewrite');
  let heap = -1;
  let nameOffset = -1;
  for (let i = b.indexOf('HEAP'); i >= 0 && heap < 0; i = b.indexOf('HEAP', i + 1)) {
    const size = Number(b.readBigUInt64LE(i + 8));
    const data = Number(b.readBigUInt64LE(i + 24));
    const at = b.subarray(data, data + size).indexOf(Buffer.from('layers\0'));
    if (at >= 0) [heap, nameOffset] = [i, at];
  }
  if (heap < 0) throw new Error('kerasExternalStorage: no local heap holding "layers"');
  b.writeUInt16LE(0x0007, header);
  b.fill(0, body, body + b.readUInt16LE(header + 2));
  b[body] = 1; // version
  b.writeUInt16LE(1, body + 4); // slots allocated
  b.writeUInt16LE(1, body + 6); // slots used
  b.writeBigUInt64LE(BigInt(heap), body + 8);
  b.writeBigUInt64LE(BigInt(nameOffset), body + 16); // the slot: name, offset in the external file, size
  b.writeBigUInt64LE(0n, body + 24);
  b.writeBigUInt64LE(48n, body + 32);
  writeFileSync(path, zipSync({ 'config.json': kerasConfig, 'model.weights.h5': b }));
  return path;
}

/** An .npz of `w` = W [4, 3] plus extra entries. */
export function npzFile(path: string, extra: Zippable = {}): string {
  writeFileSync(path, zipSync({ 'w.npy': encodeNpy(W, [4, 3]), ...extra }));
  return path;
}

/** `count` tiny entries: an archive past the entry bound. */
export function manyEntries(count: number): Zippable {
  const out: Zippable = {};
  for (let k = 0; k < count; k++) out[`pad-${k}.txt`] = [new Uint8Array(0), { level: 0 }];
  return out;
}

/**
 * Rewrite an archive's declared uncompressed size of entry `name` (local header and central
 * directory) to `size`: a small archive that claims gigabytes, as a zip bomb's header does.
 */
export function declareSize(zip: Uint8Array, name: string, size: number): Uint8Array {
  const out = Buffer.from(zip);
  const target = Buffer.from(name);
  for (let i = 0; i + 46 < out.length; i++) {
    const sig = out.readUInt32LE(i);
    if (sig === 0x04034b50 && out.subarray(i + 30, i + 30 + target.length).equals(target) && out.readUInt16LE(i + 26) === target.length) out.writeUInt32LE(size, i + 22);
    if (sig === 0x02014b50 && out.subarray(i + 46, i + 46 + target.length).equals(target) && out.readUInt16LE(i + 28) === target.length) out.writeUInt32LE(size, i + 24);
  }
  return out;
}

/** A deflated entry of `bytes` zeros (compresses about 1000×). */
export function zeros(bytes: number): Zippable[string] {
  return [new Uint8Array(bytes), { level: 9 }];
}

/** A `.npy` (format 1.0) with this header dictionary and these data bytes, padded as numpy does. */
export function rawNpy(dict: string, data: Uint8Array): Uint8Array {
  const header = dict + ' '.repeat(63 - ((10 + dict.length) % 64)) + '\n';
  return Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]), Buffer.from(header, 'latin1'), data]);
}
