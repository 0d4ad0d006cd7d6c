/**
 * The perturbation fingerprint of CPPN drawings, on hand-built networks whose outcome is known by
 * construction and on the shipped FER networks.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Rng } from '../../src/core/rng.js';
import { pictureBytes, pictureFromBytes } from '../../src/data/picture.js';
import { cppnDensity, gridCoordinate, type Cppn } from '../../src/model/cppn.js';
import { openCppn } from '../../src/model/cppn-file.js';
import {
  ablateUnits, measureChange, pictureBaseline, probeCurves, pruneToDensity, redraw, sampleWeights, sparsestPruneKeeping, sparsityControl,
  summarizeAblation, summarizeCurves, summarizeSweeps, sweepWeight, sweepWeights, weightRefs, type CppnProbeRow, type WeightSweepRow,
} from '../../src/probes/cppn-fingerprint.js';
import { FER_DIR, handCppn, ssimByDefinition, zeros } from '../model/cppn-fixtures.js';

/**
 * Symmetric in y by construction (y has no weight): hidden layer 1 = [d, x, b, dead, sin(2d)],
 * layer 2 copies it (the dead unit's row is zero), output h = 0.3·sin(2d) + 0.2·x, s = b = 1,
 * v = 0.5·d + 0.5·b. Inputs are y, x, d, b (rows 0…3).
 */
function symmetricNet(): Cppn {
  const first = zeros(4, 5);
  first[2][0] = 1; // d → u0
  first[1][1] = 1; // x → u1
  first[3][2] = 1; // b → u2
  first[1][3] = 0.7; // x → u3, which feeds nothing
  first[2][4] = 2; // d → sin unit
  const copy = zeros(5, 5);
  for (const u of [0, 1, 2, 4]) copy[u][u] = 1;
  const out = zeros(5, 3);
  out[4][0] = 0.3;
  out[1][0] = 0.2;
  out[2][1] = 1;
  out[0][2] = 0.5;
  out[2][2] = 0.5;
  return handCppn('2;cache:4,sin:1', [first, copy, out], 'y,x,d,b', 'symmetric');
}

const SIZE = 24;

test('a picture symmetric by construction: sweeping a weight from d keeps it symmetric, a new weight from y breaks it', () => {
  const base = pictureBaseline(symmetricNet(), { size: SIZE });
  assert.equal(base.symmetry, 1);
  const fromD = sweepWeight(base, { layer: 0, from: 2, to: 0 }, [0.5, 1.5]);
  for (const r of fromD) {
    assert.ok(r.ssim < 1 && r.changed > 0, 'the picture changes');
    assert.equal(r.symmetry, 1);
    assert.ok(Math.abs(r.changeSymmetry! - 1) < 1e-12, `change symmetry ${r.changeSymmetry}`);
  }
  // y → u1 (which feeds the hue): hue now varies with y, so left and right differ.
  const fromY = sweepWeight(base, { layer: 0, from: 0, to: 1 }, [1]);
  assert.equal(fromY[0].weight, 0);
  assert.ok(fromY[0].symmetry < 0.95, `symmetry ${fromY[0].symmetry}`);
  assert.ok(fromY[0].changeSymmetry! < 0.5, `change symmetry ${fromY[0].changeSymmetry}`);
  const summary = summarizeSweeps([...fromD, ...fromY], base.symmetry);
  assert.equal(summary.weights, 2);
  assert.equal(summary.sweeps, 3);
  assert.ok(Math.abs(summary.meanSymmetryLoss - (1 - fromY[0].symmetry) / 3) < 1e-12);
});

test('a sweep of a weight to its own value changes nothing (hand-built and real networks)', () => {
  for (const cppn of [symmetricNet(), openCppn(join(FER_DIR, 'picbreeder_skull.npz')), openCppn(join(FER_DIR, 'sgd_skull.npz'))]) {
    const base = pictureBaseline(cppn, { size: SIZE });
    const refs = sampleWeights(weightRefs(cppn, 'nonzero'), 5, new Rng(3));
    for (const ref of refs) {
      const w = cppn.layers[ref.layer].weights[ref.from * cppn.layers[ref.layer].shape[1] + ref.to];
      const [row] = sweepWeight(base, ref, [w]);
      assert.deepEqual([row.ssim, row.changed, row.changeSymmetry, row.delta, row.symmetry], [1, 0, null, 0, base.symmetry], `${cppn.name} ${JSON.stringify(ref)}`);
    }
    const zero = sweepWeights(base, { weights: refs.slice(0, 2), deltas: [0] });
    assert.ok(zero.every((r) => r.ssim === 1 && r.changed === 0));
  }
});

