/**
 * The distributed executor (docs/distributed.md): jobs go to a BullMQ queue on Redis, worker
 * processes on any machine (`weightscope worker --redis URL`) run them with the same runner as
 * every other executor, and results come back as the jobs' return values. Nothing is shared but
 * Redis: large inputs travel as content-addressed blobs (`<prefix>:blob:<sha256>`), fetched once
 * per worker and cached.
 *
 * Idempotence: a queued job's id is its stable id plus a digest of everything it carries, so
 * enqueueing a plan again (a restarted coordinator) adds nothing and finds the jobs already done;
 * a worker killed mid-job loses its lock and the job is run again by another (BullMQ's stalled-job
 * check); each job's result is delivered to the caller once.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Queue, QueueEvents, UnrecoverableError, Worker, type Job as QueuedJob } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { UserError } from '../../core/errors.js';
import { WEIGHTSCOPE_VERSION } from '../../core/run-folder.js';
import { blobHash } from '../blobs.js';
import { blobsOf, describeResult, isModelResult } from '../job-kinds.js';
import type { BlobHash, BlobStore, Executor, Job, JobResult, JobRunner } from '../types.js';

/** Bumped whenever the meaning of a job's JSON changes, or kinds are added (2: the tagger jobs): a worker refuses jobs of another format. */
export const PLAN_FORMAT = 2;

/** Workers run only jobs of their own weightscope version. */
export { WEIGHTSCOPE_VERSION };

/** What a job needs of the worker that runs it. */
export interface Protocol {
  weightscope: string;
  planFormat: number;
}

export const PROTOCOL: Protocol = { weightscope: WEIGHTSCOPE_VERSION, planFormat: PLAN_FORMAT };

/** The data of a queued job. */
export interface QueuedJobData {
  protocol: Protocol;
  job: Job;
}

/** A job's progress with a line for the user (a discarded model), as it travels through Redis. */
interface ProgressNote {
  done: number;
  note?: string;
}

/** Every key weightscope writes in Redis starts with this (BullMQ's prefix and the blobs'). */
export const KEY_PREFIX = 'weightscope';
export const QUEUE_NAME = 'jobs';

/** How long the first connection may take before the URL is reported unreachable. */
const CONNECT_TIMEOUT_MS = 3000;

// ---------------------------------------------------------------------------------------------
// Connecting

/** ioredis options for a `redis://[user:password@]host[:port][/db]` URL (rediss:// for TLS); UserError when it is not one. */
export function parseRedisUrl(url: string): RedisOptions {
  const bad = (why: string) => new UserError(`--redis '${url}': ${why} (expected redis://HOST:PORT)`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw bad('not a URL');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw bad(`scheme '${u.protocol.replace(/:$/, '')}' is not redis or rediss`);
  if (!u.hostname) throw bad('no host');
  const port = u.port ? Number(u.port) : 6379;
  const db = u.pathname && u.pathname !== '/' ? u.pathname.slice(1) : '0';
  if (!/^\d+$/.test(db)) throw bad(`database '${db}' is not a number`);
  if (u.search || u.hash) throw bad('query strings and fragments are not supported');
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    db: Number(db),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** The URL without its password, for messages. */
function shownUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/**
 * A connected client, or a UserError within a few seconds naming the URL and the reason (refused,
 * no such host, timeout, not a Redis server). Once connected it reconnects after outages forever,
 * with commands waiting (maxRetriesPerRequest null, as BullMQ's workers require).
 */
export async function connectRedis(url: string): Promise<Redis> {
  const options = parseRedisUrl(url);
  let connected = false;
  const client = new Redis({
    ...options,
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: null,
    // Fail fast until the first connection; after that, ride out outages.
    retryStrategy: (times) => (connected ? Math.min(100 * times, 2000) : null),
  });
  let lastError: Error | undefined;
  const onError = (err: Error) => { lastError = err; };
  client.on('error', onError);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect().then(() => client.ping()),
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS + 500); }),
    ]);
  } catch (err) {
    client.disconnect();
    const e = (lastError ?? err) as NodeJS.ErrnoException;
    const reason =
      e.code === 'ECONNREFUSED' ? 'connection refused'
      : e.code === 'ENOTFOUND' ? `no such host '${options.host}'`
      : /Unknown RESP type|Protocol error/i.test(e.message) ? 'what answers there is not a Redis server'
      : e.message.split('\n')[0];
    throw new UserError(`cannot reach Redis at ${shownUrl(url)}: ${reason}`);
  } finally {
    clearTimeout(timer);
  }
  connected = true;
  client.off('error', onError);
  return client;
}

