/** `weightscope percolate MODEL`: percolation curves under magnitude pruning, per layer and sign. */
import type { Command } from 'commander';
import { writeChunksAtomic } from '../../core/io.js';
import type { ConvMapping } from '../../formats/inventory.js';
import { openModel } from '../../formats/open.js';
import { formatFloat32 } from '../../graph/index.js';
import { percolationBySign, type PercolationCurve } from '../../stats/index.js';
import { boundedInt, outputFile } from '../options.js';
import { cell, table } from '../text-table.js';
import { convOption, layerOption, modelArgument } from './model-options.js';

interface PercolateOptions {
  layer?: string;
  conv: ConvMapping;
  points: number;
  out?: string;
}

function* curveCsv(curves: { layer: string; curve: PercolationCurve }[]): Generator<string> {
  yield 'layer,subgraph,fraction_removed,edges_kept,threshold,giant,giant_fraction,components\n';
  for (const { layer, curve } of curves) {
    const name = /[",\n]/.test(layer) ? `"${layer.replace(/"/g, '""')}"` : layer;
    for (const p of curve.points) {
      yield `${name},${curve.sign},${p.fractionRemoved},${p.edgesKept},${p.threshold === null ? '' : formatFloat32(p.threshold)},${p.giant},${p.giantFraction},${p.components}\n`;
    }
  }
}

export function registerPercolate(program: Command): void {
  program
    .command('percolate')
    .description('connected components as weights are pruned from the smallest |w| up (whole layer, + and − edges)')
    .addArgument(modelArgument())
    .addOption(layerOption())
    .addOption(convOption())
    .option('--points <k>', 'points of the curve, evenly spaced in fraction removed (≥ 2)', boundedInt('points'), 101)
    .option('--out <file>', 'write the curves as CSV', outputFile)
    .action(async (modelPath: string, opts: PercolateOptions) => {
      const model = await openModel(modelPath, { conv: opts.conv, layer: opts.layer });
      const curves: { layer: string; curve: PercolationCurve }[] = [];
      for (const entry of model.selected) {
        const layer = entry.load();
        const bySign = percolationBySign(layer, { points: opts.points });
        for (const curve of [bySign.all, bySign.positive, bySign.negative]) curves.push({ layer: layer.name, curve });
      }
      const half = (c: PercolationCurve): string => {
        const p = c.points[Math.floor((c.points.length - 1) / 2)];
        return cell(p.giantFraction);
      };
      process.stdout.write(
        table(
          ['layer', 'edges', 'subgraph', 'nodes', 'giant@50%', 'critical removed (χ)', 'threshold', 'critical removed (jump)'],
          curves.map(({ layer, curve: c }) => [
            layer,
            cell(c.edges),
            c.sign,
            cell(c.nodes),
            half(c),
            cell(c.critical.susceptibility.fractionRemoved),
            cell(c.critical.susceptibility.threshold),
            cell(c.critical.largestJump.fractionRemoved),
          ]),
        ),
      );
      if (opts.out) {
        writeChunksAtomic(opts.out, curveCsv(curves));
        process.stdout.write(`wrote ${opts.out}\n`);
      }
    });
}
