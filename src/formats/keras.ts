/**
 * Keras 3 `.keras` files: a zip (read through the bounded zip reader, zip.ts: only `config.json`
 * and `model.weights.h5` are inflated) of the config and the HDF5 weights, read and written with
 * h5wasm. Layer variables sit at `layers/<name>/vars/<k>` (nested models and MultiHeadAttention
 * sub-layers one group deeper); `config.json` gives each layer's class, hence the tensor's kind.
 * Keras kernels are (in, out). The 3-D EinsumDense kernels of MultiHeadAttention — query/key/value
 * (d, heads, head_dim) and output (heads, head_dim, d) — are exposed as the 2-D matrices they are,
 * (d, heads·head_dim) and (heads·head_dim, d).
 *
 * HDF5 runs in a sandbox: h5wasm's portable build, whose file system is in memory (emscripten's
 * MEMFS), holds the weights file and nothing else, so no HDF5 feature that names another file
 * (external links, external storage, virtual datasets) can reach the disk, and no temporary
 * folder is made. Those features are refused by name besides; soft links and a group linked
 * twice (a cycle) are refused; nesting and object counts are bounded; each dataset's declared size
 * is checked against the file before it is read, and only the variables under `layers/` are
 * read, one at a time, when asked for. HDF5's own diagnostics become one line.
 */
import { bound, checkBound, isOutOfMemory, outOfMemoryError } from '../core/bounds.js';
import { UserError } from '../core/errors.js';
import { inputPathKind, readInputFile, writeFileAtomic } from '../core/io.js';
import { openZip, zipEntries } from './zip.js';
import type { ModelFile, RawTensor, TensorDType, TensorHint } from './types.js';

/**
 * The emscripten module prints its own diagnostics with the console.error it finds when it loads
 * (a failed start prints two lines before it rejects): it is loaded with a console.error that
 * keeps them, so the user sees one line. Its HDF5 errors are exceptions carrying the error stack
 * (activate_throwing_error_handler), never printed.
 */
const diagnostics: string[] = [];
const consoleError = console.error;
console.error = (...args: unknown[]): void => {
  diagnostics.push(args.map(String).join(' ').slice(0, 1000));
  if (diagnostics.length > 20) diagnostics.shift();
};
let h5wasm: typeof import('h5wasm').default;
let H5: Awaited<typeof import('h5wasm').default.ready>;
try {
  h5wasm = (await import('h5wasm')).default;
  H5 = await h5wasm.ready;
  H5.activate_throwing_error_handler();
} catch (err) {
  const cause = isOutOfMemory(err) ? err : new Error(diagnostics.find((d) => /memory/i.test(d)) ?? String((err as Error)?.message ?? err));
  if (isOutOfMemory(cause)) throw outOfMemoryError('HDF5 (h5wasm, WebAssembly), the Keras weights reader', 19_333_120, cause);
  throw err;
} finally {
  console.error = consoleError;
}

const WEIGHTS = 'model.weights.h5';
type H5Group = InstanceType<typeof h5wasm.Group>;

/** A file of the sandbox, removed again when `f` returns. `own`: HDF5 works on these very bytes (reading only). */
let sandboxFiles = 0;
function inSandbox<T>(bytes: Uint8Array, own: boolean, f: (path: string) => T): T {
  const path = `/weights-${sandboxFiles++}.h5`;
  // canOwn: MEMFS keeps a view of these bytes instead of a copy (emscripten's FS.writeFile option, not in its types).
  (H5.FS.writeFile as (p: string, d: Uint8Array, o: { canOwn: boolean }) => void)(path, bytes, { canOwn: own });
  try {
    return f(path);
  } finally {
    H5.FS.unlink(path);
  }
}