/** Log lost connections once per outage instead of an error per retry. */
function reportOutages(client: Redis, url: string, log: (line: string) => void): void {
  let down = false;
  client.on('error', (err: Error) => {
    if (!down) log(`lost the connection to Redis at ${shownUrl(url)} (${err.message.split('\n')[0]}); reconnecting`);
    down = true;
  });
  client.on('ready', () => {
    if (down) log(`reconnected to Redis at ${shownUrl(url)}`);
    down = false;
  });
}

// ---------------------------------------------------------------------------------------------
// Blobs

/**
 * Blobs in Redis under `<prefix>:blob:<sha256>`. put() is idempotent (SET NX); get() checks the
 * bytes against their hash and keeps what it fetched in memory and, with a cache dir, on disk (a
 * worker fetches each model and split once, across restarts too).
 */
export class RedisBlobStore implements BlobStore {
  private readonly memory = new Map<BlobHash, Promise<Uint8Array>>();
  private readonly present = new Set<BlobHash>();

  constructor(private readonly client: Redis, private readonly cacheDir?: string) {
    if (cacheDir) mkdirSync(cacheDir, { recursive: true });
  }

  private key(hash: BlobHash): string {
    return `${KEY_PREFIX}:blob:${hash}`;
  }

  async has(hash: BlobHash): Promise<boolean> {
    return this.present.has(hash) || (await this.client.exists(this.key(hash))) === 1;
  }

  async put(bytes: Uint8Array): Promise<BlobHash> {
    const hash = blobHash(bytes);
    if (!this.present.has(hash)) {
      await this.client.set(this.key(hash), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'NX');
      this.present.add(hash);
    }
    return hash;
  }

  get(hash: BlobHash): Promise<Uint8Array> {
    let p = this.memory.get(hash);
    if (!p) {
      p = this.fetch(hash);
      this.memory.set(hash, p);
      p.catch(() => this.memory.delete(hash)); // a failed fetch is tried again next time
    }
    return p;
  }

  private async fetch(hash: BlobHash): Promise<Uint8Array> {
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new Error(`'${hash}' is not a blob hash (sha256, hex)`);
    const file = this.cacheDir ? join(this.cacheDir, hash) : undefined;
    if (file) {
      try {
        const cached = new Uint8Array(readFileSync(file));
        if (blobHash(cached) === hash) return cached;
      } catch {
        // not cached yet (or unreadable): fetch it
      }
    }
    const buf = await this.client.getBuffer(this.key(hash));
    if (!buf) throw new Error(`blob ${hash} is not in Redis (flushed or evicted? run the coordinator again to upload it)`);
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    if (blobHash(bytes) !== hash) throw new Error(`blob ${hash} in Redis does not match its hash (corrupted)`);
    this.present.add(hash);
    if (file) {
      const tmp = `${file}.tmp-${process.pid}`;
      writeFileSync(tmp, bytes);
      renameSync(tmp, file);
    }
    return bytes;
  }
}

export { blobsOf } from '../job-kinds.js';

// ---------------------------------------------------------------------------------------------
// Queue ids and timing

/**
 * The queue's id of a job: its stable id and a digest of everything it carries, so the same job
 * is enqueued once, and a job of another plan with the same stable id (other seeds, other
 * options) never takes an old result. BullMQ ids may not contain ':'.
 */
