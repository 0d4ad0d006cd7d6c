/**
 * The multi-task study's study (kind.ts StudyDefinition; docs/multitask.md): `weightscope
 * multitask`'s flags checked, the sweep planned (plan.ts), trained networks saved in the
 * TensorFlow.js layers format (so `weightscope view RUN` shows them), and the report — claims first —
 * at the end. The run folder, resuming, records and executors are the study layer's (run.ts).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../../core/errors.js';
import { readResultRows, readRunRecord, runPaths } from '../../../core/run-folder.js';
import { orthantSplit, type ObservationMapKind } from '../../../data/latent-tasks.js';
import { loadModel, saveModel } from '../../../model/files.js';
import { leastSquares, predictLinear } from '../../../stats/linear-models.js';
import type { StudyDefinition, StudyRunOptions } from '../../kind.js';
import { trainingRecord } from '../../records.js';
import { deserializeNet, serializeNet } from './blobs.js';
import { evaluateMultitaskClaims, exemplars, type Row } from './claims.js';
import {
  BOUNDS, checkList, checkModels, checkObservation, FIT_SAMPLES, QUICK_PROBES, QUICK_TRAINING, STUDY_PROBES, TEST_SAMPLES, TRAINING, TRANSFORMER_REFUSAL,
} from './config.js';
import { makeTestSet, makeWorld } from './data.js';
import { asSamples } from './metrics.js';
import { netConfigOf, runNet } from './net.js';
import { evalJobs, plannedModels, seedsOf, sortRowsByPlan, trainJob, type MultitaskPlanOptions, type PlannedModel } from './plan.js';
import { writeMultitaskReport, type Reconstruction } from './report.js';
import type { MultitaskTrainJobResult } from './types.js';

export interface MultitaskOptions extends StudyRunOptions {
  /** K values. */
  tasks: number[];
  /** σ values (noise on the latent, per look). */
  noise: number[];
  /** D values. */
  latentDim: number[];
  /** Networks: `mlp`, `rnn`. */
  model: string[];
  observation: ObservationMapKind;
  runs: number;
  seed: number;
  /** The quick sizes (training, test set, probes). */
  quick: boolean;
}

/** Check the flags with nothing on disk: every refusal comes before a run folder exists. */
function check(o: MultitaskOptions): void {
  checkList('tasks', o.tasks, BOUNDS.tasks, true);
  checkList('noise', o.noise, BOUNDS.noise, false);
  checkList('latent-dim', o.latentDim, BOUNDS.latentDim, true);
  checkModels(o.model);
  checkObservation(o.observation);
  if (!Number.isInteger(o.runs) || o.runs < BOUNDS.runs.min || o.runs > BOUNDS.runs.max) throw new UserError(`--runs must be an integer from ${BOUNDS.runs.min} to ${BOUNDS.runs.max}, got ${o.runs}`);
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff) throw new UserError(`--seed must be an integer 0 … 4294967295, got ${o.seed}`);
  const count = o.model.length * o.tasks.length * o.noise.length * o.latentDim.length * o.runs;
  if (count > BOUNDS.models) throw new UserError(`the sweep asks for ${count} models; at most ${BOUNDS.models} in one run (fewer values or --runs)`);
}

/** The plan's options from the study's. */
export function planOptionsOf(o: Omit<MultitaskOptions, 'out'>): MultitaskPlanOptions {
  return {
    models: checkModels(o.model), observation: o.observation, tasks: o.tasks, noise: o.noise, latentDim: o.latentDim, runs: o.runs, seed: o.seed,
    training: o.quick ? QUICK_TRAINING : TRAINING, probes: o.quick ? QUICK_PROBES : STUDY_PROBES, testSamples: o.quick ? 1000 : TEST_SAMPLES, fitSamples: FIT_SAMPLES,
  };
}

export const multitaskStudy: StudyDefinition<MultitaskOptions> = {
  kind: 'multitask',
  command: 'multitask',
  model: 'multitask-net',
  notIdentity: [],
  check,

  async resolve(o) {
    // No tfjs: the networks run on the study's own loops (net.ts), the same bits everywhere.
    return { options: o, backend: { name: 'js' }, engine: 'multitask-net' };
  },

  async plan(o) {
    const p = planOptionsOf(o);
    const planned = plannedModels(p);
    const bySlot = new Map(planned.map((m) => [`${m.slot.task}|${m.slot.run}`, m]));
    const of = (slot: { task: string; run: number }): PlannedModel => bySlot.get(`${slot.task}|${slot.run}`)!;
    const settings = planned.length / o.runs;
    return {
      summary: `${planned.length} models (${o.model.join(', ')} × D ${o.latentDim.join(',')} × σ ${o.noise.join(',')} × K ${o.tasks.join(',')} × ${o.runs} run${o.runs === 1 ? '' : 's'}; ` +
        `${settings} setting${settings === 1 ? '' : 's'}), observation map '${o.observation}', networks on the study's own loops (no tfjs)`,
      record: () => ({
        sweep: { models: p.models, observation: p.observation, tasks: p.tasks, noise: p.noise, latentDim: p.latentDim, runs: p.runs },
        training: p.training,
        measurement: { testSamples: p.testSamples, fitSamples: p.fitSamples, probes: p.probes.map((x) => `${x.probe}/${x.variant}/${x.level}`) },
      }),
      models: planned.map((m) => m.slot),
      stages: { train: `train ${planned.length} networks`, trainUnit: 'epochs', probe: `measure ${planned.length} networks` },
      loadSaved: (_slot, dir) => (existsSync(join(dir, 'model.json')) ? serializeNet(loadModel(dir)) : null),
      trainJob: (slot) => trainJob(p, of(slot)),
      saveTrained(slot, dir, result, bytes) {
        const r = result as MultitaskTrainJobResult;
        const m = of(slot);
        saveModel(dir, deserializeNet(bytes));
        const job = trainJob(p, m);
        return trainingRecord({
          model: m.spec.model, task: slot.task, run: slot.run, seed: job.seeds.init, attempts: 1, discarded: [], engine: 'multitask-net', backend: null,
          test: null, history: [], seconds: r.seconds,
          details: { spec: m.spec, seeds: job.seeds, training: job.training, loss: r.history.map((x) => Number(x.toPrecision(6))) },
        });
      },
      evalJobs: (slot, model, done) => evalJobs(p, of(slot), model, done),
      sortRows: (rows) => sortRowsByPlan(p, planned, rows),
      async report(r) {
        const t = Date.now();
        writeReport(r.root, o, r.rows as Row[], r.record);
        r.timings.report_build_s = (Date.now() - t) / 1000;
      },
    };
  },
};

