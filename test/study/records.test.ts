/**
 * training.json in one versioned shape: the three shapes written before it (reproduce's, the
 * tagger study's, train's — hand-written here as those versions wrote them) read as the current
 * one, field by field; a current record reads back unchanged.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { RECORD_FORMAT_VERSION, modelSummary, trainingRecord, upgradeTrainingRecord } from '../../src/study/records.js';

const history = [{ epoch: 1, epochs: 1, loss: 0.3, seconds: 1.5, learningRate: 0.01 }];

test('reproduce\'s record before version 1 reads as the current shape', () => {
  const legacy = { seed: 11, attempts: 2, backend: { name: 'wasm', version: '4.22.0' }, history, testAccuracy: 0.95, discarded: [{ attempt: 1, seed: 10, testAccuracy: 0.5 }] };
  assert.deepEqual(upgradeTrainingRecord(legacy, { task: 'mnist-0v7', run: 2, model: 'mlp' }), {
    formatVersion: RECORD_FORMAT_VERSION, model: 'mlp', task: 'mnist-0v7', run: 2, seed: 11, attempts: 2, discarded: [{ attempt: 1, seed: 10, testAccuracy: 0.5 }],
    engine: 'unknown', backend: { name: 'wasm', version: '4.22.0' }, test: { accuracy: 0.95, n: null }, history, seconds: null, details: {},
  });
});

test('the tagger study\'s record before version 1 reads as the current shape, its test scores kept as they were', () => {
  const scores = { accuracy: 0.9, f1: 0.8, n: 300 };
  const legacy = { seed: 7, seconds: 12.5, finalLoss: 0.4, tokens: 2000, test: scores, backend: 'wasm' };
  const r = upgradeTrainingRecord(legacy, { task: 'brown-upos', run: 0, model: 'tagger' })!;
  assert.deepEqual(r, {
    formatVersion: RECORD_FORMAT_VERSION, model: 'tagger', task: 'brown-upos', run: 0, seed: 7, attempts: 1, discarded: [], engine: 'tagger',
    backend: { name: 'wasm' }, test: scores, history: [], seconds: 12.5, details: { tokens: 2000, finalLoss: 0.4 },
  });
});

test('train\'s record before version 1 reads as the current shape', () => {
  const legacy = { task: 'mnist-0v7', seed: 5, inputs: 'pm1', backend: { name: 'cpu', version: '4.22.0' }, engine: 'tfjs', history, testAccuracy: 0.99, n_test: 200 };
  const r = upgradeTrainingRecord(legacy, { task: 'ignored', run: 1, model: 'mlp' })!;
  assert.deepEqual([r.task, r.run, r.seed, r.attempts, r.engine, r.test, r.details], ['mnist-0v7', 1, 5, 1, 'tfjs', { accuracy: 0.99, n: 200 }, { inputs: 'pm1' }]);
});

test('a current record reads back as it is; run.json\'s summary drops only the history', () => {
  const current = trainingRecord({
    model: 'mlp', task: 'mnist-7v9', run: 0, seed: 3, attempts: 1, discarded: [], engine: 'sparse', backend: { name: 'sparse' }, test: { accuracy: 0.8, n: 100 },
    history, seconds: 1.5, details: { inputs: 'pm1' },
  });
  assert.deepEqual(upgradeTrainingRecord(JSON.parse(JSON.stringify(current)), { task: 'x', run: 9, model: 'tagger' }), current);
  const { history: _h, formatVersion: _v, ...rest } = current;
  assert.deepEqual(modelSummary(current, true), { ...rest, trained: true });
  assert.equal(upgradeTrainingRecord('not a record', { task: 'x', run: 0, model: 'mlp' }), null);
});
