/** `weightscope export MODEL`: write layers as GEXF, GraphML, CSV tables, JSON statistics or .npy matrices. */
import { InvalidArgumentError, type Command } from 'commander';
import type { ConvMapping } from '../../formats/inventory.js';
import { openModel } from '../../formats/open.js';
import { exportLayer, EXPORT_FORMATS, type ExportFormat } from '../../graph/index.js';
import { outputDir } from '../options.js';
import { convOption, layerOption, modelArgument } from './model-options.js';

function formatList(value: string): ExportFormat[] {
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const f of list) {
    if (!(EXPORT_FORMATS as readonly string[]).includes(f)) throw new InvalidArgumentError(`'${f}' is not one of ${EXPORT_FORMATS.join(', ')}.`);
  }
  if (list.length === 0) throw new InvalidArgumentError(`choose from ${EXPORT_FORMATS.join(', ')}.`);
  return list as ExportFormat[];
}

interface ExportOptions {
  format: ExportFormat[];
  layer?: string;
  out: string;
  allowLarge: boolean;
  conv: ConvMapping;
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('export each layer as a graph file (gexf, graphml), CSV node/edge tables, JSON statistics, or its weight matrix as .npy')
    .addArgument(modelArgument())
    .requiredOption('--format <list>', `comma-separated: ${EXPORT_FORMATS.join(', ')} (npy: the [nIn, nOut] matrix, rows = input units as in x @ W, no bias)`, formatList)
    .requiredOption('--out <dir>', 'output folder', outputDir)
    .addOption(layerOption())
    .addOption(convOption())
    .option('--allow-large', 'allow GEXF/GraphML of layers above 2M edges (needs ~300 bytes of memory an edge)')
    .action(async (modelPath: string, opts: ExportOptions) => {
      const model = await openModel(modelPath, { conv: opts.conv, layer: opts.layer });
      for (const entry of model.selected) {
        const layer = entry.load();
        const { files } = exportLayer(layer, opts.out, { formats: opts.format, allowLarge: opts.allowLarge });
        for (const f of files) process.stdout.write(f.endsWith('.npy') ? `wrote ${f} ([${layer.shape[0]}, ${layer.shape[1]}]: rows = input units)\n` : `wrote ${f}\n`);
      }
    });
}
