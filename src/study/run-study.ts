/**
 * The coordinator: runs a planned study on any executor and keeps its run folder (through
 * core/run-folder.ts). Models already saved in the folder are loaded, the others trained (train
 * jobs); a model's eval jobs are enqueued as soon as the model is known (runJobGraph), so
 * training and evaluation overlap; rows already in the results log are never evaluated again, and a row
 * delivered twice (a retried job) is written once.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DenseModel } from '../core/layer.js';
import { readJsonFile, writeJsonAtomic } from '../core/io.js';
import { rowKey, type ResultRow } from '../core/results.js';
import { TRAINING_RECORD, appendResults, runPaths } from '../core/run-folder.js';
import { loadModel, saveModel } from '../model/files.js';
import { deserializeModel, serializeModel } from './blobs.js';
import { evalJobs, trainJob, type Study, type StudyTask } from './plan.js';
import type { DiscardedModelRecord } from './records.js';
import type { BlobStore, Executor, Job, JobResult, TrainJobResult } from './types.js';

/** A model of the study: trained now or loaded from the run folder. */
export interface StudyModel {
  task: StudyTask;
  run: number;
  model: DenseModel;
  trainSeed: number;
  attempts: number;
  testAccuracy: number | null;
  discarded: DiscardedModelRecord[];
  /** False when an earlier (interrupted) run had saved it. */
  trained: boolean;
}

export interface StudyEvents {
  /** Training epochs done of all train jobs; the total grows by a training for each discarded model. */
  training?(done: number, total: number): void;
  /** Evaluations done of all models known so far (the total grows as models become known). */
  evaluations?(done: number, total: number): void;
  /** A line for the user (a model discarded by the discard rule). */
  log?(line: string): void;
  /** A model is known (loaded or trained and saved). */
  model?(m: StudyModel): void;
  /** Every model is known. */
  trainingDone?(models: StudyModel[]): void;
}

export interface RunStudyOptions {
  study: Study;
  /** The run folder: models are saved there, rows appended to its results log. */
  root: string;
  executor: Executor;
  blobs: BlobStore;
  /** rowKeys of the rows already in the results log (grows as rows are written). */
  done: Set<string>;
  events?: StudyEvents;
}

export interface StudyOutcome {
  /** Every model, task by task, run by run. */
  models: StudyModel[];
  /** The rows written by this call, in the order they were written. */
  rows: ResultRow[];
}

interface TrainingRecord {
  seed?: number;
  attempts?: number;
  testAccuracy?: number;
  discarded?: DiscardedModelRecord[];
}

