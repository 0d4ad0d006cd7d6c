/**
 * The contract of the study layer (docs/study.md): a study is data, expanded into jobs with stable
 * ids; a job is run by the runner its kind names (registry.ts) wherever it executes (this thread,
 * a worker thread, a process on another machine behind Redis); large inputs travel as
 * content-addressed blobs.
 *
 * Nothing here knows a study kind: a job is `{ kind, id, … }`, and what a kind's jobs hold is its
 * own business (src/study/kinds/<kind>/types.ts). Every executor gives the same result for the
 * same job, bit for bit: a job carries everything its result depends on (seeds, engine, tfjs
 * backend, dtype, the hashes of its inputs), and nothing about where or when it runs. A worker
 * that cannot honour a job refuses it (JobRefused) instead of computing something else.
 */
import { UserError } from '../core/errors.js';

/** The content hash (sha256, hex) of a blob: a serialized split, sentence set or model. */
export type BlobHash = string;

/** Where jobs read their large inputs: by content hash. Every executor brings its own. */
export interface BlobSource {
  get(hash: BlobHash): Promise<Uint8Array>;
}

/** Where the coordinator puts them; put() returns the hash and is idempotent. */
export interface BlobStore extends BlobSource {
  put(bytes: Uint8Array): Promise<BlobHash>;
}

/** A job: `kind` names its runner in the registry (registry.ts); `id` is stable and says what it computes. */
export interface Job {
  readonly kind: string;
  readonly id: string;
}

/**
 * A blob a job made (a trained model): its hash always, its bytes as the runner made them. An
 * executor puts the bytes into its BlobStore before it delivers the result (so the jobs that read
 * the blob find it) and may drop them on the way.
 */
export interface MadeBlob {
  hash: BlobHash;
  bytes?: Uint8Array;
}

export interface JobResult {
  readonly kind: string;
  readonly id: string;
  /** Blobs this job made, stored by the executor before delivery. */
  made?: MadeBlob[];
}

/**
 * What a runner reports while it works, as typed data (never text a coordinator must parse):
 * - `progress`: units of work done so far in this job (epochs, tokens, evaluations — the unit
 *   its kind declares);
 * - `seed-discarded`: a model failed the discard rule; `line` says so to the user, `retrying`
 *   whether the next seed trains, `addedWork` how many units that adds to the job;
 * - `note`: a line for the user.
 */
export type JobEvent =
  | { type: 'progress'; done: number }
  | { type: 'seed-discarded'; seed: number; testAccuracy: number; minAccuracy: number; retrying: boolean; addedWork: number; line: string }
  | { type: 'note'; line: string };

export type JobProgress = (event: JobEvent) => void;

/** The one function that does a job of a kind; every executor calls it (through registry.ts runJob). */
export type JobRunner<J extends Job = Job, R extends JobResult = JobResult> = (job: J, blobs: BlobSource, onEvent?: JobProgress) => Promise<R>;

/**
 * Runs jobs somewhere. Results arrive through onResult as jobs finish (any order); run() resolves
 * when every job has a result. A job may be run more than once (a retried job): callers de-duplicate
 * by job id and by rowKey. run() may be called again while earlier calls are running (the
 * coordinator adds a model's eval jobs as soon as its train job is done): all calls share the
 * executor's workers, and each resolves when its own jobs have results (it rejects on the first
 * job that fails).
 */
export interface Executor {
  readonly name: string;
  run(jobs: Job[], blobs: BlobStore, onResult: (result: JobResult) => void | Promise<void>, onEvent?: (id: string, event: JobEvent) => void): Promise<void>;
  close(): Promise<void>;
  /** A line about what this executor saved (jobs taken from Redis instead of computed), or null. */
  summary?(): string | null;
}

/**
 * A job this worker cannot honour as it is written (another weightscope version, an unknown kind,
 * a tfjs backend or dtype it does not have): the job is recorded as failed with this one line and
 * not retried; nothing is computed in its place.
 */
export class JobRefused extends UserError {
  override name = 'JobRefused';
}

/** A job that failed for good on a worker (refused, timed out, a user error): the run stops with this line and records it. */
export class JobFailed extends UserError {
  override name = 'JobFailed';
  constructor(readonly jobId: string, readonly reason: string) {
    super(`job ${jobId} failed on a worker: ${reason}`);
  }
}

/** Refuse a job whose numbers are not float32 (every weightscope engine computes in float32). */
export function requireFloat32(dtype: unknown): void {
  if (dtype !== 'float32') throw new JobRefused(`the job computes in '${String(dtype)}'; this worker computes in float32 only`);
}
