/**
 * NumPy `.npz` archives (what `np.savez` / `np.savez_compressed` write): a zip of `.npy` arrays,
 * read with fflate. Writing with nothing replaced copies the archive byte for byte; writing with
 * replacements re-zips it (same entry names, order and compression, fixed timestamps), each
 * replaced array keeping its `.npy` header, dtype and memory order.
 */
import { existsSync } from 'node:fs';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { UserError } from '../core/errors.js';
import { readInputFile, writeFileAtomic } from '../core/io.js';
import { encodeValues } from './dtype.js';
import { fortranToC, npyValues, parseNpyLayout } from './npy.js';
import type { ModelFile, RawTensor } from './types.js';

/** Unzip an archive, remembering each entry's compression method (0 stored, 8 deflated). */
export function unzipEntries(path: string, bytes: Uint8Array): { name: string; data: Uint8Array; compression: number }[] {
  const compression = new Map<string, number>();
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter: (f) => {
        compression.set(f.name, f.compression);
        return true;
      },
    });
  } catch (err) {
    throw new UserError(`${path} is not a readable zip archive (${(err as Error).message})`);
  }
  return Object.entries(files).map(([name, data]) => ({ name, data, compression: compression.get(name) ?? 8 }));
}

/** Zip entries back (deterministic: fixed timestamps, each entry's own compression). */
export function zipEntries(entries: { name: string; data: Uint8Array; compression: number }[]): Uint8Array {
  const files: Zippable = {};
  for (const e of entries) files[e.name] = [e.data, { level: e.compression === 0 ? 0 : 6, mtime: new Date(1980, 0, 1) }];
  return zipSync(files);
}

export function readNpz(path: string): ModelFile {
  if (!existsSync(path)) throw new UserError(`no file at ${path}`);
  const bytes = new Uint8Array(readInputFile(path, '.npz file'));
  const entries = unzipEntries(path, bytes);
  const tensors: RawTensor[] = [];
  const layouts = new Map<string, { entry: (typeof entries)[number]; layout: ReturnType<typeof parseNpyLayout> }>();
  for (const entry of entries) {
    if (!entry.name.endsWith('.npy')) continue;
    const name = entry.name.slice(0, -4);
    let layout;
    try {
      layout = parseNpyLayout(entry.data);
    } catch (err) {
      if (err instanceof UserError) throw new UserError(`${path}: array '${name}': ${err.message}`);
      throw err;
    }
    layouts.set(name, { entry, layout });
    tensors.push({ name, dtype: layout.dtype, shape: layout.shape, values: () => npyValues(entry.data, layout) });
  }
  if (tensors.length === 0) throw new UserError(`${path}: the archive holds no .npy arrays`);
  return {
    format: 'npz',
    path,
    tensors,
    write(out, replaced) {
      for (const name of replaced.keys()) if (!layouts.has(name)) throw new UserError(`cannot replace array '${name}': ${path} has no such array`);
      if (replaced.size === 0) {
        writeFileAtomic(out, bytes);
        return;
      }
      const rewritten = entries.map((entry) => {
        const name = entry.name.slice(0, -4);
        const values = entry.name.endsWith('.npy') ? replaced.get(name) : undefined;
        if (!values) return entry;
        const { layout } = layouts.get(name)!;
        const ordered = layout.fortranOrder ? fortranToC(values, layout.shape, true) : values;
        const encoded = encodeValues(layout.dtype, ordered);
        if (encoded.length !== layout.dataEnd - layout.dataStart) {
          throw new UserError(`array '${name}': ${values.length} replacement values do not fit its shape (${layout.shape.join(', ')})`);
        }
        const data = entry.data.slice();
        data.set(encoded, layout.dataStart);
        return { ...entry, data };
      });
      writeFileAtomic(out, zipEntries(rewritten));
    },
  };
}
