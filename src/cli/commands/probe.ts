/**
 * `weightscope probe MODEL --probe P …`: one probe at one or more levels, evaluated however the
 * model can run (the format registry's capability, src/formats/registry.ts): an .onnx graph with
 * ONNX Runtime on --inputs, a saved tagger on Brown, a plain dense chain (an MLP from any weights
 * file) on MNIST (--pair / --task) or on --inputs; anything else gets one line saying to export it
 * to ONNX.
 */
import { Command, Option } from 'commander';
import { UserError } from '../../core/errors.js';
import { writeFileAtomic } from '../../core/io.js';
import { rowsToCsv, type ResultRow, PROBES, type ProbeName } from '../../core/results.js';
import { validateModel, type Activation, type DenseModel } from '../../core/layer.js';
import { checkTaskName, loadDataset, parsePairs, taskName, taskSplits, type DatasetName } from '../../data/index.js';
import { createEvaluator, testBatchCount } from '../../model/index.js';
import { withHiddenActivation } from '../../model/dense-runner.js';
import { denseChain, openModel, type ModelInventory } from '../../formats/open.js';
import { NO_ACTIVATIONS_NOTE, RUN_TEXT, TORCH_EXPORT } from '../../formats/registry.js';
import { isRandomProbe, measureEvaluation, repeatSeed, validateSpec, PROBE_VARIANTS, type ProbeSpec } from '../../probes/index.js';
import { boundedInt, boundedList, numberList, outputFile } from '../options.js';
import { addDataOptions } from './shared.js';
import { modelArgument } from './model-options.js';
import { DEFAULT_STUDY } from '../../study/kinds/tagger/config.js';


/** The one line for a model weightscope cannot run from its weights alone. */
export function cannotRun(model: ModelInventory, why: string): UserError {
  // the capability as the registry (and docs/formats.md's table) states it
  const can = RUN_TEXT[model.can.run].split(':')[0];
  return new UserError(
    `${model.path}: ${why}; a ${model.format} model ${can}, so weightscope cannot run this one from its weights alone: export it to ONNX and probe the .onnx file (PyTorch: ${TORCH_EXPORT})`,
  );
}

/** The chain's records with the hidden activation set: the file's own (tfjs), else --activation. */
function chainRecords(model: ModelInventory, activation: Activation | undefined): { layers: ReturnType<typeof chainOf>; records: DenseModel['layers'] } {
  const layers = chainOf(model);
  const records = layers.map((l) => l.load());
  if (activation !== undefined) return { layers, records: withHiddenActivation(records, activation) };
  if (!model.activations && records.length > 1) {
    throw new UserError(`${model.path}: ${NO_ACTIVATIONS_NOTE}: add --activation relu|sigmoid|tanh|linear`);
  }
  return { layers, records: model.activations ? records : withHiddenActivation(records, 'linear') };
}

/** Flags (commander attribute names) that apply only to some ways of running a model. */
const ONLY_FOR: Record<string, string> = {
  pair: 'a dense chain on MNIST', task: 'a dense chain on MNIST', dataset: 'a dense chain on MNIST', testLimit: 'a dense chain on MNIST', dataSeed: 'a dense chain on MNIST',
  trainLimit: 'training (probe evaluates on the test split)',
  labels: 'a model run on --inputs X.npy', html: 'a model run on --inputs X.npy (or per layer)', batchSize: 'an .onnx model',
  activation: 'a dense chain read from a weights-only file', evalTokens: 'a tagger', dataDir: 'a dense chain on MNIST or a tagger',
  perLayer: 'a model run on --inputs X.npy, or a tagger', inputs: 'a model run on MNIST (pm1/unit) or on --inputs X.npy',
};

