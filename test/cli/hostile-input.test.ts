/**
 * The hostile-input table (issue 18): model files, inputs and run folders from strangers, each
 * made by the test, run through the real `weightscope` command. Every case must end with a
 * non-zero exit and exactly one line on stderr, within 10 s of CPU (and a wall-clock bound that
 * catches a hang), under a memory cap (the V8 heap capped with --max-old-space-size, the peak
 * resident size checked), leaving no file behind, and never letting the canary file outside the
 * model folder reach an output. A few controls (the same fixtures with legitimate names) must
 * succeed and show their values, so the table can tell a leak from a refusal.
 */
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeNpy } from '../../src/formats/npy.js';
import { SHARD_INDEX } from '../../src/formats/safetensors.js';
import { buildIndex } from '../../src/viewer/run-index.js';
import {
  CANARY, W, canaryBytes, declareSize, fifo, kerasExternalStorage, kerasFile, manyEntries, npzFile, onnxModel, rawNpy, safetensors, shardFolder, tfjsFolder, zeros,
} from './hostile-fixtures.js';
import { zipSync } from 'fflate';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
/** Peak resident size and CPU time of the child, written at exit (node --import). */
const probe = join(root, 'dist', 'test', 'cli', 'resource-probe.js');
const CPU_LIMIT_S = 10;
/** Only a hang gets near this: a case costs 1–3 s of CPU. */
const WALL_LIMIT_MS = 90_000;
const HEAP_MB = 256;
const RSS_LIMIT_MB = 640;
const PARALLEL = 3;

const W_DIR = realpathSync(mkdtempSync(join(tmpdir(), 'ws-hostile-')));
after(() => rmSync(W_DIR, { recursive: true, force: true }));
const at = (...p: string[]): string => join(W_DIR, ...p);
/** The children's system temp dir: anything a command leaves there shows in the listing below. */
const childTmp = at('tmp');
mkdirSync(childTmp);
const hasFifo = fifo(at('probe-fifo'));
rmSync(at('probe-fifo'), { force: true });
const noFifo = !hasFifo && 'no mkfifo on this system';

// ---- the canary, outside every model folder, and a sibling folder whose name extends the model folder's ----
writeFileSync(at('canary'), canaryBytes(12));
mkdirSync(at('m-evil'));
writeFileSync(at('m-evil', 'w.bin'), canaryBytes(12));
writeFileSync(at('m-evil', 'evil.safetensors'), safetensors(new Float32Array(12).fill(CANARY)));
mkdirSync(at('secret'));
writeFileSync(at('secret', 'w.bin'), canaryBytes(12));

// ---- ONNX: external data that escapes, malformed numbers, lies about its size ----
const m = at('m');
const onnxOk = onnxModel(m, 'ok');
const onnx = {
  sibling: onnxModel(m, 'sibling', { location: '../m-evil/w.bin' }),
  parent: onnxModel(m, 'parent', { location: '../canary' }),
  absolute: onnxModel(m, 'absolute', { location: at('canary') }),
  linkFile: onnxModel(m, 'link-file', { location: 'link.bin' }),
  linkFolder: onnxModel(m, 'link-folder', { location: 'evil/w.bin' }),
  int64Escape: onnxModel(m, 'int64-escape', { shapeLocation: '../canary' }),
  offsetFraction: onnxModel(m, 'offset-fraction', { offset: '2.5' }),
  offsetHex: onnxModel(m, 'offset-hex', { offset: '0x4' }),
  offsetNegative: onnxModel(m, 'offset-negative', { offset: '-64' }),
  lengthExponent: onnxModel(m, 'length-exponent', { length: '4.8e1' }),
  pastEnd: onnxModel(m, 'past-end', { offset: '8' }),
  negativeDims: onnxModel(m, 'negative-dims', { location: null, dims: [-4, -3] }),
  unreadableField: onnxModel(m, 'unreadable-field', { location: null, graphTail: [0x08, 0x01] }),
  noOpType: onnxModel(m, 'no-op-type', { location: null, op: '' }),
};
symlinkSync(at('canary'), join(m, 'link.bin'));
symlinkSync(at('m-evil'), join(m, 'evil'));
const onnxFifo = onnxModel(at('m-fifo'), 'fifo', { writeData: false });
if (hasFifo) fifo(at('m-fifo', 'w.bin'));

