/**
 * Probes on any ONNX model, run by ONNX Runtime: one layer's weights (or all layers') replaced by
 * the probed weights, the model run on the user's inputs, and the outputs scored against labels
 * or against the unprobed model. One tidy ResultRow per (layer, probe, variant, level, seed).
 */
import { basename, extname } from 'node:path';
import { UserError } from '../core/errors.js';
import { closestNames, type LayerRecord } from '../core/layer.js';
import type { ResultRow } from '../core/results.js';
import { Rng } from '../core/rng.js';
import type { OnnxModelFile } from '../formats/onnx.js';
import type { Inventory } from '../formats/inventory.js';
import type { ModelFile } from '../formats/types.js';
import { createOnnxRunner, type InputArray } from '../model/onnx-runtime.js';
import { accuracyOf, compareWith, isDistribution, macroF1, topClasses, type Outputs } from '../model/output-metrics.js';
import { applyProbe, isRandomProbe, validateSpec, type ProbeSpec } from './probes.js';
import { repeatSeed } from './sweep.js';

// ---------------------------------------------------------------------------------------------
// The adapter from model tensors to probe targets. The layer inventory (formats) will decide which
// tensors are layers and their orientation; until then: every tensor the graph uses as a dense,
// conv or embedding weight, viewed as [shape[0], rest] — transposed to [in, out] for a dense
// weight stored (out, in). The probes run here (binarize, prune, noise, signflip, randomize B) are
// elementwise or act on the whole tensor, so the view does not change their result; row- or
// column-wise null models (randomize C–G) see dense layers the right way round.

const LAYER_KINDS = new Set(['dense', 'conv', 'conv.transpose', 'embedding']);

export interface ProbeTarget {
  /** The tensor's name (the `layer` column). */
  name: string;
  /** 0-based position in the order the graph first uses the layers. */
  depth: number;
  kind: string;
  shape: number[];
  orientation?: 'in-out' | 'out-in';
}

export function probeTargets(file: ModelFile): ProbeTarget[] {
  return file.tensors
    .filter((t) => t.shape.length >= 2 && LAYER_KINDS.has(t.hint?.kind ?? ''))
    .map((t, depth) => ({ name: t.name, depth, kind: t.hint!.kind!, shape: t.shape, ...(t.hint?.orientation ? { orientation: t.hint.orientation } : {}) }));
}

/** A target's values as a layer record [shape[0], product of the rest] ([in, out] for an (out, in) dense weight), no bias. */
export function layerView(target: Pick<ProbeTarget, 'name' | 'shape' | 'orientation'>, values: Float32Array | Float64Array): LayerRecord {
  const rows = target.shape[0];
  const weights = values instanceof Float32Array ? values : Float32Array.from(values);
  const cols = weights.length / rows;
  if (target.orientation === 'out-in') return { name: target.name, weights: transpose(weights, rows, cols), shape: [cols, rows], bias: null };
  return { name: target.name, weights, shape: [rows, cols], bias: null };
}

/** A layer record's weights back in the tensor's own layout (the inverse of layerView). */
export function tensorLayout(target: Pick<ProbeTarget, 'orientation'>, layer: LayerRecord): Float32Array {
  return target.orientation === 'out-in' ? transpose(layer.weights, layer.shape[0], layer.shape[1]) : layer.weights;
}

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  return out;
}

/**
 * The name this probe gives a layer of the file's inventory, as a function of its record: the
 * tensor's name (probeTargets) where the inventory layer is a whole probe target, else the
 * record's own name (a part of a fused tensor, which the probe sees whole). It keys the layer's null
 * stream: `weightscope randomize MODEL.onnx --seed S` draws with it, so it writes the weights
 * `weightscope probe MODEL.onnx --probe randomize --seed S` evaluated (docs/null-models.md).
 */
export function probeStreamName(file: ModelFile, inventory: Pick<Inventory, 'layers'>): (layer: LayerRecord) => string {
  const targets = new Set(probeTargets(file).map((t) => t.name));
  const byRecord = new Map(inventory.layers.filter((l) => !l.part && targets.has(l.tensor)).map((l) => [l.name, l.tensor]));
  return (layer) => byRecord.get(layer.name) ?? layer.name;
}

/** Find a target by name, or fail listing the names that come closest. */
export function findTarget(targets: ProbeTarget[], name: string): ProbeTarget {
  const hit = targets.find((t) => t.name === name);
  if (hit) return hit;
  const close = closestNames(name, targets.map((t) => t.name), 5);
  throw new UserError(`no layer named '${name}' (closest: ${close.join(', ')}; ${targets.length} layers in all)`);
}

