/**
 * The executors, and the one place that turns a command's flags into one (--executor, --workers,
 * --redis; a new executor adds its case here and nothing else changes for the commands or kinds).
 */
import { UserError } from '../../core/errors.js';
import type { Executor } from '../types.js';
import { createInProcessExecutor } from './in-process.js';
import type { ExecutorOptions } from './options.js';
import { createThreadPoolExecutor, threadCount } from './thread-pool.js';
import { KEY_PREFIX, QUEUE_NAME, RedisExecutor, connectRedis, shownUrl } from './redis.js';

export { createInProcessExecutor } from './in-process.js';
export { createThreadPoolExecutor, type ThreadPoolExecutor, type ThreadPoolOptions } from './thread-pool.js';
export { EXECUTOR_OPTIONS, type ExecutorOptions } from './options.js';

export type ExecutorChoice = { kind: 'in-process' } | { kind: 'threads'; workers?: number } | { kind: 'redis'; url: string; log?: (line: string) => void };

export const EXECUTOR_KINDS = ['in-process', 'threads'] as const;

/** The executor a command's flags name; `log` takes the Redis executor's lines (lost connections, idle queue). */
export function executorChoice(o: ExecutorOptions, log?: (line: string) => void): ExecutorChoice {
  if (o.redis) return { kind: 'redis', url: o.redis, log };
  const kind = o.executor ?? 'threads';
  if (kind === 'in-process') return { kind };
  if (kind === 'threads') return { kind, workers: o.workers };
  throw new UserError(`unknown executor '${kind as string}' (in-process, threads)`);
}

/** Check the flags, and that --redis answers: one line before anything is written. */
export async function checkExecutorOptions(o: ExecutorOptions): Promise<void> {
  executorChoice(o);
  if (o.redis) (await connectRedis(o.redis)).disconnect();
}

/** Where the jobs of a choice run, for the line a run starts with. */
export function describeExecutor(choice: ExecutorChoice): string {
  switch (choice.kind) {
    case 'in-process':
      return 'in this thread';
    case 'threads': {
      const n = threadCount(choice.workers);
      return `on ${n} worker thread${n === 1 ? '' : 's'}`;
    }
    case 'redis':
      return `on the weightscope workers of Redis at ${shownUrl(choice.url)} (queue ${KEY_PREFIX}:${QUEUE_NAME}; start one with \`weightscope worker --redis ${shownUrl(choice.url)}\`)`;
  }
}

export async function createExecutor(choice: ExecutorChoice): Promise<Executor> {
  switch (choice.kind) {
    case 'in-process':
      return createInProcessExecutor();
    case 'threads':
      return createThreadPoolExecutor({ workers: choice.workers });
    case 'redis':
      return RedisExecutor.connect(choice.url, { log: choice.log });
  }
}
