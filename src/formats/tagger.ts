/**
 * A saved transformer tagger folder (`weightscope transformer`, docs/transformer.md) as a tensor
 * file: `transformer.json` lists the tensors (`<layer>/kernel` [nIn, nOut], `<layer>/bias`,
 * `<norm>/gamma`, `<norm>/beta`) whose float32 values `weights.bin` holds back to back. This reader
 * checks the folder's structure (format, version, names, shapes, sizes); building the model to run
 * it (the configuration) is src/model/transformer/files.ts, which reads through here. Written back
 * as a folder: weights.bin with the replaced tensors, every other file copied byte for byte.
 */
import { join } from 'node:path';
import { UserError } from '../core/errors.js';
import { inputPathKind, readInputFile, writeFileAtomic } from '../core/io.js';
import type { ModelFile, RawTensor, TensorHint } from './types.js';

export const TAGGER_FILE = 'transformer.json';
export const TAGGER_WEIGHTS = 'weights.bin';
/** 2: the lexicon input (embed.lexicon) was added; version-1 folders cannot be read. */
export const TAGGER_FORMAT_VERSION = 2;
/** Files of a tagger folder besides weights.bin, copied as they are when it is written back. */
const COPIED = ['model.json', 'vocab.json', TAGGER_FILE];

export interface TaggerFolder extends ModelFile {
  format: 'tagger';
  /** transformer.json's `config` (checked by the model when it builds the tagger) and `tags`. */
  config: unknown;
  tags: string[];
  /** The listed tensors in order, each a view of weights.bin. */
  values: { name: string; shape: number[]; data: Float32Array }[];
}

export function isTaggerFolder(path: string): boolean {
  return inputPathKind(path) === 'folder' && inputPathKind(join(path, TAGGER_FILE)) === 'file';
}

/** What the tagger's layer names say about each kernel (its layers are named by the model, docs/transformer.md). */
function hintOf(layer: string): TensorHint {
  const kind = layer.startsWith('embed.')
    ? 'embedding'
    : /\.attn\.[qkvo]$/.test(layer)
      ? `attention.${layer.slice(-1)}`
      : /\.ffn\.(in|out)$/.test(layer)
        ? `ffn.${layer.slice(layer.lastIndexOf('.') + 1)}`
        : 'dense';
  return { kind, orientation: 'in-out', layer };
}

export function readTaggerFolder(dir: string): TaggerFolder {
  const path = join(dir, TAGGER_FILE);
  if (inputPathKind(path) === null) throw new UserError(`${dir} holds no ${TAGGER_FILE}`);
  let meta: { format?: string; version?: number; config?: unknown; tags?: unknown; tensors?: unknown };
  try {
    meta = JSON.parse(readInputFile(path, TAGGER_FILE).toString('utf8'));
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${path} is not valid JSON`);
  }
  if (meta.format !== 'weightscope-transformer' || !meta.config || !Array.isArray(meta.tensors)) {
    throw new UserError(`${path} is not a weightscope transformer file (format, config and tensors are required)`);
  }
  if (meta.version !== TAGGER_FORMAT_VERSION) {
    throw new UserError(`${path} is format version ${meta.version}, this weightscope reads version ${TAGGER_FORMAT_VERSION} (retrain the tagger)`);
  }
  const specs = meta.tensors as { name?: unknown; shape?: unknown }[];
  specs.forEach((s, k) => {
    if (typeof s?.name !== 'string' || !Array.isArray(s.shape) || s.shape.some((d) => !Number.isSafeInteger(d) || (d as number) < 0)) {
      throw new UserError(`${path}: tensor ${k} needs a name and a shape of non-negative integers`);
    }
  });
  const weightsPath = join(dir, TAGGER_WEIGHTS);
  const bytes = readInputFile(weightsPath, 'tagger weights');
  const need = specs.reduce((a, s) => a + (s.shape as number[]).reduce((x, y) => x * y, 1), 0);
  if (bytes.length !== need * 4) {
    throw new UserError(`${weightsPath} has ${bytes.length} bytes; the ${specs.length} tensors ${TAGGER_FILE} lists need ${need * 4}`);
  }
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const values: TaggerFolder['values'] = [];
  let o = 0;
  for (const s of specs) {
    const shape = s.shape as number[];
    const n = shape.reduce((a, b) => a * b, 1);
    values.push({ name: s.name as string, shape, data: all.subarray(o, o + n) });
    o += n;
  }
  const tensors: RawTensor[] = values.map((v) => ({
    name: v.name,
    dtype: 'F32',
    shape: v.shape,
    values: () => v.data.slice(),
    ...(v.name.endsWith('/kernel') ? { hint: hintOf(v.name.slice(0, -'/kernel'.length)) } : {}),
  }));
  return {
    format: 'tagger',
    path: dir,
    config: meta.config,
    tags: Array.isArray(meta.tags) ? meta.tags.map(String) : [],
    values,
    tensors,
    write(out, replaced) {
      for (const name of replaced.keys()) if (!values.some((v) => v.name === name)) throw new UserError(`cannot replace '${name}': ${dir} has no tensor of that name`);
      const data = all.slice();
      let at = 0;
      for (const v of values) {
        const r = replaced.get(v.name);
        if (r) {
          if (r.length !== v.data.length) throw new UserError(`cannot write '${v.name}': shape [${v.shape}] holds ${v.data.length} values, got ${r.length}`);
          data.set(r, at);
        }
        at += v.data.length;
      }
      writeFileAtomic(join(out, TAGGER_WEIGHTS), new Uint8Array(data.buffer));
      // transformer.json last: its presence marks a complete tagger folder
      for (const name of COPIED) {
        const from = join(dir, name);
        if (inputPathKind(from) === 'file') writeFileAtomic(join(out, name), readInputFile(from, name));
      }
    },
  };
}
