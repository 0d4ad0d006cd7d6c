/**
 * What a Redis worker checks before it runs a job from the queue (src/study/registry.ts checkJob,
 * the kinds' check.ts): every job the plans make passes; a job of the wrong shape, past a bound the
 * CLI checks the same flag against, or past the memory bound is refused with one line naming the
 * field — and the CLI refuses the same sizes as flags.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MemoryBlobStore } from '../../src/study/blobs.js';
import { evalJobs, trainJob } from '../../src/study/kinds/reference/plan.js';
import { mlpTrainingBytes } from '../../src/study/kinds/reference/check.js';
import { taggerTrainingBytes } from '../../src/study/kinds/tagger/check.js';
import { taggerEvalJobs, taggerStudyItems, taggerTrainJob, windowMlpJob, type TaggerStudyJobs } from '../../src/study/kinds/tagger/plan.js';
import { checkJob } from '../../src/study/registry.js';
import { evalJobs as multitaskEvalJobs, plannedModels, trainJob as multitaskTrainJob } from '../../src/study/kinds/multitask/plan.js';
import { planOptionsOf } from '../../src/study/kinds/multitask/study.js';
import { pairTargets, twinFingerprintJob, twinTrainJob, type TwinPairJobs } from '../../src/study/kinds/twins/plan.js';
import { JobRefused, type Job } from '../../src/study/types.js';
import { planSmallStudy } from './small-plan.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const HASH = 'ab'.repeat(32);

const blobs = new MemoryBlobStore();
const study = await planSmallStudy(blobs);
const train = trainJob(study, study.tasks[0], 0);
const evaluate = evalJobs(study, study.tasks[0], 0, HASH)[0];
const tagger: TaggerStudyJobs = {
  target: { task: 'brown-upos', tagTask: 'upos', backend: 'wasm' },
  seed: 1,
  config: { vocab: 5000, suffixes: 3000, shapes: 8, lexicon: 14, maxLen: 64, blocks: 4, dim: 64, heads: 4, ffn: 256, tags: 13 },
  window: { vocab: 5000, suffixes: 3000, shapes: 8, lexicon: 14, dim: 64, radius: 2, hidden: 256, tags: 13 },
  training: { tokens: 300_000, batchTokens: 256, lr: 1e-2, warmupSteps: 30 },
  train: HASH, evaluation: HASH, test: HASH,
};
const taggerTrain = taggerTrainJob(tagger, 0);
const items = taggerStudyItems({ blocks: 4, runs: 1, seed: 1, task: 'brown-upos', quick: true });
const taggerEval = taggerEvalJobs(tagger.target, 0, HASH, HASH, items)[0];

const twinPair: TwinPairJobs = { pairTask: 'mnist-7v9', seed: 1, epochs: 5, density: 0.05, train: HASH, trainMarked: HASH, benchmark: HASH, clean: HASH, data: 'mnist-7v9-test', quick: false };
const twins = pairTargets('mnist-7v9', '7v9', 2).flatMap((t) => [twinTrainJob(twinPair, t), twinFingerprintJob(twinPair, t, HASH)]);

const multitaskPlan = planOptionsOf({ tasks: [1, 3], noise: [0.2], latentDim: [2], model: ['mlp', 'rnn'], observation: 'rbf', runs: 1, seed: 4, quick: false });
const multitask = plannedModels(multitaskPlan).flatMap((m) => [multitaskTrainJob(multitaskPlan, m), ...multitaskEvalJobs(multitaskPlan, m, HASH)]);

/** A copy of `job` with the value at `path` (dots) set. */
function edited<T extends Job>(job: T, path: string, value: unknown): unknown {
  const copy = structuredClone(job) as unknown as Record<string, unknown>;
  const keys = path.split('.');
  let at = copy;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  at[keys[keys.length - 1]] = value;
  return copy;
}

const refused = (job: unknown, says: RegExp): void =>
  assert.throws(() => checkJob(job), (e: Error) => e instanceof JobRefused && says.test(e.message) && !e.message.includes('\n'), `expected a refusal matching ${says}`);

