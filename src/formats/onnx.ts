/**
 * ONNX models (.onnx, with external-data files beside them) in and out.
 *
 * The graph is decoded with the ONNX schema of `onnx-proto` (protobufjs); every float tensor —
 * graph initializers and the `value` of Constant nodes (which exporters such as paddle2onnx use
 * for all weights) — becomes a RawTensor, hinted by the op that consumes it. Writing never
 * re-encodes the model: the new values are spliced into the original bytes (and the lengths of
 * the enclosing protobuf fields adjusted when they change), so fields this schema does not know
 * survive and writing with nothing replaced gives the same bytes.
 */
import { basename, dirname, resolve } from 'node:path';
import protobuf from 'protobufjs/minimal.js';
import onnxProto from 'onnx-proto';
import { UserError } from '../core/errors.js';
import { confinedOutputPath, confinedPath, inputFileSize, inputPathKind, modelRoot, readInputFile, sameFile, writeFileAtomic } from '../core/io.js';
import { decodeValues as decodeDtype, encodeValues } from './dtype.js';
import type { ModelFile, RawTensor, TensorDType, TensorHint } from './types.js';

export const { onnx } = onnxProto;
type TensorProto = InstanceType<typeof onnx.TensorProto>;
type ModelProto = InstanceType<typeof onnx.ModelProto>;
type NodeProto = onnxProto.onnx.INodeProto;
type ITensorProto = onnxProto.onnx.ITensorProto;
type IGraphProto = onnxProto.onnx.IGraphProto;
type IModelProto = onnxProto.onnx.IModelProto;

/** TensorProto.DataType codes of the element types weightscope reads. */
export const ONNX_DTYPE: Record<TensorDType, number> = { F32: 1, F16: 10, F64: 11, BF16: 16 };
const DTYPE_OF_CODE = new Map(Object.entries(ONNX_DTYPE).map(([k, v]) => [v, k as TensorDType]));
const BYTES: Record<TensorDType, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };

// protobuf field numbers (onnx.proto)
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const NODE_ATTRIBUTE = 5;
const ATTRIBUTE_T = 5;
const TENSOR_FLOAT_DATA = 4;
const TENSOR_INT32_DATA = 5;
const TENSOR_RAW_DATA = 9;
const TENSOR_DOUBLE_DATA = 10;

/** One field of a protobuf message; for length-delimited fields, its content is [valueStart, end). */
interface Field {
  field: number;
  wire: number;
  start: number;
  /** Where the length varint begins (length-delimited fields only). */
  lenStart: number;
  valueStart: number;
  end: number;
}

/** Where a tensor's values are stored. */
type Storage =
  | { kind: 'raw' | 'float_data' | 'double_data' | 'int32_data'; field: Field }
  | { kind: 'external'; file: string; location: string; offset: number; length: number };

interface Located {
  name: string;
  dtype: TensorDType;
  shape: number[];
  count: number;
  /** Enclosing length-delimited fields, outermost first (graph … tensor). */
  frames: Field[];
  storage: Storage;
}

/** An ONNX model as read: the ModelFile seam plus what ONNX Runtime probing needs. */
export interface OnnxModelFile extends ModelFile {
  format: 'onnx';
  /** The model file's bytes, as read. */
  bytes: Uint8Array;
  /** The decoded model (do not mutate: decode `bytes` again for a copy to change). */
  proto: ModelProto;
  /** Where each float tensor comes from: a graph initializer or the Constant node that outputs it. */
  sourceOf(name: string): 'initializer' | 'constant';
  /** Decode one tensor's values in its file dtype's natural width (F16/BF16 as float32). */
  tensor(name: string): RawTensor;
  /** The folder its external data must lie in (modelRoot), and the folder external names are relative to. */
  root: string;
  base: string;
}

