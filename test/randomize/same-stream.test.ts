/**
 * One seeded stream per null model: `weightscope randomize MODEL --method V --seed S` writes the
 * model `weightscope probe MODEL --probe randomize --variant V --seed S` evaluates, for every null
 * model both commands take, on a TensorFlow.js model folder and on an .onnx file (whose probe
 * names layers by tensor, every other command by node: the stream follows the probe's name).
 *
 * The expected weights come from the stream's definition (docs/null-models.md): layer L draws from
 * new Rng(S).fork('randomize', V, L as the probe names it). Both commands run as the CLI parses
 * them, on real files: the written null is read back from disk and compared bit for bit; the
 * probe's row and a baseline probe of the written null must agree on accuracy (and macro-F1).
 * Most runs go through the command table in this process (fast); one variant per format through
 * the real `weightscope` binary as well.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../../src/core/rng.js';
import type { DenseModel, LayerRecord } from '../../src/core/layer.js';
import type { ResultRow } from '../../src/core/results.js';
import { loadMnist } from '../../src/data/index.js';
import { denseModelToOnnx } from '../../src/formats/onnx-mlp.js';
import { readOnnx } from '../../src/formats/onnx.js';
import { saveLayerSource } from '../../src/graph/index.js';
import { loadModel, saveNpyArray, trainMlp } from '../../src/model/index.js';
import { PROBE_VARIANTS } from '../../src/probes/index.js';
import { layerView, probeTargets } from '../../src/probes/onnx-probe.js';
import { NULL_MODEL_NAMES, randomizeLayer } from '../../src/randomize/index.js';
import { mnistPair, randomModel } from '../model/fixtures.js';
import { runInProcess } from '../cli/in-process.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const bin = join(root, 'dist', 'src', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'ws-same-stream-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const cli = runInProcess;

/** `weightscope ARGS` as its own process. */
function binary(args: string[]): string {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `weightscope ${args.join(' ')}\n${r.stderr}`);
  return r.stdout;
}

const rows = (stdout: string): ResultRow[] => stdout.trim().split('\n').map((l) => JSON.parse(l) as ResultRow);

/** The definition: a layer (named as the probe names it) pruned by the reference rule at `level`, then randomized on its stream. */
function expectedNull(layer: LayerRecord, variant: string, seed: number, level: number): Float32Array {
  let weights = layer.weights;
  if (level > 0) {
    // keep the int((1 − level)·n) largest |w| (ties by index), as the reference prunes
    const order = Array.from(weights, (_, i) => i).sort((a, b) => Math.abs(weights[a]) - Math.abs(weights[b]) || a - b);
    weights = weights.slice();
    for (const i of order.slice(0, weights.length - Math.trunc((1 - level) * weights.length))) weights[i] = 0;
  }
  return randomizeLayer({ ...layer, weights }, variant, new Rng(seed).fork('randomize', variant, layer.name)).weights;
}

const sign = (w: Float32Array) => Float32Array.from(w, (x) => (x > 0 ? 1 : x < 0 ? -1 : 0));

// [variant, level (--prune), signed]: every null model at level 0, and a pruned, signed row's model.
const CASES: [string, number, boolean][] = [...NULL_MODEL_NAMES.map((v): [string, number, boolean] => [v, 0, false]), ['B', 0.5, true], ['curveball', 0.3, false]];
const SEED = 20260;

test('the null models randomize and the randomize probe take are the same list', () => {
  assert.deepEqual([...PROBE_VARIANTS.randomize].sort(), [...NULL_MODEL_NAMES].sort());
});

test('TensorFlow.js model: randomize --seed S writes the model probe --probe randomize --seed S evaluates, for every null model', async () => {
  const model = (await trainMlp(mnistPair('train', 0, 7, 600), 'pm1', { inputSize: 784, hidden: [16], activation: 'relu', head: 'softmax' }, { seed: 3, epochs: 1, engine: 'sparse' })).model;
  const folder = join(dir, 'mlp');
  saveLayerSource(folder, model);
  const saved: DenseModel = loadModel(folder);
  const probeFlags = ['--pair', '0v7', '--test-limit', '500', '--json', '--quiet'];
  for (const [variant, level, signed] of CASES) {
    const what = `${variant} level ${level}${signed ? ' signed' : ''}`;
    const out = join(dir, `mlp-${variant}-${level}`);
    await cli(['randomize', folder, '--method', variant, '--seed', String(SEED), '--prune', String(level), ...(signed ? ['--signed'] : []), '--out', out]);
    const written = loadModel(out);
    saved.layers.forEach((l, k) => {
      const want = expectedNull(l, variant, SEED, level);
      assert.deepEqual(written.layers[k].weights, signed ? sign(want) : want, `${what}: weights of ${l.name}`);
    });
    const [probed] = rows(await cli(['probe', folder, '--probe', 'randomize', '--variant', variant, '--levels', String(level), ...(signed ? ['--signed'] : []), '--seed', String(SEED), ...probeFlags]));
    const [again] = rows(await cli(['probe', out, '--probe', 'baseline', ...probeFlags]));
    assert.equal(probed.seed, SEED);
    assert.equal(again.accuracy, probed.accuracy, `${what}: the written null scores what the probe row scored`);
  }
  // the real binary, once
  const out = join(dir, 'mlp-bin');
  binary(['randomize', folder, '--method', 'swap', '--seed', '7', '--out', out]);
  assert.deepEqual(loadModel(out).layers[0].weights, expectedNull(saved.layers[0], 'swap', 7, 0));
  const [probed] = rows(binary(['probe', folder, '--probe', 'randomize', '--variant', 'swap', '--seed', '7', ...probeFlags]));
  assert.equal(rows(binary(['probe', out, '--probe', 'baseline', ...probeFlags]))[0].accuracy, probed.accuracy);
});