// inputs for probing: x [2, 4], labels, and the bad ones
writeFileSync(at('x.npy'), encodeNpy(Float32Array.from({ length: 8 }, (_, k) => k / 4), [2, 4]));
writeFileSync(at('x-nan.npy'), encodeNpy(Float32Array.from([0, 1, 2, 3, 4, 5, Number.NaN, 7]), [2, 4]));
writeFileSync(at('x-inf.npy'), encodeNpy(Float32Array.from([0, Number.NEGATIVE_INFINITY, 2, 3, 4, 5, 6, 7]), [2, 4]));
writeFileSync(at('y.npy'), encodeNpy(Float32Array.from([0, 2]), [2]));
writeFileSync(at('y-outside.npy'), encodeNpy(Float32Array.from([1, 5]), [2]));
mkdirSync(at('dense'));
writeFileSync(at('dense', 'w.npy'), encodeNpy(W, [4, 3]));
if (hasFifo) {
  fifo(at('x-fifo.npy'));
  fifo(at('y-fifo.npy'));
}

// ---- safetensors shards: names and links out of the folder ----
const shards = {
  relative: shardFolder(at('shards-relative'), { 'fc.weight': '../m-evil/evil.safetensors' }),
  absolute: shardFolder(at('shards-absolute'), { 'fc.weight': at('m-evil', 'evil.safetensors') }),
  link: shardFolder(at('shards-link'), { 'fc.weight': 'a.safetensors' }, { 'a.safetensors': { link: at('m-evil', 'evil.safetensors') } }),
  fifo: shardFolder(at('shards-fifo'), { 'fc.weight': 'a.safetensors' }, hasFifo ? { 'a.safetensors': 'fifo' } : {}),
};
const shardsOk = shardFolder(at('shards-ok'), { 'fc.weight': 'a.safetensors' }, { 'a.safetensors': safetensors(W) });

// ---- tfjs manifests ----
const tfjs = {
  relative: tfjsFolder(at('tfjs-relative'), ['../secret/w.bin']),
  absolute: tfjsFolder(at('tfjs-absolute'), [at('secret', 'w.bin')]),
  link: tfjsFolder(at('tfjs-link'), ['weights.bin'], { weights: { link: at('canary') } }),
  fifo: tfjsFolder(at('tfjs-fifo'), ['weights.bin'], { weights: hasFifo ? 'fifo' : 'file' }),
};