export function queueId(data: QueuedJobData): string {
  const digest = createHash('sha256').update(JSON.stringify(data)).digest('hex').slice(0, 16);
  return `${data.job.id.replaceAll(':', '_')}#${digest}`;
}

/** Lock and stall-check timings; short ones (environment, for tests) make a killed worker's job come back sooner. */
function timings(): { lockDuration: number; stalledInterval: number } {
  const ms = (name: string, fallback: number) => {
    const v = process.env[name];
    if (v === undefined || v === '') return fallback;
    if (!/^\d+$/.test(v) || Number(v) < 100) throw new UserError(`${name}='${v}': expected milliseconds (≥ 100)`);
    return Number(v);
  };
  return { lockDuration: ms('WEIGHTSCOPE_REDIS_LOCK_MS', 30_000), stalledInterval: ms('WEIGHTSCOPE_REDIS_STALL_MS', 30_000) };
}

// ---------------------------------------------------------------------------------------------
// The coordinator's side

export interface RedisExecutorOptions {
  /** One line per notable event (lost connection, a retried job). */
  log?: (line: string) => void;
  /** How often pending jobs are also polled, in case an event was missed (default 10 s). */
  pollMs?: number;
}

/** Runs jobs on whatever workers listen on the Redis at `url`. */
export class RedisExecutor implements Executor {
  readonly name = 'redis';
  private closed = false;
  /** The fail() of each run() in progress (several may run at once). */
  private readonly running = new Set<(err: Error) => void>();

  private constructor(
    readonly url: string,
    private readonly client: Redis,
    private readonly queue: Queue<QueuedJobData, JobResult>,
    private readonly events: QueueEvents,
    readonly store: RedisBlobStore,
    private readonly options: RedisExecutorOptions,
  ) {}

  /** Connect (UserError within a few seconds when Redis cannot be reached). */
  static async connect(url: string, options: RedisExecutorOptions = {}): Promise<RedisExecutor> {
    const client = await connectRedis(url);
    reportOutages(client, url, options.log ?? (() => {}));
    const queue = new Queue<QueuedJobData, JobResult>(QUEUE_NAME, { connection: client, prefix: KEY_PREFIX });
    const events = new QueueEvents(QUEUE_NAME, { connection: client.duplicate(), prefix: KEY_PREFIX });
    events.on('error', () => {}); // outages are reported once through the client above
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    return new RedisExecutor(url, client, queue, events, new RedisBlobStore(client), options);
  }

