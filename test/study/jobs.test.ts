/**
 * The job runner against the code paths it replaces: an eval job's rows are runSweep's rows (what
 * `reproduce` wrote before the study layer) bit for bit, and a train job's model is trainMlp's with
 * the same seed, byte for byte. Blobs round-trip exactly and name themselves by sha256.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { UserError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import type { DenseModel } from '../../src/core/layer.js';
import { createEvaluator, createEvaluatorPool, trainMlp, type MlpConfig, type ProbedModel } from '../../src/model/index.js';
import { planSweep, runSweep, type PlannedEval } from '../../src/probes/index.js';
import { MemoryBlobStore, blobHash, deserializeModel, deserializeSplit, serializeModel, serializeSplit } from '../../src/study/blobs.js';
import { runJob } from '../../src/study/jobs.js';
import type { EvalJob, EvalJobResult, TrainJob, TrainJobResult } from '../../src/study/types.js';
import { mnistPair, randomModel } from '../model/fixtures.js';

const mlp: MlpConfig = { inputSize: 784, hidden: [16], activation: 'relu', head: 'softmax' };
const training = { epochs: 2, batchSize: 64, learningRate: 0.01, cosineTMax: 10, engine: 'sparse' as const, earlyStoppingPatience: 0 };
const target = { task: 'mnist-0v7', difficulty: 'easy' as const, run: 1, inputs: 'pm1' as const };

test('blobs: a model and a split round-trip exactly, and are named by the sha256 of their bytes', async () => {
  const model = randomModel(new Rng(3), [784, 8, 2]);
  model.layers[1].bias = null;
  const bytes = serializeModel(model);
  assert.equal(blobHash(bytes), createHash('sha256').update(bytes).digest('hex'));
  const back = deserializeModel(bytes);
  assert.deepEqual(back, model);
  assert.deepEqual(serializeModel(back), bytes, 'the same model always gives the same bytes');
  const split = mnistPair('t10k', 0, 7, 50);
  const validation = mnistPair('t10k', 0, 7, 20);
  const s = deserializeSplit(serializeSplit(split, validation));
  assert.deepEqual([s.split.n, [...s.split.labels], Buffer.from(s.split.pixels).equals(Buffer.from(split.pixels))], [50, [...split.labels], true]);
  assert.equal(s.validation!.n, 20);
  assert.equal(deserializeSplit(serializeSplit(split)).validation, null);
  const store = new MemoryBlobStore();
  const h = await store.put(bytes);
  assert.equal(await store.put(bytes.slice()), h, 'put is idempotent');
  assert.equal(await store.get(h), bytes);
  // corrupt bytes and the wrong kind of blob: one clear error
  assert.throws(() => deserializeModel(bytes.subarray(0, bytes.length - 4)), (e: unknown) => e instanceof UserError && /corrupt model blob/.test(e.message));
  assert.throws(() => deserializeModel(serializeSplit(split)), (e: unknown) => e instanceof UserError && /not a 'weightscope-model' blob/.test(e.message));
});

test('a train job gives the model trainMlp gives with its first seed above the threshold, byte for byte', async () => {
  const train = mnistPair('train', 0, 7, 400);
  const testSplit = mnistPair('t10k', 0, 7, 300);
  const store = new MemoryBlobStore();
  const job: TrainJob = {
    kind: 'train', id: 'train/mnist-0v7/run-1', target, train: await store.put(serializeSplit(train)), test: await store.put(serializeSplit(testSplit)),
    mlp, training, seeds: [11, 12], minAccuracy: 0.5,
  };
  const epochs: number[] = [];
  const r = (await runJob(job, store, (d) => epochs.push(d))) as TrainJobResult;
  const direct = await trainMlp(train, 'pm1', mlp, { ...training, seed: 11 });
  assert.deepEqual(r.modelBytes, serializeModel(direct.model));
  assert.equal(r.model, blobHash(serializeModel(direct.model)));
  assert.deepEqual([r.trainSeed, r.attempts, r.discarded], [11, 1, []]);
  assert.deepEqual(epochs, [1, 2]);
  assert.ok(r.testAccuracy > 0.9, `a 0-vs-7 model trains (${r.testAccuracy})`);

  // Above any reachable accuracy: every seed is discarded, each with a note, then one UserError.
  const notes: string[] = [];
  await assert.rejects(runJob({ ...job, minAccuracy: 1 }, store, (_d, note) => note && notes.push(note)),
    (e: unknown) => e instanceof UserError && /mnist-0v7 run 1: all 2 models trained stayed at or below 100.0% test accuracy/.test(e.message));
  assert.equal(notes.length, 2);
  assert.match(notes[0], /model from seed 11 reached .*discarded as in the reference, training a new seed/);
  assert.match(notes[1], /model from seed 12 reached .*discarded as in the reference$/);
});

test('an eval job gives the rows runSweep gives for the same model, plan and seed, bit for bit', async () => {
  const testSplit = mnistPair('t10k', 0, 7, 300);
  const model = (await trainMlp(mnistPair('train', 0, 7, 300), 'pm1', mlp, { ...training, seed: 5 })).model;
  // A quick-sized plan with both bias modes (CKA against each start model) and per-batch draws.
  const plan = planSweep({
    pruneLevels: [0, 0.5, 0.9], noiseLevels: [2 ** -4, 1], relativeNoiseLevels: [1], flipLevels: [0.5], randomizeLevels: [0.5],
    randomizations: ['A', 'curveball'], biases: ['trained', 'reference-init'],
  });
  const pool = createEvaluatorPool({ test: testSplit, inputs: 'pm1', workers: 2 });
  let expected;
  try {
    // The pool measures with the float32 first layer; the exact one (exactFirstLayer) in this thread.
    const evaluator = createEvaluator(testSplit, 'pm1');
    const evaluate = (ms: ProbedModel[], ref: { key: string; model: DenseModel }, exact: boolean[]) =>
      exact.some((x) => x) ? Promise.resolve(ms.map((m, k) => evaluator.measure([m], ref.model, { exact: exact[k] })[0])) : pool.measure(ms, ref);
    expected = await runSweep({ target: { ...target, model }, plan, baseSeed: 9, evaluate, nTest: testSplit.n, batchSize: 32 });
  } finally {
    await pool.close();
  }
  const store = new MemoryBlobStore();
  const common = { kind: 'eval' as const, target, model: await store.put(serializeModel(model)), test: await store.put(serializeSplit(testSplit)), baseSeed: 9, testBatch: 128 };
  // Two chunks, the second run first: rows depend on what an evaluation is, not on the chunking.
  const cut = 23;
  const chunk = (evals: PlannedEval[], first: number): EvalJob => ({ ...common, id: `eval/mnist-0v7/run-1/${first}-${first + evals.length - 1}`, evals });
  const second = (await runJob(chunk(plan.slice(cut), cut), store)) as EvalJobResult;
  const first = (await runJob(chunk(plan.slice(0, cut), 0), store)) as EvalJobResult;
  const got = [...first.rows, ...second.rows];
  assert.equal(got.length, plan.length);
  assert.ok(got.some((r) => r.bias === 'reference-init') && got.every((r) => typeof r.cka === 'number'));
  assert.equal(JSON.stringify(got), JSON.stringify(expected));
});
