import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, UserError, type LayerRecord } from '../../src/core/index.js';
import { exportLayer } from '../../src/graph/index.js';
import { buildReport, readRunFolder } from '../../src/report/index.js';
import { generateRows, generateSsim, RUN_CONFIG } from './fixtures.js';

function randomLayer(name: string, nIn: number, nOut: number, seed: number): LayerRecord {
  const rng = new Rng(seed);
  const weights = new Float32Array(nIn * nOut);
  for (let i = 0; i < weights.length; i++) weights[i] = rng.next() < 0.2 ? 0 : rng.normal() * 0.1;
  return { name, weights, shape: [nIn, nOut], bias: new Float32Array(nOut) };
}

test('reads rows, config, SSIM ranking, sign degrees and σ(w) back from a run folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ws-run-'));
  try {
    const rows = generateRows({ runs: 2, probes: ['baseline', 'binarize', 'prune'] });
    // a duplicated line (resumed run) and a torn last line must not count
    writeFileSync(join(dir, 'results.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n' + JSON.stringify(rows[0]) + '\n');
    appendFileSync(join(dir, 'results.jsonl'), '{"task":"mnist-0v7","acc');
    writeFileSync(join(dir, 'run.json'), JSON.stringify(RUN_CONFIG));
    writeFileSync(join(dir, 'ssim.json'), JSON.stringify({ dataset: 'mnist', rows: generateSsim() }));
    const layer = randomLayer('dense_1', 30, 8, 4);
    const gdir = join(dir, 'graphs', 'mnist-0v7', 'run-1');
    mkdirSync(gdir, { recursive: true });
    exportLayer(layer, gdir, { formats: ['csv'] });

    const input = readRunFolder(dir);
    assert.equal(input.rows.length, rows.length);
    assert.deepEqual(input.config, RUN_CONFIG);
    assert.equal(input.ssim!.length, 45);
    assert.equal(input.layers!.length, 1);
    const l = input.layers![0];
    assert.deepEqual([l.task, l.run, l.layer], ['mnist-0v7', 1, 'dense_1']);
    // degrees and σ computed independently from the weights
    for (let i = 0; i < 30; i++) {
      let plus = 0;
      let minus = 0;
      for (let j = 0; j < 8; j++) {
        const w = layer.weights[i * 8 + j];
        if (w > 0) plus++;
        else if (w < 0) minus++;
      }
      assert.equal(l.in!.kPlus[i], plus);
      assert.equal(l.in!.kMinus[i], minus);
    }
    let sum = 0;
    for (const w of layer.weights) sum += w;
    const mean = sum / layer.weights.length;
    let ss = 0;
    for (const w of layer.weights) ss += (w - mean) ** 2;
    assert.ok(Math.abs(l.sigma! - Math.sqrt(ss / layer.weights.length)) < 1e-6);
    // and the report builds from it
    assert.match(buildReport(input).html, /dense_1, input units/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a folder without results is a user error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ws-run-'));
  try {
    assert.throws(() => readRunFolder(dir), UserError);
    assert.throws(() => readRunFolder(join(dir, 'missing')), UserError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('task infos recorded in run.json win over names parsed from the rows', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ws-run-'));
  try {
    writeFileSync(join(dir, 'results.jsonl'), generateRows({ runs: 1, probes: ['baseline'] }).map((r) => JSON.stringify(r)).join('\n') + '\n');
    const tasks = [
      { task: 'mnist-0v7', classes: [0, 7], difficulty: 'easy', ssimDistance: 0.864 },
      { task: 'mnist-7v9', classes: [7, 9], difficulty: 'hard', ssimDistance: 0.707 },
    ];
    writeFileSync(join(dir, 'run.json'), JSON.stringify({ config: { dataset: 'mnist' }, tasks }));
    const input = readRunFolder(dir, { graphs: false });
    assert.deepEqual(input.tasks, tasks.map((t) => ({ ...t, dataset: 'mnist' })));
    assert.equal(input.layers, undefined);
    const { summary } = buildReport(input);
    assert.equal(summary.tasks[1].ssimDistance, 0.707);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
