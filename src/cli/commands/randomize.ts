/**
 * `weightscope randomize MODEL --method NAME --seed S --out PATH`: write a null model of a saved
 * model (every dense layer, or one with --layer) in the format --out names (a tfjs model folder, or
 * for one-layer models also .npy / .gexf / .graphml), loadable like the original. The null models and what each preserves: docs/null-models.md.
 */
import { Command, InvalidArgumentError } from 'commander';
import { Rng } from '../../core/rng.js';
import { loadLayerSource, saveLayerSource } from '../../graph/index.js';
import { NULL_MODEL_NAMES, NULL_MODELS, randomizeModel, type RandomizeModelOptions, type WeightMode } from '../../randomize/index.js';
import { nonNegativeInt, outputDir, outputFile, seedValue } from '../options.js';
import { isModelFilePath, loadModelLayers, writeModelLayers, type ConvMapping } from '../../formats/index.js';
import { convOption, findEntry, modelLayerEntries } from './layers.js';
import { writeBackPath } from './write-back.js';

function weightMode(value: string): WeightMode {
  if (value !== 'travel' && value !== 'redraw') throw new InvalidArgumentError("must be 'travel' or 'redraw'.");
  return value;
}

/** --out is a file for the one-layer formats and model files (.safetensors, …), else a model folder (as saveLayerSource decides). */
function outputPath(value: string): string {
  return /\.(npy|gexf|graphml)$/i.test(value) || (isModelFilePath(value) && !value.endsWith('/')) ? outputFile(value) : outputDir(value);
}

export function registerRandomize(program: Command): void {
  program
    .command('randomize')
    .description('write a randomized copy (a null model) of a saved model; biases are kept')
    .argument('<model>', 'a tfjs layers model (model.json or its folder), a .npy weight matrix, or a .gexf/.graphml layer graph')
    .requiredOption('--method <name>', `null model: ${NULL_MODEL_NAMES.join(', ')}`)
    .requiredOption('--out <path>', 'where to write: FILE.npy, FILE.gexf or FILE.graphml (one-layer models), else a folder for model.json + weights.bin', outputPath)
    .option('--seed <n>', 'random seed', seedValue, 1)
    .option('--layer <name>', 'randomize only this layer (default: every layer)')
    .option('--steps <n>', 'mixing steps for G, swap (attempted swaps) and curveball (trades); default: analytic bound', nonNegativeInt)
    .option('--weights <mode>', "curveball / swap / G: 'travel' (weights move with edges) or 'redraw'", weightMode)
    .addOption(convOption())
    .action((modelPath: string, opts: { method: string; out: string; seed: number; layer?: string; steps?: number; weights?: WeightMode; conv: ConvMapping }) => {
      // .safetensors / .npz / …: written back in the model's own format, other tensors byte for byte
      const source = isModelFilePath(modelPath) ? loadModelLayers(modelPath, { conv: opts.conv }) : null;
      if (source && opts.layer !== undefined) findEntry(modelLayerEntries(modelPath, { conv: opts.conv }).entries, opts.layer);
      const model = source ? { layers: source.layers } : loadLayerSource(modelPath);
      const options: RandomizeModelOptions = {};
      if (opts.layer !== undefined) options.layer = opts.layer;
      if (opts.steps !== undefined) options.steps = opts.steps;
      if (opts.weights !== undefined) options.weights = opts.weights;
      const out = randomizeModel(model, opts.method, new Rng(opts.seed), options);
      let written: string;
      if (source) {
        written = writeBackPath(source.file, opts.out);
        writeModelLayers(source, out.layers.filter((l) => opts.layer === undefined || l.name === opts.layer), written);
      } else written = saveLayerSource(opts.out, out);
      const which = opts.layer ?? model.layers.map((l) => l.name).join(', ');
      process.stdout.write(
        `randomized ${which} with '${opts.method}' (${NULL_MODELS[opts.method].preserves}), seed ${opts.seed} → ${written}\n`,
      );
    });
}