/** Read an .onnx file; throws a one-line UserError for anything that is not a readable ONNX model. */
export function readOnnx(path: string): OnnxModelFile {
  const kind = inputPathKind(path);
  if (kind === null) throw new UserError(`no ONNX file at ${path}`);
  if (kind === 'folder') throw new UserError(`${path} is a folder, not an .onnx file`);
  const buf = readInputFile(path, '.onnx file');
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  const where = (msg: string): UserError => new UserError(`${path}: ${msg}`);

  // Walk the structure first: it names the problem of a file that is not protobuf or is cut short.
  const top = fields(bytes, 0, bytes.length, where);
  const graphField = top.find((f) => f.field === MODEL_GRAPH && f.wire === 2);
  if (!graphField || !top.some((f) => f.field === 1 && f.wire === 0)) {
    throw where('not an ONNX model (no ir_version and graph fields: is it an .onnx file?)');
  }
  let proto: ModelProto;
  try {
    proto = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw where(`not a valid ONNX protobuf (${(err as Error).message})`);
  }
  const graph = proto.graph;
  if (!graph) throw where('ONNX model has no graph');

  const graphFields = fields(bytes, graphField.valueStart, graphField.end, where);
  const initFields = repeatedFields(graphFields, GRAPH_INITIALIZER, graph.initializer?.length ?? 0, 'initializer', where);
  const nodeFields = repeatedFields(graphFields, GRAPH_NODE, graph.node?.length ?? 0, 'node', where);
  (graph.node ?? []).forEach((node, i) => {
    fields(bytes, nodeFields[i].valueStart, nodeFields[i].end, where); // every node's own fields parse
    if (!node.opType) throw where(`node ${i}${node.name ? ` '${node.name}'` : ''} has no op_type: the graph cannot be read`);
  });
  const root = modelRoot(path);
  const base = dirname(resolve(path));
  // Every tensor anywhere in the model (subgraphs, functions, sparse tensors, any element type):
  // dims non-negative, external data confined to the model's folder and within its file.
  forEachTensor(proto, (t, name) => {
    const dims = tensorDims(t, name, where);
    if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) externalRef(t, name, dims, root, base, where);
  });

  const located = new Map<string, Located>();
  const source = new Map<string, 'initializer' | 'constant'>();
  const add = (tensor: TensorProto, name: string, frames: Field[], kind: 'initializer' | 'constant'): void => {
    const dtype = DTYPE_OF_CODE.get(tensor.dataType);
    if (!dtype || !name) return; // integer/bool/string tensors (shapes, indices) are not weights
    if (located.has(name)) throw where(`two tensors are named '${name}'`);
    located.set(name, locate(bytes, tensor, name, dtype, frames, root, base, where));
    source.set(name, kind);
  };

  (graph.initializer ?? []).forEach((t, i) => add(t as TensorProto, t.name ?? '', [graphField, initFields[i]], 'initializer'));
  (graph.node ?? []).forEach((node, i) => {
    if (node.opType !== 'Constant' || (node.domain ?? '') !== '') return;
    const attrFields = fields(bytes, nodeFields[i].valueStart, nodeFields[i].end, where).filter((f) => f.field === NODE_ATTRIBUTE && f.wire === 2);
    (node.attribute ?? []).forEach((attr, j) => {
      if (attr.name !== 'value' || !attr.t) return;
      const tField = fields(bytes, attrFields[j].valueStart, attrFields[j].end, where).find((f) => f.field === ATTRIBUTE_T && f.wire === 2);
      if (tField) add(attr.t as TensorProto, node.output?.[0] ?? '', [graphField, nodeFields[i], attrFields[j], tField], 'constant');
    });
  });

  const hints = graphHints(graph.node ?? []);
  const rawTensor = (l: Located): RawTensor => ({
    name: l.name,
    dtype: l.dtype,
    shape: l.shape,
    values: () => decodeValues(bytes, l, base),
    ...(hints.has(l.name) ? { hint: hints.get(l.name) } : {}),
  });
  // In the order the graph first uses them (ONNX nodes are topologically sorted): depth order.
  const firstUse = firstConsumer(graph.node ?? []);
  const order = (name: string): number => firstUse.get(name) ?? Infinity;
  const tensors = [...located.values()].sort((a, b) => order(a.name) - order(b.name)).map(rawTensor);

  return {
    format: 'onnx',
    path,
    bytes,
    proto,
    tensors,
    root,
    base,
    sourceOf: (name) => {
      const s = source.get(name);
      if (!s) throw new UserError(`no float tensor named '${name}' in ${path}`);
      return s;
    },
    tensor: (name) => {
      const l = located.get(name);
      if (!l) throw new UserError(`no float tensor named '${name}' in ${path}`);
      return rawTensor(l);
    },
    write: (out, replaced) => writeOnnx(path, bytes, located, out, replaced),
  };
}

