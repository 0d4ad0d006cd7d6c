import { Command } from 'commander';
import { join } from 'node:path';
import { UserError } from '../../core/errors.js';
import { parsePairs, taskName } from '../../data/index.js';
import { trainPair } from '../../study/kinds/reference/train.js';
import { createProgress } from '../progress.js';
import { outputDir, timestamp } from '../options.js';
import { addDataOptions, addTrainingOptions } from './shared.js';

export function registerTrain(program: Command): void {
  const cmd = program
    .command('train')
    .description('train MLPs on one class pair (with reproduce\'s discard rule) and save them in the TensorFlow.js layers format')
    .requiredOption('--pair <pair>', 'the class pair, e.g. 0v7')
    .option('--out <dir>', 'output folder (default models/<task>-<timestamp>); models go to <out>/run-<k>/', outputDir);
  addDataOptions(cmd);
  addTrainingOptions(cmd);
  cmd.action(async (opts) => {
    const pairs = parsePairs(opts.pair);
    if (pairs.length !== 1) throw new UserError(`--pair takes one pair, got ${pairs.length}`);
    await trainPair({
      dataset: opts.dataset,
      dataDir: opts.dataDir,
      pair: opts.pair,
      runs: opts.runs,
      seed: opts.seed,
      out: opts.out ?? join('models', `${taskName(opts.dataset, pairs[0][0], pairs[0][1])}-${timestamp()}`),
      inputs: opts.inputs,
      hidden: opts.hidden,
      activation: opts.activation,
      head: opts.head,
      epochs: opts.epochs,
      batchSize: opts.batchSize,
      learningRate: opts.lr,
      earlyStopping: opts.earlyStopping,
      validationFraction: opts.validation,
      trainLimit: opts.trainLimit,
      testLimit: opts.testLimit,
      engine: opts.engine,
      backend: opts.backend,
    }, {
      progress: createProgress({ quiet: opts.quiet }),
      onSaved: ({ dir, record }) => process.stdout.write(`${dir}\ttest accuracy ${record.test!.accuracy.toFixed(4)} (${record.test!.n} images)\n`),
    });
  });
}