test('.onnx model: randomize --seed S writes the weights probe --probe randomize --seed S evaluates (streams keyed by the layer names both print), for every null model', async () => {
  // a 10-class MLP (accuracy and macro-F1 tell models apart), with biases, on real MNIST test images
  const onnx = join(dir, 'mlp.onnx');
  writeFileSync(onnx, denseModelToOnnx(randomModel(new Rng(8), [784, 24, 10], { activation: 'relu', scale: 4 })));
  const mnist = loadMnist().test;
  const n = 400;
  saveNpyArray(join(dir, 'x.npy'), Float32Array.from(mnist.pixels.subarray(0, n * 784), (p) => (p / 255) * 2 - 1), [n, 784]);
  saveNpyArray(join(dir, 'y.npy'), Float32Array.from(mnist.labels.subarray(0, n)), [n]);
  const file = readOnnx(onnx);
  const targets = probeTargets(file);
  assert.deepEqual(targets.map((t) => t.tensor), ['dense_0/kernel', 'dense_1/kernel'], 'the probe\'s layers are the weight tensors');
  const views = targets.map((t) => layerView(t, file.tensor(t.tensor!).values()));
  const probeFlags = ['--inputs', join(dir, 'x.npy'), '--labels', join(dir, 'y.npy'), '--json', '--quiet'];
  const check = (written: string, variant: string, seed: number, level: number, signed: boolean, what: string): void => {
    const back = readOnnx(written);
    targets.forEach((t, k) => {
      const want = expectedNull(views[k], variant, seed, level);
      assert.deepEqual(layerView(t, back.tensor(t.tensor!).values()).weights, signed ? sign(want) : want, `${what}: weights of ${t.name}`);
    });
    // biases are not the probe's targets: they stay as they were
    assert.deepEqual(back.tensor('dense_0/bias').values(), file.tensor('dense_0/bias').values(), `${what}: bias`);
  };
  for (const [variant, level, signed] of CASES) {
    const what = `${variant} level ${level}${signed ? ' signed' : ''}`;
    const out = join(dir, `null-${variant}-${level}.onnx`);
    await cli(['randomize', onnx, '--method', variant, '--seed', String(SEED), '--prune', String(level), ...(signed ? ['--signed'] : []), '--out', out]);
    check(out, variant, SEED, level, signed, what);
    const probed = rows(await cli(['probe', onnx, '--probe', 'randomize', '--variant', variant, '--levels', String(level), ...(signed ? ['--signed'] : []), '--seed', String(SEED), ...probeFlags]))[1];
    const again = rows(await cli(['probe', out, '--probe', 'baseline', ...probeFlags]))[0];
    assert.equal(probed.probe, 'randomize');
    assert.deepEqual([again.accuracy, again.f1], [probed.accuracy, probed.f1], `${what}: the written null scores what the probe row scored`);
  }
  // the real binary, once; and one layer alone, named as `layers` prints it, by both commands
  const out = join(dir, 'null-bin.onnx');
  binary(['randomize', onnx, '--method', 'D', '--layer', 'dense_0', '--seed', '9', '--out', out]);
  const back = readOnnx(out);
  assert.deepEqual(layerView(targets[0], back.tensor('dense_0/kernel').values()).weights, expectedNull(views[0], 'D', 9, 0));
  assert.deepEqual(back.tensor('dense_1/kernel').values(), file.tensor('dense_1/kernel').values(), 'the other layer is untouched');
  const probed = rows(binary(['probe', onnx, '--probe', 'randomize', '--variant', 'D', '--layer', 'dense_0', '--seed', '9', ...probeFlags]))[1];
  const again = rows(binary(['probe', out, '--probe', 'baseline', ...probeFlags]))[0];
  assert.deepEqual([again.accuracy, again.f1], [probed.accuracy, probed.f1]);
});
