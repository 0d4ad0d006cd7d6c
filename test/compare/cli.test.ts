/**
 * `weightscope compare` end to end, through the real command: run folders grouped, every file it
 * writes, weights-only models getting the data-free parts, and the FER twins with their sparsity
 * control and gallery.
 */
import test, { before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { csvParse } from 'd3-dsv';
import { Rng } from '../../src/core/index.js';
import { saveModel, selectBackend, trainMlp } from '../../src/model/index.js';
import { encodeSafetensors } from '../../src/formats/safetensors.js';
import { mnistPair } from '../model/fixtures.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'ws-compare-'));

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [cli, ...args], { cwd: dir, timeout: 300_000, maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
      done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

before(async () => {
  await selectBackend();
  const train = mnistPair('train', 7, 9, 1000);
  // two "train --out" folders of two models each: a group per folder, the task from training.json
  for (const [name, hidden] of [['wide', 16], ['narrow', 8]] as const) {
    for (let k = 0; k < 2; k++) {
      const { model } = await trainMlp(train, 'pm1', { inputSize: 784, hidden: [hidden], activation: 'relu', head: 'softmax' }, { seed: 10 * hidden + k, epochs: 1 });
      const d = join(dir, name, `run-${k}`);
      saveModel(d, model);
      writeFileSync(join(d, 'training.json'), JSON.stringify({ task: 'mnist-7v9', inputs: 'pm1' }));
    }
  }
  // weights-only files that store no activation: a PyTorch-layout 784 → 8 → 2 MLP
  const rng = new Rng(1);
  const tensor = (name: string, shape: number[]) => ({ name, dtype: 'F32' as const, shape, values: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 0.05 * rng.normal()) });
  for (const f of ['a', 'b']) writeFileSync(join(dir, `${f}.safetensors`), encodeSafetensors([tensor('0.weight', [8, 784]), tensor('0.bias', [8]), tensor('2.weight', [2, 8]), tensor('2.bias', [2])]));
});

test('two run folders as two groups: rows, comparison, report and viewer copies with the circuit marked', async () => {
  const out = join(dir, 'out');
  const r = await run(['compare', 'wide', 'narrow', '--quick', '--test-limit', '300', '--out', out, '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /wide: 2 models \(mlp\), accuracy 0\.\d+ \[\d\.\d+, \d\.\d+\] over seeds/);
  // two models a group: the permutation test cannot reach 0.05, so nothing is flagged, and it says so
  assert.match(r.stdout, /wide vs narrow: 0 of \d+ features differ; accuracy Δ -?\d\.\d+ \[/);
  assert.match(r.stdout, /with 2 and 2 models the permutation test cannot reach p ≤ 0\.05 .* nothing is flagged/);
  const rows = csvParse(readFileSync(join(out, 'fingerprints.csv'), 'utf8'));
  assert.deepEqual(rows.map((x) => [x.group, x.model, x.task, x.n_test]), [
    ['wide', 'wide/run-0', 'mnist-7v9', '300'], ['wide', 'wide/run-1', 'mnist-7v9', '300'], ['narrow', 'narrow/run-0', 'mnist-7v9', '300'], ['narrow', 'narrow/run-1', 'mnist-7v9', '300'],
  ]);
  assert.deepEqual(rows.map((x) => x.ablation_units), ['16', '16', '8', '8']);
  const cmp = csvParse(readFileSync(join(out, 'comparison.csv'), 'utf8'));
  assert.ok(cmp.length > 20 && cmp.every((x) => x.a === 'wide' && x.b === 'narrow' && x.method === 'models'));
  const units = cmp.find((x) => x.feature === 'ablation_units')!;
  assert.deepEqual([units.mean_a, units.mean_b, units.delta], ['16', '8', '-8']);
  const json = JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8'));
  assert.equal(json.models.length, 4);
  assert.equal(json.viewer.length, 4);
  const viewed = JSON.parse(readFileSync(join(out, 'models', '00-wide', '00-wide_run-0', 'model.json'), 'utf8'));
  const highlight = viewed.userDefinedMetadata.weightscope.highlight as Record<string, number[]>;
  const circuit = json.models[0].circuits[0];
  // the hidden layer's highlighted edges are those into the circuit's units
  const inCircuit = new Set((circuit.units as { unit: number }[]).map((u) => u.unit));
  assert.ok(highlight.dense_0.length > 0 && highlight.dense_0.every((e) => inCircuit.has(e % 16)));
  assert.equal(highlight.dense_1.length, inCircuit.size * 2);
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  for (const id of ['groups', 'differences', 'curves', 'ablation', 'circuits', 'viewer']) assert.ok(html.includes(`<section id="${id}">`), id);
  assert.ok(html.includes('?model=3&amp;layer=dense_1'), 'a viewer link to the last model');
  assert.ok(!/<script/i.test(html), 'no scripts: a static page');
});

test('weights-only models without --activation get the data-free parts, saying so; with it they run', async () => {
  const plain = await run(['compare', 'a.safetensors', 'b.safetensors', '--quick', '--task', 'mnist-7v9', '--test-limit', '200', '--quiet', '--out', 'st']);
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, /a: 1 model \(weights\), weights only/);
  const rows = csvParse(readFileSync(join(dir, 'st', 'fingerprints.csv'), 'utf8'));
  assert.equal(rows[0].parts, 'graph');
  assert.match(rows[0].missing, /store no activation functions/);
  const runs = await run(['compare', 'a.safetensors', 'b.safetensors', '--quick', '--task', 'mnist-7v9', '--test-limit', '200', '--activation', 'relu', '--quiet']);
  assert.equal(runs.code, 0, runs.stderr);
  assert.match(runs.stdout, /a: 1 model \(mlp\), accuracy .* over test images/);
  assert.match(runs.stdout, /paired bootstrap over the 200 test images/);
});

test('the FER skull twins with the sparsity control: not quite the same picture at 256², a gallery of perturbed drawings', async () => {
  const fer = (name: string) => join(root, 'data', 'fer', `${name}.npz`);
  const out = join(dir, 'fer');
  const r = await run(['compare', fer('picbreeder_skull'), fer('sgd_skull'), '--quick', '--size', '16', '--sweeps', '2', '--samples', '2', '--sparsity-control', '--out', out, '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  // docs/fer.md: SSIM 0.9792 at 256²
  assert.match(r.stdout, /picbreeder_skull vs sgd_skull: pictures at 256² SSIM 0\.979\d \(same picture, SSIM ≥ 0\.99: no\)/);
  assert.match(r.stdout, /sgd_skull-pruned-to-picbreeder_skull: 1 model \(cppn\)/);
  const rows = csvParse(readFileSync(join(out, 'fingerprints.csv'), 'utf8'));
  assert.deepEqual(rows.map((x) => x.kind), ['cppn', 'cppn', 'cppn']);
  // the control has the evolved network's density (97 % zeros), the SGD network none
  const density = (x: Record<string, string | undefined>) => [...Array(13).keys()].reduce((s, k) => s + Number(x[`density_l${k}`]), 0);
  assert.ok(density(rows[1]) > 12.9 && density(rows[2]) < 1.5, `${density(rows[1])}, ${density(rows[2])}`);
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  assert.ok(html.includes('<section id="gallery">'));
  assert.equal((html.match(/<img /g) ?? []).length, 3 * 6, 'per network the unperturbed drawing and five perturbations');
  assert.ok(existsSync(join(out, 'models', '02-sgd_skull-pruned-to-picbreeder_skull')));
});
