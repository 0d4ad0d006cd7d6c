/**
 * The tagger on disk (docs/transformer.md): a folder with
 *   transformer.json  {format: 'weightscope-transformer', version: 1, config, tensors: [{name, shape}], tags}
 *   weights.bin       the tensors' float32 values, little-endian, concatenated in the listed order
 *   vocab.json        {words: [...], suffixes: [...]}: id k+1 is entry k; id 0 the unknown bucket
 * Tensor names: `<layer>/kernel` ([nIn, nOut] row-major, the layer record's layout), `<layer>/bias`,
 * `<norm>/gamma`, `<norm>/beta`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../core/errors.js';
import { writeFileAtomic, writeJsonAtomic } from '../../core/io.js';
import type { Vocabulary } from '../../data/brown.js';
import { checkConfig, initTransformer, type TransformerConfig, type TransformerModel } from './model.js';

export const TRANSFORMER_FILE = 'transformer.json';

interface TensorSpec {
  name: string;
  shape: number[];
}

function tensorsOf(model: TransformerModel): { spec: TensorSpec; data: Float32Array }[] {
  const out: { spec: TensorSpec; data: Float32Array }[] = [];
  for (const l of model.layers) {
    out.push({ spec: { name: `${l.name}/kernel`, shape: [...l.shape] }, data: l.weights });
    if (l.bias) out.push({ spec: { name: `${l.name}/bias`, shape: [l.bias.length] }, data: l.bias });
  }
  for (const n of model.norms) {
    out.push({ spec: { name: `${n.name}/gamma`, shape: [n.gamma.length] }, data: n.gamma });
    out.push({ spec: { name: `${n.name}/beta`, shape: [n.beta.length] }, data: n.beta });
  }
  return out;
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
  writeFileAtomic(join(dir, 'weights.bin'), new Uint8Array(all.buffer));
  if (extra.vocab) {
    const list = (m: Map<string, number>) => [...m].sort((a, b) => a[1] - b[1]).map(([w]) => w);
    writeJsonAtomic(join(dir, 'vocab.json'), { words: list(extra.vocab.words), suffixes: list(extra.vocab.suffixes) });
  }
  // written last: its presence marks a complete model folder
  writeJsonAtomic(join(dir, TRANSFORMER_FILE), { format: 'weightscope-transformer', version: 1, config: model.config, tags: extra.tags, tensors: tensors.map((t) => t.spec) });
}

export function isTransformerDir(path: string): boolean {
  return existsSync(join(path, TRANSFORMER_FILE));
}

export function loadTransformer(dir: string): { model: TransformerModel; tags: string[] } {
  const path = join(dir, TRANSFORMER_FILE);
  if (!existsSync(path)) throw new UserError(`${dir} holds no ${TRANSFORMER_FILE}`);
  let meta: { format?: string; config?: TransformerConfig; tags?: string[]; tensors?: TensorSpec[] };
  try {
    meta = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new UserError(`${path} is not valid JSON`);
  }
  if (meta.format !== 'weightscope-transformer' || !meta.config || !Array.isArray(meta.tensors)) {
    throw new UserError(`${path} is not a weightscope transformer file (format, config and tensors are required)`);
  }
  checkConfig(meta.config);
  const bytes = readFileSync(join(dir, 'weights.bin'));
  const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const model = initTransformer(meta.config, 0);
  const expected = tensorsOf(model);
  if (expected.length !== meta.tensors.length) throw new UserError(`${path}: ${meta.tensors.length} tensors listed, the config needs ${expected.length}`);
  let o = 0;
  expected.forEach((t, k) => {
    const spec = meta.tensors![k];
    if (spec.name !== t.spec.name || spec.shape.join('x') !== t.spec.shape.join('x')) {
      throw new UserError(`${path}: tensor ${k} is '${spec.name}' [${spec.shape}], expected '${t.spec.name}' [${t.spec.shape}]`);
    }
    if (o + t.data.length > values.length) throw new UserError(`${join(dir, 'weights.bin')} is too short for '${spec.name}'`);
    t.data.set(values.subarray(o, o + t.data.length));
    o += t.data.length;
  });
  if (o !== values.length) throw new UserError(`${join(dir, 'weights.bin')} has ${values.length - o} values more than the tensors listed`);
  for (const l of model.layers) {
    const bad = l.weights.findIndex((w) => !Number.isFinite(w));
    if (bad >= 0) throw new UserError(`layer '${l.name}': weight ${bad} is ${l.weights[bad]} (weights must be finite)`);
  }
  return { model, tags: meta.tags ?? [] };
}
