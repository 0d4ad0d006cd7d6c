/**
 * Jobs are complete, and the distributed mode talks (a private redis-server, test/study/redis-server.ts;
 * skipped with one line where redis-server is not installed):
 *   - a plan trained with the tfjs engine on the cpu backend — neither the default engine nor the
 *     default backend of the `weightscope worker` that runs it (sparse, wasm on a machine without
 *     tfjs-node) — gives over Redis the same rows and model bytes as on the thread pool, while the
 *     same plan on the wasm backend gives other weights (so the backend is what the job must carry);
 *   - a job naming a backend the worker does not have is refused with one line, recorded as failed,
 *     not retried, and the coordinator stops with that line;
 *   - `reproduce --redis` says where its jobs go, says within seconds that no worker listens, and a
 *     second run folder of the same plan says how many finished jobs it took from Redis.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { runPaths } from '../../src/core/run-folder.js';
import { tfjsNodeInstalled, defaultTrainEngine } from '../../src/model/backend.js';
import { MemoryBlobStore } from '../../src/study/blobs.js';
import { createInProcessExecutor, createThreadPoolExecutor } from '../../src/study/executors/index.js';
import { KEY_PREFIX, PROTOCOL, QUEUE_NAME, RedisExecutor, connectRedis, queueId } from '../../src/study/executors/redis.js';
import { trainJob } from '../../src/study/kinds/reference/plan.js';
import { redisMissing, startRedis, type RedisInstance } from './redis-server.js';
import { planSmallStudy, runSmallStudy, type SmallRun } from './small-plan.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

interface Proc {
  child: ChildProcess;
  /** stdout and stderr lines so far. */
  lines: string[];
  exited: Promise<number | null>;
}

function start(args: string[]): Proc {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    let buf = '';
    stream.on('data', (d: Buffer) => {
      buf += d;
      const parts = buf.split('\n');
      buf = parts.pop()!;
      lines.push(...parts);
    });
  }
  return { child, lines, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}

