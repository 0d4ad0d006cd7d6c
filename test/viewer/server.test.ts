import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdirSync, symlinkSync, writeFileSync, readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { Command } from 'commander';
import { startViewer, type ViewerHandle } from '../../src/viewer/index.js';
import { registerView } from '../../src/cli/commands/view.js';
import { UserError } from '../../src/core/errors.js';
import { makeRunFixture, type RunFixture } from './fixture.js';

let fx: RunFixture;
let viewer: ViewerHandle;
const SECRET = 'top-secret-outside-the-run-folder';

/**
 * GET a raw path exactly as written (no client-side normalisation of `..`), from the server's
 * address; `hostHeader` replaces the Host header the client would send (null: none at all).
 */
function get(url: string, path: string, method = 'GET', hostHeader?: string | null): Promise<{ status: number; type: string; body: Buffer }> {
  const u = new URL(url);
  const headers = typeof hostHeader === 'string' ? { host: hostHeader } : {};
  return new Promise((ok, fail) => {
    const req = request({ host: u.hostname, port: u.port, path, method, headers, setHost: hostHeader === undefined }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks) }));
    });
    req.on('error', fail);
    req.end();
  });
}

before(async () => {
  fx = await makeRunFixture();
  // A secret beside the run folder, and symlinks inside it leading out and in.
  writeFileSync(join(dirname(fx.dir), `${SECRET}.txt`), SECRET);
  symlinkSync(join(dirname(fx.dir), `${SECRET}.txt`), join(fx.dir, 'escape.txt'));
  symlinkSync(dirname(fx.dir), join(fx.dir, 'escape-dir'));
  symlinkSync(join(fx.dir, 'results.csv'), join(fx.dir, 'results.jsonl'));
  viewer = await startViewer({ target: fx.dir, port: 0 });
});

after(async () => {
  await viewer?.close();
  rmSync(join(dirname(fx.dir), `${SECRET}.txt`), { force: true });
  fx?.cleanup();
});