// ---- HDF5 inside .keras: links, cycles, truncation, absurd shapes; zip bombs ----
mkdirSync(at('k'));
const keras = {
  hardCycle: await kerasFile(at('k', 'hard-cycle.keras'), { build: (f) => f.create_hard_link('/layers', '/layers/dense/loop') }),
  softCycle: await kerasFile(at('k', 'soft-cycle.keras'), { build: (f) => f.create_soft_link('/layers', '/layers/dense/soft') }),
  externalLink: await kerasFile(at('k', 'external-link.keras'), { build: (f) => f.create_external_link(at('canary'), '/w', '/layers/dense/vars/1') }),
  truncated: await kerasFile(at('k', 'truncated.keras'), { mutate: (b) => b.subarray(0, b.length - 200) }),
  huge: await kerasFile(at('k', 'huge.keras'), {
    // chunked and never written: a file of a few KB declaring 200,000 × 200,000 float32
    build: (_f, vars) => void vars.create_dataset({ name: '1', data: new Float32Array(4), shape: [2, 2], maxshape: [null, null], chunks: [2, 2], dtype: '<f' }).resize([200_000, 200_000]),
  }),
  ratioBomb: await kerasFile(at('k', 'ratio-bomb.keras'), { extra: { 'assets/zeros.bin': zeros(64 << 20) } }),
  externalStorage: await kerasExternalStorage(at('k', 'external-storage.keras')),
  manyEntries: await kerasFile(at('k', 'many-entries.keras'), { extra: manyEntries(10_001) }),
};
const kerasOk = await kerasFile(at('k', 'ok.keras'));
writeFileSync(at('k', 'layers'), canaryBytes(12)); // the file the external storage names, beside the model
writeFileSync(at('k', 'declared-4g.keras'), declareSize(readFileSync(await kerasFile(at('k', 'plain.keras'), { extra: { 'assets/a.bin': zeros(4096) } })), 'assets/a.bin', 0xfffffff0));
mkdirSync(at('z'));
const npz = {
  ratioBomb: npzFile(at('z', 'ratio-bomb.npz'), { 'zeros.npy': zeros(64 << 20) }),
  manyEntries: npzFile(at('z', 'many-entries.npz'), manyEntries(10_001)),
  declared4g: at('z', 'declared-4g.npz'),
  shortArray: at('z', 'short-array.npz'),
};
writeFileSync(npz.declared4g, declareSize(readFileSync(npzFile(at('z', 'plain.npz'), { 'b.npy': zeros(4096) })), 'b.npy', 0xfffffff0));
// an array whose header declares 10⁶ × 10⁶ values in a few bytes
writeFileSync(npz.shortArray, zipSync({ 'w.npy': rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }", new Uint8Array(48)) }));

// ---- FIFOs in place of every kind of model file, and in run folders ----
const fifos: Record<string, string> = {};
for (const ext of ['npy', 'safetensors', 'onnx', 'npz', 'keras', 'gexf', 'graphml']) fifos[ext] = at(`fifo-model.${ext}`);
mkdirSync(at('fifo-tfjs'));
fifos['model.json'] = at('fifo-tfjs', 'model.json');
mkdirSync(at('run-fifo-results'));
fifos.results = at('run-fifo-results', 'results.jsonl');
mkdirSync(at('run-fifo-graphs', 'graphs', 'mnist-0v7', 'run-0'), { recursive: true });
writeFileSync(at('run-fifo-graphs', 'results.jsonl'), JSON.stringify({ task: 'mnist-0v7', difficulty: 'easy', probe: 'baseline', variant: 'reference', signed: false, level: 0, layer: 'all', run: 0, seed: 0, accuracy: 0.9, n_test: 10, inputs: 'pm1' }) + '\n');
fifos.nodes = at('run-fifo-graphs', 'graphs', 'mnist-0v7', 'run-0', 'dense.nodes.csv');
if (hasFifo) for (const p of Object.values(fifos)) fifo(p);

// ---- run folders that lie ----
const header = 'task,difficulty,probe,variant,signed,level,layer,run,seed,accuracy,n_test,inputs';
mkdirSync(at('run-quote'));
writeFileSync(at('run-quote', 'results.csv'), `${header}\nmnist-0v7,easy,baseline,reference,false,0,all,0,0,0.99,10,pm1\n"mnist-0v7,easy,prune,reference,false,0.5,all,0,0,0.5,10,pm1\n`);
mkdirSync(at('run-empty-accuracy'));
writeFileSync(at('run-empty-accuracy', 'results.csv'), `${header}\nmnist-0v7,easy,baseline,reference,false,0,all,0,0,0.99,10,pm1\nmnist-0v7,easy,prune,reference,false,0.5,all,0,0,,10,pm1\n`);

interface Case {
  name: string;
  args: string[];
  says: RegExp;
  skip?: string | false;
  /** Files that must be as before (the canary's neighbours a write could reach). */
  unchanged?: string[];
}

let outs = 0;
/** An output path for one case: it must not exist afterwards. */
const out = (file = ''): string => at(`out-${outs++}`, file);
const exportTo = (model: string): string[] => ['export', model, '--format', 'csv', '--out', out()];

const CASES: Case[] = [
  // Confinement: ONNX external data (every tensor type), shards, tfjs manifests.
  { name: 'ONNX external data in a sibling folder whose name extends the model folder\'s', args: exportTo(onnx.sibling), says: /'\.\.\/m-evil\/w\.bin' points outside the model's folder/ },
  { name: 'ONNX external data ../canary', args: exportTo(onnx.parent), says: /'\.\.\/canary' points outside/ },
  { name: 'ONNX external data at an absolute path', args: exportTo(onnx.absolute), says: /is an absolute path/ },
  { name: 'ONNX external data through a symlinked file', args: exportTo(onnx.linkFile), says: /'link\.bin' points outside .* through a symlink/ },
  { name: 'ONNX external data through a symlinked folder', args: exportTo(onnx.linkFolder), says: /'evil\/w\.bin' points outside .* through a symlink/ },
  { name: 'ONNX int64 tensor with external data outside (checked like float ones)', args: exportTo(onnx.int64Escape), says: /tensor 'shape'.*'\.\.\/canary' points outside/ },
  { name: 'ONNX Runtime is never given an escaping int64 tensor', args: ['probe', onnx.int64Escape, '--inputs', at('x.npy'), '--probe', 'baseline'], says: /'\.\.\/canary' points outside/ },
  {
    name: 'randomize of an ONNX model whose external data is ../m-evil/w.bin writes nothing outside --out',
    args: ['randomize', onnx.sibling, '--method', 'A', '--out', out('r.onnx')],
    says: /points outside the model's folder/,
    unchanged: [at('m-evil', 'w.bin')],
  },
  { name: 'shard index naming ../m-evil/evil.safetensors', args: exportTo(shards.relative), says: /shard names must be plain file names/ },
  { name: 'shard index naming an absolute path', args: exportTo(shards.absolute), says: /shard names must be plain file names/ },
  { name: 'a shard that is a symlink out of the folder', args: exportTo(shards.link), says: /shard 'a\.safetensors' points outside .* through a symlink/ },
  { name: 'tfjs manifest path ../secret/w.bin (CLI export)', args: exportTo(tfjs.relative), says: /weight shard '\.\.\/secret\/w\.bin' points outside/ },
  { name: 'tfjs manifest path absolute', args: exportTo(tfjs.absolute), says: /weight shard '.*secret\/w\.bin' is an absolute path/ },
  { name: 'tfjs weights.bin a symlink to the canary', args: exportTo(tfjs.link), says: /weight shard 'weights\.bin' points outside .* through a symlink/ },

  // HDF5 (Keras): links, cycles, truncation, absurd shapes; zip bombs.
  { name: 'HDF5 group hard-linked into itself (a cycle)', args: ['layers', keras.hardCycle], says: /group 'layers\/dense\/loop' is 'layers' linked again/ },
  { name: 'HDF5 soft link to an ancestor', args: ['layers', keras.softCycle], says: /'layers\/dense\/soft' is a soft link/ },
  { name: 'HDF5 external link to the canary', args: ['layers', keras.externalLink], says: /'layers\/dense\/vars\/1' is an external link/ },
  { name: 'HDF5 dataset with external storage (its data in another file)', args: exportTo(keras.externalStorage), says: /dataset 'layers\/dense\/vars\/0' cannot be read: it keeps its data in an external file \(HDF5 external storage\)/ },
  { name: 'truncated HDF5: one line, not HDF5\'s diagnostics', args: ['layers', keras.truncated], says: /not a readable HDF5 file \(HDF5: truncated file/ },
  { name: 'HDF5 dataset of 200,000 × 200,000 refused before allocation', args: ['stats', keras.huge], says: /dataset 'layers\/dense\/vars\/1' of shape \[200000, 200000\]: 149 GiB is above the bound/ },
  { name: '.keras zip bomb by ratio', args: ['layers', keras.ratioBomb], says: /entry 'assets\/zeros\.bin': compression ratio .* is above the bound of 200×/ },
  { name: '.keras zip bomb by entry count', args: ['layers', keras.manyEntries], says: /entries in the archive \(at least\): 10,001 entries is above the bound of 10,000/ },
  { name: '.keras entry declaring 4 GiB', args: ['layers', at('k', 'declared-4g.keras')], says: /entry 'assets\/a\.bin'.*is above the bound/ },
  { name: '.npz zip bomb by ratio', args: ['layers', npz.ratioBomb], says: /entry 'zeros\.npy': compression ratio .* is above the bound/ },
  { name: '.npz zip bomb by entry count', args: ['layers', npz.manyEntries], says: /10,001 entries is above the bound of 10,000/ },
  { name: '.npz entry declaring 4 GiB', args: ['layers', npz.declared4g], says: /entry 'b\.npy'.*is above the bound/ },
  { name: '.npz array declaring 10⁶ × 10⁶ values', args: ['layers', npz.shortArray], says: /array 'w': \.npy data too short/ },

  // Sizes a file declares beyond its bytes; numbers that are not numbers.
  { name: 'ONNX external length past the end of its file', args: exportTo(onnx.pastEnd), says: /runs past the end of 'w\.bin' \(needs bytes 8…56, file has 48\)/ },
  { name: 'ONNX external offset 2.5', args: exportTo(onnx.offsetFraction), says: /offset '2\.5' is not a non-negative decimal integer/ },
  { name: 'ONNX external offset 0x4', args: exportTo(onnx.offsetHex), says: /offset '0x4' is not a non-negative decimal integer/ },
  { name: 'ONNX external offset -64', args: exportTo(onnx.offsetNegative), says: /offset '-64' is not a non-negative decimal integer/ },
  { name: 'ONNX external length 4.8e1', args: exportTo(onnx.lengthExponent), says: /length '4\.8e1' is not a non-negative decimal integer/ },
  { name: 'ONNX tensor dims [-4, -3]', args: ['layers', onnx.negativeDims], says: /tensor 'W' has dims \[-4, -3\]; dimensions must be non-negative integers/ },
  { name: 'ONNX graph with a field the schema cannot read', args: ['layers', onnx.unreadableField], says: /cannot be read|not a valid ONNX protobuf|truncated or corrupt/ },
  { name: 'ONNX node without an op_type', args: ['probe', onnx.noOpType, '--inputs', at('x.npy'), '--probe', 'baseline'], says: /node 0 'mm' has no op_type/ },

  // FIFOs: every reader refuses what is not a regular file before opening it.
  ...Object.entries(fifos).filter(([k]) => !['results', 'nodes', 'model.json'].includes(k)).map(([ext, p]): Case => ({
    name: `a FIFO as the .${ext} model`, args: ['layers', p], says: /is not a regular file|a device, pipe or socket/, skip: noFifo,
  })),
  { name: 'a FIFO as model.json', args: ['layers', at('fifo-tfjs')], says: /model\.json is not a regular file/, skip: noFifo },
  { name: 'a FIFO as ONNX external data', args: exportTo(onnxFifo), says: /w\.bin is not a regular file/, skip: noFifo },
  { name: 'a FIFO as a safetensors shard', args: exportTo(shards.fifo), says: /a\.safetensors is not a regular file/, skip: noFifo },
  { name: 'a FIFO as a tfjs weight shard', args: exportTo(tfjs.fifo), says: /weights\.bin is not a regular file/, skip: noFifo },
  { name: 'a FIFO as --inputs', args: ['probe', onnxOk, '--inputs', at('x-fifo.npy'), '--probe', 'baseline'], says: /x-fifo\.npy is not a regular file/, skip: noFifo },
  { name: 'a FIFO as --labels', args: ['probe', onnxOk, '--inputs', at('x.npy'), '--labels', at('y-fifo.npy'), '--probe', 'baseline'], says: /y-fifo\.npy is not a regular file/, skip: noFifo },
  { name: 'a FIFO as a run folder\'s results.jsonl', args: ['report', at('run-fifo-results')], says: /results\.jsonl is not a regular file/, skip: noFifo },
  { name: 'a FIFO as a run folder\'s nodes table', args: ['report', at('run-fifo-graphs')], says: /dense\.nodes\.csv is not a regular file/, skip: noFifo },

  // Every flag that sizes work, past its bound: refused before anything starts.
  { name: 'text-lines --count 200000', args: ['text-lines', '--count', '200000', '--out', out('lines.npy')], says: /--count.*200,000 lines is above the bound of 100,000 lines/ },
  { name: 'text-lines --width 100000', args: ['text-lines', '--width', '100000', '--out', out('lines.npy')], says: /--width.*above the bound/ },
  { name: 'text-lines within the flag bounds but past the memory bound', args: ['text-lines', '--count', '90000', '--out', out('lines.npy')], says: /text-lines --count 90000 .* would need about 30\.9 GiB of memory, above the bound/ },
  { name: 'stats --samples 1000000', args: ['stats', at('dense', 'w.npy'), '--null', 'A', '--samples', '1000000'], says: /--samples.*above the bound of 10,000 samples/ },
  { name: 'percolate --points 10000000', args: ['percolate', at('dense', 'w.npy'), '--points', '10000000'], says: /--points.*above the bound/ },
  { name: 'probe --repeats 100000', args: ['probe', onnxOk, '--inputs', at('x.npy'), '--probe', 'noise', '--levels', '0.1', '--repeats', '100000'], says: /--repeats.*above the bound/ },
  { name: 'probe --levels with 1001 items', args: ['probe', onnxOk, '--inputs', at('x.npy'), '--probe', 'prune', '--levels', Array.from({ length: 1001 }, (_, k) => k / 1001).join(',')], says: /--levels.*1,001 levels is above the bound/ },
  { name: 'probe --eval-tokens 10⁹', args: ['probe', onnxOk, '--probe', 'baseline', '--eval-tokens', '1000000000'], says: /--eval-tokens.*above the bound/ },
  { name: 'probe --batch-size 10⁹', args: ['probe', onnxOk, '--inputs', at('x.npy'), '--probe', 'baseline', '--batch-size', '1000000000'], says: /--batch-size.*above the bound/ },
  { name: 'randomize --steps 10¹²', args: ['randomize', at('dense', 'w.npy'), '--method', 'swap', '--steps', '1000000000000', '--out', out('r.npy')], says: /--steps.*above the bound/ },
  { name: 'reproduce --hidden 10⁸', args: ['reproduce', '--hidden', '100000000', '--out', out('run')], says: /--hidden.*100,000,000 units is above the bound of 65,536 units/ },
  { name: 'reproduce --batch-size 10⁹', args: ['reproduce', '--batch-size', '1000000000', '--out', out('run')], says: /--batch-size.*1,000,000,000 images is above the bound/ },
  { name: 'reproduce --epochs 10¹⁵', args: ['reproduce', '--epochs', '1000000000000000', '--out', out('run')], says: /--epochs.*above the bound of 10,000 epochs/ },
  { name: 'train within the flag bounds but past the memory bound', args: ['train', '--pair', '0v7', '--hidden', '65536,65536', '--out', out('run')], says: /training an MLP 784-65536-65536 in batches of 128 would need about 97\.3 GiB of memory/ },
  { name: 'transformer --ffn 4·10⁹', args: ['transformer', '--ffn', '4000000000', '--out', out('run')], says: /--ffn.*above the bound of 16,384 units/ },
  { name: 'transformer --train-tokens 9·10¹¹', args: ['transformer', '--train-tokens', '900000000000', '--out', out('run')], says: /--train-tokens.*above the bound of 100,000,000 tokens/ },
  { name: 'transformer --dim 10⁶', args: ['transformer', '--dim', '1000000', '--out', out('run')], says: /--dim.*above the bound of 4,096 units/ },
  { name: 'compare --resamples 10⁹', args: ['compare', at('dense', 'w.npy'), at('dense', 'w.npy'), '--resamples', '1000000000', '--out', out('cmp')], says: /--resamples.*above the bound of 1,000,000 resamples/ },
  { name: 'compare --size 100000', args: ['compare', at('dense', 'w.npy'), at('dense', 'w.npy'), '--size', '100000', '--out', out('cmp')], says: /--size.*above the bound of 1,024 pixels/ },

  // No silent wrong values: inputs, labels, results, flags that do not apply.
  { name: '--inputs with NaN (ONNX)', args: ['probe', onnxOk, '--inputs', at('x-nan.npy'), '--probe', 'baseline'], says: /value NaN at \[1, 2\] is not a finite number/ },
  { name: '--inputs with -Inf (dense chain)', args: ['probe', at('dense', 'w.npy'), '--inputs', at('x-inf.npy'), '--probe', 'baseline'], says: /value -Infinity at \[0, 1\] is not a finite number/ },
  { name: '--labels outside the model\'s classes', args: ['probe', onnxOk, '--inputs', at('x.npy'), '--labels', at('y-outside.npy'), '--probe', 'baseline'], says: /label 5 at index 1 is outside the model's 3 classes/ },
  { name: 'report on results.csv with an unterminated quote', args: ['report', at('run-quote')], says: /results\.csv: line 3: a quoted field is never closed/ },
  { name: 'report on results.csv with an empty accuracy cell', args: ['report', at('run-empty-accuracy')], says: /results\.csv: line 3: column 'accuracy' is empty, not a number/ },
  { name: 'probe --pair on an ONNX model (a flag that does not apply)', args: ['probe', onnxOk, '--inputs', at('x.npy'), '--pair', '0v7', '--probe', 'baseline'], says: /--pair does not apply here/ },
  { name: 'stats --samples without --null', args: ['stats', at('dense', 'w.npy'), '--samples', '5'], says: /--samples sizes the null samples of z-scores: it needs --null/ },
];

interface Outcome {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  ms: number;
  rssMb: number;
  cpuS: number;
}

let runs = 0;
function runCli(args: string[]): Promise<Outcome> {
  const t0 = Date.now();
  const report = at(`.resources-${runs++}.json`);
  return new Promise((done) => {
    execFile(process.execPath, [`--max-old-space-size=${HEAP_MB}`, '--import', probe, cli, ...args], {
      cwd: W_DIR, timeout: WALL_LIMIT_MS, killSignal: 'SIGKILL', maxBuffer: 8 << 20, env: { ...process.env, WS_RESOURCE_REPORT: report, TMPDIR: childTmp },
    }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string; signal?: string }) | null;
      const usage = existsSync(report) ? (JSON.parse(readFileSync(report, 'utf8')) as { maxRssKiB: number; cpuS: number }) : { maxRssKiB: NaN, cpuS: NaN };
      rmSync(report, { force: true });
      done({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, stdout: String(stdout), stderr: String(stderr), ms: Date.now() - t0, rssMb: usage.maxRssKiB / 1024, cpuS: usage.cpuS });
    });
  });
}

/** Every file under the work folder (path → size), symlinks as links. */
function listing(): Map<string, number> {
  const files = new Map<string, number>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (p === childTmp) continue; // checked on its own: other tools of this machine may write there
      if (e.isDirectory() && readdirSync(p).length === 0) files.set(`${p}/`, 0); // a folder left behind, even empty
      if (e.isDirectory()) walk(p);
      else files.set(p, e.isFile() ? statSync(p).size : -1);
    }
  };
  walk(W_DIR);
  return files;
}

