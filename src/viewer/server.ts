/**
 * The viewer's HTTP server: the built page (dist/viz/) at `/`, from the target run folder only the
 * files the page reads (run-index.ts `servedFilePredicate`: results, models and their weight
 * files, graphs) read-only under `/run/…`, and `/api/index.json` listing its models. node:http
 * only; binds to 127.0.0.1 by default. Every file request is confined to its folder: `..`
 * segments (plain or percent-encoded), absolute paths, NUL bytes, backslashes, dotfiles and
 * symlinks leading out are refused. Requests whose Host header names another host than the one
 * bound are refused too, so a web page cannot reach the server through DNS rebinding.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createReadStream, existsSync, realpathSync, statSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { hostname, networkInterfaces } from 'node:os';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { UserError } from '../core/errors.js';
import { resolveTarget, servedFilePredicate, type RunIndex } from './run-index.js';

export interface ViewerOptions {
  /** Run folder, model folder or model.json file. */
  target: string;
  /** Interface to bind; 127.0.0.1 unless told otherwise. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Built viewer assets; defaults to dist/viz/ of this package. */
  assetsDir?: string;
  /**
   * What the page is titled after, when the served folder is not the user's (a model file shown
   * through a temporary folder of one-layer models): the file's name.
   */
  name?: string;
  /** The page's name for a model, by its model.json path in the served folder (e.g. the layer's name in the user's file). */
  labels?: ReadonlyMap<string, string>;
}

export interface ViewerHandle {
  url: string;
  /** False when bound to an address other machines can reach (the CLI warns then). */
  loopback: boolean;
  /** The served folder's index (models, files). */
  index: RunIndex;
  close(): Promise<void>;
}

/** dist/src/viewer/server.js → dist/viz/ */
export const DEFAULT_ASSETS_DIR = fileURLToPath(new URL('../../viz/', import.meta.url));

export const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.jsonl': 'application/x-ndjson; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.gexf': 'application/xml; charset=utf-8',
  '.graphml': 'application/xml; charset=utf-8',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.npy': 'application/octet-stream',
};

/** Everything the page needs is bundled: no other origin is ever contacted. */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
  "worker-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

export async function startViewer(options: ViewerOptions): Promise<ViewerHandle> {
  const { root, index } = resolveTarget(options.target);
  if (options.name) index.name = options.name;
  for (const m of index.models) {
    const label = options.labels?.get(m.path);
    if (label !== undefined) m.label = label;
  }
  const assetsDir = realpathOr(options.assetsDir ?? DEFAULT_ASSETS_DIR);
  const host = (options.host ?? '127.0.0.1').trim();
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--port must be an integer in 0…65535, got ${port}`);
  if (host === '') throw new UserError('--host is empty (give an address such as 127.0.0.1)');
  const address = await resolveHost(host);
  const isServed = servedFilePredicate(index);
  let hosts = new Set<string>();

  const server = createServer((req, res) => {
    try {
      if (!hosts.has(String(req.headers.host ?? '').toLowerCase())) {
        return send(res, 421, 'text/plain; charset=utf-8', 'unexpected Host header: this server answers only to the address it is bound to\n');
      }
      handle(req, res, root, assetsDir, index, isServed);
    } catch (err) {
      send(res, 500, 'text/plain; charset=utf-8', `internal error: ${(err as Error).message}\n`);
    }
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      fail(err.code === 'EADDRINUSE' ? new UserError(`port ${port} on ${host} is already in use (try --port 0)`) :
        err.code === 'EADDRNOTAVAIL' ? new UserError(`cannot bind to host '${host}' (${address} is not an address of this machine)`) :
        err.code === 'EACCES' ? new UserError(`no permission to listen on port ${port} of ${host} (try --port 0)`) : err));
    server.listen(port, address, () => ok());
  });
  const addr = server.address() as AddressInfo;
  hosts = allowedHosts(addr, host);
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shownHost}:${addr.port}/`,
    loopback: isLoopback(addr.address),
    index,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/** The address `host` names; an unresolvable name is a UserError. */
async function resolveHost(host: string): Promise<string> {
  try {
    return (await lookup(host)).address;
  } catch (err) {
    throw new UserError(`cannot resolve host '${host}' (${(err as NodeJS.ErrnoException).code ?? 'lookup failed'}): give an address such as 127.0.0.1`);
  }
}

export function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === '::1' || /^::ffff:127\./i.test(address);
}

