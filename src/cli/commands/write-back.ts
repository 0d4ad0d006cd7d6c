/** Where a model is written back in its own format: the same kind of path as it came from (file extension, or a folder of shards / a tagger folder). */
import { extname } from 'node:path';
import { UserError } from '../../core/errors.js';
import { inputPathKind } from '../../core/io.js';

export function writeBackPath(model: { path: string }, out: string, otherwise?: string): string {
  const fromFolder = inputPathKind(model.path) === 'folder';
  if (fromFolder || model.path.toLowerCase().endsWith('.index.json')) {
    if (extname(out) !== '') throw new UserError(`--out ${out}: ${model.path} is a folder, so --out must name a folder${otherwise ? ` (or ${otherwise})` : ''}`);
    return out;
  }
  const ext = extname(model.path).toLowerCase();
  if (extname(out).toLowerCase() !== ext) throw new UserError(`--out ${out}: the model is written back in its own format, so --out must end in ${ext}${otherwise ? ` (or ${otherwise})` : ''}`);
  return out;
}