const before = listing();
const snapshots = new Map<string, Buffer>();
for (const c of CASES) for (const p of c.unchanged ?? []) snapshots.set(p, readFileSync(p));

const outcomes = new Map<string, Promise<Outcome>>();
{
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
  for (const c of CASES.filter((x) => !x.skip)) outcomes.set(c.name, slot().then(() => runCli(c.args)).finally(free));
}

const canaryText = String(CANARY);
const canaryRun = canaryBytes(3);

for (const c of CASES) {
  test(`hostile input: ${c.name}`, { skip: c.skip || false }, async () => {
    const r = await outcomes.get(c.name)!;
    assert.equal(r.signal, null, `killed after ${r.ms} ms (a hang?): ${r.stderr}`);
    assert.ok(r.code !== 0 && r.code !== null, `exit code must be non-zero, got ${r.code}\n${r.stdout}`);
    assert.notEqual(r.code, 70, `an internal error, not a user error:\n${r.stderr}`);
    const lines = r.stderr.split('\n').filter((l) => l.length > 0);
    assert.equal(lines.length, 1, `exactly one line on stderr, got:\n${r.stderr}`);
    assert.match(lines[0], /^weightscope: /);
    assert.match(lines[0], c.says);
    assert.doesNotMatch(r.stderr, /\bat .*\(.*:\d+:\d+\)|node:internal|HDF5-DIAG/, 'no stack trace or library noise');
    assert.ok(r.cpuS <= CPU_LIMIT_S, `${r.cpuS.toFixed(1)} s of CPU (limit ${CPU_LIMIT_S} s)`);
    assert.ok(r.rssMb <= RSS_LIMIT_MB, `peak resident ${r.rssMb.toFixed(0)} MiB (cap ${RSS_LIMIT_MB} MiB, heap capped at ${HEAP_MB} MB)`);
    assert.ok(!r.stdout.includes(canaryText), 'the canary reached the output');
    for (const [p, bytes] of snapshots) if ((c.unchanged ?? []).includes(p)) assert.deepEqual(readFileSync(p), bytes, `${p} was written`);
  });
}

