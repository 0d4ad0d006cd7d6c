/**
 * Opening a FER CPPN from disk: `<name>.npz` (arrays `layer_00` … `layer_NN`, float32, [in, out],
 * no biases) plus the `<name>.cppn.json` description beside it (data/fer/README.md). Every size
 * the description declares is bounded and every array's shape checked against it before the
 * weights are decoded; a missing, corrupt or mismatched sidecar is one line naming the file.
 */
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { UserError } from '../core/errors.js';
import { readJsonFile } from '../core/io.js';
import type { LayerRecord } from '../core/layer.js';
import { readNpz } from '../formats/npz.js';
import { cppnLayerShapes, makeCppn, parseCppnDescription, type Cppn, type CppnSpec } from './cppn.js';

/** The description file that belongs to an `.npz`: `picbreeder_skull.npz` → `picbreeder_skull.cppn.json`. */
export function cppnSidecarPath(npzPath: string): string {
  if (!/\.npz$/i.test(npzPath)) throw new UserError(`${npzPath}: a CPPN's weights are an .npz file`);
  return npzPath.replace(/\.npz$/i, '.cppn.json');
}

/** Whether an `.npz` has a CPPN description beside it (what tells a CPPN from any other npz). */
export function hasCppnSidecar(npzPath: string): boolean {
  if (!/\.npz$/i.test(npzPath)) return false;
  try {
    return statSync(cppnSidecarPath(npzPath)).isFile();
  } catch {
    return false;
  }
}

/** Read and check the description beside an `.npz` (errors name the sidecar). */
export function readCppnSidecar(npzPath: string): CppnSpec {
  const sidecar = cppnSidecarPath(npzPath);
  let exists = true;
  try {
    statSync(sidecar);
  } catch {
    exists = false;
  }
  if (!exists) throw new UserError(`${npzPath}: no CPPN description beside it (expected ${sidecar})`);
  const json = readJsonFile(sidecar, 'CPPN description');
  try {
    return parseCppnDescription(json);
  } catch (err) {
    if (err instanceof UserError) throw new UserError(`${sidecar}: ${err.message}`);
    throw err;
  }
}

/** The layer array names of a CPPN with `count` weight layers: layer_00, layer_01, … */
export function cppnLayerNames(count: number): string[] {
  const digits = Math.max(2, String(count - 1).length);
  return Array.from({ length: count }, (_, k) => `layer_${String(k).padStart(digits, '0')}`);
}

/**
 * Open a FER CPPN: the `.npz` weights checked against the description beside them. The network's
 * name is the file's base name (`picbreeder_skull`).
 */
export function openCppn(npzPath: string): Cppn {
  const spec = readCppnSidecar(npzPath);
  let st;
  try {
    st = statSync(npzPath);
  } catch {
    throw new UserError(`CPPN weights not found: ${npzPath}`);
  }
  if (!st.isFile()) throw new UserError(`${npzPath} is not a regular file; expected the CPPN's .npz weights`);
  const file = readNpz(npzPath);
  const shapes = cppnLayerShapes(spec);
  const names = cppnLayerNames(shapes.length);
  const byName = new Map(file.tensors.map((t) => [t.name, t]));
  const extra = file.tensors.find((t) => !names.includes(t.name));
  if (extra) throw new UserError(`${npzPath}: unexpected array '${extra.name}' (a CPPN with arch '${spec.archString}' has ${names[0]} … ${names[names.length - 1]})`);
  const layers = names.map((name, k): LayerRecord => {
    const t = byName.get(name);
    if (!t) throw new UserError(`${npzPath}: no array '${name}' (arch '${spec.archString}' needs ${names.length} layers, ${names[0]} … ${names[names.length - 1]})`);
    const [r, c] = shapes[k];
    if (t.shape.length !== 2 || t.shape[0] !== r || t.shape[1] !== c) {
      throw new UserError(`${npzPath}: array '${name}' has shape (${t.shape.join(', ')}) but arch '${spec.archString}' needs (${r}, ${c})`);
    }
    // Shapes agree with the bounded description, so decoding allocates at most what it declared.
    const values = t.values();
    const weights = values instanceof Float32Array ? values : Float32Array.from(values);
    return { name, weights, shape: [r, c], bias: null };
  });
  try {
    return makeCppn(spec, layers, basename(npzPath).replace(/\.npz$/i, ''));
  } catch (err) {
    if (err instanceof UserError) throw new UserError(`${npzPath}: ${err.message}`);
    throw err;
  }
}