/**
 * Host header values (lower case) that name the bound server: its address, the name it was
 * asked for, `localhost` for a loopback address, and every address of this machine (and its host
 * name) for a wildcard bind. A browser sends the name it resolved, so a rebound DNS name fails.
 */
function allowedHosts(bound: AddressInfo, requested: string): Set<string> {
  const names = new Set<string>();
  const add = (h: string): void => {
    const bracketed = h.includes(':') && !h.startsWith('[') ? `[${h}]` : h;
    names.add(`${bracketed.toLowerCase()}:${bound.port}`);
    if (bound.port === 80) names.add(bracketed.toLowerCase());
  };
  add(bound.address);
  add(requested);
  if (isLoopback(bound.address)) add('localhost');
  if (bound.address === '0.0.0.0' || bound.address === '::') {
    for (const h of ['localhost', hostname()]) add(h);
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) add(a.address);
  }
  return names;
}

function handle(req: IncomingMessage, res: ServerResponse, root: string, assetsDir: string, index: RunIndex, isServed: (rel: string) => boolean): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return send(res, 405, 'text/plain; charset=utf-8', 'read-only server: GET and HEAD only\n');
  }
  // The raw path, before any URL normalisation would silently resolve `..` segments.
  const rawPath = (req.url ?? '/').split(/[?#]/, 1)[0];
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return send(res, 400, 'text/plain; charset=utf-8', 'bad URL encoding\n');
  }
  if (!path.startsWith('/') || path.includes('\0') || path.includes('\\')) {
    return send(res, 400, 'text/plain; charset=utf-8', 'bad path\n');
  }
  const segments = path.split('/').slice(1);
  if (segments.some((s) => s === '..' || s === '.')) return send(res, 403, 'text/plain; charset=utf-8', 'path traversal refused\n');

  if (path === '/api/index.json') {
    return send(res, 200, CONTENT_TYPES['.json'], JSON.stringify(index), req.method === 'HEAD');
  }
  if (segments[0] === 'run') {
    const rel = segments.slice(1);
    // `/run//etc/passwd`: an empty first segment would make an absolute path.
    if (rel.length === 0 || rel[0] === '' || rel.some((s, k) => s === '' && k < rel.length - 1)) {
      return send(res, 403, 'text/plain; charset=utf-8', 'absolute or empty path refused\n');
    }
    if (!isServed(rel.join('/'))) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    return serveFile(req, res, root, rel.join('/'), false);
  }
  if (segments.some((s) => s.startsWith('.'))) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
  if (!existsSync(join(assetsDir, 'index.html'))) {
    return send(res, 503, 'text/plain; charset=utf-8', `the viewer is not built (no ${join(assetsDir, 'index.html')}): run \`npm run build\`\n`);
  }
  return serveFile(req, res, assetsDir, path === '/' ? 'index.html' : segments.join('/'), true);
}

/** Serve `rel` from inside `base` only, after resolving symlinks. */
function serveFile(req: IncomingMessage, res: ServerResponse, base: string, rel: string, cacheable: boolean): void {
  const candidate = resolve(base, rel);
  if (!isInside(candidate, base)) return send(res, 403, 'text/plain; charset=utf-8', 'outside the served folder\n');
  let real: string;
  try {
    real = realpathSync(candidate);
  } catch {
    return send(res, 404, 'text/plain; charset=utf-8', `not found: ${rel}\n`);
  }
  if (!isInside(real, base)) return send(res, 403, 'text/plain; charset=utf-8', 'symlink leads outside the served folder\n');
  const st = statSync(real);
  if (!st.isFile()) return send(res, 404, 'text/plain; charset=utf-8', `not a file: ${rel}\n`);
  res.writeHead(200, {
    ...securityHeaders(),
    'Content-Type': CONTENT_TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': st.size,
    'Cache-Control': cacheable ? 'max-age=300' : 'no-cache',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(real);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

function isInside(path: string, base: string): boolean {
  return path === base || path.startsWith(base.endsWith(sep) ? base : base + sep);
}

function realpathOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

function securityHeaders(): Record<string, string> {
  return { 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': CSP, 'Referrer-Policy': 'no-referrer' };
}

function send(res: ServerResponse, status: number, type: string, body: string, headOnly = false): void {
  res.writeHead(status, { ...securityHeaders(), 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-cache' });
  res.end(headOnly ? undefined : body);
}
