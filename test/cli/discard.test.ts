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
import { deriveSeed } from '../../src/core/rng.js';
import { trainWithDiscardRule, type DiscardRuleOptions } from '../../src/study/kinds/reference/jobs.js';
import { MAX_TRAIN_ATTEMPTS, MIN_ACCURACY, trainSeeds } from '../../src/study/kinds/reference/plan.js';
import type { TrainResult } from '../../src/model/index.js';

/** A fake trainer: attempt k's model carries k in its only weight and scores the k-th scripted accuracy. */
function scripted(accuracies: number[], minAccuracy = MIN_ACCURACY.hard, attempts = MAX_TRAIN_ATTEMPTS): DiscardRuleOptions & { trainedSeeds: number[]; lines: string[] } {
  const trainedSeeds: number[] = [];
  const lines: string[] = [];
  let k = 0;
  return {
    trainedSeeds,
    lines,
    label: 'mnist-7v9 run 0',
    minAccuracy,
    seeds: Array.from({ length: attempts }, (_, i) => 1001 + i),
    train: async (seed) => {
      trainedSeeds.push(seed);
      const model: DenseModel = { layers: [{ name: 'dense_0', weights: Float32Array.of(k++), shape: [1, 1], bias: Float32Array.of(0), activation: 'linear' }] };
      return { model, backend: 'fake', history: [] } as unknown as TrainResult;
    },
    accuracy: async (m) => accuracies[m.layers[0].weights[0]],
    onDiscard: (line) => lines.push(line),
  };
}

test('the thresholds are the reference\'s: kept only above 70 % (easy) / 60 % (hard)', () => {
  assert.equal(MIN_ACCURACY.easy, 0.7);
  assert.equal(MIN_ACCURACY.hard, 0.6);
});

test('a model at or below the threshold is discarded and replaced by a new seed, each with one line', async () => {
  // 0.6 exactly is discarded (the reference keeps acc > 60), as is 0.55; 0.6001 is kept.
  const o = scripted([0.6, 0.55, 0.6001, 0.99]);
  const got = await trainWithDiscardRule(o);
  assert.deepEqual(o.trainedSeeds, [1001, 1002, 1003]);
  assert.equal(got.seed, 1003);
  assert.equal(got.attempts, 3);
  assert.equal(got.testAccuracy, 0.6001);
  assert.equal(got.result.model.layers[0].weights[0], 2, 'the kept model is the third one trained');
  assert.deepEqual(got.discarded.map((d) => [d.attempt, d.seed]), [[1, 1001], [2, 1002]]);
  assert.deepEqual(o.lines, [
    'mnist-7v9 run 0: model from seed 1001 reached 60.0% (≤ 60.0%): discarded as in the reference, training a new seed',
    'mnist-7v9 run 0: model from seed 1002 reached 55.0% (≤ 60.0%): discarded as in the reference, training a new seed',
  ]);
});

test('attempt seeds: the first is the seed runs had before the discard rule, then one per attempt, all distinct', () => {
  const seeds = trainSeeds(1, 'mnist-7v9', 0);
  assert.equal(seeds.length, MAX_TRAIN_ATTEMPTS);
  assert.equal(new Set(seeds).size, MAX_TRAIN_ATTEMPTS);
  // as reproduce derived them before the study layer: attempt 1 the run's seed, attempt k ≥ 2 labelled with k
  assert.equal(seeds[0], deriveSeed(1, 'train', 'mnist-7v9', 0));
  assert.equal(seeds[3], deriveSeed(1, 'train', 'mnist-7v9', 0, 'attempt', 4));
  assert.deepEqual(trainSeeds(1, 'mnist-7v9', 0), seeds, 'a pure function of seed, task and run');
  assert.notDeepEqual(trainSeeds(1, 'mnist-7v9', 1), seeds);
});

test('a configuration that cannot train stops after the cap with a clear message', async () => {
  const o = scripted(Array(20).fill(0.52));
  await assert.rejects(trainWithDiscardRule(o), (e: unknown) =>
    e instanceof UserError && /mnist-7v9 run 0: all 5 models trained stayed at or below 60.0% test accuracy \(best 52.0%\); this configuration does not train/.test(e.message));
  assert.equal(o.trainedSeeds.length, MAX_TRAIN_ATTEMPTS);
  assert.equal(o.lines.length, MAX_TRAIN_ATTEMPTS);
  assert.match(o.lines[MAX_TRAIN_ATTEMPTS - 1], /discarded as in the reference$/, 'no new seed after the last');
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

test('train applies the discard rule as reproduce does: one line per discarded seed, then one line that the configuration does not train, and no model saved', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'ws-discard-train-')), 'models');
  const r = spawnSync(process.execPath, [join(root, 'dist', 'src', 'cli', 'main.js'), 'train', '--pair', '7v9', '--runs', '1', '--epochs', '1',
    '--lr', '1e6', '--train-limit', '300', '--test-limit', '300', '--out', out], { encoding: 'utf8', timeout: 240_000 });
  assert.notEqual(r.status, 0);
  const lines = r.stderr.trim().split('\n');
  assert.match(lines[0], /training 1 model\(s\) on mnist-7v9 .*kept above 60% test accuracy \(the hard pairs' discard rule, as reproduce\)/);
  assert.match(lines[lines.length - 1], /mnist-7v9 run 0: all 5 models trained stayed at or below 60.0% test accuracy.*does not train/);
  assert.equal(lines.filter((l) => /discarded as in the reference/.test(l)).length, 5, r.stderr);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.ok(!existsSync(join(out, 'run-0')), 'no model saved');
});
