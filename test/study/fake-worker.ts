/**
 * A worker process running the fake runner (test/study/fake-runner.ts), for testing the Redis
 * executor's failure handling apart from the real runner: `node fake-worker.js <redis-url> [lock-ms stall-check-ms [job-timeout-ms]]`.
 * Logs one line per job on stdout. Without an argument (node --test imports every file under
 * dist/test/) it does nothing.
 */
import { startRedisWorker } from '../../src/study/executors/redis.js';
import { fakeRunner } from './fake-runner.js';

const [url, lockMs, stalledMs, jobTimeoutMs] = process.argv.slice(2);
if (url) {
  const worker = await startRedisWorker(url, {
    runner: fakeRunner, log: (line) => process.stdout.write(`${line}\n`), ...(lockMs ? { lockMs: Number(lockMs), stalledMs: Number(stalledMs) } : {}),
    ...(jobTimeoutMs ? { jobTimeoutMs: Number(jobTimeoutMs) } : {}),
  });
  process.stdout.write('ready\n');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void worker.close().then(() => process.exit(0)));
}
