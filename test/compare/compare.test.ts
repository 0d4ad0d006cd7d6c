import test, { before } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, type DenseModel } from '../../src/core/index.js';
import { compareGroups, orderDifferences, type Group } from '../../src/compare/compare.js';
import { fingerprintMlp } from '../../src/compare/fingerprint.js';
import type { Fingerprint, FingerprintRow } from '../../src/compare/types.js';
import { selectBackend, trainMlp, type Split } from '../../src/model/index.js';
import { mnistPair } from '../model/fixtures.js';

function rowsOnly(rows: FingerprintRow[]): Fingerprint[] {
  return rows.map((row) => ({ row, curves: [], ablation: [], circuits: [], evidence: null, layers: [] }));
}

test('groups that differ in one planted feature: that feature is flagged, features equal in both groups never are', () => {
  const rng = new Rng(4);
  const make = (shift: number): FingerprintRow[] =>
    Array.from({ length: 6 }, (_, k) => ({ model: `m${k}`, kind: 'mlp', metric: 'accuracy', planted: 1 + 0.1 * rng.normal() + shift, same: k * 0.01, constant: 3 }));
  const a = make(0);
  const b = make(0.5); // five standard deviations
  b.forEach((r, k) => (r.same = a[k].same));
  const c = compareGroups([{ label: 'a', fingerprints: rowsOnly(a) }, { label: 'b', fingerprints: rowsOnly(b) }], { seed: 1 });
  const pair = c.pairs[0];
  const by = new Map(pair.features.map((f) => [f.feature, f]));
  assert.equal(by.get('planted')!.flagged, true);
  assert.ok(by.get('planted')!.g! > 3 && by.get('planted')!.p! <= 2 / 924 + 1e-12, `g ${by.get('planted')!.g}, p ${by.get('planted')!.p}`);
  assert.equal(by.get('same')!.flagged, false);
  assert.equal(by.get('same')!.delta, 0);
  assert.equal(by.get('constant')!.flagged, false);
  assert.equal(by.get('constant')!.g, null);
  assert.equal(orderDifferences(pair.features)[0].feature, 'planted');
});

test('features with no difference between the groups are flagged at about the rate alpha promises, not more', () => {
  // 200 experiments of 5 vs 5 models, one iid feature each: a flag is a false positive
  const rng = new Rng(9);
  let flags = 0;
  const trials = 200;
  for (let t = 0; t < trials; t++) {
    const g = (label: string): Group => ({ label, fingerprints: rowsOnly(Array.from({ length: 5 }, (_, k) => ({ model: `${label}${k}`, x: rng.normal() }))) });
    if (compareGroups([g('a'), g('b')], { seed: t, resamples: 200 }).pairs[0].features[0].flagged) flags++;
  }
  const rate = flags / trials;
  assert.ok(rate <= 0.05 + 3 * Math.sqrt(0.05 * 0.95 / trials), `false flag rate ${rate}`);
  assert.ok(rate > 0, 'the test can flag at all');
});

test('one model per group without per-item outcomes: differences without intervals, nothing flagged', () => {
  const c = compareGroups([{ label: 'x', fingerprints: rowsOnly([{ model: 'x', f: 1 }]) }, { label: 'y', fingerprints: rowsOnly([{ model: 'y', f: 2 }]) }]);
  const f = c.pairs[0].features[0];
  assert.deepEqual([f.delta, f.delta_lo, f.flagged, f.method], [1, null, false, 'none']);
  assert.match(c.pairs[0].notes[0], /without intervals/);
  assert.throws(() => compareGroups([{ label: 'x', fingerprints: rowsOnly([{ model: 'x' }]) }]), /at least two groups/);
  assert.throws(() => compareGroups([{ label: 'x', fingerprints: [] }, { label: 'y', fingerprints: rowsOnly([{ model: 'y' }]) }]), /no models/);
});

