import { spawn, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { UserError } from '../../core/errors.js';
import { DEFAULT_JOB_TIMEOUT_MS, DEFAULT_LOCK_MS, DEFAULT_STALLED_MS, PROTOCOL, connectRedis, parseRedisUrl, shownUrl, startRedisWorker } from '../../study/executors/redis.js';
import { preloadRunners, runJob } from '../../study/registry.js';
import { boundedInt, outputDir, positiveInt } from '../options.js';

/** The longest `--job-timeout`, in seconds: about 23 days, below the longest wait a Node timer can make (2³¹ ms). */
const MAX_JOB_TIMEOUT_S = 2_000_000;

/** `--job-timeout <seconds>`: a positive integer a timer can wait for (past 2³¹ ms one fires at once). */
function jobTimeout(value: string): number {
  const s = positiveInt(value);
  if (s > MAX_JOB_TIMEOUT_S) throw new InvalidArgumentError(`must be at most ${MAX_JOB_TIMEOUT_S.toLocaleString('en-US')} seconds (23 days).`);
  return s;
}

/** `--redis <url>`: a redis:// URL, checked as the flag is parsed (reaching it is checked on connect). */
export function redisUrl(value: string): string {
  try {
    parseRedisUrl(value);
  } catch (err) {
    if (err instanceof UserError) throw new InvalidArgumentError(err.message.replace(/^--redis '[^']*': /, ''));
    throw err;
  }
  return value;
}

const line = (text: string) => process.stdout.write(`${new Date().toISOString().slice(0, 19)}Z ${text}\n`);

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run study jobs from a Redis queue until stopped (docs/distributed.md): start one on every machine that should compute')
    .requiredOption('--redis <url>', 'the Redis the coordinator enqueues on (`reproduce --redis`), e.g. redis://10.0.0.5:6379', redisUrl)
    .option('--concurrency <n>', 'jobs run at once, one worker process each (one per core uses the machine)', boundedInt('workers'), 1)
    .option('--cache <dir>', 'also keep fetched models and task data here, across restarts (default: in memory only)', outputDir)
    .option('--lock-ms <ms>', `how long a running job's lock lasts unrenewed before the job may go to another worker (default ${DEFAULT_LOCK_MS}); give every worker the same`, positiveInt)
    .option('--stall-check-ms <ms>', `how often workers look for jobs whose worker died (default ${DEFAULT_STALLED_MS}); give every worker the same`, positiveInt)
    .option('--job-timeout <seconds>', `the longest one job may run (default ${DEFAULT_JOB_TIMEOUT_MS / 3_600_000} h): a job past it is stopped, recorded as failed with the reason, and the worker takes the next one`, jobTimeout)
    .action(async (opts: { redis: string; concurrency: number; cache?: string; lockMs?: number; stallCheckMs?: number; jobTimeout?: number }) => {
      // Unreachable Redis: one line, before anything starts.
      (await connectRedis(opts.redis)).disconnect();
      // More than one: copies of this command, one job each, so every core computes.
      let stopping = false;
      const children: ChildProcess[] = [];
      for (let k = 1; k < opts.concurrency; k++) {
        const args = [process.argv[1], 'worker', '--redis', opts.redis, ...(opts.cache ? ['--cache', opts.cache] : []),
          ...(opts.lockMs ? ['--lock-ms', String(opts.lockMs)] : []), ...(opts.stallCheckMs ? ['--stall-check-ms', String(opts.stallCheckMs)] : []),
          ...(opts.jobTimeout ? ['--job-timeout', String(opts.jobTimeout)] : [])];
        children.push(spawn(process.execPath, [...process.execArgv, ...args], { stdio: ['ignore', 'inherit', 'inherit'] }));
      }
      for (const c of children) c.once('exit', (code, signal) => { if (!stopping) line(`worker process ${c.pid} ended (${signal ?? code})`); });
      // Each job names its engine, tfjs backend and dtype: the runner honours them or refuses the job.
      await preloadRunners();
      const worker = await startRedisWorker(opts.redis, {
        runner: runJob, cacheDir: opts.cache, log: line, lockMs: opts.lockMs, stalledMs: opts.stallCheckMs, ...(opts.jobTimeout ? { jobTimeoutMs: opts.jobTimeout * 1000 } : {}),
      });
      line(`worker ${hostname()}:${process.pid} waiting for jobs on ${shownUrl(opts.redis)} (weightscope ${PROTOCOL.weightscope}, plan format ${PROTOCOL.planFormat}${children.length ? `, ${children.length + 1} processes` : ''})`);
      await new Promise<void>((resolve) => {
        let firstSignal = 0;
        const stop = (signal: NodeJS.Signals) => {
          // Ctrl-C reaches the child processes twice (from the terminal and from here): one stop.
          if (stopping && Date.now() - firstSignal < 1000) return;
          for (const c of children) c.kill(signal);
          if (stopping) {
            line('stopped now: a running job goes back to the queue when its lock expires');
            process.exit(130);
          }
          stopping = true;
          firstSignal = Date.now();
          line(`${signal}: finishing the running job, then stopping (${signal} again to stop now)`);
          void Promise.all([worker.close(), ...children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : null))]).then(() => resolve());
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      line('worker stopped');
    });
}
