/**
 * The one door for models: `openModel(path, options)` opens every kind of MODEL the registry
 * lists and returns one inventory — the layers (name, other names, kind, [nIn, nOut], orientation
 * in the file, dtype, parameters, and a lazy `load()` to a LayerRecord), the tensors that are not
 * layers, the format, and what the model can do (run for `probe`, how it is written back).
 * Options that shape layers (`conv`, `orientation`) and the layer a command is limited to
 * (`layer`, by any of its names) are honoured here, for every format. docs/formats.md.
 */
import { UserError } from '../core/errors.js';
import { closestNames, validateLayer, validateModel, type LayerRecord } from '../core/layer.js';
import { inputPathKind } from '../core/io.js';
import { inventory, layerRecord, replacementsFor, type ConvMapping, type Inventory, type InventoryLayer, type LayerKind, type Orientation, type SkippedTensor } from './inventory.js';
import { acceptedFormats, formatOf, type FormatEntry, type RunKind, type WriteKind } from './registry.js';
import type { ModelFile, ModelFormat, TensorDType } from './types.js';

export interface OpenOptions {
  /** How convolution kernels become layers (default `sum`): docs/formats.md, Convolutions. */
  conv?: ConvMapping;
  /** Orientation of 2-D tensors whose name and format do not tell. */
  orientation?: Orientation;
  /** Limit `selected` to this layer (any of its names); an unknown name is a UserError listing the closest. */
  layer?: string;
}

export interface ModelLayer {
  /** The name every command prints and accepts. */
  name: string;
  /** Other names every command accepts for this layer (the tensor's full name, the ONNX node, the Keras layer). */
  aliases: string[];
  kind: LayerKind;
  /** [nIn, nOut] of the layer record. */
  shape: [number, number];
  /** How the file stores the matrix: `out-in` (PyTorch) is transposed into the record. */
  orientation: Orientation;
  dtype: TensorDType;
  /** Weights plus bias. */
  params: number;
  /** Position among the model's layers (0-based, file order). */
  depth: number;
  /** The tensor it comes from (tensor formats). */
  tensor?: string;
  /** Convolutions: the kernel's window and the mapping used. */
  conv?: InventoryLayer['conv'];
  /** Part `index` of `of` of a fused tensor (q, k, v of an attention in_proj), along the outputs. */
  part?: InventoryLayer['part'];
  /** Its layer record, validated (weights finite, bias of length nOut); read from the file when called. */
  load(): LayerRecord;
}

export interface ModelInventory {
  /** The path as given. */
  path: string;
  format: ModelFormat;
  layers: ModelLayer[];
  /** The layers a command works on: the one `options.layer` names, else all. */
  selected: ModelLayer[];
  /** Tensors that are not layers (norms, biases, vectors, …), tensor formats only. */
  skipped: SkippedTensor[];
  /** What it can do: how `probe` runs it, how a changed model is written. */
  can: { run: RunKind; write: WriteKind };
  /** Whether the file stores the activation functions (tfjs, ONNX graphs, taggers); weights-only formats do not. */
  activations: boolean;
  /** The file's tensors (tensor formats: safetensors, npz, keras, onnx, tagger), for format-specific work. */
  file?: ModelFile;
  /** The layer of this name or alias; else a UserError listing the closest names. */
  find(name: string): ModelLayer;
  /** Every layer's record, in order. */
  records(): LayerRecord[];
  /** Write the model with these layers' weights changed, in its own format (`can.write` = `own`); biases and every other tensor kept. */
  write(changed: LayerRecord[], out: string): void;
}

/** Open any MODEL: the one door every command and library user goes through. */
export async function openModel(path: string, options: OpenOptions = {}): Promise<ModelInventory> {
  const entry = formatOf(path);
  if (!entry) throw unknownModel(path);
  const read = await entry.read(path);
  const model = 'file' in read ? fromFile(entry, read.file, options) : fromRecords(entry, path, read.model.layers);
  if (options.layer !== undefined) model.selected = [model.find(options.layer)];
  return model;
}

function unknownModel(path: string): UserError {
  const kind = inputPathKind(path);
  if (kind === null) return new UserError(`no model at ${path} (file or directory not found)`);
  if (kind === 'other') return new UserError(`${path} is not a regular file (a device, pipe or socket); expected a model`);
  const what = kind === 'folder' ? 'a folder with no model.json, transformer.json or model.safetensors.index.json' : 'not a model file weightscope reads';
  return new UserError(`${path}: ${what} (MODEL is ${acceptedFormats()})`);
}

function withPath<T>(path: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof UserError && !err.message.startsWith(path)) throw new UserError(`${path}: ${err.message}`);
    throw err;
  }
}

