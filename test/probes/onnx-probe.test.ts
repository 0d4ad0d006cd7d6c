import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, UserError, csvToRows, type DenseModel } from '../../src/core/index.js';
import { readOnnx } from '../../src/formats/onnx.js';
import { denseModelToOnnx } from '../../src/formats/onnx-mlp.js';
import { loadMnist, mnistTextLines } from '../../src/data/index.js';
import { createEvaluator, saveNpyArray } from '../../src/model/index.js';
import { agreementOf, macroF1, isDistribution, topClasses } from '../../src/model/output-metrics.js';
import { applyProbe } from '../../src/probes/index.js';
import { probeOnnx, probeTargets } from '../../src/probes/onnx-probe.js';
import { randomModel } from '../model/fixtures.js';
import { PPOCR_REC } from '../formats/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'ws-onnx-probe-'));
const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');

function rejects(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  return assert.rejects(p, (err: unknown) => err instanceof UserError && pattern.test(err.message) && !err.message.includes('\n'));
}

test('agreement, KL and cosine worked by hand', () => {
  // two inputs × two positions × three classes, already distributions
  const ref = { data: Float32Array.from([0.5, 0.25, 0.25, 0.1, 0.8, 0.1, 1, 0, 0, 0.2, 0.2, 0.6]), shape: [2, 2, 3] };
  const probed = { data: Float32Array.from([0.25, 0.5, 0.25, 0.1, 0.8, 0.1, 1, 0, 0, 0.6, 0.2, 0.2]), shape: [2, 2, 3] };
  assert.equal(isDistribution(ref), true);
  const a = agreementOf(ref, probed, true);
  assert.equal(a.agreement, 0.5); // rows 0 and 3 change their top class
  // KL row 0: .5 ln 2 + .25 ln .5 = .25 ln 2; row 3: .2 ln(1/3) + .6 ln 3 = .4 ln 3; rows 1, 2: 0
  assert.ok(Math.abs(a.kl - (0.25 * Math.log(2) + 0.4 * Math.log(3)) / 4) < 1e-7);
  // cosine of input 0: (.125+.125+.0625+.01+.64+.01)/(.375+.66) for both norms² (same multiset), input 1: (1+.12+.04+.12)/(1+.44)
  const c0 = (0.125 + 0.125 + 0.0625 + 0.01 + 0.64 + 0.01) / (0.375 + 0.66);
  const c1 = (1 + 0.12 + 0.04 + 0.12) / 1.44;
  assert.ok(Math.abs(a.cosine - (c0 + c1) / 2) < 1e-6);
  // scores that are not distributions are softmaxed: logits differing by a constant give KL 0
  const logits = { data: Float32Array.from([1, 2, 3, -1, 0, 5]), shape: [2, 3] };
  const shifted = { data: Float32Array.from([11, 12, 13, 9, 10, 15]), shape: [2, 3] };
  assert.equal(isDistribution(logits), false);
  assert.ok(agreementOf(logits, shifted, false).kl < 1e-12);
});

test('macro-F1 worked by hand', () => {
  // labels 0 0 1 1 2 2, predictions 0 1 1 1 2 0: F1(0) = 2·1/(2+1+1) = .5, F1(1) = 2·2/(4+1+0) = .8, F1(2) = 2/(2+0+1) = 2/3
  assert.ok(Math.abs(macroF1(Int32Array.from([0, 1, 1, 1, 2, 0]), [0, 0, 1, 1, 2, 2]) - (0.5 + 0.8 + 2 / 3) / 3) < 1e-12);
  assert.deepEqual(Array.from(topClasses({ data: Float32Array.from([0, 3, 3, 1, 0, 0]), shape: [2, 3] })), [1, 0]); // ties go to the lower index
});

function mnistModel(seed: number): DenseModel {
  return randomModel(new Rng(seed), [784, 32, 10], { activation: 'relu', scale: 4, bias: false });
}

function mnistInputs(n: number): { x: Float32Array; y: Uint8Array; split: { pixels: Uint8Array; labels: Uint8Array; n: number } } {
  const test = loadMnist().test;
  const pixels = test.pixels.subarray(0, n * 784);
  const labels = test.labels.subarray(0, n);
  return { x: Float32Array.from(pixels, (p) => (p / 255) * 2 - 1), y: labels, split: { pixels, labels, n } };
}

test('per-layer prune through ONNX Runtime scores what the evaluator scores for the same probed layer', async () => {
  const model = mnistModel(5);
  const path = join(dir, 'mlp-prune.onnx');
  writeFileSync(path, denseModelToOnnx(model));
  const file = readOnnx(path);
  const { x, y, split } = mnistInputs(400);
  const result = await probeOnnx(file, {
    probe: 'prune', variant: 'reference', signed: false, levels: [0.5, 0.9], layers: 'per-layer',
    inputs: { data: x, shape: [400, 784] }, inputsName: 'mnist', labels: Float32Array.from(y), repeats: 1, seed: 1,
  });
  assert.deepEqual(result.targets.map((t) => t.name), ['dense_0', 'dense_1']); // as `weightscope layers` names them
  assert.equal(result.rows.length, 4);
  const evaluator = createEvaluator(split, 'pm1');
  assert.ok(Math.abs(result.baseline.accuracy - evaluator.accuracy(model)) <= 1 / 400);
  for (const row of result.rows) {
    const layer = row.layer.replace('/kernel', '');
    const expected = evaluator.accuracy(applyProbe(model, { probe: 'prune', variant: 'reference', signed: false, level: row.level, layer }, new Rng(0)));
    assert.ok(Math.abs(row.accuracy - expected) <= 1 / 400, `${row.layer} ${row.level}: ${row.accuracy} vs ${expected}`);
    assert.equal(typeof row.f1, 'number'); // ten classes: macro-F1 too
    assert.equal(row.agreement, undefined);
  }
});

