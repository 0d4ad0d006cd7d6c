/**
 * The reference's discard rule: models at or below 70 % (easy) / 60 % (hard) test accuracy are
 * discarded and replaced by a new seed; a configuration that cannot train ends with one clear line;
 * discarded seeds are listed in run.json and never reach a results row.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../src/core/errors.js';
import type { DenseModel } from '../../src/core/layer.js';
import { MAX_TRAIN_ATTEMPTS, MIN_ACCURACY, obtainModel, type ObtainModelOptions } from '../../src/cli/reproduce.js';
import type { TrainResult } from '../../src/model/index.js';

const quiet = { stage: () => ({ update() {}, stop() {} }), log() {} };

/** A fake trainer: attempt k's model carries k in its only weight and scores the k-th scripted accuracy. */
function scripted(dir: string, accuracies: number[], minAccuracy = MIN_ACCURACY.hard): ObtainModelOptions & { trainedSeeds: number[] } {
  const trainedSeeds: number[] = [];
  let k = 0;
  return {
    trainedSeeds,
    dir,
    label: 'mnist-7v9 run 0',
    minAccuracy,
    seedOf: (attempt) => 1000 + attempt,
    train: async (seed) => {
      trainedSeeds.push(seed);
      const model: DenseModel = { layers: [{ name: 'dense_0', weights: Float32Array.of(k++), shape: [1, 1], bias: Float32Array.of(0), activation: 'linear' }] };
      return { model, backend: 'fake', history: [] } as unknown as TrainResult;
    },
    accuracy: async (m) => accuracies[m.layers[0].weights[0]],
    onEpoch: () => undefined,
    onRetry: () => undefined,
    progress: quiet,
  };
}

test('the thresholds are the reference\'s: kept only above 70 % (easy) / 60 % (hard)', () => {
  assert.equal(MIN_ACCURACY.easy, 0.7);
  assert.equal(MIN_ACCURACY.hard, 0.6);
});

test('a model at or below the threshold is discarded and replaced by a new seed; the record survives a resume', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'ws-discard-')), 'run-0');
  // 0.6 exactly is discarded (the reference keeps acc > 60), as is 0.55; 0.6001 is kept.
  const o = scripted(dir, [0.6, 0.55, 0.6001, 0.99]);
  const got = await obtainModel(o);
  assert.deepEqual(o.trainedSeeds, [1001, 1002, 1003]);
  assert.equal(got.trainSeed, 1003);
  assert.equal(got.attempts, 3);
  assert.equal(got.testAccuracy, 0.6001);
  assert.deepEqual(got.discarded.map((d) => [d.attempt, d.seed]), [[1, 1001], [2, 1002]]);
  // resuming loads the kept model and its discard record without training again
  const again = scripted(dir, [0.99]);
  const resumed = await obtainModel(again);
  assert.deepEqual(again.trainedSeeds, []);
  assert.equal(resumed.trainSeed, 1003);
  assert.deepEqual(resumed.discarded.map((d) => d.seed), [1001, 1002]);
});

test('a configuration that cannot train stops after the cap with a clear message and saves nothing', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'ws-discard-')), 'run-0');
  const o = scripted(dir, Array(20).fill(0.52));
  await assert.rejects(obtainModel(o), (e: unknown) =>
    e instanceof UserError && /mnist-7v9 run 0: all 5 models trained stayed at or below 60.0% test accuracy \(best 52.0%\); this configuration does not train/.test(e.message));
  assert.equal(o.trainedSeeds.length, MAX_TRAIN_ATTEMPTS);
  assert.equal(existsSync(join(dir, 'model.json')), false);
});

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

test('reproduce with a learning rate that cannot train: one line, non-zero exit, no results rows', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'ws-discard-cli-')), 'run');
  const r = spawnSync(process.execPath, [join(root, 'dist', 'src', 'cli', 'main.js'), 'reproduce', '--pairs', '7v9', '--runs', '1', '--epochs', '1',
    '--lr', '1e6', '--train-limit', '300', '--test-limit', '300', '--quick', '--workers', '1', '--out', out], { encoding: 'utf8', timeout: 240_000 });
  assert.notEqual(r.status, 0);
  const lines = r.stderr.trim().split('\n');
  assert.match(lines[lines.length - 1], /run 0: all 5 models trained stayed at or below 60.0% test accuracy.*does not train/);
  assert.equal(lines.filter((l) => /discarded as in the reference/.test(l)).length, 5, r.stderr);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(existsSync(join(out, 'results.jsonl')) ? readFileSync(join(out, 'results.jsonl'), 'utf8').trim() : '', '');
});
