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
import { createEvaluator, trainMlp, type MlpConfig } from '../../src/model/index.js';
import { planSweep, runSweep, type PlannedEval } from '../../src/probes/index.js';
import { MemoryBlobStore, blobHash } from '../../src/study/blobs.js';
import { deserializeModel, deserializeSplit, serializeModel, serializeSplit } from '../../src/study/kinds/reference/blobs.js';
import type { EvalJob, EvalJobResult, TrainJob, TrainJobResult } from '../../src/study/kinds/reference/types.js';
import { runJob } from '../../src/study/registry.js';
import { JobRefused, type Job, type JobEvent } from '../../src/study/types.js';
import { selectBackend, tfjsNodeInstalled } from '../../src/model/backend.js';
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
    mlp, training, dtype: 'float32', seeds: [11, 12], minAccuracy: 0.5,
  };
  const epochs: number[] = [];
  const r = (await runJob(job, store, (e) => e.type === 'progress' && epochs.push(e.done))) as TrainJobResult;
  const direct = await trainMlp(train, 'pm1', mlp, { ...training, seed: 11 });
  assert.deepEqual(r.made, [{ hash: r.model, bytes: serializeModel(direct.model) }]);
  assert.equal(r.model, blobHash(serializeModel(direct.model)));
  assert.deepEqual([r.trainSeed, r.attempts, r.discarded], [11, 1, []]);
  assert.deepEqual(epochs, [1, 2]);
  assert.ok(r.testAccuracy > 0.9, `a 0-vs-7 model trains (${r.testAccuracy})`);

  // Above any reachable accuracy: every seed is discarded, each with a typed event, then one UserError.
  const events: JobEvent[] = [];
  await assert.rejects(runJob({ ...job, minAccuracy: 1 } as TrainJob, store, (e) => events.push(e)),
    (e: unknown) => e instanceof UserError && /mnist-0v7 run 1: all 2 models trained stayed at or below 100.0% test accuracy/.test(e.message));
  const discards = events.filter((e) => e.type === 'seed-discarded');
  assert.deepEqual(discards.map((e) => [e.seed, e.retrying, e.addedWork, e.minAccuracy]), [[11, true, 2, 1], [12, false, 0, 1]], 'the next seed adds its epochs; the last adds none');
  assert.match(discards[0].line, /model from seed 11 reached .*discarded as in the reference, training a new seed/);
  assert.match(discards[1].line, /model from seed 12 reached .*discarded as in the reference$/);
  assert.deepEqual(events.filter((e) => e.type === 'progress').map((e) => e.done), [1, 2, 3, 4], 'epochs over both attempts');
});

test('an eval job gives the rows runSweep gives for the same model, plan and seed, bit for bit', async () => {
  const testSplit = mnistPair('t10k', 0, 7, 300);
  const model = (await trainMlp(mnistPair('train', 0, 7, 300), 'pm1', mlp, { ...training, seed: 5 })).model;
  // A quick-sized plan with both bias modes (CKA against each start model) and per-batch draws.
  const plan = planSweep({
    pruneLevels: [0, 0.5, 0.9], noiseLevels: [2 ** -4, 1], relativeNoiseLevels: [1], flipLevels: [0.5], randomizeLevels: [0.5],
    randomizations: ['A', 'curveball'], biases: ['trained', 'reference-init'],
  });
  const evaluator = createEvaluator(testSplit, 'pm1');
  // The first layer exact where exactFirstLayer says, as eval jobs measure it.
  const expected = await runSweep({ target: { ...target, model }, plan, baseSeed: 9, evaluate: async (ms, ref, exact) => ms.map((m, k) => evaluator.measure([m], ref.model, { exact: exact[k] })[0]), nTest: testSplit.n, batchSize: 32 });
  const store = new MemoryBlobStore();
  const common = { kind: 'eval' as const, target, model: await store.put(serializeModel(model)), test: await store.put(serializeSplit(testSplit)), baseSeed: 9, testBatch: 128, dtype: 'float32' as const };
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

test('a job is honoured as written or refused: the tfjs engine trains on exactly the backend the job names; another dtype, an unknown backend or kind is refused with one line', async () => {
  const train = mnistPair('train', 0, 7, 200);
  const testSplit = mnistPair('t10k', 0, 7, 100);
  const store = new MemoryBlobStore();
  const job: TrainJob = {
    kind: 'train', id: 'train/mnist-0v7/run-0', target, train: await store.put(serializeSplit(train)), test: await store.put(serializeSplit(testSplit)),
    mlp, training: { ...training, epochs: 1, engine: 'tfjs', backend: 'cpu' }, dtype: 'float32', seeds: [21], minAccuracy: 0,
  };
  // Another backend selected before: the job still trains on 'cpu', as trainMlp does on 'cpu' (the independent path).
  await selectBackend('wasm');
  const r = (await runJob(job, store)) as TrainJobResult;
  assert.equal(r.backend, 'cpu');
  await selectBackend('cpu');
  const direct = await trainMlp(train, 'pm1', mlp, { ...training, epochs: 1, engine: 'tfjs', seed: 21 });
  assert.deepEqual(r.made[0].bytes, serializeModel(direct.model), 'the model trainMlp makes on the cpu backend');

  const refused = async (j: Job, why: RegExp) => assert.rejects(runJob(j, store), (e: unknown) => e instanceof JobRefused && why.test((e as Error).message) && !(e as Error).message.includes('\n'));
  await refused({ ...job, dtype: 'float16' } as unknown as Job, /the job computes in 'float16'; this worker computes in float32 only/);
  await refused({ ...job, training: { ...job.training, backend: undefined } } as Job, /names no tfjs backend/);
  await refused({ ...job, training: { ...job.training, backend: 'gpu' } } as unknown as Job, /TensorFlow\.js backend 'gpu', which weightscope does not know/);
  await refused({ ...job, training: { ...job.training, engine: 'jax' } } as unknown as Job, /engine 'jax'/);
  await refused({ kind: 'train-on-gpu', id: 'x' }, /runs no 'train-on-gpu' jobs \(it runs train, eval, train-tagger, train-window-mlp, eval-tagger, train-twin, fingerprint-twin, train-multitask, eval-multitask\)/);
  if (!tfjsNodeInstalled()) await refused({ ...job, training: { ...job.training, backend: 'node' } } as Job, /needs the TensorFlow\.js backend 'node', which this worker cannot start \(it has '(wasm|cpu)'\)/);
});
