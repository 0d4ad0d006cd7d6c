/**
 * The one door for models, on a small model of every kind it reads (written by the tests,
 * test/formats/fixtures.ts), through the commands as `weightscope` parses them:
 * - every layer name `layers` prints, and every other name it lists for a layer, is accepted by
 *   layers, stats, stats --all-layers, percolate, export, randomize and (where the model runs)
 *   probe, and each prints the layer under the one name `layers` prints;
 * - --conv and --layer are honoured by every command for every format that holds convolutions,
 *   the expected matrices worked from the definition (docs/formats.md, Convolutions);
 * - a model that cannot run says, in one line, to export it to ONNX.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, UserError, type LayerRecord } from '../../src/core/index.js';
import { openModel } from '../../src/formats/index.js';
import { parseNpyMatrix } from '../../src/formats/npy.js';
import { safeFileName } from '../../src/graph/index.js';
import { saveNpyArray } from '../../src/model/index.js';
import { loadTransformer } from '../../src/model/transformer/files.js';
import { CONV_SHAPE, modelFixtures, smallBrown, type ModelFixture } from './fixtures.js';
import { runInProcess } from '../cli/in-process.js';

const dir = mkdtempSync(join(tmpdir(), 'ws-door-'));
let fixtures: ModelFixture[] = [];
let brown = '';

before(async () => {
  fixtures = await modelFixtures(join(dir, 'models'));
  brown = smallBrown(join(dir, 'brown'));
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

const cli = runInProcess;

async function userError(args: string[], pattern: RegExp): Promise<void> {
  await assert.rejects(cli(args), (e: unknown) => {
    assert.ok(e instanceof UserError, `${args.join(' ')}: ${(e as Error).stack}`);
    assert.ok(!e.message.includes('\n'), e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

interface Listed {
  name: string;
  aliases: string[];
  shape: [number, number];
  conv?: { mapping: string };
}

async function listed(path: string, extra: string[] = []): Promise<Listed[]> {
  return (JSON.parse(await cli(['layers', path, '--json', ...extra])) as { layers: Listed[] }).layers;
}

let serial = 0;
/** Where randomize writes a model of this fixture back (its own kind of path), or one layer as .npy. */
function randomizeOut(f: ModelFixture): string {
  const at = join(dir, 'out', String(serial++));
  if (['tfjs', 'npy', 'gexf', 'graphml'].includes(f.format)) return `${at}.npy`;
  if (f.what.includes('shards') || f.format === 'tagger') return at;
  return `${at}.${f.path.split('.').pop()}`;
}

/** A seeded batch of 4 inputs of the fixture's input shape, as a .npy. */
function inputsFor(f: ModelFixture): string {
  const shape = [4, ...f.inputs!];
  const rng = new Rng(9);
  const path = join(dir, `x-${serial++}.npy`);
  saveNpyArray(path, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);
  return path;
}

test('every kind of MODEL opens through the one door, with the layers the file holds in [nIn, nOut]', async () => {
  const formats = new Set(fixtures.map((f) => f.format));
  assert.deepEqual([...formats].sort(), ['gexf', 'graphml', 'keras', 'npy', 'npz', 'onnx', 'safetensors', 'tagger', 'tfjs']);
  for (const f of fixtures) {
    const model = await openModel(f.path);
    assert.equal(model.format, f.format, f.what);
    for (const expected of f.dense) {
      const got = model.find(expected.name).load();
      assert.deepEqual(got.shape, expected.shape, `${f.what} ${expected.name}`);
      assert.deepEqual(got.weights, expected.weights, `${f.what} ${expected.name}: the input units are the rows`);
      assert.deepEqual(got.bias, expected.bias, `${f.what} ${expected.name} bias`);
    }
  }
});

