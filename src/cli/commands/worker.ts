import { spawn, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { UserError } from '../../core/errors.js';
import { PROTOCOL, connectRedis, parseRedisUrl, startRedisWorker } from '../../study/executors/redis.js';
import { runJob } from '../../study/jobs.js';
import type { JobRunner } from '../../study/types.js';
import { selectBackend } from '../../model/index.js';
import { outputDir, positiveInt } from '../options.js';

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
    .option('--concurrency <n>', 'jobs run at once, one worker process each (one per core uses the machine)', positiveInt, 1)
    .option('--cache <dir>', 'also keep fetched models and task data here, across restarts (default: in memory only)', outputDir)
    .action(async (opts: { redis: string; concurrency: number; cache?: string }) => {
      // Unreachable Redis: one line, before anything starts.
      (await connectRedis(opts.redis)).disconnect();
      // More than one: copies of this command, one job each, so every core computes.
      let stopping = false;
      const children: ChildProcess[] = [];
      for (let k = 1; k < opts.concurrency; k++) {
        const args = [process.argv[1], 'worker', '--redis', opts.redis, ...(opts.cache ? ['--cache', opts.cache] : [])];
        children.push(spawn(process.execPath, [...process.execArgv, ...args], { stdio: ['ignore', 'inherit', 'inherit'] }));
      }
      for (const c of children) c.once('exit', (code, signal) => { if (!stopping) line(`worker process ${c.pid} ended (${signal ?? code})`); });
      // Training with the tfjs engine runs on tfjs' default backend, chosen as reproduce chooses it.
      let backend: Promise<unknown> | undefined;
      const runner: JobRunner = async (job, blobs, onProgress) => {
        if (job.kind === 'train' && job.training.engine === 'tfjs') await (backend ??= selectBackend());
        return runJob(job, blobs, onProgress);
      };
      const worker = await startRedisWorker(opts.redis, { runner, cacheDir: opts.cache, log: line });
      line(`worker ${hostname()}:${process.pid} waiting for jobs on ${opts.redis.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@')} (weightscope ${PROTOCOL.weightscope}, plan format ${PROTOCOL.planFormat}${children.length ? `, ${children.length + 1} processes` : ''})`);
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
