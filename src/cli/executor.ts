/**
 * Where a study's jobs run, from a command's flags (`reproduce`, `transformer`: --executor,
 * --workers, --redis; the flags themselves are addExecutorOptions in commands/shared.ts).
 */
import { UserError } from '../core/errors.js';
import type { ExecutorChoice } from '../study/executors/index.js';
import { connectRedis } from '../study/executors/redis.js';

export interface ExecutorFlags {
  /** Worker threads of the thread-pool executor (default: one per core). */
  workers?: number;
  /** Where jobs run: `threads` (default) or `in-process`. */
  executor?: ExecutorChoice['kind'];
  /** Run the jobs on the workers of this Redis (docs/distributed.md). */
  redis?: string;
}

/** Flags that say where a run computes, never what: a run folder may resume with others. */
export const EXECUTOR_FLAGS = ['workers', 'executor', 'redis'];

/** The one place a command picks its executor from its flags. */
export function executorChoice(o: ExecutorFlags): ExecutorChoice {
  if (o.redis) return { kind: 'redis', url: o.redis, log: (line) => process.stderr.write(`${line}\n`) };
  const kind = o.executor ?? 'threads';
  if (kind === 'in-process') return { kind };
  if (kind === 'threads') return { kind, workers: o.workers };
  throw new UserError(`unknown executor '${kind as string}' (in-process, threads)`);
}

/** Check the flags, and that --redis answers: one line before anything is written. */
export async function checkExecutorFlags(o: ExecutorFlags): Promise<void> {
  executorChoice(o);
  if (o.redis) (await connectRedis(o.redis)).disconnect();
}
