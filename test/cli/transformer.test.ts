/**
 * End-to-end: `weightscope transformer` on a small folder of real Brown files (quick settings),
 * its resume, and the one-line errors of bad input; the saved tagger read back by `stats`.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultBrownDir } from '../../src/data/brown.js';
import { parseRow } from '../../src/core/results.js';
import { taggerStudyItems } from '../../src/study/kinds/tagger/plan.js';
import { loadTransformer } from '../../src/model/transformer/files.js';
import { layerToGraph, graphToLayer } from '../../src/graph/convert.js';
import { viewerIndex } from './view-index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: root, timeout: 300_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function assertOneLineError(r: { code: number; stderr: string }, pattern: RegExp): void {
  assert.notEqual(r.code, 0);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], pattern);
}

function smallCorpus(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ws-brown-cli-'));
  for (const g of 'ajn') for (let k = 1; k <= 5; k++) copyFileSync(join(defaultBrownDir(), `c${g}0${k}`), join(dir, `c${g}0${k}`));
  return dir;
}

const args = (data: string, out: string) => [
  'transformer', '--quick', '--blocks', '2', '--train-tokens', '2000', '--eval-tokens', '300', '--data-dir', data, '--out', out, '--quiet', '--workers', '2',
];

test('transformer --quick writes rows for the whole plan, a report and the models; a rerun resumes without redoing work; probe and view read a tagger folder', async () => {
  const data = smallCorpus();
  const out = join(mkdtempSync(join(tmpdir(), 'ws-tr-')), 'run');
  const r = run(args(data, out));
  assert.equal(r.code, 0, r.stderr);
  const rows = readFileSync(join(out, 'results.jsonl'), 'utf8').split('\n').map(parseRow).filter((x) => x !== null);
  const plan = taggerStudyItems({ blocks: 2, runs: 1, seed: 1, task: 'brown-upos', quick: true });
  assert.equal(rows.length, plan.length);
  assert.ok(rows.every((x) => x.f1! >= 0 && x.f1! <= 1 && x.n_test >= 300));
  assert.ok(rows.some((x) => x.layer === 'block1.attn' && x.probe === 'binarize'));
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  assert.match(html, /<svg/);
  assert.match(html, /block0\.attn\.q/);
  assert.ok(existsSync(join(out, 'models', 'brown-upos', 'run-0', 'transformer.json')));

  // interrupted: the last rows are lost; the rerun redoes exactly those, with the same values
  const lines = readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n');
  writeFileSync(join(out, 'results.jsonl'), lines.slice(0, -5).join('\n') + '\n');
  const again = run(args(data, out));
  assert.equal(again.code, 0, again.stderr);
  const redone = readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n');
  assert.equal(redone.length, lines.length);
  assert.deepEqual(new Set(redone.map((l) => JSON.parse(l).accuracy)), new Set(lines.map((l) => JSON.parse(l).accuracy)));

  // the saved tagger: every projection round-trips through its graph exactly
  const { model } = loadTransformer(join(out, 'models', 'brown-upos', 'run-0'));
  for (const layer of model.layers.filter((l) => l.name !== 'embed.word')) {
    const back = graphToLayer(layerToGraph(layer));
    assert.deepEqual(back.weights, layer.weights, layer.name);
    assert.deepEqual(back.shape, layer.shape);
  }

  // the model folder is a MODEL for the other commands; an unknown layer lists the names
  const stats = run(['stats', join(out, 'models', 'brown-upos', 'run-0'), '--layer', 'block1.ffn.in']);
  assert.equal(stats.code, 0, stats.stderr);
  assertOneLineError(run(['stats', join(out, 'models', 'brown-upos', 'run-0'), '--layer', 'block7.attn.q']), /no layer named 'block7\.attn\.q' \(closest: block\d\.attn\.q.*; layers: embed\.word, .*block1\.attn\.q.*head\)/);

  // `probe MODEL --per-layer` on the tagger folder: a baseline row, then one row per layer, each scored
  // on held-out sentences; the unprobed row equals the study's own baseline row on the same tokens
  const modelDir = join(out, 'models', 'brown-upos', 'run-0');
  const probe = run(['probe', modelDir, '--per-layer', '--probe', 'binarize', '--data-dir', data, '--eval-tokens', '300', '--json', '--quiet']);
  assert.equal(probe.code, 0, probe.stderr);
  const probeRows = probe.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const layers = model.layers.map((l) => l.name);
  assert.deepEqual(probeRows.map((r) => r.layer), ['all', ...layers]);
  assert.ok(probeRows.slice(1).every((r) => r.probe === 'binarize' && r.task === 'brown-upos' && r.n_test >= 300));
  const studyBase = rows.find((x) => x.probe === 'baseline' && x.variant === 'reference')!;
  assert.equal(probeRows[0].accuracy, studyBase.accuracy);
  const studyHead = rows.find((x) => x.probe === 'binarize' && x.variant === 'reference' && x.layer === 'head')!;
  assert.equal(probeRows.find((r) => r.layer === 'head').accuracy, studyHead.accuracy);
  assertOneLineError(run(['probe', modelDir, '--layer', 'block9.ffn.in', '--probe', 'binarize', '--data-dir', data]), /no layer named 'block9\.ffn\.in'/);

  // `view` on the tagger folder: the viewer's index lists every projection as a one-layer model;
  // on the run folder, those of each tagger, named by task and run
  const expected = model.layers.map((l) => [{ name: l.name, shape: [...l.shape] }]);
  const ofFolder = await viewerIndex(cli, modelDir, root);
  assert.deepEqual(ofFolder.models.map((m) => m.layers), expected);
  const ofRun = await viewerIndex(cli, out, root);
  assert.deepEqual(ofRun.models.map((m) => m.layers), expected);
  assert.ok(ofRun.models.every((m) => m.task.startsWith('brown-upos.run-0.')), ofRun.models.map((m) => m.task).join(', '));
});

test('a corpus folder in the wrong format gets one clear line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ws-notbrown-'));
  writeFileSync(join(dir, 'readme.txt'), 'hello');
  assertOneLineError(run(['transformer', '--quick', '--data-dir', dir, '--out', join(dir, 'out'), '--quiet']), /is not a Brown corpus folder/);
  assert.ok(!existsSync(join(dir, 'out', 'results.jsonl')));
});