test('hostile input: nothing is left behind, anywhere (outputs, temp files, temp folders), and no output holds the canary', async (t) => {
  const all = await Promise.all(outcomes.values());
  const worst = (f: (o: Outcome) => number): number => Math.max(...all.map(f).filter(Number.isFinite));
  t.diagnostic(`${all.length} cases: most CPU ${worst((o) => o.cpuS).toFixed(2)} s, longest wall ${(worst((o) => o.ms) / 1000).toFixed(1)} s, peak resident ${worst((o) => o.rssMb).toFixed(0)} MiB`);
  const now = listing();
  const added = [...now.keys()].filter((p) => !before.has(p));
  assert.deepEqual(added, [], 'files written by refused commands');
  for (const [p, size] of before) assert.equal(now.get(p), size, `${p} changed`);
  for (const p of now.keys()) {
    const isCanary = p === at('canary') || p === at('k', 'layers') || p.startsWith(at('m-evil') + '/') || p.startsWith(at('secret') + '/');
    if (now.get(p)! < 0 || isCanary) continue;
    if (statSync(p).isFile()) assert.ok(!readFileSync(p).includes(canaryRun), `${p} holds the canary's bytes`);
  }
  // What weightscope names its temporary files and folders (weightscope-<what>-<pid>-…, .<name>.tmp-<pid>-<n>).
  const ours = readdirSync(childTmp).filter((n) => /weightscope|\.tmp-\d+-\d+$|\.h5$/.test(n));
  assert.deepEqual(ours, [], 'temporary files or folders left in the system temp dir');
});

