/**
 * Bad Redis URLs, as `weightscope worker` and `reproduce --redis` users meet them: malformed,
 * unreachable, not a Redis, silent — one line and a non-zero exit within seconds, never a hang.
 * Needs no redis-server (what needs one is in redis.test.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../src/core/errors.js';
import { connectRedis, parseRedisUrl } from '../../src/study/executors/redis.js';
import { freePort } from './redis-server.js';

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

describe('worker, reproduce and transformer --redis: bad URLs', () => {
  const servers: Server[] = [];
  before(async () => { startupSeconds = (await cli(['--version'])).seconds; });
  after(() => { for (const s of servers) s.close(); });

  async function listen(onConnection: (socket: import('node:net').Socket) => void): Promise<number> {
    const server = createServer(onConnection);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as { port: number }).port;
  }

  const out = mkdtempSync(join(tmpdir(), 'ws-redis-cli-'));
  for (const command of [['worker'], ['reproduce', '--pairs', '0v1', '--runs', '1', '--out', join(out, 'run')], ['transformer', '--quick', '--out', join(out, 'tagger')]]) {
    const name = command[0];
    test(`${name}: a closed port is one line within seconds`, async () => {
      const port = await freePort();
      const r = await cli([...command, '--redis', `redis://127.0.0.1:${port}`]);
      oneLine(r, new RegExp(`^weightscope: cannot reach Redis at redis://127\\.0\\.0\\.1:${port}: connection refused$`), 1);
      assert.ok(r.seconds - startupSeconds < 5, `took ${r.seconds.toFixed(1)} s (startup ${startupSeconds.toFixed(1)} s)`);
    });

    test(`${name}: a malformed URL is one line`, async () => {
      // Each process is seconds on a loaded machine: one URL per command here, the others in the parseRedisUrl test below.
      for (const bad of [command[0] === 'worker' ? 'http://127.0.0.1:6379' : 'redis://127.0.0.1:port']) {
        const r = await cli([...command, '--redis', bad]);
        oneLine(r, /^weightscope: option '--redis <url>' argument '.*' is invalid\. .*\(expected redis:\/\/HOST:PORT\)/, 2);
      }
    });
  }

  test('reproduce and transformer --redis write nothing when Redis cannot be reached', () => {
    assert.deepEqual(readdirSync(out), []);
  });

  test('connectRedis and parseRedisUrl: UserErrors, one line each', async () => {
    const port = await freePort();
    const t0 = Date.now();
    await assert.rejects(connectRedis(`redis://127.0.0.1:${port}`), (err: Error) => err instanceof UserError && /cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+: connection refused/.test(err.message) && !err.message.includes('\n'));
    assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
    for (const bad of ['localhost:6379', 'http://localhost:6379', 'redis://', 'redis://h:notaport', 'redis://h:1/x', 'redis://h:1/?db=2'])
      assert.throws(() => parseRedisUrl(bad), (err: Error) => err instanceof UserError && err.message.startsWith(`--redis '${bad}'`), bad);
    assert.deepEqual(parseRedisUrl('redis://u:p%40ss@example.org:7000/3'), { host: 'example.org', port: 7000, db: 3, username: 'u', password: 'p@ss' });
    assert.deepEqual(parseRedisUrl('rediss://[::1]'), { host: '::1', port: 6379, db: 0, tls: {} });
  });

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
