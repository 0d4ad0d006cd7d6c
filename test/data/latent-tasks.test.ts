/**
 * The multi-task study's latent task set: the tasks against the authors' own labelling rule, the
 * samplers for their distributions, the observation maps against an independent forward pass, the
 * noise for its law, and the best-decoding bounds against a Monte Carlo simulation.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { Matrix, inverse } from 'ml-matrix';
import { Rng } from '../../src/core/rng.js';
import { UserError } from '../../src/core/errors.js';
import {
  LATENT_VARIANCE,
  integrationBoundR2,
  linearBoundR2,
  makeLatentTasks,
  makeObservationMap,
  noisyObservations,
  observe,
  orthantCentre,
  orthantOf,
  orthantSplit,
  sampleLatents,
  sampleLatentsInOrthant,
  taskLabels,
} from '../../src/data/latent-tasks.js';

/** χ² of counts against equal expected counts. */
function chiSquare(counts: number[]): number {
  const total = counts.reduce((s, c) => s + c, 0);
  const e = total / counts.length;
  return counts.reduce((s, c) => s + (c - e) ** 2 / e, 0);
}
const CHI2_9DOF_P001 = 27.9;

/** Counts of values in 10 equal bins of [lo, hi). */
function decileCounts(values: ArrayLike<number>, lo: number, hi: number): number[] {
  const counts = new Array(10).fill(0);
  for (let i = 0; i < values.length; i++) counts[Math.min(9, Math.floor(((values[i] - lo) / (hi - lo)) * 10))]++;
  return counts;
}

test('D = 2 tasks are the lines at φ_i = (i + ½)π/K, labelled as the authors label them (up to a flip past π/2)', () => {
  for (const K of [1, 2, 3, 6, 24]) {
    const tasks = makeLatentTasks({ latentDim: 2, tasks: K, seed: 5 });
    assert.equal(tasks.tasks, K);
    for (let i = 0; i < K; i++) {
      assert.ok(Math.abs(tasks.angles![i] - ((i + 0.5) * Math.PI) / K) < 1e-15);
      assert.ok(Math.abs(Math.hypot(tasks.normals[2 * i], tasks.normals[2 * i + 1]) - 1) < 1e-15);
    }
    // The authors' rule (tasks.py, LinearClassificationCentOut): label = z₂ > tan(φ)·z₁. Our normal
    // (−sin φ, cos φ) gives the same side for φ < π/2 and the other side past it (cos φ < 0).
    const z = sampleLatents(2000, 2, new Rng(K));
    const labels = taskLabels(tasks, z);
    for (let k = 0; k < 2000; k++) {
      for (let i = 0; i < K; i++) {
        const phi = tasks.angles![i];
        const authors = z[2 * k + 1] > Math.tan(phi) * z[2 * k] ? 1 : 0;
        assert.equal(labels[k * K + i], phi > Math.PI / 2 ? 1 - authors : authors, `K ${K} task ${i} sample ${k}`);
      }
    }
  }
  // Hand-worked: z = (0.3, −0.1), K = 2: n₀ = (−sin 45°, cos 45°) → −0.283 < 0; n₁ = (−sin 135°, cos 135°) → −0.141 < 0.
  const two = makeLatentTasks({ latentDim: 2, tasks: 2, seed: 0 });
  assert.deepEqual([...taskLabels(two, Float64Array.of(0.3, -0.1))], [0, 0]);
  assert.deepEqual([...taskLabels(two, Float64Array.of(-0.3, 0.1))], [1, 1]);
});

