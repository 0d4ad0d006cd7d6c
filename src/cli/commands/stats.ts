/** `weightscope stats MODEL`: per-layer network statistics, optionally z-scored against a null model. */
import { Option, type Command } from 'commander';
import { UserError } from '../../core/errors.js';
import type { ConvMapping } from '../../formats/inventory.js';
import { openModel } from '../../formats/open.js';
import { getNullModel, randomizeLayer } from '../../randomize/index.js';
import { ESD_CONVENTIONS, layerStats, layerZScores, type EsdConvention, type LayerStats, type ZScore } from '../../stats/index.js';
import { boundedInt, outputDir, seedValue } from '../options.js';
import { cell, table } from '../text-table.js';
import { convOption, layerOption, modelArgument } from './model-options.js';

interface StatsOptions {
  layer?: string;
  null?: string;
  samples: number;
  seed: number;
  json: boolean;
  nestedness?: boolean;
  allLayers?: boolean;
  out?: string;
  conv: ConvMapping;
  esd?: EsdConvention;
}

export function registerStats(program: Command): void {
  program
    .command('stats')
    .description('network statistics of each dense layer: signed degrees/strengths, weights, assortativity, NODF')
    .addArgument(modelArgument())
    .addOption(layerOption())
    .option('--null <name>', 'z-score NODF and assortativity against this null model (see docs/null-models.md); with --all-layers also the spectrum (α, stable rank, spectral norm), and a comma-separated list of null models')
    .option('--samples <n>', 'null samples for z-scores', boundedInt('samples'), 20)
    .option('--seed <n>', 'seed of the null samples', seedValue, 1)
    .option('--nestedness', 'compute NODF even on layers above 4M weights (slow: O(n²·m/32))')
    .option('--json', 'print the full statistics as JSON')
    .option('--all-layers', 'the layer-by-layer table: network, percolation and spectral statistics of every layer (docs/statistics.md)')
    .option('--out <dir>', 'with --all-layers: write layers.csv, layers.json and layers.html here', outputDir)
    .addOption(convOption())
    .addOption(new Option('--esd <convention>', "with --all-layers: how a layer's eigenvalue spectrum is formed: weightscope (the layer record's WᵀW) or weightwatcher (a convolution as one matrix per kernel position, eigenvalues pooled; a fused attention in_proj as one matrix)").choices(ESD_CONVENTIONS as string[]))
    .action(async (modelPath: string, opts: StatsOptions, command: Command) => {
      for (const flag of ['samples', 'seed'] as const) {
        if (opts.null === undefined && command.getOptionValueSource(flag) === 'cli') throw new UserError(`--${flag} sizes the null samples of z-scores: it needs --null NAME (or leave it out)`);
      }
      if (opts.allLayers || opts.out !== undefined || opts.esd !== undefined) {
        // --esd weightwatcher unfolds convolutions unless --conv was given
        const conv = command.getOptionValueSource('conv') === 'default' ? undefined : opts.conv;
        return (await import('./layer-table.js')).runLayerTable(modelPath, { ...opts, conv });
      }
      const model = await openModel(modelPath, { conv: opts.conv, layer: opts.layer });
      if (opts.null !== undefined) {
        getNullModel(opts.null);
        if (opts.samples < 2) throw new UserError('--samples must be at least 2 for z-scores');
      }
      const out: (LayerStats & { zScores?: Record<string, ZScore> })[] = [];
      for (const entry of model.selected) {
        const layer = entry.load();
        const st: LayerStats & { zScores?: Record<string, ZScore> } = layerStats(layer, opts.nestedness ? { nestedness: true } : {});
        if (opts.null !== undefined) {
          const method = opts.null;
          st.zScores = layerZScores(layer, { name: method, sample: (l, r) => randomizeLayer(l, method, r) }, { seed: opts.seed, samples: opts.samples, nestedness: opts.nestedness });
        }
        out.push(st);
      }
      if (opts.json) {
        process.stdout.write(JSON.stringify({ layers: out }, null, 2) + '\n');
        return;
      }
      process.stdout.write(
        table(
          ['layer', 'shape', 'edges', 'density', 'frac+', 'σ(w)', 'σ(w≠0)', 'mean|w|', 'k+ in', 'k+ out', 'assort+', 'assort−', 'assort', 'NODF+', 'NODF−'],
          out.map((s) => [
            s.name,
            `${s.shape[0]}×${s.shape[1]}`,
            cell(s.weights.nEdges),
            cell(s.weights.density),
            cell(s.weights.fractionPositive),
            cell(s.weights.sd),
            cell(s.weights.sdNonZero),
            cell(s.weights.meanAbsNonZero),
            cell(s.in.kPlus.summary.mean),
            cell(s.out.kPlus.summary.mean),
            cell(s.assortativity.positive),
            cell(s.assortativity.negative),
            cell(s.assortativity.all),
            cell(s.nestedness?.positive.nodf),
            cell(s.nestedness?.negative.nodf),
          ]),
        ),
      );
      if (opts.null !== undefined) {
        process.stdout.write(`\nz-scores against null model '${opts.null}' (${opts.samples} samples, seed ${opts.seed}):\n`);
        const rows: string[][] = [];
        for (const s of out) {
          for (const [name, z] of Object.entries(s.zScores!)) rows.push([s.name, name, cell(z.observed), cell(z.mean), cell(z.sd), cell(z.z)]);
        }
        process.stdout.write(table(['layer', 'statistic', 'observed', 'null mean', 'null sd', 'z'], rows));
      }
    });
}
