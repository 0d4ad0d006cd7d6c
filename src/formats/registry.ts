/**
 * Every kind of MODEL weightscope opens, one line each: how a path is recognised, what the format
 * can do (run for `probe`, how a changed model is written back), and its reader, imported only
 * when a path of that kind is opened (h5wasm, protobufjs and the XML parsers load on demand).
 * `openModel` (open.ts) is the one door through which every command reads a model; the help texts
 * of the CLI and the capability table of docs/formats.md are generated from this list.
 *
 * Adding a format: write its reader in one file of this folder (tensors as a `ModelFile`, or layer
 * records), and add one line here. docs/formats.md, "Adding a format", walks through it.
 */
import { basename, extname, join } from 'node:path';
import type { DenseModel } from '../core/layer.js';
import { inputPathKind } from '../core/io.js';
import type { ModelFile, ModelFormat } from './types.js';

/**
 * What `probe` can run: `onnx-runtime` (the graph itself, ONNX Runtime), `tagger` (the saved
 * transformer tagger on Brown), `dense-chain` (layers that form a plain MLP, evaluated by
 * weightscope: activations from the file, or `--activation` where the file stores none), or
 * null (weights only).
 */
export type RunKind = 'onnx-runtime' | 'tagger' | 'dense-chain';
/** How a changed model is written: `own` (the file's own format, everything else byte for byte) or `weightscope` (a tfjs model folder, or one-layer .npy/.gexf/.graphml). */
export type WriteKind = 'own' | 'weightscope';

/** What a reader gives: tensors (turned into layers by the inventory) or layer records (weightscope's own kinds). */
export type ReadResult = { file: ModelFile } | { model: DenseModel };

export interface FormatEntry {
  format: ModelFormat;
  /** How help texts and errors name it, e.g. `.safetensors (or a folder of shards)`. */
  label: string;
  /** Does this path (a file, or a folder) hold this format? */
  matches(path: string, kind: 'file' | 'folder' | null): boolean;
  run: RunKind;
  /** Whether the file stores the activation functions a dense chain runs with (else `probe --activation`). */
  activations: boolean;
  write: WriteKind;
  read(path: string): Promise<ReadResult>;
}

const ext = (path: string): string => extname(path).toLowerCase();
const has = (dir: string, name: string): boolean => inputPathKind(join(dir, name)) !== null;
/** Files ending in `e`; a folder or device of that name too, so that its reader says what is wrong with it. */
const byExt = (e: string) => (path: string): boolean => ext(path) === e;
const SHARD_INDEX = 'model.safetensors.index.json';
const TAGGER_FILE = 'transformer.json';

/** The formats, in the order help texts list them (a path matches one at most: a tagger folder holds a model.json too, so tfjs excludes it). */
export const FORMATS: readonly FormatEntry[] = [
  { format: 'tfjs', label: 'a TensorFlow.js model.json (or its folder)', matches: (p, k) => (k === 'folder' ? has(p, 'model.json') && !has(p, TAGGER_FILE) && !has(p, SHARD_INDEX) : ext(p) === '.json' && !p.toLowerCase().endsWith('.index.json')), run: 'dense-chain', activations: true, write: 'weightscope', read: async (p) => ({ model: (await import('./tfjs.js')).readTfjsModel(p) }) },
  { format: 'npy', label: 'a 2-D .npy weight matrix', matches: byExt('.npy'), run: 'dense-chain', activations: false, write: 'weightscope', read: async (p) => ({ model: (await import('./tfjs.js')).readNpyModel(p) }) },
  { format: 'gexf', label: 'a .gexf layer graph', matches: byExt('.gexf'), run: 'dense-chain', activations: false, write: 'weightscope', read: async (p) => ({ model: { layers: [(await import('./graph-file.js')).readLayerGraph(p)] } }) },
  { format: 'graphml', label: 'a .graphml layer graph', matches: byExt('.graphml'), run: 'dense-chain', activations: false, write: 'weightscope', read: async (p) => ({ model: { layers: [(await import('./graph-file.js')).readLayerGraph(p)] } }) },
  { format: 'safetensors', label: '.safetensors (or a folder of shards, or its index)', matches: (p, k) => (k === 'folder' && has(p, SHARD_INDEX)) || ext(p) === '.safetensors' || basename(p).toLowerCase().endsWith('.safetensors.index.json'), run: 'dense-chain', activations: false, write: 'own', read: async (p) => ({ file: await readSafetensorsPath(p) }) },
  { format: 'npz', label: '.npz', matches: byExt('.npz'), run: 'dense-chain', activations: false, write: 'own', read: async (p) => ({ file: (await import('./npz.js')).readNpz(p) }) },
  { format: 'keras', label: '.keras', matches: byExt('.keras'), run: 'dense-chain', activations: false, write: 'own', read: async (p) => ({ file: (await import('./keras.js')).readKeras(p) }) },
  { format: 'onnx', label: '.onnx', matches: byExt('.onnx'), run: 'onnx-runtime', activations: true, write: 'own', read: async (p) => ({ file: (await import('./onnx.js')).readOnnx(p) }) },
  { format: 'tagger', label: 'a transformer tagger folder (weightscope transformer)', matches: (p, k) => k === 'folder' && has(p, TAGGER_FILE), run: 'tagger', activations: true, write: 'own', read: async (p) => ({ file: (await import('./tagger.js')).readTaggerFolder(p) }) },
];

