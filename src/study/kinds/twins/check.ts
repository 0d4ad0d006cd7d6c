/**
 * The twins study's jobs as a Redis worker checks them before any work (src/study/registry.ts
 * checkJob): shape, every size within the bounds the CLI checks the same flags against
 * (src/core/bounds.ts), and the training's memory estimate. Light (the registry loads it in every
 * worker): no tfjs, no data.
 */
import { Fields, refuseMemory } from '../../fields.js';
import { JobRefused } from '../../types.js';
import { checkMlpTraining } from '../reference/check.js';
import { FAMILIES, type TwinFingerprintJob, type TwinTrainJob } from './types.js';

function target(f: Fields): void {
  const t = f.object('target');
  t.string('task');
  t.string('pair');
  t.string('family', { oneOf: FAMILIES });
  t.integer('run', 0);
}

/** A twin's training job: shape, sizes, memory. */
export function checkTwinTrainJob(job: TwinTrainJob): void {
  const f = Fields.of(job, 'the job');
  target(f);
  f.hash('train');
  f.hash('benchmark');
  f.string('dtype', { oneOf: ['float32'] });
  f.string('inputs', { oneOf: ['pm1', 'unit'] });
  const { training: t, bytes } = checkMlpTraining(f);
  t.integer('seed', 0);
  if (t.value.density !== undefined) t.number('density', Number.MIN_VALUE, 1);
  refuseMemory(`train job ${job.id}`, bytes);
}

const number = (v: unknown, path: string): number => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new JobRefused(`${path} is not a finite number`);
  return v;
};
const name = (v: unknown, path: string): string => {
  if (typeof v !== 'string' || v.length > 100) throw new JobRefused(`${path} is not a name`);
  return v;
};

/** A twin's fingerprint job: shape and the sizes of its plan (grids, null samples). */
export function checkTwinFingerprintJob(job: TwinFingerprintJob): void {
  const f = Fields.of(job, 'the job');
  target(f);
  for (const k of ['model', 'benchmark', 'clean']) f.hash(k);
  f.string('data');
  f.string('inputs', { oneOf: ['pm1', 'unit'] });
  f.integer('seed', 0);
  f.string('dtype', { oneOf: ['float32'] });
  const p = f.object('plan');
  const has = (k: string): boolean => p.value[k] !== undefined;
  for (const k of ['prune', 'noise', 'signflip', 'randomizeLevels']) if (has(k)) p.list(k, 'levels', number);
  for (const k of ['randomize', 'shifts']) if (has(k)) p.list(k, 'levels', name);
  for (const k of ['binarize', 'ablation', 'circuit', 'edgeCircuit']) if (has(k)) p.boolean(k);
  for (const k of ['matters', 'tolerance', 'necessity']) if (has(k)) p.number(k, 0, 1);
  if (has('nullModel') && p.value.nullModel !== null) p.string('nullModel');
  if (has('samples')) p.integer('samples', 0, 'samples');
}
