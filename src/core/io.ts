/**
 * The one place that writes files. Every output is written to a temporary file beside its
 * destination and renamed into place, so an interrupted run never leaves a half-written file.
 */
import {
  mkdirSync, renameSync, writeFileSync, openSync, writeSync, closeSync, fsyncSync, rmSync, appendFileSync, constants as fsConstants,
  statSync, fstatSync, readFileSync, readSync, readdirSync, rmdirSync, truncateSync, lstatSync, realpathSync, mkdtempSync, type Stats,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, basename, isAbsolute, join, relative, resolve, sep, win32 } from 'node:path';
import { UserError } from './errors.js';

let counter = 0;
function tempPathFor(path: string): string {
  removeStaleTemps(path);
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${counter++}`);
}

/**
 * Remove the temp files of `path` that a killed process left (`.<name>.tmp-<pid>-<n>` of a pid that
 * no longer runs): a write killed mid-way leaves at most its temp file, and the next write of the
 * same file removes it, so nothing is left behind for good.
 */
function removeStaleTemps(path: string): void {
  const dir = dirname(path);
  const prefix = `.${basename(path)}.tmp-`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(\d+)-\d+$/.exec(name.slice(prefix.length));
    if (m && Number(m[1]) !== process.pid && !pidAlive(Number(m[1]))) rmSync(join(dir, name), { force: true });
  }
}

/**
 * Write a set of files that belong together (a table as CSV + JSON + HTML; an array and its text)
 * so that, killed at any moment, it leaves either the complete set or a set marked incomplete:
 * `marker` is written first (saying which files are being written), each file is then written
 * atomically by `write`, and the marker is removed last. A set whose marker is there is
 * incomplete; before the marker is written nothing has changed.
 */
export function writeFileSet<T>(marker: string, files: string[], write: () => T): T {
  writeFileAtomic(marker, `INCOMPLETE: weightscope (process ${process.pid}, ${new Date().toISOString()}) was writing ${files.map((f) => basename(f)).join(', ')} here and did not finish; they do not belong together. Run the command again.\n`);
  const result = write();
  try {
    rmSync(marker, { force: true });
  } catch (err) {
    throw asUserError(err, marker, 'cannot remove');
  }
  return result;
}

/** Temp files of writeFileAtomic / writeChunksAtomic (`.<name>.tmp-<pid>-<n>`): what a killed run leaves. */
const TEMP_FILE = /^\..+\.tmp-\d+-\d+$/;

/** Atomically write text or bytes to `path`, creating parent folders. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  ensureDir(dirname(path));
  const tmp = tempPathFor(path);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw asUserError(err, path, 'cannot write');
  }
}

/** Atomically write a value as pretty JSON. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

/**
 * Atomically write a large text file produced piece by piece (CSV edge lists of big layers),
 * without building the whole string in memory.
 */
export function writeChunksAtomic(path: string, chunks: Iterable<string>): void {
  ensureDir(dirname(path));
  const tmp = tempPathFor(path);
  let fd: number;
  try {
    fd = openSync(tmp, 'w');
  } catch (err) {
    throw asUserError(err, path, 'cannot write');
  }
  try {
    let buf = '';
    for (const c of chunks) {
      buf += c;
      if (buf.length > 1 << 20) {
        writeSync(fd, buf);
        buf = '';
      }
    }
    if (buf) writeSync(fd, buf);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
  } catch (err) {
    try { closeSync(fd); } catch { /* already closed */ }
    rmSync(tmp, { force: true });
    throw asUserError(err, path, 'cannot write');
  }
}

/**
 * Append whole lines to a log file (results.jsonl). Each call appends complete lines in one
 * write, so a crash can at worst lose the last line, never split one; readers skip a torn tail.
 */
export function appendLines(path: string, lines: string[]): void {
  if (lines.length === 0) return;
  ensureDir(dirname(path));
  try {
    appendFileSync(path, lines.join('\n') + '\n');
  } catch (err) {
    throw asUserError(err, path, 'cannot append to');
  }
}

// ---------------------------------------------------------------------------------------------
// Filesystem errors are user errors: a path the user named that is missing, a folder where a file
// belongs, no permission, a read-only or virtual file system. Each becomes one line naming the
// path and the reason, never a stack trace.

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder, not a file',
  EEXIST: 'it already exists',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many levels of symbolic links',
  EMFILE: 'too many open files',
  EBUSY: 'the file is busy',
  EIO: 'input/output error',
  EINVAL: 'the file system does not allow this',
  EXDEV: 'cannot move across file systems',
};

/** True for the errors Node's fs calls raise (they carry an errno `code` and a `syscall`). */
export function isSystemError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && typeof (err as NodeJS.ErrnoException).syscall === 'string';
}

/** A failed fs call as a one-line UserError (`<action> <path>: <reason>`); other errors pass through unchanged. */
export function asUserError(err: unknown, path?: string, action = 'cannot access'): Error {
  if (err instanceof UserError || !isSystemError(err)) return err as Error;
  const code = err.code!;
  const where = path ?? err.path ?? '';
  return new UserError(`${action} ${where}: ${REASONS[code] ?? code.toLowerCase()} (${code})`);
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw asUserError(err, path);
  }
}

/**
 * `mkdir -p` that always ends: Node's `mkdirSync(p, { recursive: true })` loops forever where the
 * kernel answers ENOENT for a folder whose parent exists (procfs, sysfs), so this walks up to the
 * nearest existing ancestor itself and creates each missing folder with a plain mkdir. Returns the
 * folders it created, outermost first.
 */
export function ensureDir(path: string): string[] {
  const abs = resolve(path);
  const missing: string[] = [];
  let p = abs;
  for (;;) {
    const st = statOrNull(p);
    if (st) {
      if (!st.isDirectory()) {
        throw new UserError(p === abs ? `${path} is a file, not a folder` : `cannot create folder ${path}: ${p} is a file, not a folder`);
      }
      break;
    }
    missing.push(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  missing.reverse();
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && statOrNull(dir)?.isDirectory()) continue; // made meanwhile by another process
      if (code === 'ENOENT') throw new UserError(`cannot create folder ${dir}: the file system at ${dirname(dir)} does not allow new folders`);
      throw asUserError(err, dir, 'cannot create folder');
    }
  }
  return missing;
}

/**
 * Check, before any work, that `path` can serve as an output folder: it is (or can be made) a
 * folder and a file can be written in it. Folders made for the check are removed again, so a
 * command that fails later leaves nothing behind.
 */
export function checkOutputDir(path: string): void {
  const created = ensureDir(path);
  const probe = join(resolve(path), `.weightscope-write-test-${process.pid}`);
  try {
    writeFileSync(probe, '', { flag: 'wx' });
    rmSync(probe, { force: true });
  } catch (err) {
    throw asUserError(err, path, 'cannot write in folder');
  } finally {
    for (const dir of created.reverse()) {
      try { rmdirSync(dir); } catch { /* not empty or gone: leave it */ }
    }
  }
}

/** Check, before any work, that `path` can be written as a file: not a folder or device, in a writable folder. */
export function checkOutputFile(path: string): void {
  if (/[/\\]$/.test(path)) throw new UserError(`${path} names a folder; expected a file name`);
  const st = statOrNull(path);
  if (st?.isDirectory()) throw new UserError(`${path} is a folder; expected a file name`);
  if (st && !st.isFile()) throw new UserError(`${path} is not a regular file (a device, pipe or socket); choose a file name`);
  checkOutputDir(dirname(path));
}

/**
 * Read a file the user named, or a model file names (shards, external data, weights beside a
 * model.json): every such read goes through here. Only regular files: a folder, a device
 * (/dev/zero), a FIFO or a socket would fail deep inside a reader or never end, so it is refused
 * from its stat before it is opened, and again from the opened descriptor (opened non-blocking, so
 * a FIFO swapped in between cannot block the open either). `what` names the file in messages
 * ("model file", …). With `range`, only those bytes are read (a file shorter than the range is an
 * error: it changed while being read, or a reader trusted a size it should not have).
 */
export function readInputFile(path: string, what = 'file', range?: { offset: number; length: number }): Buffer {
  const size = inputFileSize(path, what);
  const offset = range?.offset ?? 0;
  // Read the size stat reports, no more: kernel files (/proc, /sys) report 0 or a page and some
  // (/proc/kmsg) block forever when read to their end.
  const length = range?.length ?? size;
  if (range && (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0)) {
    throw new UserError(`${path}: byte range ${offset}…${offset + length} is not a range of non-negative integers`);
  }
  if (range && offset + length > size) throw new UserError(`${path}: needs bytes ${offset}…${offset + length} but the ${what} has ${size}`);
  let fd: number | undefined;
  try {
    fd = openSync(path, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0) | (fsConstants.O_NOCTTY ?? 0));
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UserError(`${path} is not a regular file (a device, pipe or socket); expected a ${what}`);
    if (!range && st.size !== size) throw new UserError(`${path} changed while being read (its size changed)`);
    const buf = Buffer.allocUnsafeSlow(length); // its own ArrayBuffer: readers view it at offset 0
    let at = 0;
    while (at < length) {
      const n = readSync(fd, buf, at, length - at, offset + at);
      if (n === 0) break;
      at += n;
    }
    if (range && at < length) throw new UserError(`${path} changed while being read (shorter than before)`);
    return buf.subarray(0, at);
  } catch (err) {
    throw asUserError(err, path, 'cannot read');
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** What is at a path a user or a model file named: a regular `file`, a `folder`, `other` (device, pipe, …) or null. */
export function inputPathKind(path: string): 'file' | 'folder' | 'other' | null {
  const st = statOrNull(path);
  return !st ? null : st.isDirectory() ? 'folder' : st.isFile() ? 'file' : 'other';
}

/** The size of a file readInputFile would read (the same checks: it exists and is a regular file). */
export function inputFileSize(path: string, what = 'file'): number {
  const st = statOrNull(path);
  if (!st) throw new UserError(`${what} not found: ${path}`);
  if (st.isDirectory()) throw new UserError(`${path} is a folder; expected a ${what}`);
  if (!st.isFile()) throw new UserError(`${path} is not a regular file (a device, pipe or socket); expected a ${what}`);
  return st.size;
}

// ---------------------------------------------------------------------------------------------
// Confinement: a model file may name other files (shards, external data, weight files), but only
// files inside its own root. The decision is made on real paths (every symlink resolved), with a
// path-separator-aware test, never a string prefix: `/m-evil/w.bin` is not inside `/m`.

/** True when `path` is `root` itself or lies below it (both absolute, already resolved). */
export function isInsideFolder(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

function realpathOrNull(path: string): string | null {
  try {
    return realpathSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw asUserError(err, path);
  }
}

/** `models--org--name` folders of the Hugging Face hub cache (also datasets and spaces). */
const HF_CACHE_REPO = /^(models|datasets|spaces)--/;

/**
 * The folder whose files a model may read, as a real path: the model's own folder (the folder
 * itself for a folder model), or, for a file of the Hugging Face cache layout
 * `<cache>/models--org--name/snapshots/<rev>/…`, the `models--org--name` folder (snapshot files
 * are symlinks to `../../blobs/<sha>`). Decided from the path as given, before symlinks are
 * followed, since a snapshot's file itself resolves into blobs/.
 */
export function modelRoot(modelPath: string): string {
  const abs = resolve(modelPath);
  let dir = inputPathKind(abs) === 'folder' ? abs : dirname(abs);
  const parts = dir.split(sep);
  const snapshots = parts.lastIndexOf('snapshots');
  if (snapshots >= 1 && snapshots < parts.length - 1 && HF_CACHE_REPO.test(parts[snapshots - 1])) dir = parts.slice(0, snapshots).join(sep) || sep;
  const real = realpathOrNull(dir);
  if (!real) throw new UserError(`no folder at ${dir}`);
  return real;
}

/**
 * Resolve a file name found inside a model file (`name`, relative to `base`, the folder of the file
 * that names it) and check that it stays inside `root` (see modelRoot) once every symlink is
 * resolved. Returns its real path; anything else is a UserError naming `what` and the name.
 * Absolute names, NUL bytes and names that lead outside (`../x`, a sibling folder `m-evil` of `m`,
 * a symlink to anywhere else) are refused.
 */
export function confinedPath(root: string, base: string, name: string, what: string, missing?: () => Error): string {
  if (typeof name !== 'string' || name === '') throw new UserError(`${what}: the model names a file with an empty name`);
  if (name.includes('\0')) throw new UserError(`${what} ${JSON.stringify(name)}: a file name with a NUL byte`);
  if (isAbsolute(name) || win32.isAbsolute(name)) {
    throw new UserError(`${what} '${name}' is an absolute path: a model may name only files inside its own folder (${root})`);
  }
  const candidate = resolve(base, name);
  const real = realpathOrNull(candidate);
  if (real === null) {
    if (!isInsideFolder(candidate, root)) throw new UserError(`${what} '${name}' points outside the model's folder (${root}): refused`);
    throw missing?.() ?? new UserError(`${what} '${name}' is missing (looked for ${candidate})`);
  }
  if (!isInsideFolder(real, root) || real === root) {
    throw new UserError(`${what} '${name}' points outside the model's folder (${root})${real !== candidate ? ` through a symlink, to ${real}` : ''}: refused`);
  }
  return real;
}

