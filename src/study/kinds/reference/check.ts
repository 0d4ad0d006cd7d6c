/**
 * The reference study's sizes, checked before any work: the flags of `reproduce` / `train` and
 * the jobs a Redis worker takes, against the same bounds (src/core/bounds.ts) and the same memory
 * estimate. Light (the registry loads it in every worker): no tfjs, no data.
 */
import { checkBound, checkMemory } from '../../../core/bounds.js';
import { PROBES } from '../../../core/results.js';
import { validateSpec, type ProbeSpec } from '../../../probes/probes.js';
import { Fields, integerAt, refuseMemory } from '../../fields.js';
import { JobRefused } from '../../types.js';
import type { EvalJob, TrainJob } from './types.js';

/** Pixels of an MNIST / Fashion-MNIST image: the first layer's inputs. */
export const IMAGE_INPUTS = 784;

/**
 * About how much memory training one MLP needs, in bytes: each parameter as weights, gradient and
 * two Adam moments plus a copy (6 float32), and a batch's activations and deltas through every
 * layer (3 float32 per unit per image).
 */
export function mlpTrainingBytes(inputSize: number, hidden: readonly number[], outputs: number, batchSize: number): number {
  const widths = [inputSize, ...hidden, outputs];
  let params = 0;
  for (let k = 0; k + 1 < widths.length; k++) params += widths[k] * widths[k + 1] + widths[k + 1];
  const units = widths.reduce((a, b) => a + b, 0);
  return 4 * (6 * params + 3 * batchSize * units);
}

/** What sizes a reference training: the flags of reproduce and train. */
export interface TrainingSizes {
  runs: number;
  hidden: readonly number[];
  head: string;
  epochs: number;
  batchSize: number;
  earlyStopping?: number;
}

/** Check the flags that size training against their bounds and its memory estimate (one line naming the flag). */
export function checkTrainingSizes(o: TrainingSizes): void {
  checkBound('runs', o.runs, '--runs');
  checkBound('epochs', o.epochs, '--epochs');
  checkBound('batchSize', o.batchSize, '--batch-size');
  checkBound('hiddenLayers', o.hidden.length, '--hidden (layers)');
  for (const h of o.hidden) checkBound('hidden', h, '--hidden');
  if (o.earlyStopping !== undefined) checkBound('epochs', o.earlyStopping, '--early-stopping');
  checkMemory(`training an MLP ${[IMAGE_INPUTS, ...o.hidden].join('-')} in batches of ${o.batchSize}`, mlpTrainingBytes(IMAGE_INPUTS, o.hidden, o.head === 'sigmoid' ? 1 : 2, o.batchSize));
}

/**
 * The `mlp` and `training` fields every MLP train job carries (the reference study's, the twins'):
 * shape and sizes within their bounds. Returns the training fields, for a kind's own, and the
 * training's memory estimate.
 */
export function checkMlpTraining(f: Fields): { training: Fields; bytes: number } {
  const mlp = f.object('mlp');
  const inputSize = mlp.integer('inputSize', 1);
  const hidden = mlp.list('hidden', 'hiddenLayers', (v, path) => integerAt(v, path, 1, 'hidden'));
  mlp.string('activation', { oneOf: ['relu', 'sigmoid', 'tanh'] });
  const head = mlp.string('head', { oneOf: ['softmax', 'sigmoid'] });
  const training = f.object('training');
  training.integer('epochs', 1, 'epochs');
  const batchSize = training.integer('batchSize', 1, 'batchSize');
  training.number('learningRate', Number.MIN_VALUE, 1e6);
  return { training, bytes: mlpTrainingBytes(inputSize, hidden, head === 'sigmoid' ? 1 : 2, batchSize) };
}

function target(f: Fields): void {
  const t = f.object('target');
  t.string('task');
  t.string('difficulty', { oneOf: ['easy', 'hard', 'custom'] });
  t.integer('run', 0);
  t.string('inputs', { oneOf: ['pm1', 'unit'] });
}

/** A train job's shape, sizes and memory (a JobRefused naming the first problem). */
export function checkTrainJob(job: TrainJob): void {
  const f = Fields.of(job, 'the job');
  target(f);
  f.hash('train');
  f.hash('test');
  f.string('dtype', { oneOf: ['float32'] });
  const { training: t, bytes } = checkMlpTraining(f);
  t.number('cosineTMax', 0, 1e9);
  const engine = t.string('engine', { oneOf: ['tfjs', 'sparse'] });
  if (engine === 'tfjs') t.string('backend', { oneOf: ['node', 'wasm', 'cpu'] });
  t.integer('earlyStoppingPatience', 0, 'epochs');
  f.list('seeds', 1000, (v, path) => integerAt(v, path, 0), 1);
  f.number('minAccuracy', 0, 1);
  refuseMemory(`train job ${job.id}`, bytes);
}

/** An eval job's shape and size: a bounded list of probe specs the probes accept. */
export function checkEvalJob(job: EvalJob): void {
  const f = Fields.of(job, 'the job');
  target(f);
  f.hash('model');
  f.hash('test');
  f.string('dtype', { oneOf: ['float32'] });
  f.integer('baseSeed', 0);
  f.integer('testBatch', 0);
  f.list('evals', 'jobEvaluations', (v, path) => {
    const e = Fields.of(v, path);
    e.integer('rep', 0);
    const s = e.object('spec');
    const spec: ProbeSpec = {
      probe: s.string('probe', { oneOf: PROBES }) as ProbeSpec['probe'],
      variant: s.string('variant'),
      signed: s.boolean('signed'),
      level: s.number('level'),
      layer: s.string('layer'),
      ...(s.value.bias !== undefined ? { bias: s.string('bias') as ProbeSpec['bias'] } : {}),
    };
    try {
      validateSpec(spec);
    } catch (err) {
      throw new JobRefused(`${path}.spec: ${(err as Error).message}`);
    }
    return spec;
  });
}

