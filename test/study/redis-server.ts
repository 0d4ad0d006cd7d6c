/**
 * A private redis-server for one test file: a free loopback port, no persistence, a temp dir; never
 * a shared or system instance. Where no redis-server binary is installed the distributed tests skip
 * with one visible line (redisMissing), as the Python cross-checks do (test/python.ts).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** WEIGHTSCOPE_REDIS_SERVER, else Debian's /usr/bin/redis-server, else the one on PATH. */
function findRedisServer(): string | null {
  const fromEnv = process.env.WEIGHTSCOPE_REDIS_SERVER;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : null;
  if (existsSync('/usr/bin/redis-server')) return '/usr/bin/redis-server';
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return r.error || r.status !== 0 ? null : 'redis-server';
}

export const REDIS_SERVER = findRedisServer();

/** null when a redis-server can be started, else the skip line saying why not. */
export function redisMissing(what: string): string | null {
  return REDIS_SERVER ? null : `${what} skipped: no redis-server (apt-get install redis-server, or set WEIGHTSCOPE_REDIS_SERVER)`;
}

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface RedisInstance {
  url: string;
  port: number;
  stop(): Promise<void>;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/** Start a redis-server on a free loopback port; resolves once it accepts connections. */
export async function startRedis(): Promise<RedisInstance> {
  if (!REDIS_SERVER) throw new Error('no redis-server');
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'ws-redis-'));
    const child: ChildProcess = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout!.on('data', (d: Buffer) => { log += d; });
    child.stderr!.on('data', (d: Buffer) => { log += d; });
    let exited = false;
    const exit = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve(); }));
    const deadline = Date.now() + 10_000;
    while (!exited && Date.now() < deadline && !(await canConnect(port))) await new Promise((r) => setTimeout(r, 50));
    const stop = async (): Promise<void> => {
      if (!exited) child.kill('SIGKILL'); // no persistence to flush: the fastest clean stop
      await exit;
      rmSync(dir, { recursive: true, force: true });
    };
    if (!exited && (await canConnect(port))) return { url: `redis://127.0.0.1:${port}`, port, stop };
    await stop();
    // Another process may have taken the port between freePort() and the bind: try another.
    if (attempt >= 2) throw new Error(`redis-server did not start on port ${port}:\n${log}`);
  }
}