test('a weight into a unit whose outgoing weights are all zero changes nothing', () => {
  // Hand-built: u3 of hidden layer 1 has an all-zero row in the next layer.
  const base = pictureBaseline(symmetricNet(), { size: SIZE });
  for (const r of sweepWeight(base, { layer: 0, from: 1, to: 3 }, [-5, 0, 3])) assert.deepEqual([r.ssim, r.changed, r.changeSymmetry], [1, 0, null]);
  // The evolved skull: units with no outgoing weight exist; any weight into them, even a new one, is invisible.
  const skull = openCppn(join(FER_DIR, 'picbreeder_skull.npz'));
  const skullBase = pictureBaseline(skull, { size: SIZE });
  let checked = 0;
  for (let k = 1; k < skull.layers.length && checked < 6; k++) {
    const next = skull.layers[k];
    for (let u = 0; u < next.shape[0] && checked < 6; u++) {
      if (next.weights.subarray(u * next.shape[1], (u + 1) * next.shape[1]).some((w) => w !== 0)) continue;
      const [r] = sweepWeight(skullBase, { layer: k - 1, from: (u * 7) % skull.layers[k - 1].shape[0], to: u }, [2.5]);
      assert.deepEqual([r.ssim, r.changed], [1, 0], `hidden layer ${k} unit ${u}`);
      checked++;
    }
  }
  assert.equal(checked, 6, 'the evolved skull has dead-end units');
});

test('unit ablation: the drops known by construction', () => {
  const net = symmetricNet();
  const base = pictureBaseline(net, { size: SIZE });
  const rows = ablateUnits(base);
  assert.equal(rows.length, 10);
  const row = (hidden: number, unit: number) => rows.find((r) => r.hidden === hidden && r.unit === unit)!;
  // Dead units: u3 of both hidden layers (no outgoing weight).
  for (const h of [1, 2]) assert.deepEqual([row(h, 3).fanOut, row(h, 3).drop, row(h, 3).changed], [0, 0, 0]);
  assert.equal(row(1, 4).activation, 'sin');
  // Removing the unit that carries b = 1 (into s and v) leaves a grey picture of value v = clip(0.5·d): its SSIM from the definition.
  const grey = new Uint8Array(SIZE * SIZE * 3);
  for (let i = 0; i < SIZE; i++) {
    for (let j = 0; j < SIZE; j++) {
      const x = gridCoordinate(i, SIZE), y = gridCoordinate(j, SIZE);
      const v = Math.min(1, 0.5 * 1.4 * Math.sqrt(x * x + y * y));
      grey.fill(Math.round(255 * v), (i * SIZE + j) * 3, (i * SIZE + j) * 3 + 3);
    }
  }
  const want = ssimByDefinition(base.bytes, grey, SIZE, SIZE);
  for (const h of [1, 2]) assert.ok(Math.abs(row(h, 2).ssim - want) < 1e-6, `hidden ${h}: ${row(h, 2).ssim} vs ${want}`);
  const summary = summarizeAblation(rows);
  assert.deepEqual([summary.units, summary.matter, summary.silent], [10, 8, 2]);
  assert.equal(summary.maxDrop, Math.max(...rows.map((r) => r.drop)));
});