test('D > 2 task normals are seeded unit vectors, uniform on the sphere', () => {
  const a = makeLatentTasks({ latentDim: 3, tasks: 4000, seed: 9 });
  assert.deepEqual(a.normals, makeLatentTasks({ latentDim: 3, tasks: 4000, seed: 9 }).normals);
  assert.notDeepEqual(a.normals, makeLatentTasks({ latentDim: 3, tasks: 4000, seed: 10 }).normals);
  assert.equal(a.angles, null);
  for (let i = 0; i < 4000; i++) assert.ok(Math.abs(Math.hypot(a.normals[3 * i], a.normals[3 * i + 1], a.normals[3 * i + 2]) - 1) < 1e-12);
  // Archimedes: a uniform point on S² has each coordinate uniform on [−1, 1].
  for (let d = 0; d < 3; d++) {
    const coord = Array.from({ length: 4000 }, (_, i) => a.normals[3 * i + d]);
    const chi = chiSquare(decileCounts(coord, -1, 1));
    assert.ok(chi < CHI2_9DOF_P001, `coordinate ${d}: χ² ${chi.toFixed(1)}`);
  }
  // A hyperplane through the origin halves the symmetric box: each label is 1 half the time.
  const tasks = makeLatentTasks({ latentDim: 5, tasks: 3, seed: 2 });
  const n = 20000;
  const labels = taskLabels(tasks, sampleLatents(n, 5, new Rng(3)));
  for (let i = 0; i < 3; i++) {
    let ones = 0;
    for (let k = 0; k < n; k++) ones += labels[k * 3 + i];
    assert.ok(Math.abs(ones / n - 0.5) < 3 * Math.sqrt(0.25 / n), `task ${i}: ${ones / n}`);
  }
});

test('latents are uniform on [−½, ½]^D, reproducible from the seed; orthant samples stay in their orthant', () => {
  const n = 20000;
  const z = sampleLatents(n, 3, new Rng(11));
  assert.deepEqual(z, sampleLatents(n, 3, new Rng(11)));
  for (const v of z) assert.ok(v >= -0.5 && v < 0.5);
  for (let d = 0; d < 3; d++) {
    const col = Array.from({ length: n }, (_, k) => z[3 * k + d]);
    assert.ok(chiSquare(decileCounts(col, -0.5, 0.5)) < CHI2_9DOF_P001);
    const mean = col.reduce((s, v) => s + v, 0) / n;
    const variance = col.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
    assert.ok(Math.abs(variance - LATENT_VARIANCE) < 0.003, `variance ${variance}`);
  }
  const inside = sampleLatentsInOrthant(n, 3, 0b101, new Rng(4));
  for (let k = 0; k < n; k++) assert.equal(orthantOf(inside, k, 3), 0b101);
  for (let d = 0; d < 3; d++) {
    const magnitude = Array.from({ length: n }, (_, k) => Math.abs(inside[3 * k + d]));
    assert.ok(chiSquare(decileCounts(magnitude, 0, 0.5)) < CHI2_9DOF_P001, `|z_${d}| is not U[0, ½]`);
  }
});

test('the held-out orthant split partitions the samples; orthant centres are ±¼', () => {
  const z = sampleLatents(1000, 2, new Rng(1));
  const { train, test: held } = orthantSplit(z, 1000, 2, 0b10);
  assert.equal(train.length + held.length, 1000);
  for (const k of held) assert.ok(z[2 * k] <= 0 && z[2 * k + 1] > 0);
  for (const k of train) assert.ok(!(z[2 * k] <= 0 && z[2 * k + 1] > 0));
  assert.ok(held.length > 200 && held.length < 300);
  assert.deepEqual([...orthantCentre(0b10, 2)], [-0.25, 0.25]);
  assert.deepEqual([...orthantCentre(0b011, 3)], [0.25, 0.25, -0.25]);
  assert.throws(() => orthantSplit(z, 1000, 2, 4), UserError);
});

