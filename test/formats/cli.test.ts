/**
 * The commands on model files, end to end through the real `weightscope` binary: the inventory,
 * the layer-by-layer table (CSV + JSON + HTML), randomize written back in the model's own format,
 * the viewer on a model file, and one-line errors for bad input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { csvParse } from 'd3-dsv';
import { JSDOM } from 'jsdom';
import { Rng } from '../../src/core/index.js';
import { encodeSafetensors, openModel } from '../../src/formats/index.js';
import { modelFile } from './fixtures.js';
import { nodf, spectralStats } from '../../src/stats/index.js';
import { viewerIndex } from '../cli/view-index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'ws-formats-cli-'));

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: root, timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function assertOneLineError(r: { code: number; stderr: string }, pattern: RegExp): void {
  assert.notEqual(r.code, 0, 'exit code must be non-zero');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${r.stderr}`);
  assert.match(lines[0], pattern);
}

/** A two-block DistilBERT-shaped model in PyTorch layout, seeded. */
function tinyBert(path: string): void {
  const rng = new Rng(4);
  const [d, f, vocab] = [24, 48, 60];
  const tensors: { name: string; dtype: 'F32' | 'F16'; shape: number[]; values: Float32Array }[] = [];
  const add = (name: string, shape: number[], dtype: 'F32' | 'F16' = 'F32'): void => {
    tensors.push({ name, dtype, shape, values: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal() * 0.1) });
  };
  add('embeddings.word_embeddings.weight', [vocab, d]);
  add('embeddings.LayerNorm.weight', [d]);
  for (let l = 0; l < 2; l++) {
    const p = `transformer.layer.${l}.`;
    for (const x of ['q_lin', 'k_lin', 'v_lin', 'out_lin']) {
      add(`${p}attention.${x}.weight`, [d, d], 'F16');
      add(`${p}attention.${x}.bias`, [d], 'F16');
    }
    add(`${p}ffn.lin1.weight`, [f, d]);
    add(`${p}ffn.lin1.bias`, [f]);
    add(`${p}ffn.lin2.weight`, [d, f]);
    add(`${p}output_layer_norm.weight`, [d]);
  }
  writeFileSync(path, encodeSafetensors(tensors));
}

const model = join(dir, 'bert.safetensors');
tinyBert(model);

test('layers prints every layer with kind, [nIn, nOut], orientation, dtype and parameters', () => {
  const r = run(['layers', model]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1 + 13 + 1);
  assert.match(lines[1], /^embeddings\.word_embeddings\s+embedding\s+\[60, 24\]\s+in-out\s+F32\s+1440$/);
  assert.match(r.stdout, /transformer\.layer\.1\.attention\.q_lin\s+attention\.q\s+\[24, 24\]\s+out-in\s+F16\s+600\n/);
  assert.match(r.stdout, /transformer\.layer\.0\.ffn\.lin2\s+ffn\.out\s+\[48, 24\]\s+out-in\s+F32\s+1152\n/); // no bias attached
  assert.match(lines[lines.length - 1], /^13 layers \(safetensors\), .* not layers: 3 norm, 10 bias$/);
  const json = JSON.parse(run(['layers', model, '--json']).stdout);
  assert.equal(json.layers.length, 13);
});

