/**
 * The multi-task study as jobs: one model per (network, D, σ, K, run), each trained by a train job
 * and measured by an eval job — its baseline (accuracy, representation metrics, weight lens,
 * raw-observation baseline) and the probes. Seeds come from the base seed and what they seed
 * (deriveSeed), never from scheduling, so ids and rows are the same on every executor.
 */
import { deriveSeed } from '../../../core/rng.js';
import { formatLevel, rowKey, type ResultRow } from '../../../core/results.js';
import type { ObservationMapKind } from '../../../data/latent-tasks.js';
import { isRandomProbe } from '../../../probes/probes.js';
import { evalJobId, trainJobId } from '../../job-ids.js';
import type { ModelSlot } from '../../kind.js';
import type { BlobHash } from '../../types.js';
import { HIDDEN, RNN_STEPS, type StudyProbe } from './config.js';
import type { NetKind, TrainSettings } from './net.js';
import type { ModelSpec, MultitaskEvalJob, MultitaskTrainJob, StudyItem } from './types.js';

/** What the plan is made from (the study's options, resolved). */
export interface MultitaskPlanOptions {
  models: NetKind[];
  observation: ObservationMapKind;
  tasks: number[];
  noise: number[];
  latentDim: number[];
  runs: number;
  seed: number;
  training: TrainSettings;
  probes: StudyProbe[];
  testSamples: number;
  fitSamples: number;
}

const SHORT_MAP: Record<ObservationMapKind, string> = { 'relu-mlp': 'relu', rbf: 'rbf' };

/** A setting's name, the rows' `task` column and its models' folder: `mlp-rbf-d2-k6-s0.2`. */
export function settingName(s: Pick<ModelSpec, 'model' | 'observation' | 'latentDim' | 'tasks' | 'noise'>): string {
  return `${s.model}-${SHORT_MAP[s.observation]}-d${s.latentDim}-k${s.tasks}-s${formatLevel(s.noise)}`;
}

export interface PlannedModel {
  slot: ModelSlot;
  spec: ModelSpec;
}

/** Every model, in plan order: network, D, σ, K, run. */
export function plannedModels(o: Pick<MultitaskPlanOptions, 'models' | 'observation' | 'tasks' | 'noise' | 'latentDim' | 'runs'>): PlannedModel[] {
  const out: PlannedModel[] = [];
  for (const model of o.models) {
    for (const latentDim of o.latentDim) {
      for (const noise of o.noise) {
        for (const tasks of o.tasks) {
          const spec: ModelSpec = { model, hidden: [...HIDDEN[model]], steps: model === 'rnn' ? RNN_STEPS : 1, observation: o.observation, latentDim, tasks, noise };
          for (let run = 0; run < o.runs; run++) out.push({ slot: { task: settingName(spec), run }, spec });
        }
      }
    }
  }
  return out;
}

/** The baseline item: the unprobed model, measured in full. */
export const BASELINE: StudyProbe = { probe: 'baseline', variant: 'reference', signed: false, level: 0 };

/** A model's items: the baseline, then every probe (random ones with their seed). */
export function studyItems(o: Pick<MultitaskPlanOptions, 'seed' | 'probes'>, task: string, run: number): StudyItem[] {
  return [BASELINE, ...o.probes].map((p) => ({ ...p, seed: isRandomProbe(p) ? deriveSeed(o.seed, task, run, p.probe, p.variant, p.level) : 0 }));
}

/**
 * The seeds of a model. The world (map, task normals), the test set and the metrics' draws depend on
 * the dimension and the run only: every model of one run and dimension, whatever its network, K and
 * σ, sees the same map and tasks and is measured on the same latents (a paired design). The
 * training stream and the initial weights depend on the model.
 */
export function seedsOf(o: Pick<MultitaskPlanOptions, 'seed' | 'observation'>, spec: ModelSpec, run: number) {
  const task = settingName(spec);
  return {
    map: deriveSeed(o.seed, 'observation-map', o.observation, spec.latentDim, run),
    tasks: deriveSeed(o.seed, 'task-normals', spec.latentDim, run),
    test: deriveSeed(o.seed, 'test', spec.latentDim, run),
    metrics: deriveSeed(o.seed, 'metrics', spec.latentDim, run),
    data: deriveSeed(o.seed, 'data', task, run),
    init: deriveSeed(o.seed, 'init', task, run),
  };
}

export function trainJob(o: MultitaskPlanOptions, m: PlannedModel): MultitaskTrainJob {
  const s = seedsOf(o, m.spec, m.slot.run);
  return {
    kind: 'train-multitask', id: trainJobId(m.slot.task, m.slot.run), target: { ...m.slot }, spec: m.spec, training: o.training,
    seeds: { map: s.map, tasks: s.tasks, data: s.data, init: s.init }, dtype: 'float32',
  };
}

/** The row an item produces, less what it measures (for resume keys and the rows themselves). */
export function rowIdentity(item: StudyProbe & { seed: number }, m: PlannedModel): ResultRow {
  return {
    task: m.slot.task, difficulty: 'custom', probe: item.probe, variant: item.variant, signed: item.signed, level: item.level, layer: 'all',
    run: m.slot.run, seed: item.seed, accuracy: NaN, n_test: 0, inputs: m.spec.observation,
  };
}

export const itemKey = (item: StudyItem, m: PlannedModel): string => rowKey(rowIdentity(item, m));

/** A model's eval job: its items whose rows are not in `done` (none: no job). */
export function evalJobs(o: MultitaskPlanOptions, m: PlannedModel, model: BlobHash, done?: ReadonlySet<string>): MultitaskEvalJob[] {
  const items = studyItems(o, m.slot.task, m.slot.run);
  const todo = items.filter((item) => !done?.has(itemKey(item, m)));
  if (!todo.length) return [];
  const s = seedsOf(o, m.spec, m.slot.run);
  return [{
    kind: 'eval-multitask', id: evalJobId(m.slot.task, m.slot.run, 0, items.length - 1), target: { ...m.slot }, spec: m.spec,
    seeds: { map: s.map, tasks: s.tasks, test: s.test, metrics: s.metrics }, testSamples: o.testSamples, fitSamples: o.fitSamples, model, items: todo, dtype: 'float32',
  }];
}

/** Rows in plan order: by model, then by item. */
export function sortRowsByPlan(o: MultitaskPlanOptions, models: PlannedModel[], rows: ResultRow[]): ResultRow[] {
  const order = new Map<string, number>();
  let k = 0;
  for (const m of models) for (const item of studyItems(o, m.slot.task, m.slot.run)) order.set(itemKey(item, m), k++);
  return [...rows].sort((a, b) => (order.get(rowKey(a)) ?? Infinity) - (order.get(rowKey(b)) ?? Infinity));
}