test('probes on CPPN layers: level 0 and sign-only networks leave the picture alone; noise grows the change; seeded rows repeat', () => {
  // All weights in {−1, 0, 1}: binarize (sign) changes nothing, nor does flipping the signs of the zeros.
  const first = zeros(4, 3);
  first[1][0] = 1; first[2][1] = -1; first[3][2] = 1;
  const out = zeros(3, 3);
  out[0][0] = 1; out[2][1] = 1; out[1][2] = -1;
  const signs = handCppn('1;identity:1,gaussian:1,cache:1', [first, out], 'y,x,d,b', 'signs');
  const base = pictureBaseline(signs, { size: SIZE });
  const zerosPerLayer = Math.min(...signs.layers.map((l) => l.weights.filter((w) => w === 0).length / l.weights.length));
  const rows = probeCurves(base, { prune: [0], binarize: true, noise: [0.001, 0.3, 1], signflip: [0, zerosPerLayer - 0.01], randomize: [], seeds: 2 }, 7);
  const at = (probe: string, level: number) => rows.filter((r) => r.probe === probe && r.level === level);
  assert.equal(at('prune', 0)[0].ssim, 1);
  assert.equal(at('binarize', 0)[0].ssim, 1);
  for (const r of rows.filter((r) => r.probe === 'signflip')) assert.equal(r.ssim, 1);
  assert.equal(at('noise', 1).length, 2);
  const meanAt = (level: number) => at('noise', level).reduce((s, r) => s + r.ssim, 0) / 2;
  assert.ok(meanAt(0.001) > meanAt(0.3) && meanAt(0.3) > meanAt(1), `${meanAt(0.001)} ${meanAt(0.3)} ${meanAt(1)}`);
  assert.deepEqual(probeCurves(base, { prune: [], binarize: false, noise: [0.3], signflip: [], randomize: ['A'], seeds: 2 }, 7), rows.filter((r) => r.level === 0.3).concat(
    probeCurves(base, { prune: [], binarize: false, noise: [], signflip: [], randomize: ['A'], seeds: 2 }, 7)));
  const other = probeCurves(base, { prune: [], binarize: false, noise: [0.3], signflip: [], randomize: [], seeds: 2 }, 8);
  assert.notDeepEqual(other.map((r) => r.ssim), at('noise', 0.3).map((r) => r.ssim));
});

test('probes on the real twins: pruning the evolved skull removes only zeros until its real weights go', () => {
  const evolved = openCppn(join(FER_DIR, 'picbreeder_skull.npz'));
  // Per layer, the fraction of zeros; pruning up to the smallest of them removes nothing that draws.
  const zeroFraction = Math.min(...evolved.layers.map((l) => l.weights.filter((w) => w === 0).length / l.weights.length));
  const base = pictureBaseline(evolved, { size: SIZE });
  const rows = probeCurves(base, { prune: [0, Math.floor(zeroFraction * 100) / 100, 0.999], binarize: false, noise: [], signflip: [], randomize: [], seeds: 1 });
  assert.deepEqual(rows.map((r) => r.ssim).slice(0, 2), [1, 1]);
  assert.ok(rows[2].ssim < 0.9);
  const sgd = pictureBaseline(openCppn(join(FER_DIR, 'sgd_skull.npz')), { size: SIZE });
  assert.ok(probeCurves(sgd, { prune: [0.5], binarize: false, noise: [], signflip: [], randomize: [], seeds: 1 })[0].ssim < 0.9, 'the dense twin needs half its weights');
});

test('curve summaries by hand: area under mean SSIM and the half-way level', () => {
  const row = (level: number, ssim: number): CppnProbeRow => ({ network: 'n', probe: 'prune', variant: 'reference', level, seed: 0, ssim, changed: 0, symmetry: 1, changeSymmetry: null });
  const [s] = summarizeCurves([row(0, 1), row(0.5, 0.7), row(0.5, 0.5), row(1, 0.2)]);
  // Means 1, 0.6, 0.2: area (0.5·1.6 + 0.5·0.8)/2 = 0.6; SSIM 0.5 reached at 0.5 + 0.5·(0.1/0.4) = 0.625.
  assert.ok(Math.abs(s.auc - 0.6) < 1e-12);
  assert.ok(Math.abs(s.halfLevel! - 0.625) < 1e-12);
  assert.equal(s.points, 3);
  assert.equal(summarizeCurves([row(0, 1), row(1, 0.8)])[0].halfLevel, null);
  assert.equal(summarizeCurves([row(0.3, 0.4)])[0].auc, 0.4);
});

test('sweep summaries by hand', () => {
  const r = (ssim: number, changed: number, symmetry: number, changeSymmetry: number | null, from = 0): WeightSweepRow => ({
    network: 'n', layer: 'layer_00', from, to: 0, weight: 1, value: 2, delta: 1, ssim, changed, symmetry, changeSymmetry,
  });
  const s = summarizeSweeps([r(1, 0, 0.8, null), r(0.9, 0.2, 0.8, 0.9, 1), r(0.6, 0.4, 0.6, 0.1, 1), r(0.99, 0, 0.7, 0.6, 2)], 0.8);
  assert.deepEqual(
    [s.weights, s.sweeps, s.visible, s.locality, s.changeSymmetry, s.symmetricChanges],
    [3, 4, 0.5, (0.2 + 0.4) / 2, 0.6, 2 / 3],
  );
  assert.ok(Math.abs(s.meanDrop - (0 + 0.1 + 0.4 + 0.01) / 4) < 1e-12);
  assert.ok(Math.abs(s.medianDrop - (0.01 + 0.1) / 2) < 1e-12);
  assert.ok(Math.abs(s.meanSymmetryLoss - (0 + 0 + 0.2 + 0.1) / 4) < 1e-12);
});