test('controls: the same fixtures with names inside their folder read, and show their values, not the canary', async () => {
  const outDir = at('control-out');
  const r = await runCli(['export', onnxOk, '--format', 'csv', '--out', outDir]);
  assert.equal(r.code, 0, r.stderr);
  const csv = readdirSync(outDir).filter((f) => f.endsWith('.edges.csv')).map((f) => readFileSync(join(outDir, f), 'utf8')).join('');
  assert.match(csv, /,0\.875,/, 'W[3, 2] = 11/8 − 0.5 is exported');
  assert.ok(!csv.includes(canaryText));
  for (const model of [shardsOk, kerasOk]) {
    const ok = await runCli(['layers', model]);
    assert.equal(ok.code, 0, ok.stderr);
  }
  const probe = await runCli(['probe', onnxOk, '--inputs', at('x.npy'), '--labels', at('y.npy'), '--probe', 'baseline', '--json']);
  assert.equal(probe.code, 0, probe.stderr);
  rmSync(outDir, { recursive: true, force: true });
});

test('the viewer serves only the weight files a manifest names inside its model folder (after symlinks)', () => {
  const served = at('served');
  const model = (name: string, paths: string[], link?: string): void => {
    tfjsFolder(join(served, name), paths);
    if (link) {
      rmSync(join(served, name, 'weights.bin'));
      symlinkSync(link, join(served, name, 'weights.bin'));
    }
  };
  writeFileSync(join(W_DIR, 'secret', 'other.bin'), canaryBytes(12));
  model('ok', ['weights.bin']);
  model('relative', ['../secret-in-run/w.bin']);
  model('inner-link', ['weights.bin'], 'real.bin'); // a link to a file of its own folder
  writeFileSync(join(served, 'inner-link', 'real.bin'), readFileSync(join(served, 'ok', 'weights.bin')));
  model('sibling-link', ['weights.bin'], join(served, 'ok', 'weights.bin')); // into another model's folder
  model('escape', ['weights.bin'], at('secret', 'other.bin'));
  const index = buildIndex(served);
  const files = Object.fromEntries(index.models.map((mdl) => [mdl.path.split('/')[0], mdl.weightFiles]));
  assert.deepEqual(files, { escape: [], 'inner-link': ['inner-link/weights.bin'], ok: ['ok/weights.bin'], relative: [], 'sibling-link': [] });
  rmSync(served, { recursive: true, force: true });
});

