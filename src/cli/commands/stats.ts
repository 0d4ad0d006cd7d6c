/** `weightscope stats MODEL`: per-layer network statistics, optionally z-scored against a null model. */
import { Option, type Command } from 'commander';
import { deriveSeed, Rng } from '../../core/rng.js';
import { findLayer, type LayerRecord } from '../../core/layer.js';
import { UserError } from '../../core/errors.js';
import { loadLayerSource } from '../../graph/index.js';
import { getNullModel, randomizeLayer } from '../../randomize/index.js';
import { layerStats, zScores, ESD_CONVENTIONS, SCALAR_STATISTICS, NODF_DEFAULT_MAX_WEIGHTS, type EsdConvention, type LayerStatistic, type LayerStats, type ZScore } from '../../stats/index.js';
import { positiveInt, seedValue } from '../options.js';
import { convOption } from './layers.js';
import { runLayerTable } from './layer-table.js';

/** The layers a command works on: the one named by --layer, or all of them. */
export async function selectLayers(modelPath: string, layerName: string | undefined): Promise<LayerRecord[]> {
  const model = loadLayerSource(modelPath);
  return layerName ? [findLayer(model, layerName)] : model.layers;
}

/** Fixed-width text table (first column left-aligned, the rest right-aligned). */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const fmt = (r: string[]): string => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [fmt(header), ...rows.map(fmt)].join('\n') + '\n';
}

/** Numbers for tables: 4 significant digits, '—' for undefined (NaN). */
export function cell(x: number | null | undefined): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  if (Number.isInteger(x)) return String(x);
  return Math.abs(x) >= 1e4 || Math.abs(x) < 1e-3 ? x.toExponential(3) : String(Number(x.toPrecision(4)));
}

interface StatsOptions {
  layer?: string;
  null?: string;
  samples: number;
  seed: number;
  json: boolean;
  nestedness?: boolean;
  allLayers?: boolean;
  out?: string;
  conv?: 'sum' | 'norm' | 'unfold';
  esd?: EsdConvention;
}

export function registerStats(program: Command): void {
  program
    .command('stats')
    .description('network statistics of each dense layer: signed degrees/strengths, weights, assortativity, NODF')
    .argument('<model>', 'a .safetensors file (or shard folder), .npz, tfjs layers model (model.json or its folder) or a .npy weight matrix')
    .option('--layer <name>', 'only this layer')
    .option('--null <name>', 'z-score NODF and assortativity against this null model (see docs/null-models.md); with --all-layers also the spectrum (α, stable rank, spectral norm), and a comma-separated list of null models')
    .option('--samples <n>', 'null samples for z-scores', positiveInt, 20)
    .option('--seed <s>', 'seed of the null samples', seedValue, 0)
    .option('--nestedness', 'compute NODF even on layers above 4M weights (slow: O(n²·m/32))')
    .option('--json', 'print the full statistics as JSON', false)
    .option('--all-layers', 'the layer-by-layer table: network, percolation and spectral statistics of every layer (docs/statistics.md)')
    .option('--out <dir>', 'with --all-layers: write layers.csv, layers.json and layers.html here')
    .addOption(convOption())
    .addOption(new Option('--esd <convention>', "with --all-layers: how a layer's eigenvalue spectrum is formed: weightscope (the layer record's WᵀW) or weightwatcher (a convolution as one matrix per kernel position, eigenvalues pooled; a fused attention in_proj as one matrix)").choices(ESD_CONVENTIONS as string[]))
    .action(async (modelPath: string, opts: StatsOptions, command: Command) => {
      if (opts.allLayers || opts.out !== undefined || opts.esd !== undefined) {
        // --esd weightwatcher unfolds convolutions unless --conv was given
        return runLayerTable(modelPath, { ...opts, conv: command.getOptionValueSource('conv') === 'default' ? undefined : opts.conv });
      }
      const layers = await selectLayers(modelPath, opts.layer);
      if (opts.null !== undefined) {
        getNullModel(opts.null);
        if (opts.samples < 2) throw new UserError('--samples must be at least 2 for z-scores');
      }
      const out: (LayerStats & { zScores?: Record<string, ZScore> })[] = [];
      for (const layer of layers) {
        const st: LayerStats & { zScores?: Record<string, ZScore> } = layerStats(layer, opts.nestedness ? { nestedness: true } : {});
        if (opts.null !== undefined) {
          const method = opts.null;
          const rng = new Rng(deriveSeed(opts.seed, 'stats-null', method, layer.name));
          // NODF on every null sample of a big layer is too slow unless asked for (as in layerStats).
          const withNodf = opts.nestedness || layer.weights.length <= NODF_DEFAULT_MAX_WEIGHTS;
          const statistics: Record<string, LayerStatistic> = Object.fromEntries(
            Object.entries(SCALAR_STATISTICS).filter(([name]) => withNodf || !name.startsWith('nodf')),
          );
          st.zScores = zScores(layer, statistics, (l, r) => randomizeLayer(l, method, r), { samples: opts.samples, rng });
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
