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
import { oneLine } from '../fields.js';
import { checkJob, jobKind } from '../registry.js';
import { JobFailed, JobRefused, type BlobHash, type BlobStore, type Executor, type Job, type JobEvent, type JobResult, type JobRunner } from '../types.js';

/**
 * Bumped whenever the meaning of a job's JSON changes, or kinds are added (2: the tagger jobs;
 * 3: study kinds — jobs name their tfjs backend and dtype, results the blobs they made, progress
 * is typed events): a worker refuses jobs of another format.
 */
export const PLAN_FORMAT = 3;

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
export function shownUrl(url: string): string {
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

/** Default lock of a running job, and interval of the stalled-job check (docs/distributed.md). */
export const DEFAULT_LOCK_MS = 30_000;
export const DEFAULT_STALLED_MS = 30_000;

// ---------------------------------------------------------------------------------------------
// The coordinator's side

export interface RedisExecutorOptions {
  /** One line per notable event (lost connection, a retried job, no worker listening). */
  log?: (line: string) => void;
  /** How often pending jobs are also polled, in case an event was missed (default 10 s). */
  pollMs?: number;
  /** How long jobs may wait with no worker listening before the coordinator says so (default 5 s). */
  idleWarningMs?: number;
}

/** Runs jobs on whatever workers listen on the Redis at `url`. */
export class RedisExecutor implements Executor {
  readonly name = 'redis';
  private closed = false;
  /** The fail() of each run() in progress (several may run at once). */
  private readonly running = new Set<(err: Error) => void>();
  /** Jobs whose results were in Redis already when a run() asked for them. */
  private reused = 0;
  /** Jobs waiting for results, over all run() calls: the watch for listening workers runs while there are some. */
  private waiting = 0;
  private watch: NodeJS.Timeout | undefined;
  /** Workers seen listening at the last look, or 1 once one was heard from (null: not looked yet). */
  private listening: number | null = null;

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

  /** The line a run ends with: how many jobs were taken from Redis instead of computed. */
  summary(): string | null {
    return this.reused ? `reused ${this.reused} job${this.reused === 1 ? '' : 's'} already finished in Redis at ${shownUrl(this.url)} (results taken from there, not computed again)` : null;
  }

  /**
   * While jobs wait, look every few seconds for workers listening on the queue: none is one line
   * for the user (jobs would wait forever, silently), and a worker arriving after that another.
   */
  private watchWorkers(): void {
    if (this.watch || this.closed) return;
    const log = this.options.log ?? (() => {});
    const look = async (): Promise<void> => {
      this.watch = undefined;
      if (this.closed || this.waiting === 0) return;
      const n = await this.queue.getWorkersCount().catch(() => null);
      if (n === 0 && this.listening !== 0) {
        this.listening = 0;
        log(`no weightscope worker is listening on Redis at ${shownUrl(this.url)}: ${this.waiting} ${this.waiting === 1 ? 'job waits' : 'jobs wait'} in queue ${KEY_PREFIX}:${QUEUE_NAME} — start one with \`weightscope worker --redis ${shownUrl(this.url)}\``);
      } else if (n !== null && n > 0) {
        this.heardFromWorker();
        this.listening = n;
      }
      if (!this.closed && this.waiting > 0) this.watch = setTimeout(() => void look(), this.listening === null ? 1000 : 10_000).unref();
    };
    this.watch = setTimeout(() => void look(), this.options.idleWarningMs ?? 5000).unref();
  }

  /** A worker is there (seen, or its job's progress or result arrived): after a "no worker" line, say so once. */
  private heardFromWorker(): void {
    if (this.listening === 0) (this.options.log ?? (() => {}))('a weightscope worker is taking the jobs now');
    if (!this.listening) this.listening = 1;
  }

  async run(jobs: Job[], blobs: BlobStore, onResult: (result: JobResult) => void | Promise<void>, onEvent?: (id: string, event: JobEvent) => void): Promise<void> {
    if (this.closed) throw new Error('the Redis executor is closed');
    if (jobs.length === 0) return;
    const log = this.options.log ?? (() => {});
    const byQueueId = new Map<string, Job>();
    for (const job of jobs) byQueueId.set(queueId({ protocol: PROTOCOL, job }), job);
    if (byQueueId.size !== new Set(jobs.map((j) => j.id)).size) throw new Error('two jobs of the plan share an id');

    // Upload what the workers will read, unless Redis already has it.
    const needed = [...new Set(jobs.flatMap((job) => jobKind(job.kind).reads(job)))];
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
      this.waiting--;
      const job = byQueueId.get(qid)!;
      delivering = delivering.then(async () => {
        if (failure) return;
        const result = value as JobResult;
        if (!result || result.id !== job.id || result.kind !== job.kind) throw new Error(`the result of ${qid} is not the result of job ${job.id}`);
        if (result.made?.length) {
          const made = [];
          for (const { hash } of result.made) {
            const bytes = await this.store.get(hash);
            await blobs.put(bytes);
            made.push({ hash, bytes });
          }
          await onResult({ ...result, made });
        } else await onResult(result);
        if (pending.size === 0) settle.resolve();
      }).catch(fail);
    };
    const failed = (qid: string, reason: string) => {
      const job = byQueueId.get(qid);
      if (job && pending.has(qid)) fail(new JobFailed(job.id, reason));
    };

    const onCompleted = ({ jobId, returnvalue }: { jobId: string; returnvalue: unknown }) => {
      if (byQueueId.has(jobId)) this.heardFromWorker();
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
      if (!job || !pending.has(jobId) || !isJobEvent(data)) return;
      this.heardFromWorker();
      onEvent?.(job.id, data);
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
    /** Jobs delivered by the look before enqueueing: finished in Redis before this run asked. */
    let before = 0;
    const poll = async (retryFailed: boolean, counting = false) => {
      if (polling) return;
      polling = true;
      try {
        const ids = [...pending];
        for (let i = 0; i < ids.length; i += 200) {
          await Promise.all(ids.slice(i, i + 200).map(async (qid) => {
            const queued = await this.queue.getJob(qid);
            if (!queued?.finishedOn) return;
            if (!queued.failedReason && queued.returnvalue !== null && queued.returnvalue !== undefined) {
              if (counting && pending.has(qid)) before++;
              deliver(qid, queued.returnvalue);
            }
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
    this.waiting += pending.size;
    try {
      // Jobs already in Redis first (a restarted coordinator, a new run folder of the same plan):
      // finished ones are delivered from their stored results, finally failed ones tried again.
      await poll(true, true);
      this.reused += before;
      this.watchWorkers();
      // Events flow before the jobs go in, so none is missed; adding an id already there is a no-op.
      const entries = [...byQueueId].map(([qid, job]) => ({
        name: job.kind,
        data: { protocol: PROTOCOL, job },
        opts: { jobId: qid, attempts: 3, backoff: { type: 'fixed', delay: 1000 } },
      }));
      for (let i = 0; i < entries.length; i += 500) await this.queue.addBulk(entries.slice(i, i + 500));
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
      this.waiting -= pending.size;
    }
  }

  /** How many jobs are waiting, running, done and failed in the queue (all plans). */
  counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.watch);
    for (const fail of this.running) fail(new Error('the Redis executor was closed while jobs were running'));
    await this.events.close();
    await this.queue.close();
    this.client.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// The worker's side

export interface RedisWorkerOptions {
  /** Does a job (the registry's runJob; tests pass others). */
  runner: JobRunner;
  /** Jobs run at once in this process (default 1). */
  concurrency?: number;
  /** Keep fetched blobs here too (they survive a restart of the worker). */
  cacheDir?: string;
  /** One line per job (and per outage). */
  log?: (line: string) => void;
  /**
   * How long a running job's lock lasts without renewal, and how often stalled jobs are looked for
   * (default 30 s each): a killed worker's job is queued again after about their sum. Give every
   * worker of a queue the same values (they share one stalled-job check).
   */
  lockMs?: number;
  stalledMs?: number;
  /**
   * The longest a job may run (default DEFAULT_JOB_TIMEOUT_MS): past it the job is stopped at its
   * next progress report (or its next wait), recorded as failed with the reason, and not retried;
   * the worker takes the next job.
   */
  jobTimeoutMs?: number;
}

/** Default time limit of one job on a Redis worker: far above any job of the bounded studies on one core. */
export const DEFAULT_JOB_TIMEOUT_MS = 6 * 3600 * 1000;

/** A job stopped at its time limit. */
class JobTimedOut extends Error {}

export interface RedisWorker {
  /** Stop taking jobs; resolves when the running ones have finished (force: at once, their jobs come back to the queue when their locks expire). */
  close(force?: boolean): Promise<void>;
}

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return s >= 3600 && s % 3600 === 0 ? `${s / 3600} h` : `${Number(s.toPrecision(6))} s`;
}

/** One line of what a result holds (its kind's words), for the worker's log. */
function describeResult(result: JobResult): string {
  try {
    return jobKind(result.kind).describe(result);
  } catch {
    return result.kind;
  }
}

/** A job's event as it comes back through Redis (anything else is ignored). */
function isJobEvent(data: unknown): data is JobEvent {
  if (!data || typeof data !== 'object') return false;
  const e = data as Record<string, unknown>;
  return e.type === 'progress' ? typeof e.done === 'number' : (e.type === 'note' || e.type === 'seed-discarded') && typeof e.line === 'string';
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
  const timeoutMs = options.jobTimeoutMs ?? DEFAULT_JOB_TIMEOUT_MS;
  const processor = async (queued: QueuedJob<QueuedJobData, JobResult>): Promise<JobResult> => {
    // Everything in a queued job is input from anywhere: checked before anything runs.
    const data = (typeof queued.data === 'object' && queued.data !== null ? queued.data : {}) as Partial<QueuedJobData>;
    const given = data.job as unknown;
    // The id as logged: one line, whatever the job says (checkJob refuses control characters in it).
    const id = oneLine(typeof (given as Job | null)?.id === 'string' ? (given as Job).id.slice(0, 200) : String(queued.id));
    const refuse = (why: string): never => {
      log(`refused ${id}: ${why}`);
      throw new UnrecoverableError(`refused by worker ${name}: ${why}`);
    };
    const why = refusal(data.protocol);
    if (why) refuse(why);
    let job: Job;
    try {
      job = checkJob(given); // shape and sizes, with the bounds the CLI checks its flags against
    } catch (err) {
      if (err instanceof UserError) refuse(err.message);
      throw err;
    }
    const t0 = performance.now();
    const deadline = t0 + timeoutMs;
    const limit = `its time limit of ${formatSeconds(timeoutMs)} (worker --job-timeout)`;
    let last = 0;
    let timer: NodeJS.Timeout | undefined;
    const onEvent = (event: JobEvent) => {
      // The time limit: a job past it stops at its next progress report.
      if (performance.now() > deadline) throw new JobTimedOut(limit);
      // Events travel through Redis: progress a few times a second at most, every other event.
      const now = performance.now();
      if (event.type === 'progress' && now - last < 250) return;
      last = now;
      void queued.updateProgress(event).catch(() => {});
    };
    try {
      const expired = new Promise<never>((_, reject) => {
        // A Node timer waits at most 2³¹ − 1 ms (a longer one fires at once); past that, progress reports check the deadline.
        if (timeoutMs < 2 ** 31) timer = setTimeout(() => reject(new JobTimedOut(limit)), timeoutMs);
      });
      let result = await Promise.race([options.runner(job, store, onEvent), expired]);
      if (result.made?.length) {
        // What the job made (a trained model) goes to the store, not into the (small) return
        // value: it is in Redis before the coordinator hears of the result.
        for (const { hash, bytes } of result.made) {
          if (bytes) {
            if (blobHash(bytes) !== hash) throw new Error(`the result of ${id} names blob ${hash}, but its bytes hash differently`);
            await store.put(bytes);
          } else if (!(await store.has(hash))) throw new Error(`the result of ${id} names blob ${hash}, which is in no store`);
        }
        result = { ...result, made: result.made.map(({ hash }) => ({ hash })) };
      }
      log(`done ${id} in ${((performance.now() - t0) / 1000).toFixed(2)} s (${describeResult(result)})`);
      return result;
    } catch (err) {
      // A job this worker cannot honour (another engine, backend, dtype, kind): recorded as failed, not retried.
      if (err instanceof JobRefused) refuse(err.message);
      const seconds = ((performance.now() - t0) / 1000).toFixed(2);
      if (err instanceof JobTimedOut) {
        log(`timed out ${id} after ${seconds} s: the job ran past ${err.message}`);
        throw new UnrecoverableError(`timed out on worker ${name} after ${seconds} s: the job ran past ${err.message}`);
      }
      log(`failed ${id} after ${seconds} s: ${(err as Error).message?.split('\n')[0] ?? err}`);
      // A UserError is the job's own problem (it fails the same way anywhere): recorded as failed, not retried.
      if (err instanceof UserError) throw new UnrecoverableError(`failed on worker ${name}: ${err.message.split('\n')[0]}`);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  };
  const worker = new Worker<QueuedJobData, JobResult>(QUEUE_NAME, processor, {
    connection: client,
    prefix: KEY_PREFIX,
    name,
    concurrency: options.concurrency ?? 1,
    maxStalledCount: 10,
    lockDuration: options.lockMs ?? DEFAULT_LOCK_MS,
    stalledInterval: options.stalledMs ?? DEFAULT_STALLED_MS,
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