test("the ReLU map is the authors' encoder: D → 100 → 100 → 40, PyTorch's U(±1/√fan-in), checked against a matrix forward pass", () => {
  const map = makeObservationMap('relu-mlp', 2, 7);
  assert.equal(map.kind, 'relu-mlp');
  if (map.kind !== 'relu-mlp') return;
  assert.deepEqual(map.layers.map((l) => l.shape), [[2, 100], [100, 100], [100, 40]]);
  for (const layer of map.layers) {
    const bound = 1 / Math.sqrt(layer.shape[0]);
    const all = [...layer.weights, ...layer.bias];
    for (const w of all) assert.ok(Math.abs(w) <= bound);
    // U(−b, b) has variance b²/3
    const variance = all.reduce((s, w) => s + w * w, 0) / all.length;
    assert.ok(Math.abs(variance / (bound * bound / 3) - 1) < 0.15, `variance ratio ${variance / (bound * bound / 3)}`);
  }
  assert.deepEqual(map, makeObservationMap('relu-mlp', 2, 7));
  // Independent forward pass: ml-matrix products, ReLU between layers, last layer linear.
  const n = 50;
  const z = sampleLatents(n, 2, new Rng(2));
  let h = Matrix.from1DArray(n, 2, z);
  map.layers.forEach((layer, k) => {
    h = h.mmul(Matrix.from1DArray(layer.shape[0], layer.shape[1], layer.weights)).addRowVector(Array.from(layer.bias));
    if (k < map.layers.length - 1) h = Matrix.from1DArray(n, layer.shape[1], h.to1DArray().map((v) => Math.max(0, v)));
  });
  const x = observe(map, z);
  const expected = h.to1DArray();
  assert.equal(x.length, n * 40);
  x.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-12));
  // a linear last layer: some observations are negative
  assert.ok(x.some((v) => v < 0));
});

test('the radial-basis map is exp(−‖z − c‖²/2w²) around seeded centres in the box', () => {
  const map = makeObservationMap('rbf', 3, 4, { units: 30, width: 0.2 });
  assert.equal(map.kind, 'rbf');
  if (map.kind !== 'rbf') return;
  assert.equal(map.outDim, 30);
  for (const c of map.centres) assert.ok(c >= -0.5 && c < 0.5);
  const centre = map.centres.slice(3 * 7, 3 * 8);
  const at = observe(map, centre);
  assert.ok(Math.abs(at[7] - 1) < 1e-15, 'a unit answers 1 at its own centre');
  const z = Float64Array.of(0.1, -0.2, 0.3);
  const x = observe(map, z);
  for (let j = 0; j < 30; j++) {
    const r2 = (0.1 - map.centres[3 * j]) ** 2 + (-0.2 - map.centres[3 * j + 1]) ** 2 + (0.3 - map.centres[3 * j + 2]) ** 2;
    assert.ok(Math.abs(x[j] - Math.exp(-r2 / (2 * 0.04))) < 1e-15);
  }
  assert.ok(Math.abs((makeObservationMap('rbf', 5, 1) as { width: number }).width - 0.1 * Math.sqrt(5)) < 1e-15);
});

test('noise: σ per sample and step, N(0, σ²) on the observation or on the latent before the map, reproducible', () => {
  const n = 4000, T = 3, sigma = 0.2;
  const z = sampleLatents(n, 2, new Rng(5));
  // An affine map (one linear layer) lets the latent noise be read back exactly: ε = (x − clean)·W⁻¹.
  const map = makeObservationMap('relu-mlp', 2, 3, { widths: [2] });
  const clean = observe(map, z);
  assert.deepEqual(noisyObservations(map, z, { sigma: 0, steps: 2, rng: new Rng(1) }).subarray(0, 4), Float64Array.of(clean[0], clean[1], clean[0], clean[1]));
  const W = map.kind === 'relu-mlp' ? map.layers[0].weights : new Float64Array(4);
  const inv = inverse(new Matrix([[W[0], W[1]], [W[2], W[3]]]));
  for (const noiseAt of ['latent', 'observation'] as const) {
    const x = noisyObservations(map, z, { sigma, steps: T, noiseAt, rng: new Rng(8) });
    assert.deepEqual(x, noisyObservations(map, z, { sigma, steps: T, noiseAt, rng: new Rng(8) }));
    assert.equal(x.length, n * T * 2);
    const eps: number[][] = [[], []];
    for (let k = 0; k < n; k++) {
      for (let t = 0; t < T; t++) {
        const dx = [x[(k * T + t) * 2] - clean[2 * k], x[(k * T + t) * 2 + 1] - clean[2 * k + 1]];
        const e = noiseAt === 'latent' ? [dx[0] * inv.get(0, 0) + dx[1] * inv.get(1, 0), dx[0] * inv.get(0, 1) + dx[1] * inv.get(1, 1)] : dx;
        eps[0].push(e[0]);
        eps[1].push(e[1]);
      }
    }
    for (const e of eps) {
      const m = e.reduce((s, v) => s + v, 0) / e.length;
      const v = e.reduce((s, u) => s + (u - m) ** 2, 0) / e.length;
      assert.ok(Math.abs(m) < 4 * sigma / Math.sqrt(e.length), `${noiseAt}: mean ${m}`);
      assert.ok(Math.abs(v / (sigma * sigma) - 1) < 0.05, `${noiseAt}: variance ratio ${v / sigma ** 2}`);
    }
    // steps are independent draws: the correlation of step 0 and step 1 is ~0
    let c = 0;
    for (let k = 0; k < n; k++) c += eps[0][k * T] * eps[0][k * T + 1];
    assert.ok(Math.abs(c / n / (sigma * sigma)) < 4 / Math.sqrt(n), `${noiseAt}: step correlation ${c / n / sigma ** 2}`);
  }
  assert.throws(() => noisyObservations(map, z, { sigma: -1, rng: new Rng(1) }), UserError);
});

