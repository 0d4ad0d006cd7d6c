/**
 * The layer table (src/report/layer-table.ts, layer-row.ts): rows computed on worker threads equal
 * rows computed in this thread; the spectra against null models equal the z-score definition
 * worked independently (samples drawn as zScore documents, statistics recomputed); WeightWatcher's
 * fused-attention convention gives the parts the spectrum of the whole tensor; the console table
 * shows the informative columns and no α below 10 eigenvalues; the HTML page overlays each
 * layer's ESD with its null models' and the power-law fit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JSDOM } from 'jsdom';
import { deriveSeed, Rng } from '../../src/core/rng.js';
import type { LayerRecord } from '../../src/core/layer.js';
import { randomizeLayer } from '../../src/randomize/index.js';
import { layerEigenvalues, spectralStats } from '../../src/stats/index.js';
import { layerTableHtml, layerTableRows, layerTableText, type LayerJob, type LayerTableOptions } from '../../src/report/index.js';
import { randomLayer } from '../stats/fixtures.js';

// `load` hands out the same record every time, as the CLI does for tfjs models and .npy files: the table must not consume it
const job = (layer: LayerRecord, depth: number, kind = 'dense', extra: Partial<LayerJob['meta']> = {}): LayerJob => ({
  depth, meta: { kind, params: layer.weights.length, ...extra }, load: () => layer,
});

const layers = [randomLayer(1, 40, 60), randomLayer(2, 60, 30, { zeros: 0.3 }), randomLayer(3, 30, 4)];
const jobs = layers.map((l, k) => job({ ...l, name: `l${k}` }, k));

test('rows computed on two worker threads are the rows computed in this thread, bit for bit, in order', async () => {
  const options: LayerTableOptions = { nullModel: ['B', 'curveball'], samples: 3, seed: 7 };
  const here = await layerTableRows(jobs, options, { threads: 1 });
  const there = await layerTableRows(jobs, options, { threads: 2 });
  assert.deepEqual(there.rows, here.rows);
  assert.ok(layers.every((l) => l.weights.length === l.shape[0] * l.shape[1]), 'the records handed out are left intact');
  // records read afresh for each task (model files) are handed over to the workers, not copied: the same rows
  const fresh = jobs.map((j) => ({ ...j, fresh: true, load: () => { const l = j.load(); return { ...l, weights: l.weights.slice() }; } }));
  assert.deepEqual((await layerTableRows(fresh, options, { threads: 2 })).rows, here.rows);
  assert.equal(there.spectra.length, 3);
  there.spectra.forEach((s, k) => {
    assert.deepEqual(s.eigenvalues, here.spectra[k].eigenvalues);
    assert.deepEqual(s.nulls.map((n) => n.method), ['B', 'curveball']);
    assert.deepEqual(s.nulls[1].eigenvalues, here.spectra[k].nulls[1].eigenvalues);
  });
});

test('the spectra against a null model: null means and z-scores of α, stable rank and spectral norm as defined (samples drawn independently)', async () => {
  const layer = { ...randomLayer(4, 50, 70), name: 'x' };
  const samples = 6;
  const { rows, spectra } = await layerTableRows([job(layer, 0)], { nullModel: 'curveball', samples, seed: 11 }, { threads: 1 });
  const row = rows[0];
  // zScore's documented draw: sample s from rng.fork('null-sample', s), rng seeded by (seed, 'stats-null', method, layer)
  const rng = new Rng(deriveSeed(11, 'stats-null', 'curveball', 'x'));
  const nulls = Array.from({ length: samples }, (_, s) => randomizeLayer(layer, 'curveball', rng.fork('null-sample', s)));
  const observed = spectralStats(layer);
  for (const [column, of] of [['alpha', (s: ReturnType<typeof spectralStats>) => s.alpha], ['stable_rank', (s: ReturnType<typeof spectralStats>) => s.stableRank], ['spectral_norm', (s: ReturnType<typeof spectralStats>) => s.spectralNorm]] as const) {
    const values = nulls.map((n) => of(spectralStats(n)));
    const mean = values.reduce((a, b) => a + b, 0) / samples;
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (samples - 1));
    assert.ok(Math.abs(Number(row[`null_${column}`]) - mean) <= 1e-12 * Math.abs(mean), `null_${column}`);
    assert.ok(Math.abs(Number(row[`z_${column}`]) - (of(observed) - mean) / sd) <= 1e-9, `z_${column}`);
    assert.equal(row[column], of(observed));
  }
  // the pooled null eigenvalues of the ESD plot are the samples' eigenvalues
  const pooled = nulls.flatMap((n) => Array.from(layerEigenvalues(n))).sort((a, b) => a - b);
  assert.deepEqual(Array.from(spectra[0].nulls[0].eigenvalues), pooled);
  // a degree-preserving rewiring keeps the signs of every unit: the existing columns are still there
  assert.ok('z_nodf_pos' in row && 'z_assortativity_pos' in row);
});

test('several null models: every null column suffixed by its model, each equal to that model alone', async () => {
  const both = (await layerTableRows(jobs.slice(0, 1), { nullModel: ['B', 'curveball'], samples: 3, seed: 2 }, { threads: 1 })).rows[0];
  const alone = (await layerTableRows(jobs.slice(0, 1), { nullModel: 'curveball', samples: 3, seed: 2 }, { threads: 1 })).rows[0];
  for (const c of ['z_nodf_pos', 'z_assortativity_neg', 'null_alpha', 'z_alpha', 'null_stable_rank', 'z_stable_rank', 'null_spectral_norm', 'z_spectral_norm']) {
    assert.equal(both[`${c}_curveball`], alone[c], c);
    assert.ok(`${c}_B` in both, `${c}_B`);
    assert.ok(!(c in both), `no unsuffixed ${c} with two null models`);
  }
});

test('no α below 10 eigenvalues: empty with a note, said in the console table, norms still there', async () => {
  const { rows } = await layerTableRows(jobs, {}, { threads: 1 });
  const small = rows[2]; // 30×4: 4 eigenvalues
  assert.equal(small.n_evals, 4);
  assert.equal(small.alpha, null);
  assert.match(String(small.alpha_note), /4 eigenvalues \(< 10\)/);
  assert.ok(Number(small.spectral_norm) > 0 && Number(small.stable_rank) >= 1);
  assert.equal(typeof rows[0].alpha, 'number');
  const text = layerTableText(rows);
  const line = text.split('\n').find((l) => l.startsWith('l2'))!;
  assert.match(line, /—\*/);
  assert.match(text, /\* no α: l2 \(4 eigenvalues \(< 10\)\)/);
});

