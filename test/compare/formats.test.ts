/**
 * compare works on every kind of model the project opens: one small model of each format (the
 * fixtures door.test.ts opens), compared with itself. None runs on MNIST (their MLPs take 6
 * inputs), so each gets the data-free part, with a graph row for every layer `openModel` lists and
 * the reason the rest did not run.
 */
import test, { before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCompare } from '../../src/compare/run.js';
import { openModel } from '../../src/formats/open.js';
import { FORMATS } from '../../src/formats/registry.js';
import { modelFixtures, type ModelFixture } from '../formats/fixtures.js';

let fixtures: ModelFixture[];
before(async () => {
  fixtures = await modelFixtures(join(mkdtempSync(join(tmpdir(), 'ws-compare-formats-')), 'models'));
});

test('every format: the data-free fingerprint, one graph column set per layer, and why the rest did not run', async () => {
  assert.deepEqual([...new Set(fixtures.map((f) => f.format))].sort(), FORMATS.map((f) => f.format).sort(), 'a fixture of every format');
  for (const f of fixtures) {
    const r = await runCompare({ paths: [f.path, f.path], labels: ['a', 'b'], plan: { samples: 2 } });
    const layers = (await openModel(f.path, { conv: 'unfold' })).layers.length;
    for (const m of r.models) {
      const row = m.fingerprint.row;
      assert.equal(row.kind, 'weights', f.what);
      assert.equal(row.parts, 'graph', f.what);
      assert.ok(String(row.missing).length > 10, `${f.what}: says why (${row.missing})`);
      assert.equal(Object.keys(row).filter((k) => /^density_l\d+$/.test(k)).length, layers, f.what);
    }
    // the same model twice: every feature the same number
    assert.ok(r.comparison.pairs[0].features.every((x) => x.delta === 0), f.what);
  }
});
