/**
 * Cross-check of the representation metrics against an independent numpy re-derivation
 * (bench/python/disentanglement_crosscheck.py: np.linalg.solve of the normal equations, np.histogram/np.digitize,
 * closed-form ridge,
 * scipy's L-BFGS for the logistic fit) when the Python of ../python.ts has numpy (and scipy);
 * skipped with one line saying so otherwise.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Rng } from '../../src/core/rng.js';
import { makeObservationMap, noisyObservations, sampleLatents } from '../../src/data/latent-tasks.js';
import { allRows, dci, logisticRegression, mig, oodR2, type SampleMatrix } from '../../src/stats/index.js';
import { PYTHON, pythonMissing } from '../python.js';

const SCRIPT = fileURLToPath(new URL('../../../bench/python/disentanglement_crosscheck.py', import.meta.url));
const noNumpy = pythonMissing(['numpy'], 'disentanglement metrics cross-check against numpy') ?? false;
const noScipy = pythonMissing(['numpy', 'scipy'], 'logistic regression cross-check against scipy') ?? false;

const close = (a: number, b: number, tol: number, what: string): void => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

/** A 64-unit ReLU representation of noisy latents (something like a hidden layer: mixed, partly silent). */
function hidden(n: number, D: number, seed: number): { h: SampleMatrix; z: SampleMatrix } {
  const z = sampleLatents(n, D, new Rng(seed));
  const map = makeObservationMap('relu-mlp', D, seed, { widths: [100, 64] });
  const x = noisyObservations(map, z, { sigma: 0.1, rng: new Rng(seed + 1) }).map((v) => Math.max(0, v));
  return { h: { values: x, n, dims: 64 }, z: { values: z, n, dims: D } };
}

function runPython(input: object): Record<string, any> {
  const r = spawnSync(PYTHON, [SCRIPT], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

for (const D of [2, 3]) {
  test(`OOD r², MIG and DCI agree with numpy on a 64-unit ReLU code of D = ${D}`, { skip: noNumpy }, () => {
    const n = 1600;
    const { h, z } = hidden(n, D, 10 + D);
    const testRows = Uint32Array.from({ length: 320 }, (_, i) => i * 5 + (i % 5));
    const py = runPython({ h: Array.from(h.values), z: Array.from(z.values), n, p: 64, D, bins: 20, ridge: 1e-3, oodRidge: 1e-8, testRows: [...testRows] });

    const ood = oodR2(h, z, { seed: 1 });
    assert.equal(ood.orthants.length, 2 ** D);
    ood.orthants.forEach((o, i) => {
      assert.equal(o.orthant, py.ood[i].orthant);
      close(o.r2, py.ood[i].r2, 1e-5, `orthant ${o.orthant} r²`);
      close(o.r2Centre, py.ood[i].r2Centre, 1e-5, `orthant ${o.orthant} centre r²`);
    });

    const m = mig(h, z, { bins: 20 });
    close(m.mig, py.mig, 1e-9, 'MIG');
    m.mutualInformation.forEach((v, i) => close(v, py.mutualInformation[Math.floor(i / D)][i % D], 1e-9, `MI ${i}`));

    const d = dci(h, z, { seed: 1, ridge: 1e-3, testRows });
    close(d.disentanglement, py.dci.disentanglement, 1e-7, 'DCI disentanglement');
    close(d.completeness, py.dci.completeness, 1e-7, 'DCI completeness');
    close(d.informativeness, py.dci.informativeness, 1e-7, 'DCI informativeness');
    d.importance.forEach((v, i) => close(v, py.dci.importance[Math.floor(i / D)][i % D], 1e-6, `importance ${i}`));
  });
}

test('the logistic fit reaches the optimum scipy finds for the same penalised objective', { skip: noScipy }, () => {
  const n = 1200;
  const { h, z } = hidden(n, 2, 31);
  // a task whose boundary the code holds imperfectly (noise): not separable
  const labels = Uint8Array.from({ length: n }, (_, k) => (z.values[2 * k] + 0.5 * z.values[2 * k + 1] > 0 ? 1 : 0));
  const py = runPython({ h: Array.from(h.values), z: Array.from(z.values), n, p: 64, D: 2, bins: 20, ridge: 1e-3, oodRidge: 1e-8, testRows: Array.from({ length: 100 }, (_, i) => i * 12), labels: [...labels] });
  const fit = logisticRegression(h, labels, allRows(n), { l2: 1 });
  // The objective from its definition, Σ log(1 + e^s) − y·s + ½‖w·sd‖², at both answers: ours is at
  // least as low as scipy's. Collinear ReLU units make the optimum shallow along some directions, so
  // the weights themselves agree less tightly than the fitted probabilities.
  const p = 64;
  const sd = new Float64Array(p);
  const mean = new Float64Array(p);
  for (let k = 0; k < n; k++) for (let j = 0; j < p; j++) mean[j] += h.values[k * p + j] / n;
  for (let k = 0; k < n; k++) for (let j = 0; j < p; j++) sd[j] += (h.values[k * p + j] - mean[j]) ** 2 / n;
  const scores = (w: ArrayLike<number>, b: number) => Float64Array.from({ length: n }, (_, k) => {
    let s = b;
    for (let j = 0; j < p; j++) s += h.values[k * p + j] * w[j];
    return s;
  });
  const objective = (w: ArrayLike<number>, b: number): number => {
    let f = 0;
    scores(w, b).forEach((s, k) => (f += Math.max(s, 0) + Math.log1p(Math.exp(-Math.abs(s))) - labels[k] * s));
    for (let j = 0; j < p; j++) f += 0.5 * w[j] * w[j] * sd[j];
    return f;
  };
  const ours = objective(fit.weights, fit.intercept);
  close(py.logistic.objective, objective(py.logistic.weights, py.logistic.intercept), 1e-9, "scipy's reported objective");
  assert.ok(ours <= py.logistic.objective + 1e-9 * Math.abs(ours), `ours ${ours} vs scipy ${py.logistic.objective}`);
  close(ours, py.logistic.objective, 1e-9, 'objective');
  const sigmoid = (s: number) => 1 / (1 + Math.exp(-s));
  const a = scores(fit.weights, fit.intercept), b = scores(py.logistic.weights, py.logistic.intercept);
  a.forEach((s, k) => assert.ok(Math.abs(sigmoid(s) - sigmoid(b[k])) < 1e-4, `probability of sample ${k}`));
});
