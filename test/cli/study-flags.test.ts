/**
 * A study command that refuses its flags, or fails before it computed anything, leaves nothing
 * behind: no run folder, no run.json (src/study/run.ts checks every flag before the folder exists,
 * and removes a folder it made when the run fails before writing a model or a row).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../src/core/errors.js';
import { runStudy } from '../../src/study/run.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');

function oneLine(args: string[], pattern: RegExp): void {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: root, timeout: 120_000 });
  assert.notEqual(r.status, 0, `${args.join(' ')} must fail`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], pattern);
}

test('refused flags of reproduce and transformer leave no run folder, and an existing folder as it was', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ws-flags-'));
  const cases: [string[], RegExp][] = [
    [['transformer', '--quick', '--dim', '30', '--heads', '4'], /transformer dim 30 is not divisible by heads 4/],
    [['transformer', '--quick', '--heads', '3'], /transformer dim 32 is not divisible by heads 3/],
    [['reproduce', '--quick', '--pairs', '3x4'], /pair/i],
    [['reproduce', '--quick', '--layer', 'dense_7'], /no layer named 'dense_7'/],
  ];
  for (const [k, [args, says]] of cases.entries()) {
    const fresh = join(dir, `new-${k}`);
    oneLine([...args, '--quiet', '--out', fresh], says);
    assert.ok(!existsSync(fresh), `${args.join(' ')} left ${fresh}`);
    const existing = join(dir, `existing-${k}`);
    mkdirSync(existing);
    oneLine([...args, '--quiet', '--out', existing], says);
    assert.deepEqual(readdirSync(existing), [], `${args.join(' ')} wrote into ${existing}`);
  }
});

test('a run that fails on its data, before any model or row, leaves no run folder behind (no run.json)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ws-flags-data-'));
  writeFileSync(join(dir, 'readme.txt'), 'not a corpus');
  oneLine(['transformer', '--quick', '--quiet', '--data-dir', dir, '--out', join(dir, 'out')], /is not a Brown corpus folder/);
  assert.ok(!existsSync(join(dir, 'out')));
  oneLine(['reproduce', '--quick', '--quiet', '--data-dir', join(dir, 'no-such-data'), '--out', join(dir, 'out2')], /no-such-data/);
  assert.ok(!existsSync(join(dir, 'out2')));
});

test('the study layer checks options given to it directly the same way, before any folder exists', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'ws-flags-api-')), 'run');
  const tagger = { blocks: 1, dim: 8, heads: 3, ffn: 16, runs: 1, seed: 1, quick: true, task: 'upos' as const, trainTokens: 100, evalTokens: 50, lr: 0.01, out };
  await assert.rejects(runStudy('tagger', tagger), (e: unknown) => e instanceof UserError && /dim 8 is not divisible by heads 3/.test((e as Error).message));
  await assert.rejects(runStudy('tagger', { ...tagger, heads: 2, runs: 0 }), (e: unknown) => e instanceof UserError && /--runs must be a positive integer, got 0/.test((e as Error).message));
  await assert.rejects(runStudy('tagger', { ...tagger, heads: 2, executor: 'gpu' as 'threads' }), (e: unknown) => e instanceof UserError && /unknown executor 'gpu'/.test((e as Error).message));
  assert.ok(!existsSync(out));
});
