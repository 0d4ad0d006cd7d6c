/**
 * NumPy `.npz` archives (what `np.savez` / `np.savez_compressed` write): a zip of `.npy` arrays,
 * read through the bounded zip reader (zip.ts): each array is inflated alone, once to read its
 * header when the archive is opened and again when its values are asked for, so at most one array
 * is inflated at a time. Writing with nothing replaced copies the archive byte for byte; writing
 * with replacements re-zips it (same entry names, order and compression, fixed timestamps), each
 * replaced array keeping its `.npy` header, dtype and memory order.
 */
import { UserError } from '../core/errors.js';
import { inputPathKind, readInputFile, writeFileAtomic } from '../core/io.js';
import { encodeValues } from './dtype.js';
import { fortranToC, npyValues, parseNpyLayout, type NpyLayout } from './npy.js';
import { openZip, zipEntries, type ZipEntry } from './zip.js';
import type { ModelFile, RawTensor } from './types.js';

export { zipEntries };

export function readNpz(path: string): ModelFile {
  if (inputPathKind(path) === null) throw new UserError(`no file at ${path}`);
  const bytes = new Uint8Array(readInputFile(path, '.npz file'));
  const zip = openZip(path, bytes);
  const tensors: RawTensor[] = [];
  const layouts = new Map<string, { entry: ZipEntry; layout: NpyLayout }>();
  for (const entry of zip.entries) {
    if (!entry.name.endsWith('.npy')) continue;
    const name = entry.name.slice(0, -4);
    if (layouts.has(name)) throw new UserError(`${path}: the archive holds two arrays named '${name}'`);
    let layout;
    try {
      layout = parseNpyLayout(zip.read(entry));
    } catch (err) {
      if (err instanceof UserError && !err.message.startsWith(path)) throw new UserError(`${path}: array '${name}': ${err.message}`);
      throw err;
    }
    layouts.set(name, { entry, layout });
    tensors.push({ name, dtype: layout.dtype, shape: layout.shape, values: () => npyValues(zip.read(entry), layout) });
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
      const rewritten = zip.entries.map((entry) => {
        const data = zip.read(entry);
        const name = entry.name.slice(0, -4);
        const values = entry.name.endsWith('.npy') ? replaced.get(name) : undefined;
        if (!values) return { name: entry.name, data, compression: entry.compression };
        const { layout } = layouts.get(name)!;
        const ordered = layout.fortranOrder ? fortranToC(values, layout.shape, true) : values;
        const encoded = encodeValues(layout.dtype, ordered);
        if (encoded.length !== layout.dataEnd - layout.dataStart) {
          throw new UserError(`array '${name}': ${values.length} replacement values do not fit its shape (${layout.shape.join(', ')})`);
        }
        data.set(encoded, layout.dataStart);
        return { name: entry.name, data, compression: entry.compression };
      });
      writeFileAtomic(out, zipEntries(rewritten));
    },
  };
}
