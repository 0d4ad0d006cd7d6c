/**
 * Any results row can be regenerated from its columns with the public commands: a small real
 * `reproduce` run, then randomly picked rows of every probe kind, each re-measured by
 * `weightscope probe … --seed <row.seed>` and, for randomize rows, also by
 * `weightscope randomize … --prune <row.level> [--signed] --seed <row.seed>` followed by a baseline
 * probe of the written model. Equal means bit for bit: the same accuracy and CKA numbers.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../../src/core/rng.js';
import type { ResultRow } from '../../src/core/results.js';
import { loadAnyModel } from '../../src/model/index.js';
import { applyProbe } from '../../src/probes/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');

function run(args: string[]): string {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: root, timeout: 300_000 });
  assert.equal(r.status, 0, `weightscope ${args.join(' ')}\n${r.stderr}`);
  return r.stdout;
}

const TEST_LIMIT = 300;
const BASE_SEED = 7;

/** The row's columns as `weightscope probe` flags; the run's --test-limit and --seed pick the same test images. */
function probeFlags(r: ResultRow): string[] {
  return [
    '--task', r.task, '--probe', r.probe, '--variant', r.variant, '--levels', String(r.level), '--layer', r.layer,
    ...(r.signed ? ['--signed'] : []), '--seed', String(r.seed), '--inputs', r.inputs,
    '--test-limit', String(TEST_LIMIT), '--data-seed', String(BASE_SEED), '--json', '--quiet',
  ];
}

function onlyRow(stdout: string): ResultRow {
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 1, stdout);
  return JSON.parse(lines[0]) as ResultRow;
}

test('rows picked at random from a reproduce run are regenerated exactly by probe and by randomize + probe', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ws-regenerate-'));
  const out = join(dir, 'run');
  run(['reproduce', '--quick', '--runs', '1', '--epochs', '1', '--train-limit', '600', '--test-limit', String(TEST_LIMIT),
    '--seed', String(BASE_SEED), '--quiet', '--workers', '2', '--out', out]);
  const rows = readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ResultRow);
  assert.deepEqual(new Set(rows.map((r) => r.task)), new Set(['mnist-0v7', 'mnist-7v9']));

  const rng = new Rng(2026);
  const pick = (what: string, keep: (r: ResultRow) => boolean): ResultRow => {
    const candidates = rows.filter(keep);
    assert.ok(candidates.length > 0, `the run has ${what} rows`);
    return candidates[rng.int(candidates.length)];
  };
  const picked = [
    pick('baseline', (r) => r.probe === 'baseline'),
    pick('binarize', (r) => r.probe === 'binarize'),
    pick('reference prune', (r) => r.probe === 'prune' && r.variant === 'reference' && r.level > 0),
    // per test batch draws: a random mask per batch of 128
    pick('random prune', (r) => r.probe === 'prune' && r.variant === 'random' && r.level > 0),
    pick('noise', (r) => r.probe === 'noise' && r.level > 0.01),
    pick('binarize+noise', (r) => r.probe === 'binarize+noise'),
    pick('random signflip', (r) => r.probe === 'signflip' && r.variant === 'random' && r.level > 0 && r.level < 1),
    pick('pruned randomize B', (r) => r.probe === 'randomize' && r.variant === 'B' && r.level > 0),
    pick('randomize E/F', (r) => r.probe === 'randomize' && (r.variant === 'E' || r.variant === 'F')),
    pick('randomize curveball', (r) => r.probe === 'randomize' && r.variant === 'curveball'),
  ];
  assert.ok(picked.some((r) => r.seed !== 0 && r.probe === 'randomize' && r.signed) || picked.some((r) => r.probe === 'randomize' && !r.signed));

  for (const row of picked) {
    const what = `${row.task} ${row.probe} ${row.variant}${row.signed ? ' signed' : ''} level ${row.level} seed ${row.seed}`;
    const modelDir = join(out, 'models', row.task, `run-${row.run}`);
    const again = onlyRow(run(['probe', modelDir, ...probeFlags(row)]));
    assert.equal(again.seed, row.seed, what);
    assert.equal(again.n_test, row.n_test, what);
    assert.equal(again.accuracy, row.accuracy, `probe regenerates the accuracy of ${what}`);
    assert.equal(again.cka, row.cka, `probe regenerates the CKA of ${what}`);

    if (row.probe !== 'randomize') continue;
    // The null model itself, written by the randomize command and evaluated unprobed.
    const written = join(dir, `null-${row.task}-${row.variant}-${row.level}-${row.signed}`);
    run(['randomize', modelDir, '--method', row.variant, '--prune', String(row.level), ...(row.signed ? ['--signed'] : []),
      ...(row.layer === 'all' ? [] : ['--layer', row.layer]), '--seed', String(row.seed), '--out', written]);
    // Bit for bit the model the sweep evaluated (accuracy on 300 images alone could coincide by chance).
    const swept = applyProbe(loadAnyModel(modelDir), { probe: 'randomize', variant: row.variant, level: row.level, signed: row.signed, layer: row.layer }, new Rng(row.seed));
    loadAnyModel(written).layers.forEach((l, k) => {
      assert.deepEqual(l.weights, swept.layers[k].weights, `${what}: weights of ${l.name}`);
      assert.deepEqual(l.bias, swept.layers[k].bias, `${what}: bias of ${l.name}`);
    });
    const evaluated = onlyRow(run(['probe', written, ...probeFlags({ ...row, probe: 'baseline', variant: 'reference', level: 0, signed: false, layer: 'all' })]));
    assert.equal(evaluated.accuracy, row.accuracy, `randomize --seed writes the model of ${what}`);
  }
});
