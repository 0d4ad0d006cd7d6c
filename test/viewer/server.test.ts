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

/** GET a raw path exactly as written (no client-side normalisation of `..`). */
function get(url: string, path: string, method = 'GET'): Promise<{ status: number; type: string; body: Buffer }> {
  const u = new URL(url);
  return new Promise((ok, fail) => {
    const req = request({ host: u.hostname, port: u.port, path, method }, (res) => {
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
  symlinkSync(join(fx.dir, 'results.csv'), join(fx.dir, 'results-link.csv'));
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
  assert.ok(index.files.includes('run.json'));
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
  assert.equal((await get(viewer.url, '/run/results-link.csv')).status, 200);
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