test('stats --all-layers --out writes CSV, JSON and an HTML page whose charts plot each statistic against depth', async () => {
  const out = join(dir, 'table');
  const r = run(['stats', model, '--all-layers', '--null', 'B', '--samples', '4', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readdirSync(out).sort(), ['layers.csv', 'layers.html', 'layers.json']);
  const rows = csvParse(readFileSync(join(out, 'layers.csv'), 'utf8'));
  assert.equal(rows.length, 13);
  for (const c of ['layer', 'kind', 'depth', 'density', 'frac_pos', 'sd_w', 'k_plus_in', 's_minus_out', 'assortativity', 'nodf_pos', 'pc_all', 'pc_pos', 'pc_neg', 'spectral_norm', 'frobenius_norm', 'stable_rank', 'alpha', 'alpha_ks', 'z_nodf_pos']) {
    assert.ok(rows.columns.includes(c), c);
  }
  // the values are the library's statistics of the layer as read from the file
  const layers = (await openModel(model)).records();
  const json = JSON.parse(readFileSync(join(out, 'layers.json'), 'utf8'));
  json.layers.forEach((row: Record<string, number>, k: number) => {
    const s = spectralStats(layers[k]);
    assert.equal(row.alpha, s.alpha);
    assert.equal(row.stable_rank, s.stableRank);
    assert.equal(row.nodf_pos, nodf(layers[k], 'positive').nodf);
    assert.equal(row.depth, k);
  });
  const doc = new JSDOM(readFileSync(join(out, 'layers.html'), 'utf8')).window.document;
  const alpha = doc.querySelector('#chart-alpha svg')!;
  assert.ok(alpha, 'a chart for α');
  assert.equal(alpha.querySelectorAll('circle.point').length, 13, 'one point per layer');
  const colors = new Set([...alpha.querySelectorAll('circle.point')].map((c) => c.getAttribute('fill')));
  assert.equal(colors.size, 7, 'one colour per layer kind (embedding, q, k, v, o, ffn.in, ffn.out)');
  assert.equal(doc.querySelectorAll('tbody tr').length, 13);
});

test('randomize --layer writes the model back as safetensors: that layer shuffled by sign, every other tensor byte-identical', async () => {
  const out = join(dir, 'bert-B.safetensors');
  const r = run(['randomize', model, '--layer', 'transformer.layer.1.attention.v_lin', '--method', 'B', '--seed', '3', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const [a, b] = [await modelFile(model), await modelFile(out)];
  for (const t of a.tensors) {
    const other = b.tensors.find((x) => x.name === t.name)!;
    assert.equal(other.dtype, t.dtype);
    if (t.name === 'transformer.layer.1.attention.v_lin.weight') {
      const [x, y] = [t.values(), other.values()];
      assert.notDeepEqual(x, y);
      assert.deepEqual(x.map(Math.sign), y.map(Math.sign), 'B keeps every sign');
      assert.deepEqual([...x].sort((p, q) => p - q), [...y].sort((p, q) => p - q), 'and the multiset');
    } else assert.deepEqual(other.values(), t.values(), t.name);
  }
  // the same seed gives the same file
  const again = join(dir, 'bert-B2.safetensors');
  run(['randomize', model, '--layer', 'transformer.layer.1.attention.v_lin', '--method', 'B', '--seed', '3', '--out', again]);
  assert.deepEqual(readFileSync(again), readFileSync(out));
});

test('bad input: one line, non-zero exit, nothing written', () => {
  const good = readFileSync(model);
  const truncated = join(dir, 'truncated.safetensors');
  writeFileSync(truncated, good.subarray(0, good.length - 100));
  assertOneLineError(run(['layers', truncated]), /truncated\.safetensors: (truncated or corrupt: tensor '.*' ends at byte|.*trailing)/);
  const header = (h: object): Buffer => {
    const json = Buffer.from(JSON.stringify(h));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    return Buffer.concat([len, json, Buffer.alloc(16)]);
  };
  const overlap = join(dir, 'overlap.safetensors');
  writeFileSync(overlap, header({ a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }));
  assertOneLineError(run(['stats', overlap, '--all-layers']), /overlap\.safetensors: tensor 'b' overlaps the tensor before it/);
  const dtype = join(dir, 'dtype.safetensors');
  writeFileSync(dtype, header({ a: { dtype: 'Q4', shape: [4, 4], data_offsets: [0, 16] } }));
  assertOneLineError(run(['layers', dtype]), /dtype\.safetensors: tensor 'a': unknown dtype 'Q4'/);
  const out = join(dir, 'never.safetensors');
  assertOneLineError(run(['randomize', model, '--layer', 'transformer.layer.0.ffn.lin', '--method', 'B', '--out', out]), /no layer named 'transformer\.layer\.0\.ffn\.lin' \(closest: transformer\.layer\.0\.ffn\.lin1, transformer\.layer\.0\.ffn\.lin2/);
  assertOneLineError(run(['randomize', model, '--method', 'B', '--out', join(dir, 'x.npy')]), /must end in \.safetensors/);
  assertOneLineError(run(['stats', model, '--all-layers', '--layer', 'embedings.word_embeddings']), /closest: embeddings\.word_embeddings/);
  assert.ok(!existsSync(out) && !existsSync(join(dir, 'x.npy')));
});

test('view serves a model file as one-layer models and removes its temporary folder on Ctrl-C', async () => {
  const index = await viewerIndex(cli, model, root);
  assert.equal(index.models.length, 13);
  assert.deepEqual(index.models[1].layers, [{ name: 'transformer.layer.0.attention.q_lin', shape: [24, 24] }]);
  assert.ok(!readdirSync(tmpdir()).some((f) => f.startsWith('weightscope-view-') && readdirSync(join(tmpdir(), f)).some((m) => m.startsWith('001-transformer.layer.0.attention.q_lin'))));
});