test('random probes: the same seed gives the same rows, another seed other rows', async () => {
  const path = join(dir, 'mlp-noise.onnx');
  writeFileSync(path, denseModelToOnnx(mnistModel(6)));
  const file = readOnnx(path);
  const { x } = mnistInputs(100);
  const run = (seed: number) => probeOnnx(file, {
    probe: 'noise', variant: 'relative', signed: false, levels: [2], layers: 'all', inputs: { data: x, shape: [100, 784] }, inputsName: 'mnist', repeats: 2, seed,
  });
  const [a, b, c] = [await run(1), await run(1), await run(2)];
  assert.deepEqual(a.rows, b.rows);
  assert.equal(a.rows.length, 2);
  assert.notEqual(a.rows[0].seed, a.rows[1].seed);
  assert.notDeepEqual(a.rows.map((r) => r.kl), c.rows.map((r) => r.kl));
  assert.ok(a.rows.every((r) => r.layer === 'all' && r.agreement! < 1 && r.kl! > 0 && r.accuracy === r.agreement));
});

test('PP-OCRv4 recognition on MNIST text lines: a no-op probe agrees exactly, binarizing a layer does not', async () => {
  const file = readOnnx(PPOCR_REC);
  const targets = probeTargets(file);
  assert.ok(targets.some((t) => t.kind === 'dense') && targets.some((t) => t.kind === 'conv'));
  const lines = mnistTextLines(loadMnist().test, 2, { seed: 4 });
  const inputs = { data: lines.data, shape: lines.shape };
  const layer = targets.find((t) => t.kind === 'dense')!.name;
  const common = { variant: 'reference', layers: layer, inputs, inputsName: 'lines', repeats: 1, seed: 1 } as const;
  const none = await probeOnnx(file, { ...common, probe: 'prune', signed: false, levels: [0] });
  assert.deepEqual([none.rows[0].agreement, none.rows[0].kl, none.rows[0].cosine], [1, 0, 1]);
  const bin = await probeOnnx(file, { ...common, probe: 'binarize', signed: true, levels: [0] });
  assert.equal(bin.rows[0].layer, layer);
  assert.ok(bin.rows[0].kl! > 0 && bin.rows[0].cosine! < 1);
  await rejects(probeOnnx(file, { ...common, layers: 'linear_77.w_O', probe: 'prune', signed: false, levels: [0] }), /no layer named 'linear_77\.w_O' \(closest: linear_77\.w_0/);
  await rejects(
    probeOnnx(file, { ...common, inputs: { data: new Float32Array(3 * 32 * 100), shape: [1, 3, 32, 100] }, probe: 'prune', signed: false, levels: [0] }),
    /--inputs of shape \[1, 3, 32, 100\] do not fit the model's input 'x' \[\?, 3, 48, \?\]/,
  );
});

function cli_(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('CLI: probe MODEL.onnx --per-layer writes tidy rows with a layer column and the depth page; bad input is one line, nothing written', () => {
  const path = join(dir, 'cli.onnx');
  writeFileSync(path, denseModelToOnnx(mnistModel(8)));
  const { x, y } = mnistInputs(200);
  saveNpyArray(join(dir, 'x.npy'), x, [200, 784]);
  saveNpyArray(join(dir, 'y.npy'), Float32Array.from(y), [200]);
  const out = join(dir, 'rows.csv');
  const html = join(dir, 'depth.html');
  const ok = cli_(['probe', path, '--inputs', join(dir, 'x.npy'), '--labels', join(dir, 'y.npy'), '--per-layer', '--probe', 'signflip', '--variant', 'random', '--levels', '0.2,0.6', '--repeats', '2', '--seed', '3', '--out', out, '--html', html, '--quiet']);
  assert.equal(ok.code, 0, ok.stderr);
  const rows = csvToRows(readFileSync(out, 'utf8'));
  assert.equal(rows.length, 1 + 2 * 2 * 2);
  assert.deepEqual([...new Set(rows.map((r) => r.layer))], ['all', 'dense_0', 'dense_1']);
  assert.ok(rows.every((r) => typeof r.f1 === 'number' && r.n_test === 200 && r.inputs === 'x.npy'));
  const page = readFileSync(html, 'utf8');
  assert.match(page, /data-series="signflip-random-0\.2"/);
  assert.match(page, /<td>dense_1<\/td>/);

  const bad = join(dir, 'bad.onnx');
  writeFileSync(bad, 'not a model');
  const badOut = join(dir, 'bad.csv');
  for (const args of [
    ['probe', bad, '--inputs', join(dir, 'x.npy'), '--probe', 'binarize', '--out', badOut],
    ['probe', path, '--inputs', join(dir, 'y.npy'), '--probe', 'binarize', '--out', badOut],
    ['probe', path, '--probe', 'binarize', '--out', badOut],
    ['probe', path, '--inputs', join(dir, 'x.npy'), '--layer', 'dense_9/kernel', '--probe', 'binarize', '--out', badOut],
  ]) {
    const r = cli_(args);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^weightscope: /);
  }
  assert.equal(existsSync(badOut), false);
});