test('the Hugging Face cache layout keeps working: snapshot files are links into ../../blobs, the root is the models--… folder', async () => {
  const repo = at('hub', 'models--org--tiny');
  const snap = join(repo, 'snapshots', '0123abc');
  mkdirSync(join(repo, 'blobs'), { recursive: true });
  mkdirSync(join(snap, 'onnx'), { recursive: true });
  mkdirSync(join(snap, 'sharded'), { recursive: true });
  const blob = (name: string, bytes: Uint8Array): string => {
    writeFileSync(join(repo, 'blobs', name), bytes);
    return name;
  };
  symlinkSync(`../../blobs/${blob('sha-st', safetensors(W))}`, join(snap, 'model.safetensors'));
  // an ONNX model whose external data file is another blob
  const built = onnxModel(at('hub-build'), 'model');
  symlinkSync(`../../../blobs/${blob('sha-onnx', readFileSync(built))}`, join(snap, 'onnx', 'model.onnx'));
  symlinkSync(`../../../blobs/${blob('sha-onnx-data', readFileSync(join(at('hub-build'), 'w.bin')))}`, join(snap, 'onnx', 'w.bin'));
  writeFileSync(join(snap, 'sharded', SHARD_INDEX), JSON.stringify({ weight_map: { 'fc.weight': 'model-00001-of-00001.safetensors' } }));
  symlinkSync(`../../../blobs/sha-st`, join(snap, 'sharded', 'model-00001-of-00001.safetensors'));
  for (const model of [join(snap, 'model.safetensors'), join(snap, 'onnx', 'model.onnx'), join(snap, 'sharded')]) {
    const outDir = at('hub-out');
    const r = await runCli(['export', model, '--format', 'csv', '--out', outDir]);
    assert.equal(r.code, 0, `${model}: ${r.stderr}`);
    const csv = readdirSync(outDir).filter((f) => f.endsWith('.edges.csv')).map((f) => readFileSync(join(outDir, f), 'utf8')).join('');
    assert.match(csv, /0\.875/, `${model}: its weights are exported`);
    rmSync(outDir, { recursive: true, force: true });
  }
  rmSync(at('hub'), { recursive: true, force: true });
  rmSync(at('hub-build'), { recursive: true, force: true });
});

test('the external-storage fixture is real: HDF5 on the host file system (h5wasm\'s Node build) reads the canary through it', async () => {
  const { unzipSync } = await import('fflate');
  const h5 = at('k', 'efl-check.h5');
  writeFileSync(h5, unzipSync(readFileSync(keras.externalStorage))['model.weights.h5']);
  const h5node = (await import('h5wasm/node')).default;
  await h5node.ready;
  const cwd = process.cwd();
  process.chdir(at('k'));
  try {
    const f = new h5node.File(h5, 'r');
    const values = (f.get('/layers/dense/vars/0') as InstanceType<typeof h5node.Dataset>).value as Float32Array;
    f.close();
    assert.deepEqual([...values], new Array(12).fill(CANARY), 'what weightscope refuses to do');
  } finally {
    process.chdir(cwd);
    rmSync(h5, { force: true });
  }
});
