/**
 * The executors, and the one place that turns a choice into one (reproduce's --executor; a new
 * executor adds its case here and nothing else changes for the commands).
 */
import type { Executor } from '../types.js';
import { createInProcessExecutor } from './in-process.js';
import { createThreadPoolExecutor } from './thread-pool.js';
import { RedisExecutor } from './redis.js';

export { createInProcessExecutor } from './in-process.js';
export { createThreadPoolExecutor, type ThreadPoolExecutor, type ThreadPoolOptions } from './thread-pool.js';

export type ExecutorChoice = { kind: 'in-process' } | { kind: 'threads'; workers?: number } | { kind: 'redis'; url: string; log?: (line: string) => void };

export const EXECUTOR_KINDS = ['in-process', 'threads'] as const;

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