/**
 * Where a file named by a model (`name`, e.g. an ONNX external-data location) is written when the
 * model is written to folder `outDir`: inside it, or a UserError. Checked lexically and on the real
 * path of every part that exists already, so a symlink in the output folder cannot redirect it.
 */
export function confinedOutputPath(outDir: string, name: string, what: string): string {
  if (typeof name !== 'string' || name === '' || name.includes('\0') || isAbsolute(name) || win32.isAbsolute(name)) {
    throw new UserError(`${what}: ${JSON.stringify(name)} is not a relative file name; refused`);
  }
  const dir = resolve(outDir);
  const target = resolve(dir, name);
  if (!isInsideFolder(target, dir) || target === dir) throw new UserError(`${what} would be written outside ${dir}: refused`);
  const realDir = realpathOrNull(dir) ?? dir;
  for (let p = target; ; p = dirname(p)) {
    const real = realpathOrNull(p);
    if (real !== null) {
      if (!isInsideFolder(real, realDir)) throw new UserError(`${what} would be written outside ${dir} (through a symlink, to ${real}): refused`);
      break;
    }
    if (p === dir || dirname(p) === p) break;
  }
  return target;
}

/** True when both paths exist and are the same file (same device and inode, whatever the links). */
export function sameFile(a: string, b: string): boolean {
  const sa = statOrNull(a);
  const sb = statOrNull(b);
  return sa !== null && sb !== null && sa.dev === sb.dev && sa.ino === sb.ino;
}

