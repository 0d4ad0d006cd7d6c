/**
 * The tagger study as a plan of study jobs (src/study/kinds/tagger/): a tiny
 * study (one 1-block tagger, a few hundred training tokens, the --quick items) run in-process, on
 * the thread pool and over Redis by 2 `weightscope worker` processes gives the same sorted rows and
 * the same tagger bytes. The in-process run is checked against the model library called directly
 * (the tagger trained from the seed the plan derives, its unprobed row scored by tagSentences).
 * The Redis part skips with one line where redis-server is not installed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../src/core/errors.js';
import { rowKey, type ResultRow } from '../../src/core/results.js';
import { readResultsLog } from '../../src/core/run-folder.js';
import { deriveSeed } from '../../src/core/rng.js';
import { defaultBrownDir, loadTagging, taskScores } from '../../src/data/brown.js';
import { selectBackend } from '../../src/model/backend.js';
import { initTransformer, packBatch } from '../../src/model/transformer/model.js';
import { loadTransformer } from '../../src/model/transformer/files.js';
import { DEFAULT_TAGGER_TRAIN, tagSentences, trainTagger } from '../../src/model/transformer/train.js';
import { evaluationSample, MAX_LEN, MIN_WORD_COUNT, taggerConfig } from '../../src/study/kinds/tagger/config.js';
import type { TaggerStudyOptions } from '../../src/study/kinds/tagger/study.js';
import { deserializeSentences, deserializeTagger, serializeSentences, serializeTagger } from '../../src/study/kinds/tagger/blobs.js';
import { taggerStudyItems, taggerEvalJobs } from '../../src/study/kinds/tagger/plan.js';
import { rebuildReport, runStudy } from '../../src/study/run.js';
import { redisMissing, startRedis, type RedisInstance } from './redis-server.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function smallCorpus(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ws-brown-plan-'));
  for (const g of 'ajn') for (let k = 1; k <= 5; k++) copyFileSync(join(defaultBrownDir(), `c${g}0${k}`), join(dir, `c${g}0${k}`));
  return dir;
}

const corpus = smallCorpus();
const TINY = { blocks: 1, dim: 8, heads: 2, ffn: 16, runs: 1, trainTokens: 300, evalTokens: 100, lr: 1.5e-2, seed: 5, task: 'upos' as const, quick: true };

async function runTiny(flags: Partial<Pick<TaggerStudyOptions, 'executor' | 'workers' | 'redis'>>): Promise<{ out: string; rows: ResultRow[]; weights: Buffer }> {
  const out = join(mkdtempSync(join(tmpdir(), 'ws-tr-plan-')), 'run');
  await runStudy('tagger', { ...TINY, dataDir: corpus, out, ...flags });
  const rows = readResultsLog(join(out, 'results.jsonl')).sort((a, b) => rowKey(a).localeCompare(rowKey(b)));
  return { out, rows, weights: readFileSync(join(out, 'models', 'brown-upos', 'run-0', 'weights.bin')) };
}

/** The window-MLP baseline's scores (its record also holds wall seconds). */
function windowBaseline(out: string): { evaluation: unknown; test: unknown } {
  const { evaluation, test } = JSON.parse(readFileSync(join(out, 'models', 'brown-upos', 'window-mlp.json'), 'utf8'));
  return { evaluation, test };
}

let inProcess: Awaited<ReturnType<typeof runTiny>>;

