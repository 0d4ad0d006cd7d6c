/** Where a model file is written back: the same kind of path as it came from (file extension, or a folder of shards). */
import { existsSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { UserError } from '../../core/errors.js';
import type { ModelFile } from '../../formats/index.js';

export function writeBackPath(file: ModelFile, out: string): string {
  const fromFolder = existsSync(file.path) && statSync(file.path).isDirectory();
  if (fromFolder || file.path.toLowerCase().endsWith('.index.json')) {
    if (extname(out) !== '') throw new UserError(`--out ${out}: ${file.path} is a folder of shards, so --out must name a folder`);
    return out;
  }
  const ext = extname(file.path).toLowerCase();
  if (extname(out).toLowerCase() !== ext) throw new UserError(`--out ${out}: the model is written back in its own format, so --out must end in ${ext}`);
  return out;
}
