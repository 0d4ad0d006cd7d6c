/**
 * Zip archives from strangers (.npz, .keras), read with fflate under bounds: the entry count, each
 * entry's and all entries' uncompressed size, and each entry's compression ratio are checked from
 * the central directory before anything is inflated (src/core/bounds.ts), and entries are inflated
 * one at a time, only those a reader asks for, into a buffer of their declared size (fflate writes
 * nothing past it), so a 1 MB archive can never make weightscope allocate 4 GB.
 */
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { bound, boundMessage, checkBound } from '../core/bounds.js';
import { UserError } from '../core/errors.js';

export interface ZipEntry {
  name: string;
  /** Position in the central directory. */
  index: number;
  /** Compressed bytes. */
  size: number;
  /** Uncompressed bytes, as declared. */
  originalSize: number;
  /** 0 stored, 8 deflated. */
  compression: number;
}

export interface ZipArchive {
  path: string;
  entries: ZipEntry[];
  /** The first entry of this name, if any (a name given twice is an error). */
  find(name: string): ZipEntry | undefined;
  /** Inflate one entry (checked: its declared size, its method). */
  read(entry: ZipEntry): Uint8Array;
}

/** Entries at most this large are exempt from the ratio bound: a small zero array compresses 1000× honestly. */
const RATIO_EXEMPT_BYTES = 1 << 20;

/** List an archive's entries (nothing inflated) and check them against the bounds. */
export function openZip(path: string, bytes: Uint8Array): ZipArchive {
  const entries: ZipEntry[] = [];
  const maxEntries = bound('zipEntries');
  try {
    unzipSync(bytes, {
      filter: (f) => {
        if (entries.length >= maxEntries) throw new UserError(`${path}: ${boundMessage('zipEntries', entries.length + 1, 'entries in the archive (at least)')}`);
        entries.push({ name: f.name, index: entries.length, size: f.size, originalSize: f.originalSize, compression: f.compression });
        return false;
      },
    });
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${path} is not a readable zip archive (${(err as Error).message})`);
  }
  let total = 0;
  for (const e of entries) {
    const where = `${path}: entry '${e.name}'`;
    if (!Number.isSafeInteger(e.originalSize) || !Number.isSafeInteger(e.size) || e.originalSize < 0 || e.size < 0) throw new UserError(`${where} declares no valid size`);
    checkBound('zipEntryBytes', e.originalSize, `${where}: uncompressed size`);
    total += e.originalSize;
    checkBound('zipBytes', total, `${path}: uncompressed size of the entries`);
    if (e.originalSize > RATIO_EXEMPT_BYTES) checkBound('zipRatio', Math.round(e.originalSize / Math.max(1, e.size)), `${where}: compression ratio (a zip bomb?)`);
  }
  const byName = new Map<string, ZipEntry>();
  const twice = new Set<string>();
  for (const e of entries) {
    if (byName.has(e.name)) twice.add(e.name);
    else byName.set(e.name, e);
  }
  return {
    path,
    entries,
    find(name) {
      if (twice.has(name)) throw new UserError(`${path}: the archive holds two entries named '${name}'`);
      return byName.get(name);
    },
    read(entry) {
      const where = `${path}: entry '${entry.name}'`;
      if (entry.compression !== 0 && entry.compression !== 8) throw new UserError(`${where} uses compression method ${entry.compression}; weightscope reads stored and deflated entries`);
      if (entry.compression === 0 && entry.size !== entry.originalSize) throw new UserError(`${where} is stored uncompressed but declares ${entry.size} and ${entry.originalSize} bytes`);
      let k = 0;
      let files: Record<string, Uint8Array>;
      try {
        // fflate inflates a chosen entry into a buffer of its declared size (checked above) and no further.
        files = unzipSync(bytes, { filter: () => k++ === entry.index });
      } catch (err) {
        throw new UserError(`${where} cannot be inflated (${(err as Error).message}): the archive is corrupt`);
      }
      const data = Object.prototype.hasOwnProperty.call(files, entry.name) ? files[entry.name] : undefined;
      if (!data || data.length !== entry.originalSize) {
        throw new UserError(`${where} holds ${data?.length ?? 0} bytes but declares ${entry.originalSize}: the archive is corrupt or truncated`);
      }
      return data;
    },
  };
}

/** Zip entries back (deterministic: fixed timestamps, each entry's own compression). */
export function zipEntries(entries: { name: string; data: Uint8Array; compression: number }[]): Uint8Array {
  const files: Zippable = {};
  for (const e of entries) files[e.name] = [e.data, { level: e.compression === 0 ? 0 : 6, mtime: new Date(1980, 0, 1) }];
  return zipSync(files);
}
