/**
 * The representation metrics of the multi-task study on representations whose answer is known by
 * construction (test/stats/representations.ts): z itself, rotations of it, |z|, sign(z), a lookup
 * table, noise. Expected values are derived in the comments from the definitions, never read off
 * the functions under test.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/core/errors.js';
import { makeLatentTasks, makeObservationMap, observe, orthantCentre, orthantsOf } from '../../src/data/latent-tasks.js';
import {
  ccgp,
  dci,
  dciFromImportance,
  discreteMutualInformation,
  heldOutScores,
  hiddenSparsity,
  histogramDiscretize,
  inDistributionR2,
  latentCcgp,
  latentDecoderAngles,
  latentParallelism,
  mig,
  oodR2,
  parallelismScore,
  sampleMatrix,
  taskAngles,
  type SampleMatrix,
} from '../../src/stats/index.js';
import { absCode, embeddedRotation, latentSample, linearCode, lookupCode, noiseCode, orthonormalColumns, signCode } from './representations.js';

const near = (actual: number, expected: number, tol: number, what = ''): void =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what} ${actual} vs ${expected} (±${tol})`);

const z2 = latentSample(4000, 2, 1);
const z3 = latentSample(6000, 3, 2);

test('OOD r²: z itself and any rotation of it decode perfectly out of distribution', () => {
  for (const z of [z2, z3]) {
    for (const rep of [z, embeddedRotation(z, 64, 3)]) {
      const r = oodR2(rep, z, { seed: 1 });
      assert.equal(r.orthants.length, 2 ** z.dims);
      near(r.r2, 1, 1e-6, 'paper r²');
      near(r.r2Centre, 1, 1e-6, 'centre r²');
      near(r.r2Median, 1, 1e-6, 'median');
    }
  }
});

test("OOD r²: predicting the held-out orthant's centre scores 0.75 in the paper's form and 0 centre-normalised", () => {
  // z_d is uniform on an interval of width ½ inside an orthant: E(z_d − centre_d)² = (½)²/12 = 1/48,
  // so the paper's r² = 1 − (1/48)/(1/12) = 0.75.
  const rows = Uint32Array.from(orthantsOf(z2.values, z2.n, 2).reduce<number[]>((a, o, k) => (o === 3 ? [...a, k] : a), []));
  const centre = orthantCentre(3, 2);
  const predicted = new Float64Array(rows.length * 2).map((_, i) => centre[i % 2]);
  const s = heldOutScores(predicted, z2, rows, 3);
  assert.equal(s.r2Centre, 0);
  near(s.r2, 0.75, 0.02, 'paper r² of the centre');
  // A code that holds only the orthant (sign z): the best linear decoder predicts each orthant's
  // centre (E[z_d | signs] = sign_d/4 is linear in the signs), so the same two numbers come out.
  for (const z of [z2, z3]) {
    const r = oodR2(signCode(z), z, { seed: 1 });
    near(r.r2, 0.75, 0.02, `sign code D=${z.dims}, paper r²`);
    near(r.r2Centre, 0, 0.02, `sign code D=${z.dims}, centre r²`);
  }
});

test('OOD r²: |z| decodes to 1 − (2^D/(2^D − 1))², noise and a lookup table to the training mean', () => {
  // |z|: given |z|, the training orthants are equally likely, so E[z_d | |z|] = −s_d|z_d|/(2^D − 1)
  // for a held-out orthant with sign s_d: an error of |z_d|·2^D/(2^D − 1) and
  // r² = 1 − (2^D/(2^D − 1))² (−7/9 for D = 2, −15/49 for D = 3).
  near(oodR2(absCode(z2), z2, { seed: 1 }).r2, -7 / 9, 0.03, '|z| D=2');
  near(oodR2(absCode(z3), z3, { seed: 1 }).r2, -15 / 49, 0.03, '|z| D=3');
  // No information: the decoder predicts the training mean, −s_d/(4(2^D − 1)) per coordinate, while the
  // held-out orthant's mean is s_d/4: MSE = 1/48 + (2^D/(4(2^D − 1)))² and r² = 0.75 − 0.75·(2^D/(2^D − 1))²
  // (−7/12 for D = 2). A lookup table has no information about unseen cells: the same number.
  const expected = 0.75 - 0.75 * (4 / 3) ** 2;
  near(oodR2(noiseCode(z2.n, 64, 4), z2, { seed: 1 }).r2, expected, 0.05, 'noise');
  const table = lookupCode(z2, 8);
  near(oodR2(table, z2, { seed: 1 }).r2, expected, 0.05, 'lookup table');
  // …yet the table decodes well in distribution: the cell mean misses by the within-cell spread,
  // (1/8)²/12 per coordinate, so r² = 1 − 12/768 = 1 − 1/64.
  near(inDistributionR2(table, z2, { seed: 1 }).r2, 1 - 1 / 64, 0.005, 'lookup in distribution');
  near(inDistributionR2(noiseCode(z2.n, 64, 4), z2, { seed: 1 }).r2, 0, 0.06, 'noise in distribution');
  const id = inDistributionR2(z2, z2, { seed: 1 });
  near(id.r2, 1, 1e-9);
  near(id.r2Variance, 1, 1e-9);
  assert.equal(id.nTest, 800);
});

test("OOD r²: the raw observations of the authors' ReLU map decode almost linearly; the radial-basis code does not", () => {
  // The point of offering the radial-basis map: a study on the ReLU map's observations starts near 1.
  const relu = makeObservationMap('relu-mlp', 2, 1);
  const rbf = makeObservationMap('rbf', 2, 1);
  const raw = (map: typeof relu): SampleMatrix => ({ values: observe(map, Float64Array.from(z2.values)), n: z2.n, dims: map.outDim });
  assert.ok(oodR2(raw(relu), z2, { seed: 1 }).r2Median > 0.95);
  assert.ok(oodR2(raw(rbf), z2, { seed: 1 }).r2Median < 0.5);
  assert.ok(inDistributionR2(raw(rbf), z2, { seed: 1 }).r2 > 0.95, 'the radial-basis code still holds z');
});

test('OOD r²: which orthants are held out when there are many is seeded and reproducible', () => {
  const z5 = latentSample(8000, 5, 7);
  const a = oodR2(z5, z5, { seed: 3, maxHeldOut: 6 });
  assert.equal(a.orthants.length, 6);
  assert.deepEqual(a, oodR2(z5, z5, { seed: 3, maxHeldOut: 6 }));
  const picks = new Set<string>();
  for (let seed = 0; seed < 5; seed++) picks.add(oodR2(z5, z5, { seed, maxHeldOut: 6 }).orthants.map((o) => o.orthant).join(','));
  assert.ok(picks.size > 1, 'different seeds pick different orthants');
  assert.deepEqual(oodR2(z5, z5, { seed: 3, heldOut: [0, 31] }).orthants.map((o) => o.orthant), [0, 31]);
  assert.throws(() => oodR2(z5, z5, { seed: 3, heldOut: [0], minTest: 1000 }), /orthant 0 has \d+ samples, fewer than 1000/);
});

test('CCGP: z generalises across conditions, |z|, a lookup table and noise sit at chance', () => {
  for (const z of [z2, z3]) {
    const r = latentCcgp(z, z);
    assert.equal(r.perVariable.length, z.dims);
    assert.ok(r.mean > 0.97, `z, D=${z.dims}: ${r.mean}`);
    assert.ok(latentCcgp(embeddedRotation(z, 16, 5), z).mean > 0.97);
  }
  // |z| and unseen table cells carry nothing about the held-out signs: the classifier's answer is
  // the same for every test sample, and a constant answer has balanced accuracy exactly ½.
  near(latentCcgp(absCode(z2), z2).mean, 0.5, 0.05, '|z|');
  near(latentCcgp(lookupCode(z2, 6), z2).mean, 0.5, 1e-12, 'lookup table');
  near(latentCcgp(noiseCode(z2.n, 32, 6), z2).mean, 0.5, 0.05, 'noise');
});

test("CCGP over all of Bernardi's held-out pairs: z scores 0.75 with quadrants as conditions", () => {
  // Dichotomy sign z₁: side 0 = quadrants {0 (−,−), 2 (−,+)}, side 1 = {1 (+,−), 3 (+,+)}. Holding out
  // (2, 3) or (0, 1) leaves two quadrants that share an edge on z₁ = 0: the boundary is z₁ = 0 and the
  // test is perfect. Holding out (0, 3) or (2, 1) leaves diagonal quadrants that touch only at the
  // origin; by symmetry the classifier splits along z₁ + z₂ = 0 (or z₁ − z₂), right on half of each
  // held-out quadrant. Mean: (1 + 1 + ½ + ½)/4 = 0.75.
  const conditions = orthantsOf(z2.values, z2.n, 2);
  const r = ccgp(z2, conditions, [[0, 2], [1, 3]], { seed: 1 });
  assert.equal(r.splits.length, 4);
  near(r.ccgp, 0.75, 0.03);
  for (const s of r.splits) {
    const diagonal = (s.heldOut[0] === 0 && s.heldOut[1] === 3) || (s.heldOut[0] === 2 && s.heldOut[1] === 1);
    near(s.accuracy, diagonal ? 0.5 : 1, 0.06, `held out ${s.heldOut}`);
  }
});

test('parallelism score: hand-worked coding vectors, 1 for z and its rotations, low for noise and |z|', () => {
  // Means a₁ = (0,0), a₂ = (0,1) on side 0 and b₁ = (1,0), b₂ = (1,2) on side 1. Pairing (a₁b₁, a₂b₂):
  // coding vectors (1,0) and (1,1)/√2, cosine 1/√2. Pairing (a₁b₂, a₂b₁): (1,2)/√5 and (1,−1)/√2,
  // cosine −1/√10. The score is the larger.
  const values = [0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 1, 2, 1, 2];
  const rep = sampleMatrix(values, 7, 2);
  const conditions = [10, 10, 11, 11, 20, 21, 21];
  const r = parallelismScore(rep, conditions, [[10, 11], [20, 21]], { seed: 1 });
  near(r.score, 1 / Math.SQRT2, 1e-12);
  assert.deepEqual(r.pairing, [20, 21]);
  assert.equal(r.exhaustive, true);
  near(parallelismScore(rep, conditions, [[10, 11], [21, 20]], { seed: 1 }).score, 1 / Math.SQRT2, 1e-12, 'side order does not matter');

  for (const z of [z2, z3]) {
    assert.ok(latentParallelism(z, z, { seed: 1 }).mean > 0.99);
    assert.ok(latentParallelism(embeddedRotation(z, 32, 2), z, { seed: 1 }).mean > 0.99);
  }
  assert.ok(latentParallelism(noiseCode(z2.n, 64, 3), z2, { seed: 1 }).mean < 0.35);
  assert.ok(latentParallelism(absCode(z2), z2, { seed: 1 }).mean < 0.5);
});

test('parallelism score: sampled pairings are seeded, and the pairing that flips one latent is always tried', () => {
  const z5 = latentSample(20000, 5, 9); // 16 orthants a side: 16! pairings, sampled
  const conditions = orthantsOf(z5.values, z5.n, 5);
  const a = Array.from({ length: 32 }, (_, o) => o).filter((o) => !(o & 1));
  const b = a.map((o) => o | 1);
  const sampled = parallelismScore(z5, conditions, [a, b], { seed: 4, maxPairings: 200 });
  assert.equal(sampled.exhaustive, false);
  assert.deepEqual(sampled, parallelismScore(z5, conditions, [a, b], { seed: 4, maxPairings: 200 }));
  // A random pairing's coding vectors share the +½ step in z₁ and differ at random in the other four
  // coordinates (−½, 0, ½ with odds ¼, ½, ¼): cosines ≈ ¼/(¼ + 4·⅛) = ⅓ on average, a little more
  // for the best of 200. The pairing that flips z₁ alone is exactly parallel.
  assert.ok(sampled.score > 0.25 && sampled.score < 0.6, `sampled only: ${sampled.score}`);
  assert.ok(latentParallelism(z5, z5, { seed: 4, maxPairings: 200 }).mean > 0.99);
});

test('MIG: hand-worked mutual information and bins; ~1 for z, ~0 for a 45° rotation and for noise', () => {
  // 2×2 table [[3,1],[1,3]] of 8 samples: MI = 2·(3/8)·ln((3/8)/(1/4)) + 2·(1/8)·ln((1/8)/(1/4)) = ¾ ln 1.5 − ¼ ln 2.
  near(discreteMutualInformation([0, 0, 0, 0, 1, 1, 1, 1], [0, 0, 0, 1, 1, 1, 1, 0]), 0.75 * Math.log(1.5) - 0.25 * Math.log(2), 1e-15);
  near(discreteMutualInformation([0, 1, 0, 1], [0, 0, 1, 1]), 0, 1e-15, 'independent');
  // np.digitize(x, np.histogram(x, 4)[1][:-1]) for x = [0, .1, .25, .5, .74, 1]: edges 0, .25, .5, .75.
  assert.deepEqual([...histogramDiscretize([0, 0.1, 0.25, 0.5, 0.74, 1], 6, 1, 0, 4)], [1, 1, 2, 3, 3, 4]);
  assert.deepEqual([...histogramDiscretize([3, 3, 3], 3, 1, 0, 20)], [11, 11, 11], 'a constant column: numpy widens the range by ½');

  const z = latentSample(10000, 2, 5);
  const id = mig(z, z);
  // MI(c₁; z₁) = H(z₁) (same bins); MI(c₂; z₁) is the plug-in bias of two independent variables, ≈ 19²/2n nats.
  near(id.mutualInformation[0], id.entropy[0], 1e-12, 'MI of z₁ with itself is its entropy');
  near(id.entropy[0], Math.log(20), 0.01, 'entropy of 20 equal-width bins of a uniform');
  near(id.mig, 1 - 19 ** 2 / (2 * 10000) / Math.log(20), 0.01, 'identity');
  // h = ((z₁ + z₂)/√2, (z₁ − z₂)/√2): both codes carry the same information about z₁, so the gap is ~0.
  const r45 = linearCode(z, [Math.SQRT1_2, Math.SQRT1_2, Math.SQRT1_2, -Math.SQRT1_2], 2);
  assert.ok(mig(r45, z).mig < 0.05, `45°: ${mig(r45, z).mig}`);
  assert.ok(mig(noiseCode(z.n, 10, 1), z).mig < 0.02);
});

test('DCI from an importance matrix: hand-worked cases of the definition', () => {
  near(dciFromImportance([1, 0, 0, 1], 2, 2).disentanglement, 1, 1e-9);
  near(dciFromImportance([1, 0, 0, 1], 2, 2).completeness, 1, 1e-9);
  near(dciFromImportance([1, 1, 1, 1], 2, 2).disentanglement, 0, 1e-9);
  near(dciFromImportance([1, 1, 1, 1], 2, 2).completeness, 0, 1e-9);
  // Codes × factors R = [[2,0],[1,1],[0,0]]: D = ½·1 + ½·0 + 0 = ½. Factor 0 spreads (2,1,0)/3 over
  // three codes: C₀ = 1 − H₃(⅔,⅓); factor 1 sits on code 1: C₁ = 1. Weights ¾ and ¼.
  const r = dciFromImportance([2, 0, 1, 1, 0, 0], 3, 2);
  near(r.disentanglement, 0.5, 1e-9);
  const h3 = -((2 / 3) * Math.log(2 / 3) + (1 / 3) * Math.log(1 / 3)) / Math.log(3);
  near(r.completeness, 0.75 * (1 - h3) + 0.25, 1e-9);
  assert.throws(() => dciFromImportance([1, 2], 1, 2), UserError);
});

test('DCI: z is disentangled, rotations of it are not (yet decode perfectly out of distribution), noise is uninformative', () => {
  const id = dci(z2, z2, { seed: 1 });
  near(id.disentanglement, 1, 1e-3);
  near(id.completeness, 1, 1e-3);
  near(id.informativeness, 1, 1e-6);
  const r45 = linearCode(z2, [Math.SQRT1_2, Math.SQRT1_2, Math.SQRT1_2, -Math.SQRT1_2], 2);
  const d45 = dci(r45, z2, { seed: 1 });
  assert.ok(d45.disentanglement < 0.02 && d45.completeness < 0.02, `45°: ${d45.disentanglement}, ${d45.completeness}`);
  near(d45.informativeness, 1, 1e-6);
  // A random rotation of a 5-D z: the standardised regression recovers z = h·Q (Q orthogonal), so the
  // importance is |Q|, and D follows from the definition applied to |Q|. Out of distribution it is still perfect.
  const z5 = latentSample(8000, 5, 3);
  const q = orthonormalColumns(5, 5, 8);
  const qt = new Float64Array(25).map((_, i) => q[(i % 5) * 5 + Math.floor(i / 5)]);
  const rotated = linearCode(z5, qt, 5);
  const dr = dci(rotated, z5, { seed: 2 });
  const expected = dciFromImportance(q.map(Math.abs), 5, 5);
  near(dr.disentanglement, expected.disentanglement, 0.02, 'random rotation D');
  assert.ok(dr.disentanglement < 0.5, 'a random rotation is entangled');
  near(oodR2(rotated, z5, { seed: 1 }).r2, 1, 1e-6, 'random rotation OOD r²');
  near(dci(noiseCode(z2.n, 16, 2), z2, { seed: 1 }).informativeness, 0, 0.05, 'noise informativeness');
});

test('DCI: 64 units that each follow one latent score high, a random ReLU mixture low (why ridge, not lasso)', () => {
  const n = z2.n;
  const oneLatent = new Float64Array(n * 64);
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < 64; j++) oneLatent[k * 64 + j] = Math.max(0, (j % 4 < 2 ? 1 : -1) * z2.values[k * 2 + (j % 2)] + ((j % 7) - 3) / 20);
  }
  const map = makeObservationMap('relu-mlp', 2, 1, { widths: [100, 64] });
  const mixture = observe(map, Float64Array.from(z2.values)).map((v) => Math.max(0, v));
  const dOne = dci({ values: oneLatent, n, dims: 64 }, z2, { seed: 1 }).disentanglement;
  const dMix = dci({ values: mixture, n, dims: 64 }, z2, { seed: 1 }).disentanglement;
  assert.ok(dOne > 0.85, `one latent per unit: ${dOne}`);
  assert.ok(dMix < 0.4, `random mixture: ${dMix}`);
});

test('sparsity: hand-worked lifetime sparseness and active fraction', () => {
  // Units over 4 samples: constant 2 → S = 0; one-hot 5 → S = 1; silent → 1 (convention); half on →
  // (1 − (½)²/½)/(1 − ¼) = ⅔.
  const rep = sampleMatrix([2, 0, 0, 1, 2, 0, 0, 1, 2, 5, 0, 0, 2, 0, 0, 0], 4, 4);
  const s = hiddenSparsity(rep);
  near(s.perUnit[0], 0, 1e-15);
  near(s.perUnit[1], 1, 1e-15);
  assert.equal(s.perUnit[2], 1);
  near(s.perUnit[3], 2 / 3, 1e-15);
  assert.equal(s.silentUnits, 1);
  near(s.activeFraction, (4 + 1 + 0 + 2) / 16, 1e-15);
  near(s.lifetimeSparseness, (0 + 1 + 1 + 2 / 3) / 4, 1e-15);
  assert.throws(() => hiddenSparsity(sampleMatrix([1, -1, 0, 2], 2, 2)), /non-negative activations/);
});

test('decoder angles: 90° for z and rotations, 135° for the shear h = (z₁, z₁ + z₂)', () => {
  near(latentDecoderAngles(z2, z2).mean, 90, 1e-6);
  near(latentDecoderAngles(embeddedRotation(z3, 20, 1), z3).mean, 90, 1e-4);
  // h = z·A, A = [[1, 1], [0, 1]]: z₁ = h₁ and z₂ = h₂ − h₁, so the decoders are (1, 0) and (−1, 1): 135°.
  const shear = linearCode(z2, [1, 1, 0, 1], 2);
  const a = latentDecoderAngles(shear, z2);
  near(a.angles[1], 135, 1e-4);
  near(a.angles[2], 135, 1e-4);
  assert.equal(a.angles[0], 0);
});

test('task angles: a code that holds z linearly recovers every task normal; noise does not solve the tasks', () => {
  const tasks2 = makeLatentTasks({ latentDim: 2, tasks: 6, seed: 1 });
  const sub = { values: (z2.values as Float64Array).slice(0, 3000), n: 1500, dims: 2 };
  const t = taskAngles(sub, sub, tasks2);
  assert.equal(t.tasks.length, 6);
  for (const task of t.tasks) {
    assert.ok(task.angle < 2, `identity: ${task.angle}°`);
    assert.ok(task.accuracy > 0.98);
  }
  const tasks3 = makeLatentTasks({ latentDim: 3, tasks: 4, seed: 2 });
  const sub3 = { values: (z3.values as Float64Array).slice(0, 4500), n: 1500, dims: 3 };
  assert.ok(taskAngles(embeddedRotation(sub3, 12, 4), sub3, tasks3).meanAngle < 3);
  for (const task of taskAngles(noiseCode(1500, 8, 1), sub, tasks2).tasks) assert.ok(task.accuracy < 0.6);
  assert.throws(() => taskAngles(sub, sub, tasks3), /tasks are in 3 dimensions but the latents in 2/);
});

test('bad input is a user error naming the problem', () => {
  assert.throws(() => sampleMatrix([1, NaN], 1, 2, 'activations'), /activations has a non-finite value at row 0/);
  assert.throws(() => sampleMatrix([1, 2, 3], 2, 2, 'activations'), /activations holds 3 values, not 2 × 2/);
  assert.throws(() => oodR2(noiseCode(10, 2, 1), z2, { seed: 1 }), /the representation has 10 samples but the latents 4000/);
  const broken = Float64Array.from(z2.values);
  broken[7] = NaN;
  assert.throws(() => dci({ values: broken, n: z2.n, dims: 2 }, z2, { seed: 1 }), /representation has a non-finite value at row 3/);
  assert.throws(() => mig({ values: new Float64Array(5), n: 4000, dims: 2 }, z2), /representation holds 5 values, not 4000 × 2/);
  assert.throws(() => parallelismScore(z2, orthantsOf(z2.values, z2.n, 2), [[0, 1], [2]], { seed: 1 }), /at least 2 conditions on each side/);
  assert.throws(() => parallelismScore(z2, orthantsOf(z2.values, z2.n, 2), [[0, 1], [1, 3]], { seed: 1 }), /condition 1 is on both sides/);
  assert.throws(() => ccgp(z2, orthantsOf(z2.values, z2.n, 2), [[0, 1], [2, 7]], { seed: 1 }), /condition 7 has no samples/);
  assert.throws(() => mig(z2, z2, { bins: 1 }), /at least 2 bins/);
});