/** The `count` length-delimited fields of a repeated message field, in order; a field of another wire type means the schema cannot read it. */
function repeatedFields(all: Field[], field: number, count: number, what: string, where: (m: string) => UserError): Field[] {
  const found = all.filter((f) => f.field === field);
  if (found.some((f) => f.wire !== 2) || found.length !== count) {
    throw where(`the graph has a ${what} that cannot be read (field ${field} of wire type ${found.find((f) => f.wire !== 2)?.wire ?? '?'}; ${found.length} fields for ${count} decoded)`);
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// every tensor, its dims and its external data

/** Call `f` on every TensorProto of a model: graph initializers, sparse initializers, node attributes (also in subgraphs), functions, training graphs. */
export function forEachTensor(model: IModelProto, f: (t: ITensorProto, name: string) => void): void {
  const seen = new Set<IGraphProto>();
  const nodes = (list: NodeProto[] | null | undefined): void => {
    for (const node of list ?? []) {
      for (const a of node.attribute ?? []) {
        const label = `${node.output?.[0] || node.name || node.opType || 'node'}.${a.name ?? ''}`;
        if (a.t) f(a.t, a.t.name || label);
        for (const t of a.tensors ?? []) f(t, t.name || label);
        for (const s of [a.sparseTensor, ...(a.sparseTensors ?? [])]) {
          if (s?.values) f(s.values, s.values.name || label);
          if (s?.indices) f(s.indices, s.indices.name || `${label}.indices`);
        }
        if (a.g) graph(a.g);
        for (const g of a.graphs ?? []) graph(g);
      }
    }
  };
  const graph = (g: IGraphProto | null | undefined): void => {
    if (!g || seen.has(g)) return;
    seen.add(g);
    for (const t of g.initializer ?? []) f(t, t.name ?? '');
    for (const s of g.sparseInitializer ?? []) {
      if (s.values) f(s.values, s.values.name ?? '');
      if (s.indices) f(s.indices, `${s.values?.name ?? ''}.indices`);
    }
    nodes(g.node);
  };
  graph(model.graph);
  for (const fn of model.functions ?? []) nodes(fn.node);
  for (const ti of model.trainingInfo ?? []) {
    graph(ti.initialization);
    graph(ti.algorithm);
  }
}

/** A tensor's dims as numbers: each a non-negative integer, their product too. */
function tensorDims(t: ITensorProto, name: string, where: (m: string) => UserError): number[] {
  const dims = (t.dims ?? []).map((d) => Number(d));
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) throw where(`tensor '${name}' has dims [${dims.join(', ')}]; dimensions must be non-negative integers`);
  if (!Number.isSafeInteger(dims.reduce((a, b) => a * b, 1))) throw where(`tensor '${name}' has dims [${dims.join(', ')}]: too many elements`);
  return dims;
}

/** Bytes per element of each ONNX element type (TensorProto.DataType); 4-bit types pack two per byte. */
const ELEMENT_BYTES: Record<number, number> = {
  1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 14: 8, 15: 16, 16: 2, 17: 1, 18: 1, 19: 1, 20: 1, 21: 0.5, 22: 0.5, 23: 0.5,
};

/** Where a tensor stored outside the model lives: checked, never trusted. */
export interface ExternalRef {
  /** Its real path, inside the model's root. */
  file: string;
  /** The name the model gives it. */
  location: string;
  offset: number;
  length: number;
}

/** ONNX stores offset and length as strings: only plain non-negative decimal integers are numbers here ('2.5', '0x4', '-64', '' are not). */
const DECIMAL_INT = /^\d+$/;

/**
 * Check a tensor's external data: its entries (no key twice), `location` a file inside the model's
 * root (confinedPath: no absolute path, no `..` or symlink out), `offset`/`length` non-negative
 * decimal integers, the length the tensor's dims and type need, and the range within the file.
 */
export function externalRef(t: ITensorProto, name: string, dims: number[], root: string, base: string, where: (m: string) => UserError): ExternalRef {
  const entries = new Map<string, string>();
  for (const e of t.externalData ?? []) {
    const key = e.key ?? '';
    if (entries.has(key)) throw where(`external data of tensor '${name}' gives '${key}' twice`);
    entries.set(key, e.value ?? '');
  }
  const location = entries.get('location');
  if (!location) throw where(`tensor '${name}' is stored externally but names no location`);
  const integer = (key: string): number | undefined => {
    const v = entries.get(key);
    if (v === undefined) return undefined;
    if (!DECIMAL_INT.test(v) || !Number.isSafeInteger(Number(v))) throw where(`external data of tensor '${name}': ${key} '${v}' is not a non-negative decimal integer`);
    return Number(v);
  };
  const offset = integer('offset') ?? 0;
  const declared = integer('length');
  const file = confinedPath(root, base, location, `external data of tensor '${name}'`, () =>
    where(`missing external data: tensor '${name}' is stored in '${location}', not found beside the model`));
  const size = inputFileSize(file, 'external data file');
  const item = ELEMENT_BYTES[t.dataType ?? 0];
  const need = item === undefined ? undefined : Math.ceil(dims.reduce((a, b) => a * b, 1) * item);
  const length = declared ?? need ?? size - offset;
  if (need !== undefined && length !== need) throw where(`external data of tensor '${name}' has ${length} bytes, dims [${dims}] of its type need ${need}`);
  if (offset + length > size) throw where(`external data of tensor '${name}' runs past the end of '${location}' (needs bytes ${offset}…${offset + length}, file has ${size})`);
  return { file, location, offset, length };
}

/**
 * Replace every external tensor of `model` (a decoded copy of `file`'s bytes) by its bytes, read
 * from the checked range of its checked file, so ONNX Runtime is given a model that names no file
 * at all: it never reads a path a model chose.
 */
export function inlineExternalData(model: IModelProto, file: Pick<OnnxModelFile, 'path' | 'root' | 'base'>): void {
  const where = (msg: string): UserError => new UserError(`${file.path}: ${msg}`);
  forEachTensor(model, (t, name) => {
    if (t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) return;
    const ref = externalRef(t, name, tensorDims(t, name, where), file.root, file.base, where);
    t.rawData = readInputFile(ref.file, 'external data file', { offset: ref.offset, length: ref.length });
    t.externalData = [];
    t.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
  });
  forEachTensor(model, (t, name) => {
    if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) throw where(`tensor '${name}' still names external data after inlining`);
  });
}

