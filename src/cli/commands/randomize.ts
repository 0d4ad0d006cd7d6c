/**
 * `weightscope randomize MODEL --method NAME --seed S --out PATH`: write a null model of a saved
 * model (every dense layer, or one with --layer) in the format --out names (a tfjs model folder, or
 * for one-layer models also .npy / .gexf / .graphml), loadable like the original. The null models and what each preserves: docs/null-models.md.
 * It draws through the randomize probe itself (applyProbe), each layer from nullStream(new Rng(S),
 * NAME, layer) as `weightscope probe --probe randomize --seed S` and a study's randomize rows do, so
 * `--prune <level> [--signed] --seed <row seed>` writes exactly the model a randomize row evaluated
 * (.onnx: the stream is keyed by the name the probe gives the layer, its tensor's).
 */
import { Command, InvalidArgumentError } from 'commander';
import { Rng } from '../../core/rng.js';
import { loadLayerSource, saveLayerSource } from '../../graph/index.js';
import { NULL_MODEL_NAMES, NULL_MODELS, getNullModel, type WeightMode } from '../../randomize/index.js';
import { applyProbe, type ProbeSpec, type RandomizeProbeOptions } from '../../probes/index.js';
import { nonNegativeInt, numberValue, outputDir, outputFile, seedValue } from '../options.js';
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

function pruneFraction(value: string): number {
  const n = numberValue(value);
  if (n < 0 || n > 1) throw new InvalidArgumentError('must be a fraction, 0 ≤ x ≤ 1.');
  return n;
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
    .option('--prune <fraction>', 'first remove this fraction of the smallest |w| of each randomized layer, of its weights and of its biases (a randomize row\'s level)', pruneFraction, 0)
    .option('--signed', 'then apply sign() to the randomized layers\' weights and biases (a signed randomize row)', false)
    .addOption(convOption())
    .action(async (modelPath: string, opts: { method: string; out: string; seed: number; layer?: string; steps?: number; weights?: WeightMode; prune: number; signed: boolean; conv: ConvMapping }) => {
      getNullModel(opts.method);
      // .safetensors / .npz / …: written back in the model's own format, other tensors byte for byte
      const source = isModelFilePath(modelPath) ? loadModelLayers(modelPath, { conv: opts.conv }) : null;
      if (source && opts.layer !== undefined) findEntry(modelLayerEntries(modelPath, { conv: opts.conv }).entries, opts.layer);
      const model = source ? { layers: source.layers } : loadLayerSource(modelPath);
      const options: RandomizeProbeOptions = {};
      if (opts.steps !== undefined) options.steps = opts.steps;
      if (opts.weights !== undefined) options.weights = opts.weights;
      // loaded only for .onnx files, as the probe command does: it brings ONNX Runtime's native library
      if (source?.file.format === 'onnx') options.streamName = (await import('../../probes/onnx-probe.js')).probeStreamName(source.file, source.inventory);
      const spec: ProbeSpec = { probe: 'randomize', variant: opts.method, level: opts.prune, signed: opts.signed, layer: opts.layer ?? 'all' };
      const out = applyProbe(model, spec, new Rng(opts.seed), { randomize: options });
      let written: string;
      if (source) {
        written = writeBackPath(source.file, opts.out);
        writeModelLayers(source, out.layers.filter((l) => opts.layer === undefined || l.name === opts.layer), written);
      } else written = saveLayerSource(opts.out, out);
      const which = opts.layer ?? model.layers.map((l) => l.name).join(', ');
      process.stdout.write(
        `randomized ${which}${opts.prune > 0 ? ` (pruned ${opts.prune} first)` : ''} with '${opts.method}' (${NULL_MODELS[opts.method].preserves})${opts.signed ? ', then signed' : ''}, seed ${opts.seed} → ${written}\n`,
      );
    });
}
