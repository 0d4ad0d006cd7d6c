/**
 * The tagger on disk (docs/transformer.md): a folder with
 *   transformer.json  {format: 'weightscope-transformer', version: 2, config, tensors: [{name, shape}], tags}
 *   weights.bin       the tensors' float32 values, little-endian, concatenated in the listed order
 *   model.json        the same tagger in the tfjs layers format (tfjs-layers.ts): its topology, and a
 *                     weight manifest that reads weights.bin (tfjs names, same bytes)
 *   vocab.json        {words: [...], suffixes: [...], lexicon: {word: tag index}}: word/suffix id k+1 is
 *                     entry k, id 0 the unknown bucket; the lexicon's input id is 1 + tag index, 0 if absent
 * Tensor names: `<layer>/kernel` ([nIn, nOut] row-major, the layer record's layout), `<layer>/bias`,
 * `<norm>/gamma`, `<norm>/beta`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../core/errors.js';
import { readInputFile, writeFileAtomic, writeJsonAtomic } from '../../core/io.js';
import type { Vocabulary } from '../../data/brown.js';
import { isTaggerFolder, readTaggerFolder, TAGGER_FILE as TRANSFORMER_FILE, TAGGER_FORMAT_VERSION as TRANSFORMER_FORMAT_VERSION, TAGGER_WEIGHTS } from '../../formats/tagger.js';
import { checkConfig, initTransformer, type TransformerConfig, type TransformerModel } from './model.js';
import { parameterTensors as tensorsOf } from './tensors.js';
import { LAYERS_MODEL_FILE, taggerModelJson } from './tfjs-layers.js';

export { TAGGER_FILE as TRANSFORMER_FILE, TAGGER_FORMAT_VERSION as TRANSFORMER_FORMAT_VERSION } from '../../formats/tagger.js';
const WEIGHTS_FILE = TAGGER_WEIGHTS;

/** vocab.json's content (the format above). */
export function vocabularyJson(vocab: Vocabulary): { words: string[]; suffixes: string[]; lexicon: Record<string, number> } {
  const list = (m: Map<string, number>) => [...m].sort((a, b) => a[1] - b[1]).map(([w]) => w);
  return { words: list(vocab.words), suffixes: list(vocab.suffixes), lexicon: Object.fromEntries(vocab.lexicon) };
}

/** Read vocab.json back (the inverse of vocabularyJson); a malformed file gets one line. */
export function readVocabulary(dir: string): Vocabulary {
  const path = join(dir, 'vocab.json');
  if (!existsSync(path)) throw new UserError(`${dir} holds no vocab.json (the tagger's vocabulary)`);
  let raw: { words?: unknown; suffixes?: unknown; lexicon?: unknown };
  try {
    raw = JSON.parse(readInputFile(path, 'vocab.json').toString('utf8'));
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${path} is not valid JSON`);
  }
  const isList = (x: unknown): x is string[] => Array.isArray(x) && x.every((w) => typeof w === 'string');
  if (!isList(raw.words) || !isList(raw.suffixes) || typeof raw.lexicon !== 'object' || raw.lexicon === null) {
    throw new UserError(`${path} needs words and suffixes (lists of strings) and lexicon (word → tag index)`);
  }
  const ids = (list: string[]) => new Map(list.map((w, k) => [w, k + 1]));
  return { words: ids(raw.words), suffixes: ids(raw.suffixes), lexicon: new Map(Object.entries(raw.lexicon as Record<string, number>)) };
}

export function saveTransformer(dir: string, model: TransformerModel, extra: { tags: readonly string[]; vocab?: Vocabulary }): void {
  const tensors = tensorsOf(model);
  const total = tensors.reduce((s, t) => s + t.data.length, 0);
  const all = new Float32Array(total);
  let o = 0;
  for (const t of tensors) {
    all.set(t.data, o);
    o += t.data.length;
  }
  writeFileAtomic(join(dir, WEIGHTS_FILE), new Uint8Array(all.buffer));
  // the tfjs layers format: its manifest describes weights.bin as it is (no second copy of the bytes)
  writeJsonAtomic(join(dir, LAYERS_MODEL_FILE), taggerModelJson(model.config, tensors.map((t) => t.spec), WEIGHTS_FILE));
  if (extra.vocab) {
    writeJsonAtomic(join(dir, 'vocab.json'), vocabularyJson(extra.vocab));
  }
  // written last: its presence marks a complete model folder
  writeJsonAtomic(join(dir, TRANSFORMER_FILE), { format: 'weightscope-transformer', version: TRANSFORMER_FORMAT_VERSION, config: model.config, tags: extra.tags, tensors: tensors.map((t) => t.spec) });
}

export function isTransformerDir(path: string): boolean {
  return isTaggerFolder(path);
}

/** The tagger of a folder: its tensors read by src/formats/tagger.ts, checked against the configuration it lists. */
export function loadTransformer(dir: string): { model: TransformerModel; tags: string[] } {
  const folder = readTaggerFolder(dir);
  const path = join(dir, TRANSFORMER_FILE);
  const config = folder.config as TransformerConfig;
  checkConfig(config);
  const model = initTransformer(config, 0);
  const expected = tensorsOf(model);
  if (expected.length !== folder.values.length) throw new UserError(`${path}: ${folder.values.length} tensors listed, the config needs ${expected.length}`);
  expected.forEach((t, k) => {
    const spec = folder.values[k];
    if (spec.name !== t.spec.name || spec.shape.join('x') !== t.spec.shape.join('x')) {
      throw new UserError(`${path}: tensor ${k} is '${spec.name}' [${spec.shape}], expected '${t.spec.name}' [${t.spec.shape}]`);
    }
    t.data.set(spec.data);
  });
  for (const l of model.layers) {
    const bad = l.weights.findIndex((w) => !Number.isFinite(w));
    if (bad >= 0) throw new UserError(`layer '${l.name}': weight ${bad} is ${l.weights[bad]} (weights must be finite)`);
  }
  return { model, tags: folder.tags };
}
