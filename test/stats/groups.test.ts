import test from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import {
  benjaminiHochberg, binomial, bootstrapGroups, hedgesG, meanInterval, normalQuantile, permutationTest, studentTCdf, studentTQuantile, welchInterval, wilsonInterval,
} from '../../src/stats/groups.js';
import { spawnSync } from 'node:child_process';
import { PYTHON, pythonMissing } from '../python.js';

const close = (a: number, b: number, tol: number, what = ''): void => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b}`);

test("Hedges' g, worked by hand", () => {
  // a = 1, 2, 3 (mean 2, var 1); b = 4, 5, 6 (mean 5, var 1): pooled sd 1, d = 3, J = 1 − 3/(4·6 − 9) = 0.8
  close(hedgesG([1, 2, 3], [4, 5, 6])!, 2.4, 1e-12);
  close(hedgesG([4, 5, 6], [1, 2, 3])!, -2.4, 1e-12);
  assert.equal(hedgesG([1], [2, 3]), null, 'one value: no sd');
  assert.equal(hedgesG([1, 1], [2, 2]), null, 'no spread: g undefined');
});

test('the exact permutation test counts the splits as extreme as the observed one (enumerated by hand)', () => {
  // a = {1, 2}, b = {3, 4}: of the C(4,2) = 6 splits, |Δ| = 2 for {1,2}|{3,4} and {3,4}|{1,2}, else ≤ 1 → p = 2/6
  const r = permutationTest([1, 2], [3, 4], { rng: new Rng(1) });
  assert.equal(r.exact, true);
  assert.equal(r.count, 6);
  close(r.p, 2 / 6, 1e-15);
  close(r.minP, 2 / 6, 1e-15);
  // identical groups: every split is at least as extreme as Δ = 0
  assert.equal(permutationTest([5, 5, 5], [5, 5, 5], { rng: new Rng(1) }).p, 1);
  assert.equal(binomial(10, 5), 252);
});

test('the Monte Carlo permutation test agrees with the exact one, and its p is uniform under the null', () => {
  const rng = new Rng(3);
  const a = Array.from({ length: 7 }, () => rng.normal());
  const b = Array.from({ length: 7 }, () => rng.normal() + 0.8);
  const exact = permutationTest(a, b, { rng: new Rng(1) });
  const mc = permutationTest(a, b, { rng: new Rng(1), maxExact: 0, resamples: 20000 });
  assert.equal(exact.exact, true);
  assert.equal(mc.exact, false);
  close(mc.p, exact.p, 4 * Math.sqrt((exact.p * (1 - exact.p)) / 20000) + 1e-4, 'Monte Carlo p');
  // Under the null (both groups from one distribution), P(p ≤ α) ≤ α for a permutation test; with
  // continuous data and 5 vs 5 it is close to α. 400 experiments: the rejection rate at 0.05 and 0.2.
  const ps: number[] = [];
  for (let e = 0; e < 400; e++) {
    const x = Array.from({ length: 5 }, () => rng.normal());
    const y = Array.from({ length: 5 }, () => rng.normal());
    ps.push(permutationTest(x, y, { rng: rng.fork('perm', e) }).p);
  }
  for (const alpha of [0.05, 0.2]) {
    const rate = ps.filter((p) => p <= alpha).length / ps.length;
    const se = Math.sqrt((alpha * (1 - alpha)) / ps.length);
    assert.ok(rate <= alpha + 3 * se && rate >= alpha - 3 * se, `rejection rate ${rate} at ${alpha}`);
  }
});

test('bootstrap intervals of a difference in means cover the true difference about as often as they claim', () => {
  const rng = new Rng(11);
  const trials = 300;
  let covered = 0;
  for (let t = 0; t < trials; t++) {
    const a = Array.from({ length: 40 }, () => rng.normal());
    const b = Array.from({ length: 40 }, () => rng.normal() + 1);
    const ci = bootstrapGroups(a, b, { resamples: 400, rng: rng.fork('boot', t) }).delta;
    if (ci.lo <= 1 && 1 <= ci.hi) covered++;
  }
  // nominal 95 %; the percentile bootstrap runs slightly narrow at n = 40 (≈ 93–94 %)
  const rate = covered / trials;
  assert.ok(rate > 0.89 && rate <= 0.99, `coverage ${rate}`);
  const same = bootstrapGroups([2, 2, 2], [2, 2, 2], { rng: new Rng(1) });
  assert.deepEqual([same.delta.lo, same.delta.hi], [0, 0]);
  assert.equal(same.g, null, 'g is undefined when no resample has a spread');
  const g = bootstrapGroups([1, 2, 3, 4, 5, 6], [4, 5, 6, 7, 8, 9], { rng: new Rng(2) }).g!;
  assert.ok(g.lo < hedgesG([1, 2, 3, 4, 5, 6], [4, 5, 6, 7, 8, 9])! && g.hi > 0, `g interval ${g.lo}, ${g.hi}`);
});

test('Benjamini–Hochberg q-values, worked by hand', () => {
  // sorted p 0.01, 0.02, 0.03, 0.5 (m = 4): p·m/k = 0.04, 0.04, 0.04, 0.5; the running minimum from the top
  const q = benjaminiHochberg([0.03, null, 0.5, 0.01, 0.02]);
  assert.deepEqual(q.map((x) => (x === null ? null : Number(x.toFixed(12)))), [0.04, null, 0.5, 0.04, 0.04]);
});

test('Wilson and t intervals and the quantiles behind them match published values', () => {
  // Wilson 95 % for 8 of 10: [0.4902, 0.9433] (Newcombe 1998, Table I method 3 gives 0.4902–0.9433)
  const w = wilsonInterval(8, 10);
  close(w.lo, 0.4902, 1e-4);
  close(w.hi, 0.9433, 1e-4);
  close(normalQuantile(0.975), 1.959963984540054, 1e-8);
  close(normalQuantile(0.001), -3.090232306167813, 1e-7);
  // t tables: t(0.975; 1) = 12.7062, t(0.975; 4) = 2.7764, t(0.975; 30) = 2.0423, t(0.995; 10) = 3.1693
  close(studentTQuantile(0.975, 1), 12.7062, 1e-4);
  close(studentTQuantile(0.975, 4), 2.7764, 1e-4);
  close(studentTQuantile(0.975, 30), 2.0423, 1e-4);
  close(studentTQuantile(0.995, 10), 3.1693, 1e-4);
  close(studentTCdf(0, 7), 0.5, 1e-14);
  const m = meanInterval([1, 2, 3, 4])!;
  // mean 2.5, sd √(5/3), t(0.975; 3) = 3.1824: half-width 3.1824·√(5/12)
  close(m.lo, 2.5 - 3.18245 * Math.sqrt(5 / 12), 1e-4);
  assert.equal(meanInterval([1]), null);
});

test('the t quantiles and the permutation p agree with scipy', { skip: pythonMissing(['numpy', 'scipy'], 'scipy cross-check') ?? false }, () => {
  const rng = new Rng(5);
  const a = Array.from({ length: 6 }, () => Number(rng.normal().toFixed(6)));
  const b = Array.from({ length: 6 }, () => Number((rng.normal() + 0.7).toFixed(6)));
  const script = `