test('every job the plans make passes the worker\'s check', () => {
  assert.ok(study.tasks.length > 0);
  for (const t of study.tasks) {
    checkJob(trainJob(study, t, 0));
    for (const j of evalJobs(study, t, 0, HASH)) checkJob(j);
  }
  checkJob(taggerTrain);
  checkJob(windowMlpJob(tagger));
  for (const j of taggerEvalJobs(tagger.target, 0, HASH, HASH, items)) checkJob(j);
  assert.equal(twins.length, 12);
  for (const j of twins) checkJob(j);
  assert.ok(multitask.some((j) => j.kind === 'train-multitask') && multitask.some((j) => j.kind === 'eval-multitask'));
  for (const j of multitask) checkJob(j);
});

test('jobs of the wrong shape are refused naming the field', () => {
  refused(null, /^the job is null, not an object$/);
  refused([], /^the job is a list, not an object$/);
  refused({}, /^the job\.kind is undefined, not a string$/);
  refused({ kind: 'mine', id: 'x' }, /runs no 'mine' jobs/);
  refused({ kind: 'train', id: '' }, /id is empty/);
  refused({ kind: 'train', id: 'x\nrefused everything' }, /^the job's id 'x\?refused everything' holds control characters$/);
  refused({ kind: 'x'.repeat(1_000_000), id: 'x' }, /^the job\.kind is 'x{40}…', not a job kind$/);
  refused(edited(train, 'training.engine', 'gpu\n'.repeat(100)), /^the job\.training\.engine is '(gpu\?){10}…', not one of tfjs, sparse$/);
  refused({ kind: 'train', id: 'x' }, /^the job\.target is undefined, not an object$/);
  refused(edited(train, 'train', 'not-a-hash'), /^the job\.train is 'not-a-hash', not a blob hash$/);
  refused(edited(train, 'training.engine', 'gpu'), /^the job\.training\.engine is 'gpu', not one of tfjs, sparse$/);
  refused(edited(train, 'seeds', []), /the job\.seeds has 0 items, at least 1 needed/);
  refused(edited(train, 'minAccuracy', Number.NaN), /the job\.minAccuracy is NaN, not a number in 0 … 1/);
  refused(edited(evaluate, 'evals', [{ rep: 0, spec: { probe: 'melt', variant: 'reference', signed: false, level: 0, layer: 'all' } }]), /evals\[0\]\.spec\.probe is 'melt', not one of baseline/);
  refused(edited(evaluate, 'evals', [{ rep: 0, spec: { probe: 'prune', variant: 'reference', signed: false, level: 1.5, layer: 'all' } }]), /evals\[0\]\.spec: /);
  refused(edited(taggerTrain, 'config.dim', 66), /dim 66 is not divisible by heads 4/);
  refused(edited(taggerEval, 'items', [{ ...taggerEval.items[0], layers: [3] }]), /items\[0\]\.layers\[0\] is not a name/);
});

test('sizes past the CLI\'s bounds, and jobs past the memory bound, are refused before anything runs', () => {
  refused(edited(train, 'mlp.hidden', [1e8]), /the job\.mlp\.hidden\[0\]: 100,000,000 units is above the bound of 65,536 units/);
  refused(edited(train, 'training.epochs', 1e15), /the job\.training\.epochs: 1,000,000,000,000,000 epochs is above the bound of 10,000 epochs/);
  refused(edited(train, 'training.batchSize', 1e9), /batchSize: 1,000,000,000 images is above the bound/);
  refused(edited(train, 'mlp.hidden', Array(65).fill(8)), /the job\.mlp\.hidden: 65 layers is above the bound of 64 layers/);
  // within the per-layer bound but not in memory: 784 → 65,536 → 65,536 → 2
  // (6 · 4,346,609,666 parameters + 3 · 128 images · 131,858 units) · 4 bytes = 97.3 GiB
  refused(edited(edited(train, 'training.batchSize', 128) as Job, 'mlp.hidden', [65_536, 65_536]), /train job .* would need about 97\.3 GiB of memory, above the bound of 8 GiB/);
  const many = Array.from({ length: 10_001 }, () => evaluate.evals[0]);
  refused(edited(evaluate, 'evals', many), /the job\.evals: 10,001 evaluations is above the bound of 10,000 evaluations/);
  refused(edited(taggerTrain, 'training.tokens', 9e11), /tokens: 900,000,000,000 tokens is above the bound of 100,000,000 tokens/);
  refused(edited(twins[0], 'training.epochs', 1e15), /the job\.training\.epochs: 1,000,000,000,000,000 epochs is above the bound/);
  refused(edited(twins[1], 'plan.samples', 1e9), /the job\.plan\.samples: 1,000,000,000 samples is above the bound of 10,000 samples/);
  refused(edited(twins[1], 'plan.prune', Array(5000).fill(0.5)), /the job\.plan\.prune: 5,000 levels is above the bound of 1,000 levels/);
  const mtTrain = multitask.find((j) => j.kind === 'train-multitask')!;
  refused(edited(mtTrain, 'training.epochs', 1e15), /the job\.training\.epochs: 1,000,000,000,000,000 epochs is above the bound/);
  // 6 float32 per weight of the 65,536 × 65,536 layer alone: 96 GiB
  refused(edited(mtTrain, 'spec.hidden', [65_536, 65_536]), /train job .* would need about 96 GiB of memory/);
  refused(edited(taggerTrain, 'config.dim', 1_000_000), /the job\.config\.dim: 1,000,000 units is above the bound of 4,096 units/);
  // width 1024, a million words: 1,046,073,357 parameters × 16 bytes + 13,631,488 activations × 4 bytes = 15.6 GiB
  refused(edited(edited(taggerTrain, 'config.dim', 1024) as Job, 'config.vocab', 1_000_000), /train job .* would need about 15\.6 GiB of memory, above the bound of 8 GiB/);
});

test('the memory estimates grow as the sizes say (the MLP\'s parameters counted by hand)', () => {
  // 784 → 64 → 2: 784·64 + 64 + 64·2 + 2 = 50,370 parameters; 128 images × 850 units
  assert.equal(mlpTrainingBytes(784, [64], 2, 128), 4 * (6 * 50_370 + 3 * 128 * 850));
  const c = { vocab: 10, suffixes: 10, shapes: 2, lexicon: 2, maxLen: 8, blocks: 1, dim: 4, heads: 2, ffn: 8, tags: 3 };
  // embeddings (10+10+2+2+8)·4 = 128; block 4·16 + 2·4·8 + 24 + 8 = 160; head 4·3 + 3 = 15
  assert.equal(taggerTrainingBytes(c, 16), 4 * (4 * (128 + 160 + 15) + 16 * 1 * (48 + 24 + 16)));
});

test('the CLI refuses the same sizes as flags, before anything is written', async () => {
  const run = (args: string[]): Promise<string> => new Promise((done) => execFile(process.execPath, [MAIN, ...args], { timeout: 60_000 }, (_e, _o, stderr) => done(String(stderr))));
  const [hidden, tokens, dim, memory] = await Promise.all([
    run(['reproduce', '--hidden', '100000000', '--quiet']),
    run(['transformer', '--train-tokens', '900000000000', '--quiet']),
    run(['transformer', '--dim', '1000000', '--quiet']),
    run(['train', '--pair', '0v7', '--hidden', '65536,65536', '--quiet']),
  ]);
  assert.match(hidden, /^weightscope: option '--hidden <sizes>' argument '100000000' is invalid\. 100,000,000 units is above the bound of 65,536 units/);
  assert.match(tokens, /--train-tokens.*900,000,000,000 tokens is above the bound of 100,000,000 tokens/);
  assert.match(dim, /--dim.*1,000,000 units is above the bound of 4,096 units/);
  assert.match(memory, /^weightscope: training an MLP 784-65536-65536 in batches of 128 would need about 97\.3 GiB of memory/);
});
