/**
 * `weightscope layers MODEL`: the layer inventory of any model weightscope reads — which tensors
 * are layers, their kind, shape [nIn, nOut], orientation in the file, dtype and parameter count.
 * Also the helper every command uses to walk a model's layers one at a time with that metadata.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { closestNames, type LayerRecord } from '../../core/layer.js';
import { UserError } from '../../core/errors.js';
import { CONV_MAPPINGS, inventory, isModelFilePath, layerRecord, loadModelFile, type ConvMapping, type SkippedTensor } from '../../formats/index.js';
import { loadLayerSource } from '../../graph/index.js';
import type { LayerMeta } from '../../report/index.js';
import { table } from './stats.js';

export interface ModelLayerEntry {
  name: string;
  meta: LayerMeta & { shape: [number, number]; tensor?: string };
  /** The layer record (read from the file when called). */
  load(): LayerRecord;
}

export function convMapping(value: string): ConvMapping {
  if (!(CONV_MAPPINGS as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${CONV_MAPPINGS.join(', ')}.`);
  return value as ConvMapping;
}

export const convOption = (): Option =>
  new Option('--conv <mapping>', 'convolutions as channel graphs: sum (kernel summed over its window), norm (its L2 norm, sign of the sum) or unfold (one input unit per channel and window position)')
    .argParser(convMapping)
    .default('sum');

/** The layers of any MODEL, each with its metadata, read lazily (model files) or all at once (tfjs, .npy, graphs). */
export function modelLayerEntries(path: string, options: { conv?: ConvMapping } = {}): { entries: ModelLayerEntry[]; skipped: SkippedTensor[]; format: string } {
  if (isModelFilePath(path)) {
    const file = loadModelFile(path);
    const inv = inventory(file, { conv: options.conv });
    if (inv.layers.length === 0) throw new UserError(`${path}: no tensor is a layer (no 2-D or larger float tensor)`);
    return {
      format: file.format,
      skipped: inv.skipped,
      entries: inv.layers.map((l) => ({
        name: l.name,
        meta: { kind: l.kind, orientation: l.orientation, dtype: l.dtype, params: l.params, shape: l.shape, tensor: l.tensor, part: l.part, conv: l.conv },
        load: () => {
          try {
            return layerRecord(file, l);
          } catch (err) {
            if (err instanceof UserError) throw new UserError(`${path}: ${err.message}`);
            throw err;
          }
        },
      })),
    };
  }
  const model = loadLayerSource(path);
  return {
    format: 'weightscope',
    skipped: [],
    entries: model.layers.map((l) => ({
      name: l.name,
      meta: { kind: 'dense', orientation: 'in-out', dtype: 'F32', params: l.weights.length + (l.bias?.length ?? 0), shape: l.shape },
      load: () => l,
    })),
  };
}

/** The entry named `name`, or a UserError listing the closest names. */
export function findEntry(entries: ModelLayerEntry[], name: string): ModelLayerEntry {
  const entry = entries.find((e) => e.name === name);
  if (entry) return entry;
  const names = entries.map((e) => e.name);
  throw new UserError(`no layer named '${name}' (closest: ${closestNames(name, names, 5).join(', ')}; ${names.length} layers in all, see 'weightscope layers')`);
}

export function registerLayers(program: Command): void {
  program
    .command('layers')
    .description('list the layers of a model: name, kind, shape [nIn, nOut], orientation in the file, dtype, parameters')
    .argument('<model>', 'a .safetensors file (or a folder of shards), .npz, tfjs model, .npy or .gexf/.graphml')
    .addOption(convOption())
    .option('--json', 'print the inventory as JSON', false)
    .action((modelPath: string, opts: { conv: ConvMapping; json: boolean }) => {
      const { entries, skipped, format } = modelLayerEntries(modelPath, { conv: opts.conv });
      if (opts.json) {
        process.stdout.write(JSON.stringify({ format, layers: entries.map((e) => ({ name: e.name, ...e.meta })), skipped }, null, 2) + '\n');
        return;
      }
      process.stdout.write(
        table(
          ['layer', 'kind', 'shape [nIn, nOut]', 'orientation', 'dtype', 'params'],
          entries.map((e) => [e.name, e.meta.kind, `[${e.meta.shape[0]}, ${e.meta.shape[1]}]`, e.meta.orientation ?? '', e.meta.dtype ?? '', String(e.meta.params ?? '')]),
        ),
      );
      const total = entries.reduce((a, e) => a + (e.meta.params ?? 0), 0);
      const reasons = new Map<string, number>();
      for (const s of skipped) reasons.set(s.reason, (reasons.get(s.reason) ?? 0) + 1);
      const skippedText = skipped.length ? `; not layers: ${[...reasons].map(([r, n]) => `${n} ${r}`).join(', ')}` : '';
      process.stdout.write(`${entries.length} layers (${format}), ${total} parameters in them${skippedText}\n`);
    });
}