  async run(jobs: Job[], blobs: BlobStore, onResult: (result: JobResult) => void | Promise<void>, onProgress?: (id: string, done: number, note?: string) => void): Promise<void> {
    if (this.closed) throw new Error('the Redis executor is closed');
    if (jobs.length === 0) return;
    const log = this.options.log ?? (() => {});
    const byQueueId = new Map<string, Job>();
    for (const job of jobs) byQueueId.set(queueId({ protocol: PROTOCOL, job }), job);
    if (byQueueId.size !== new Set(jobs.map((j) => j.id)).size) throw new Error('two jobs of the plan share an id');

    // Upload what the workers will read, unless Redis already has it.
    const needed = [...new Set(jobs.flatMap(blobsOf))];
    for (const hash of needed) if (!(await this.store.has(hash))) await this.store.put(await blobs.get(hash));

    const pending = new Set(byQueueId.keys());
    let delivering = Promise.resolve();
    let settle!: { resolve: () => void; reject: (err: Error) => void };
    const finished = new Promise<void>((resolve, reject) => { settle = { resolve, reject }; });
    finished.catch(() => undefined); // awaited below; a failure meanwhile is not unhandled
    let failure: Error | undefined;
    const fail = (err: Error) => {
      if (!failure) settle.reject((failure = err));
    };
    this.running.add(fail);

    // One result per job, in the order they arrive; the blobs a result names are copied into the
    // caller's store first, so the caller finds them where it finds everything else.
    const deliver = (qid: string, value: unknown) => {
      if (!pending.delete(qid)) return; // reported twice (an event and a poll): delivered once
      const job = byQueueId.get(qid)!;
      delivering = delivering.then(async () => {
        if (failure) return;
        const result = value as JobResult;
        if (!result || result.id !== job.id || result.kind !== job.kind) throw new Error(`the result of ${qid} is not the result of job ${job.id}`);
        if (isModelResult(result)) {
          const modelBytes = await this.store.get(result.model);
          await blobs.put(modelBytes);
          await onResult({ ...result, modelBytes });
        } else await onResult(result);
        if (pending.size === 0) settle.resolve();
      }).catch(fail);
    };
    const failed = (qid: string, reason: string) => {
      const job = byQueueId.get(qid);
      if (job && pending.has(qid)) fail(new UserError(`job ${job.id} failed on a worker: ${reason}`));
    };

    const onCompleted = ({ jobId, returnvalue }: { jobId: string; returnvalue: unknown }) => {
      if (byQueueId.has(jobId)) deliver(jobId, typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue);
    };
    // A failed attempt that will be retried leaves the job waiting or delayed: only a final failure counts.
    const onFailed = ({ jobId, failedReason }: { jobId: string; failedReason: string }) => {
      if (!pending.has(jobId)) return;
      void this.queue.getJobState(jobId).then((state) => {
        if (state === 'failed') failed(jobId, failedReason);
        else log(`job ${byQueueId.get(jobId)!.id} failed on a worker and is retried: ${failedReason}`);
      }, fail);
    };
    const onJobProgress = ({ jobId, data }: { jobId: string; data: unknown }) => {
      const job = byQueueId.get(jobId);
      if (!job || !pending.has(jobId)) return;
      if (typeof data === 'number') onProgress?.(job.id, data);
      else if (data && typeof data === 'object' && typeof (data as ProgressNote).done === 'number') onProgress?.(job.id, (data as ProgressNote).done, (data as ProgressNote).note);
    };
    const onStalled = ({ jobId }: { jobId: string }) => {
      const job = byQueueId.get(jobId);
      if (job && pending.has(jobId)) log(`job ${job.id} lost its worker; it is queued again`);
    };
    this.events.on('completed', onCompleted);
    this.events.on('failed', onFailed);
    this.events.on('progress', onJobProgress);
    this.events.on('stalled', onStalled);

    // Look at every pending job: done ones are delivered, finally failed ones (from an earlier
    // run, e.g. refused by a worker of another version) are tried again at the start and end the
    // run later. BullMQ sets finishedOn only when a job is done for good (not on a retried attempt).
    let polling = false;
    const poll = async (retryFailed: boolean) => {
      if (polling) return;
      polling = true;
      try {
        const ids = [...pending];
        for (let i = 0; i < ids.length; i += 200) {
          await Promise.all(ids.slice(i, i + 200).map(async (qid) => {
            const queued = await this.queue.getJob(qid);
            if (!queued?.finishedOn) return;
            if (!queued.failedReason && queued.returnvalue !== null && queued.returnvalue !== undefined) deliver(qid, queued.returnvalue);
            else if ((await queued.getState()) !== 'failed') return;
            else if (retryFailed) await queued.retry('failed');
            else failed(qid, queued.failedReason);
          }));
        }
      } finally {
        polling = false;
      }
    };
    const timer = setInterval(() => void poll(false).catch(fail), this.options.pollMs ?? 10_000);
    try {
      // Events flow before the jobs go in, so none is missed; adding an id already there is a no-op.
      const entries = [...byQueueId].map(([qid, job]) => ({
        name: job.kind,
        data: { protocol: PROTOCOL, job },
        opts: { jobId: qid, attempts: 3, backoff: { type: 'fixed', delay: 1000 } },
      }));
      for (let i = 0; i < entries.length; i += 500) await this.queue.addBulk(entries.slice(i, i + 500));
      await poll(true);
      await finished;
      await delivering;
      if (failure) throw failure;
    } finally {
      clearInterval(timer);
      this.events.off('completed', onCompleted);
      this.events.off('failed', onFailed);
      this.events.off('progress', onJobProgress);
      this.events.off('stalled', onStalled);
      this.running.delete(fail);
    }
  }