/**
 * The decoder of the last hidden layer fitted on every orthant but the all-positive one, and its
 * reading of that orthant's test latents (the report's scatter), for a saved model of the run.
 */
export function heldOutReconstruction(root: string, o: Omit<MultitaskOptions, 'out'>, m: Row): Reconstruction | null {
  const planned = plannedModels(planOptionsOf(o)).find((x) => x.slot.task === m.task && x.slot.run === m.run);
  const dir = runPaths(root).modelDir(String(m.task), m.run);
  if (!planned || !existsSync(join(dir, 'model.json'))) return null;
  const p = planOptionsOf(o);
  const { spec } = planned;
  const seeds = seedsOf(p, spec, m.run);
  const setting = { latentDim: spec.latentDim, tasks: spec.tasks, noise: spec.noise, observation: spec.observation, steps: spec.steps };
  const world = makeWorld(setting, seeds);
  const test = makeTestSet(world, setting, seeds.test, p.testSamples);
  const model = loadModel(dir);
  const out = runNet(model, netConfigOf(model, spec.model, spec.steps), test.clean, test.n);
  const D = spec.latentDim;
  const orthant = 2 ** D - 1;
  const rep = asSamples(out.hidden, test.n, out.hiddenWidth, 'representation');
  const latents = asSamples(test.z, test.n, D, 'latents');
  const split = orthantSplit(test.z, test.n, D, orthant);
  const decoded = predictLinear(leastSquares(rep, latents, split.train), rep, split.test);
  const truth = new Float64Array(split.test.length * D);
  split.test.forEach((k, r) => truth.set(test.z.subarray(k * D, (k + 1) * D), r * D));
  return { model: m, orthant, truth, decoded, latentDim: D };
}

/** Each saved model's position in `weightscope view`'s list (its ?model= index): folders in the order the viewer's index walks them. */
export function viewerIndexOf(root: string): Map<string, number> {
  const byName = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true });
  const out = new Map<string, number>();
  const models = runPaths(root).modelsRoot;
  if (!existsSync(models)) return out;
  let k = 0;
  for (const task of readdirSync(models).sort(byName)) {
    const tdir = join(models, task);
    let runs: string[];
    try {
      runs = readdirSync(tdir).sort(byName);
    } catch {
      continue;
    }
    for (const run of runs) {
      const m = /^run-(\d+)$/.exec(run);
      if (m && existsSync(join(tdir, run, 'model.json'))) out.set(`${task}|${Number(m[1])}`, k++);
    }
  }
  return out;
}

function writeReport(root: string, o: Omit<MultitaskOptions, 'out'>, rows: Row[], record: Record<string, unknown>): string {
  const viewerIndex = viewerIndexOf(root);
  const claims = evaluateMultitaskClaims(rows, {
    seed: o.seed,
    transformerReason: TRANSFORMER_REFUSAL.replace(/^--model transformer: /, ''),
    link: (m) => `weightscope view ${root} → model ${viewerIndex.get(`${m.task}|${m.run}`) ?? '?'} (${m.task} · run ${m.run}), layer ${m.model === 'rnn' ? 'recurrent' : 'hidden2'}`,
  });
  const ex = exemplars(rows);
  const reconstructions = [ex.disentangled, ex.entangled].filter((m): m is Row => m !== null).map((m) => heldOutReconstruction(root, o, m)).filter((r): r is Reconstruction => r !== null);
  return writeMultitaskReport(root, { rows, claims, record, reconstructions, viewerIndex });
}

/** Rebuild report.html of a multi-task run folder from its files (`weightscope report`). */
export function rebuildMultitaskReport(root: string): string {
  const record = readRunRecord(root);
  if (!record) throw new UserError(`${root} has no run.json: not a weightscope run folder`);
  const config = record.config as MultitaskOptions;
  // rows in plan order, as the run itself hands them over: the same report bytes
  const p = planOptionsOf(config);
  return writeReport(root, config, sortRowsByPlan(p, plannedModels(p), readResultRows(root)) as Row[], record);
}