test('every name `layers` prints for a layer is accepted by every command, which prints the layer by its one name', async () => {
  for (const f of fixtures) {
    const layers = await listed(f.path);
    assert.ok(layers.length > 0, f.what);
    for (const layer of layers) {
      const names = [layer.name, ...layer.aliases];
      for (const name of names) {
        const where = `${f.what}, '${name}' (${layer.name})`;
        assert.deepEqual((await listed(f.path, ['--layer', name])).map((l) => l.name), [layer.name], where);
        const stats = JSON.parse(await cli(['stats', f.path, '--layer', name, '--json'])) as { layers: { name: string }[] };
        assert.deepEqual(stats.layers.map((l) => l.name), [layer.name], `stats: ${where}`);
        const table = JSON.parse(await cli(['stats', f.path, '--all-layers', '--layer', name, '--json'])) as { layers: { layer: string }[] };
        assert.deepEqual(table.layers.map((l) => l.layer), [layer.name], `stats --all-layers: ${where}`);
        const curves = (await cli(['percolate', f.path, '--layer', name, '--points', '3'])).trim().split('\n').slice(1);
        assert.deepEqual([...new Set(curves.map((l) => l.split(/\s+/)[0]))], [layer.name], `percolate: ${where}`);
        const exported = join(dir, 'export', String(serial++));
        await cli(['export', f.path, '--layer', name, '--format', 'json', '--out', exported]);
        assert.deepEqual(readdirSync(exported), [`${safeFileName(layer.name)}.stats.json`], `export: ${where}`);
        const written = await cli(['randomize', f.path, '--layer', name, '--method', 'B', '--out', randomizeOut(f)]);
        assert.match(written, new RegExp(`^randomized ${layer.name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} `), `randomize: ${where}`);
        const probeHere = f.inputs !== null && (f.conv === undefined || f.format === 'onnx');
        if (probeHere) {
          const rows = (await cli(['probe', f.path, '--inputs', inputsFor(f), '--layer', name, '--probe', 'prune', '--levels', '0.5', '--json', '--quiet', ...f.probeFlags]))
            .trim().split('\n').map((l) => JSON.parse(l) as { layer: string });
          assert.deepEqual(rows.map((r) => r.layer), ['all', layer.name], `probe: ${where}`);
        }
      }
    }
    // the tagger runs on Brown: its first and last layer by each of their names (probing is the same door)
    if (f.format === 'tagger') {
      for (const layer of [layers[0], layers[layers.length - 1]]) {
        for (const name of [layer.name, ...layer.aliases]) {
          const rows = (await cli(['probe', f.path, '--layer', name, '--probe', 'prune', '--levels', '0.5', '--data-dir', brown, '--eval-tokens', '40', '--json', '--quiet']))
            .trim().split('\n').map((l) => JSON.parse(l) as { layer: string });
          assert.deepEqual(rows.map((r) => r.layer), ['all', layer.name], `probe tagger '${name}'`);
        }
      }
    }
  }
});

