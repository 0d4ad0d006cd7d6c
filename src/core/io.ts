/**
 * The one place that writes files. Every output is written to a temporary file beside its
 * destination and renamed into place, so an interrupted run never leaves a half-written file.
 */
import { mkdirSync, renameSync, writeFileSync, openSync, writeSync, closeSync, fsyncSync, rmSync, appendFileSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

let counter = 0;
function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${counter++}`);
}

/** Atomically write text or bytes to `path`, creating parent folders. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
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
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const fd = openSync(tmp, 'w');
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
    throw err;
  }
}

/**
 * Append whole lines to a log file (results.jsonl). Each call appends complete lines in one
 * write, so a crash can at worst lose the last line, never split one; readers skip a torn tail.
 */
export function appendLines(path: string, lines: string[]): void {
  if (lines.length === 0) return;
  mkdirSync(dirname(path), { recursive: true });
  appendFileSync(path, lines.join('\n') + '\n');
}