export async function runStudy(o: RunStudyOptions): Promise<StudyOutcome> {
  const { study, executor, blobs, done } = o;
  const paths = runPaths(o.root);
  const ev = o.events ?? {};
  const runs = study.config.runs;
  const slots: (StudyModel | undefined)[] = new Array(study.tasks.length * runs);
  const written: ResultRow[] = [];

  let evalsDone = 0;
  let evalsTotal = 0;
  const jobDone = new Map<string, number>();
  /** A model is known (loaded, or trained and saved): its eval jobs. */
  const known = async (m: StudyModel): Promise<Job[]> => {
    slots[study.tasks.indexOf(m.task) * runs + m.run] = m;
    ev.model?.(m);
    const hash = await blobs.put(serializeModel(m.model));
    const jobs = evalJobs(study, m.task, m.run, hash, done);
    evalsTotal += jobs.reduce((a, j) => a + j.evals.length, 0);
    ev.evaluations?.(evalsDone, evalsTotal);
    return jobs;
  };

  // Which runs have a saved model (an interrupted run's): those are loaded, the others trained.
  const saved: { task: StudyTask; run: number; dir: string }[] = [];
  const toTrain: { task: StudyTask; run: number }[] = [];
  for (const task of study.tasks) {
    for (let run = 0; run < runs; run++) {
      const dir = paths.modelDir(task.task, run);
      if (existsSync(join(dir, 'model.json'))) saved.push({ task, run, dir });
      else toTrain.push({ task, run });
    }
  }

  const epochs = study.config.epochs;
  let epochsTotal = toTrain.length * epochs;
  const epochsOf = new Map<string, number>();
  const epochsDone = (): number => [...epochsOf.values()].reduce((a, b) => a + b, 0);
  if (toTrain.length) ev.training?.(0, epochsTotal);
  // Train jobs first, so they start before the saved models' evaluations.
  const jobs: Job[] = toTrain.map(({ task, run }) => trainJob(study, task, run));
  const targetOf = new Map(jobs.map((j, k) => [j.id, toTrain[k]]));
  let trainingLeft = jobs.length;
  for (const { task, run, dir } of saved) {
    const recordPath = join(dir, TRAINING_RECORD);
    const meta = existsSync(recordPath) ? ((readJsonFile(recordPath, 'training record') as TrainingRecord | null) ?? {}) : {};
    jobs.push(...(await known({
      task, run, model: loadModel(dir), trained: false,
      trainSeed: meta.seed ?? trainJob(study, task, run).seeds[0],
      attempts: meta.attempts ?? 1,
      testAccuracy: meta.testAccuracy ?? null,
      discarded: meta.discarded ?? [],
    })));
  }
  const models = slots as StudyModel[];
  if (trainingLeft === 0) ev.trainingDone?.(models);

  await runJobGraph(executor, blobs, {
    jobs,
    onResult: async (r: JobResult) => {
      if (r.kind === 'eval') {
        const rows = r.rows.filter((row) => !done.has(rowKey(row)));
        evalsDone += r.rows.length - (jobDone.get(r.id) ?? 0);
        jobDone.set(r.id, r.rows.length);
        for (const row of rows) done.add(rowKey(row));
        appendResults(paths.results, rows);
        written.push(...rows);
        ev.evaluations?.(evalsDone, evalsTotal);
        return;
      }
      const t = r as TrainJobResult;
      const { task, run } = targetOf.get(t.id)!;
      const model = t.modelBytes ? deserializeModel(t.modelBytes) : deserializeModel(await blobs.get(t.model));
      const dir = paths.modelDir(task.task, run);
      await saveModel(dir, model);
      writeJsonAtomic(join(dir, TRAINING_RECORD), {
        seed: t.trainSeed, attempts: t.attempts, backend: { name: t.backend, version: t.backendVersion }, history: t.history, testAccuracy: t.testAccuracy, discarded: t.discarded,
      });
      const next = await known({ task, run, model, trained: true, trainSeed: t.trainSeed, attempts: t.attempts, testAccuracy: t.testAccuracy, discarded: t.discarded });
      if (--trainingLeft === 0) ev.trainingDone?.(models);
      return next;
    },
    onProgress: (id, n, note) => {
      if (!targetOf.has(id)) {
        evalsDone += n - (jobDone.get(id) ?? 0);
        jobDone.set(id, n);
        ev.evaluations?.(evalsDone, evalsTotal);
        return;
      }
      epochsOf.set(id, n);
      if (note) {
        ev.log?.(note);
        if (/training a new seed$/.test(note)) epochsTotal += epochs;
      }
      ev.training?.(epochsDone(), epochsTotal);
    },
  });
  return { models, rows: written };
}

/**
 * A plan whose jobs lead to more jobs: `jobs` can run now (train jobs, the eval jobs of models
 * already saved); `onResult` takes each result as it arrives (writes it to the run folder) and
 * returns the jobs that follow it (a trained model's eval jobs), which go to the executor at once,
 * so training and evaluation overlap.
 */
export interface JobGraph {
  jobs: Job[];
  onResult(result: JobResult): Job[] | void | Promise<Job[] | void>;
  onProgress?: (id: string, done: number, note?: string) => void;
}

/** Run a job graph on an executor; resolves when every job and every job that followed has a result. */
export async function runJobGraph(executor: Executor, blobs: BlobStore, graph: JobGraph): Promise<void> {
  const runs: Promise<void>[] = [];
  const submit = (jobs: Job[]): void => {
    if (jobs.length === 0) return;
    const running = executor.run(jobs, blobs, async (r) => submit((await graph.onResult(r)) ?? []), graph.onProgress);
    running.catch(() => undefined); // awaited below; a failure meanwhile is not unhandled
    runs.push(running);
  };
  submit(graph.jobs);
  // A run's results (and so the runs they submit) come before it resolves: the list is complete at the end.
  for (let k = 0; k < runs.length; k++) await runs[k];
}