function fromFile(entry: FormatEntry, file: ModelFile, options: OpenOptions): ModelInventory {
  const inv: Inventory = inventory(file, { conv: options.conv, orientation: options.orientation });
  if (inv.layers.length === 0) throw new UserError(`${file.path}: no tensor is a layer (no 2-D or larger float tensor)`);
  const layers: ModelLayer[] = inv.layers.map((l, depth) => ({
    name: l.name,
    aliases: l.aliases,
    kind: l.kind,
    shape: l.shape,
    orientation: l.orientation,
    dtype: l.dtype,
    params: l.params,
    depth,
    tensor: l.tensor,
    ...(l.conv ? { conv: l.conv } : {}),
    ...(l.part ? { part: l.part } : {}),
    load: () => withPath(file.path, () => layerRecord(file, l)),
  }));
  return assemble(entry, file.path, layers, inv.skipped, file, (changed, out) => file.write(out, replacementsFor(file, inv, changed)));
}

function fromRecords(entry: FormatEntry, path: string, records: LayerRecord[]): ModelInventory {
  validateModel({ layers: records }); // weightscope's own kinds: a stack whose shapes chain
  const layers: ModelLayer[] = records.map((r, depth) => ({
    name: r.name,
    aliases: [],
    kind: 'dense',
    shape: r.shape,
    orientation: 'in-out',
    dtype: 'F32',
    params: r.weights.length + (r.bias?.length ?? 0),
    depth,
    load: () => r,
  }));
  return assemble(entry, path, layers, [], undefined, () => {
    throw new UserError(`${path}: a ${entry.format} model is written with the weightscope writers (a tfjs folder, .npy, .gexf, .graphml), not in place`);
  });
}

function assemble(
  entry: FormatEntry, path: string, layers: ModelLayer[], skipped: SkippedTensor[], file: ModelFile | undefined, write: (changed: LayerRecord[], out: string) => void,
): ModelInventory {
  const byName = new Map<string, ModelLayer>();
  for (const l of layers) byName.set(l.name, l);
  for (const l of layers) for (const a of l.aliases) if (!byName.has(a)) byName.set(a, l);
  return {
    path,
    format: entry.format,
    layers,
    selected: layers,
    skipped,
    can: { run: entry.run, write: entry.write },
    activations: entry.activations,
    ...(file ? { file } : {}),
    find(name) {
      const hit = byName.get(name);
      if (hit) return hit;
      throw new UserError(noLayerMessage(name, layers));
    },
    records: () => layers.map((l) => l.load()),
    write(changed, out) {
      for (const r of changed) validateLayer(r);
      write(changed.map((r) => ({ ...r, name: byName.get(r.name)?.name ?? r.name })), out);
    },
  };
}

/** "no layer named 'x' (closest: …; layers: … | N layers in all …)": the names and aliases closest first. */
export function noLayerMessage(name: string, layers: readonly Pick<ModelLayer, 'name' | 'aliases'>[]): string {
  const names = layers.map((l) => l.name);
  const candidates = [...names, ...layers.flatMap((l) => l.aliases)];
  const all = names.length <= 40 ? `layers: ${names.join(', ')}` : `${names.length} layers in all, see 'weightscope layers'`;
  return `no layer named '${name}' (closest: ${closestNames(name, candidates, 5).join(', ')}; ${all})`;
}

/**
 * The layers a model runs through when they form a plain dense chain (an MLP): every layer a 2-D
 * matrix (no convolution, no part of a fused tensor), each one's nOut the next one's nIn, in file
 * order or, failing that, in the natural order of their names (`2` before `10`). Else the reason.
 */
export function denseChain(model: ModelInventory): { layers: ModelLayer[] } | { why: string } {
  const odd = model.layers.find((l) => l.conv || l.kind === 'embedding' || l.kind.startsWith('attention.'));
  if (odd) return { why: `layer '${odd.name}' is ${odd.conv ? 'a convolution' : `an ${odd.kind} layer`}, not part of a plain MLP` };
  const chains = (ls: ModelLayer[]): boolean => ls.every((l, k) => k === 0 || ls[k - 1].shape[1] === l.shape[0]);
  if (chains(model.layers)) return { layers: model.layers };
  const natural = [...model.layers].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  if (chains(natural)) return { layers: natural };
  const k = model.layers.findIndex((l, i) => i > 0 && model.layers[i - 1].shape[1] !== l.shape[0]);
  const [a, b] = [model.layers[k - 1], model.layers[k]];
  return { why: `its layers do not chain ('${a.name}' gives ${a.shape[1]} outputs, '${b.name}' takes ${b.shape[0]} inputs)` };
}
