/**
 * A study run (docs/study.md): the one place that keeps a run folder, for every study kind. It
 * checks every flag before the folder exists, holds the folder's lock, checks that a folder it
 * resumes holds the same configuration and repairs what an interrupted run left, writes run.json
 * and each model's training.json (records.ts: one shape each), loads the models an earlier run
 * saved and trains the others, enqueues each model's evaluations as soon as the model is known,
 * appends rows to the results log as jobs deliver them, shows progress from the jobs' typed
 * events, and ends with results.csv in plan order and the kind's report.
 *
 * What differs between kinds — data, plan, model files, report — is the kind's (kind.ts,
 * kinds/<kind>/study.ts); where jobs run is the executor's (executors/). A command is its flags
 * and one call: `runStudy('reference', options, { progress })`.
 */
import { existsSync } from 'node:fs';
import { writeFileAtomic } from '../core/io.js';
import { rowKey, rowsToCsv, type ResultRow } from '../core/results.js';
import {
  appendResults, checkResumable, inRunFolder, packageVersions, readResultsLog, readRunRecord, repairRunFolder, runPaths, uniqueRows, writeRunRecord,
  type RunSession,
} from '../core/run-folder.js';
import { MemoryBlobStore } from './blobs.js';
import { runJobGraph } from './coordinator.js';
import { checkExecutorOptions, createExecutor, describeExecutor, executorChoice } from './executors/index.js';
import { EXECUTOR_OPTIONS } from './executors/options.js';
import type { KnownModel, ModelSlot, StudyDefinition, StudyPlan, StudyRunOptions } from './kind.js';
import { RECORD_FORMAT_VERSION, modelSummary, readTrainingRecord, writeTrainingRecord, type RunRecord } from './records.js';
import { STUDY_KINDS, jobKind, kindOfRecord, type StudyKindName, type StudyOptionsOf } from './registry.js';
import { QUIET, type Progress } from './progress.js';
import { JobFailed, type BlobStore, type Executor, type Job, type JobEvent, type JobResult } from './types.js';

export interface RunStudyHooks {
  progress?: Progress;
  /** Run the jobs on this executor instead of the one the options name (tests, benchmarks); the caller closes it. */
  executor?: Executor;
  /** The coordinator's blob store (default: in memory); the executor's jobs read their inputs from it. */
  blobs?: BlobStore;
}

export interface StudyOutcome {
  out: string;
  /** Every row of the run, once each, in plan order (what results.csv holds). */
  rows: ResultRow[];
  /** Every model, in plan order. */
  models: KnownModel[];
}

/** Option keys no study's identity includes: where the folder is, where jobs run, how loud it is. */
const NEVER_IDENTITY = ['out', 'quiet', ...EXECUTOR_OPTIONS];

/** Run a study of a registered kind into its run folder (created, or resumed). */
export async function runStudy<K extends StudyKindName>(kind: K, options: StudyOptionsOf<K>, hooks: RunStudyHooks = {}): Promise<StudyOutcome> {
  const study = (await STUDY_KINDS[kind].study()) as unknown as StudyDefinition<StudyOptionsOf<K>>;
  return runStudyOf(study, options, hooks);
}

/** Run a study definition. */
async function runStudyOf<O extends StudyRunOptions>(study: StudyDefinition<O>, options: O, hooks: RunStudyHooks = {}): Promise<StudyOutcome> {
  // Every flag before anything is written: a refused flag leaves no folder behind.
  study.check(options);
  if (!hooks.executor) await checkExecutorOptions(options);
  let wroteResults = false;
  return inRunFolder(options.out, () => runLocked(study, options, hooks, () => (wroteResults = true)), { keep: () => wroteResults });
}

