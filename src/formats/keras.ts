/**
 * Keras 3 `.keras` files: a zip (read with fflate) of `config.json` and `model.weights.h5`, the
 * HDF5 weights read and written with h5wasm. Layer variables sit at `layers/<name>/vars/<k>`
 * (nested models and MultiHeadAttention sub-layers one group deeper); `config.json` gives each
 * layer's class, hence the tensor's kind. Keras kernels are (in, out). The 3-D EinsumDense kernels
 * of MultiHeadAttention — query/key/value (d, heads, head_dim) and output (heads, head_dim, d) — are
 * exposed as the 2-D matrices they are, (d, heads·head_dim) and (heads·head_dim, d).
 *
 * h5wasm starts asynchronously, so this module is loaded by `preloadFormats` (the CLI calls it
 * before parsing) and registers its reader then.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { UserError } from '../core/errors.js';
import { readInputFile, writeFileAtomic } from '../core/io.js';
import { unzipEntries, zipEntries } from './npz.js';
import type { ModelFile, RawTensor, TensorDType, TensorHint } from './types.js';

await h5wasm.ready;

const WEIGHTS = 'model.weights.h5';

/** Layer classes → kind of their kernel; the other variables of a known layer are its bias or norm parameters. */
const CLASS_KINDS: Record<string, string> = {
  Dense: 'dense', EinsumDense: 'dense', Embedding: 'embedding',
  Conv1D: 'conv', Conv2D: 'conv', Conv3D: 'conv', Conv1DTranspose: 'conv', Conv2DTranspose: 'conv', DepthwiseConv2D: 'conv', SeparableConv2D: 'conv',
};
const NORM_CLASSES = /Normalization$/;
const MHA_PARTS: Record<string, string> = { query: 'attention.q', key: 'attention.k', value: 'attention.v', attention_output: 'attention.o' };

/** Every layer config `{class_name, config: {name}}` in config.json, by name. */
function layerClasses(config: unknown): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === 'object') {
      const o = x as Record<string, unknown>;
      const name = (o.config as Record<string, unknown> | undefined)?.name;
      if (typeof o.class_name === 'string' && typeof name === 'string' && !out.has(name)) out.set(name, o.class_name);
      Object.values(o).forEach(walk);
    }
  };
  walk(config);
  return out;
}

interface KerasVar {
  name: string;
  path: string;
  dtype: TensorDType;
  storedShape: number[];
  shape: number[];
  hint: TensorHint;
  values: Float32Array | Float64Array;
}

function dtypeOf(meta: { type: number; size: number; littleEndian: boolean }): TensorDType | null {
  if (meta.type !== 1 || !meta.littleEndian) return null; // H5T_FLOAT, little-endian
  return meta.size === 4 ? 'F32' : meta.size === 8 ? 'F64' : null;
}

function readVars(h5path: string, classes: Map<string, string>, where: string): KerasVar[] {
  const file = new h5wasm.File(h5path, 'r');
  const vars: KerasVar[] = [];
  try {
    const root = file.get('layers');
    if (!(root instanceof h5wasm.Group)) throw new UserError(`${where}: ${WEIGHTS} has no 'layers' group (not Keras 3 weights)`);
    const walk = (group: InstanceType<typeof h5wasm.Group>, path: string, layerName: string, parentClass: string | undefined): void => {
      const cls = classes.get(layerName) ?? parentClass;
      for (const key of group.keys()) {
        const child = group.get(key);
        if (!(child instanceof h5wasm.Group)) continue;
        const childPath = `${path}/${key}`;
        if (key !== 'vars') {
          walk(child, childPath, key, cls);
          continue;
        }
        for (const k of child.keys().sort((a, b) => Number(a) - Number(b))) {
          const ds = child.get(k);
          if (!(ds instanceof h5wasm.Dataset)) continue;
          const dtype = dtypeOf(ds.metadata);
          if (!dtype) continue; // integer counters (e.g. a seed generator state) are not weights
          const storedShape = ds.shape ?? [];
          const value = ds.value as Float32Array | Float64Array;
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
          vars.push({ name: `${childPath}/${k}`, path: `${childPath}/${k}`, dtype, storedShape, shape, hint, values: value });
        }
      }
    };
    walk(root, 'layers', '', undefined);
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
    vars.splice(0, vars.length, ...ranked.map((x) => x.v));
  } finally {
    file.close();
  }
  return vars;
}

export function readKeras(path: string): ModelFile {
  if (!existsSync(path)) throw new UserError(`no file at ${path}`);
  const bytes = new Uint8Array(readInputFile(path, '.keras file'));
  const entries = unzipEntries(path, bytes);
  const weights = entries.find((e) => e.name === WEIGHTS);
  if (!weights) throw new UserError(`${path}: no ${WEIGHTS} in the archive (a .keras file without weights)`);
  const configEntry = entries.find((e) => e.name === 'config.json');
  let config: unknown = null;
  if (configEntry) {
    try {
      config = JSON.parse(new TextDecoder().decode(configEntry.data));
    } catch {
      throw new UserError(`${path}: config.json is not JSON`);
    }
  }
  const tmp = mkdtempSync(join(tmpdir(), 'weightscope-keras-'));
  let vars: KerasVar[];
  try {
    const h5 = join(tmp, WEIGHTS);
    writeFileSync(h5, weights.data);
    const magic = [0x89, 0x48, 0x44, 0x46];
    if (magic.some((b, i) => weights.data[i] !== b)) throw new UserError(`${path}: ${WEIGHTS} is not an HDF5 file`);
    vars = readVars(h5, layerClasses(config), path);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const tensors: RawTensor[] = vars.map((v) => ({ name: v.name, dtype: v.dtype, shape: v.shape, hint: v.hint, values: () => v.values.slice() }));
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
      const dir = mkdtempSync(join(tmpdir(), 'weightscope-keras-'));
      try {
        const h5 = join(dir, WEIGHTS);
        writeFileSync(h5, weights.data);
        const file = new h5wasm.File(h5, 'a');
        try {
          for (const v of vars) {
            const values = replaced.get(v.name);
            if (!values) continue;
            const ds = file.get(v.path) as InstanceType<typeof h5wasm.Dataset>;
            const data = v.dtype === 'F64' ? Float64Array.from(values) : Float32Array.from(values);
            ds.write_slice(v.storedShape.map((n) => [0, n] as [number, number]), data);
          }
        } finally {
          file.close();
        }
        const rewritten = new Uint8Array(readFileSync(h5));
        writeFileAtomic(out, zipEntries(entries.map((e) => (e === weights ? { ...e, data: rewritten } : e))));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
