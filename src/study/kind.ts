/**
 * What a study kind provides (docs/architecture.md, "Adding a study kind"): the kinds of jobs its
 * plans hold (JobKind: what executors need, and the runner) and the study itself (StudyDefinition:
 * flags checked, data loaded and planned, models saved and loaded, the report written). A kind is
 * a folder `src/study/kinds/<kind>/` and one line of the table in registry.ts; the run folder,
 * the lock, resuming, the records, progress and the executors are the study layer's (run.ts) and
 * the same for every kind.
 */
import type { ResultRow } from '../core/results.js';
import type { ExecutorOptions } from './executors/options.js';
import type { BackendRecord, TrainingRecord } from './records.js';
import type { BlobHash, BlobStore, Job, JobResult, JobRunner } from './types.js';

/** One kind of job: what the executors and the coordinator need to know of it, and its runner. */
export interface JobKind<J extends Job = any, R extends JobResult = any> {
  /**
   * Check a job from a queue before it runs (a Redis worker): its shape, every size within the
   * bounds the CLI checks its flags against (src/core/bounds.ts), its memory estimate. Throws a
   * JobRefused naming the first problem.
   */
  check(job: J): void;
  /** The blobs a job reads (the Redis executor uploads them before it enqueues the job). */
  reads(job: J): BlobHash[];
  /** Which progress bar its work counts in (`train`: models; `eval`: evaluations), and how many units it is. */
  stage: 'train' | 'eval';
  work(job: J): number;
  /** The result rows it brings (appended to the results log), for a kind of job that brings rows. */
  rows?(result: R): ResultRow[];
  /** One line of what a result holds, for a worker's log. */
  describe(result: R): string;
  /** True when the job must run on the coordinator's main thread (tfjs-node loads in no worker thread). */
  mainThread?(job: J): boolean;
  /** The runner, imported on the first job of this kind: what it loads stays out of workers that never run one. */
  runner(): Promise<JobRunner<J, R>>;
}

/** The options every study run takes: where its folder is and where its jobs run. */
export interface StudyRunOptions extends ExecutorOptions {
  /** The run folder: created, or resumed when it holds a run of the same configuration. */
  out: string;
}

/** A model of the study: one run of one task. Its folder is `runPaths(out).modelDir(task, run)`. */
export interface ModelSlot {
  task: string;
  run: number;
}

/** A model once known: trained now, or found saved in the run folder (an interrupted run's). */
export interface KnownModel {
  slot: ModelSlot;
  /** The model's blob (serialized as the kind's job runners read it). */
  blob: BlobHash;
  /** False when an earlier run had saved it. */
  trained: boolean;
  /** Its training.json (null for a saved model without one). */
  record: TrainingRecord | null;
}

/** What a kind's plan gets from the run. */
export interface PlanContext {
  /** The run folder (runPaths(root) for every path in it). */
  root: string;
  blobs: BlobStore;
  /** The tfjs backend this run resolved (resolve()). */
  backend: BackendRecord;
  /** A line for the user. */
  log(line: string): void;
}

/** What the final report call gets. */
export interface ReportContext {
  root: string;
  /** Every row of the run, once each, in plan order. */
  rows: ResultRow[];
  /** Every model, in plan order. */
  models: KnownModel[];
  /** run.json as it will be written (status complete). */
  record: Record<string, unknown>;
  /** Seconds of the report's parts the kind measured (report_s, graphs_s, …) go here. */
  timings: Record<string, number>;
}

/** A planned study: its models, jobs, files and report. */
export interface StudyPlan {
  /** What the start line says after `weightscope <command>:` (data, engine, backend). */
  summary: string;
  /** The kind's own fields of run.json (read whenever the record is written). */
  record(): Record<string, unknown>;
  /** Every model of the study, in plan order. */
  models: ModelSlot[];
  /** Names of the two progress stages, and the unit training work is counted in. */
  stages: { train: string; trainUnit: string; probe: string };
  /** The blob of a model saved in its folder by an interrupted run, or null when none is saved there. */
  loadSaved(slot: ModelSlot, dir: string): Uint8Array | null | Promise<Uint8Array | null>;
  /** The job that trains a model (its result names the model in `made[0]`). */
  trainJob(slot: ModelSlot): Job;
  /** Save a trained model's files into its folder; its training record (the run writes it beside). */
  saveTrained(slot: ModelSlot, dir: string, result: JobResult, bytes: Uint8Array): TrainingRecord | Promise<TrainingRecord>;
  /** A model's eval jobs, leaving out evaluations whose rowKeys are in `done`. */
  evalJobs(slot: ModelSlot, model: BlobHash, done: ReadonlySet<string>): Job[];
  /** Jobs that train nothing the evaluations read (the tagger study's window-MLP baseline), and their results. */
  sideJobs?(): Job[];
  sideResult?(result: JobResult): void | Promise<void>;
  /** A model is known, with its blob's bytes (the MLP study starts exporting its graphs). */
  modelKnown?(model: KnownModel, bytes: Uint8Array): void;
  /** Rows in plan order, whatever order jobs finished in (results.csv is the same for every executor). */
  sortRows(rows: ResultRow[]): ResultRow[];
  /** Write the kind's own files and report.html. */
  report(ctx: ReportContext): Promise<void>;
  /** Stop what the plan started (a background thread) when the run ends early. */
  close?(): Promise<void>;
}

/** A study kind's study: flags to plan. */
export interface StudyDefinition<O extends StudyRunOptions> {
  /** run.json's `kind` and `command`. */
  kind: string;
  command: string;
  /** What its models are, as training records name them (`mlp`, `tagger`). */
  model: string;
  /** Option keys that say where and how a run computes, never what: a run may resume with others (out and the executor flags are added). */
  notIdentity: readonly string[];
  /** Check every option, with nothing on disk yet (UserError naming the flag). */
  check(o: O): void;
  /**
   * Resolve what this machine decides and the run's results depend on — defaults that are part of
   * the identity (the training engine), the tfjs backend — so that jobs carry them.
   */
  resolve(o: O): Promise<{ options: O; backend: BackendRecord; engine: string }>;
  /** Load the data and plan the study (splits into the blob store). */
  plan(o: O, ctx: PlanContext): Promise<StudyPlan>;
}

/** A study kind: one line of the registry's table. */
export interface StudyKind<O extends StudyRunOptions = any> {
  /** Every kind of job its plans hold, by `job.kind` (names unique across study kinds). */
  jobs: Record<string, JobKind>;
  /** The study, imported when one runs (workers never load plans or reports). */
  study(): Promise<StudyDefinition<O>>;
  /** Rebuild report.html of a finished or partial run folder of this kind (`weightscope report`). */
  rebuildReport(root: string, options: { foldBelowChance?: boolean }): Promise<string>;
}
