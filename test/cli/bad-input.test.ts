/**
 * Table-driven bad-input suite over the real `weightscope` command: every case runs the CLI in a
 * child process and must end, within a time bound, with a non-zero exit and exactly one line on
 * stderr naming the problem: no stack trace, no hang, no huge allocation, nothing written. One
 * row per class of defect (filesystem paths, files that lie about their sizes, silently wrong
 * flag values, run folders in use), none of which trains anything.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { saveModel, saveNpy } from '../../src/model/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
/** A hang is caught by this bound; generous because startup alone costs ~1.7 s of CPU and the machine may be loaded. */
const TIME_LIMIT_MS = 120_000;
const PARALLEL = 3;

const dir = mkdtempSync(join(tmpdir(), 'ws-bad-input-'));
const at = (...p: string[]): string => join(dir, ...p);

// ---- fixtures: valid files written by weightscope's own writers, then made to lie ----
const small = { name: 'w', weights: Float32Array.from({ length: 12 }, (_, k) => (k % 5) - 2.5), shape: [4, 3] as [number, number], bias: null };
saveNpy(at('w.npy'), small.weights, small.shape);
writeFileSync(at('trailing.npy'), Buffer.concat([readFileSync(at('w.npy')), Buffer.from([1, 2, 3, 4])]));
/** A .npy (format 1.0) with the given header dict, padded as numpy does, and raw data bytes. */
function npy(dict: string, data: Uint8Array): Buffer {
  let header = dict;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  return Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]), Buffer.from(header, 'latin1'), data]);
}
writeFileSync(at('huge.npy'), npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 1000000000), }", new Uint8Array(48)));
mkdirSync(at('folder.npy'));
saveNpy(at('probe-784.npy'), new Float32Array(784 * 2).fill(0.01), [784, 2]);

/** A tfjs model folder whose model.json has been edited by `edit`. */
function lyingModel(name: string, edit: (json: { weightsManifest: { weights: { shape: unknown[]; dtype?: string }[] }[] }) => void): string {
  const d = at(name);
  saveModel(d, { layers: [{ ...small, bias: new Float32Array(3), activation: 'relu' }] });
  const json = JSON.parse(readFileSync(join(d, 'model.json'), 'utf8'));
  edit(json);
  writeFileSync(join(d, 'model.json'), JSON.stringify(json));
  return d;
}
const negativeShape = lyingModel('negative-shape', (j) => { j.weightsManifest[0].weights[0].shape = [-4, -3]; });
const stringShape = lyingModel('string-shape', (j) => { j.weightsManifest[0].weights[0].shape = ['a', 3]; });
const absurdShape = lyingModel('absurd-shape', (j) => { j.weightsManifest[0].weights[0].shape = [1e9, 1e9]; });
const stringDtype = lyingModel('string-dtype', (j) => { j.weightsManifest[0].weights[0].dtype = 'string'; });
const trailingBin = lyingModel('trailing-bin', () => undefined);
appendFileSync(join(trailingBin, 'weights.bin'), Buffer.alloc(8));
const shardIsFolder = at('shard-folder');
saveModel(shardIsFolder, { layers: [{ ...small, activation: 'linear' }] });
writeFileSync(join(shardIsFolder, 'model.json'), readFileSync(join(shardIsFolder, 'model.json'), 'utf8').replace('weights.bin', 'shards'));
mkdirSync(join(shardIsFolder, 'shards'));
mkdirSync(at('model-json-folder', 'model.json'), { recursive: true });

/** A hand-written GraphML layer (independent of weightscope's exporter). */
function graphml(graphData: string, nodes: [string, 'in' | 'out', number][], edges: [string, string, number][], edgeId = false): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <key id="g_nIn" for="graph" attr.name="nIn" attr.type="int"/>
  <key id="side" for="node" attr.name="side" attr.type="string"/>
  <key id="index" for="node" attr.name="index" attr.type="int"/>
  <key id="weight" for="edge" attr.name="weight" attr.type="double"/>
  <graph edgedefault="directed">${graphData}