test("the paper's best decoding 1 − 0.48/(T+1) is the r² of the mean of T+1 noisy looks at z (σ = 0.2), checked by simulation", () => {
  // The paper's Fig. 5a: T = 22 steps, stimulus through the decision step → 23 looks.
  assert.ok(Math.abs(integrationBoundR2(0.2, 23) - (1 - 0.48 / 23)) < 1e-15);
  const rng = new Rng(12);
  const n = 40000;
  for (const looks of [1, 5, 23]) {
    const sigma = 0.2;
    const z = sampleLatents(n, 1 + 1, rng); // two latent coordinates, pooled as the paper pools them
    const mean = new Float64Array(z.length);
    for (let i = 0; i < z.length; i++) {
      let s = 0;
      for (let t = 0; t < looks; t++) s += z[i] + sigma * rng.normal();
      mean[i] = s / looks;
    }
    // the unbiased integrator: ẑ = mean of the looks
    let se = 0;
    for (let i = 0; i < z.length; i++) se += (mean[i] - z[i]) ** 2;
    const r2 = 1 - se / z.length / LATENT_VARIANCE;
    const expected = integrationBoundR2(sigma, looks);
    // MSE's relative standard error is √(2/N) for Gaussian errors
    const tol = 4 * (1 - expected) * Math.sqrt(2 / z.length);
    assert.ok(Math.abs(r2 - expected) < tol, `${looks} looks: simulated ${r2}, formula ${expected}`);
    // the best linear estimate shrinks the mean: β = Cov(z, m)/Var(m), fitted on the sample
    let czm = 0, cmm = 0;
    for (let i = 0; i < z.length; i++) {
      czm += z[i] * mean[i];
      cmm += mean[i] * mean[i];
    }
    const beta = czm / cmm;
    let seLinear = 0;
    for (let i = 0; i < z.length; i++) seLinear += (beta * mean[i] - z[i]) ** 2;
    const r2Linear = 1 - seLinear / z.length / LATENT_VARIANCE;
    assert.ok(Math.abs(r2Linear - linearBoundR2(sigma, looks)) < tol, `${looks} looks: linear ${r2Linear} vs ${linearBoundR2(sigma, looks)}`);
    assert.ok(linearBoundR2(sigma, looks) > expected);
  }
});

test('bad settings are user errors naming the setting', () => {
  assert.throws(() => makeLatentTasks({ latentDim: 11, tasks: 2, seed: 1 }), /latent dimension must be an integer from 2 to 10, got 11/);
  assert.throws(() => makeLatentTasks({ latentDim: 2, tasks: 0, seed: 1 }), /number of tasks must be an integer ≥ 1, got 0/);
  assert.throws(() => makeObservationMap('rbf', 2, 1, { width: 0 }), /radial-basis width must be a positive number/);
  assert.throws(() => makeObservationMap('linear' as never, 2, 1), /unknown observation map 'linear'/);
  assert.throws(() => observe(makeObservationMap('rbf', 2, 1), new Float64Array(3)), /latents hold 3 values/);
  assert.throws(() => sampleLatentsInOrthant(5, 2, 4, new Rng(1)), /orthant must be an integer from 0 to 3/);
});