async function readSafetensorsPath(path: string): Promise<ModelFile> {
  const st = await import('./safetensors.js');
  return inputPathKind(path) === 'folder' || path.toLowerCase().endsWith('.index.json') ? st.readSafetensorsShards(path) : st.readSafetensors(path);
}

/** The format of a path, or undefined. */
export function formatOf(path: string): FormatEntry | undefined {
  const kind = inputPathKind(path);
  return FORMATS.find((f) => f.matches(path, kind === 'other' ? 'file' : kind));
}

/** The accepted kinds of MODEL, for help texts and errors: "a TensorFlow.js model.json (or its folder), a 2-D .npy …". */
export function acceptedFormats(): string {
  const labels = FORMATS.map((f) => f.label);
  return `${labels.slice(0, -1).join(', ')} or ${labels[labels.length - 1]}`;
}

/** What `probe` needs to run each kind (the capability table's column, and the error of a model that cannot run). */
export const RUN_TEXT: Record<RunKind, string> = {
  'onnx-runtime': 'runs the graph (ONNX Runtime) on `--inputs X.npy [--labels y.npy]`',
  tagger: 'runs the tagger on held-out Brown sentences',
  'dense-chain': 'runs if its layers form a plain dense chain (an MLP): on MNIST (`--pair`) or on `--inputs X.npy [--labels y.npy]`',
};

export const WRITE_TEXT: Record<WriteKind, string> = {
  own: 'in its own format: the changed weight tensors replaced, every other byte kept',
  weightscope: 'as a tfjs model folder, or (one layer) `.npy`, `.gexf` or `.graphml`',
};

/** Where a format stores no activation functions, `probe` needs `--activation` for a chain of two or more layers. */
export const NO_ACTIVATIONS_NOTE = 'weights-only formats store no activation functions: probe takes the hidden layers\' one from --activation';

/** The command that turns a PyTorch model into an ONNX file `probe` runs. */
export const TORCH_EXPORT = 'torch.onnx.export(model, torch.randn(1, N_IN), "model.onnx")';

/** Where a runnable model's activation functions come from. */
export function activationsText(f: FormatEntry): string {
  if (f.run !== 'dense-chain') return f.run === 'onnx-runtime' ? 'in the graph' : 'in the model';
  return f.activations ? 'in the file' : '`--activation` (the file stores none)';
}

/** docs/formats.md's capability table, generated (a test checks the doc holds exactly this). */
export function capabilityTable(): string {
  const rows = FORMATS.map((f) => `| ${f.label} | \`${f.format}\` | ${RUN_TEXT[f.run]} | ${activationsText(f)} | ${WRITE_TEXT[f.write]} |`);
  return ['| MODEL | `layers` says | `probe` | activations | `randomize --out` writes it |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}
