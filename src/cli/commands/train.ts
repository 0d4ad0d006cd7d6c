import { Command } from 'commander';
import { join } from 'node:path';
import { checkOutputDir, writeJsonAtomic } from '../../core/io.js';
import { deriveSeed } from '../../core/rng.js';
import { TRAINING_RECORD, runSubdir } from '../../core/run-folder.js';
import { UserError } from '../../core/errors.js';
import { loadDataset, parsePairs, taskName } from '../../data/index.js';
import { createEvaluator, defaultTrainEngine, saveModel, selectBackend, trainMlp } from '../../model/index.js';
import { mlpConfigOf, prepareTask, trainConfigOf } from '../tasks.js';
import { createProgress } from '../progress.js';
import { outputDir, timestamp } from '../options.js';
import { addDataOptions, addTrainingOptions } from './shared.js';

export function registerTrain(program: Command): void {
  const cmd = program
    .command('train')
    .description('train MLPs on one class pair and save them in the TensorFlow.js layers format')
    .requiredOption('--pair <pair>', 'the class pair, e.g. 0v7')
    .option('--out <dir>', 'output folder (default models/<task>-<timestamp>); models go to <out>/run-<k>/', outputDir);
  addDataOptions(cmd);
  addTrainingOptions(cmd);
  cmd.action(async (opts) => {
    const pairs = parsePairs(opts.pair);
    if (pairs.length !== 1) throw new UserError(`--pair takes one pair, got ${pairs.length}`);
    const [a, b] = pairs[0];
    const name = taskName(opts.dataset, a, b);
    const out = opts.out ?? join('models', `${name}-${timestamp()}`);
    checkOutputDir(out); // before any training, also for the default folder
    const progress = createProgress({ quiet: opts.quiet });
    const backend = await selectBackend(opts.backend);
    const data = loadDataset(opts.dataset, { dataDir: opts.dataDir });
    const flags = { ...opts, learningRate: opts.lr, engine: opts.engine ?? defaultTrainEngine() };
    const { task, train, test } = prepareTask(data, opts.dataset, [a, b], {
      ...flags,
      validationFraction: opts.earlyStopping > 0 ? opts.validation : 0,
    });
    const evaluator = createEvaluator(test, opts.inputs);
    progress.log(`training ${opts.runs} model(s) on ${name} with engine '${flags.engine}' (tfjs backend '${backend.name}')`);
    for (let run = 0; run < opts.runs; run++) {
      const seed = deriveSeed(opts.seed, 'train', name, run);
      const stage = progress.stage(`train ${name} run ${run}`, opts.epochs, 'epochs');
      const result = await trainMlp(train, opts.inputs, mlpConfigOf(flags), trainConfigOf(flags, seed, task.validation, (info) => stage.update(info.epoch)));
      stage.stop();
      const dir = runSubdir(out, run);
      const accuracy = evaluator.accuracy(result.model);
      await saveModel(dir, result.model);
      writeJsonAtomic(join(dir, TRAINING_RECORD), { task: name, seed, inputs: opts.inputs, backend, engine: flags.engine, history: result.history, testAccuracy: accuracy, n_test: test.n });
      process.stdout.write(`${dir}\ttest accuracy ${accuracy.toFixed(4)} (${test.n} images)\n`);
    }
  });
}