import json, sys, numpy as np
from scipy import stats
a, b = json.loads(sys.argv[1])
r = stats.permutation_test((b, a), lambda x, y: np.mean(x) - np.mean(y), permutation_type='independent', alternative='two-sided', n_resamples=np.inf)
q = [float(stats.t.ppf(p, df)) for p, df in [(0.975, 2), (0.9, 7), (0.999, 50), (0.6, 3)]]
print(json.dumps({'p': float(r.pvalue), 'q': q}))
`;
  const run = spawnSync(PYTHON, ['-c', script, JSON.stringify([a, b])], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const ref = JSON.parse(run.stdout) as { p: number; q: number[] };
  close(permutationTest(a, b, { rng: new Rng(1) }).p, ref.p, 1e-12, 'permutation p');
  [[0.975, 2], [0.9, 7], [0.999, 50], [0.6, 3]].forEach(([p, df], k) => close(studentTQuantile(p, df), ref.q[k], 1e-9, `t(${p}; ${df})`));
});

test("Welch's interval of a difference in means, worked by hand", () => {
  // a = 1, 2, 3 (var 1), b = 2, 4, 6, 8 (var 20/3): se² = 1/3 + 5/3 = 2; df = 4 / ((1/3)²/2 + (5/3)²/3) = 4.0755;
  // scipy.stats.ttest_ind(b, a, equal_var=False).confidence_interval() = (−0.89798, 6.89798)
  const w = welchInterval([1, 2, 3], [2, 4, 6, 8])!;
  close(w.delta, 3, 1e-12);
  close(w.df, 4 / (1 / 18 + 25 / 27), 1e-12);
  close(w.hi - w.delta, studentTQuantile(0.975, w.df) * Math.SQRT2, 1e-9);
  close(w.lo, -0.8979754510831279, 1e-9);
  close(w.hi, 6.897975451083128, 1e-9);
  assert.equal(welchInterval([1], [2, 3]), null);
  assert.deepEqual(welchInterval([2, 2], [3, 3]), { delta: 1, lo: 1, hi: 1, df: 2 });
});
