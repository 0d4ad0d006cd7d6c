/**
 * `weightscope compare A B [C …]`: flags → one call (`runCompare`, src/compare/run.ts), then a
 * short summary on stdout. docs/compare.md.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseShift, SHIFT_HELP } from '../../data/shift.js';
import { linearGrid, log2Grid } from '../../probes/sweep.js';
import type { CompareRunOptions } from '../../compare/run.js';
import type { CompareResult } from '../../compare/result.js';
import { orderDifferences, type FeatureDifference } from '../../compare/compare.js';
import { boundedInt, fraction, outputDir, positiveInt, seedValue } from '../options.js';
import { modelHelp } from './model-options.js';

function shiftList(value: string): string[] {
  if (value === 'none') return [];
  const items = value.split(',').map((s) => s.trim());
  for (const s of items) {
    try {
      parseShift(s);
    } catch {
      throw new InvalidArgumentError(`'${s}' is not a shift (${SHIFT_HELP}, or none).`);
    }
  }
  return items;
}

function labelList(value: string): string[] {
  const items = value.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new InvalidArgumentError('has an empty label.');
  return items;
}

function nullName(value: string): string | null {
  return value === 'none' ? null : value;
}

/** The coarse plans of --quick: a first look in seconds. */
export const QUICK_PLANS = {
  plan: { prune: [0, 0.5, 0.8, 0.9, 0.95, 0.99], noise: log2Grid(-8, 0, 5), signflip: linearGrid(0, 1, 6), randomize: ['B'], randomizeLevels: [0, 0.5, 0.9], samples: 5 },
  cppnPlan: { size: 32, sweepSample: 8, samples: 5, probes: { prune: [0, 0.5, 0.9, 0.97], noise: log2Grid(-6, 0, 4), signflip: [0, 0.3, 1], randomize: ['B'], seeds: 1 } },
};

const f3 = (x: number | null): string => (x === null || !Number.isFinite(x) ? '—' : Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(2) : x.toFixed(3));