test('sampled weights are uniform without replacement and reproducible (χ² over 6000 draws)', () => {
  const refs = Array.from({ length: 10 }, (_, k) => ({ layer: 0, from: k, to: 0 }));
  const counts = new Array(10).fill(0);
  const rng = new Rng(11);
  const draws = 6000;
  for (let t = 0; t < draws; t++) {
    const s = sampleWeights(refs, 3, rng);
    assert.equal(new Set(s.map((x) => x.from)).size, 3);
    assert.ok(s.every((x, k) => k === 0 || s[k - 1].from < x.from), 'network order');
    for (const x of s) counts[x.from]++;
  }
  const expected = (draws * 3) / 10;
  const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
  assert.ok(chi2 < 27.88, `χ² ${chi2} (9 dof, p = 0.001 bound 27.88)`);
  assert.deepEqual(sampleWeights(refs, 4, new Rng(5)), sampleWeights(refs, 4, new Rng(5)));
  assert.equal(sampleWeights(refs, 20, new Rng(5)).length, 10);
});

test('the sparsity control: the SGD twin pruned to exactly the evolved density keeps its largest weights', () => {
  const evolved = openCppn(join(FER_DIR, 'picbreeder_skull.npz'));
  const sgd = openCppn(join(FER_DIR, 'sgd_skull.npz'));
  const { control, target, density } = sparsityControl(sgd, evolved);
  assert.equal(target, 147 / 5478);
  assert.equal(density, target);
  const kept: number[] = [], removed: number[] = [];
  control.layers.forEach((l, k) => l.weights.forEach((w, i) => (w !== 0 ? kept : removed).push(Math.abs(sgd.layers[k].weights[i]))));
  assert.ok(Math.min(...kept) >= Math.max(...removed));
  assert.equal(cppnDensity(pruneToDensity(sgd, 0.5, 'per-layer')), control.layers.reduce((s, l) => s + Math.trunc(0.5 * l.weights.length), 0) / 5478);
  assert.equal(cppnDensity(sgd), 1, 'the input is not changed');
});

test('the sparsest pruning that keeps the picture sits on the boundary: one weight fewer loses it', () => {
  const sgd = openCppn(join(FER_DIR, 'sgd_skull.npz'));
  const base = pictureBaseline(sgd, { size: SIZE });
  const { control, density, ssim } = sparsestPruneKeeping(base, 0.8);
  const n = 5478;
  assert.ok(ssim >= 0.8);
  assert.equal(measureChange(base, redraw(base, control)).ssim, ssim);
  const fewer = pruneToDensity(sgd, (Math.round(density * n) - 1) / n);
  assert.ok(measureChange(base, redraw(base, fewer)).ssim < 0.8);
  assert.ok(density < 1 && density > 0.2, `density ${density}`);
});

test('measureChange counts bytes: an invisible float change is no change', () => {
  const base = pictureBaseline(symmetricNet(), { size: SIZE });
  // The shown bytes plus 1e-4 (0.03 of a byte step): the same picture as shown.
  const nudged = pictureFromBytes(base.bytes, SIZE, SIZE);
  for (let k = 0; k < nudged.data.length; k++) nudged.data[k] = Math.min(1, nudged.data[k] + 1e-4);
  assert.deepEqual(pictureBytes(nudged), base.bytes);
  assert.deepEqual(measureChange(base, nudged), { ssim: 1, changed: 0, symmetry: base.symmetry, changeSymmetry: null });
  // One byte up by 30 (> 0.1·255): one pixel of SIZE² changed.
  const one = pictureFromBytes(base.bytes, SIZE, SIZE);
  one.data[3 * 5] = base.bytes[3 * 5] > 128 ? (base.bytes[3 * 5] - 30) / 255 : (base.bytes[3 * 5] + 30) / 255;
  const m = measureChange(base, one);
  assert.equal(m.changed, 1 / (SIZE * SIZE));
  assert.ok(m.ssim < 1);
  assert.throws(() => measureChange(base, { width: 8, height: 8, data: new Float32Array(192) }), /baseline 24×24/);
});