/** A flag the user gave that this way of running the model does not use is an error, never silently ignored. */
function refuseFlags(cmd: Command, how: string, allowed: string[]): void {
  for (const name of Object.keys(ONLY_FOR)) {
    if (allowed.includes(name) || cmd.getOptionValueSource(name) !== 'cli') continue;
    const flag = `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    throw new UserError(`${flag} does not apply here: this model runs ${how}, and ${flag} is for ${ONLY_FOR[name]}; leave it out`);
  }
}

function chainOf(model: ModelInventory): ModelInventory['layers'] {
  const chain = denseChain(model);
  if ('why' in chain) throw cannotRun(model, chain.why);
  return chain.layers;
}

export function registerProbe(program: Command): void {
  const cmd = program
    .command('probe')
    .description('apply one probe to a saved model at one or more levels and print the test accuracy of each (an .onnx model: run by ONNX Runtime on --inputs)')
    .addArgument(modelArgument())
    .option('--pair <pair>', 'the class pair the model was trained on, e.g. 0v7 (an MLP on MNIST / Fashion-MNIST)')
    .option('--task <name>', "the task as a results row names it, e.g. mnist-0v7 (instead of --dataset and --pair)")
    .addOption(new Option('--probe <name>', 'the probe').choices([...PROBES]).makeOptionMandatory())
    .option('--variant <name>', `probe variant (default 'reference', the study's definition; randomize: one of ${PROBE_VARIANTS.randomize.join(', ')})`)
    .option('--levels <list>', 'probe levels, e.g. 0,0.5,0.9', boundedList('levels', numberList), [0])
    .option('--signed', 'apply sign() after the probe')
    .option('--layer <name>', 'perturb only this layer (a name `weightscope layers` prints)', 'all')
    .option('--repeats <n>', 'seeds per level for random probes', boundedInt('repeats'), 1)
    .option('--out <file>', 'write the rows as CSV to this file', outputFile)
    .option('--json', 'print rows as JSON lines instead of a table')
    .option('--labels <file>', 'with --inputs X.npy: a .npy of class labels, one per prediction (else: agreement with the unprobed model)')
    .option('--per-layer', 'with --inputs X.npy, or a tagger: probe each layer alone, one row per layer')
    .addOption(new Option('--activation <fn>', `the hidden layers' activation of an MLP read from a weights-only file (${NO_ACTIVATIONS_NOTE.split(':')[0]})`).choices(['relu', 'sigmoid', 'tanh', 'linear']))
    .option('--eval-tokens <n>', `tagger: held-out Brown tokens to score on (default ${DEFAULT_STUDY.evalTokens})`, boundedInt('evalTokens'))
    .option('--batch-size <n>', '.onnx: inputs per ONNX Runtime run (default: all)', boundedInt('probeBatch'))
    .option('--html <file>', 'with --inputs X.npy: write a page plotting the metric against layer depth', outputFile)
    .option('--quiet', 'no progress output');
  addDataOptions(cmd, { inputsFile: true, evaluationSeed: true });
  cmd.action(async (modelPath: string, opts) => {
    const variants = PROBE_VARIANTS[opts.probe as ProbeName];
    // 'reference' where the probe has one; randomize has no single reference, so it must be named.
    if (opts.variant === undefined && !variants.includes('reference')) {
      throw new UserError(`probe '${opts.probe}' needs --variant, one of: ${variants.join(', ')}`);
    }
    opts.variant ??= 'reference';
    opts.signed ??= false;
    opts.perLayer ??= false;
    opts.json ??= false;
    // the probes see convolutions unfolded: the mapping a probed kernel is written back from
    const model = await openModel(modelPath, { conv: 'unfold', layer: opts.layer === 'all' ? undefined : opts.layer });
    if (opts.layer !== 'all') opts.layer = model.selected[0].name; // any of its names; rows say the one `layers` prints
    const onInputs = !['pm1', 'unit'].includes(opts.inputs);
    // loaded only when needed, so other commands do not load ONNX Runtime's native library
    if (model.can.run === 'onnx-runtime') {
      refuseFlags(cmd, 'with ONNX Runtime on --inputs X.npy', ['inputs', 'labels', 'html', 'batchSize', 'perLayer']);
      return (await import('./probe-inputs.js')).probeOnInputsCommand(model, opts);
    }
    if (model.can.run === 'tagger') {
      refuseFlags(cmd, 'as a tagger on held-out Brown sentences', ['evalTokens', 'dataDir', 'perLayer']);
      await (await import('./probe-tagger.js')).probeTaggerCommand(modelPath, opts);
      return;
    }
    if (onInputs) {
      refuseFlags(cmd, 'as a dense chain on --inputs X.npy', ['inputs', 'labels', 'html', 'perLayer', 'activation']);
      return (await import('./probe-inputs.js')).probeOnInputsCommand(model, opts, chainRecords(model, opts.activation));
    }
    if (opts.perLayer || opts.labels !== undefined || opts.html !== undefined) {
      throw new UserError('--per-layer, --labels and --html go with --inputs X.npy (or an .onnx model or a tagger); on MNIST give --pair or --task');
    }
    refuseFlags(cmd, 'as a dense chain on MNIST', ['pair', 'task', 'dataset', 'testLimit', 'dataSeed', 'activation', 'dataDir', 'inputs']);
    let dataset: DatasetName = opts.dataset;
    let a: number, b: number;
    if (opts.task !== undefined) {
      if (opts.pair !== undefined) throw new UserError('give either --task or --pair, not both');
      ({ dataset, a, b } = checkTaskName(opts.task));
    } else {
      if (!opts.pair) throw new UserError(`--pair (or --task) is required to run a ${model.format} model on MNIST (the class pair it was trained on, e.g. 0v7), or --inputs X.npy [--labels y.npy] for your own data`);
      const pairs = parsePairs(opts.pair);
      if (pairs.length !== 1) throw new UserError(`--pair takes one pair, got ${pairs.length}`);
      [[a, b]] = pairs;
    }
    for (const level of opts.levels as number[]) validateSpec({ probe: opts.probe, variant: opts.variant, signed: false, level, layer: opts.layer });
    const { records } = chainRecords(model, opts.activation);
    const mlp = validateModel({ layers: records });
    const name = taskName(dataset, a, b);
    if (mlp.layers[0].shape[0] !== 784) throw new UserError(`model expects ${mlp.layers[0].shape[0]} inputs; ${dataset} images have 784 pixels`);
    const data = loadDataset(dataset, { dataDir: opts.dataDir });
    // The test images a run with --test-limit N --seed S evaluated on: --test-limit N --data-seed S.
    const { test } = taskSplits(data, dataset, [a, b], { inputs: opts.inputs, seed: opts.dataSeed, validationFraction: 0, testLimit: opts.testLimit });
    const evaluator = createEvaluator(test, opts.inputs);
    const signed = opts.signed || opts.probe === 'binarize' || opts.probe === 'binarize+noise';
    const rows: ResultRow[] = [];
    for (const level of opts.levels as number[]) {
      const spec: ProbeSpec = { probe: opts.probe as ProbeName, variant: opts.variant, signed, level, layer: opts.layer };
      validateSpec(spec);
      const repeats = isRandomProbe(spec) ? opts.repeats : 1;
      for (let rep = 0; rep < repeats; rep++) {
        // --seed as given (a row's seed regenerates that row), at every level: common random numbers along the curve.
        const seed = isRandomProbe(spec) ? repeatSeed(opts.seed, rep) : 0;
        // As reproduce does: noise and random masks re-drawn per test batch of 128, CKA against the model.
        const { accuracy, cka } = measureEvaluation(evaluator, mlp, spec, seed, testBatchCount(test.n));
        rows.push({ task: name, difficulty: 'custom', ...spec, run: 0, seed, accuracy, n_test: test.n, inputs: opts.inputs, ...(cka === undefined ? {} : { cka }) });
      }
    }
    if (opts.out) writeFileAtomic(opts.out, rowsToCsv(rows));
    if (opts.json) for (const r of rows) process.stdout.write(JSON.stringify(r) + '\n');
    else {
      process.stdout.write(`probe\tvariant\tsigned\tlevel\tseed\taccuracy\n`);
      for (const r of rows) process.stdout.write(`${r.probe}\t${r.variant}\t${r.signed}\t${r.level}\t${r.seed}\t${r.accuracy.toFixed(4)}\n`);
    }
  });
}
