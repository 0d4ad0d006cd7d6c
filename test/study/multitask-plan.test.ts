/**
 * The multi-task study as a plan of jobs (src/study/kinds/multitask/): a tiny plan (two MLPs, the
 * --quick measurements) run in-process, on the thread pool and over Redis by 2 `weightscope worker`
 * processes writes the same results.csv bytes and the same networks (Redis: skipped with one line
 * without redis-server); an interrupted run resumes to the same bytes, a finished one changes none; every model
 * has one well-formed row per planned item, and its baseline accuracy and OOD r² are recomputed here
 * from the saved model.json by an independent forward pass.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readResultsLog } from '../../src/core/run-folder.js';
import { loadModel } from '../../src/model/files.js';
import { oodR2, sampleMatrix } from '../../src/stats/index.js';
import { QUICK_PROBES } from '../../src/study/kinds/multitask/config.js';
import { makeTestSet, makeWorld } from '../../src/study/kinds/multitask/data.js';
import { MAX_HELD_OUT } from '../../src/study/kinds/multitask/metrics.js';
import { plannedModels, seedsOf } from '../../src/study/kinds/multitask/plan.js';
import { planOptionsOf, type MultitaskOptions } from '../../src/study/kinds/multitask/study.js';
import { runStudy } from '../../src/study/run.js';
import { redisMissing, startRedis, type RedisInstance } from './redis-server.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

const TINY: Omit<MultitaskOptions, 'out'> = { tasks: [1, 3], noise: [0.2], latentDim: [2], model: ['mlp'], observation: 'rbf', runs: 1, seed: 4, quick: true };

async function runTiny(executor: 'in-process' | 'threads' | { redis: string }, out = join(mkdtempSync(join(tmpdir(), 'ws-mt-plan-')), 'run')): Promise<string> {
  await runStudy('multitask', { ...TINY, out, ...(typeof executor === 'string' ? { executor, workers: 2 } : executor) });
  return out;
}

const bytes = (root: string, ...p: string[]): Buffer => readFileSync(join(root, ...p));

/** ReLU(ReLU(x·W1 + b1)·W2 + b2) and the logits, by plain loops over the saved layers. */
function forward(model: ReturnType<typeof loadModel>, x: Float32Array, n: number): { hidden: Float64Array; logits: Float64Array } {
  let a = Float64Array.from(x);
  let hidden = a;
  model.layers.forEach((l, k) => {
    const [nIn, nOut] = l.shape;
    const o = new Float64Array(n * nOut);
    for (let s = 0; s < n; s++) {
      for (let j = 0; j < nOut; j++) {
        let v = l.bias ? l.bias[j] : 0;
        for (let i = 0; i < nIn; i++) v += a[s * nIn + i] * l.weights[i * nOut + j];
        o[s * nOut + j] = k < model.layers.length - 1 ? Math.max(0, v) : v;
      }
    }
    if (k === model.layers.length - 2) hidden = o;
    a = o;
  });
  return { hidden, logits: a };
}

let inProcess: string;
let threads: string;

