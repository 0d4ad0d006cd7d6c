/**
 * `weightscope randomize MODEL --method NAME --seed S --out PATH`: write a null model of a saved
 * model (every dense layer, or one with --layer) in the format --out names (a tfjs model folder, or
 * for one-layer models also .npy / .gexf / .graphml), loadable like the original. The null models and what each preserves: docs/null-models.md.
 * It draws through the randomize probe itself (applyProbe), each layer from nullStream(new Rng(S),
 * NAME, layer) as `weightscope probe --probe randomize --seed S` and a study's randomize rows do, so
 * `--prune <level> [--signed] --seed <row seed>` writes exactly the model a randomize row evaluated
 */
import { extname } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { Rng } from '../../core/rng.js';
import { UserError } from '../../core/errors.js';
import type { ConvMapping } from '../../formats/inventory.js';
import { openModel } from '../../formats/open.js';
import { saveLayerSource } from '../../graph/index.js';
import { NULL_MODEL_NAMES, NULL_MODELS, getNullModel, type WeightMode } from '../../randomize/index.js';
import { applyProbe, type ProbeSpec, type RandomizeProbeOptions } from '../../probes/index.js';
import type { DenseModel } from '../../core/layer.js';
import { boundedInt, numberValue, outputDir, outputFile, seedValue } from '../options.js';
import { convOption, layerOption, modelArgument } from './model-options.js';
import { writeBackPath } from './write-back.js';

function weightMode(value: string): WeightMode {
  if (value !== 'travel' && value !== 'redraw') throw new InvalidArgumentError("must be 'travel' or 'redraw'.");
  return value;
}

/** One layer's matrix in a weightscope one-layer file. */
const ONE_LAYER_FILE = /\.(npy|gexf|graphml)$/i;
/** --out is a file for the one-layer formats and the model files of other frameworks, else a folder. */
function outputPath(value: string): string {
  return ONE_LAYER_FILE.test(value) || (/\.(safetensors|npz|keras|onnx)$/i.test(value) && !value.endsWith('/')) ? outputFile(value) : outputDir(value);
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
    .addArgument(modelArgument())
    .requiredOption('--method <name>', `null model: ${NULL_MODEL_NAMES.join(', ')}`)
    .requiredOption(
      '--out <path>',
      'where to write: FILE.npy, FILE.gexf or FILE.graphml for one layer (the model\'s only one, or --layer); a model of another framework back in its own format (the same extension, a folder for shards or a tagger); else a folder for a tfjs model.json + weights.bin',
      outputPath,
    )
    .option('--seed <n>', 'random seed', seedValue, 1)
    .addOption(layerOption('randomize only this layer (default: every layer)'))
    .option('--steps <n>', 'mixing steps for G, swap (attempted swaps) and curveball (trades); default: analytic bound', boundedInt('steps', { min: 0 }))
    .option('--weights <mode>', "curveball / swap / G: 'travel' (weights move with edges) or 'redraw'", weightMode)
    .option('--prune <fraction>', 'first remove this fraction of the smallest |w| of each randomized layer, of its weights and of its biases (a randomize row\'s level)', pruneFraction, 0)
    .option('--signed', 'then apply sign() to the randomized layers\' weights and biases (a signed randomize row)')
    .addOption(convOption('unfold'))
    .action(async (modelPath: string, opts: { method: string; out: string; seed: number; layer?: string; steps?: number; weights?: WeightMode; prune: number; signed?: boolean; conv: ConvMapping }) => {
      getNullModel(opts.method);
      const source = await openModel(modelPath, { conv: opts.conv, layer: opts.layer });
      const only = opts.layer === undefined ? undefined : source.selected[0].name;
      const oneLayerOut = ONE_LAYER_FILE.test(opts.out);
      if (oneLayerOut && source.selected.length !== 1) {
        const alone = `name one with --layer to write it alone as ${extname(opts.out)}`;
        if (source.can.write === 'own') writeBackPath(source, opts.out, alone);
        throw new UserError(`--out ${opts.out}: a one-layer file, but ${source.selected.length} layers would be randomized: ${alone}`);
      }
      const written = oneLayerOut ? opts.out : source.can.write === 'own' ? writeBackPath(source, opts.out) : opts.out;
      const model: DenseModel = { layers: source.records() };
      const options: RandomizeProbeOptions = {};
      if (opts.steps !== undefined) options.steps = opts.steps;
      if (opts.weights !== undefined) options.weights = opts.weights;
      // Through the randomize probe itself, so the same --seed draws what `probe --probe randomize` draws.
      const spec: ProbeSpec = { probe: 'randomize', variant: opts.method, level: opts.prune, signed: opts.signed ?? false, layer: only ?? 'all' };
      const out = applyProbe(model, spec, new Rng(opts.seed), { randomize: options });
      const changed = out.layers.filter((l) => only === undefined || l.name === only);
      if (oneLayerOut) saveLayerSource(written, { layers: changed });
      else if (source.can.write === 'own') source.write(changed, written); // other tensors byte for byte
      else saveLayerSource(written, out);
      const which = only ?? model.layers.map((l) => l.name).join(', ');
      const convs = source.selected.filter((l) => l.conv).length;
      const convNote = convs ? `; ${convs} convolution${convs === 1 ? '' : 's'} seen as ${opts.conv} (--conv)` : '';
      process.stdout.write(
        `randomized ${which}${opts.prune > 0 ? ` (pruned ${opts.prune} first)` : ''} with '${opts.method}' (${NULL_MODELS[opts.method].preserves})${opts.signed ? ', then signed' : ''}, seed ${opts.seed}${convNote} → ${written}\n`,
      );
    });
}