/** The summary printed on stdout. */
export function formatCompare(r: CompareResult, top = 8): string {
  const lines: string[] = [];
  for (const g of r.comparison.groups) {
    const acc = g.accuracy ? `accuracy ${f3(g.accuracy.mean)} [${f3(g.accuracy.lo)}, ${f3(g.accuracy.hi)}] over ${g.accuracy.over}` : g.kind === 'cppn' ? 'drawing network (metric: SSIM)' : 'weights only';
    lines.push(`${g.label}: ${g.n} model${g.n === 1 ? '' : 's'} (${g.kind}), ${acc}`);
  }
  for (const d of r.drawings) lines.push(`${d.a} vs ${d.b}: pictures at ${d.size}² SSIM ${d.ssim.toFixed(4)} (same picture, SSIM ≥ 0.99: ${d.same ? 'yes' : 'no'})`);
  for (const p of r.comparison.pairs) {
    lines.push('');
    const acc = p.accuracy;
    const verdict = acc === null ? '' : acc.equal === null ? `; accuracy Δ ${f3(acc.delta)}` : `; accuracy Δ ${f3(acc.delta)} [${f3(acc.lo)}, ${f3(acc.hi)}]: ${acc.equal ? 'accuracy cannot tell them apart' : 'accuracies differ'}`;
    const flagged = p.features.filter((f) => f.flagged && f.feature !== 'accuracy');
    const noIntervals = p.features.every((f) => f.method === 'none');
    lines.push(noIntervals ? `${p.a} vs ${p.b}: ${p.features.length} features compared, without intervals${verdict}` : `${p.a} vs ${p.b}: ${flagged.length} of ${p.features.length} features differ${verdict}`);
    const shown = orderDifferences((flagged.length ? flagged : p.features).filter((f: FeatureDifference) => f.feature !== 'accuracy')).slice(0, top);
    if (!flagged.length && shown.length) lines.push(noIntervals ? '  largest differences:' : '  largest differences (none flagged):');
    for (const f of shown) {
      const ci = f.delta_lo === null ? '' : ` [${f3(f.delta_lo)}, ${f3(f.delta_hi)}]`;
      lines.push(`  ${f.feature.padEnd(28)} ${f3(f.mean_a).padStart(9)} → ${f3(f.mean_b).padEnd(9)} Δ ${f3(f.delta)}${ci}${f.g !== null ? `  g ${f.g.toFixed(2)}` : ''}${f.p !== null ? `  p ${f3(f.p)}` : ''}`);
    }
    for (const n of p.notes) lines.push(`  note: ${n}`);
  }
  return lines.join('\n');
}

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('fingerprint models by perturbation (probe curves, unit ablation, circuits, shifts, graph statistics) and say where groups of them differ')
    .argument('<models...>', `two or more models or run folders (reproduce or train --out: all their models form one group); a model is ${modelHelp()}; a FER .npz with its .cppn.json beside it is a drawing network`)
    .option('--label <list>', 'one label per argument, comma-separated; arguments with the same label form one group (default: each its own, named after it)', labelList)
    .option('--out <dir>', 'write fingerprints.csv, comparison.csv, compare.json, report.html and the viewer copies of the models here', outputDir)
    .option('--task <name>', 'the classifiers\' test set, e.g. mnist-7v9 (default: what the run folders or training records say)')
    .option('--pair <pair>', 'the class pair instead of --task, e.g. 7v9 (with --dataset)')
    .addOption(new Option('--dataset <name>', 'dataset of --pair').choices(['mnist', 'fashion']))
    .addOption(new Option('--inputs <scaling>', 'input scaling the classifiers were trained with (default: the run folders\', else pm1)').choices(['pm1', 'unit']))
    .option('--test-limit <n>', 'evaluate on at most n test images (stratified sample; default: the run folder\'s, else all)', positiveInt)
    .option('--data-seed <n>', 'base seed of the --test-limit sample (default: the run folder\'s, else 1)', seedValue)
    .option('--data-dir <dir>', 'read the dataset from IDX files in this folder')
    .addOption(new Option('--activation <fn>', 'hidden activation of MLPs read from weights-only files').choices(['relu', 'sigmoid', 'tanh', 'linear']))
    .option('--shift <list>', `distribution shifts of the test images (${SHIFT_HELP}, or none)`, shiftList)
    .option('--null <name>', 'null model of the sign-degree z-scores (default curveball; none to skip them)', nullName)
    .option('--samples <n>', 'null samples per layer for the z-scores (default 20)', boundedInt('samples'))
    .option('--edges', 'also find the edge circuit (the smallest set of weights that keeps accuracy)')
    .option('--tolerance <x>', 'a circuit keeps the metric within this of the full model (default 0.01)', fraction)
    .option('--size <n>', 'drawing networks: pixels a side of the fingerprint drawings (default 64)', boundedInt('drawingSize'))
    .option('--sweeps <n>', 'drawing networks: non-zero weights swept (default 32; 0: none)', boundedInt('sweeps', { min: 0 }))
    .option('--sparsity-control', 'add a group: the denser group magnitude-pruned to the sparser group\'s density')
    .option('--alpha <x>', 'significance level; intervals are 1 − alpha (default 0.05)', fraction)
    .option('--resamples <n>', 'bootstrap resamples (default 2000)', boundedInt('resamples'))
    .option('--seed <n>', 'seed of every random draw (the same for every model)', seedValue, 1)
    .option('--quick', 'coarse grids and few null samples: a first look')
    .option('--view-port <n>', 'the port the report\'s viewer links use (default 8765)', positiveInt)
    .option('--quiet', 'no progress output')
    .action(async (paths: string[], opts) => {
      const { runCompare } = await import('../../compare/run.js');
      const quick = opts.quick ? QUICK_PLANS : { plan: {}, cppnPlan: {} };
      const plan: CompareRunOptions['plan'] = {
        ...quick.plan,
        ...(opts.shift !== undefined ? { shifts: opts.shift } : {}),
        ...(opts.null !== undefined ? { nullModel: opts.null } : {}),
        ...(opts.samples !== undefined ? { samples: opts.samples } : {}),
        ...(opts.edges ? { edgeCircuit: true } : {}),
        ...(opts.tolerance !== undefined ? { tolerance: opts.tolerance } : {}),
      };
      const cppnPlan: CompareRunOptions['cppnPlan'] = {
        ...quick.cppnPlan,
        ...(opts.size !== undefined ? { size: opts.size } : {}),
        ...(opts.sweeps !== undefined ? { sweepSample: opts.sweeps } : {}),
        ...(opts.null !== undefined ? { nullModel: opts.null } : {}),
        ...(opts.samples !== undefined ? { samples: opts.samples } : {}),
        ...(opts.tolerance !== undefined ? { tolerance: opts.tolerance } : {}),
      };
      const started = Date.now();
      const result = await runCompare({
        paths, labels: opts.label, out: opts.out, task: opts.task, pair: opts.pair, dataset: opts.dataset, inputs: opts.inputs,
        testLimit: opts.testLimit, dataSeed: opts.dataSeed, dataDir: opts.dataDir, activation: opts.activation, seed: opts.seed,
        plan, cppnPlan, sparsityControl: Boolean(opts.sparsityControl), alpha: opts.alpha, resamples: opts.resamples, viewPort: opts.viewPort,
        onStage: opts.quiet ? undefined : (s) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0)} s] ${s}\n`),
      });
      process.stdout.write(formatCompare(result) + '\n');
      if (opts.out) process.stdout.write(`\nwrote ${opts.out}/report.html, fingerprints.csv, comparison.csv, compare.json (${result.viewer.length} models for the viewer: weightscope view ${opts.out})\n`);
    });
}
