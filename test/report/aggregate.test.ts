import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findCurve, groupCurves, pointAt, stat, linearFit, type CurvePoint } from '../../src/report/index.js';
import { generateRows, NOISE_GRID } from './fixtures.js';

const close = (a: number, b: number, eps = 1e-12): void => assert.ok(Math.abs(a - b) <= eps, `${a} vs ${b}`);

test('averages the seeds of each run, then takes mean, sample sd, min and max over runs', () => {
  const rows = generateRows({ probes: ['noise'], runs: 4, seeds: 3, seed: 11 });
  const curve = findCurve(groupCurves(rows), { task: 'mnist-7v9', probe: 'noise' });
  assert.ok(curve);
  assert.equal(curve.points.length, NOISE_GRID.length);
  for (const level of [NOISE_GRID[0], NOISE_GRID[17], NOISE_GRID[29]]) {
    const perRun: number[] = [];
    for (let run = 0; run < 4; run++) {
      const accs = rows.filter((r) => r.task === 'mnist-7v9' && r.run === run && r.level === level).map((r) => r.accuracy);
      assert.equal(accs.length, 3);
      perRun.push((accs[0] + accs[1] + accs[2]) / 3);
    }
    const mean = (perRun[0] + perRun[1] + perRun[2] + perRun[3]) / 4;
    const sd = Math.sqrt(perRun.reduce((s, v) => s + (v - mean) ** 2, 0) / 3);
    const p: CurvePoint = pointAt(curve, level)!;
    close(p.mean, mean);
    close(p.sd, sd);
    close(p.min, Math.min(...perRun));
    close(p.max, Math.max(...perRun));
    assert.equal(p.n, 4);
    assert.equal(p.rows, 12);
  }
});

test("pool 'rows' counts every row once", () => {
  const rows = generateRows({ probes: ['noise'], runs: 3, seeds: 4, seed: 2 });
  const curve = findCurve(groupCurves(rows, { pool: 'rows' }), { task: 'mnist-0v7', probe: 'noise' })!;
  const level = NOISE_GRID[10];
  const accs = rows.filter((r) => r.task === 'mnist-0v7' && r.probe === 'noise' && r.level === level).map((r) => r.accuracy);
  const mean = accs.reduce((a, b) => a + b, 0) / accs.length;
  const sd = Math.sqrt(accs.reduce((s, v) => s + (v - mean) ** 2, 0) / (accs.length - 1));
  const p = pointAt(curve, level)!;
  assert.equal(p.n, 12);
  close(p.mean, mean);
  close(p.sd, sd);
});

test('keeps one curve per task, probe, variant and signed, with points sorted by level', () => {
  const rows = generateRows({ probes: ['prune', 'signflip'], runs: 2, seed: 4 });
  const shuffled = [...rows].reverse();
  const curves = groupCurves(shuffled);
  const expected = new Set(rows.map((r) => `${r.task}|${r.probe}|${r.variant}|${r.signed}`));
  assert.equal(curves.length, expected.size);
  for (const c of curves) {
    for (let i = 1; i < c.points.length; i++) assert.ok(c.points[i].level > c.points[i - 1].level);
    assert.ok(expected.has(`${c.task}|${c.probe}|${c.variant}|${c.signed}`));
  }
  const plain = findCurve(curves, { task: 'mnist-7v9', probe: 'prune', signed: false })!;
  const signed = findCurve(curves, { task: 'mnist-7v9', probe: 'prune', signed: true })!;
  assert.notDeepEqual(plain.points.map((p) => p.mean), signed.points.map((p) => p.mean));
});

test('finds a level despite float noise in how it was computed', () => {
  const rows = generateRows({ probes: ['prune'], runs: 1 });
  const curve = findCurve(groupCurves(rows), { task: 'mnist-0v7', probe: 'prune' });
  assert.ok(pointAt(curve, 0.1 + 0.2));
  assert.equal(pointAt(curve, 0.35), undefined);
});

test('stat ignores NaN, gives sd 0 for one value and null for none', () => {
  assert.equal(stat([]), null);
  assert.equal(stat([NaN]), null);
  assert.deepEqual(stat([0.7]), { mean: 0.7, sd: 0, min: 0.7, max: 0.7, n: 1, median: 0.7, q1: 0.7, q3: 0.7 });
  const s = stat([1, NaN, 3])!;
  assert.equal(s.n, 2);
  assert.equal(s.mean, 2);
  close(s.sd, Math.SQRT2);
});

test('linearFit recovers an exact line and its correlation sign', () => {
  const up = linearFit([0, 1, 2, 3].map((x) => ({ x, y: 2 * x + 1 })))!;
  close(up.slope, 2);
  close(up.intercept, 1);
  close(up.r, 1);
  assert.ok(linearFit([0, 1, 2].map((x) => ({ x, y: -x + (x === 1 ? 0.1 : 0) })))!.r < -0.9);
  assert.equal(linearFit([{ x: 1, y: 1 }, { x: 1, y: 2 }]), null);
});

test('stat gives the reference\'s median and quartiles (numpy.percentile, linear)', () => {
  // np.percentile([1, 2, 3, 4], [25, 50, 75]) = [1.75, 2.5, 3.25], whatever the input order
  const s = stat([4, 1, 3, 2])!;
  assert.deepEqual([s.q1, s.median, s.q3], [1.75, 2.5, 3.25]);
  const t = stat([0.9, NaN, 0.1, 0.5])!;
  assert.ok(Math.abs(t.q1 - 0.3) < 1e-15 && t.median === 0.5 && Math.abs(t.q3 - 0.7) < 1e-15);
});