${nodes.map(([id, side, index]) => `    <node id="${id}"><data key="side">${side}</data><data key="index">${index}</data></node>`).join('\n')}
${edges.map(([s, t, w], k) => `    <edge ${edgeId ? 'id="e0" ' : `id="e${k}" `}source="${s}" target="${t}"><data key="weight">${w}</data></edge>`).join('\n')}
  </graph>
</graphml>
`;
}
const nodes: [string, 'in' | 'out', number][] = [['a', 'in', 0], ['b', 'in', 1], ['x', 'out', 0], ['y', 'out', 1]];
const edges: [string, string, number][] = [['a', 'x', 0.5], ['a', 'y', -1], ['b', 'x', 2], ['b', 'y', 0.25]];
// ~5 KB of padding comments: the file is small, what it declares is not.
writeFileSync(at('declares-1e9.graphml'), graphml(`\n    <data key="g_nIn">1000000000</data>${'\n    <!-- padding -->'.repeat(300)}`, nodes, edges));
writeFileSync(at('index-1e9.graphml'), graphml('', [['a', 'in', 1_000_000_000], ['x', 'out', 0]], [['a', 'x', 1]]));
writeFileSync(at('duplicate-index.graphml'), graphml('', [['a', 'in', 0], ['b', 'in', 0], ['x', 'out', 0]], [['a', 'x', 1], ['b', 'x', 2]]));
writeFileSync(at('parallel-edges.graphml'), graphml('', nodes, [...edges, ['a', 'x', 9]]));
writeFileSync(at('same-edge-id.graphml'), graphml('', nodes, edges, true));
writeFileSync(at('malformed.graphml'), graphml('', nodes, edges).replace('<node id="b">', '<node id="b>'));
writeFileSync(at('duplicate-edge.gexf'), `<?xml version="1.0" encoding="UTF-8"?>
<gexf xmlns="http://gexf.net/1.2" version="1.2">
  <graph defaultedgetype="directed">
    <attributes class="node"><attribute id="side" title="side" type="string"/><attribute id="index" title="index" type="integer"/></attributes>
    <attributes class="edge"><attribute id="weight" title="weight" type="double"/></attributes>
    <nodes>
      <node id="a"><attvalues><attvalue for="side" value="in"/><attvalue for="index" value="0"/></attvalues></node>
      <node id="x"><attvalues><attvalue for="side" value="out"/><attvalue for="index" value="0"/></attvalues></node>
    </nodes>
    <edges>
      <edge id="0" source="a" target="x" weight="1"/>
      <edge id="1" source="a" target="x" weight="2"/>
    </edges>
  </graph>