/**
 * The same function with its weights rescaled: the first layer's weights and biases times 1/64, the
 * second's weights times 64 (powers of two, so every product is exact and ReLU passes the factor
 * through). Prediction, pruning, binarizing, sign flips, randomizations, ablation, circuits, shifts,
 * densities, percolation, z-scores, α and stable rank all see the same model; absolute weight noise
 * does not (it is 64 times larger relative to the first layer). The planted feature is the noise curve.
 */
function rescaled(m: DenseModel): DenseModel {
  const [l0, l1] = m.layers;
  return {
    layers: [
      { ...l0, weights: l0.weights.map((w) => w / 64), bias: l0.bias!.map((b) => b / 64) },
      { ...l1, weights: l1.weights.map((w) => w * 64) },
    ],
  };
}

let models: DenseModel[];
let split: Split;
before(async () => {
  await selectBackend();
  split = mnistPair('t10k', 0, 7, 400);
  const train = mnistPair('train', 0, 7, 1200);
  models = [];
  for (let seed = 1; seed <= 4; seed++) models.push((await trainMlp(train, 'pm1', { inputSize: 784, hidden: [16], activation: 'relu', head: 'softmax' }, { seed, epochs: 1 })).model);
});

const plan = { prune: [0, 0.5, 0.8, 0.95], noise: [1 / 64, 1 / 16, 1 / 4, 1], signflip: [0, 0.3, 0.6], randomize: ['B'], randomizeLevels: [0, 0.5], samples: 5 };

test('trained models against their rescaled twins (4 seeds each): compare flags the noise curve and nothing else', () => {
  const data = { test: split, inputs: 'pm1' as const, name: 'mnist-0v7 sample' };
  const fp = (m: DenseModel, name: string) => fingerprintMlp(m, data, { plan, seed: 3, name });
  const a = models.map((m, k) => fp(m, `m${k}`));
  const b = models.map((m, k) => fp(rescaled(m), `m${k}-rescaled`));
  const pair = compareGroups([{ label: 'trained', fingerprints: a }, { label: 'rescaled', fingerprints: b }], { seed: 2 }).pairs[0];
  const flagged = pair.features.filter((f) => f.flagged).map((f) => f.feature);
  assert.ok(flagged.includes('auc_noise'), `flagged: ${flagged.join(', ')}`);
  assert.deepEqual(flagged.filter((f) => !/_noise$/.test(f)), [], 'only the noise curve');
  const acc = pair.accuracy!;
  assert.equal(acc.delta, 0);
  assert.equal(acc.equal, true, 'accuracy cannot tell them apart');
  // every feature but the noise curve and the spectra is exactly the same number
  for (const f of pair.features) if (!/_noise$|^(alpha|stable_rank)_/.test(f.feature)) assert.equal(f.delta, 0, f.feature);
});

test('one model against its rescaled twin: the paired bootstrap over test images flags the noise curve only', () => {
  const data = { test: split, inputs: 'pm1' as const, name: 'mnist-0v7 sample' };
  const a = fingerprintMlp(models[0], data, { plan, seed: 3, name: 'm' });
  const b = fingerprintMlp(rescaled(models[0]), data, { plan, seed: 3, name: 'm-rescaled' });
  const pair = compareGroups([{ label: 'm', fingerprints: [a] }, { label: 'rescaled', fingerprints: [b] }], { seed: 2 }).pairs[0];
  const flagged = pair.features.filter((f) => f.flagged).map((f) => f.feature);
  assert.ok(flagged.length >= 1 && flagged.every((f) => /_noise$/.test(f)), `flagged: ${flagged.join(', ')}`);
  const byName = new Map(pair.features.map((f) => [f.feature, f]));
  assert.equal(byName.get('auc_prune')!.method, 'images');
  assert.deepEqual([byName.get('auc_prune')!.delta_lo, byName.get('auc_prune')!.delta_hi], [0, 0], 'identical outcomes: a zero-width interval');
  assert.equal(byName.get('alpha_l0')!.method, 'none', 'graph statistics: exact, no interval');
  assert.equal(pair.accuracy!.equal, true);
});