test('a name no layer has is one line listing the closest names, for every format', async () => {
  for (const f of fixtures) {
    const [first] = await listed(f.path);
    for (const cmd of [['layers'], ['stats'], ['percolate'], ['export', '--format', 'csv', '--out', join(dir, 'never')], ['randomize', '--method', 'A', '--out', randomizeOut(f)]]) {
      await userError([cmd[0], f.path, '--layer', `${first.name}x`, ...cmd.slice(1)], new RegExp(`no layer named '.*x' \\(closest: ${first.name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
    }
  }
});

/** The bipartite matrix of a PyTorch-layout (out, in, 3, 3) kernel under each mapping, from the definition. */
function expectedConv(kernel: Float32Array, mapping: 'sum' | 'norm' | 'unfold'): { shape: [number, number]; weights: Float32Array } {
  const [out, cin, kh, kw] = CONV_SHAPE;
  const w = kh * kw;
  if (mapping === 'unfold') {
    const weights = new Float32Array(cin * w * out);
    for (let c = 0; c < cin; c++) for (let p = 0; p < w; p++) for (let o = 0; o < out; o++) weights[(c * w + p) * out + o] = kernel[(o * cin + c) * w + p];
    return { shape: [cin * w, out], weights };
  }
  const weights = new Float32Array(cin * out);
  for (let c = 0; c < cin; c++) {
    for (let o = 0; o < out; o++) {
      let sum = 0, sq = 0;
      for (let p = 0; p < w; p++) {
        const v = kernel[(o * cin + c) * w + p];
        sum += v;
        sq += v * v;
      }
      weights[c * out + o] = mapping === 'sum' ? sum : Math.sign(sum) * Math.sqrt(sq);
    }
  }
  return { shape: [cin, out], weights };
}

test('--conv and --layer are honoured by every command for every format that holds a convolution', async () => {
  const withConv = fixtures.filter((f) => f.conv);
  assert.deepEqual(withConv.map((f) => f.format).sort(), ['keras', 'npz', 'onnx', 'safetensors']);
  for (const f of withConv) {
    const all = await listed(f.path);
    const conv = all.find((l) => l.name === f.conv!.name || l.aliases.includes(f.conv!.name))!;
    assert.ok(conv, `${f.what}: a layer named ${f.conv!.name}`);
    for (const mapping of ['sum', 'norm', 'unfold'] as const) {
      const expected = expectedConv(f.conv!.kernel, mapping);
      const where = `${f.what} --conv ${mapping}`;
      const flags = ['--layer', conv.name, '--conv', mapping];
      assert.deepEqual((await listed(f.path, ['--conv', mapping, '--layer', conv.name])).map((l) => l.shape), [expected.shape], `layers: ${where}`);
      const stats = JSON.parse(await cli(['stats', f.path, ...flags, '--json'])) as { layers: { shape: number[] }[] };
      assert.deepEqual(stats.layers.map((l) => l.shape), [expected.shape], `stats: ${where}`);
      const table = JSON.parse(await cli(['stats', f.path, '--all-layers', ...flags, '--json'])) as { layers: { n_in: number; n_out: number }[] };
      assert.deepEqual(table.layers.map((l) => [l.n_in, l.n_out]), [expected.shape], `stats --all-layers: ${where}`);
      // percolate's node count is nIn + nOut
      const perc = (await cli(['percolate', f.path, ...flags, '--points', '3'])).trim().split('\n')[1].trim().split(/\s+/);
      assert.equal(Number(perc[3]), expected.shape[0] + expected.shape[1], `percolate: ${where}`);
      const out = join(dir, 'conv', String(serial++));
      await cli(['export', f.path, ...flags, '--format', 'npy', '--out', out]);
      const npy = parseNpyMatrix(new Uint8Array(readFileSync(join(out, `${safeFileName(conv.name)}.npy`))));
      assert.deepEqual([npy.rows, npy.cols], expected.shape, `export: ${where}`);
      npy.data.forEach((v, i) => assert.ok(Math.abs(v - expected.weights[i]) <= 1e-5 * (1 + Math.abs(expected.weights[i])), `export: ${where} [${i}]: ${v} vs ${expected.weights[i]}`));
    }
    // randomize writes back with its own default (--conv unfold); an explicit --conv sum is refused in one line, nothing written
    const back = randomizeOut(f);
    await cli(['randomize', f.path, '--method', 'B', '--seed', '4', '--out', back]);
    const [a, b] = [(await openModel(f.path, { conv: 'unfold' })).find(conv.name).load(), (await openModel(back, { conv: 'unfold' })).find(conv.name).load()];
    assert.notDeepEqual(b.weights, a.weights, `${f.what}: randomized`);
    assert.deepEqual(b.weights.map(Math.sign), a.weights.map(Math.sign), `${f.what}: B keeps every sign`);
    assert.deepEqual([...b.weights].sort((x, y) => x - y), [...a.weights].sort((x, y) => x - y), `${f.what}: and the multiset`);
    const refused = randomizeOut(f);
    await userError(['randomize', f.path, '--layer', conv.name, '--conv', 'sum', '--method', 'B', '--out', refused], /cannot be written back: use --conv unfold/);
    assert.throws(() => readFileSync(refused));
  }
});

test('a model that cannot run from its weights says in one line to export it to ONNX, with the torch command', async () => {
  for (const f of fixtures.filter((x) => x.inputs === null && x.format !== 'tagger')) {
    await userError(['probe', f.path, '--inputs', join(dir, 'none.npy'), '--probe', 'binarize', ...f.probeFlags], /export it to ONNX and probe the \.onnx file \(PyTorch: torch\.onnx\.export\(model, torch\.randn\(1, N_IN\), "model\.onnx"\)\)/);
  }
  const st = fixtures.find((f) => f.what === 'safetensors file')!;
  await userError(['probe', st.path, '--inputs', inputsFor(st), '--probe', 'binarize'], /store no activation functions.*--activation relu\|sigmoid\|tanh\|linear/);
});

test('a safetensors MLP probed on --inputs/--labels scores what its forward pass, worked here, predicts', async () => {
  const f = fixtures.find((x) => x.what === 'safetensors file')!;
  const x = inputsFor(f);
  const [l0, l1] = f.dense;
  const xs = parseNpyMatrix(new Uint8Array(readFileSync(x))).data;
  // relu hidden layer, logits out; labels = class 0 for every input: accuracy = share of inputs whose top logit is 0
  const forward = (w0: LayerRecord, row: number): number[] => {
    const h = Array.from({ length: 5 }, (_, j) => Math.max(0, w0.bias![j] + [...Array(6).keys()].reduce((s, i) => s + xs[row * 6 + i] * w0.weights[i * 5 + j], 0)));
    return Array.from({ length: 3 }, (_, j) => l1.bias![j] + h.reduce((s, v, i) => s + v * l1.weights[i * 3 + j], 0));
  };
  const top = (z: number[]): number => z.indexOf(Math.max(...z));
  const labels = join(dir, 'labels.npy');
  saveNpyArray(labels, new Float32Array(4), [4]);
  const expected = [0, 1, 2, 3].filter((r) => top(forward(l0, r)) === 0).length / 4;
  const rows = (await cli(['probe', f.path, '--inputs', x, '--labels', labels, '--activation', 'relu', '--probe', 'prune', '--levels', '0', '--json', '--quiet']))
    .trim().split('\n').map((l) => JSON.parse(l) as { accuracy: number; f1: number });
  assert.equal(rows[0].accuracy, expected);
  assert.equal(rows[1].accuracy, expected, 'pruning nothing changes nothing');
});

test('randomize --layer NAME --out L.npy writes that one randomized layer from any model; export --format npy writes each [nIn, nOut] matrix', async () => {
  for (const f of fixtures.filter((x) => x.dense.length > 0 && !x.conv)) {
    const layer = f.dense[0];
    const out = join(dir, `one-${serial++}.npy`);
    await cli(['randomize', f.path, '--layer', layer.name, '--method', 'B', '--seed', '2', '--out', out]);
    const npy = parseNpyMatrix(new Uint8Array(readFileSync(out)));
    assert.deepEqual([npy.rows, npy.cols], layer.shape, f.what);
    assert.notDeepEqual(npy.data, layer.weights, `${f.what}: randomized`);
    assert.deepEqual(npy.data.map(Math.sign), layer.weights.map(Math.sign), `${f.what}: B keeps every sign`);
    assert.deepEqual([...npy.data].sort((a, b) => a - b), [...layer.weights].sort((a, b) => a - b), `${f.what}: and the multiset`);
    // a one-layer file from a model of several layers needs --layer
    if (f.dense.length > 1) await userError(['randomize', f.path, '--method', 'B', '--out', join(dir, 'never.npy')], /--layer/);
    const exported = join(dir, 'npy', String(serial++));
    const printed = await cli(['export', f.path, '--format', 'npy', '--out', exported]);
    for (const l of f.dense) {
      const m = parseNpyMatrix(new Uint8Array(readFileSync(join(exported, `${safeFileName(l.name)}.npy`))));
      assert.deepEqual([m.rows, m.cols], l.shape, `${f.what} export ${l.name}`);
      assert.deepEqual(m.data, l.weights, `${f.what} export ${l.name}: rows are the input units`);
    }
    assert.match(printed, /\.npy \(\[\d+, \d+\]: rows = input units\)/);
  }
});

test('a tagger folder is written back as a tagger folder: the randomized projection changed, every other tensor and file as it was', async () => {
  const f = fixtures.find((x) => x.format === 'tagger')!;
  const out = join(dir, 'tagger-B');
  await cli(['randomize', f.path, '--layer', 'block0.attn.q/kernel', '--method', 'B', '--seed', '3', '--out', out]);
  const [a, b] = [loadTransformer(f.path).model, loadTransformer(out).model];
  for (const [k, l] of a.layers.entries()) {
    if (l.name !== 'block0.attn.q') assert.deepEqual(b.layers[k], l, l.name);
    else {
      assert.notDeepEqual(b.layers[k].weights, l.weights);
      assert.deepEqual([...b.layers[k].weights].sort((x, y) => x - y), [...l.weights].sort((x, y) => x - y));
      assert.deepEqual(b.layers[k].bias, l.bias, 'biases are kept');
    }
  }
  assert.deepEqual(b.norms, a.norms);
  for (const file of ['transformer.json', 'model.json', 'vocab.json']) assert.deepEqual(readFileSync(join(out, file)), readFileSync(join(f.path, file)), file);
});