/** Read and parse a JSON file; a missing or corrupt one is one line naming the file. */
export function readJsonFile(path: string, what = 'JSON file'): unknown {
  const text = readInputFile(path, what).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UserError(`${path} is not valid JSON (${(err as Error).message.split('\n')[0]}): the ${what} is corrupt; fix or delete it`);
  }
}

/**
 * A temporary folder under the system's temp dir, named `<prefix>-<pid>-…`, and the function that
 * removes it. Folders of the same prefix left by processes that no longer run (killed before they
 * could clean up) are removed first, so none is left behind for good.
 */
export function makeTempDir(prefix: string): { dir: string; remove: () => void } {
  const base = tmpdir();
  const own = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d+)-`);
  try {
    for (const name of readdirSync(base)) {
      const m = own.exec(name);
      if (m && Number(m[1]) !== process.pid && !pidAlive(Number(m[1]))) rmSync(join(base, name), { recursive: true, force: true });
    }
  } catch {
    /* an unreadable temp dir: nothing to sweep */
  }
  let dir: string;
  try {
    dir = mkdtempSync(join(base, `${prefix}-${process.pid}-`));
  } catch (err) {
    throw asUserError(err, base, 'cannot create a folder in');
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Remove temp files (see writeFileAtomic) that a killed process left anywhere under `dir`; returns their paths. */
export function removeTempFiles(dir: string): string[] {
  const removed: string[] = [];
  const walk = (d: string): void => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const name of names) {
      const p = join(d, name);
      const st = lstatSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && (TEMP_FILE.test(name) || name.startsWith('.weightscope-write-test-'))) {
        rmSync(p, { force: true });
        removed.push(p);
      }
    }
  };
  walk(dir);
  return removed;
}

/**
 * Make a line-per-record log end on a complete line: a process killed during appendLines can leave
 * a torn last line, and the next append would glue a good line onto it. Drops the torn tail (rows
 * before it keep their order); returns the number of bytes dropped.
 */
export function repairTornTail(path: string): number {
  const st = statOrNull(path);
  if (!st || st.size === 0) return 0;
  const bytes = readInputFile(path);
  if (bytes[bytes.length - 1] === 0x0a) return 0;
  const keep = bytes.lastIndexOf(0x0a) + 1;
  try {
    truncateSync(path, keep);
  } catch (err) {
    throw asUserError(err, path, 'cannot repair');
  }
  return bytes.length - keep;
}

interface LockRecord {
  pid: number;
  host: string;
  started: string;
}

/** Whether a process of this id runs on this machine (a lock's or a temp file's owner). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/** A lock whose writer has not finished writing it (or wrote garbage) counts as held for this long. */
const UNREADABLE_LOCK_GRACE_MS = 10_000;

/**
 * Take the lock on a folder (a `.weightscope.lock` file holding pid and host), so two processes
 * never write the same run folder. A lock held by a live process is a UserError naming its PID;
 * one left by a process that no longer runs (killed) is taken over. Returns the release function
 * (also run at exit).
 */
export function lockDir(dir: string): () => void {
  ensureDir(dir);
  const path = join(dir, '.weightscope.lock');
  const me: LockRecord = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(path, JSON.stringify(me) + '\n', { flag: 'wx' });
      let held = true;
      const release = (): void => {
        if (!held) return;
        held = false;
        process.off('exit', release);
        rmSync(path, { force: true });
      };
      process.on('exit', release);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw asUserError(err, path, 'cannot create lock file');
    }
    let holder: LockRecord | null = null;
    try {
      const o = JSON.parse(readFileSync(path, 'utf8')) as LockRecord;
      if (Number.isInteger(o.pid) && o.pid > 0 && typeof o.host === 'string') holder = o;
    } catch {
      /* torn or removed meanwhile */
    }
    if (holder) {
      if (holder.host !== me.host) {
        throw new UserError(`${dir} is locked by process ${holder.pid} on host ${holder.host} (${path}); if no weightscope runs there, delete the lock file`);
      }
      if (holder.pid === process.pid || pidAlive(holder.pid)) {
        throw new UserError(`${dir} is in use by process ${holder.pid} (lock ${path}, since ${holder.started}); wait for it to finish or stop it (if that process is not weightscope, delete the lock file)`);
      }
    } else {
      const st = statOrNull(path);
      if (st && Date.now() - st.mtimeMs < UNREADABLE_LOCK_GRACE_MS) {
        throw new UserError(`${dir} is being locked by another process (${path}); try again in a few seconds`);
      }
    }
    rmSync(path, { force: true }); // stale: its process is gone
  }
  throw new UserError(`cannot lock ${dir}: other processes keep taking the lock (${path})`);
}