describe('the multi-task study as jobs', () => {
  before(async () => {
    inProcess = await runTiny('in-process');
    threads = await runTiny('threads');
  });

  test('one well-formed row per model and item, the baseline rows carrying every metric', () => {
    const rows = readResultsLog(join(inProcess, 'results.jsonl')) as unknown as Record<string, unknown>[];
    assert.equal(rows.length, 2 * (1 + QUICK_PROBES.length));
    const header = bytes(inProcess, 'results.csv').toString().split('\n')[0].split(',');
    for (const col of ['tasks', 'noise', 'latent_dim', 'model', 'seed', 'accuracy', 'ood_r2', 'ood_r2_centre', 'id_r2', 'ccgp', 'parallelism', 'mig', 'dci_disentanglement',
      'active_fraction', 'imbalance_sd_out_z', 'modularity', 'modularity_z', 'percolation_all', 'spectral_alpha']) {
      assert.ok(header.includes(col), `results.csv has no '${col}' column`);
    }
    const base = rows.filter((r) => r.probe === 'baseline');
    assert.deepEqual(base.map((r) => r.tasks), [1, 3]);
    for (const r of base) {
      for (const k of ['accuracy', 'ood_r2', 'ood_r2_centre', 'id_r2', 'ccgp', 'parallelism', 'mig', 'modularity_z', 'spectral_alpha']) {
        assert.equal(typeof r[k], 'number', `${r.task} ${k} = ${r[k]}`);
      }
      assert.ok((r.accuracy as number) > 0.8 && (r.accuracy as number) <= 1, `accuracy ${r.accuracy}`);
      assert.ok((r.mig as number) >= 0 && (r.mig as number) <= 1 && (r.ccgp as number) >= 0 && (r.ccgp as number) <= 1);
      // the paper-form and centre-form OOD r² differ by the centre predictor's ¾ scaled: r2 ≥ r2Centre always
      assert.ok((r.ood_r2 as number) >= (r.ood_r2_centre as number));
    }
    for (const r of rows.filter((x) => x.probe !== 'baseline')) assert.equal(typeof r.accuracy, 'number');
  });

  test('the baseline accuracy and OOD r² are those of the saved network, recomputed independently', () => {
    const rows = readResultsLog(join(inProcess, 'results.jsonl')) as unknown as Record<string, unknown>[];
    const p = planOptionsOf(TINY);
    for (const m of plannedModels(p)) {
      const row = rows.find((r) => r.probe === 'baseline' && r.task === m.slot.task)!;
      const seeds = seedsOf(p, m.spec, m.slot.run);
      const setting = { latentDim: 2, tasks: m.spec.tasks, noise: m.spec.noise, observation: m.spec.observation, steps: 1 };
      const test = makeTestSet(makeWorld(setting, seeds), setting, seeds.test, p.testSamples);
      const model = loadModel(join(inProcess, 'models', m.slot.task, 'run-0'));
      const { hidden, logits } = forward(model, test.clean, test.n);
      let right = 0;
      for (let i = 0; i < logits.length; i++) if ((logits[i] > 0 ? 1 : 0) === test.labels[i]) right++;
      assert.ok(Math.abs((row.accuracy as number) - right / logits.length) < 1e-12, `${m.slot.task}: ${row.accuracy} vs ${right / logits.length}`);
      const ood = oodR2(sampleMatrix(hidden, test.n, hidden.length / test.n), sampleMatrix(test.z, test.n, 2), { seed: seeds.metrics, maxHeldOut: MAX_HELD_OUT });
      assert.ok(Math.abs((row.ood_r2 as number) - ood.r2) < 1e-9 && Math.abs((row.ood_r2_centre as number) - ood.r2Centre) < 1e-9);
    }
  });

  test('in-process and threads: the same results.csv bytes and the same networks', () => {
    assert.ok(bytes(inProcess, 'results.csv').equals(bytes(threads, 'results.csv')), 'results.csv differs between executors');
    for (const task of ['mlp-rbf-d2-k1-s0.2', 'mlp-rbf-d2-k3-s0.2']) {
      assert.deepEqual(loadModel(join(inProcess, 'models', task, 'run-0')), loadModel(join(threads, 'models', task, 'run-0')));
    }
  });

  test('an interrupted run resumes to the same bytes: a lost network is retrained, lost rows are measured again', async () => {
    const copy = join(mkdtempSync(join(tmpdir(), 'ws-mt-resume-')), 'run');
    cpSync(inProcess, copy, { recursive: true });
    const lines = readFileSync(join(copy, 'results.jsonl'), 'utf8').split('\n').filter((l) => l !== '');
    // the K = 3 network and all its rows gone; of the K = 1 network, its probe rows after the first
    const kept = lines.filter((l) => !l.includes('k3-s0.2') && !(l.includes('k1-s0.2') && /"probe":"(noise|signflip|binarize|randomize)"/.test(l)));
    assert.ok(kept.length > 1 && kept.length < lines.length / 2);
    writeFileSync(join(copy, 'results.jsonl'), kept.join('\n') + '\n');
    rmSync(join(copy, 'models', 'mlp-rbf-d2-k3-s0.2'), { recursive: true });
    await runTiny('in-process', copy);
    assert.ok(bytes(copy, 'results.csv').equals(bytes(inProcess, 'results.csv')), 'the resumed results.csv differs');
    assert.deepEqual(loadModel(join(copy, 'models', 'mlp-rbf-d2-k3-s0.2', 'run-0')), loadModel(join(inProcess, 'models', 'mlp-rbf-d2-k3-s0.2', 'run-0')));
  });

  test('a rerun on the finished folder resumes: nothing changes, the report is rebuilt with its claims', async () => {
    const before = bytes(inProcess, 'results.csv');
    await runTiny('in-process', inProcess);
    assert.ok(before.equals(bytes(inProcess, 'results.csv')));
    const html = bytes(inProcess, 'report.html').toString();
    for (const id of ['C1', 'C2', 'C3', 'C4', 'W1', 'W2']) assert.match(html, new RegExp(`>${id}<`));
  });
});

describe('the multi-task study over Redis', { skip: redisMissing('Redis multi-task study test') ?? false }, () => {
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

  test('2 worker processes write the same results.csv bytes and networks as in-process', async () => {
    let log = '';
    for (let k = 0; k < 2; k++) {
      const child = spawn(process.execPath, [MAIN, 'worker', '--redis', redis.url], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.on('data', (d: Buffer) => { log += d; });
      workers.push(child);
    }
    const viaRedis = await runTiny({ redis: redis.url });
    assert.ok(bytes(viaRedis, 'results.csv').equals(bytes(inProcess, 'results.csv')), 'results.csv differs over Redis');
    assert.deepEqual(loadModel(join(viaRedis, 'models', 'mlp-rbf-d2-k3-s0.2', 'run-0')), loadModel(join(inProcess, 'models', 'mlp-rbf-d2-k3-s0.2', 'run-0')));
    assert.match(log, /done train\/mlp-rbf-d2-k3-s0\.2\/run-0 in /);
    assert.match(log, /done eval\/mlp-rbf-d2-k3-s0\.2\/run-0\/0-\d+ in /);
  });
});
