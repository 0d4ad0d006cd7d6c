/**
 * The distributed executor (BullMQ on a private redis-server, test/study/redis-server.ts; skipped
 * with one line where redis-server is not installed):
 *   - the small plan (test/study/small-plan.ts) run in-process, on the thread pool, and over Redis
 *     by 3 `weightscope worker` processes, one SIGKILLed mid-job and the coordinator SIGKILLed and
 *     restarted once: identical sorted rows, nothing lost, nothing twice;
 *   - the executor's own semantics with a fake deterministic runner (test/study/fake-runner.ts) in
 *     worker processes: results equal the runner called directly, each job delivered once; a killed
 *     worker's job is run by another; a restarted coordinator re-enqueues nothing and takes finished
 *     results from Redis; a failing job ends the run with one line;
 *   - a worker refuses a job of another version with one line; SIGTERM stops it cleanly;
 *   - blobs are content-addressed, checked and cached.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { UserError } from '../../src/core/errors.js';
import { rowKey } from '../../src/core/results.js';
import { repairRunFolder, runPaths } from '../../src/core/run-folder.js';
import { blobHash, MemoryBlobStore } from '../../src/study/blobs.js';
import { createInProcessExecutor, createThreadPoolExecutor } from '../../src/study/executors/index.js';
import { KEY_PREFIX, PROTOCOL, QUEUE_NAME, RedisBlobStore, RedisExecutor, connectRedis, queueId } from '../../src/study/executors/redis.js';
import type { TrainJobResult } from '../../src/study/kinds/reference/types.js';
import { JobFailed, type Executor, type JobResult } from '../../src/study/types.js';
import { EXPLODE_SEED, SLOW_SEED, fakeBlobs, fakeEvalJobs, fakeRunner, fakeTrainJob, sortedRows } from './fake-runner.js';
import { redisMissing, startRedis, type RedisInstance } from './redis-server.js';
import { runSmallStudy, SMALL_STUDY } from './small-plan.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const FAKE_WORKER = fileURLToPath(new URL('./fake-worker.js', import.meta.url));
const COORDINATOR = fileURLToPath(new URL('./redis-coordinator.js', import.meta.url));

/** Short locks, checked often (worker options): a killed worker's job is back in the queue within ~2 s. */
const FAST_STALLS = { lockMs: 1500, stalledMs: 500 };
const fastStallFlags = ['--lock-ms', String(FAST_STALLS.lockMs), '--stall-check-ms', String(FAST_STALLS.stalledMs)];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface WorkerProcess {
  child: ChildProcess;
  lines: string[];
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Start a worker process; resolves once it printed a line matching `ready`. */
function startWorker(args: string[], ready: RegExp, env: Record<string, string> = {}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buf = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d; });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      buf += d;
      const parts = buf.split('\n');
      buf = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        if (ready.test(line)) resolve({ child, lines, stderr: () => err, exited });
      }
    });
    void exited.then((code) => reject(new Error(`worker exited (${code}) before it was ready:\n${err}`)));
  });
}

const startFakeWorker = (url: string, env: Record<string, string> = {}) => startWorker([FAKE_WORKER, url, String(FAST_STALLS.lockMs), String(FAST_STALLS.stalledMs)], /^ready$/, env);
const startCliWorker = (url: string, args: string[] = []) => startWorker([MAIN, 'worker', '--redis', url, ...fastStallFlags, ...args], /waiting for jobs/);

async function stopWorkers(workers: WorkerProcess[]): Promise<void> {
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
}

/** The stable ids of the jobs a worker logged as done (`[time] done <id> in …`). */
const doneIds = (workers: WorkerProcess[]) => workers.flatMap((w) => w.lines.flatMap((l) => /(?:^|Z )done (\S+) in /.exec(l)?.[1] ?? []));

/** Kill a worker that holds a running job (SIGKILL, mid-job); returns the job's stable id, or null when none was seen running. */
async function killOneMidJob(queue: Queue, workers: WorkerProcess[], alive: () => boolean, accept: (id: string) => boolean = () => true): Promise<{ worker: WorkerProcess; job: string } | null> {
  while (alive()) {
    const active = await queue.getActive();
    for (const j of active) {
      const w = workers.find((w) => w.child.signalCode === null && j.processedBy?.endsWith(`:${w.child.pid}`));
      const id = (j.data as { job: { id: string } }).job.id;
      if (w && accept(id)) {
        w.child.kill('SIGKILL');
        await w.exited;
        return { worker: w, job: id };
      }
    }
    await sleep(20);
  }
  return null;
}