  /** How many jobs are waiting, running, done and failed in the queue (all plans). */
  counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const fail of this.running) fail(new Error('the Redis executor was closed while jobs were running'));
    await this.events.close();
    await this.queue.close();
    this.client.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// The worker's side

export interface RedisWorkerOptions {
  runner: JobRunner;
  /** Jobs run at once in this process (default 1). */
  concurrency?: number;
  /** Keep fetched blobs here too (they survive a restart of the worker). */
  cacheDir?: string;
  /** One line per job (and per outage). */
  log?: (line: string) => void;
}

export interface RedisWorker {
  /** Stop taking jobs; resolves when the running ones have finished (force: at once, their jobs come back to the queue when their locks expire). */
  close(force?: boolean): Promise<void>;
}

/** Why this worker cannot run a job of that protocol, or null when it can. */
export function refusal(theirs: Partial<Protocol> | undefined): string | null {
  if (theirs?.weightscope === PROTOCOL.weightscope && theirs?.planFormat === PROTOCOL.planFormat) return null;
  return `this worker runs weightscope ${PROTOCOL.weightscope} (plan format ${PROTOCOL.planFormat}); the job needs weightscope ${theirs?.weightscope ?? '?'} (plan format ${theirs?.planFormat ?? '?'})`;
}

/** Take jobs from the queue at `url` and run them with `runner` until closed. */
export async function startRedisWorker(url: string, options: RedisWorkerOptions): Promise<RedisWorker> {
  const log = options.log ?? (() => {});
  const client = await connectRedis(url);
  reportOutages(client, url, log);
  const store = new RedisBlobStore(client, options.cacheDir);
  const name = `${hostname()}:${process.pid}`;
  const processor = async (queued: QueuedJob<QueuedJobData, JobResult>): Promise<JobResult> => {
    const { protocol, job } = queued.data;
    const id = job?.id ?? queued.id;
    const why = refusal(protocol);
    if (why) {
      log(`refused ${id}: ${why}`);
      throw new UnrecoverableError(`refused by worker ${name}: ${why}`);
    }
    const t0 = performance.now();
    let last = 0;
    const onProgress = (done: number, note?: string) => {
      // Progress travels through Redis: a few updates a second at most, and every note.
      const now = performance.now();
      if (note === undefined && now - last < 250) return;
      last = now;
      const data: number | ProgressNote = note === undefined ? done : { done, note };
      void queued.updateProgress(data).catch(() => {});
    };
    try {
      let result = await options.runner(job, store, onProgress);
      if (isModelResult(result)) {
        // The trained model goes to the store, not into the (small) return value; it is in Redis
        // before the coordinator hears of the result.
        const { modelBytes, ...rest } = result;
        if (modelBytes) {
          if (blobHash(modelBytes) !== result.model) throw new Error(`the result of ${id} names model ${result.model}, but its bytes hash differently`);
          await store.put(modelBytes);
        } else if (!(await store.has(result.model))) throw new Error(`the result of ${id} names model ${result.model}, which is in no store`);
        result = rest;
      }
      log(`done ${id} in ${((performance.now() - t0) / 1000).toFixed(2)} s (${describeResult(result)})`);
      return result;
    } catch (err) {
      log(`failed ${id} after ${((performance.now() - t0) / 1000).toFixed(2)} s: ${(err as Error).message?.split('\n')[0] ?? err}`);
      throw err;
    }
  };
  const worker = new Worker<QueuedJobData, JobResult>(QUEUE_NAME, processor, {
    connection: client,
    prefix: KEY_PREFIX,
    name,
    concurrency: options.concurrency ?? 1,
    maxStalledCount: 10,
    ...timings(),
  });
  worker.on('error', () => {}); // outages are reported once through the client above
  await worker.waitUntilReady();
  return {
    close: async (force = false) => {
      await worker.close(force);
      client.disconnect();
    },
  };
}
