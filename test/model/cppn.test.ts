/**
 * FER CPPNs: the description parser, the evaluator against hand-worked pictures, the authors' PNGs
 * and an independent numpy evaluator, and opening the shipped files (and refusing bad ones).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../src/core/errors.js';
import { pictureMse } from '../../src/data/picture.js';
import { readPng } from '../../src/data/png.js';
import {
  cppnDensity, cppnLayerShapes, cppnPlanes, drawCppn, formatCppnArch, gridCoordinate, hsvToRgb, parseCppnArch, parseCppnDescription, pictureOf,
} from '../../src/model/cppn.js';
import { cppnSidecarPath, hasCppnSidecar, openCppn } from '../../src/model/cppn-file.js';
import { PYTHON, pythonMissing } from '../python.js';
import { FER_DIR, FER_NETWORKS, handCppn, writeCppnFiles, zeros } from './cppn-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'ws-cppn-'));

test('the arch notation: layers, groups in order, width; written back the same', () => {
  const a = parseCppnArch('12;cache:15,gaussian:4,identity:2,sin:1');
  assert.equal(a.hiddenLayers, 12);
  assert.deepEqual(a.groups, [{ activation: 'cache', count: 15 }, { activation: 'gaussian', count: 4 }, { activation: 'identity', count: 2 }, { activation: 'sin', count: 1 }]);
  assert.equal(a.width, 22);
  assert.equal(formatCppnArch(a), '12;cache:15,gaussian:4,identity:2,sin:1');
  const spec = parseCppnDescription({ kind: 'cppn', arch: '16;cache:17,gaussian:4,sigmoid:1,sin:1', inputs: 'y,x,d,b', image_size: 256 });
  const shapes = cppnLayerShapes(spec);
  assert.equal(shapes.length, 17);
  assert.deepEqual([shapes[0], shapes[1], shapes[16]], [[4, 23], [23, 23], [23, 3]]);
});

test('bad arch strings and descriptions are one-line UserErrors naming the problem', () => {
  const bad: [unknown, RegExp][] = [
    [{ arch: '12', inputs: 'y,x,d,b', image_size: 256 }, /one ';'/],
    [{ arch: '0;cache:2', inputs: 'y,x,d,b', image_size: 256 }, /hidden layers must be between 1/],
    [{ arch: '0x10;cache:2', inputs: 'y,x,d,b', image_size: 256 }, /whole number/],
    [{ arch: '2;tanh:1,swish:2', inputs: 'y,x,d,b', image_size: 256 }, /unknown activation 'swish'/],
    [{ arch: '2;cache:1e3', inputs: 'y,x,d,b', image_size: 256 }, /whole number/],
    [{ arch: '2;cache:600,sin:600', inputs: 'y,x,d,b', image_size: 256 }, /1200 units per layer/],
    [{ arch: '1024;cache:1024', inputs: 'y,x,d,b', image_size: 256 }, /weights \(at most/],
    [{ arch: '2;cache:2', inputs: 'y,x,z', image_size: 256 }, /unknown input 'z'/],
    [{ arch: '2;cache:2', inputs: 'y,x,y', image_size: 256 }, /twice/],
    [{ arch: '2;cache:2', inputs: 'y,x,d,b', image_size: 1e9 }, /image_size/],
    [{ arch: '2;cache:2', inputs: 'y,x,d,b', image_size: '256' }, /image_size/],
    [{ arch: '2;cache:2', inputs: 'y,x,d,b', image_size: 256, extra: 1 }, /unknown key 'extra'/],
    [{ kind: 'mlp', arch: '2;cache:2', inputs: 'y,x,d,b', image_size: 256 }, /kind 'mlp'/],
    [[1, 2], /JSON object/],
    [{ inputs: 'y,x,d,b', image_size: 256 }, /needs "arch"/],
  ];
  for (const [json, message] of bad) {
    assert.throws(() => parseCppnDescription(json), (err: Error) => err instanceof UserError && message.test(err.message) && !err.message.includes('\n'), JSON.stringify(json));
  }
});

test('HSV→RGB: the six sectors, grey when s = 0, and H = 360 as the authors leave it', () => {
  const rgb = (h: number, s: number, v: number) => {
    const out = new Float32Array(3);
    hsvToRgb(h, s, v, out, 0);
    return Array.from(out, (x) => Math.round(x * 1000) / 1000);
  };
  assert.deepEqual(rgb(0, 1, 1), [1, 0, 0]);
  assert.deepEqual(rgb(1 / 6, 1, 1), [1, 1, 0]);
  assert.deepEqual(rgb(1 / 3, 1, 1), [0, 1, 0]);
  assert.deepEqual(rgb(0.5, 1, 1), [0, 1, 1]);
  assert.deepEqual(rgb(2 / 3, 1, 1), [0, 0, 1]);
  assert.deepEqual(rgb(5 / 6, 1, 1), [1, 0, 1]);
  assert.deepEqual(rgb(1 / 12, 1, 1), [1, 0.5, 0]); // half-way red → yellow
  assert.deepEqual(rgb(0.3, 0, 0.4), [0.4, 0.4, 0.4]);
  assert.deepEqual(rgb(1, 1, 1), [0, 0, 0]); // in no half-open sector: r = g = b = m = v − c = 0
});

test('each activation group gets its own function, in arch order, on an ij grid (x down the rows)', () => {
  // One hidden layer: unit k = activation_k(x); the output v reads one unit, h = 0, s = 0 → grey |unit| clipped.
  const arch = '1;identity:1,sin:1,gaussian:1,sigmoid:1';
  const act = [(z: number) => z, Math.sin, (z: number) => 2 * Math.exp(-z * z) - 1, (z: number) => 2 / (1 + Math.exp(-z)) - 1];
  const size = 9;
  for (let unit = 0; unit < 4; unit++) {
    const first = zeros(4, 4);
    for (let u = 0; u < 4; u++) first[1][u] = 2.5; // input 1 is x; weight 2.5 so that every activation is non-trivial
    const out = zeros(4, 3);
    out[unit][2] = 1; // v = unit
    const img = drawCppn(handCppn(arch, [first, out]), size);
    for (let i = 0; i < size; i++) {
      const want = Math.min(1, Math.abs(act[unit](2.5 * gridCoordinate(i, size))));
      for (let j = 0; j < size; j++) {
        for (let c = 0; c < 3; c++) assert.ok(Math.abs(img.data[(i * size + j) * 3 + c] - want) < 1e-6, `unit ${unit} pixel [${i}, ${j}]: ${img.data[(i * size + j) * 3 + c]} vs ${want}`);
      }
    }
  }
});

test('inputs y, x, d = 1.4·√(x² + y²), b = 1; hue (h + 1) mod 1 for negative h', () => {
  // Output h from a chosen input through an identity unit; s = 1 (from b), v = 1 (from b).
  const size = 7;
  for (const [input, f] of [[0, (x: number, y: number) => y], [1, (x: number) => x], [2, (x: number, y: number) => 1.4 * Math.sqrt(x * x + y * y)]] as const) {
    const first = zeros(4, 2);
    first[input][0] = 0.25; // unit 0 = h / … small enough to stay in a known sector
    first[3][1] = 1; // unit 1 = b = 1
    const out = zeros(2, 3);
    out[0][0] = 1;
    out[1][1] = 1;
    out[1][2] = 1;
    const img = drawCppn(handCppn('1;cache:2', [first, out]), size);
    for (let i = 0; i < size; i++) {
      for (let j = 0; j < size; j++) {
        const h = 0.25 * f(gridCoordinate(i, size), gridCoordinate(j, size));
        const want = new Float32Array(3);
        hsvToRgb(((h + 1) % 1 + 1) % 1, 1, 1, want, 0);
        const at = (i * size + j) * 3;
        for (let c = 0; c < 3; c++) assert.ok(Math.abs(img.data[at + c] - want[c]) < 1e-5, `input ${input} [${i},${j}] c${c}`);
      }
    }
  }
});

test('every shipped network redraws its PNG with MSE < 3e-5 (the README\'s check)', () => {
  for (const name of FER_NETWORKS) {
    const cppn = openCppn(join(FER_DIR, `${name}.npz`));
    const png = readPng(join(FER_DIR, `${name}.png`));
    assert.equal(png.width, 256);
    const mse = pictureMse(drawCppn(cppn), png);
    assert.ok(mse < 3e-5, `${name}: MSE ${mse}`);
  }
});

test('redrawing from layer k with the planes of an identical prefix equals drawing from scratch', () => {
  const cppn = openCppn(join(FER_DIR, 'sgd_skull.npz'));
  const base = cppnPlanes(cppn, 24);
  const layers = cppn.layers.slice();
  const w = layers[6].weights.slice();
  w[17] += 0.75;
  layers[6] = { ...layers[6], weights: w };
  const changed = { ...cppn, layers };
  assert.deepEqual(pictureOf(cppnPlanes(changed, 24, base, 6)).data, drawCppn(changed, 24).data);
  assert.notDeepEqual(drawCppn(changed, 24).data, pictureOf(base).data);
});

test('the evaluator agrees with a numpy evaluator written from the README (all four networks)', (t) => {
  const missing = pythonMissing(['numpy'], 'numpy CPPN cross-check');
  if (missing) return t.skip(missing);
  const script = `
import sys, json, numpy as np
npz, desc, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
z = np.load(npz); d = json.load(open(desc))
L, groups = d['arch'].split(';'); L = int(L)
acts = sum([[g.split(':')[0]] * int(g.split(':')[1]) for g in groups.split(',')], [])
lin = np.linspace(-1, 1, n)
x, y = np.meshgrid(lin, lin, indexing='ij')
inp = {'x': x, 'y': y, 'd': np.sqrt(x**2 + y**2) * 1.4, 'b': np.ones_like(x)}
h = np.stack([inp[k] for k in d['inputs'].split(',')], -1)
f = {'cache': lambda v: v, 'identity': lambda v: v, 'sin': np.sin, 'gaussian': lambda v: 2*np.exp(-v**2)-1, 'sigmoid': lambda v: 2/(1+np.exp(-v))-1}
for k in range(L + 1):
    h = h @ z['layer_%02d' % k].astype(np.float64)
    if k < L: h = np.stack([f[a](h[..., u]) for u, a in enumerate(acts)], -1)
H = ((h[..., 0] + 1) % 1) * 360; s = h[..., 1].clip(0, 1); v = np.abs(h[..., 2]).clip(0, 1)
c = v * s; X = c * (1 - np.abs((H / 60) % 2 - 1)); m = v - c; o = 0 * H
sec = [(H >= a) & (H < a + 60) for a in range(0, 360, 60)]
pick = lambda *vals: sum(val * s_ for val, s_ in zip(vals, sec))
rgb = np.stack([pick(c, X, o, o, X, c) + m, pick(X, c, c, X, o, o) + m, pick(o, o, X, c, c, X) + m], -1).clip(0, 1)
sys.stdout.write(json.dumps(rgb.ravel().tolist()))
`;
  for (const name of FER_NETWORKS) {
    const r = spawnSync(PYTHON, ['-c', script, join(FER_DIR, `${name}.npz`), join(FER_DIR, `${name}.cppn.json`), '48'], { encoding: 'utf8', maxBuffer: 1 << 26 });
    assert.equal(r.status, 0, r.stderr);
    const want: number[] = JSON.parse(r.stdout);
    const got = drawCppn(openCppn(join(FER_DIR, `${name}.npz`)), 48).data;
    let max = 0;
    for (let k = 0; k < want.length; k++) max = Math.max(max, Math.abs(got[k] - want[k]));
    assert.ok(max < 1e-4, `${name}: max |Δ| ${max}`);
  }
});

test('opening the shipped files: layers named and shaped by the sidecar, densities as the README says', () => {
  const skull = openCppn(join(FER_DIR, 'picbreeder_skull.npz'));
  assert.equal(skull.name, 'picbreeder_skull');
  assert.equal(skull.spec.archString, '12;cache:15,gaussian:4,identity:2,sin:1');
  assert.deepEqual(skull.spec.inputs, ['y', 'x', 'd', 'b']);
  assert.equal(skull.layers.length, 13);
  assert.deepEqual(skull.layers.map((l) => l.name).slice(0, 2), ['layer_00', 'layer_01']);
  assert.ok(skull.layers.every((l) => l.bias === null));
  assert.equal(Math.round(1000 * cppnDensity(skull)) / 10, 2.7);
  assert.equal(cppnDensity(openCppn(join(FER_DIR, 'sgd_butterfly.npz'))), 1);
  assert.equal(Math.round(1000 * cppnDensity(openCppn(join(FER_DIR, 'picbreeder_butterfly.npz')))) / 10, 3.5);
  assert.equal(cppnSidecarPath('/a/b/picbreeder_skull.npz'), '/a/b/picbreeder_skull.cppn.json');
  assert.ok(hasCppnSidecar(join(FER_DIR, 'sgd_skull.npz')));
});

test('missing, corrupt or mismatched sidecars and arrays are one line naming the file', () => {
  const desc = { kind: 'cppn', arch: '2;cache:2,sin:1', inputs: 'y,x,d,b', image_size: 16 };
  const good = { layer_00: { shape: [4, 3], values: new Float32Array(12).fill(0.5) }, layer_01: { shape: [3, 3], values: new Float32Array(9).fill(0.5) }, layer_02: { shape: [3, 3], values: new Float32Array(9).fill(0.5) } };
  const ok = writeCppnFiles(dir, 'ok', good, desc);
  assert.equal(drawCppn(openCppn(ok), 8).width, 8);
  assert.ok(!hasCppnSidecar(join(dir, 'none.npz')));

  const sidecarDir = join(dir, 'folder');
  mkdirSync(sidecarDir);
  writeCppnFiles(sidecarDir, 'x', good, null);
  mkdirSync(join(sidecarDir, 'x.cppn.json'));
  const cases: [string, RegExp][] = [
    [writeCppnFiles(dir, 'nosidecar', good, null), /no CPPN description beside it \(expected .*nosidecar\.cppn\.json\)/],
    [writeCppnFiles(dir, 'corrupt', good, '{"arch": "2;cache:2,'), /corrupt\.cppn\.json is not valid JSON/],
    [join(sidecarDir, 'x.npz'), /x\.cppn\.json is a folder/],
    [writeCppnFiles(dir, 'badarch', good, { ...desc, arch: '2;cache:2,swish:1' }), /badarch\.cppn\.json: .*unknown activation 'swish'/],
    [writeCppnFiles(dir, 'fewer', { layer_00: good.layer_00, layer_01: good.layer_01 }, desc), /fewer\.npz: no array 'layer_02'/],
    [writeCppnFiles(dir, 'more', { ...good, layer_03: good.layer_02 }, desc), /more\.npz: unexpected array 'layer_03'/],
    [writeCppnFiles(dir, 'wide', { ...good, layer_01: { shape: [3, 4], values: new Float32Array(12) } }, desc), /wide\.npz: array 'layer_01' has shape \(3, 4\) but arch '2;cache:2,sin:1' needs \(3, 3\)/],
    [writeCppnFiles(dir, 'inputs', good, { ...desc, inputs: 'y,x,d' }), /inputs\.npz: array 'layer_00' has shape \(4, 3\) but .* needs \(3, 3\)/],
    [writeCppnFiles(dir, 'nan', { ...good, layer_02: { shape: [3, 3], values: [0, 0, 0, 0, NaN, 0, 0, 0, 0] } }, desc), /nan\.npz: layer 'layer_02': weight \[1, 1\] is NaN/],
    [join(dir, 'ok.cppn.json'), /a CPPN's weights are an \.npz file/],
  ];
  writeFileSync(join(dir, 'notzip.npz'), 'not a zip at all');
  writeFileSync(join(dir, 'notzip.cppn.json'), JSON.stringify(desc));
  cases.push([join(dir, 'notzip.npz'), /notzip\.npz is not a readable zip archive/]);
  writeFileSync(join(dir, 'gone.cppn.json'), JSON.stringify(desc));
  cases.push([join(dir, 'gone.npz'), /CPPN weights not found: .*gone\.npz/]);
  for (const [path, message] of cases) {
    assert.throws(() => openCppn(path), (err: Error) => err instanceof UserError && message.test(err.message) && !err.message.includes('\n'), `${path}: expected ${message}`);
  }
});
