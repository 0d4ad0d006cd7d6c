/**
 * `weightscope worker` (and `reproduce --redis`) as a user meets them: a bad or unreachable Redis
 * URL is one line and a non-zero exit within seconds, never a hang; a worker of another version
 * refuses a job with one line; SIGTERM stops a worker cleanly.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { KEY_PREFIX, PROTOCOL, QUEUE_NAME, connectRedis, queueId } from '../../src/study/executors/redis.js';
import { fakeEvalJobs } from './fake-runner.js';
import { freePort, redisMissing, startRedis, type RedisInstance } from './redis-server.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Run the CLI to its end (killed after `limitMs`: a hang fails the test, it does not stall it). */
function cli(args: string[], limitMs = 60_000): Promise<Run> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d; });
  child.stderr.on('data', (d: Buffer) => { stderr += d; });
  const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  return new Promise((resolve) => child.once('close', (code) => {
    clearTimeout(timer);
    resolve({ code, stdout, stderr, seconds: (performance.now() - t0) / 1000 });
  }));
}

/** How long the CLI takes to start and exit on this (possibly loaded) machine: connection timings are measured beyond it. */
let startupSeconds = 0;

function oneLine(r: Run, pattern: RegExp, code: number): void {
  assert.equal(r.code, code, r.stderr);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line expected:\n${r.stderr}`);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

describe('worker and reproduce --redis: bad URLs', () => {
  const servers: Server[] = [];
  before(async () => { startupSeconds = (await cli(['--version'])).seconds; });
  after(() => { for (const s of servers) s.close(); });

  async function listen(onConnection: (socket: import('node:net').Socket) => void): Promise<number> {
    const server = createServer(onConnection);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as { port: number }).port;
  }

  for (const command of [['worker']]) {
    const name = command[0];
    test(`${name}: a closed port is one line within seconds`, async () => {
      const port = await freePort();
      const r = await cli([...command, '--redis', `redis://127.0.0.1:${port}`]);
      oneLine(r, new RegExp(`^weightscope: cannot reach Redis at redis://127\\.0\\.0\\.1:${port}: connection refused$`), 1);
      assert.ok(r.seconds - startupSeconds < 5, `took ${r.seconds.toFixed(1)} s (startup ${startupSeconds.toFixed(1)} s)`);
    });

    test(`${name}: a malformed URL is one line`, async () => {
      for (const bad of ['localhost:6379', 'http://127.0.0.1:6379', 'redis://127.0.0.1:port']) {
        const r = await cli([...command, '--redis', bad]);
        oneLine(r, /^weightscope: option '--redis <url>' argument '.*' is invalid\. .*\(expected redis:\/\/HOST:PORT\)/, 2);
      }
    });
  }

  test('worker: a server that is not Redis, or does not answer, is one line within seconds', async () => {
    const http = await listen((s) => s.once('data', () => s.end('HTTP/1.1 400 Bad Request\r\n\r\n')));
    const r = await cli(['worker', '--redis', `redis://127.0.0.1:${http}`]);
    oneLine(r, /^weightscope: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+: what answers there is not a Redis server$/, 1);
    const silent = await listen(() => {});
    const s = await cli(['worker', '--redis', `redis://127.0.0.1:${silent}`]);
    oneLine(s, /^weightscope: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+: no answer within 3 s$/, 1);
    assert.ok(s.seconds - startupSeconds < 8, `took ${s.seconds.toFixed(1)} s (startup ${startupSeconds.toFixed(1)} s)`);
  });
});

describe('worker against a Redis', { skip: redisMissing('weightscope worker tests') ?? false }, () => {
  let redis: RedisInstance;
  before(async () => { redis = await startRedis(); });
  after(async () => { await redis?.stop(); });

  test('refuses a job of another weightscope version with one line, and stops cleanly on SIGTERM', { timeout: 60_000 }, async () => {
    const child = spawn(process.execPath, [MAIN, 'worker', '--redis', redis.url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d; });
    child.stderr.on('data', (d: Buffer) => { stderr += d; });
    const waitFor = async (pattern: RegExp) => {
      while (!pattern.test(stdout)) {
        if (child.exitCode !== null) throw new Error(`worker exited:\n${stdout}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const client = await connectRedis(redis.url);
    const queue = new Queue(QUEUE_NAME, { connection: client, prefix: KEY_PREFIX });
    try {
      await waitFor(/waiting for jobs/);
      const [job] = fakeEvalJobs(1, 1, { model: 'a'.repeat(64), test: 'b'.repeat(64) });
      const data = { protocol: { weightscope: PROTOCOL.weightscope, planFormat: PROTOCOL.planFormat + 1 }, job };
      const added = await queue.add('eval', data, { jobId: queueId(data), attempts: 3 });
      await waitFor(/refused/);
      const refused = stdout.split('\n').filter((l) => l.includes('refused'));
      assert.equal(refused.length, 1, stdout);
      assert.match(refused[0], new RegExp(`refused ${job.id}: this worker runs weightscope \\S+ \\(plan format ${PROTOCOL.planFormat}\\); the job needs weightscope \\S+ \\(plan format ${PROTOCOL.planFormat + 1}\\)$`));
      for (let i = 0; i < 50 && (await added.getState()) !== 'failed'; i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(await added.getState(), 'failed');
      child.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
      assert.match(stdout, /worker stopped\n$/);
      assert.equal(stderr, '');
    } finally {
      child.kill('SIGKILL');
      await queue.close();
      client.disconnect();
    }
  });
});
