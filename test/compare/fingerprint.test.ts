import test, { before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Rng, deriveSeed, type DenseModel } from '../../src/core/index.js';
import { summarizeCurve, curveFeatures } from '../../src/compare/features.js';
import { fingerprintMlp, fingerprintWeights, chanceLevel } from '../../src/compare/fingerprint.js';
import { fingerprintCppn } from '../../src/compare/cppn.js';
import { FINGERPRINT_ID_COLUMNS } from '../../src/compare/types.js';
import { createEvaluator, predictOne, selectBackend, splitInputs, testBatchCount, trainMlp, type Split } from '../../src/model/index.js';
import { openCppn } from '../../src/model/cppn-file.js';
import { applyProbe, probedModel, type ProbeSpec } from '../../src/probes/index.js';
import { percolationBySign, spectralStats } from '../../src/stats/index.js';
import { packageRoot } from '../../src/data/ssim.js';
import { mnistPair } from '../model/fixtures.js';

const close = (a: number, b: number, tol = 1e-12, what = ''): void => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b}`);

test('curve summaries, worked by hand: trapezoid area over the axis range, the halfway level interpolated', () => {
  const lin = { axis: 'linear' as const, points: [{ level: 0, metric: 1 }, { level: 0.5, metric: 0.8 }, { level: 1, metric: 0.2 }] };
  // area 0.5·0.9 + 0.5·0.5 = 0.7; halfway (0.5) between 0.8 at 0.5 and 0.2 at 1: 0.75
  const s = summarizeCurve(lin, 1, 0);
  close(s.auc, 0.7);
  close(s.half!, 0.75);
  // on a log2 axis: x = −3, −2, −1, 0; area 0.9 + 0.6 + 0.2 = 1.7 over 3; halfway (0.5) at x = −2 + 2/3
  const log = { axis: 'log2' as const, points: [{ level: 1 / 8, metric: 0.9 }, { level: 1 / 4, metric: 0.9 }, { level: 1 / 2, metric: 0.3 }, { level: 1, metric: 0.1 }] };
  const t = summarizeCurve(log, 0.9, 0.1);
  close(t.auc, 1.7 / 3);
  close(t.half!, 2 ** (-4 / 3));
  close(summarizeCurve(lin, 1, 0.1).half!, 0.5 + 0.5 * ((0.8 - 0.55) / 0.6), 1e-12, 'chance moves the halfway mark');
  assert.equal(summarizeCurve({ axis: 'linear', points: [{ level: 0, metric: 1 }, { level: 1, metric: 0.9 }] }, 1, 0).half, 1, 'never halfway: censored at the last level');
  assert.equal(summarizeCurve({ axis: 'linear', points: [{ level: 0, metric: 0.4 }, { level: 1, metric: 0.3 }] }, 1, 0).half, 0, 'already below: the first level');
  assert.equal(summarizeCurve(lin, 0.5, 0.5).half, null, 'a baseline at chance has no halfway point');
  assert.deepEqual(curveFeatures([{ key: 'binarize', probe: 'binarize', variant: 'reference', axis: 'linear', points: [{ level: 0, metric: 0.7 }] }], 1, 0), { at_binarize: 0.7 });
  assert.throws(() => summarizeCurve({ axis: 'log2', points: [{ level: 0, metric: 1 }] }, 1, 0), /levels > 0/);
});

let model: DenseModel;
let split: Split;
before(async () => {
  await selectBackend();
  split = mnistPair('t10k', 7, 9, 400);
  model = (await trainMlp(mnistPair('train', 7, 9, 1500), 'pm1', { inputSize: 784, hidden: [16], activation: 'relu', head: 'softmax' }, { seed: 3, epochs: 1 })).model;
});

/** Accuracy by the plain float64 forward pass (predict.ts), the reference the evaluator is tested against. */
function plainAccuracy(m: DenseModel, s: Split = split): number {
  const x = splitInputs(s, 'pm1');
  let correct = 0;
  for (let k = 0; k < s.n; k++) if (predictOne(m, x.subarray(k * 784, (k + 1) * 784)) === s.labels[k]) correct++;
  return correct / s.n;
}

const plan = { prune: [0, 0.5, 0.9], noise: [0.01, 0.1, 1], signflip: [0, 0.5, 1], randomize: ['B'], randomizeLevels: [0, 0.5], samples: 4 };

test('an MLP fingerprint: each feature against the model evaluated independently', () => {
  const fp = fingerprintMlp(model, { test: split, inputs: 'pm1', name: 'mnist-7v9 sample', task: 'mnist-7v9' }, { plan, seed: 5, name: 'm' });
  const r = fp.row;
  assert.deepEqual(Object.keys(r).slice(0, FINGERPRINT_ID_COLUMNS.length), [...FINGERPRINT_ID_COLUMNS]);
  assert.equal(r.kind, 'mlp');
  assert.equal(r.chance, chanceLevel(split.labels));
  assert.equal(r.accuracy, createEvaluator(split, 'pm1').accuracy(model));
  const spec = (probe: ProbeSpec['probe'], level: number): ProbeSpec => ({ probe, variant: 'reference', level, signed: probe === 'binarize', layer: 'all' });
  // deterministic probes: the probed model's accuracy by the plain forward pass (float32 vs float64 sums may flip one image)
  close(Number(r.at_binarize), plainAccuracy(applyProbe(model, spec('binarize', 0), new Rng(0))), 1.5 / split.n, 'binarize');
  const prune = fp.curves.find((c) => c.key === 'prune')!;
  close(prune.points[1].metric, plainAccuracy(applyProbe(model, spec('prune', 0.5), new Rng(0))), 1.5 / split.n, 'prune 0.5');
  // a random probe: the evaluation `weightscope probe --seed S` makes (per-batch draws from deriveSeed(S, 'test-batch', b))
  const noise = fp.curves.find((c) => c.key === 'noise')!;
  const seed = deriveSeed(5, 'fingerprint', 'noise', 'reference', 0.1);
  const [{ accuracy }] = createEvaluator(split, 'pm1').measure([probedModel(model, spec('noise', 0.1), seed, testBatchCount(split.n))]);
  assert.equal(noise.points[1].metric, accuracy, 'noise 0.1');
  // shifts: the images changed by hand
  const inverted = { ...split, pixels: split.pixels.map((p) => 255 - p) };
  close(Number(r.shift_invert), plainAccuracy(model, inverted), 1.5 / split.n, 'invert');
  // ablation: the unit's outgoing weights zeroed
  for (const u of [0, 7, 15]) {
    const w = model.layers[1].weights.slice();
    w.fill(0, u * 2, u * 2 + 2);
    const without: DenseModel = { layers: [model.layers[0], { ...model.layers[1], weights: w }] };
    close(fp.ablation[u].drop, plainAccuracy(model) - plainAccuracy(without), 1e-12, `unit ${u}`);
  }
  close(Number(r.ablation_mean_drop), fp.ablation.reduce((s, a) => s + a.drop, 0) / 16, 1e-12);
  // graph statistics: the definitions of docs/statistics.md
  const l0 = model.layers[0];
  assert.equal(r.density_l0, 1);
  close(Number(r.pc_all_l0), percolationBySign(l0).all.critical.susceptibility.fractionRemoved, 1e-12, 'pc_all');
  close(Number(r.alpha_l0), spectralStats(l0).alpha, 1e-9, 'alpha');
  assert.ok(typeof r.z_nodf_pos_l0 === 'number');
  assert.equal(r.parts, 'probes;shift;ablation;circuit;graph');
});

test('a fingerprint is a function of the model, data and seed: random features change with the seed, the others do not', () => {
  const data = { test: split, inputs: 'pm1' as const, name: 'sample' };
  const a = fingerprintMlp(model, data, { plan, seed: 1 }).row;
  assert.deepEqual(fingerprintMlp(model, data, { plan, seed: 1 }).row, a);
  const b = fingerprintMlp(model, data, { plan, seed: 2 }).row;
  for (const k of ['accuracy', 'auc_prune', 'at_binarize', 'auc_signflip', 'ablation_mean_drop', 'circuit_units', 'alpha_l0', 'pc_all_l0']) assert.equal(b[k], a[k], k);
  assert.notEqual(b.auc_noise, a.auc_noise, 'noise is drawn from the seed');
  assert.notEqual(b.z_nodf_pos_l0, a.z_nodf_pos_l0, 'null samples are drawn from the seed');
});

test('a model that cannot run: the graph statistics only, saying why', () => {
  const fp = fingerprintWeights(model.layers, 'a test', { name: 'w', plan: { nullModel: null } });
  assert.equal(fp.row.kind, 'weights');
  assert.equal(fp.row.parts, 'graph');
  assert.match(String(fp.row.missing), /probes, shift, ablation, circuit: a test/);
  assert.ok(!('accuracy' in fp.row) && 'alpha_l1' in fp.row && !('z_nodf_pos_l0' in fp.row));
  assert.equal(fp.evidence, null);
  // null samples of large layers take seconds each: above 2¹⁸ weights the z-scores are left out, saying so
  const rng = new Rng(3);
  const big = { name: 'big', shape: [520, 512] as [number, number], weights: Float32Array.from({ length: 520 * 512 }, () => rng.normal()), bias: null };
  const small = { name: 'small', shape: [512, 3] as [number, number], weights: Float32Array.from({ length: 512 * 3 }, () => rng.normal()), bias: null };
  const two = fingerprintWeights([big, small], 'weights only', { plan: { samples: 2 } }).row;
  assert.ok(!('z_nodf_pos_l0' in two) && 'alpha_l0' in two && typeof two.z_nodf_pos_l1 === 'number');
  assert.match(String(two.missing), /z-scores of 1 layer over 262144 weights \(big\)/);
});

test('a FER network: SSIM in place of accuracy; units without outgoing weights are silent and never in the circuit', () => {
  const cppn = openCppn(join(packageRoot(), 'data', 'fer', 'picbreeder_butterfly.npz'));
  const fp = fingerprintCppn(cppn, { seed: 1, plan: { size: 24, sweepSample: 4, samples: 2, probes: { prune: [0, 0.5, 0.95], noise: [0.01, 0.1], signflip: [0, 1], randomize: ['B'], seeds: 1 } } });
  const r = fp.row;
  assert.equal(r.kind, 'cppn');
  assert.equal(r.metric, 'ssim');
  assert.equal(r.at_randomize_B !== undefined && r.auc_prune !== undefined, true);
  const silentByWiring: string[] = [];
  for (let k = 1; k < cppn.layers.length; k++) {
    const l = cppn.layers[k];
    for (let u = 0; u < l.shape[0]; u++) {
      let out = 0;
      for (let j = 0; j < l.shape[1]; j++) if (l.weights[u * l.shape[1] + j] !== 0) out++;
      if (out === 0) silentByWiring.push(`${k - 1}:${u}`);
    }
  }
  assert.equal(r.ablation_units, 368);
  assert.ok(Number(r.ablation_silent) >= silentByWiring.length / 368, 'at least the units with no outgoing weight change nothing');
  const c = fp.circuits[0];
  const members = new Set(c.units!.map((u) => `${u.layer}:${u.unit}`));
  assert.ok(silentByWiring.every((u) => !members.has(u)));
  assert.ok(c.sufficient, `only the circuit kept: SSIM ${c.kept}`);
  assert.ok(c.size < 368 - silentByWiring.length);
});