describe('distributed executor on Redis', { skip: redisMissing('Redis (distributed executor) tests') ?? false }, () => {
  let redis: RedisInstance;
  before(async () => { redis = await startRedis(); });
  after(async () => { await redis?.stop(); });

  test('the small plan in-process, on the thread pool and over Redis (3 worker processes, one SIGKILLed mid-job, the coordinator SIGKILLed and restarted): identical rows, nothing lost, nothing twice; results reported twice are written once', { timeout: 120_000 }, async () => {
    const inProcess = createInProcessExecutor();
    const a = await runSmallStudy(inProcess).finally(() => inProcess.close());
    const pool = createThreadPoolExecutor({ workers: 2 });
    const b = await runSmallStudy(pool).finally(() => pool.close());
    const total = a.study.tasks.length * SMALL_STUDY.runs * a.study.evaluations.length;
    assert.equal(a.rows.length, total);
    assert.equal(JSON.stringify(b.rows), JSON.stringify(a.rows));

    const workers = await Promise.all([0, 1, 2].map(() => startCliWorker(redis.url)));
    const root = join(mkdtempSync(join(tmpdir(), 'ws-redis-study-')), 'run');
    const results = runPaths(root).results;
    const rowsWritten = () => (existsSync(results) ? readFileSync(results, 'utf8').split('\n').filter(Boolean).length : 0);
    const client = await connectRedis(redis.url);
    const queue = new Queue(QUEUE_NAME, { connection: client, prefix: KEY_PREFIX });
    const coordinator = spawn(process.execPath, [COORDINATOR, redis.url, root], { stdio: ['ignore', 'ignore', 'pipe'] });
    let coordinatorErr = '';
    coordinator.stderr.on('data', (d: Buffer) => { coordinatorErr += d; });
    const coordinatorExit = new Promise<string>((resolve) => coordinator.once('exit', (code, signal) => resolve(signal ?? String(code))));
    let running = true;
    void coordinatorExit.then(() => { running = false; });
    try {
      // A worker is SIGKILLed while it runs a job: an eval job if one comes soon enough, else a training.
      const killed = await killOneMidJob(queue, workers, () => running);
      assert.ok(killed, `no job was seen running before the coordinator ended:\n${coordinatorErr}`);
      // The coordinator is SIGKILLed once rows are being written, before the plan is done.
      while (running && rowsWritten() === 0) await sleep(20);
      coordinator.kill('SIGKILL');
      assert.equal(await coordinatorExit, 'SIGKILL', `the coordinator ended before it was killed:\n${coordinatorErr}`);
      const atKill = rowsWritten();
      assert.ok(atKill > 0 && atKill < total, `killed with ${atKill} of ${total} rows written`);

      // Restarted: repairs the folder as reproduce does, resumes from its rows and from Redis.
      repairRunFolder(root);
      const executor = await RedisExecutor.connect(redis.url, { pollMs: 500 });
      const c = await runSmallStudy(executor, { root }).finally(() => executor.close());

      assert.equal(c.rows.length, total, 'nothing lost');
      assert.equal(new Set(c.rows.map(rowKey)).size, total, 'nothing twice');
      assert.equal(JSON.stringify(c.rows), JSON.stringify(a.rows), 'the same rows as in-process, bit for bit');
      // The same models too.
      for (const m of a.outcome.models) {
        const weights = (r: string) => readFileSync(join(runPaths(r).modelDir(m.slot.task, m.slot.run), 'weights.bin'));
        assert.ok(weights(root).equals(weights(a.root)), `${m.slot.task} run ${m.slot.run}`);
      }
      // The killed worker's job was done by another; no worker finished a job twice.
      const survivors = workers.filter((w) => w !== killed!.worker);
      assert.ok(doneIds(survivors).includes(killed!.job), `the killed job ${killed!.job} was not finished by another worker`);
      const done = doneIds(survivors);
      assert.equal(new Set(done).size, done.length, `a job ran to the end twice:\n${done.join('\n')}`);

      // The plan again into a new folder, every result reported twice: each comes from Redis (no
      // worker runs anything again) and each row is written once.
      const before = doneIds(workers).length;
      const inner = await RedisExecutor.connect(redis.url, { pollMs: 500 });
      const twice: Executor = { name: 'twice', run: (jobs, blobs, onResult, onProgress) => inner.run(jobs, blobs, async (r) => { await onResult(r); await onResult(r); }, onProgress), close: () => inner.close() };
      const d = await runSmallStudy(twice).finally(() => twice.close());
      assert.equal(JSON.stringify(d.rows), JSON.stringify(a.rows), 'reported twice, written once');
      assert.equal(doneIds(workers).length, before, 'finished jobs are taken from Redis, not run again');
    } finally {
      coordinator.kill('SIGKILL');
      await queue.close();
      client.disconnect();
      await stopWorkers(workers);
    }
  });

  test('weightscope worker refuses a job of another version with one line, without retrying, and stops cleanly on SIGTERM', { timeout: 60_000 }, async () => {
    // Every worker of a queue shares one stalled-job check (its interval is whoever checked last's): short here too.
    const worker = await startCliWorker(redis.url);
    const client = await connectRedis(redis.url);
    const queue = new Queue(QUEUE_NAME, { connection: client, prefix: KEY_PREFIX });
    try {
      const [job] = fakeEvalJobs(1, 1, { model: 'a'.repeat(64), test: 'b'.repeat(64) });
      for (const protocol of [{ weightscope: '0.0.1-other', planFormat: PROTOCOL.planFormat }, { weightscope: PROTOCOL.weightscope, planFormat: PROTOCOL.planFormat + 1 }]) {
        const data = { protocol, job };
        const added = await queue.add('eval', data, { jobId: queueId(data), attempts: 3 });
        for (let i = 0; i < 100 && (await added.getState()) !== 'failed'; i++) await sleep(100);
        const failed = (await queue.getJob(added.id!))!;
        assert.equal(await failed.getState(), 'failed');
        assert.equal(failed.attemptsMade, 1, 'a refused job is not retried');
        const why = `this worker runs weightscope ${PROTOCOL.weightscope} (plan format ${PROTOCOL.planFormat}); the job needs weightscope ${protocol.weightscope} (plan format ${protocol.planFormat})`;
        assert.ok(failed.failedReason.endsWith(`: ${why}`), failed.failedReason);
        assert.match(failed.failedReason, /^refused by worker \S+:\d+: /);
        const logged = worker.lines.filter((l) => l.includes(' refused '));
        assert.ok(logged.at(-1)!.endsWith(` refused ${job.id}: ${why}`), logged.join('\n'));
      }
      assert.equal(worker.lines.filter((l) => l.includes(' refused ')).length, 2, 'one line per refused job');
      worker.child.kill('SIGTERM');
      assert.equal(await worker.exited, 0, worker.stderr());
      assert.match(worker.lines.at(-1)!, /worker stopped$/);
      assert.equal(worker.stderr(), '');
    } finally {
      worker.child.kill('SIGKILL');
      await queue.close();
      client.disconnect();
    }
  });

  test('a worker defends itself: jobs of the wrong shape or with absurd sizes are refused with one line each, a job past its time limit is failed with its reason, neither is retried, and the same worker then finishes a normal job', { timeout: 60_000 }, async () => {
    // The default lock (30 s): reading a 20 MB job on a loaded machine may outlast a short one, and a
    // job whose lock lapsed is taken again (a second refusal line).
    const worker = await startWorker([FAKE_WORKER, redis.url, '30000', '30000', '1500'], /^ready$/);
    const client = await connectRedis(redis.url);
    const queue = new Queue(QUEUE_NAME, { connection: client, prefix: KEY_PREFIX });
    const executor = await RedisExecutor.connect(redis.url, { pollMs: 500 });
    try {
      const local = new MemoryBlobStore();
      const { model, test: split } = fakeBlobs();
      const hashes = { model: await local.put(model), test: await local.put(split), train: await local.put(new Uint8Array([7, 7, 7])) };
      const [evalJob] = fakeEvalJobs(1, 2, hashes, 9);
      const train = fakeTrainJob(0, hashes);
      // Put on the queue as a hostile coordinator would, with this worker's protocol: each is refused before it runs.
      const hostile: { id: string; job: unknown; why: RegExp }[] = [
        { id: 'null', job: null, why: /^the job is null, not an object$/ },
        { id: 'hidden', job: { ...train, mlp: { ...train.mlp, hidden: [1e8] } }, why: /^the job\.mlp\.hidden\[0\]: 100,000,000 units is above the bound of 65,536 units/ },
        { id: 'epochs', job: { ...train, training: { ...train.training, epochs: 1e15 } }, why: /^the job\.training\.epochs: 1,000,000,000,000,000 epochs is above the bound of 10,000 epochs/ },
        { id: 'evals', job: { ...evalJob, evals: Array.from({ length: 200_000 }, () => evalJob.evals[0]) }, why: /^the job\.evals: 200,000 evaluations is above the bound of 10,000 evaluations/ },
        { id: 'kind', job: { ...evalJob, kind: 'shell' }, why: /^this weightscope runs no 'shell' jobs/ },
      ];
      for (const h of hostile) {
        const added = await queue.add('hostile', { protocol: PROTOCOL, job: h.job }, { jobId: `hostile-${h.id}`, attempts: 3 });
        for (let i = 0; i < 100 && (await added.getState()) !== 'failed'; i++) await sleep(100);
        const failed = (await queue.getJob(added.id!))!;
        assert.equal(await failed.getState(), 'failed', h.id);
        assert.equal(failed.attemptsMade, 1, `a refused job is not retried (${h.id})`);
        const reason = failed.failedReason.replace(/^refused by worker \S+:\d+: /, '');
        assert.notEqual(reason, failed.failedReason, failed.failedReason);
        assert.match(reason, h.why);
        assert.ok(!reason.includes('\n'), reason);
      }
      assert.equal(worker.lines.filter((l) => /^refused /.test(l)).length, hostile.length, `one line per refused job:\n${worker.lines.join('\n')}`);

      // A job past the worker's time limit (1.5 s; this one would take a minute): failed with the reason, once.
      const slow = { ...evalJob, id: 'eval/fake-0v1/run-0/slow', baseSeed: SLOW_SEED };
      const t0 = Date.now();
      await assert.rejects(executor.run([slow], local, () => {}), (err: Error) => err instanceof JobFailed && err.jobId === slow.id &&
        /^timed out on worker \S+ after 1\.\d\d s: the job ran past its time limit of 1\.5 s \(worker --job-timeout\)$/.test(err.reason));
      assert.ok(Date.now() - t0 < 10_000, `the time limit stopped the job (${Date.now() - t0} ms)`);
      assert.equal(worker.lines.filter((l) => l.startsWith(`timed out ${slow.id} after `) && l.endsWith(': the job ran past its time limit of 1.5 s (worker --job-timeout)')).length, 1, worker.lines.join('\n'));

      // The same worker then finishes a normal job, with the runner's own result.
      const got: JobResult[] = [];
      await executor.run([evalJob], local, (r) => { got.push(r); });
      assert.deepEqual(got, [await fakeRunner(evalJob, local)]);
      assert.equal(worker.child.exitCode, null, 'the worker is still running');
      assert.equal(worker.stderr(), '');
    } finally {
      await executor.close();
      await queue.close();
      client.disconnect();
      await stopWorkers([worker]);
    }
  });

  test('a refused job ends a study with one line, and its run record says which job failed and why', { timeout: 180_000 }, async () => {
    // This worker's bound on evaluations per job (10) is below the small plan's eval jobs (25): the
    // models train on it, then the first eval job is refused.
    const worker = await startWorker([MAIN, 'worker', '--redis', redis.url, ...fastStallFlags], /waiting for jobs/, { WEIGHTSCOPE_MAX_JOB_EVALUATIONS: '10' });
    const executor = await RedisExecutor.connect(redis.url, { pollMs: 500 });
    const root = join(mkdtempSync(join(tmpdir(), 'ws-refused-')), 'run');
    try {
      // Another seed than the other tests' plans: none of its jobs' results is in Redis already.
      await assert.rejects(runSmallStudy(executor, { root, config: { seed: 41 } }), (err: Error) => err instanceof JobFailed && /^eval\//.test(err.jobId) &&
        /^refused by worker \S+: the job\.evals: 25 evaluations is above the bound of 10 evaluations/.test(err.reason) && !err.message.includes('\n'));
      const record = JSON.parse(readFileSync(join(root, 'run.json'), 'utf8')) as { status: string; failed?: { job: string; reason: string } };
      assert.equal(record.status, 'failed');
      assert.match(record.failed!.job, /^eval\//);
      assert.match(record.failed!.reason, /the job\.evals: 25 evaluations is above the bound of 10 evaluations/);
    } finally {
      await executor.close();
      await stopWorkers([worker]);
      // The study's other jobs still wait in the queue (a stopped coordinator leaves them for its
      // restart): taken away, so that the next test's workers do not run them.
      const client = await connectRedis(redis.url);
      const queue = new Queue(QUEUE_NAME, { connection: client, prefix: KEY_PREFIX });
      await queue.drain(true);
      await queue.close();
      client.disconnect();
      rmSync(join(root, '..'), { recursive: true, force: true });
    }
  });

  test('two workers: the same results as the runner called directly, each job once; a SIGKILLed worker\'s job is run by another; a restarted coordinator re-enqueues nothing', { timeout: 60_000 }, async () => {
    const local = new MemoryBlobStore();
    const { model, test: split } = fakeBlobs();
    const hashes = { model: await local.put(model), test: await local.put(split), train: await local.put(new Uint8Array([7, 7, 7])) };
    const jobs = [fakeTrainJob(0, hashes), ...fakeEvalJobs(8, 4, hashes, 11)];
    const direct: JobResult[] = [];
    for (const job of jobs) direct.push(await fakeRunner(job, local));

    const env = { WEIGHTSCOPE_FAKE_JOB_MS: '800' };
    const workers = await Promise.all([startFakeWorker(redis.url, env), startFakeWorker(redis.url, env)]);
    const results: JobResult[] = [];
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
      const victim = await killOneMidJob(probe, workers, () => true);
      assert.ok(victim, 'no worker was seen running a job');
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
      assert.ok(trained.kind === 'train' && local.has((trained as TrainJobResult).model));
      // The killed job was finished by the other worker; no job ran to completion twice.
      const done = doneIds(workers);
      assert.equal(new Set(done).size, done.length, `a job ran twice:\n${done.join('\n')}`);
      assert.equal(done.length, jobs.length, 'the restarted coordinator took finished jobs from Redis: none ran again');
      assert.ok(doneIds(workers.filter((w) => w !== victim!.worker)).includes(victim!.job), `the killed job ${victim!.job} was not finished by another worker`);
    } finally {
      await probe.close();
      probeClient.disconnect();
      await stopWorkers(workers);
      await first.close();
    }
  });

  test('a job that fails on every attempt ends the run with one line naming the job and the reason', { timeout: 30_000 }, async () => {
    const worker = await startFakeWorker(redis.url);
    const executor = await RedisExecutor.connect(redis.url, { pollMs: 500 });
    try {
      const local = new MemoryBlobStore();
      const { model, test: split } = fakeBlobs();
      const jobs = fakeEvalJobs(2, 1, { model: await local.put(model), test: await local.put(split) }, 5);
      jobs[1].baseSeed = EXPLODE_SEED;
      const got: JobResult[] = [];
      await assert.rejects(executor.run(jobs, local, (r) => { got.push(r); }), (err: Error) => err instanceof UserError && err.message === `job ${jobs[1].id} failed on a worker: fake runner: base seed ${EXPLODE_SEED} explodes`);
      assert.equal(worker.lines.filter((l) => l.startsWith(`failed ${jobs[1].id} `)).length, 3, 'three attempts');
    } finally {
      await executor.close();
      await stopWorkers([worker]);
    }
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
      assert.deepEqual(await client.keys(`${KEY_PREFIX}:blob:${expected}*`), [`${KEY_PREFIX}:blob:${expected}`], 'one key per content');
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
});