// ---------------------------------------------------------------------------------------------
// hints: how the graph uses each tensor

const NORM_OPS = new Set(['BatchNormalization', 'LayerNormalization', 'InstanceNormalization', 'GroupNormalization', 'SimplifiedLayerNormalization']);

/** For every tensor a node consumes: kind, orientation and layer, from the first consumer that tells. */
export function graphHints(nodes: NodeProto[]): Map<string, TensorHint> {
  const hints = new Map<string, TensorHint>();
  nodes.forEach((node, k) => {
    const layer = node.name || `${node.opType}_${k}`;
    const op = node.opType ?? '';
    (node.input ?? []).forEach((name, i) => {
      if (!name || hints.has(name)) return;
      const hint = hintFor(op, i, node);
      if (hint) hints.set(name, { ...hint, layer });
    });
  });
  return hints;
}

function hintFor(op: string, input: number, node: NodeProto): Omit<TensorHint, 'layer'> | null {
  switch (op) {
    case 'MatMul':
      return input === 1 ? { kind: 'dense', orientation: 'in-out' } : null;
    case 'Gemm': {
      if (input === 2) return { kind: 'bias' };
      if (input !== 1) return null;
      const transB = (node.attribute ?? []).find((a) => a.name === 'transB');
      return { kind: 'dense', orientation: Number(transB?.i ?? 0) === 1 ? 'out-in' : 'in-out' };
    }
    case 'Conv':
      // W is (M out, C/group in, kH, kW): PyTorch's layout
      return input === 1 ? { kind: 'conv', orientation: 'out-in' } : input === 2 ? { kind: 'bias' } : null;
    case 'ConvTranspose':
      return input === 1 ? { kind: 'conv.transpose' } : input === 2 ? { kind: 'bias' } : null;
    case 'Gather':
      return input === 0 ? { kind: 'embedding' } : null;
    case 'Add':
      return { kind: 'bias' };
    case 'Mul':
    case 'Div':
      return { kind: 'norm' };
    default:
      return NORM_OPS.has(op) && input > 0 ? { kind: 'norm' } : null;
  }
}

function firstConsumer(nodes: NodeProto[]): Map<string, number> {
  const first = new Map<string, number>();
  nodes.forEach((node, k) => (node.input ?? []).forEach((name) => first.has(name) || first.set(name, k)));
  return first;
}

// ---------------------------------------------------------------------------------------------
// protobuf structure

