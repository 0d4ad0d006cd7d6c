/**
 * The study kinds, in one table (docs/architecture.md, "Adding a study kind"): a kind is a folder
 * under src/study/kinds/ and one line here. The executors, the Redis worker and the run
 * (run.ts) know kinds only through this table: which blobs a job reads, which runner does it,
 * which study a command runs.
 *
 * Loading this module is cheap (worker threads and Redis workers load it): each line names a
 * kind's job descriptions; runners, plans and reports are imported when first needed.
 */
import type { JobKind, StudyKind } from './kind.js';
import { JobRefused, type BlobSource, type Job, type JobProgress, type JobResult } from './types.js';
import { Fields, describe, oneLine } from './fields.js';
import { REFERENCE_STUDY } from './kinds/reference/index.js';
import { TAGGER_STUDY } from './kinds/tagger/index.js';
import { TWINS_STUDY } from './kinds/twins/index.js';
import { MULTITASK_STUDY } from './kinds/multitask/index.js';

export const STUDY_KINDS = {
  /** The reference study (arXiv 2508.05463): MLPs on MNIST pairs, five probes — `weightscope reproduce`. */
  reference: REFERENCE_STUDY,
  /** Transformer taggers on the Brown corpus, probed layer by layer — `weightscope transformer`. */
  tagger: TAGGER_STUDY,
  /** Families of MLPs of equal accuracy (dense, weight-sparse, shortcut), fingerprinted — `weightscope twins`. */
  twins: TWINS_STUDY,
  /** Networks trained on K latent tasks (arXiv 2407.11249): disentanglement, weight lens, probes — `weightscope multitask`. */
  multitask: MULTITASK_STUDY,
} satisfies Record<string, StudyKind>;

export type StudyKindName = keyof typeof STUDY_KINDS;

/** The options a kind's study runs with. */
export type StudyOptionsOf<K extends StudyKindName> = (typeof STUDY_KINDS)[K] extends StudyKind<infer O> ? O : never;

const JOB_KINDS: ReadonlyMap<string, JobKind> = (() => {
  const all = new Map<string, JobKind>();
  for (const [name, kind] of Object.entries(STUDY_KINDS)) {
    for (const [jobKind, entry] of Object.entries(kind.jobs)) {
      if (all.has(jobKind)) throw new Error(`job kind '${jobKind}' of study kind '${name}' is registered twice`);
      all.set(jobKind, entry);
    }
  }
  return all;
})();

/** The description of a job's kind; a job of a kind this weightscope does not know is refused. */
export function jobKind(kind: string): JobKind {
  const entry = JOB_KINDS.get(kind);
  if (!entry) throw new JobRefused(`this weightscope runs no '${kind}' jobs (it runs ${[...JOB_KINDS.keys()].join(', ')})`);
  return entry;
}

/** Do one job, with its kind's runner: what every executor calls. */
export async function runJob(job: Job, blobs: BlobSource, onEvent?: JobProgress): Promise<JobResult> {
  const run = await jobKind(job.kind).runner();
  return run(job, blobs, onEvent);
}

/** The study kind a run record names (records before kinds were recorded name their command). */
export function kindOfRecord(record: Record<string, unknown>): StudyKindName | null {
  if (typeof record.kind === 'string' && record.kind in STUDY_KINDS) return record.kind as StudyKindName;
  if (record.command === 'transformer') return 'tagger';
  if (record.command === 'reproduce') return 'reference';
  return null;
}

/**
 * Import every runner now (a Redis worker, before it takes jobs): a job's first run then computes
 * at once instead of first evaluating modules while it holds its queue lock.
 */
export async function preloadRunners(): Promise<void> {
  await Promise.all([...JOB_KINDS.values()].map((k) => k.runner()));
}

/**
 * Check a job taken from a queue: an object with a known `kind` and a string `id`, whose kind's
 * check (its shape, every size within the bounds, its memory estimate) passes. Returns it typed;
 * anything else is a JobRefused naming the first problem.
 */
export function checkJob(job: unknown): Job {
  const fields = Fields.of(job, 'the job');
  const kind = fields.string('kind');
  if (!/^[a-z][a-z-]{0,39}$/.test(kind)) throw new JobRefused(`the job.kind is ${describe(kind)}, not a job kind`);
  const id = fields.string('id');
  if (id === '' || id.length > 500) throw new JobRefused(`the job's id is ${id === '' ? 'empty' : 'longer than 500 characters'}`);
  // Ids go into log lines and error messages: one line each.
  if (oneLine(id) !== id) throw new JobRefused(`the job's id ${describe(id)} holds control characters`);
  jobKind(kind).check(job as Job);
  return job as Job;
}