describe('the transformer study as jobs', () => {
  before(async () => {
    inProcess = await runTiny({ executor: 'in-process' });
  });

  test('in-process: one row per planned item; the tagger is the one the model library trains from the derived seed', async () => {
    const plan = taggerStudyItems({ blocks: TINY.blocks, runs: 1, seed: TINY.seed, task: 'brown-upos', quick: true });
    assert.equal(inProcess.rows.length, plan.length);
    assert.deepEqual(new Set(inProcess.rows.map(rowKey)).size, plan.length);

    // The same training, outside the study: same data, config, settings and the seed of run 0.
    await selectBackend();
    const data = loadTagging({ dir: corpus, task: 'upos', maxLen: MAX_LEN, minCount: MIN_WORD_COUNT });
    const model = initTransformer(taggerConfig(data, TINY), deriveSeed(TINY.seed, 'train', 'brown-upos', 0));
    trainTagger(model, data.train, { ...DEFAULT_TAGGER_TRAIN, tokens: TINY.trainTokens, lr: TINY.lr, seed: deriveSeed(TINY.seed, 'train', 'brown-upos', 0) });
    assert.deepEqual(loadTransformer(join(inProcess.out, 'models', 'brown-upos', 'run-0')).model, model, 'the saved tagger differs from the one trained directly');

    // Its unprobed row: the tagger scored on the evaluation sample.
    const evaluation = evaluationSample(data.test, TINY.evalTokens);
    const s = taskScores('upos', evaluation.map((x) => x.tag), tagSentences(model, evaluation));
    const base = inProcess.rows.find((r) => r.probe === 'baseline' && r.variant === 'reference')!;
    assert.equal(base.accuracy, s.accuracy);
    assert.equal(base.n_test, s.n);
  });

  test('the thread pool (2 workers) gives the same rows, tagger bytes and window-MLP baseline as in-process', async () => {
    const threads = await runTiny({ executor: 'threads', workers: 2 });
    assert.deepEqual(threads.rows, inProcess.rows);
    assert.ok(threads.weights.equals(inProcess.weights), 'tagger bytes differ');
    assert.deepEqual(windowBaseline(threads.out), windowBaseline(inProcess.out));
    // results.csv is written in plan order, whatever order the jobs finished in
    assert.equal(readFileSync(join(threads.out, 'results.csv'), 'utf8'), readFileSync(join(inProcess.out, 'results.csv'), 'utf8'));
  });

  test('weightscope report rebuilds the tagger report of a tagger run folder (its kind from run.json), from the folder\'s files', async () => {
    const report = join(inProcess.out, 'report.html');
    const written = readFileSync(report, 'utf8');
    rmSync(report);
    assert.equal(await rebuildReport(inProcess.out), report);
    const rebuilt = readFileSync(report, 'utf8');
    // The tagger report (layer names of the tagger, its baselines), not the MLP study's.
    for (const html of [written, rebuilt]) assert.match(html, /block0\.attn\.q/);
    assert.match(rebuilt, /window/i);
    const run = JSON.parse(readFileSync(join(inProcess.out, 'run.json'), 'utf8'));
    assert.deepEqual([run.kind, run.command, run.formatVersion, run.status], ['tagger', 'transformer', 1, 'complete']);
    const training = JSON.parse(readFileSync(join(inProcess.out, 'models', 'brown-upos', 'run-0', 'training.json'), 'utf8'));
    assert.deepEqual([training.formatVersion, training.model, training.engine, training.backend.name], [1, 'tagger', 'tagger', run.backend.name], 'trained on the backend the run resolved');
    assert.deepEqual(run.models.map((m: { seed: number }) => m.seed), [training.seed]);
  });
});

describe('the transformer study over Redis', { skip: redisMissing('Redis transformer-study test') ?? false }, () => {
  let redis: RedisInstance;
  const workers: ChildProcess[] = [];
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGTERM');
    await Promise.all(workers.map((w) => (w.exitCode === null && w.signalCode === null ? new Promise((r) => w.once('exit', r)) : null)));
    await redis?.stop();
  });

  test('2 worker processes give the same rows and tagger bytes as in-process', async () => {
    const logs: string[] = [];
    for (let k = 0; k < 2; k++) {
      const child = spawn(process.execPath, [MAIN, 'worker', '--redis', redis.url], { stdio: ['ignore', 'pipe', 'pipe'] });
      let log = '';
      child.stdout!.on('data', (d: Buffer) => { log += d; logs[k] = log; });
      workers.push(child);
    }
    const viaRedis = await runTiny({ redis: redis.url });
    assert.deepEqual(viaRedis.rows, inProcess.rows);
    assert.ok(viaRedis.weights.equals(inProcess.weights), 'tagger bytes differ');
    assert.deepEqual(windowBaseline(viaRedis.out), windowBaseline(inProcess.out));
    // the jobs ran on the workers, by their stable ids
    const done = logs.join('\n');
    assert.match(done, /done train\/brown-upos\/run-0 in /);
    assert.match(done, /done train\/brown-upos\/window-mlp in /);
    assert.match(done, /done eval\/brown-upos\/run-0\/0-3 in /);
  });
});

test('tagger and sentence blobs round-trip exactly; a blob of another kind or a truncated one is a UserError', () => {
  const data = loadTagging({ dir: corpus, task: 'upos', maxLen: MAX_LEN, minCount: MIN_WORD_COUNT });
  const model = initTransformer(taggerConfig(data, TINY), 9);
  const back = deserializeTagger(serializeTagger(model));
  assert.deepEqual(back, model);
  const batch = packBatch(data.test.slice(0, 20));
  assert.deepEqual(deserializeSentences(serializeSentences(batch)), batch);
  assert.throws(() => deserializeTagger(serializeSentences(batch)), (e: Error) => e instanceof UserError && /not a 'weightscope-tagger' blob/.test(e.message));
  const bytes = serializeTagger(model);
  assert.throws(() => deserializeTagger(bytes.subarray(0, bytes.length - 4)), UserError);
  // eval job ids index the model's plan; chunks of 4, the last one shorter
  const plan = taggerStudyItems({ blocks: 1, runs: 1, seed: 1, task: 'brown-upos', quick: true });
  const jobs = taggerEvalJobs({ task: 'brown-upos', tagTask: 'upos', backend: 'wasm' }, 0, 'm', 'e', plan);
  assert.deepEqual(jobs.map((j) => j.id).slice(0, 2), ['eval/brown-upos/run-0/0-3', 'eval/brown-upos/run-0/4-7']);
  assert.equal(jobs.flatMap((j) => j.items).length, plan.length);
  assert.equal(jobs[jobs.length - 1].id, `eval/brown-upos/run-0/${Math.floor((plan.length - 1) / 4) * 4}-${plan.length - 1}`);
});
