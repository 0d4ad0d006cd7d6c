/**
 * The multi-task study's jobs as a Redis worker checks them before any work (src/study/registry.ts
 * checkJob): shape, every size within the bounds the CLI checks the same flags against
 * (src/core/bounds.ts), and a lower estimate of the training's memory. Light (the registry loads it
 * in every worker): no data, no stats.
 */
import { PROBES } from '../../../core/results.js';
import { Fields, integerAt, refuseMemory } from '../../fields.js';
import { JobRefused } from '../../types.js';
import type { MultitaskEvalJob, MultitaskTrainJob } from './types.js';

/** Sizes a job of this study never comes near (its defaults are 2048 samples, 2 to 6 tasks, T of 10). */
const MAX_SAMPLES = 10_000_000;
const MAX_SMALL = 10_000;

function spec(f: Fields): number[] {
  const s = f.object('spec');
  s.string('model');
  const hidden = s.list('hidden', 'hiddenLayers', (v, path) => integerAt(v, path, 1, 'hidden'), 1);
  for (const k of ['steps', 'latentDim', 'tasks']) {
    const v = s.integer(k, 1);
    if (v > MAX_SMALL) throw new JobRefused(`the job.spec.${k} is ${v}, above ${MAX_SMALL}`);
  }
  s.string('observation');
  s.number('noise', 0, 1e6);
  return hidden;
}

function common(f: Fields): number[] {
  const t = f.object('target');
  t.string('task');
  t.integer('run', 0);
  f.string('dtype', { oneOf: ['float32'] });
  return spec(f);
}

function samples(f: Fields, key: string): void {
  const v = f.integer(key, 1);
  if (v > MAX_SAMPLES) throw new JobRefused(`${f.path}.${key} is ${v}, above ${MAX_SAMPLES.toLocaleString('en-US')}`);
}

/** A multi-task training job: shape, sizes and (at least) the memory of its weights and Adam state. */
export function checkMultitaskTrainJob(job: MultitaskTrainJob): void {
  const f = Fields.of(job, 'the job');
  const hidden = common(f);
  const t = f.object('training');
  t.integer('epochs', 1, 'epochs');
  samples(t, 'samplesPerEpoch');
  t.integer('batchSize', 1, 'batchSize');
  t.number('lr', Number.MIN_VALUE, 1e6);
  const seeds = f.object('seeds');
  for (const k of ['map', 'tasks', 'data', 'init']) seeds.integer(k, 0);
  let params = 0;
  for (let k = 0; k + 1 < hidden.length; k++) params += hidden[k] * hidden[k + 1];
  refuseMemory(`train job ${job.id}`, 4 * 6 * params);
}

/** A multi-task measurement job: shape and sizes, a bounded list of study items. */
export function checkMultitaskEvalJob(job: MultitaskEvalJob): void {
  const f = Fields.of(job, 'the job');
  common(f);
  f.hash('model');
  const seeds = f.object('seeds');
  for (const k of ['map', 'tasks', 'test', 'metrics']) seeds.integer(k, 0);
  samples(f, 'testSamples');
  samples(f, 'fitSamples');
  f.list('items', 'jobEvaluations', (v, path) => {
    const item = Fields.of(v, path);
    item.string('probe', { oneOf: PROBES });
    item.string('variant');
    item.boolean('signed');
    item.number('level');
    item.integer('seed', 0);
    return item;
  });
}
