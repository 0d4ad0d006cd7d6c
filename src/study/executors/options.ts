/** Where a study's jobs run, as a command's flags give it (--executor, --workers, --redis). */
export interface ExecutorOptions {
  /** Worker threads of the thread-pool executor (default: one per core). */
  workers?: number;
  /** Where jobs run: `threads` (default) or `in-process`. */
  executor?: 'in-process' | 'threads';
  /** Run the jobs on the `weightscope worker`s of this Redis (docs/distributed.md). */
  redis?: string;
}

/** Those flags' keys: they say where a run computes, never what (a run folder may resume with others). */
export const EXECUTOR_OPTIONS = ['workers', 'executor', 'redis'] as const;
