/**
 * `weightscope layers MODEL`: the layer inventory of any model weightscope reads — which tensors
 * are layers, their kind, shape [nIn, nOut], orientation in the file, dtype and parameter count,
 * and the other names each layer answers to. The inventory is `openModel` (src/formats/open.ts).
 */
import type { Command } from 'commander';
import type { ConvMapping } from '../../formats/inventory.js';
import { openModel } from '../../formats/open.js';
import { table } from '../text-table.js';
import { convOption, layerOption, modelArgument } from './model-options.js';

export function registerLayers(program: Command): void {
  program
    .command('layers')
    .description('list the layers of a model: name, kind, shape [nIn, nOut], orientation in the file, dtype, parameters, other names')
    .addArgument(modelArgument())
    .addOption(convOption())
    .addOption(layerOption())
    .option('--json', 'print the inventory as JSON')
    .action(async (modelPath: string, opts: { conv: ConvMapping; layer?: string; json?: boolean }) => {
      const model = await openModel(modelPath, { conv: opts.conv, layer: opts.layer });
      const layers = model.selected.map(({ load: _load, ...meta }) => meta);
      if (opts.json) {
        process.stdout.write(JSON.stringify({ format: model.format, can: model.can, layers, skipped: model.skipped }, null, 2) + '\n');
        return;
      }
      // a layer's tensor name with its `.weight` / `/kernel` is accepted too, but says nothing new
      const shown = (l: (typeof layers)[number]): string[] => l.aliases.filter((a) => !/^(.*)([./](weight|kernel)|_weight)(:0)?$/.test(a) || a.replace(/([./](weight|kernel)|_weight)(:0)?$/, '') !== l.name);
      const withAliases = layers.some((l) => shown(l).length > 0);
      process.stdout.write(
        table(
          ['layer', 'kind', 'shape [nIn, nOut]', 'orientation', 'dtype', 'params', ...(withAliases ? ['also named'] : [])],
          layers.map((l) => [l.name, l.kind, `[${l.shape[0]}, ${l.shape[1]}]`, l.orientation, l.dtype, String(l.params), ...(withAliases ? [shown(l).join(', ')] : [])]),
        ).replace(/ +$/gm, ''),
      );
      const total = layers.reduce((a, l) => a + l.params, 0);
      const reasons = new Map<string, number>();
      for (const s of model.skipped) reasons.set(s.reason, (reasons.get(s.reason) ?? 0) + 1);
      const skippedText = model.skipped.length ? `; not layers: ${[...reasons].map(([r, n]) => `${n} ${r}`).join(', ')}` : '';
      process.stdout.write(`${layers.length} layers (${model.format}), ${total} parameters in them${skippedText}\n`);
    });
}