</gexf>
`);

// IDX files whose headers claim 2^31 images: --data-dir must not believe them.
mkdirSync(at('lying-idx'));
for (const [file, dims] of [['train-images-idx3-ubyte', [2 ** 31, 28, 28]], ['train-labels-idx1-ubyte', [2 ** 31]], ['t10k-images-idx3-ubyte', [2 ** 31, 28, 28]], ['t10k-labels-idx1-ubyte', [2 ** 31]]] as const) {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.set([0, 0, 0x08, dims.length]);
  dims.forEach((d, k) => header.writeUInt32BE(d, 4 + 4 * k));
  writeFileSync(at('lying-idx', file), Buffer.concat([header, Buffer.alloc(100)]));
}

writeFileSync(at('a-file'), 'not a folder');

// compare: a run folder with models of two tasks, and two train folders of different tasks.
const mlp = { layers: [{ name: 'dense_0', weights: new Float32Array(784 * 2).fill(0.01), shape: [784, 2] as [number, number], bias: new Float32Array(2), activation: 'linear' as const }] };
mkdirSync(at('two-tasks'));
writeFileSync(at('two-tasks', 'run.json'), JSON.stringify({ tool: 'weightscope', config: { inputs: 'pm1' } }));
for (const task of ['mnist-0v7', 'mnist-7v9']) saveModel(at('two-tasks', 'models', task, 'run-0'), mlp);
for (const task of ['mnist-0v7', 'mnist-7v9']) {
  saveModel(at(`trained-${task}`, 'run-0'), mlp);
  writeFileSync(at(`trained-${task}`, 'run-0', 'training.json'), JSON.stringify({ task, inputs: 'pm1' }));
}
const ferSkull = join(root, 'data', 'fer', 'picbreeder_skull.npz');
mkdirSync(at('corrupt-run'));
writeFileSync(at('corrupt-run', 'run.json'), '{"tool": "weightscope", "config": {');
mkdirSync(at('locked-run'));
writeFileSync(at('locked-run', '.weightscope.lock'), JSON.stringify({ pid: process.pid, host: hostname(), started: new Date().toISOString() }));
mkdirSync(at('bad-results'));
writeFileSync(at('bad-results', 'results.jsonl'), '{"task":"mnist-0v7","probe":"baseline","level":0,"accuracy":0.9}\nthis is not json\n{"task":"mnist-0v7","probe":"prune","level":0.5,"accuracy":0.8}\n');
writeFileSync(at('bad-results', 'report.html'), '<p>the earlier report</p>');
writeFileSync(at('bad-results', 'summary.json'), '{"earlier": true}\n');

interface Case {
  name: string;
  args: string[];
  /** What the one stderr line must say. */
  says: RegExp;
  /** Checked after the run: nothing written, existing files untouched. */
  after?: () => void;
  skip?: string | false;
}

const noProc = !existsSync('/proc/self') && 'no /proc on this system';
const noSys = !existsSync('/sys/kernel') && 'no /sys on this system';
const w = at('w.npy');

const CASES: Case[] = [
  // Every filesystem error is a user error, found before any work.
  { name: '--out is an existing file where a folder is needed', args: ['export', w, '--format', 'csv', '--out', at('a-file')], says: /a-file is a file, not a folder/ },
  { name: '--out lies under a file', args: ['export', w, '--format', 'csv', '--out', at('a-file', 'sub')], says: /a-file is a file, not a folder/ },
  { name: '--out under /proc (Node\'s recursive mkdir spins forever there)', args: ['export', w, '--format', 'csv', '--out', '/proc/ws-bad-input/x'], says: /cannot create folder \/proc\/ws-bad-input/, skip: noProc },
  { name: 'reproduce --out under /proc', args: ['reproduce', '--quiet', '--out', '/proc/ws-bad-input'], says: /cannot create folder \/proc\/ws-bad-input/, skip: noProc },
  { name: 'train --out under /sys', args: ['train', '--pair', '0v7', '--quiet', '--out', '/sys/ws-bad-input'], says: /cannot create folder \/sys\/ws-bad-input/, skip: noSys },
  { name: '--out is an existing folder nobody may write in', args: ['export', w, '--format', 'csv', '--out', '/sys/kernel'], says: /cannot write in folder \/sys\/kernel/, skip: noSys },
  { name: 'randomize --out FILE.npy in a folder that cannot be written', args: ['randomize', w, '--method', 'A', '--out', '/sys/kernel/w.npy'], says: /cannot write in folder \/sys\/kernel/, skip: noSys },
  { name: 'reproduce --out is an existing file', args: ['reproduce', '--quiet', '--out', at('a-file')], says: /a-file is a file, not a folder/ },
  { name: '--out is a folder where a file is needed', args: ['percolate', w, '--out', dir], says: /is a folder; expected a file name/ },
  { name: 'probe --out is a folder', args: ['probe', at('probe-784.npy'), '--pair', '0v7', '--probe', 'baseline', '--out', dir], says: /is a folder; expected a file name/ },
  {
    name: 'a reproduce that fails on its data leaves no run folder',
    args: ['reproduce', '--quiet', '--data-dir', at('no-such-data'), '--out', at('never-made')],
    says: /data folder not found/,
    after: () => assert.ok(!existsSync(at('never-made')), 'the run folder made for the lock is removed again'),
  },
  { name: 'a .npy input that is a folder', args: ['stats', at('folder.npy')], says: /folder\.npy is a folder; expected a \.npy file/ },
  { name: 'a model.json that is a folder', args: ['stats', at('model-json-folder')], says: /model\.json is a folder; expected a model\.json/ },
  { name: 'a weight shard that is a folder', args: ['stats', shardIsFolder], says: /shards is a folder; expected a weight shard/ },
  { name: 'a kernel file that blocks when read to its end', args: ['stats', '/proc/kmsg'], says: /\/proc\/kmsg/, skip: !existsSync('/proc/kmsg') && 'no /proc/kmsg' },
  { name: 'a device as the model', args: ['stats', '/dev/zero'], says: /\/dev\/zero is not a regular file/, skip: !existsSync('/dev/zero') && 'no /dev/zero' },
  {
    name: 'a failing command leaves no --out folder behind',
    args: ['export', at('missing.npy'), '--format', 'csv', '--out', at('new', 'deep')],
    says: /no \.npy file at .*missing\.npy/,
    after: () => assert.ok(!existsSync(at('new')), 'the --out folder made for the check is removed again'),
  },

  // Files that lie about their sizes: checked against their real size, never allocated.
  { name: 'a 5 KB GraphML declaring 10⁹ inputs', args: ['stats', at('declares-1e9.graphml')], says: /declares nIn = 1000000000 but has 2 input nodes/ },
  { name: 'a GraphML node with index 10⁹', args: ['stats', at('index-1e9.graphml')], says: /index 1000000000 but the file has 1 input nodes/ },
  { name: 'two nodes with the same index', args: ['stats', at('duplicate-index.graphml')], says: /input nodes 'a' and 'b' both have index 0/ },
  { name: 'parallel edges (GraphML)', args: ['stats', at('parallel-edges.graphml')], says: /repeats an edge already in the file \('a' → '(x|y)'\)/ },
  { name: 'two edges with one id (GraphML)', args: ['stats', at('same-edge-id.graphml')], says: /two edges have the id 'e0'/ },
  { name: 'parallel edges (GEXF)', args: ['stats', at('duplicate-edge.gexf')], says: /repeats an edge already in the file \('a' → '(x|y)'\)/ },
  { name: 'malformed XML: one line, not the parser\'s warnings', args: ['stats', at('malformed.graphml')], says: /not well-formed XML: .*\(line \d+, column \d+\)/ },
  { name: '.npy declaring a 10⁹×10⁹ matrix in 176 bytes', args: ['stats', at('huge.npy')], says: /\.npy data too short/ },
  { name: '.npy with bytes after the declared data', args: ['stats', at('trailing.npy')], says: /\.npy data too long/ },
  { name: 'model.json with a negative shape', args: ['stats', negativeShape], says: /shape \[-4,-3\]; dimensions must be non-negative integers/ },
  { name: 'model.json with a string in its shape (not a dtype problem)', args: ['stats', stringShape], says: /shape \["a",3\]; dimensions must be non-negative integers/ },
  { name: 'model.json declaring a 10⁹×10⁹ kernel', args: ['stats', absurdShape], says: /too short/ },
  { name: 'model.json with a string dtype', args: ['stats', stringDtype], says: /dtype "string", which weightscope cannot read/ },
  { name: 'weights.bin with bytes after the declared weights', args: ['stats', trailingBin], says: /hold 68 bytes but the manifest declares 60/ },
  { name: 'percolate --points beyond the layer\'s size', args: ['percolate', w, '--points', '100000'], says: /at most 1001 points/ },
  { name: 'IDX files declaring 2³¹ images', args: ['probe', at('probe-784.npy'), '--pair', '0v7', '--probe', 'baseline', '--data-dir', at('lying-idx')], says: /lying-idx\/\S+-idx\d-ubyte: truncated IDX file/ },

  // No silently wrong values.
  { name: '--levels \'\'', args: ['probe', w, '--pair', '0v7', '--probe', 'prune', '--levels', ''], says: /--levels.*empty item/ },
  { name: '--levels 0.5,,', args: ['probe', w, '--pair', '0v7', '--probe', 'prune', '--levels', '0.5,,'], says: /--levels.*empty item/ },
  { name: '--seed \'\'', args: ['stats', w, '--seed', ''], says: /--seed.*is empty/ },
  { name: 'stats --all-layers --null with an unknown model in its list', args: ['stats', w, '--all-layers', '--null', 'B,nope', '--out', at('never-table')], says: /unknown randomization 'nope'/, after: () => assert.ok(!existsSync(at('never-table'))) },
  { name: 'stats --all-layers --null naming a model twice', args: ['stats', w, '--all-layers', '--null', 'B,curveball,B'], says: /--null names a null model twice/ },
  { name: 'stats --esd of an unknown convention', args: ['stats', w, '--all-layers', '--esd', 'ww'], says: /--esd.*Allowed choices are weightscope, weightwatcher/ },
  { name: 'stats --esd weightwatcher with convolutions summed', args: ['stats', w, '--all-layers', '--esd', 'weightwatcher', '--conv', 'sum'], says: /--esd weightwatcher .*use --conv unfold/ },
  { name: '--seed 0x10 (hex is not read as 16)', args: ['stats', w, '--seed', '0x10'], says: /--seed.*decimal digits only/ },
  { name: '--hidden 64,,32', args: ['train', '--pair', '0v7', '--hidden', '64,,32'], says: /--hidden.*empty item/ },
  { name: '--epochs \' \'', args: ['train', '--pair', '0v7', '--epochs', ' '], says: /--epochs.*is empty/ },
  { name: 'probe randomize without --variant', args: ['probe', w, '--pair', '0v7', '--probe', 'randomize'], says: /needs --variant, one of: A, B, C/ },
  { name: 'probe --task with one class twice', args: ['probe', w, '--task', 'mnist-7v7', '--probe', 'baseline'], says: /task 'mnist-7v7'.*two different classes/ },
  { name: 'probe --task of an unknown dataset', args: ['probe', w, '--task', 'kmnist-0v7', '--probe', 'baseline'], says: /unknown dataset 'kmnist'/ },
  { name: 'probe --task and --pair together', args: ['probe', w, '--task', 'mnist-0v7', '--pair', '0v7', '--probe', 'baseline'], says: /either --task or --pair/ },
  { name: 'probe --data-seed -1', args: ['probe', w, '--pair', '0v7', '--probe', 'baseline', '--data-seed', '-1'], says: /--data-seed/ },
  { name: 'randomize --prune 1.5', args: ['randomize', w, '--method', 'A', '--prune', '1.5', '--out', at('never.npy')], says: /--prune.*0 ≤ x ≤ 1/, after: () => assert.ok(!existsSync(at('never.npy'))) },
  {
    name: 'report on results it cannot parse leaves the existing report alone',
    args: ['report', at('bad-results')],
    says: /results\.jsonl: line 2 is not a result row/,
    after: () => {
      assert.equal(readFileSync(at('bad-results', 'report.html'), 'utf8'), '<p>the earlier report</p>');
      assert.equal(readFileSync(at('bad-results', 'summary.json'), 'utf8'), '{"earlier": true}\n');
    },
  },

  // compare: what it needs to compare, said in one line before any fingerprint is taken.
  { name: 'compare with one model', args: ['compare', at('probe-784.npy')], says: /compare needs at least two models or run folders, got 1/ },
  { name: 'compare a path that does not exist', args: ['compare', at('probe-784.npy'), at('nothing-here')], says: /no model or run folder at .*nothing-here/ },
  { name: 'compare --label with too few labels', args: ['compare', at('probe-784.npy'), w, '--label', 'a'], says: /--label gives 1 labels for 2/ },
  { name: 'compare --shift of an unknown kind', args: ['compare', at('probe-784.npy'), w, '--shift', 'blur'], says: /--shift.*'blur' is not a shift/ },
  { name: 'compare --null of an unknown model', args: ['compare', at('probe-784.npy'), w, '--null', 'nope'], says: /unknown randomization 'nope'/ },
  { name: 'compare a drawing network with a classifier', args: ['compare', ferSkull, at('probe-784.npy')], says: /cannot put drawing networks \(CPPNs\) and classifiers in one comparison/ },
  { name: 'compare --sparsity-control with three groups', args: ['compare', w, w, w, '--sparsity-control'], says: /--sparsity-control needs exactly two groups, got 3/ },
  { name: 'compare a run folder of two tasks without --task', args: ['compare', at('two-tasks'), at('probe-784.npy')], says: /holds models of 2 tasks \(mnist-0v7, mnist-7v9\): choose one with --task/ },
  {
    name: 'compare models trained on different tasks leaves no --out folder',
    args: ['compare', at('trained-mnist-0v7'), at('trained-mnist-7v9'), '--out', at('never-compared')],
    says: /trained on different tasks \(mnist-0v7, mnist-7v9\): choose the test set with --task/,
    after: () => assert.ok(!existsSync(at('never-compared'))),
  },
  { name: 'compare --out is an existing file', args: ['compare', w, w, '--out', at('a-file')], says: /a-file is a file, not a folder/ },

  // Run folders: corrupt records and a second process.
  { name: 'resume with a corrupt run.json', args: ['reproduce', '--quiet', '--out', at('corrupt-run')], says: /corrupt-run\/run\.json is not valid JSON/ },
  { name: 'a second reproduce on a folder in use', args: ['reproduce', '--quiet', '--out', at('locked-run')], says: new RegExp(`in use by process ${process.pid}\\b`) },
  { name: 'a transformer study on a folder in use', args: ['transformer', '--quick', '--quiet', '--out', at('locked-run')], says: new RegExp(`in use by process ${process.pid}\\b`) },

  // Where jobs run: executors and Redis URLs (reachability: test/study/redis-cli.test.ts).
  { name: 'reproduce --executor of an unknown kind', args: ['reproduce', '--quiet', '--executor', 'gpu'], says: /--executor.*Allowed choices are in-process, threads/ },
  { name: 'reproduce --redis with a scheme that is not Redis', args: ['reproduce', '--quiet', '--redis', 'ftp://x', '--out', at('never-made-redis')], says: /scheme 'ftp' is not redis or rediss/, after: () => assert.ok(!existsSync(at('never-made-redis'))) },
  { name: 'twins --seeds 1 (intervals over seeds need two)', args: ['twins', '--quick', '--quiet', '--seeds', '1', '--out', at('never-made-twins')], says: /--seeds must be at least 2/, after: () => assert.ok(!existsSync(at('never-made-twins'))) },
  { name: 'twins --pairs with a bad pair', args: ['twins', '--quick', '--quiet', '--pairs', '7v7', '--out', at('never-made-twins')], says: /pair '7v7'/, after: () => assert.ok(!existsSync(at('never-made-twins'))) },
  { name: 'transformer --executor of an unknown kind', args: ['transformer', '--quick', '--quiet', '--executor', 'gpu'], says: /--executor.*Allowed choices are in-process, threads/ },
  { name: 'transformer --redis with a scheme that is not Redis', args: ['transformer', '--quick', '--quiet', '--redis', 'ftp://x', '--out', at('never-made-tagger-redis')], says: /scheme 'ftp' is not redis or rediss/, after: () => assert.ok(!existsSync(at('never-made-tagger-redis'))) },
  // The multi-task study's flags: refused before a run folder exists.
  { name: 'multitask --tasks 0', args: ['multitask', '--quick', '--quiet', '--tasks', '0', '--out', at('never-made-mt')], says: /--tasks.*'0' is not valid/, after: () => assert.ok(!existsSync(at('never-made-mt'))) },
  { name: 'multitask --noise beyond its bound', args: ['multitask', '--quick', '--quiet', '--noise', '0,3', '--out', at('never-made-mt')], says: /--noise values must be numbers from 0 to 2, got 3/, after: () => assert.ok(!existsSync(at('never-made-mt'))) },
  { name: 'multitask --latent-dim 11', args: ['multitask', '--quick', '--quiet', '--latent-dim', '11', '--out', at('never-made-mt')], says: /--latent-dim values must be integers from 2 to 10, got 11/, after: () => assert.ok(!existsSync(at('never-made-mt'))) },
  { name: 'multitask --tasks repeated', args: ['multitask', '--quick', '--quiet', '--tasks', '3,3', '--out', at('never-made-mt')], says: /--tasks repeats a value/, after: () => assert.ok(!existsSync(at('never-made-mt'))) },
  { name: 'multitask --map of an unknown kind', args: ['multitask', '--quick', '--quiet', '--map', 'sine'], says: /--map.*Allowed choices are relu, rbf/ },
  { name: 'multitask --model transformer (says why not)', args: ['multitask', '--quick', '--quiet', '--model', 'transformer', '--out', at('never-made-mt')], says: /--model transformer: .*cannot be trained on this study's observations/, after: () => assert.ok(!existsSync(at('never-made-mt'))) },
  { name: 'multitask --runs 0', args: ['multitask', '--quick', '--quiet', '--runs', '0'], says: /--runs.*positive integer/ },
  { name: 'multitask sweep too large', args: ['multitask', '--quiet', '--tasks', '1,2,3,4,5,6,7,8,9,10,11,12', '--noise', '0,0.1,0.2,0.3,0.4,0.5,0.6,0.7', '--latent-dim', '2,3,4,5,6', '--runs', '50', '--out', at('never-made-mt')], says: /asks for 24000 models; at most 5000/, after: () => assert.ok(!existsSync(at('never-made-mt'))) },
  { name: 'worker without --redis', args: ['worker'], says: /required option '--redis <url>'/ },
  { name: 'worker --redis host:port without a scheme', args: ['worker', '--redis', 'localhost:6379'], says: /expected redis:\/\/HOST:PORT/ },
  { name: 'worker --concurrency 0', args: ['worker', '--redis', 'redis://127.0.0.1:1', '--concurrency', '0'], says: /--concurrency.*positive integer/ },
  { name: 'worker --job-timeout past what a timer can wait', args: ['worker', '--redis', 'redis://127.0.0.1:1', '--job-timeout', '3000000'], says: /--job-timeout.*at most 2,000,000 seconds/ },
];

interface Outcome {
  code: number | null;
  signal: string | null;
  stderr: string;
  ms: number;
}

function runCli(args: string[]): Promise<Outcome> {
  const t0 = Date.now();
  return new Promise((done) => {
    execFile(process.execPath, [cli, ...args], { cwd: dir, timeout: TIME_LIMIT_MS, killSignal: 'SIGKILL', maxBuffer: 1 << 20 }, (err, _stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string; signal?: string }) | null;
      done({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, stderr: String(stderr), ms: Date.now() - t0 });
    });
  });
}

// Start every case at once, PARALLEL at a time, so the suite costs a few startups, not forty.
const outcomes = new Map<string, Promise<Outcome>>();
{
  const queue = CASES.filter((c) => !c.skip);
  let running = 0;
  const waiting: (() => void)[] = [];
  const slot = async (): Promise<void> => {
    if (running >= PARALLEL) await new Promise<void>((r) => waiting.push(r));
    running++;
  };
  const free = (): void => {
    running--;
    waiting.shift()?.();
  };
  for (const c of queue) {
    outcomes.set(c.name, slot().then(() => runCli(c.args)).finally(free));
  }
}

for (const c of CASES) {
  test(`bad input: ${c.name}`, { skip: c.skip || false }, async () => {
    const r = await outcomes.get(c.name)!;
    assert.equal(r.signal, null, `killed after ${r.ms} ms (hang?): ${r.stderr}`);
    assert.ok(r.code !== 0 && r.code !== null, `exit code must be non-zero, got ${r.code}`);
    assert.notEqual(r.code, 70, `an internal error, not a user error:\n${r.stderr}`);
    const lines = r.stderr.split('\n').filter((l) => l.length > 0);
    assert.equal(lines.length, 1, `exactly one line on stderr, got:\n${r.stderr}`);
    assert.match(lines[0], /^weightscope: /);
    assert.match(lines[0], c.says);
    assert.doesNotMatch(r.stderr, /\bat .*\(.*:\d+:\d+\)|node:internal|\[xmldom/, 'no stack trace or parser noise');
    c.after?.();
  });
}
