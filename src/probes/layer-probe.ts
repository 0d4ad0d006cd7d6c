/**
 * Probes on a model that something runs (ONNX Runtime, weightscope's dense-chain evaluator): one
 * layer's weights (or all layers') replaced by the probed weights, the model run on the user's
 * inputs, and the outputs scored against labels or against the unprobed model. One tidy ResultRow
 * per (layer, probe, variant, level, seed). Layers are named as `weightscope layers` names them.
 */
import { UserError } from '../core/errors.js';
import type { LayerRecord } from '../core/layer.js';
import type { ResultRow } from '../core/results.js';
import { Rng } from '../core/rng.js';
import { noLayerMessage } from '../formats/open.js';
import { accuracyOf, compareWith, isDistribution, macroF1, topClasses, type Outputs } from '../model/output-metrics.js';
import { applyProbe, isRandomProbe, validateSpec, type ProbeSpec } from './probes.js';
import { repeatSeed } from './sweep.js';

/** The model's input batch: [N, …], the first axis the batch. */
export interface InputArray {
  data: Float32Array;
  shape: number[];
}

export interface ProbeTarget {
  /** The layer's name (the `layer` column), as `weightscope layers` prints it. */
  name: string;
  /** Its other names (accepted by `layers`). */
  aliases?: string[];
  /** The tensor it comes from, where the model is a tensor file. */
  tensor?: string;
  /** 0-based position in the model's layers. */
  depth: number;
  kind: string;
  /** The shape as stored (the tensor's; [nIn, nOut] for records). */
  shape: number[];
  orientation?: 'in-out' | 'out-in';
}

/** Something that runs the model with some layers replaced (records by layer name). */
export interface LayerRunner {
  run(inputs: InputArray, replaced?: ReadonlyMap<string, LayerRecord>): Promise<Outputs>;
  release(): Promise<void>;
}

/** Find a target by any of its names, or fail listing the names that come closest. */
export function findTarget(targets: ProbeTarget[], name: string): ProbeTarget {
  const hit = targets.find((t) => t.name === name) ?? targets.find((t) => t.aliases?.includes(name));
  if (hit) return hit;
  throw new UserError(noLayerMessage(name, targets.map((t) => ({ name: t.name, aliases: t.aliases ?? [] }))));
}

export interface LayerProbeOptions {
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
  /** Called after each evaluation (progress). */
  onRow?: (row: ResultRow, done: number, total: number) => void;
}

export interface LayerProbeResult {
  rows: ResultRow[];
  /** The probe targets in depth order. */
  targets: ProbeTarget[];
  /** The unprobed model's row (probe `baseline`). */
  baseline: ResultRow;
}

/**
 * Run a probe over a model's layers: `record(t)` gives a target's unprobed record (what the probe
 * acts on), `createRunner(chosen)` the runner that can replace the chosen targets.
 */
export async function probeLayers(
  targets: ProbeTarget[], record: (t: ProbeTarget) => LayerRecord, createRunner: (chosen: ProbeTarget[]) => Promise<LayerRunner>,
  options: LayerProbeOptions & { task: string; where: string },
): Promise<LayerProbeResult> {
  if (targets.length === 0) throw new UserError(`${options.where}: no dense, conv or embedding weights found to probe`);
  const groups: ProbeTarget[][] =
    options.layers === 'per-layer' ? targets.map((t) => [t]) : options.layers === 'all' ? [targets] : [[findTarget(targets, options.layers)]];
  const chosen = [...new Set(groups.flat())];
  const runner = await createRunner(chosen);
  try {
    const reference = await runner.run(options.inputs);
    const n = options.inputs.shape[0];
    const predictions = reference.data.length / reference.shape[reference.shape.length - 1];
    if (options.labels && options.labels.length !== predictions) {
      throw new UserError(`--labels has ${options.labels.length} entries; the model makes ${predictions} predictions on these inputs (output [${reference.shape.join(', ')}])`);
    }
    const compare = compareWith(reference, isDistribution(reference));
    const classes = reference.shape[reference.shape.length - 1];
    if (options.labels) {
      // A label the model cannot predict would only ever count as a miss: a wrong labels file, not an accuracy.
      const classCount = Math.max(2, classes); // one output: a sigmoid head, classes 0 and 1
      const k = options.labels.findIndex((y) => y >= classCount);
      if (k >= 0) throw new UserError(`--labels: label ${options.labels[k]} at index ${k} is outside the model's ${classCount} classes (0…${classCount - 1}, output [${reference.shape.join(', ')}])`);
    }
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
    const common = { task: options.task, difficulty: 'custom' as const, run: 0, n_test: n, inputs: options.inputsName };
    const baseline: ResultRow = { ...common, probe: 'baseline', variant: 'reference', signed: false, level: 0, layer: 'all', seed: 0, ...score(reference) };

    const original = new Map(chosen.map((t) => [t.name, record(t)]));
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
          const replaced = new Map(probed.layers.map((l) => [l.name, l]));
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
