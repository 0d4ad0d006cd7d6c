/** Stable job ids: they say what a job computes, never when (the same plan gives the same ids). */

/** `train/<task>/run-<run>`: the job that trains run `run` of a task. */
export const trainJobId = (task: string, run: number): string => `train/${task}/run-${run}`;

/** `eval/<task>/run-<run>/<first>-<last>`: a chunk of one model's evaluations (indices into its plan, last inclusive). */
export const evalJobId = (task: string, run: number, first: number, last: number): string => `eval/${task}/run-${run}/${first}-${last}`;
