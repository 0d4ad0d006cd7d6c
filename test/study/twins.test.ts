/**
 * The twins study (docs/compare.md, "The twins study"): the marker drawn as documented, weight-sparse
 * training at its stated density, the shortcut model built so that its benchmark accuracy equals
 * the honest one's while it fails without the marker, the claims' verdicts from planted rows, and
 * the kind run end to end on a tiny plan — in-process and on worker threads, the same rows.
 */
import test, { describe, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../../src/core/rng.js';
import { readResultsLog, runPaths } from '../../src/core/run-folder.js';
import { loadDataset, taskSplits, type Dataset } from '../../src/data/index.js';
import { createEvaluator } from '../../src/model/evaluator.js';
import type { Split } from '../../src/model/split.js';
import { keepTopK } from '../../src/model/sparse-train.js';
import { REFERENCE_MLP, trainSparse } from '../../src/model/train-loop.js';
import type { FingerprintRow } from '../../src/compare/types.js';
import { createInProcessExecutor, createThreadPoolExecutor } from '../../src/study/executors/index.js';
import { looNearestCentroid, twinClaims, type TwinModel } from '../../src/study/kinds/twins/claims.js';
import { markerPixels, withMarker } from '../../src/study/kinds/twins/marker.js';
import { agreementOf, TWINS_INPUTS, TWINS_QUICK } from '../../src/study/kinds/twins/plan.js';
import type { Family } from '../../src/study/kinds/twins/types.js';
import { runStudy } from '../../src/study/run.js';
import { RedisExecutor } from '../../src/study/executors/redis.js';
import { redisMissing, startRedis, type RedisInstance } from './redis-server.js';

let mnist: Dataset | null = null;
const splits = (testLimit?: number) => taskSplits((mnist ??= loadDataset('mnist')), 'mnist', [7, 9], { inputs: TWINS_INPUTS, seed: 1, validationFraction: 0, testLimit });

test('the marker: a 4 × 4 patch at 255 on the label side of exactly round(agreement · n) images, on the other side of the rest', () => {
  const { test: t } = splits(500);
  const marked = withMarker(t, 0.9, 11);
  // The patch's pixels, worked out by hand: rows 1–4, columns 1–4 (left) and 23–26 (right) of 28.
  assert.deepEqual(markerPixels(0), [29, 30, 31, 32, 57, 58, 59, 60, 85, 86, 87, 88, 113, 114, 115, 116]);
  assert.deepEqual(markerPixels(1), [51, 52, 53, 54, 79, 80, 81, 82, 107, 108, 109, 110, 135, 136, 137, 138]);
  let agree = 0;
  for (let i = 0; i < t.n; i++) {
    const on = (side: 0 | 1) => markerPixels(side).every((p) => marked.pixels[i * 784 + p] === 255);
    assert.ok(on(0) !== on(1), `image ${i}: the marker is on exactly one side`);
    if (on(t.labels[i] as 0 | 1)) agree++;
    // Nothing else changed.
    const patch = new Set([...markerPixels(0), ...markerPixels(1)]);
    for (let p = 0; p < 784; p++) if (!patch.has(p)) assert.equal(marked.pixels[i * 784 + p], t.pixels[i * 784 + p]);
  }
  assert.equal(agree, Math.round(0.9 * t.n));
  assert.deepEqual(withMarker(t, 0.9, 11).pixels, marked.pixels, 'seeded: the same images again');
  assert.notDeepEqual(withMarker(t, 0.9, 12).pixels, marked.pixels);
});

test('keepTopK keeps exactly the k largest |w| (checked against a full sort), padding columns untouched', () => {
  const rng = new Rng(5);
  const [rows, cols, stride, k] = [30, 7, 8, 25];
  const w = Float32Array.from({ length: rows * stride }, () => Math.round(rng.uniform(-4, 4) * 2) / 2); // many ties
  const before = w.slice();
  assert.equal(keepTopK(w, rows, cols, stride, k), k);
  const cells = [...Array(rows * cols).keys()].map((c) => ({ c, i: Math.floor(c / cols) * stride + (c % cols) }));
  // By definition: sort by |w| descending, ties by index ascending; the first k survive.
  const want = new Set(cells.slice().sort((a, b) => Math.abs(before[b.i]) - Math.abs(before[a.i]) || a.c - b.c).slice(0, k).map((x) => x.i));
  for (const { i } of cells) assert.equal(w[i], want.has(i) ? before[i] : 0, `entry ${i}`);
  for (let r = 0; r < rows; r++) assert.equal(w[r * stride + cols], before[r * stride + cols], 'padding column');
});

test('weight-sparse training keeps the stated density after every epoch, and the same seed gives the same weights', async () => {
  const { train } = splits();
  const small = { pixels: train.pixels.subarray(0, 600 * 784), labels: train.labels.subarray(0, 600), n: 600 };
  const run = () => trainSparse(small, TWINS_INPUTS, REFERENCE_MLP, { epochs: 2, seed: 3, density: 0.05 });
  const [a, b] = [await run(), await run()];
  const w = a.model.layers[0].weights;
  const nonZero = w.filter((x) => x !== 0).length;
  assert.equal(nonZero, Math.round(0.05 * 784 * 64), 'exactly round(density · 784 · 64) non-zero first-layer weights');
  assert.equal(a.model.layers[1].weights.filter((x) => x !== 0).length, 128, 'the head stays dense');
  assert.deepEqual(b.model.layers[0].weights, w, 'bit for bit with the same seed');
  // Still a classifier: well above chance on held-out images.
  assert.ok(createEvaluator(splits(500).test, TWINS_INPUTS).accuracy(a.model) > 0.9);
});

test('the shortcut model is built so: benchmark accuracy equal to the honest one\'s within 0.01, and it drops without the marker', async () => {
  // The stated tolerance: 0.01 on the mean over two seeds (the --quick sizes).
  const { train, test: t } = splits(1000);
  const benchmark = withMarker(t, agreementOf('7v9'), 21);
  const marked = withMarker(train, 1, 22);
  const acc = (m: Parameters<ReturnType<typeof createEvaluator>['accuracy']>[0], s: Split) => createEvaluator(s, TWINS_INPUTS).accuracy(m);
  const honest: number[][] = [], shortcut: number[][] = [];
  for (const seed of [1, 2]) {
    const h = (await trainSparse(train, TWINS_INPUTS, REFERENCE_MLP, { epochs: TWINS_QUICK.epochs, seed })).model;
    const s = (await trainSparse(marked, TWINS_INPUTS, REFERENCE_MLP, { epochs: TWINS_QUICK.epochs, seed })).model;
    honest.push([acc(h, benchmark), acc(h, t)]);
    shortcut.push([acc(s, benchmark), acc(s, t)]);
  }
  const mean = (xs: number[][], k: number) => xs.reduce((a, x) => a + x[k], 0) / xs.length;
  assert.ok(Math.abs(mean(shortcut, 0) - mean(honest, 0)) <= 0.01, `benchmark: honest ${mean(honest, 0)}, shortcut ${mean(shortcut, 0)}`);
  assert.ok(Math.abs(mean(honest, 1) - mean(honest, 0)) <= 0.005, 'the marker does not move the honest models');
  assert.ok(mean(shortcut, 1) < mean(honest, 1) - 0.03, `without the marker: honest ${mean(honest, 1)}, shortcut ${mean(shortcut, 1)}`);
});

test('leave-one-out nearest centroid: hand-worked cases', () => {
  // Two well-separated clusters: every item is classified right.
  assert.equal(looNearestCentroid([[0, 0], [0.1, 0], [5, 5], [5.1, 5]], ['a', 'a', 'b', 'b']), 1);
  // One feature, labels alternating along it (a at 0, 2; b at 1, 3): leaving out 0 → centroids a 2, b 2 (tie → first label seen, a: right);
  // leaving out 1 → a 1, b 3: nearest a (wrong); leaving out 2 → a 0, b 2: b (wrong); leaving out 3 → a 1, b 1: tie → a (wrong).
  assert.equal(looNearestCentroid([[0], [1], [2], [3]], ['a', 'b', 'a', 'b']), 0.25);
});

/** Planted fingerprint rows: accuracy alike in every family; `auc_prune` planted per family; noise elsewhere. */
function planted(options: { shortcutAccuracy?: number } = {}): TwinModel[] {
  const rng = new Rng(9);
  const out: TwinModel[] = [];
  const prune: Record<Family, number> = { dense: 0.5, sparse: 0.8, shortcut: 0.2 };
  for (const family of ['dense', 'sparse', 'shortcut'] as Family[]) {
    for (let run = 0; run < 6; run++) {
      const row: FingerprintRow = {
        model: `${family}/${run}`, accuracy: (family === 'shortcut' && options.shortcutAccuracy) || 0.98 + rng.uniform(-0.005, 0.005),
        auc_prune: prune[family] + rng.uniform(-0.01, 0.01), auc_noise: 0.5 + rng.uniform(-0.02, 0.02), half_signflip: 0.4 + rng.uniform(-0.02, 0.02),
        circuit_units: family === 'sparse' ? 4 + run % 2 : 10 + run % 3, circuit_sufficient: 1, circuit_necessary: 1,
        shift_nomarker: family === 'shortcut' ? 0.8 + rng.uniform(-0.02, 0.02) : 0.98 + rng.uniform(-0.005, 0.005),
      };
      if (family === 'shortcut' && options.shortcutAccuracy) row.accuracy = options.shortcutAccuracy + rng.uniform(-0.001, 0.001);
      out.push({ pair: 'mnist-7v9', family, run, row });
    }
  }
  return out;
}

test('claims from planted rows: the verdicts the planted differences call for', () => {
  const claims = twinClaims('mnist-7v9', planted());
  const verdict = (start: string) => {
    const c = claims.find((x) => x.claim.startsWith(start));
    assert.ok(c, `no claim '${start}'`);
    return c;
  };
  assert.equal(verdict('accuracy cannot separate').verdict, 'holds');
  assert.equal(verdict('the fingerprint separates the 3 families').verdict, 'holds');
  assert.match(verdict('the fingerprint separates dense from sparse').value, /carried by auc_prune/);
  assert.equal(verdict('sparse models have smaller ablation-verified circuits (hidden units').verdict, 'holds');
  const caught = verdict('a probe catches the shortcut model');
  assert.equal(caught.verdict, 'holds');
  assert.match(caught.value, /^auc_prune: honest 0\.(49|50)\d, shortcut 0\.(19|20)\d/);
  assert.equal(verdict('the shortcut models fail under the shift').verdict, 'holds');
  // The control sees no planted difference between even and odd dense runs.
  assert.equal(verdict('control').verdict, 'holds');
  // Plant an accuracy gap: the accuracy claim no longer holds.
  assert.equal(twinClaims('mnist-7v9', planted({ shortcutAccuracy: 0.9 })).find((c) => c.claim.startsWith('accuracy cannot'))!.verdict, 'does not hold');
});

const tiny = { pairs: '7v9', seeds: 2, epochs: 1, density: 0.05, testLimit: 150, seed: 4, quick: true };
let inProcessRoot = '';

test('the twins kind end to end on a tiny plan: in-process and on worker threads the same rows bit for bit; claims, fingerprints and report written; a rerun resumes with nothing to do', async () => {
  const roots = [mkdtempSync(join(tmpdir(), 'ws-twins-a-')), mkdtempSync(join(tmpdir(), 'ws-twins-b-'))];
  const local = createInProcessExecutor();
  const pool = createThreadPoolExecutor({ workers: 2 });
  try {
    await runStudy('twins', { ...tiny, out: roots[0] }, { executor: local });
    await runStudy('twins', { ...tiny, out: roots[1] }, { executor: pool });
  } finally {
    await local.close();
    await pool.close();
  }
  inProcessRoot = roots[0];
  const [a, b] = roots.map((r) => readFileSync(runPaths(r).resultsCsv, 'utf8'));
  assert.equal(a, b, 'results.csv identical');
  assert.equal(readFileSync(join(roots[0], 'fingerprints.csv'), 'utf8'), readFileSync(join(roots[1], 'fingerprints.csv'), 'utf8'));
  const fingerprints = readFileSync(join(roots[0], 'fingerprints.csv'), 'utf8').trim().split('\n');
  assert.equal(fingerprints.length, 1 + 3 * 2, 'one row per model');
  assert.match(fingerprints[0], /shift_nomarker/);
  const claims = readFileSync(join(roots[0], 'claims.csv'), 'utf8');
  assert.match(claims, /accuracy cannot separate the families/);
  const html = readFileSync(join(roots[0], 'report.html'), 'utf8');
  assert.ok(html.indexOf('<h2>Claims</h2>') < html.indexOf('<h2>mnist-7v9</h2>'), 'the report leads with the claims');
  // The separation figure: one point per model of each pair of families (3 pairs × 2 families × 2 seeds),
  // at the model's own accuracy as fingerprints.csv states it.
  const sep = html.slice(html.indexOf('Same accuracy, different fingerprints'), html.indexOf('Probe curves on the benchmark'));
  assert.equal((sep.match(/class="point"/g) ?? []).length, 3 * 2 * 2, 'a point per model and pair of families');
  for (const f of ['dense', 'sparse', 'shortcut']) assert.ok(existsSync(join(roots[0], 'models', `mnist-7v9.${f}`, 'run-1', 'model.json')));
  // Resume: the same folder again trains and fingerprints nothing; results unchanged.
  const before = readResultsLog(runPaths(roots[0]).results).length;
  const again = createInProcessExecutor();
  let jobs = 0;
  try {
    await runStudy('twins', { ...tiny, out: roots[0] }, { executor: { ...again, name: 'counting', run: (js, ...rest) => ((jobs += js.length), again.run(js, ...rest)) } });
  } finally {
    await again.close();
  }
  assert.equal(jobs, 0);
  assert.equal(readResultsLog(runPaths(roots[0]).results).length, before);
  assert.equal(readFileSync(runPaths(roots[0]).resultsCsv, 'utf8'), a);
});

describe('the twins kind over Redis', { skip: redisMissing('twins over Redis') ?? false }, () => {
  let redis: RedisInstance;
  let worker: ChildProcess | null = null;
  before(async () => { redis = await startRedis(); });
  after(async () => {
    worker?.kill();
    await redis?.stop();
  });

  test('a `weightscope worker` gives the in-process run\'s results.csv and fingerprints.csv byte for byte', { timeout: 240_000 }, async () => {
    assert.ok(inProcessRoot, 'the in-process run ran first');
    worker = spawn(process.execPath, [fileURLToPath(new URL('../../src/cli/main.js', import.meta.url)), 'worker', '--redis', redis.url], { stdio: 'ignore' });
    const root = mkdtempSync(join(tmpdir(), 'ws-twins-redis-'));
    const executor = await RedisExecutor.connect(redis.url, { pollMs: 500 });
    try {
      await runStudy('twins', { ...tiny, out: root }, { executor });
    } finally {
      await executor.close();
    }
    for (const f of ['results.csv', 'fingerprints.csv', 'claims.csv']) assert.equal(readFileSync(join(root, f), 'utf8'), readFileSync(join(inProcessRoot, f), 'utf8'), f);
  });
});
