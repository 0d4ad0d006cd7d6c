/**
 * The distribution test of drawn noise: deltas must be U(−a, a). Bounds alone would let one-sided
 * U(0, a) noise through, so: centred on 0, E[d²] = a²/3, both signs equally often, flat over
 * [−a, a] (χ² on 10 bins) and the whole CDF (Kolmogorov–Smirnov), each at about p = 0.001.
 */
import assert from 'node:assert/strict';

export function assertUniformNoise(deltas: ArrayLike<number>, a: number, label: string): void {
  const d = Float64Array.from(deltas);
  const n = d.length;
  assert.ok(n >= 100, `${label}: ${n} deltas are too few for a distribution test`);
  assert.ok(d.every((x) => Math.abs(x) <= a * (1 + 1e-5)), `${label}: a delta exceeds a`);
  const mean = d.reduce((s, x) => s + x, 0) / n;
  const sd = a / Math.sqrt(3);
  assert.ok(Math.abs(mean) < (5 * sd) / Math.sqrt(n), `${label}: mean ${mean} is not ≈ 0 (a = ${a})`);
  const m2 = d.reduce((s, x) => s + x * x, 0) / n;
  // Var(d²) = a⁴/5 − a⁴/9 = 4a⁴/45 for d ~ U(−a, a)
  assert.ok(Math.abs(m2 - (a * a) / 3) < (5 * Math.sqrt(4 / 45) * a * a) / Math.sqrt(n), `${label}: E[d²] ${m2} vs a²/3 ${(a * a) / 3}`);
  const positive = d.filter((x) => x > 0).length / n;
  assert.ok(Math.abs(positive - 0.5) < (5 * 0.5) / Math.sqrt(n), `${label}: ${positive} of the deltas are positive`);
  const bins = new Array<number>(10).fill(0);
  for (const x of d) bins[Math.max(0, Math.min(9, Math.floor(((x / a + 1) / 2) * 10)))]++;
  const chi2 = bins.reduce((s, c) => s + (c - n / 10) ** 2 / (n / 10), 0);
  assert.ok(chi2 < 27.9, `${label}: chi2 ${chi2.toFixed(1)} (9 dof, p = 0.001 at 27.9)`);
  // KS against F(x) = (x + a) / 2a: D_n = max over the sorted sample of |F(x_i) − i/n|, |F(x_i) − (i−1)/n|
  d.sort();
  let ks = 0;
  for (let i = 0; i < n; i++) {
    const f = Math.min(1, Math.max(0, (d[i] + a) / (2 * a)));
    ks = Math.max(ks, (i + 1) / n - f, f - i / n);
  }
  assert.ok(ks < 1.95 / Math.sqrt(n), `${label}: Kolmogorov–Smirnov D = ${ks.toFixed(4)} against U(−a, a) (p = 0.001 at ${(1.95 / Math.sqrt(n)).toFixed(4)})`);
}
