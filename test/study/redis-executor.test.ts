/**
 * The Redis executor's own semantics, with a fake deterministic runner (test/study/fake-runner.ts)
 * in worker processes: results equal the runner called directly, each job delivered once; a worker
 * SIGKILLed mid-job leaves its job to another; a restarted coordinator re-enqueues nothing and
 * takes the finished results from Redis; a worker refuses a job of another version; blobs are
 * content-addressed. The real runner over Redis is tested in test/study/executors.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { UserError } from '../../src/core/errors.js';
import { blobHash, MemoryBlobStore } from '../../src/study/blobs.js';
import { KEY_PREFIX, PROTOCOL, QUEUE_NAME, RedisBlobStore, RedisExecutor, connectRedis, parseRedisUrl, queueId } from '../../src/study/executors/redis.js';
import type { JobResult } from '../../src/study/types.js';
import { fakeBlobs, fakeEvalJobs, fakeRunner, fakeTrainJob, sortedRows } from './fake-runner.js';
import { freePort, redisMissing, startRedis, type RedisInstance } from './redis-server.js';

const FAKE_WORKER = fileURLToPath(new URL('./fake-worker.js', import.meta.url));

interface WorkerProcess {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
}

function startFakeWorker(url: string, env: Record<string, string> = {}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [FAKE_WORKER, url], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buf = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      buf += d;
      const parts = buf.split('\n');
      buf = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        if (line === 'ready') resolve({ child, lines, exited });
      }
    });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => { err += d; });
    void exited.then((code) => reject(new Error(`fake worker exited (${code}) before it was ready:\n${err}`)));
  });
}

async function stopWorkers(workers: WorkerProcess[]): Promise<void> {
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
}

const doneLines = (workers: WorkerProcess[]) => workers.flatMap((w) => w.lines.filter((l) => l.startsWith('done ')));

describe('Redis executor (fake runner, worker processes)', { skip: redisMissing('Redis executor tests') ?? false }, () => {
  let redis: RedisInstance;
  before(async () => { redis = await startRedis(); });
  after(async () => { await redis?.stop(); });

  test('URLs: a closed port and a malformed URL are one UserError line within seconds', async () => {
    const port = await freePort();
    const t0 = Date.now();
    await assert.rejects(connectRedis(`redis://127.0.0.1:${port}`), (err: Error) => err instanceof UserError && /cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+: connection refused/.test(err.message) && !err.message.includes('\n'));
    assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
    for (const bad of ['localhost:6379', 'http://localhost:6379', 'redis://', 'redis://h:notaport', 'redis://h:1/x'])
      assert.throws(() => parseRedisUrl(bad), (err: Error) => err instanceof UserError && err.message.startsWith(`--redis '${bad}'`), bad);
    assert.deepEqual(parseRedisUrl('redis://u:p%40ss@example.org:7000/3'), { host: 'example.org', port: 7000, db: 3, username: 'u', password: 'p@ss' });
  });

  test('blobs: put is idempotent by hash; get checks the bytes and caches them in memory and on disk', async () => {
    const client = await connectRedis(redis.url);
    const cache = mkdtempSync(join(tmpdir(), 'ws-blobs-'));
    try {
      const bytes = new Uint8Array([1, 2, 3, 4, 5]);
      const expected = blobHash(bytes);
      const a = new RedisBlobStore(client);
      assert.equal(await a.put(bytes), expected);
      assert.equal(await new RedisBlobStore(client).put(bytes.slice()), expected);
      assert.deepEqual(await client.keys(`${KEY_PREFIX}:blob:*`), [`${KEY_PREFIX}:blob:${expected}`]);
      const b = new RedisBlobStore(client, cache);
      assert.deepEqual(await b.get(expected), bytes);
      assert.deepEqual(readdirSync(cache), [expected]);
      // Gone from Redis: the worker's caches still have it; a store without them reports it missing.
      await client.del(`${KEY_PREFIX}:blob:${expected}`);
      assert.deepEqual(await b.get(expected), bytes);
      assert.deepEqual(await new RedisBlobStore(client, cache).get(expected), bytes);
      await assert.rejects(new RedisBlobStore(client).get(expected), /is not in Redis/);
      // Corrupted in Redis: refused, not passed on.
      await client.set(`${KEY_PREFIX}:blob:${expected}`, Buffer.from([9, 9]));
      await assert.rejects(new RedisBlobStore(client).get(expected), /does not match its hash/);
    } finally {
      client.disconnect();
      rmSync(cache, { recursive: true, force: true });
    }
  });

  test('two workers: the same results as the runner called directly, each job once; a SIGKILLed worker\'s job is run by another; a restarted coordinator re-enqueues nothing', { timeout: 60_000 }, async () => {
    const local = new MemoryBlobStore();
    const { model, test: split } = fakeBlobs();
    const hashes = { model: await local.put(model), test: await local.put(split), train: await local.put(new Uint8Array([7, 7, 7])) };
    const jobs = [fakeTrainJob(0, hashes), ...fakeEvalJobs(8, 4, hashes, 11)];
    const direct: JobResult[] = [];
    for (const job of jobs) direct.push(await fakeRunner(job, local));

    // Jobs of 0.8 s, locks of 1 s checked every 0.5 s: a killed worker's job is back within ~2 s.
    const env = { WEIGHTSCOPE_FAKE_JOB_MS: '800', WEIGHTSCOPE_REDIS_LOCK_MS: '1000', WEIGHTSCOPE_REDIS_STALL_MS: '500' };
    const workers = await Promise.all([startFakeWorker(redis.url, env), startFakeWorker(redis.url, env)]);
    const results: JobResult[] = [];
    let killed = '';
    const first = await RedisExecutor.connect(redis.url, { pollMs: 500 });
    const firstRun = first.run(jobs, local, async (r) => {
      results.push(r);
      if (results.length === 3) {
        // The coordinator goes away mid-plan (its close is what a restart looks like to Redis).
        void first.close();
      }
    });
    // Kill whichever worker holds a running job, mid-job.
    const probeClient = await connectRedis(redis.url);
    const probe = new Queue(QUEUE_NAME, { connection: probeClient, prefix: KEY_PREFIX });
    try {
      for (let i = 0; i < 100 && !killed; i++) {
        const active = await probe.getActive();
        const victim = workers.find((w) => active.some((j) => j.processedBy?.endsWith(`:${w.child.pid}`)));
        if (victim) {
          killed = active.find((j) => j.processedBy?.endsWith(`:${victim.child.pid}`))!.id!;
          victim.child.kill('SIGKILL');
        } else await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(killed, 'no worker was seen running a job');
      await assert.rejects(firstRun, /closed while jobs were running/);

      const second = await RedisExecutor.connect(redis.url, { pollMs: 500 });
      const again: JobResult[] = [];
      try {
        await second.run(jobs, local, (r) => { again.push(r); });
      } finally {
        await second.close();
      }
      // Every job delivered once by the restarted coordinator, with the direct runner's result.
      assert.deepEqual(again.map((r) => r.id).sort(), jobs.map((j) => j.id).sort());
      assert.deepEqual(sortedRows(again), sortedRows(direct));
      assert.deepEqual(again.find((r) => r.kind === 'train'), direct.find((r) => r.kind === 'train'));
      // The trained model's blob was copied into the coordinator's own store.
      const trained = again.find((r) => r.kind === 'train')!;
      assert.ok(trained.kind === 'train' && local.has(trained.model));
      // The killed job was finished by the other worker; no job ran to completion twice.
      const survivors = workers.filter((w) => w.child.signalCode !== 'SIGKILL');
      const done = doneLines(workers).map((l) => l.split(' ')[1]);
      assert.equal(new Set(done).size, done.length, `a job ran twice:\n${done.join('\n')}`);
      assert.equal(done.length, jobs.length);
      const killedJob = jobs.find((j) => queueId({ protocol: PROTOCOL, job: j }) === killed)!;
      assert.ok(doneLines(survivors).some((l) => l.startsWith(`done ${killedJob.id} `)), `the killed job ${killedJob.id} was not finished by another worker`);
    } finally {
      await probe.close();
      probeClient.disconnect();
      await stopWorkers(workers);
      await first.close();
    }
  });

  test('a worker refuses a job of another weightscope version with a clear message, once, without retrying', { timeout: 30_000 }, async () => {
    const worker = await startFakeWorker(redis.url);
    const client = await connectRedis(redis.url);
    const queue = new Queue(QUEUE_NAME, { connection: client, prefix: KEY_PREFIX });
    try {
      const local = new MemoryBlobStore();
      const { model, test: split } = fakeBlobs();
      const [job] = fakeEvalJobs(1, 1, { model: await local.put(model), test: await local.put(split) }, 99);
      const data = { protocol: { weightscope: '0.0.1-other', planFormat: PROTOCOL.planFormat }, job };
      const added = await queue.add('eval', data, { jobId: queueId(data), attempts: 3 });
      for (let i = 0; i < 100 && (await added.getState()) !== 'failed'; i++) await new Promise((r) => setTimeout(r, 100));
      const failed = await queue.getJob(added.id!);
      assert.equal(await failed!.getState(), 'failed');
      assert.equal(failed!.attemptsMade, 1, 'a refused job is not retried');
      assert.match(failed!.failedReason, new RegExp(`this worker runs weightscope ${PROTOCOL.weightscope.replaceAll('.', '\\.')} \\(plan format ${PROTOCOL.planFormat}\\); the job needs weightscope 0\\.0\\.1-other`));
      assert.equal(worker.lines.filter((l) => l.startsWith(`refused ${job.id}:`)).length, 1, worker.lines.join('\n'));
    } finally {
      await queue.close();
      client.disconnect();
      await stopWorkers([worker]);
    }
  });

  test('a job that fails on every attempt ends the run with one line naming the job and the reason', { timeout: 30_000 }, async () => {
    const worker = await startFakeWorker(redis.url);
    const executor = await RedisExecutor.connect(redis.url, { pollMs: 500 });
    try {
      const local = new MemoryBlobStore();
      const { model, test: split } = fakeBlobs();
      const jobs = fakeEvalJobs(2, 1, { model: await local.put(model), test: await local.put(split) }, 5);
      jobs[1].evals[0].spec.variant = 'explode';
      const got: JobResult[] = [];
      await assert.rejects(executor.run(jobs, local, (r) => { got.push(r); }), (err: Error) => err instanceof UserError && err.message === `job ${jobs[1].id} failed on a worker: fake runner: variant 'explode'`);
      assert.equal(worker.lines.filter((l) => l.startsWith(`failed ${jobs[1].id} `)).length, 3, 'three attempts');
    } finally {
      await executor.close();
      await stopWorkers([worker]);
    }
  });
});
