/**
 * The coordinator's loop for a plan whose jobs lead to more jobs (run.ts runs every study on it):
 * `jobs` can run now (train jobs, the eval jobs of models already saved); `onResult` takes each
 * result as it arrives (writes it to the run folder) and returns the jobs that follow it (a trained
 * model's eval jobs), which go to the executor at once, so training and evaluation overlap.
 */
import type { BlobStore, Executor, Job, JobEvent, JobResult } from './types.js';

export interface JobGraph {
  jobs: Job[];
  onResult(result: JobResult): Job[] | void | Promise<Job[] | void>;
  onEvent?: (id: string, event: JobEvent) => void;
}

/** Run a job graph on an executor; resolves when every job and every job that followed has a result. */
export async function runJobGraph(executor: Executor, blobs: BlobStore, graph: JobGraph): Promise<void> {
  const runs: Promise<void>[] = [];
  const submit = (jobs: Job[]): void => {
    if (jobs.length === 0) return;
    const running = executor.run(jobs, blobs, async (r) => submit((await graph.onResult(r)) ?? []), graph.onEvent);
    running.catch(() => undefined); // awaited below; a failure meanwhile is not unhandled
    runs.push(running);
  };
  submit(graph.jobs);
  // A run's results (and so the runs they submit) come before it resolves: the list is complete at the end.
  for (let k = 0; k < runs.length; k++) await runs[k];
}