test('the console table shows the signed assortativities and drops columns undefined on every layer', async () => {
  // dense, unpruned layers: every unit has the same total degree, so the whole-graph assortativity is undefined
  const dense = [randomLayer(5, 30, 40), randomLayer(6, 40, 20)].map((l, k) => job({ ...l, name: `d${k}` }, k));
  const { rows } = await layerTableRows(dense, { nullModel: 'B', samples: 3 }, { threads: 1 });
  assert.ok(rows.every((r) => r.assortativity === null));
  const text = layerTableText(rows, { nullModel: 'B' });
  const header = text.split('\n')[0].split(/\s{2,}/);
  assert.ok(header.includes('assort+') && header.includes('assort−'), header.join('|'));
  assert.ok(!header.includes('assort') && !header.includes('z assort'), header.join('|'));
  assert.ok(header.includes('z α') && header.includes('z srank'), header.join('|'));
  // under B (every sign kept) NODF and the signed assortativities are the same in every sample: their z-scores are undefined too
  assert.match(text, /not shown: assort, z NODF\+, z NODF−, z assort, z assort\+, z assort− \(/);
  // a pruned layer has a defined whole-graph assortativity: then the column is shown
  const pruned = await layerTableRows([job({ ...randomLayer(7, 30, 40, { zeros: 0.5 }), name: 'p' }, 0)], {}, { threads: 1 });
  assert.ok(layerTableText(pruned.rows).split('\n')[0].split(/\s{2,}/).includes('assort'));
});

test('WeightWatcher convention: the q, k, v parts of a fused tensor all get the spectrum of the whole tensor', async () => {
  const d = 16;
  const rng = new Rng(9);
  const fused = Float32Array.from({ length: d * 3 * d }, () => rng.normal()); // record layout [nIn = d, nOut = 3d]
  const part = (p: number): LayerRecord => {
    const w = new Float32Array(d * d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) w[i * d + j] = fused[i * 3 * d + p * d + j];
    return { name: `attn.in_proj.${'qkv'[p]}`, weights: w, shape: [d, d], bias: null };
  };
  const parts = [0, 1, 2].map((p) => job(part(p), p, `attention.${'qkv'[p]}`, { tensor: 'attn.in_proj_weight', part: { index: p, of: 3 } }));
  const ww = await layerTableRows(parts, { esd: 'weightwatcher', nullModel: 'B', samples: 3 }, { threads: 1 });
  const whole = spectralStats({ name: 'whole', weights: fused, shape: [d, 3 * d], bias: null });
  for (const row of ww.rows) {
    assert.equal(row.spectral_norm, whole.spectralNorm);
    assert.equal(row.alpha, whole.alpha);
    assert.equal(row.n_evals, d);
    assert.match(String(row.esd), /fused tensor \[16, 48\]/);
    assert.equal(row.z_alpha, ww.rows[0].z_alpha);
  }
  // the graph statistics stay the part's own
  const own = await layerTableRows(parts, { nullModel: 'B', samples: 3 }, { threads: 1 });
  ww.rows.forEach((r, k) => {
    assert.equal(r.nodf_pos, own.rows[k].nodf_pos);
    assert.equal(r.z_nodf_pos, own.rows[k].z_nodf_pos);
    assert.equal(own.rows[k].spectral_norm, spectralStats(part(k)).spectralNorm);
  });
});

test('the HTML page: one ESD figure per layer with the layer, each null model and the fit overlaid', async () => {
  const { rows, spectra } = await layerTableRows(jobs, { nullModel: ['B', 'curveball'], samples: 3 }, { threads: 1 });
  const doc = new JSDOM(layerTableHtml(rows, 'test', spectra, ['B', 'curveball'])).window.document;
  const figures = [...doc.querySelectorAll('figure.esd')];
  assert.equal(figures.length, 3);
  const series = (f: Element): string[] => [...f.querySelectorAll('path.series')].map((p) => p.getAttribute('data-series')!);
  assert.deepEqual(series(figures[0]), ['layer', 'null-B', 'null-curveball', 'fit']);
  // the 30×4 layer has no α: no fit line, and its title says why
  assert.deepEqual(series(figures[2]), ['layer', 'null-B', 'null-curveball']);
  assert.match(figures[2].textContent ?? '', /no α: fewer than 10 eigenvalues/);
  assert.ok(doc.querySelector('#chart-z_alpha_curveball svg'), 'a depth chart of each null column');
  assert.match(doc.querySelector('tbody tr:last-child')!.textContent ?? '', /4 eigenvalues \(< 10\)/);
});