/** Resolves with the first line matching `pattern` (rejects after `ms`, or when the process ends first). */
async function waitForLine(p: Proc, pattern: RegExp, ms: number): Promise<string> {
  const deadline = Date.now() + ms;
  let ended = false;
  void p.exited.then(() => { ended = true; });
  for (;;) {
    const hit = p.lines.find((l) => pattern.test(l));
    if (hit) return hit;
    if (ended || Date.now() > deadline) throw new Error(`no line matching ${pattern} (${ended ? 'the process ended' : `after ${ms / 1000} s`}):\n${p.lines.join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stop(procs: Proc[]): Promise<void> {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
  await Promise.all(procs.map((p) => p.exited));
}

const doneCount = (worker: Proc) => worker.lines.filter((l) => / done \S+ in /.test(l)).length;

describe('complete jobs and a talking coordinator, on Redis', { skip: redisMissing('Redis (complete jobs) tests') ?? false }, () => {
  let redis: RedisInstance;
  const procs: Proc[] = [];
  before(async () => { redis = await startRedis(); });
  after(async () => {
    await stop(procs);
    await redis?.stop();
  });

  test('the tfjs engine on the cpu backend (not the worker\'s own defaults): a Redis worker gives the thread pool\'s rows and models, bit for bit; the wasm backend gives other weights', { timeout: 240_000 }, async () => {
    // The worker's own defaults, for the record: what it would have used had the jobs not named theirs.
    assert.equal(defaultTrainEngine(), tfjsNodeInstalled() ? 'tfjs' : 'sparse');
    const config = { pairs: '0v7', runs: 1, engine: 'tfjs' as const, backend: 'cpu' as const };
    const pool = createThreadPoolExecutor({ workers: 2 });
    const threads = await runSmallStudy(pool, { config }).finally(() => pool.close());
    const worker = start(['worker', '--redis', redis.url]);
    procs.push(worker);
    await waitForLine(worker, /waiting for jobs/, 60_000);
    const executor = await RedisExecutor.connect(redis.url, { pollMs: 500 });
    const viaRedis = await runSmallStudy(executor, { config }).finally(() => executor.close());
    assert.ok(worker.lines.some((l) => / done train\/mnist-0v7\/run-0 in .*test accuracy/.test(l)), `the worker trained the model:\n${worker.lines.join('\n')}`);
    assert.equal(viaRedis.rows.length, threads.study.evaluations.length);
    assert.equal(JSON.stringify(viaRedis.rows), JSON.stringify(threads.rows), 'the same rows, bit for bit');
    const weights = (r: SmallRun) => readFileSync(join(runPaths(r.root).modelDir('mnist-0v7', 0), 'weights.bin'));
    assert.ok(weights(viaRedis).equals(weights(threads)), 'the same model bytes');
    const record = JSON.parse(readFileSync(join(runPaths(viaRedis.root).modelDir('mnist-0v7', 0), 'training.json'), 'utf8'));
    assert.deepEqual([record.engine, record.backend.name], ['tfjs', 'cpu']);

    // The backend is part of the result: the same plan on wasm trains other weights.
    const local = createInProcessExecutor();
    const onWasm = await runSmallStudy(local, { config: { ...config, backend: 'wasm' } }).finally(() => local.close());
    assert.ok(!weights(onWasm).equals(weights(threads)), 'wasm and cpu sum in other orders: the weights differ');
  });

  test('a job naming a backend this worker cannot start is refused with one line, recorded as failed and not retried; the coordinator stops with that line', { timeout: 120_000, skip: tfjsNodeInstalled() ? 'tfjs-node is installed here: every backend can start' : false }, async () => {
    const worker = procs[0] ?? start(['worker', '--redis', redis.url]);
    if (!procs.includes(worker)) procs.push(worker);
    await waitForLine(worker, /waiting for jobs/, 60_000);
    const blobs = new MemoryBlobStore();
    const study = await planSmallStudy(blobs, { pairs: '0v7', runs: 1, engine: 'tfjs' }, 'node');
    const job = trainJob(study, study.tasks[0], 0);
    const executor = await RedisExecutor.connect(redis.url, { pollMs: 500 });
    const why = "the job needs the TensorFlow.js backend 'node', which this worker cannot start (it has 'wasm')";
    try {
      await assert.rejects(executor.run([job], blobs, () => undefined), (e: Error) =>
        e.message === `job ${job.id} failed on a worker: refused by worker ${worker.lines.find((l) => /waiting for jobs/.test(l))!.match(/worker (\S+) waiting/)![1]}: ${why}`);
    } finally {
      await executor.close();
    }
    assert.deepEqual(worker.lines.filter((l) => l.includes(` refused ${job.id}: `)).map((l) => l.replace(/^\S+ /, '')), [`refused ${job.id}: ${why}`]);
    const client = await connectRedis(redis.url);
    const queue = new Queue(QUEUE_NAME, { connection: client, prefix: KEY_PREFIX });
    try {
      const queued = (await queue.getJob(queueId({ protocol: PROTOCOL, job })))!;
      assert.equal(await queued.getState(), 'failed');
      assert.equal(queued.attemptsMade, 1, 'a refused job is not retried');
    } finally {
      await queue.close();
      client.disconnect();
    }
  });

  test('reproduce --redis says where its jobs go and that no worker listens; a second --out of the same plan says how many finished jobs it reused', { timeout: 300_000 }, async () => {
    await stop(procs.splice(0));
    const flags = ['reproduce', '--quick', '--pairs', '0v7', '--runs', '1', '--epochs', '1', '--hidden', '8', '--train-limit', '300', '--test-limit', '100', '--seed', '7',
      '--no-graphs', '--redis', redis.url];
    const dir = mkdtempSync(join(tmpdir(), 'ws-redis-talk-'));
    const coordinator = start([...flags, '--out', join(dir, 'a')]);
    procs.push(coordinator);
    const url = redis.url.replace(/\./g, '\\.');
    await waitForLine(coordinator, new RegExp(`^weightscope reproduce: .*; jobs run on the weightscope workers of Redis at ${url} \\(queue weightscope:jobs; start one with \`weightscope worker --redis ${url}\`\\)$`), 60_000);
    const t0 = Date.now();
    await waitForLine(coordinator, new RegExp(`^no weightscope worker is listening on Redis at ${url}: 1 job waits in queue weightscope:jobs — start one with \`weightscope worker --redis ${url}\`$`), 30_000);
    assert.ok(Date.now() - t0 < 20_000, `said so after ${(Date.now() - t0) / 1000} s`);

    const worker = start(['worker', '--redis', redis.url]);
    procs.push(worker);
    await waitForLine(coordinator, /^a weightscope worker is taking the jobs now$/, 120_000);
    assert.equal(await coordinator.exited, 0, coordinator.lines.join('\n'));
    const jobs = doneCount(worker);
    // One train job and ⌈109 / 48⌉ = 3 eval jobs of the --quick sweep.
    assert.equal(jobs, 4, worker.lines.join('\n'));
    assert.ok(!coordinator.lines.some((l) => /reused/.test(l)), 'nothing to reuse in the first run');

    const again = start([...flags, '--out', join(dir, 'b')]);
    procs.push(again);
    assert.equal(await again.exited, 0, again.lines.join('\n'));
    await waitForLine(again, new RegExp(`^reused 4 jobs already finished in Redis at ${url} \\(results taken from there, not computed again\\)$`), 1000);
    assert.equal(doneCount(worker), jobs, 'the worker computed nothing again');
    assert.ok(!again.lines.some((l) => /no weightscope worker/.test(l)), 'a worker is listening');
    assert.equal(readFileSync(join(dir, 'b', 'results.csv'), 'utf8'), readFileSync(join(dir, 'a', 'results.csv'), 'utf8'));
  });
});