async function runLocked<O extends StudyRunOptions>(study: StudyDefinition<O>, given: O, hooks: RunStudyHooks, wrote: () => void): Promise<StudyOutcome> {
  const t0 = Date.now();
  const started = new Date(t0).toISOString();
  const progress = hooks.progress ?? QUIET;
  const log = (line: string): void => progress.log(line);
  const root = given.out;
  const paths = runPaths(root);
  const timings: Record<string, number> = {};

  // What this machine decides (the default engine is part of the identity) comes before the resume check.
  const { options: o, backend, engine } = await study.resolve(given);
  let sessions: RunSession[] = [];
  const previous = readRunRecord(root);
  if (previous) {
    sessions = checkResumable(root, previous, o as unknown as Record<string, unknown>, [...NEVER_IDENTITY, ...study.notIdentity]);
    const { removed, tornBytes } = repairRunFolder(root);
    log(`resuming the run in ${root}${removed.length ? ` (removed ${removed.length} temp file(s) of the interrupted run)` : ''}${tornBytes ? ' (dropped its torn last result line)' : ''}`);
    const last = sessions[sessions.length - 1];
    if (last && (last.backend !== backend.name || last.engine !== engine)) {
      log(`note: the interrupted run used backend '${last.backend}', engine '${last.engine}'; this one uses '${backend.name}', '${engine}' (run.json records both)`);
    }
  }
  sessions = [...sessions, { started, backend: backend.name, engine }];

  let t = Date.now();
  const blobs = hooks.blobs ?? new MemoryBlobStore();
  const plan = await study.plan(o, { root, blobs, backend, log });
  timings.data_s = (Date.now() - t) / 1000;
  const choice = executorChoice(o, log);
  log(`weightscope ${study.command}: ${plan.summary}; output ${root}; jobs run ${hooks.executor ? `on ${hooks.executor.name}` : describeExecutor(choice)}`);

  const models: (KnownModel | undefined)[] = new Array(plan.models.length);
  const runRecord = (status: RunRecord['status'], extra: Record<string, unknown> = {}): RunRecord => {
    const known = models.filter((m): m is KnownModel => m !== undefined);
    return {
      tool: 'weightscope', formatVersion: RECORD_FORMAT_VERSION, kind: study.kind, command: study.command, status, started,
      config: { ...o } as Record<string, unknown>, backend, sessions, versions: packageVersions(), ...plan.record(),
      models: known.map((m) => (m.record ? modelSummary(m.record, m.trained) : { ...m.slot, trained: m.trained } as unknown as RunRecord['models'][number])),
      discarded: known.flatMap((m) => (m.record?.discarded ?? []).map((d) => ({ task: m.slot.task, run: m.slot.run, ...d }))),
      timings: { ...timings, total_s: (Date.now() - t0) / 1000 },
      ...extra,
    };
  };
  writeRunRecord(root, runRecord('running'));

  const logged = readResultsLog(paths.results);
  const done = new Set(logged.map(rowKey));
  const executor = hooks.executor ?? (await createExecutor(choice));
  let outcome: { rows: ResultRow[] };
  try {
    outcome = await runPlan({ plan, study, root, blobs, executor, done, models, progress, timings, wrote, onTrainingDone: () => writeRunRecord(root, runRecord('running')) });
  } catch (err) {
    await plan.close?.();
    // A job that failed for good (refused or timed out on a worker): the run record says which and why.
    if (err instanceof JobFailed) writeRunRecord(root, runRecord('failed', { failed: { job: err.jobId, reason: err.reason, at: new Date().toISOString() } }));
    throw err;
  } finally {
    if (!hooks.executor) await executor.close();
  }

  t = Date.now();
  const rows = plan.sortRows(uniqueRows([...logged, ...outcome.rows]));
  writeFileAtomic(paths.resultsCsv, rowsToCsv(rows));
  const all = models as KnownModel[];
  try {
    await plan.report({ root, rows, models: all, record: runRecord('complete'), timings });
  } finally {
    await plan.close?.();
  }
  timings.report_s = (Date.now() - t) / 1000;
  writeRunRecord(root, runRecord('complete', { finished: new Date().toISOString() }));
  const saved = executor.summary?.();
  if (saved) log(saved);
  log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${paths.report}`);
  return { out: root, rows, models: all };
}

interface PlanRun {
  plan: StudyPlan;
  study: StudyDefinition<any>;
  root: string;
  blobs: BlobStore;
  executor: Executor;
  /** rowKeys of the rows in the results log (grows as rows are written). */
  done: Set<string>;
  /** Filled slot by slot as models become known. */
  models: (KnownModel | undefined)[];
  progress: Progress;
  timings: Record<string, number>;
  /** Something worth resuming from was written (a model, a row). */
  wrote: () => void;
  onTrainingDone: () => void;
}

/** Work of a job's progress bar: units done and in all. */
interface Work {
  done: number;
  total: number;
}

const sum = (works: Map<string, Work>, key: keyof Work): number => [...works.values()].reduce((a, w) => a + w[key], 0);

/**
 * The models of a plan (loaded when saved, else trained), their evaluations as soon as each is
 * known, and the rows into the results log; training and evaluation overlap.
 */
async function runPlan(r: PlanRun): Promise<{ rows: ResultRow[] }> {
  const { plan, blobs, done, models, progress } = r;
  const paths = runPaths(r.root);
  const written: ResultRow[] = [];
  const training = new Map<string, Work>();
  const evaluations = new Map<string, Work>();
  const stages: { train?: ReturnType<Progress['stage']>; probe?: ReturnType<Progress['stage']> } = {};
  const showTraining = (): void => stages.train?.update(sum(training, 'done'), sum(training, 'total'));
  const showEvaluations = (): void => stages.probe?.update(sum(evaluations, 'done'), sum(evaluations, 'total'));
  const t = Date.now();

  /** A model is known: its eval jobs. */
  const known = (k: number, m: KnownModel, bytes: Uint8Array): Job[] => {
    models[k] = m;
    plan.modelKnown?.(m, bytes);
    const jobs = plan.evalJobs(m.slot, m.blob, done);
    for (const j of jobs) evaluations.set(j.id, { done: 0, total: jobKind(j.kind).work(j) });
    showEvaluations();
    return jobs;
  };

  // Models an earlier run saved are loaded; the others trained. Train jobs go first, so they start
  // before the saved models' evaluations.
  const slotOf = new Map<string, number>();
  const jobs: Job[] = [];
  const saved: { k: number; slot: ModelSlot; bytes: Uint8Array; dir: string }[] = [];
  for (const [k, slot] of plan.models.entries()) {
    const dir = paths.modelDir(slot.task, slot.run);
    const bytes = await plan.loadSaved(slot, dir);
    if (bytes) saved.push({ k, slot, bytes, dir });
    else {
      const job = plan.trainJob(slot);
      slotOf.set(job.id, k);
      jobs.push(job);
    }
  }
  jobs.push(...(plan.sideJobs?.() ?? []));
  for (const j of jobs) training.set(j.id, { done: 0, total: jobKind(j.kind).work(j) });
  for (const { k, slot, bytes, dir } of saved) {
    const record = readTrainingRecord(dir, { ...slot, model: r.study.model });
    jobs.push(...known(k, { slot, blob: await blobs.put(bytes), trained: false, record }, bytes));
  }

  let trainingLeft = training.size;
  const delivered = new Set<string>();
  const trainingDone = (): void => {
    stages.train?.stop();
    delete stages.train;
    r.timings.train_s = (Date.now() - t) / 1000;
    r.onTrainingDone();
    // One bar at a time on a terminal: the evaluations' bar starts when training is done.
    stages.probe = progress.stage(plan.stages.probe, sum(evaluations, 'total'), 'evals');
    showEvaluations();
  };
  if (trainingLeft) stages.train = progress.stage(plan.stages.train, sum(training, 'total'), plan.stages.trainUnit);
  else trainingDone();

  const onResult = async (result: JobResult): Promise<Job[] | void> => {
    const kind = jobKind(result.kind);
    if (kind.rows) {
      const rows = kind.rows(result).filter((row) => !done.has(rowKey(row)));
      for (const row of rows) done.add(rowKey(row));
      appendResults(paths.results, rows);
      if (rows.length) r.wrote();
      written.push(...rows);
      const w = evaluations.get(result.id);
      if (w) w.done = w.total;
      showEvaluations();
      return;
    }
    const work = training.get(result.id);
    if (!work || delivered.has(result.id)) return; // delivered twice (a retried job): handled once
    delivered.add(result.id);
    let next: Job[] = [];
    const k = slotOf.get(result.id);
    if (k === undefined) await plan.sideResult?.(result);
    else {
      const slot = plan.models[k];
      const made = result.made?.[0];
      if (!made) throw new Error(`the result of ${result.id} names no trained model`);
      const dir = paths.modelDir(slot.task, slot.run);
      const bytes = made.bytes ?? (await blobs.get(made.hash));
      const record = await plan.saveTrained(slot, dir, result, bytes);
      writeTrainingRecord(dir, record);
      next = known(k, { slot, blob: made.hash, trained: true, record }, bytes);
    }
    r.wrote();
    work.done = work.total;
    showTraining();
    if (--trainingLeft === 0) trainingDone();
    return next;
  };

  const onEvent = (id: string, event: JobEvent): void => {
    const w = training.get(id) ?? evaluations.get(id);
    if (event.type === 'progress') {
      if (w) w.done = Math.min(event.done, w.total);
    } else {
      progress.log(event.line);
      if (event.type === 'seed-discarded' && w) w.total += event.addedWork;
    }
    if (training.has(id)) showTraining();
    else showEvaluations();
  };

  try {
    await runJobGraph(r.executor, blobs, { jobs, onResult, onEvent });
  } finally {
    stages.train?.stop();
    stages.probe?.stop();
  }
  r.timings.probe_s = (Date.now() - t) / 1000;
  return { rows: written };
}

/** Rebuild report.html (and summary.json) of a run folder of any kind from its files: `weightscope report`. */
export async function rebuildReport(root: string, options: { foldBelowChance?: boolean } = {}): Promise<string> {
  const record = existsSync(root) ? readRunRecord(root) : null;
  // A folder without run.json holds results of the reference study (its report reads rows alone).
  const kind = record ? (kindOfRecord(record) ?? 'reference') : 'reference';
  return STUDY_KINDS[kind].rebuildReport(root, options);
}