/** One line from an HDF5 error stack: its innermost message ("truncated file: eof = 1500, …"). */
export function hdf5Reason(err: unknown): string {
  const text = String((err as Error)?.message ?? err);
  const lines = [...text.matchAll(/#\d+: .*? in ([\w.]+)\(\): (.*)$/gm)];
  const last = lines[lines.length - 1];
  if (!last) return text.split('\n')[0].slice(0, 200);
  return /H5D__efl|H5O__efl|external/i.test(text) && !/truncated/.test(last[2]) ? `${last[2]} (external storage)` : last[2];
}

function hdf5Error(where: string, what: string, err: unknown): UserError {
  if (err instanceof UserError) return err;
  const reason = hdf5Reason(err);
  if (/external raw data file|\(external storage\)/.test(reason)) return new UserError(`${where}: ${what}: it keeps its data in an external file (HDF5 external storage), which weightscope refuses: a model reads only its own file`);
  return new UserError(`${where}: ${what} (HDF5: ${reason})`);
}

/** Layer classes → kind of their kernel; the other variables of a known layer are its bias or norm parameters. */
const CLASS_KINDS: Record<string, string> = {
  Dense: 'dense', EinsumDense: 'dense', Embedding: 'embedding',
  Conv1D: 'conv', Conv2D: 'conv', Conv3D: 'conv', Conv1DTranspose: 'conv', Conv2DTranspose: 'conv', DepthwiseConv2D: 'conv', SeparableConv2D: 'conv',
};
const NORM_CLASSES = /Normalization$/;
const MHA_PARTS: Record<string, string> = { query: 'attention.q', key: 'attention.k', value: 'attention.v', attention_output: 'attention.o' };

/** Every layer config `{class_name, config: {name}}` in config.json, by name (nesting past 256 levels is not looked into). */
function layerClasses(config: unknown): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (x: unknown, depth: number): void => {
    if (depth > 256) return;
    if (Array.isArray(x)) x.forEach((y) => walk(y, depth + 1));
    else if (x && typeof x === 'object') {
      const o = x as Record<string, unknown>;
      const name = (o.config as Record<string, unknown> | undefined)?.name;
      if (typeof o.class_name === 'string' && typeof name === 'string' && !out.has(name)) out.set(name, o.class_name);
      Object.values(o).forEach((y) => walk(y, depth + 1));
    }
  };
  walk(config, 0);
  return out;
}

interface KerasVar {
  name: string;
  path: string;
  dtype: TensorDType;
  storedShape: number[];
  shape: number[];
  hint: TensorHint;
}

function dtypeOf(meta: { type: number; size: number; littleEndian: boolean }): TensorDType | null {
  if (meta.type !== 1 || !meta.littleEndian) return null; // H5T_FLOAT, little-endian
  return meta.size === 4 ? 'F32' : meta.size === 8 ? 'F64' : null;
}

/** What a name in a group is, without following it: a group, a dataset, a soft or an external link, or something else. */
function linkKind(file: H5Group, path: string): 'group' | 'dataset' | 'soft' | 'external' | 'other' {
  if (file.get_link(path) !== null) return 'soft';
  const type = file.get_type(path);
  return type === H5.H5G_GROUP ? 'group' : type === H5.H5G_DATASET ? 'dataset' : type === H5.H5G_UDLINK ? 'external' : 'other';
}

/**
 * The float variables under `layers/` (their metadata only: names, shapes, dtypes, hints), checked:
 * no soft or external link, no group reached twice (a cycle), no virtual dataset, nesting and the
 * number of objects bounded, every declared size within the file and the tensor bound.
 */
function readVars(file: InstanceType<typeof h5wasm.File>, classes: Map<string, string>, where: string, fileBytes: number): KerasVar[] {
  const vars: KerasVar[] = [];
  if (linkKind(file, '/layers') !== 'group') throw new UserError(`${where}: ${WEIGHTS} has no 'layers' group (not Keras 3 weights)`);
  const maxDepth = bound('hdf5Depth');
  const maxObjects = bound('hdf5Objects');
  const visited = new Map<string, string>(); // object token → the first path it was reached by
  let objects = 0;
  const refuse = (path: string, kind: string): never => {
    const what: Record<string, string> = {
      soft: 'a soft link (weightscope follows no links in a weights file)',
      external: 'an external link to another file (refused: a model reads only its own file)',
      other: 'neither a group nor a dataset',
    };
    throw new UserError(`${where}: ${WEIGHTS}: '${path}' is ${what[kind] ?? kind}`);
  };
  const walk = (group: H5Group, path: string, layerName: string, parentClass: string | undefined, depth: number): void => {
    if (depth > maxDepth) throw new UserError(`${where}: ${WEIGHTS}: groups nested deeper than ${maxDepth} levels at '${path}' (a cycle, or raise WEIGHTSCOPE_MAX_HDF5_DEPTH)`);
    const token = Buffer.from(group.create_reference().ref_data).toString('hex');
    const seen = visited.get(token);
    if (seen !== undefined) throw new UserError(`${where}: ${WEIGHTS}: group '${path}' is '${seen}' linked again (a group cycle or a shared group)`);
    visited.set(token, path);
    const cls = classes.get(layerName) ?? parentClass;
    for (const key of group.keys()) {
      if (++objects > maxObjects) throw new UserError(`${where}: ${WEIGHTS}: more than ${maxObjects} objects (raise WEIGHTSCOPE_MAX_HDF5_OBJECTS if you mean it)`);
      const childPath = `${path}/${key}`;
      const kind = linkKind(file, `/${childPath}`);
      if (kind !== 'group' && kind !== 'dataset') refuse(childPath, kind);
      if (kind !== 'group') continue;
      const child = file.get(`/${childPath}`) as H5Group;
      if (key !== 'vars') {
        walk(child, childPath, key, cls, depth + 1);
        continue;
      }
      for (const k of child.keys().sort((a, b) => Number(a) - Number(b))) {
        const varPath = `${childPath}/${k}`;
        if (++objects > maxObjects) throw new UserError(`${where}: ${WEIGHTS}: more than ${maxObjects} objects`);
        const varKind = linkKind(file, `/${varPath}`);
        if (varKind === 'group') continue; // not a variable: never read
        if (varKind !== 'dataset') refuse(varPath, varKind);
        const ds = file.get(`/${varPath}`) as InstanceType<typeof h5wasm.Dataset>;
        const meta = ds.metadata;
        if (meta.virtual_sources) throw new UserError(`${where}: ${WEIGHTS}: '${varPath}' is a virtual dataset (its data lives in other files: refused)`);
        const dtype = dtypeOf(meta);
        if (!dtype) continue; // integer counters (e.g. a seed generator state) are not weights
        const storedShape = meta.shape ?? [];
        if (storedShape.some((n) => !Number.isSafeInteger(n) || n < 0)) throw new UserError(`${where}: ${WEIGHTS}: '${varPath}' has shape [${storedShape}]`);
        // Declared sizes are checked before anything is allocated: against the bound, and (for data
        // stored as is) against the bytes the file has.
        const need = storedShape.reduce((a, b) => a * b, 1) * meta.size;
        checkBound('tensorBytes', need, `${where}: ${WEIGHTS}: dataset '${varPath}' of shape [${storedShape.join(', ')}]`);
        if (!meta.chunks && need > fileBytes) {
          throw new UserError(`${where}: ${WEIGHTS}: dataset '${varPath}' of shape [${storedShape.join(', ')}] needs ${need} bytes but the file has ${fileBytes}`);
        }
        if (meta.chunks) checkBound('zipRatio', Math.ceil(need / Math.max(1, fileBytes)), `${where}: ${WEIGHTS}: dataset '${varPath}' (compressed): its size over the file's`);
        // One element read now: a dataset whose data HDF5 cannot reach (external storage, a broken
        // chunk index) is refused when the model is opened, not when a command gets to it.
        if (storedShape.every((n) => n > 0)) {
          try {
            ds.slice(storedShape.map(() => [0, 1] as [number, number]));
          } catch (err) {
            throw hdf5Error(where, `${WEIGHTS}: dataset '${varPath}' cannot be read`, err);
          }
        }
        let shape = storedShape;
        const hint: TensorHint = { layer: path.replace(/^layers\//, '') };
        const layerClass = classes.get(layerName);
        const mhaPart = parentClass === 'MultiHeadAttention' ? MHA_PARTS[layerName.replace(/_dense$/, '')] : undefined;
        if (k === '0' && mhaPart && storedShape.length === 3) {
          shape = mhaPart === 'attention.o' ? [storedShape[0] * storedShape[1], storedShape[2]] : [storedShape[0], storedShape[1] * storedShape[2]];
          hint.kind = mhaPart;
        } else if (k === '0' && layerClass && CLASS_KINDS[layerClass]) hint.kind = CLASS_KINDS[layerClass];
        else if (mhaPart || (layerClass && CLASS_KINDS[layerClass])) hint.kind = 'bias';
        else if (layerClass && NORM_CLASSES.test(layerClass)) hint.kind = 'norm';
        if (mhaPart && k === '1' && storedShape.length === 2) shape = [storedShape[0] * storedShape[1]]; // per-head bias
        hint.orientation = 'in-out';
        vars.push({ name: varPath, path: varPath, dtype, storedShape, shape, hint });
      }
    }
  };
  walk(file.get('/layers') as H5Group, 'layers', '', undefined, 0);
  // HDF5 lists groups alphabetically: put layers back in config order (q, k, v, o inside attention).
  const order = [...classes.keys()];
  const rank = (v: KerasVar): number[] => {
    const parts = v.path.split('/');
    const top = order.indexOf(parts[1]);
    const mha = Object.keys(MHA_PARTS).indexOf(parts[2]?.replace(/_dense$/, '') ?? '');
    return [top < 0 ? order.length : top, mha];
  };
  const ranked = vars.map((v, i) => ({ v, r: [...rank(v), i] }));
  ranked.sort((a, b) => a.r[0] - b.r[0] || a.r[1] - b.r[1] || a.r[2] - b.r[2]);
  return ranked.map((x) => x.v);
}

/** One variable's values, read from the weights (in the sandbox) when asked for. */
function readVar(h5: Uint8Array, v: KerasVar, where: string): Float32Array | Float64Array {
  return inSandbox(h5, true, (p) => {
    let file: InstanceType<typeof h5wasm.File> | undefined;
    try {
      file = new h5wasm.File(p, 'r');
      const value = (file.get(`/${v.path}`) as InstanceType<typeof h5wasm.Dataset>).value;
      if (!(value instanceof Float32Array || value instanceof Float64Array)) throw new UserError(`${where}: ${WEIGHTS}: '${v.path}' did not read as floats`);
      return value;
    } catch (err) {
      throw hdf5Error(where, `${WEIGHTS}: dataset '${v.path}' cannot be read`, err);
    } finally {
      file?.close();
    }
  });
}

export function readKeras(path: string): ModelFile {
  if (inputPathKind(path) === null) throw new UserError(`no file at ${path}`);
  const bytes = new Uint8Array(readInputFile(path, '.keras file'));
  const zip = openZip(path, bytes);
  const weightsEntry = zip.find(WEIGHTS);
  if (!weightsEntry) throw new UserError(`${path}: no ${WEIGHTS} in the archive (a .keras file without weights)`);
  const configEntry = zip.find('config.json');
  let config: unknown = null;
  if (configEntry) {
    checkBound('jsonBytes', configEntry.originalSize, `${path}: config.json`);
    try {
      config = JSON.parse(new TextDecoder().decode(zip.read(configEntry)));
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw new UserError(`${path}: config.json is not JSON`);
    }
  }
  const h5 = zip.read(weightsEntry);
  const magic = [0x89, 0x48, 0x44, 0x46];
  if (magic.some((b, i) => h5[i] !== b)) throw new UserError(`${path}: ${WEIGHTS} is not an HDF5 file`);
  const vars = inSandbox(h5, true, (p) => {
    let file: InstanceType<typeof h5wasm.File> | undefined;
    try {
      file = new h5wasm.File(p, 'r');
      return readVars(file, layerClasses(config), path, h5.length);
    } catch (err) {
      throw hdf5Error(path, `${WEIGHTS} is not a readable HDF5 file`, err);
    } finally {
      try { file?.close(); } catch { /* a file that failed to open has nothing to close */ }
    }
  });
  const tensors: RawTensor[] = vars.map((v) => ({ name: v.name, dtype: v.dtype, shape: v.shape, hint: v.hint, values: () => readVar(h5, v, path) }));
  return {
    format: 'keras',
    path,
    tensors,
    write(out, replaced) {
      for (const name of replaced.keys()) if (!vars.some((v) => v.name === name)) throw new UserError(`cannot replace '${name}': ${path} has no such variable`);
      if (replaced.size === 0) {
        writeFileAtomic(out, bytes);
        return;
      }
      // A copy of the weights in the sandbox, changed there, read back and zipped with the other entries.
      const rewritten = inSandbox(h5, false, (p) => {
        const file = new h5wasm.File(p, 'a');
        try {
          for (const v of vars) {
            const values = replaced.get(v.name);
            if (!values) continue;
            const ds = file.get(`/${v.path}`) as InstanceType<typeof h5wasm.Dataset>;
            const data = v.dtype === 'F64' ? Float64Array.from(values) : Float32Array.from(values);
            ds.write_slice(v.storedShape.map((n) => [0, n] as [number, number]), data);
          }
        } catch (err) {
          throw hdf5Error(path, `cannot write ${WEIGHTS}`, err);
        } finally {
          file.close();
        }
        return H5.FS.readFile(p);
      });
      writeFileAtomic(out, zipEntries(zip.entries.map((e) => ({ name: e.name, data: e === weightsEntry ? rewritten : zip.read(e), compression: e.compression }))));
    },
  };
}
