/**
 * The run-folder module on real files: the results log (torn last line skipped, a bad line elsewhere
 * named, duplicates de-duplicated by rowKey keeping the first), the resume identity check, paths.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../src/core/errors.js';
import type { ResultRow } from '../../src/core/results.js';
import { appendResults, checkResumable, modelPathInfo, readResultRows, readResultsLog, runPaths, uniqueRows } from '../../src/core/run-folder.js';

const row = (level: number, accuracy: number): ResultRow => ({
  task: 'mnist-0v7', difficulty: 'easy', probe: 'prune', variant: 'reference', signed: false, level, layer: 'all', run: 0, seed: 0, accuracy, n_test: 10, inputs: 'pm1',
});

test('the results log: appended rows read back; a torn last line is skipped, a bad line elsewhere is named', () => {
  const root = mkdtempSync(join(tmpdir(), 'ws-runfolder-'));
  const paths = runPaths(root);
  appendResults(paths.results, [row(0, 0.9), row(0.5, 0.8)]);
  appendResults(paths.results, [row(0.5, 0.7)]);
  assert.deepEqual(readResultsLog(paths.results).map((r) => r.accuracy), [0.9, 0.8, 0.7]);
  // each evaluation once, the first written kept
  assert.deepEqual(readResultRows(root).map((r) => [r.level, r.accuracy]), [[0, 0.9], [0.5, 0.8]]);
  assert.deepEqual(uniqueRows([row(1, 0.1), row(1, 0.2), row(0, 0.3)]).map((r) => r.accuracy), [0.1, 0.3]);
  writeFileSync(paths.results, JSON.stringify(row(0, 0.9)) + '\n' + JSON.stringify(row(0.5, 0.8)).slice(0, 30));
  assert.deepEqual(readResultsLog(paths.results).map((r) => r.accuracy), [0.9]);
  writeFileSync(paths.results, 'garbage\n' + JSON.stringify(row(0, 0.9)) + '\n');
  assert.throws(() => readResultsLog(paths.results), (e: unknown) => e instanceof UserError && /results\.jsonl: line 1 is not a result row/.test(e.message));
  assert.deepEqual(readResultsLog(join(root, 'none.jsonl')), [], 'no log yet: no rows');
});

test('resume identity: keys of where and how a run computes are ignored, any other difference is named as a flag', () => {
  const root = mkdtempSync(join(tmpdir(), 'ws-runfolder-'));
  const record = { config: { seed: 1, trainLimit: 100, workers: 2, out: 'a' }, sessions: [{ started: 'x', backend: 'wasm', engine: 'sparse' }] };
  const ignore = ['workers', 'out', 'executor'];
  assert.deepEqual(checkResumable(root, record, { seed: 1, trainLimit: 100, workers: 1, out: 'b', executor: 'in-process' }, ignore), record.sessions);
  assert.throws(() => checkResumable(root, record, { seed: 2, trainLimit: 200, workers: 2, out: 'a' }, ignore),
    (e: unknown) => e instanceof UserError && /holds a run with a different configuration \(--seed, --train-limit\)/.test(e.message));
  assert.throws(() => checkResumable(root, {}, { seed: 1 }, ignore), (e: unknown) => e instanceof UserError && /run\.json has no configuration/.test(e.message));
});

test('paths: models and graphs of a run live under <task>/run-<k>, and model paths are read back', () => {
  const p = runPaths('/r');
  assert.equal(p.modelDir('mnist-0v7', 2), join('/r', 'models', 'mnist-0v7', 'run-2'));
  assert.equal(p.graphDir('mnist-0v7', 0), join('/r', 'graphs', 'mnist-0v7', 'run-0'));
  assert.deepEqual(modelPathInfo('models/mnist-7v9/run-11/model.json'), { task: 'mnist-7v9', run: 11 });
  assert.equal(modelPathInfo('other/model.json'), null);
});
