import { Command } from 'commander';
import { join } from 'node:path';
import { reproduce } from '../reproduce.js';
import { outputDir, positiveInt, probeList, timestamp } from '../options.js';
import { addDataOptions, addTrainingOptions } from './shared.js';

export function registerReproduce(program: Command): void {
  const cmd = program
    .command('reproduce')
    .description('train easy- and hard-task MLPs, run all five probes on each, and write a run folder with a report')
    .option('--pairs <pairs>', "class pairs: 'reference' (the study's), 'auto' (most/least similar by SSIM), 'all' (the 45 pairs) or a list like 0v7,7v9", 'reference')
    .option('--out <dir>', 'run folder (default runs/<timestamp>); rerun with the same folder to resume', outputDir)
    .option('--probes <list>', 'probes to run, e.g. baseline,binarize,noise (default: all)', probeList)
    .option('--layer <name>', 'perturb only this layer (dense_0, dense_1, …); default: every layer')
    .option('--quick', 'fewer levels and seeds: a smoke run', false)
    .option('--workers <n>', 'evaluation worker threads (default: one per core)', positiveInt);
  addDataOptions(cmd);
  addTrainingOptions(cmd);
  cmd.action(async (opts) => {
    await reproduce({
      dataset: opts.dataset,
      dataDir: opts.dataDir,
      pairs: opts.pairs,
      runs: opts.runs,
      seed: opts.seed,
      out: opts.out ?? join('runs', timestamp()),
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
      workers: opts.workers,
      quick: opts.quick,
      probes: opts.probes,
      layer: opts.layer,
      backend: opts.backend,
      engine: opts.engine,
      quiet: opts.quiet,
    });
  });
}