test('binds to 127.0.0.1 on a free port by default', () => {
  assert.match(viewer.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
});

test('lists every model with its dense layers and shapes in /api/index.json', async () => {
  const res = await get(viewer.url, '/api/index.json');
  assert.equal(res.status, 200);
  assert.match(res.type, /^application\/json/);
  const index = JSON.parse(res.body.toString('utf8'));
  assert.equal(index.models.length, fx.models.length);
  for (const m of fx.models) {
    const entry = index.models.find((e: { path: string }) => e.path === m.path);
    assert.ok(entry, `index lists ${m.path}`);
    assert.equal(entry.task, m.task);
    assert.equal(entry.run, m.run);
    assert.deepEqual(entry.layers, m.model.layers.map((l) => ({ name: l.name, shape: l.shape })));
  }
  assert.ok(index.files.includes('results.csv'));
  assert.ok(!index.files.includes('run.json'), 'run.json is not something the viewer reads');
  assert.ok(!index.files.includes('summary.json'), 'only files that exist are listed');
});

test('serves run files byte for byte with their content types', async () => {
  const m = fx.models[0];
  const weightsPath = m.path.replace('model.json', 'weights.bin');
  const bin = await get(viewer.url, `/run/${weightsPath}`);
  assert.equal(bin.status, 200);
  assert.equal(bin.type, 'application/octet-stream');
  assert.deepEqual(bin.body, readFileSync(join(fx.dir, weightsPath)));
  const csv = await get(viewer.url, '/run/results.csv');
  assert.match(csv.type, /^text\/csv/);
  assert.equal(csv.body.toString('utf8'), readFileSync(join(fx.dir, 'results.csv'), 'utf8'));
  const json = await get(viewer.url, `/run/${m.path}`);
  assert.match(json.type, /^application\/json/);
  // a symlink that stays inside the folder is fine
  assert.equal((await get(viewer.url, '/run/results.jsonl')).status, 200);
});

test('answers 404 for missing files and 405 for writes', async () => {
  assert.equal((await get(viewer.url, '/run/nope.csv')).status, 404);
  assert.equal((await get(viewer.url, '/run/models')).status, 404, 'a folder is not a file');
  assert.equal((await get(viewer.url, '/run/results.csv', 'PUT')).status, 405);
  assert.equal((await get(viewer.url, '/run/results.csv', 'DELETE')).status, 405);
});

test('refuses path traversal, encoded traversal, absolute paths and symlinks leading out', async () => {
  const attempts = [
    `/run/../${SECRET}.txt`,
    `/run/../../../../etc/passwd`,
    `/run/%2e%2e/${SECRET}.txt`,
    `/run/%2E%2E/%2E%2E/etc/passwd`,
    `/run/..%2f${SECRET}.txt`,
    `/run/models/..%2f..%2f..%2f${SECRET}.txt`,
    `/run//etc/passwd`,
    `/run/%2fetc%2fpasswd`,
    `/run/..%5c${SECRET}.txt`,
    `/run/escape.txt`,
    `/run/escape-dir/${SECRET}.txt`,
    `/run/results.csv%00.png`,
    `/../../etc/passwd`,
    `/%2e%2e/%2e%2e/etc/passwd`,
    `/run/%E0%A4%A`,
  ];
  for (const path of attempts) {
    const res = await get(viewer.url, path);
    assert.ok([400, 403, 404].includes(res.status), `${path} → ${res.status}`);
    assert.ok(!res.body.toString('utf8').includes(SECRET), `${path} leaked the file`);
    assert.ok(!res.body.toString('utf8').includes('root:'), `${path} leaked /etc/passwd`);
  }
});

test('serves a single model folder and a model.json path', async () => {
  const modelFile = join(fx.dir, fx.models[1].path);
  for (const target of [modelFile, dirname(modelFile)]) {
    const v = await startViewer({ target, port: 0 });
    try {
      const index = JSON.parse((await get(v.url, '/api/index.json')).body.toString('utf8'));
      assert.equal(index.models.length, 1);
      assert.equal(index.models[0].path, 'model.json');
      assert.equal((await get(v.url, '/run/weights.bin')).status, 200);
      assert.equal((await get(v.url, '/run/../results.csv')).status, 403);
    } finally {
      await v.close();
    }
  }
});

test('fails with a UserError for a missing target or a folder without models', async () => {
  await assert.rejects(startViewer({ target: join(fx.dir, 'does-not-exist') }), (e: unknown) => e instanceof UserError && /does not exist/.test(e.message));
  const empty = mkdtempSync(join(tmpdir(), 'weightscope-empty-'));
  try {
    mkdirSync(join(empty, 'models'));
    await assert.rejects(startViewer({ target: empty }), (e: unknown) => e instanceof UserError && /no model\.json/.test(e.message));
    await assert.rejects(startViewer({ target: join(fx.dir, 'results.csv') }), UserError);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('`weightscope view` prints the URL and serves until interrupted', async () => {
  const program = new Command().exitOverride();
  registerView(program);
  const written: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  // Record what the command prints, and pass everything on (the test runner reports via stdout).
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    written.push(String(chunk));
    return write(chunk, ...rest);
  }) as typeof process.stdout.write;
  let running: Promise<unknown>;
  try {
    running = program.parseAsync(['view', fx.dir, '--no-open', '--port', '0'], { from: 'user' });
    for (let k = 0; k < 100 && !written.join('').includes('http://'); k++) await new Promise((r) => setTimeout(r, 20));
  } finally {
    process.stdout.write = write;
  }
  const url = /http:\/\/[^\s]+/.exec(written.join(''))?.[0];
  assert.ok(url, `printed a URL: ${written.join('')}`);
  assert.equal((await get(url, '/api/index.json')).status, 200);
  process.emit('SIGINT');
  await running;
  await assert.rejects(get(url, '/api/index.json'), 'the server is closed after Ctrl-C');
  const bad = new Command().exitOverride();
  registerView(bad);
  await assert.rejects(bad.parseAsync(['view', join(fx.dir, 'nope'), '--no-open'], { from: 'user' }), UserError);
  await assert.rejects(bad.parseAsync(['view', fx.dir, '--no-open', '--port', 'abc'], { from: 'user' }), UserError);
});

test('serves from the folder only what the page reads: no dotfiles, nothing else', async () => {
  const modelDir = dirname(fx.models[0].path);
  const graphDir = join(fx.dir, 'graphs', fx.models[0].task, 'run-0');
  mkdirSync(graphDir, { recursive: true });
  mkdirSync(join(fx.dir, '.git'), { recursive: true });
  mkdirSync(join(fx.dir, 'graphs', '.cache'), { recursive: true });
  const planted = {
    '.env': 'TOKEN=top-secret',
    '.git/config': 'top-secret',
    [`${modelDir}/.secret`]: 'top-secret',
    [`${modelDir}/notes.txt`]: 'top-secret',
    'graphs/.cache/dense.gexf': 'top-secret',
    [`graphs/${fx.models[0].task}/run-0/notes.txt`]: 'top-secret',
    'private.key': 'top-secret',
  };
  for (const [rel, text] of Object.entries(planted)) writeFileSync(join(fx.dir, rel), text);
  writeFileSync(join(graphDir, 'dense.gexf'), '<gexf/>');
  // A viewer started now indexes the folder as it is.
  const v = await startViewer({ target: fx.dir, port: 0 });
  try {
    for (const rel of [...Object.keys(planted), 'run.json']) {
      const res = await get(v.url, `/run/${rel}`);
      assert.equal(res.status, 404, `${rel} → ${res.status}`);
      assert.ok(!res.body.toString('utf8').includes('top-secret'), `${rel} leaked`);
    }
    assert.equal((await get(v.url, `/run/graphs/${fx.models[0].task}/run-0/dense.gexf`)).status, 200, 'graphs are served');
    assert.equal((await get(v.url, `/run/${modelDir}/weights.bin`)).status, 200, 'weight files named by the manifest are served');
  } finally {
    await v.close();
  }
  // The app's own assets: dotfiles there are not served either.
  const assets = mkdtempSync(join(tmpdir(), 'weightscope-assets-'));
  writeFileSync(join(assets, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(assets, 'app.js'), 'console.log(1)');
  writeFileSync(join(assets, '.secret'), 'top-secret');
  const w = await startViewer({ target: fx.dir, port: 0, assetsDir: assets });
  try {
    assert.equal((await get(w.url, '/app.js')).status, 200);
    assert.equal((await get(w.url, '/.secret')).status, 404);
  } finally {
    await w.close();
    rmSync(assets, { recursive: true, force: true });
  }
});

test('a weights manifest naming files outside its model folder opens nothing up', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weightscope-manifest-'));
  try {
    const modelJson = JSON.parse(readFileSync(join(fx.dir, fx.models[0].path), 'utf8'));
    mkdirSync(join(dir, 'm'));
    writeFileSync(join(dir, 'run.json'), 'top-secret');
    // A first group the viewer can read, then one that names a file beside the model folder.
    modelJson.weightsManifest.push({ paths: ['../run.json'], weights: [] });
    writeFileSync(join(dir, 'm', 'model.json'), JSON.stringify(modelJson));
    writeFileSync(join(dir, 'm', 'weights.bin'), readFileSync(join(fx.dir, dirname(fx.models[0].path), 'weights.bin')));
    const v = await startViewer({ target: dir, port: 0 });
    try {
      assert.equal((await get(v.url, '/run/m/weights.bin')).status, 200);
      assert.equal((await get(v.url, '/run/run.json')).status, 404);
    } finally {
      await v.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('refuses requests whose Host header is not the bound address (DNS rebinding)', async () => {
  const port = new URL(viewer.url).port;
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`]) {
    assert.equal((await get(viewer.url, '/api/index.json', 'GET', host)).status, 200, host);
  }
  for (const host of [`evil.example:${port}`, `attacker.test`, `127.0.0.1:${Number(port) + 1}`, `localhost`, `[::1]:${port}`, `127.0.0.2:${port}`, '']) {
    const res = await get(viewer.url, '/api/index.json', 'GET', host);
    assert.equal(res.status, 421, `Host: ${host} → ${res.status}`);
    assert.ok(!res.body.toString('utf8').includes('models'), `Host: ${host} leaked the index`);
    assert.equal((await get(viewer.url, `/run/${fx.models[0].path}`, 'GET', host)).status, 421);
  }
  // No Host header at all: node's own HTTP/1.1 parser answers 400 before the handler runs.
  assert.ok([400, 421].includes((await get(viewer.url, '/api/index.json', 'GET', null)).status), 'no Host header at all');
});

test('an unresolvable --host is one clear UserError', async () => {
  for (const host of ['no-such-host.invalid', '']) {
    await assert.rejects(startViewer({ target: fx.dir, host, port: 0 }), (e: unknown) => e instanceof UserError && !e.message.includes('\n') && /host/.test(e.message));
  }
  const program = new Command().exitOverride();
  registerView(program);
  await assert.rejects(program.parseAsync(['view', fx.dir, '--no-open', '--host', 'no-such-host.invalid'], { from: 'user' }), /cannot resolve host 'no-such-host\.invalid'/);
});

test('binding to a non-loopback address warns on stderr in one line', async () => {
  const program = new Command().exitOverride();
  registerView(program);
  const errors: string[] = [];
  const out: string[] = [];
  const writeErr = process.stderr.write.bind(process.stderr);
  const writeOut = process.stdout.write.bind(process.stdout);
  process.stderr.write = ((chunk: string | Uint8Array) => errors.push(String(chunk)) > 0) as typeof process.stderr.write;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    out.push(String(chunk));
    return writeOut(chunk, ...rest);
  }) as typeof process.stdout.write;
  let running: Promise<unknown>;
  try {
    running = program.parseAsync(['view', fx.dir, '--no-open', '--port', '0', '--host', '0.0.0.0'], { from: 'user' });
    for (let k = 0; k < 100 && !out.join('').includes('http://'); k++) await new Promise((r) => setTimeout(r, 20));
  } finally {
    process.stderr.write = writeErr;
    process.stdout.write = writeOut;
  }
  process.emit('SIGINT');
  await running;
  const text = errors.join('');
  assert.match(text, /WARNING: listening on http:\/\/0\.0\.0\.0:\d+\/, which other machines can reach/);
  assert.equal(text.trim().split('\n').length, 1, `one line: ${text}`);
  // The default (127.0.0.1) says nothing on stderr.
  const quiet = await startViewer({ target: fx.dir, port: 0 });
  assert.equal(quiet.loopback, true);
  await quiet.close();
});
