/** `weightscope export MODEL`: write layers as GEXF, GraphML, CSV tables or JSON statistics. */
import { InvalidArgumentError, type Command } from 'commander';
import { exportLayer, EXPORT_FORMATS, type ExportFormat } from '../../graph/index.js';
import { selectLayers } from './stats.js';
import { outputDir } from '../options.js';

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
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('export each dense layer as a graph file (gexf, graphml), CSV node/edge tables, or JSON statistics')
    .argument('<model>', 'a tfjs layers model (model.json or its folder) or a .npy weight matrix')
    .requiredOption('--format <list>', `comma-separated: ${EXPORT_FORMATS.join(', ')}`, formatList)
    .requiredOption('--out <dir>', 'output folder', outputDir)
    .option('--layer <name>', 'only this layer')
    .option('--allow-large', 'allow GEXF/GraphML of layers above 2M edges (needs ~300 bytes of memory an edge)', false)
    .action(async (modelPath: string, opts: ExportOptions) => {
      const layers = await selectLayers(modelPath, opts.layer);
      for (const layer of layers) {
        const { files } = exportLayer(layer, opts.out, { formats: opts.format, allowLarge: opts.allowLarge });
        for (const f of files) process.stdout.write(`wrote ${f}\n`);
      }
    });
}