/** The fields of the message in bytes [start, end); a field running past `end` is reported as truncation. */
function fields(bytes: Uint8Array, start: number, end: number, where: (m: string) => UserError): Field[] {
  const reader = protobuf.Reader.create(bytes);
  reader.pos = start;
  reader.len = end;
  const out: Field[] = [];
  try {
    while (reader.pos < end) {
      const fieldStart = reader.pos;
      const tag = reader.uint32();
      const field = tag >>> 3;
      const wire = tag & 7;
      if (field === 0 || wire === 3 || wire === 4 || wire > 5) {
        throw where(`not protobuf (invalid field tag ${tag} at byte ${fieldStart}): is it an .onnx file?`);
      }
      const lenStart = reader.pos;
      if (wire === 2) {
        const len = reader.uint32();
        const valueStart = reader.pos;
        if (valueStart + len > end) {
          throw where(`truncated or corrupt: field ${field} at byte ${fieldStart} needs ${len} bytes, only ${end - valueStart} remain`);
        }
        reader.pos = valueStart + len;
        out.push({ field, wire, start: fieldStart, lenStart, valueStart, end: valueStart + len });
      } else {
        reader.skipType(wire);
        out.push({ field, wire, start: fieldStart, lenStart, valueStart: lenStart, end: reader.pos });
      }
    }
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw where(`truncated or corrupt protobuf near byte ${reader.pos} (${(err as Error).message})`);
  }
  return out;
}

function locate(
  bytes: Uint8Array, tensor: TensorProto, name: string, dtype: TensorDType, frames: Field[], root: string, base: string, where: (m: string) => UserError,
): Located {
  const shape = tensorDims(tensor, name, where);
  const count = shape.reduce((a, b) => a * b, 1);
  const tensorField = frames[frames.length - 1];
  const own = fields(bytes, tensorField.valueStart, tensorField.end, where);
  const located = { name, dtype, shape, count, frames };
  const expectBytes = count * BYTES[dtype];

  if (tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    const { file, location, offset, length } = externalRef(tensor, name, shape, root, base, where);
    return { ...located, storage: { kind: 'external', file, location, offset, length } };
  }
  const raw = own.find((f) => f.field === TENSOR_RAW_DATA && f.wire === 2);
  if (raw) {
    if (raw.end - raw.valueStart !== expectBytes) {
      throw where(`tensor '${name}' has ${raw.end - raw.valueStart} bytes of raw data, shape [${shape}] of ${dtype} needs ${expectBytes}`);
    }
    return { ...located, storage: { kind: 'raw', field: raw } };
  }
  const typed: Record<TensorDType, [number, 'float_data' | 'double_data' | 'int32_data', number]> = {
    F32: [TENSOR_FLOAT_DATA, 'float_data', tensor.floatData.length],
    F64: [TENSOR_DOUBLE_DATA, 'double_data', tensor.doubleData.length],
    F16: [TENSOR_INT32_DATA, 'int32_data', tensor.int32Data.length],
    BF16: [TENSOR_INT32_DATA, 'int32_data', tensor.int32Data.length],
  };
  const [fieldNo, kind, have] = typed[dtype];
  if (have !== count) throw where(`tensor '${name}' holds ${have} values, shape [${shape}] needs ${count}`);
  const packed = own.filter((f) => f.field === fieldNo);
  // count 0: an empty tensor; several or unpacked fields: readable, but not spliced back
  const field = packed.length === 1 && packed[0].wire === 2 ? packed[0] : { field: fieldNo, wire: -1, start: -1, lenStart: -1, valueStart: -1, end: -1 };
  return { ...located, storage: { kind, field } };
}

function decodeValues(bytes: Uint8Array, l: Located, dir: string): Float32Array | Float64Array {
  const s = l.storage;
  let raw: Uint8Array;
  if (s.kind === 'external') {
    if (inputPathKind(s.file) === null) throw new UserError(`missing external data: '${s.location}' of tensor '${l.name}' is gone from ${dir}`);
    const buf = readInputFile(s.file, 'external data file', { offset: s.offset, length: s.length });
    raw = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  } else if (s.kind === 'int32_data') {
    const t = onnx.TensorProto.decode(bytes.subarray(l.frames[l.frames.length - 1].valueStart, l.frames[l.frames.length - 1].end));
    const bits = Uint16Array.from(t.int32Data, (v) => v & 0xffff);
    raw = new Uint8Array(bits.buffer);
  } else if (s.field.wire === 2) {
    raw = bytes.subarray(s.field.valueStart, s.field.end);
  } else {
    const t = onnx.TensorProto.decode(bytes.subarray(l.frames[l.frames.length - 1].valueStart, l.frames[l.frames.length - 1].end));
    return l.dtype === 'F64' ? Float64Array.from(t.doubleData) : Float32Array.from(t.floatData);
  }
  return decodeDtype(l.dtype, raw);
}

// ---------------------------------------------------------------------------------------------
// writing

interface Edit {
  start: number;
  end: number;
  bytes: Uint8Array;
}

