/**
 * Cross-check against numpy/networkx (bench/python/stats_crosscheck.py) when the Python of
 * ../python.ts has them; skipped with one line saying so otherwise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { unitStats, weightSummary, degreeAssortativity, nodf, percolation, summarize } from '../../src/stats/index.js';
import { randomLayer } from './fixtures.js';
import { PYTHON, pythonMissing } from '../python.js';

const SCRIPT = fileURLToPath(new URL('../../../bench/python/stats_crosscheck.py', import.meta.url));

const missing = pythonMissing(['numpy', 'networkx'], 'statistics cross-check against numpy/networkx');
const close = (a: number, b: number, tol = 1e-9): boolean => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

test('agrees with numpy/networkx on a random pruned layer', { skip: missing ?? false }, () => {
  const layer = randomLayer(51, 45, 30, { zeros: 0.35 });
  const curve = percolation(layer, 'all', { points: 11 });
  const thresholds = curve.points.filter((p) => p.threshold !== null).map((p) => p.threshold!);
  const input = JSON.stringify({ nIn: 45, nOut: 30, weights: Array.from(layer.weights), thresholds });
  const r = spawnSync(PYTHON, [SCRIPT], { input, encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, r.stderr);
  const py = JSON.parse(r.stdout.replace(/\bNaN\b/g, 'null'));
  const u = unitStats(layer);
  assert.deepEqual(Array.from(u.in.kPlus), py.kPlusIn);
  assert.deepEqual(Array.from(u.out.kMinus), py.kMinusOut);
  Array.from(u.out.sPlus).forEach((s, j) => assert.ok(close(s, py.sPlusOut[j])));
  const s = weightSummary(layer);
  assert.ok(close(s.sd, py.sdAll));
  assert.ok(close(s.sdNonZero, py.sdNonZero));
  const nonZero = layer.weights.filter((x) => x !== 0);
  assert.ok(close(summarize(nonZero).skew, py.skewNonZero));
  assert.ok(close(summarize(nonZero).q25, py.q25NonZero));
  for (const sign of ['positive', 'negative', 'all'] as const) {
    assert.ok(close(degreeAssortativity(layer, sign), py.assortativity[sign]), `assortativity ${sign}`);
  }
  assert.ok(close(nodf(layer, 'positive').nodf, py.nodf.positive));
  assert.ok(close(nodf(layer, 'negative').nodf, py.nodf.negative));
  const withEdges = curve.points.filter((p) => p.threshold !== null);
  withEdges.forEach((p, k) => {
    assert.equal(p.giant, py.components[k].giant);
    assert.equal(p.components, py.components[k].components);
  });
});
