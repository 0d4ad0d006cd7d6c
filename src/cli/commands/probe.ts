import { Command, Option } from 'commander';
import { UserError } from '../../core/errors.js';
import { writeFileAtomic } from '../../core/io.js';
import { rowsToCsv, type ResultRow, PROBES, type ProbeName } from '../../core/results.js';
import { findLayer } from '../../core/layer.js';
import { checkTaskName, loadDataset, parsePairs, taskName, taskSplits, type DatasetName } from '../../data/index.js';
import { createEvaluator, testBatchCount } from '../../model/index.js';
import { loadLayerSource } from '../../graph/index.js';
import { isRandomProbe, measureEvaluation, repeatSeed, validateSpec, PROBE_VARIANTS, type ProbeSpec } from '../../probes/index.js';
import { numberList, outputFile, positiveInt } from '../options.js';
import { addDataOptions } from './shared.js';
import { isTransformerDir } from '../../model/transformer/files.js';
import { DEFAULT_STUDY } from '../transformer/study.js';

export function registerProbe(program: Command): void {
  const cmd = program
    .command('probe')
    .description('apply one probe to a saved model at one or more levels and print the test accuracy of each (an .onnx model: run by ONNX Runtime on --inputs)')
    .argument('<model>', 'a tfjs layers model (model.json or its folder), an .onnx file, or a transformer tagger folder (weightscope transformer)')
    .option('--pair <pair>', 'the class pair the model was trained on, e.g. 0v7 (tfjs models)')
    .option('--task <name>', "the task as a results row names it, e.g. mnist-0v7 (instead of --dataset and --pair)")
    .addOption(new Option('--probe <name>', 'the probe').choices([...PROBES]).makeOptionMandatory())
    .option('--variant <name>', `probe variant (default 'reference', the study's definition; randomize: one of ${PROBE_VARIANTS.randomize.join(', ')})`)
    .option('--levels <list>', 'probe levels, e.g. 0,0.5,0.9', numberList, [0])
    .option('--signed', 'apply sign() after the probe', false)
    .option('--layer <name>', 'perturb only this layer', 'all')
    .option('--repeats <n>', 'seeds per level for random probes', positiveInt, 1)
    .option('--out <file>', 'write the rows as CSV to this file', outputFile)
    .option('--json', 'print rows as JSON lines instead of a table', false)
    .option('--labels <file>', '.onnx: a .npy of class labels, one per prediction (else: agreement with the unprobed model)')
    .option('--per-layer', '.onnx or tagger: probe each layer alone, one row per layer', false)
    .option('--eval-tokens <n>', `tagger: held-out Brown tokens to score on (default ${DEFAULT_STUDY.evalTokens})`, positiveInt)
    .option('--batch-size <n>', '.onnx: inputs per ONNX Runtime run (default: all)', positiveInt)
    .option('--html <file>', '.onnx: write a page plotting the metric against layer depth', outputFile)
    .option('--quiet', 'no progress output', false);
  addDataOptions(cmd, { inputsFile: true, evaluationSeed: true });
  cmd.action(async (modelPath: string, opts) => {
    const variants = PROBE_VARIANTS[opts.probe as ProbeName];
    // 'reference' where the probe has one; randomize has no single reference, so it must be named.
    if (opts.variant === undefined && !variants.includes('reference')) {
      throw new UserError(`probe '${opts.probe}' needs --variant, one of: ${variants.join(', ')}`);
    }
    opts.variant ??= 'reference';
    // loaded only for .onnx models, so other commands do not load ONNX Runtime's native library
    if (modelPath.toLowerCase().endsWith('.onnx')) return (await import('./probe-onnx.js')).probeOnnxCommand(modelPath, opts);
    if (isTransformerDir(modelPath)) {
      await (await import('./probe-tagger.js')).probeTaggerCommand(modelPath, opts);
      return;
    }
    let dataset: DatasetName = opts.dataset;
    let a: number, b: number;
    if (opts.task !== undefined) {
      if (opts.pair !== undefined) throw new UserError('give either --task or --pair, not both');
      ({ dataset, a, b } = checkTaskName(opts.task));
    } else {
      if (!opts.pair) throw new UserError('--pair (or --task) is required for a tfjs model (the class pair it was trained on, e.g. 0v7)');
      const pairs = parsePairs(opts.pair);
      if (pairs.length !== 1) throw new UserError(`--pair takes one pair, got ${pairs.length}`);
      [[a, b]] = pairs;
    }
    if (!['pm1', 'unit'].includes(opts.inputs)) throw new UserError(`--inputs ${opts.inputs}: a .npy file of inputs is for .onnx models; a tfjs model takes pm1 or unit`);
    for (const level of opts.levels as number[]) validateSpec({ probe: opts.probe, variant: opts.variant, signed: false, level, layer: opts.layer });
    const model = loadLayerSource(modelPath);
    if (opts.layer !== 'all') findLayer(model, opts.layer);
    const name = taskName(dataset, a, b);
    if (model.layers[0].shape[0] !== 784) throw new UserError(`model expects ${model.layers[0].shape[0]} inputs; ${dataset} images have 784 pixels`);
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
        const { accuracy, cka } = measureEvaluation(evaluator, model, spec, seed, testBatchCount(test.n));
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
