/**
 * Cross-check against numpy/networkx (bench/python/stats_crosscheck.py) when /usr/bin/python3
 * has them; skipped with a message otherwise, so the suite never depends on Python.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { unitStats, weightSummary, degreeAssortativity, nodf, percolation, summarize } from '../../src/stats/index.js';
import { randomLayer } from './fixtures.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../../../bench/python/stats_crosscheck.py', import.meta.url));

function pythonReady(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import numpy, networkx'], { encoding: 'utf8' });
  if (r.error) return `${PYTHON} not found`;
  return r.status === 0 ? null : 'python3 lacks numpy/networkx (apt-get install python3-numpy python3-networkx)';
}

const missing = pythonReady();
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
