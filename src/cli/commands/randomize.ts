/**
 * `weightscope randomize MODEL --method NAME --seed S --out DIR`: write a null model of a saved
 * model (every dense layer, or one with --layer) in the tfjs layers format, loadable like the
 * original. The null models and what each preserves: docs/null-models.md.
 */
import { Command, InvalidArgumentError } from 'commander';
import { Rng } from '../../core/rng.js';
import { saveModel } from '../../model/index.js';
import { loadLayerSource } from '../../graph/index.js';
import { NULL_MODEL_NAMES, NULL_MODELS, randomizeModel, type RandomizeModelOptions, type WeightMode } from '../../randomize/index.js';
import { nonNegativeInt, seedValue } from '../options.js';

function weightMode(value: string): WeightMode {
  if (value !== 'travel' && value !== 'redraw') throw new InvalidArgumentError("must be 'travel' or 'redraw'.");
  return value;
}

export function registerRandomize(program: Command): void {
  program
    .command('randomize')
    .description('write a randomized copy (a null model) of a saved model; biases are kept')
    .argument('<model>', 'a tfjs layers model (model.json or its folder) or a .npy weight matrix')
    .requiredOption('--method <name>', `null model: ${NULL_MODEL_NAMES.join(', ')}`)
    .requiredOption('--out <dir>', 'folder to write model.json + weights.bin to')
    .option('--seed <n>', 'random seed', seedValue, 1)
    .option('--layer <name>', 'randomize only this layer (default: every layer)')
    .option('--steps <n>', 'mixing steps for G, swap (attempted swaps) and curveball (trades); default: analytic bound', nonNegativeInt)
    .option('--weights <mode>', "curveball / swap / G: 'travel' (weights move with edges) or 'redraw'", weightMode)
    .action((modelPath: string, opts: { method: string; out: string; seed: number; layer?: string; steps?: number; weights?: WeightMode }) => {
      const model = loadLayerSource(modelPath);
      const options: RandomizeModelOptions = {};
      if (opts.layer !== undefined) options.layer = opts.layer;
      if (opts.steps !== undefined) options.steps = opts.steps;
      if (opts.weights !== undefined) options.weights = opts.weights;
      const out = randomizeModel(model, opts.method, new Rng(opts.seed), options);
      const written = saveModel(opts.out, out);
      const which = opts.layer ?? model.layers.map((l) => l.name).join(', ');
      process.stdout.write(
        `randomized ${which} with '${opts.method}' (${NULL_MODELS[opts.method].preserves}), seed ${opts.seed} → ${written.modelJson}\n`,
      );
    });
}
