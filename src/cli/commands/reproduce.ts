import { Command } from 'commander';
import { join } from 'node:path';
import { runStudy } from '../../study/run.js';
import { createProgress } from '../progress.js';
import { outputDir, probeList, timestamp } from '../options.js';
import { addDataOptions, addExecutorOptions, addTrainingOptions } from './shared.js';
import { UserError } from '../../core/errors.js';
import { BIAS_MODES, type BiasMode } from '../../probes/index.js';

/** --bias trained,reference-init → the bias modes every probe runs with. */
function biasList(value: string): BiasMode[] {
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const b of list) {
    if (!(BIAS_MODES as readonly string[]).includes(b)) throw new UserError(`unknown bias mode '${b}' (modes: ${BIAS_MODES.join(', ')})`);
  }
  if (list.length === 0) throw new UserError('--bias needs at least one mode');
  return list as BiasMode[];
}

export function registerReproduce(program: Command): void {
  const cmd = program
    .command('reproduce')
    .description('train easy- and hard-task MLPs, run all five probes on each, and write a run folder with a report')
    .option('--pairs <pairs>', "class pairs: 'reference' (the study's), 'auto' (most/least similar by SSIM), 'all' (the 45 pairs) or a list like 0v7,7v9", 'reference')
    .option('--out <dir>', 'run folder (default runs/<timestamp>); rerun with the same folder to resume', outputDir)
    .option('--probes <list>', 'probes to run, e.g. baseline,binarize,noise (default: all)', probeList)
    .option('--layer <name>', 'perturb only this layer (dense_0, dense_1, …); default: every layer')
    .option('--quick', 'fewer levels and seeds: a smoke run', false)
    .option('--bias <modes>', "biases every probe runs with: 'trained' (default), 'reference-init' (fresh nn.Linear-style biases, as the reference code), or both", biasList)
    .option('--no-graphs', "don't write each layer's graph files (graphs/); for large studies — `weightscope export` writes them on demand");
  addExecutorOptions(cmd);
  addDataOptions(cmd);
  addTrainingOptions(cmd);
  cmd.action(async (opts) => {
    await runStudy('reference', {
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
      executor: opts.executor,
      graphs: opts.graphs,
      redis: opts.redis,
      quick: opts.quick,
      ...(opts.bias ? { biases: opts.bias } : {}),
      probes: opts.probes,
      layer: opts.layer,
      backend: opts.backend,
      engine: opts.engine,
    }, { progress: createProgress({ quiet: opts.quiet }) });
  });
}