function writeOnnx(
  path: string, bytes: Uint8Array, located: Map<string, Located>, out: string, replaced: ReadonlyMap<string, Float32Array | Float64Array>,
): void {
  const edits: Edit[] = [];
  const frames = new Map<number, Field>();
  const external = new Map<string, { location: string; edits: Edit[] }>();
  for (const l of located.values()) {
    if (l.storage.kind === 'external') {
      const key = l.storage.file;
      if (!external.has(key)) external.set(key, { location: l.storage.location, edits: [] });
    }
  }
  for (const [name, values] of replaced) {
    const l = located.get(name);
    if (!l) throw new UserError(`cannot write '${name}': ${path} has no float tensor of that name`);
    if (values.length !== l.count) throw new UserError(`cannot write '${name}': shape [${l.shape}] holds ${l.count} values, got ${values.length}`);
    const s = l.storage;
    if (s.kind === 'external') {
      external.get(s.file)!.edits.push({ start: s.offset, end: s.offset + s.length, bytes: encodeValues(l.dtype, values) });
      continue;
    }
    if (s.field.wire !== 2) throw new UserError(`cannot write '${name}': its ${s.kind} is not stored as one packed field`);
    const data = s.kind === 'int32_data' ? packedVarints(encodeValues(l.dtype, values)) : encodeValues(l.dtype, values);
    edits.push({ start: s.field.valueStart, end: s.field.end, bytes: data });
    for (const f of [...l.frames, s.field]) frames.set(f.lenStart, f);
  }
  // Check every external file before writing anything, so a refusal leaves nothing half-done.
  const outDir = dirname(resolve(out));
  const externalWrites: [string, Uint8Array][] = [];
  for (const [file, { location, edits: fileEdits }] of external) {
    // Written inside --out's folder only, whatever the name says (a symlink there leads nowhere else either).
    const target = confinedOutputPath(outDir, location, `external data '${location}' of ${basename(out)}`);
    if (target === file || sameFile(target, file)) {
      if (fileEdits.length > 0) {
        throw new UserError(`writing ${basename(out)} beside ${path} would overwrite its external data '${location}': write to another folder`);
      }
      continue;
    }
    externalWrites.push([target, splice(readInputFile(file, 'external data file'), [], fileEdits)]);
  }
  const model = splice(bytes, [...frames.values()], edits);
  for (const [target, data] of externalWrites) writeFileAtomic(target, data);
  writeFileAtomic(out, model);
}

/** uint16 little-endian pairs as a packed run of varints (int32_data holds F16/BF16 bits). */
function packedVarints(le16: Uint8Array): Uint8Array {
  const w = protobuf.Writer.create();
  for (let i = 0; i < le16.length; i += 2) w.uint32(le16[i] | (le16[i + 1] << 8));
  return w.finish();
}

function varint(n: number): Uint8Array {
  return protobuf.Writer.create().uint32(n).finish();
}

/**
 * Replace disjoint byte ranges of a protobuf message and rewrite the length prefixes of the
 * length-delimited fields (`frames`) that contain them. A frame's new length is its old one plus
 * every size change positioned inside it (edits, and the length prefixes of frames inside it),
 * so frames are sized innermost first.
 */
export function splice(bytes: Uint8Array, frames: Field[], edits: Edit[]): Uint8Array {
  if (edits.length === 0) return bytes;
  const inner = [...frames].sort((a, b) => a.end - a.valueStart - (b.end - b.valueStart));
  const prefixes: Edit[] = [];
  for (const f of inner) {
    let delta = 0;
    for (const e of edits) if (e.start >= f.valueStart && e.end <= f.end) delta += e.bytes.length - (e.end - e.start);
    for (const p of prefixes) if (p.start >= f.valueStart && p.end <= f.end) delta += p.bytes.length - (p.end - p.start);
    prefixes.push({ start: f.lenStart, end: f.valueStart, bytes: varint(f.end - f.valueStart + delta) });
  }
  const all = [...edits, ...prefixes].sort((a, b) => a.start - b.start);
  const size = bytes.length + all.reduce((s, e) => s + e.bytes.length - (e.end - e.start), 0);
  const out = new Uint8Array(size);
  let from = 0;
  let to = 0;
  for (const e of all) {
    out.set(bytes.subarray(from, e.start), to);
    to += e.start - from;
    out.set(e.bytes, to);
    to += e.bytes.length;
    from = e.end;
  }
  out.set(bytes.subarray(from), to);
  return out;
}
