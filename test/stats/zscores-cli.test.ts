/**
 * Null-model z-scores are one fact: `weightscope stats --null` and the layer table
 * (`stats --all-layers --null … --out`) report the same numbers for a layer, and both are the
 * definition — z = (observed − mean) / sd (sample sd, n − 1) of the statistic over the null samples,
 * sample s drawn from Rng(deriveSeed(seed, 'stats-null', null model, layer)).fork('null-sample', s).
 * Real CLI runs on a real .npy file.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deriveSeed, Rng } from '../../src/core/rng.js';
import { saveNpy } from '../../src/model/files.js';
import { randomizeLayer } from '../../src/randomize/index.js';
import { degreeAssortativity, nodf } from '../../src/stats/index.js';
import { randomLayer } from './fixtures.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');

function run(args: string[]): string {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `weightscope ${args.join(' ')}\n${r.stderr}`);
  return r.stdout;
}

const dir = mkdtempSync(join(tmpdir(), 'ws-zscores-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('stats --null and the layer table give the same z-scores, and they are the definition', () => {
  const layer = randomLayer(17, 40, 16, { zeros: 0.3 });
  const npy = join(dir, 'w.npy');
  saveNpy(npy, layer.weights, layer.shape);
  const [method, seed, samples] = ['curveball', 4, 6];
  const flags = ['--null', method, '--seed', String(seed), '--samples', String(samples)];
  const single = JSON.parse(run(['stats', npy, '--json', ...flags])).layers[0] as { name: string; zScores: Record<string, { z: number | null; samples: number[] }> };
  run(['stats', npy, '--all-layers', '--out', join(dir, 'table'), ...flags]);
  const [row] = JSON.parse(readFileSync(join(dir, 'table', 'layers.json'), 'utf8')).layers as Record<string, number | null>[];

  // the definition, sample by sample
  const named = { ...layer, name: single.name };
  const rng = new Rng(deriveSeed(seed, 'stats-null', method, single.name));
  const nulls = Array.from({ length: samples }, (_, s) => randomizeLayer(named, method, rng.fork('null-sample', s)));
  const statistics: Record<string, [string, (l: typeof named) => number]> = {
    'nodf+': ['z_nodf_pos', (l) => nodf(l, 'positive').nodf],
    'nodf-': ['z_nodf_neg', (l) => nodf(l, 'negative').nodf],
    'assortativity+': ['z_assortativity_pos', (l) => degreeAssortativity(l, 'positive')],
    'assortativity-': ['z_assortativity_neg', (l) => degreeAssortativity(l, 'negative')],
    assortativity: ['z_assortativity', (l) => degreeAssortativity(l, 'all')],
  };
  assert.deepEqual(Object.keys(single.zScores).sort(), Object.keys(statistics).sort());
  let finite = 0;
  for (const [name, [column, f]] of Object.entries(statistics)) {
    const values = nulls.map(f);
    const mean = values.reduce((a, b) => a + b, 0) / samples;
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (samples - 1));
    const z = sd > 0 ? (f(named) - mean) / sd : NaN;
    assert.deepEqual(single.zScores[name].samples, values, `${name}: the null samples`);
    assert.ok(Number.isFinite(z) ? Math.abs(single.zScores[name].z! - z) <= 1e-12 * Math.max(1, Math.abs(z)) : single.zScores[name].z === null, `${name}: stats --null z ${single.zScores[name].z} vs ${z}`);
    assert.equal(row[column], single.zScores[name].z, `${name}: the layer table's ${column} is stats --null's z`);
    if (Number.isFinite(z)) finite++;
  }
  assert.ok(finite >= 3, 'most z-scores are defined on this layer');
});