// ---------------------------------------------------------------------------------------------

export interface OnnxProbeOptions {
  probe: ProbeSpec['probe'];
  variant: string;
  signed: boolean;
  levels: number[];
  /** `per-layer` (each layer alone), `all` (all at once) or one layer's name. */
  layers: string;
  inputs: InputArray;
  /** Name of the inputs (the `inputs` column), e.g. the .npy file's name. */
  inputsName: string;
  /** One label per prediction (per output row), or absent: compare with the unprobed model. */
  labels?: Float32Array;
  /** Seeds per level for random probes. */
  repeats: number;
  /** Seed of the first repeat's draws, used as given (later repeats: repeatSeed). */
  seed: number;
  batchSize?: number;
  /** Called after each evaluation (progress). */
  onRow?: (row: ResultRow, done: number, total: number) => void;
}

export interface OnnxProbeResult {
  rows: ResultRow[];
  /** The probe targets in depth order. */
  targets: ProbeTarget[];
  /** The unprobed model's row (probe `baseline`). */
  baseline: ResultRow;
}

/** Run a probe over an ONNX model's layers with one ONNX Runtime session. */
export async function probeOnnx(file: OnnxModelFile, options: OnnxProbeOptions): Promise<OnnxProbeResult> {
  const targets = probeTargets(file);
  if (targets.length === 0) throw new UserError(`${file.path}: no dense, conv or embedding weights found to probe`);
  const groups: ProbeTarget[][] =
    options.layers === 'per-layer' ? targets.map((t) => [t]) : options.layers === 'all' ? [targets] : [[findTarget(targets, options.layers)]];
  const chosen = [...new Set(groups.flat())];
  const runner = await createOnnxRunner(file, chosen.map((t) => t.name), { batchSize: options.batchSize });
  try {
    const task = basename(file.path, extname(file.path));
    const reference = await runner.run(options.inputs);
    const n = options.inputs.shape[0];
    const predictions = reference.data.length / reference.shape[reference.shape.length - 1];
    if (options.labels && options.labels.length !== predictions) {
      throw new UserError(`--labels has ${options.labels.length} entries; the model makes ${predictions} predictions on these inputs (output [${reference.shape.join(', ')}])`);
    }
    const compare = compareWith(reference, isDistribution(reference));
    const classes = reference.shape[reference.shape.length - 1];
    const score = (out: Outputs): Pick<ResultRow, 'accuracy' | 'f1' | 'agreement' | 'kl' | 'cosine'> => {
      if (options.labels) {
        const predicted = topClasses(out);
        const accuracy = accuracyOf(predicted, options.labels);
        return classes > 2 ? { accuracy, f1: macroF1(predicted, options.labels) } : { accuracy };
      }
      // Without labels the unprobed model's top classes are the labels: accuracy = agreement.
      const a = compare(out);
      return { accuracy: a.agreement, ...a };
    };
    const common = { task, difficulty: 'custom' as const, run: 0, n_test: n, inputs: options.inputsName };
    const baseline: ResultRow = { ...common, probe: 'baseline', variant: 'reference', signed: false, level: 0, layer: 'all', seed: 0, ...score(reference) };

    const original = new Map(chosen.map((t) => [t.name, layerView(t, file.tensor(t.name).values())]));
    const byName = new Map(chosen.map((t) => [t.name, t]));
    const rows: ResultRow[] = [];
    const total = groups.length * options.levels.length * (isRandomProbe(options) ? options.repeats : 1);
    for (const group of groups) {
      const layer = group.length === 1 && options.layers !== 'all' ? group[0].name : 'all';
      for (const level of options.levels) {
        const spec: ProbeSpec = { probe: options.probe, variant: options.variant, signed: options.signed, level, layer };
        validateSpec(spec);
        const random = isRandomProbe(spec);
        for (let rep = 0; rep < (random ? options.repeats : 1); rep++) {
          const seed = random ? repeatSeed(options.seed, rep) : 0;
          const probed = applyProbe({ layers: group.map((t) => original.get(t.name)!) }, spec, new Rng(seed));
          const replaced = new Map(probed.layers.map((l) => [l.name, tensorLayout(byName.get(l.name)!, l)]));
          const row: ResultRow = { ...common, ...spec, seed, ...score(await runner.run(options.inputs, replaced)) };
          rows.push(row);
          options.onRow?.(row, rows.length, total);
        }
      }
    }
    return { rows, targets, baseline };
  } finally {
    await runner.release();
  }
}
