/**
 * The filesystem rules of src/core/io.ts on real files: output checks that leave nothing behind,
 * one-line errors naming the path, the run-folder lock (live holder refused, stale one taken
 * over), and the repairs a resume makes after a kill (temp files, a torn last log line).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../src/core/errors.js';
import {
  appendLines, checkOutputDir, checkOutputFile, confinedOutputPath, confinedPath, ensureDir, isInsideFolder, lockDir, modelRoot, readInputFile, readJsonFile,
  removeTempFiles, repairTornTail, writeFileAtomic, writeFileSet,
} from '../../src/core/io.js';

const fresh = (): string => mkdtempSync(join(tmpdir(), 'ws-io-'));

test('checkOutputDir accepts a new nested folder and removes what it made for the check', () => {
  const d = fresh();
  checkOutputDir(join(d, 'a', 'b', 'c'));
  assert.ok(!existsSync(join(d, 'a')), 'nothing left behind');
  mkdirSync(join(d, 'kept'));
  writeFileSync(join(d, 'kept', 'x'), '1');
  checkOutputDir(join(d, 'kept'));
  assert.equal(readFileSync(join(d, 'kept', 'x'), 'utf8'), '1');
  assert.deepEqual(ensureDir(join(d, 'kept', 'y', 'z')), [join(d, 'kept', 'y'), join(d, 'kept', 'y', 'z')]);
});

test('an existing file where a folder is needed, and a folder or device where a file is needed, are UserErrors naming the path', () => {
  const d = fresh();
  writeFileSync(join(d, 'file'), 'x');
  assert.throws(() => checkOutputDir(join(d, 'file')), (e: Error) => e instanceof UserError && e.message === `${join(d, 'file')} is a file, not a folder`);
  assert.throws(() => ensureDir(join(d, 'file', 'sub')), (e: Error) => e instanceof UserError && e.message.includes(`${join(d, 'file')} is a file`));
  assert.throws(() => checkOutputFile(d), (e: Error) => e instanceof UserError && /is a folder; expected a file name/.test(e.message));
  assert.throws(() => checkOutputFile(join(d, 'new') + '/'), UserError);
  if (existsSync('/dev/null')) assert.throws(() => checkOutputFile('/dev/null'), /not a regular file/);
  assert.throws(() => readInputFile(d, 'model file'), (e: Error) => e instanceof UserError && e.message === `${d} is a folder; expected a model file`);
  assert.throws(() => readInputFile(join(d, 'nope'), 'model file'), (e: Error) => e instanceof UserError && e.message === `model file not found: ${join(d, 'nope')}`);
  checkOutputFile(join(d, 'out.csv'));
  assert.ok(!existsSync(join(d, 'out.csv')), 'the check writes no output');
});

test('folders that cannot be made (procfs: Node\'s recursive mkdir never returns there) fail at once with one line', { skip: !existsSync('/proc/self') && 'no /proc' }, () => {
  assert.throws(() => ensureDir('/proc/ws-io-test/a/b'), (e: Error) => e instanceof UserError && e.message === 'cannot create folder /proc/ws-io-test: the file system at /proc does not allow new folders');
  assert.throws(() => writeFileAtomic('/proc/ws-io-test/x.json', '{}'), UserError);
  assert.throws(() => appendLines('/proc/ws-io-test/r.jsonl', ['{}']), UserError);
});

test('a corrupt JSON record is one line naming the file', () => {
  const d = fresh();
  const p = join(d, 'run.json');
  writeFileSync(p, '{"config": {');
  assert.throws(() => readJsonFile(p, 'run record'), (e: Error) => e instanceof UserError && e.message.startsWith(`${p} is not valid JSON (`) && !e.message.includes('\n'));
  writeFileSync(p, '{"ok": [1, 2]}');
  assert.deepEqual(readJsonFile(p), { ok: [1, 2] });
});

test('repairTornTail drops only a torn last line and keeps the rows before it in order', () => {
  const d = fresh();
  const p = join(d, 'results.jsonl');
  writeFileSync(p, '{"a":1}\n{"a":2}\n{"a":');
  assert.equal(repairTornTail(p), 5);
  assert.equal(readFileSync(p, 'utf8'), '{"a":1}\n{"a":2}\n');
  assert.equal(repairTornTail(p), 0, 'a whole log is left alone');
  appendLines(p, ['{"a":3}']);
  assert.equal(readFileSync(p, 'utf8'), '{"a":1}\n{"a":2}\n{"a":3}\n', 'the next append starts a line of its own');
  writeFileSync(p, 'torn');
  assert.equal(repairTornTail(p), 4);
  assert.equal(readFileSync(p, 'utf8'), '');
  assert.equal(repairTornTail(join(d, 'missing.jsonl')), 0);
});

test('removeTempFiles removes the temp files a killed writer left, at any depth, and nothing else', () => {
  const d = fresh();
  mkdirSync(join(d, 'models', 'run-0'), { recursive: true });
  const temps = [join(d, '.run.json.tmp-4242-0'), join(d, 'models', 'run-0', '.weights.bin.tmp-4242-17')];
  for (const t of temps) writeFileSync(t, 'partial');
  const kept = [join(d, 'run.json'), join(d, 'models', 'run-0', 'weights.bin'), join(d, 'models', '.hidden'), join(d, 'notes.tmp-1-2')];
  for (const k of kept) writeFileSync(k, 'whole');
  assert.deepEqual(removeTempFiles(d).sort(), temps.sort());
  for (const t of temps) assert.ok(!existsSync(t));
  for (const k of kept) assert.ok(existsSync(k), k);
});

test('lockDir: a live holder is refused by PID, a dead one is taken over, release frees the folder', () => {
  const d = fresh();
  const lock = join(d, '.weightscope.lock');
  const release = lockDir(d);
  assert.equal(JSON.parse(readFileSync(lock, 'utf8')).pid, process.pid);
  // A second process on the same folder is refused, naming this process.
  const script = `import('${new URL('../../src/core/io.js', import.meta.url).href}').then((io) => { try { io.lockDir(${JSON.stringify(d)}); console.log('locked'); } catch (e) { console.log(e.message); } })`;
  const second = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.match(second.stdout, new RegExp(`in use by process ${process.pid}\\b`));
  release();
  assert.ok(!existsSync(lock), 'released');

  // The lock of a process that no longer runs (killed) is taken over.
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  writeFileSync(lock, JSON.stringify({ pid: Number(dead.stdout), host: hostname(), started: '2020-01-01T00:00:00Z' }));
  const again = lockDir(d);
  assert.equal(JSON.parse(readFileSync(lock, 'utf8')).pid, process.pid);
  again();

  // An unreadable lock is someone mid-write while young, garbage once old.
  writeFileSync(lock, '');
  assert.throws(() => lockDir(d), /being locked by another process/);
  utimesSync(lock, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
  lockDir(d)();
  // Another host's lock cannot be checked from here: refused, naming the host.
  writeFileSync(lock, JSON.stringify({ pid: 1, host: 'elsewhere.example', started: '2020-01-01T00:00:00Z' }));
  assert.throws(() => lockDir(d), /locked by process 1 on host elsewhere\.example/);
});

test('confinement: inside means below the root after symlinks, by path segments, never by string prefix', () => {
  assert.ok(isInsideFolder('/a/m/w.bin', '/a/m'));
  assert.ok(isInsideFolder('/a/m/..w.bin', '/a/m'), 'a name that starts with two dots is still inside');
  assert.ok(!isInsideFolder('/a/m-evil/w.bin', '/a/m'), 'a sibling whose name extends the root is outside');
  assert.ok(!isInsideFolder('/a/w.bin', '/a/m'));
  const d = realpathSync(fresh());
  const m = join(d, 'm');
  mkdirSync(join(m, 'sub'), { recursive: true });
  mkdirSync(join(d, 'm-evil'));
  writeFileSync(join(d, 'm-evil', 'w.bin'), 'secret');
  writeFileSync(join(d, 'canary'), 'secret');
  writeFileSync(join(m, 'w.bin'), 'ok');
  symlinkSync(join(d, 'canary'), join(m, 'link.bin'));
  symlinkSync(join(d, 'm-evil'), join(m, 'evil-dir'));
  symlinkSync(join(m, 'w.bin'), join(m, 'alias.bin'));
  const root = modelRoot(join(m, 'model.onnx'));
  assert.equal(root, m);
  assert.equal(confinedPath(root, m, 'w.bin', 'external data'), join(m, 'w.bin'));
  assert.equal(confinedPath(root, m, 'sub/../w.bin', 'external data'), join(m, 'w.bin'));
  assert.equal(confinedPath(root, m, 'alias.bin', 'external data'), join(m, 'w.bin'), 'a symlink inside, to a file inside, is followed');
  const refused = (name: string, says: RegExp): void => assert.throws(() => confinedPath(root, m, name, 'external data'), (e: Error) => e instanceof UserError && says.test(e.message) && !e.message.includes('\n'), name);
  refused('../m-evil/w.bin', /points outside the model's folder/);
  refused('../canary', /points outside/);
  refused(join(d, 'canary'), /is an absolute path/);
  refused('link.bin', /through a symlink, to .*canary/);
  refused('evil-dir/w.bin', /through a symlink/);
  refused('nope.bin', /is missing/);
  refused('../nope.bin', /points outside/);
  refused('', /empty name/);
  refused('a\0b', /NUL byte/);
});

test('modelRoot: a file of the Hugging Face cache layout may read the whole models--… folder (its blobs), nothing above it', () => {
  const d = realpathSync(fresh());
  const repo = join(d, 'hub', 'models--org--tiny');
  const snap = join(repo, 'snapshots', 'abc123');
  mkdirSync(join(repo, 'blobs'), { recursive: true });
  mkdirSync(join(snap, 'onnx'), { recursive: true });
  writeFileSync(join(repo, 'blobs', 'sha1'), 'weights');
  symlinkSync('../../blobs/sha1', join(snap, 'model.safetensors'));
  symlinkSync('../../../blobs/sha1', join(snap, 'onnx', 'model.onnx_data'));
  assert.equal(modelRoot(join(snap, 'model.safetensors')), repo);
  assert.equal(modelRoot(join(snap, 'onnx', 'model.onnx')), repo);
  assert.equal(modelRoot(snap), repo, 'a snapshot folder (shards) too');
  assert.equal(confinedPath(repo, join(snap, 'onnx'), 'model.onnx_data', 'external data'), join(repo, 'blobs', 'sha1'));
  writeFileSync(join(d, 'hub', 'canary'), 'secret');
  assert.throws(() => confinedPath(repo, snap, '../../../canary', 'shard'), /points outside/);
  // A folder merely named snapshots, not under a models--… folder, is an ordinary model folder.
  mkdirSync(join(d, 'plain', 'snapshots', 'x'), { recursive: true });
  assert.equal(modelRoot(join(d, 'plain', 'snapshots', 'x', 'm.onnx')), join(d, 'plain', 'snapshots', 'x'));
});

test('confinedOutputPath: a name a model gives is written inside the output folder, never through a symlink out of it', () => {
  const d = realpathSync(fresh());
  const out = join(d, 'out');
  mkdirSync(out);
  mkdirSync(join(d, 'elsewhere'));
  symlinkSync(join(d, 'elsewhere'), join(out, 'link'));
  assert.equal(confinedOutputPath(out, 'w.bin', 'external data'), join(out, 'w.bin'));
  assert.equal(confinedOutputPath(out, 'new/deeper/w.bin', 'external data'), join(out, 'new', 'deeper', 'w.bin'));
  assert.throws(() => confinedOutputPath(out, '../out-evil/w.bin', 'external data'), /outside/);
  assert.throws(() => confinedOutputPath(out, join(d, 'w.bin'), 'external data'), /not a relative file name/);
  assert.throws(() => confinedOutputPath(out, 'link/w.bin', 'external data'), /through a symlink/);
});

test('readInputFile refuses a FIFO at once, before it would block', { skip: process.platform === 'win32' && 'no FIFOs' }, () => {
  const d = fresh();
  const fifo = join(d, 'w.bin');
  const made = spawnSync('mkfifo', [fifo]);
  if (made.status !== 0) return;
  const t0 = Date.now();
  assert.throws(() => readInputFile(fifo, 'weight shard'), (e: Error) => e instanceof UserError && /not a regular file/.test(e.message));
  assert.throws(() => readInputFile(fifo, 'weight shard', { offset: 0, length: 4 }), /not a regular file/);
  assert.ok(Date.now() - t0 < 5000);
});

test('writeFileSet: killed at any moment, a set is complete or marked INCOMPLETE; a temp file a kill left is removed by the next write', () => {
  const d = fresh();
  const io = new URL('../../src/core/io.js', import.meta.url).href;
  // A child that writes a.csv, b.json, c.html as one set and is SIGKILLed after `k` of them.
  const killedAfter = (k: number): void => {
    const script = `import('${io}').then((io) => io.writeFileSet(${JSON.stringify(join(d, 'set.INCOMPLETE'))}, ['a.csv', 'b.json', 'c.html'], () => {
      ['a.csv', 'b.json', 'c.html'].forEach((f, i) => { if (i === ${k}) process.kill(process.pid, 'SIGKILL'); io.writeFileAtomic(${JSON.stringify(d)} + '/' + f, 'run ${k}'); });
      if (${k} === 3) process.kill(process.pid, 'SIGKILL');
    }))`;
    spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  };
  for (const k of [0, 1, 2, 3]) {
    killedAfter(k);
    assert.ok(existsSync(join(d, 'set.INCOMPLETE')), `killed after ${k} files: the set is marked`);
    assert.match(readFileSync(join(d, 'set.INCOMPLETE'), 'utf8'), /^INCOMPLETE: .*a\.csv, b\.json, c\.html/);
  }
  writeFileSet(join(d, 'set.INCOMPLETE'), ['a.csv', 'b.json', 'c.html'], () => {
    for (const f of ['a.csv', 'b.json', 'c.html']) writeFileAtomic(join(d, f), 'whole');
  });
  assert.ok(!existsSync(join(d, 'set.INCOMPLETE')), 'a finished set has no marker');
  assert.deepEqual(['a.csv', 'b.json', 'c.html'].map((f) => readFileSync(join(d, f), 'utf8')), ['whole', 'whole', 'whole']);
  // A writer killed mid-write leaves its temp file; the next write of that file removes it.
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const stale = join(d, `.a.csv.tmp-${dead.stdout}-0`);
  writeFileSync(stale, 'partial');
  writeFileAtomic(join(d, 'a.csv'), 'again');
  assert.ok(!existsSync(stale), 'the stale temp file is gone');
  assert.deepEqual(readdirSync(d).sort(), ['a.csv', 'b.json', 'c.html']);
});
