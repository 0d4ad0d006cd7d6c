/**
 * A seeded, bounded fuzz pass over weightscope's file readers. Each target is a reader and a valid
 * sample written by weightscope's own writer (or by hand from the format's spec); the pass
 * corrupts the sample (truncations, byte flips, numbers made huge or negative, inserted and
 * appended bytes) and requires every read to return or throw a UserError: never another
 * exception, never a long stall, never an allocation beyond a bound set by the input's size.
 *
 * To fuzz a new reader (safetensors, ONNX, …) add one row to FUZZ_TARGETS.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { UserError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import type { DenseModel } from '../../src/core/layer.js';
import { readIdx } from '../../src/data/idx.js';
import { loadModel, parseNpy, saveModel, saveNpy } from '../../src/model/index.js';
import { readLayerGraph, saveLayerSource } from '../../src/graph/index.js';

export interface FuzzTarget {
  name: string;
  /** True for text formats: their numbers are also rewritten to huge, negative and odd values. */
  text: boolean;
  /** The bytes of one valid file. */
  sample(work: string): Uint8Array;
  /** Read (possibly corrupted) bytes the way the CLI does; return anything or throw a UserError. */
  read(bytes: Uint8Array, work: string): unknown;
}

/** A small model with a bias and both signs: enough structure for every format to carry. */
export function sampleModel(): DenseModel {
  const weights = Float32Array.from({ length: 5 * 3 }, (_, k) => Math.sin(k + 1) * 2);
  return { layers: [{ name: 'dense_0', weights, shape: [5, 3], bias: Float32Array.from([0.5, -0.25, 0]), activation: 'relu' }] };
}

function fileTarget(name: string, ext: string, write: (path: string) => void, read: (path: string) => unknown, text: boolean): FuzzTarget {
  return {
    name,
    text,
    sample: (work) => {
      const p = join(work, `sample${ext}`);
      write(p);
      return readFileSync(p);
    },
    read: (bytes, work) => {
      const p = join(work, `fuzzed${ext}`);
      writeFileSync(p, bytes);
      return read(p);
    },
  };
}

/** IDX by hand from LeCun's spec: magic 0 0 0x08 ndim, big-endian dims, unsigned bytes. */
function idxSample(dims: number[]): Uint8Array {
  const count = dims.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(4 + 4 * dims.length + count);
  out.set([0, 0, 0x08, dims.length]);
  const view = new DataView(out.buffer);
  dims.forEach((d, k) => view.setUint32(4 + 4 * k, d, false));
  for (let i = 0; i < count; i++) out[4 + 4 * dims.length + i] = (i * 37) & 0xff;
  return out;
}

export const FUZZ_TARGETS: FuzzTarget[] = [
  fileTarget('npy', '.npy', (p) => saveNpy(p, sampleModel().layers[0].weights, [5, 3]), (p) => parseNpy(new Uint8Array(readFileSync(p))), false),
  { name: 'idx', text: false, sample: () => idxSample([6, 4, 4]), read: (bytes) => readIdx(bytes, 'fuzzed.idx') },
  { name: 'idx.gz', text: false, sample: () => gzipSync(idxSample([6, 4, 4])), read: (bytes) => readIdx(bytes, 'fuzzed.idx.gz') },
  {
    name: 'tfjs model.json',
    text: true,
    sample: (work) => {
      saveModel(join(work, 'model-sample'), sampleModel());
      return readFileSync(join(work, 'model-sample', 'model.json'));
    },
    read: (bytes, work) => {
      const dir = join(work, 'model-json');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'weights.bin'), readFileSync(join(work, 'model-sample', 'weights.bin')));
      writeFileSync(join(dir, 'model.json'), bytes);
      return loadModel(dir);
    },
  },
  {
    name: 'tfjs weights.bin',
    text: false,
    sample: (work) => {
      saveModel(join(work, 'bin-sample'), sampleModel());
      return readFileSync(join(work, 'bin-sample', 'weights.bin'));
    },
    read: (bytes, work) => {
      const dir = join(work, 'model-bin');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'model.json'), readFileSync(join(work, 'bin-sample', 'model.json')));
      writeFileSync(join(dir, 'weights.bin'), bytes);
      return loadModel(dir);
    },
  },
  fileTarget('gexf', '.gexf', (p) => saveLayerSource(p, sampleModel()), readLayerGraph, true),
  fileTarget('graphml', '.graphml', (p) => saveLayerSource(p, sampleModel()), readLayerGraph, true),
];

/** One corruption of `bytes`, chosen and placed by `rng`. */
export function mutate(bytes: Uint8Array, rng: Rng, text: boolean): { bytes: Uint8Array; how: string } {
  const n = bytes.length;
  const kind = rng.int(text ? 6 : 5);
  switch (kind) {
    case 0: {
      const at = rng.int(n);
      return { bytes: bytes.slice(0, at), how: `truncated at ${at}` };
    }
    case 1: {
      const out = bytes.slice();
      const flips = 1 + rng.int(4);
      for (let f = 0; f < flips; f++) out[rng.int(n)] = rng.int(256);
      return { bytes: out, how: `${flips} byte(s) set at random` };
    }
    case 2: {
      // A 32-bit word made huge: sizes, counts and offsets in binary headers.
      const out = bytes.slice();
      const at = rng.int(Math.max(1, n - 4));
      out.set([0x7f, 0xff, 0xff, 0xf0].slice(0, n - at), at);
      return { bytes: out, how: `word at ${at} set to 0x7ffffff0` };
    }
    case 3: {
      const at = rng.int(n);
      const len = 1 + rng.int(Math.min(64, n - at));
      const out = new Uint8Array(n + len);
      out.set(bytes.subarray(0, at + len));
      out.set(bytes.subarray(at), at + len);
      return { bytes: out, how: `${len} bytes at ${at} repeated` };
    }
    case 4: {
      const extra = 1 + rng.int(16);
      const out = new Uint8Array(n + extra);
      out.set(bytes);
      for (let i = n; i < out.length; i++) out[i] = rng.int(256);
      return { bytes: out, how: `${extra} bytes appended` };
    }
    default: {
      // Text formats: one number rewritten (declared shapes, indices, counts, weights).
      const s = Buffer.from(bytes).toString('latin1');
      const numbers = [...s.matchAll(/-?\d+(\.\d+)?/g)];
      if (numbers.length === 0) return { bytes, how: 'unchanged' };
      const m = numbers[rng.int(numbers.length)];
      const replacements = ['999999999999', '-1', '0', '1e308', '2147483648', '3.5', 'NaN', '""'];
      const r = replacements[rng.int(replacements.length)];
      const out = s.slice(0, m.index) + r + s.slice(m.index! + m[0].length);
      return { bytes: Buffer.from(out, 'latin1'), how: `number '${m[0]}' at ${m.index} → ${r}` };
    }
  }
}

export interface FuzzFailure {
  target: string;
  iteration: number;
  how: string;
  problem: string;
}

export interface FuzzLimits {
  /** Longest a single read may take (a stall, not a hang: hangs are caught by the caller's timeout). */
  maxMsPerRead: number;
  /** Allocation bound: max(this, 64 × the input's size) bytes of ArrayBuffers alive after a read. */
  minAllocationBound: number;
}

export const DEFAULT_LIMITS: FuzzLimits = { maxMsPerRead: 5_000, minAllocationBound: 64 * 2 ** 20 };

/** Fuzz one target: `iterations` seeded corruptions of its sample. Returns every rule broken. */
export function fuzzTarget(target: FuzzTarget, seed: number, iterations: number, limits: FuzzLimits = DEFAULT_LIMITS): { failures: FuzzFailure[]; userErrors: number; accepted: number } {
  const work = mkdtempSync(join(tmpdir(), 'ws-fuzz-'));
  const failures: FuzzFailure[] = [];
  let userErrors = 0;
  let accepted = 0;
  try {
    const sample = new Uint8Array(target.sample(work)); // a copy: Buffer.slice() would alias it
    target.read(sample, work); // the unmutated sample must read
    const rng = new Rng(seed);
    for (let i = 0; i < iterations; i++) {
      const { bytes, how } = mutate(sample, rng, target.text);
      const before = process.memoryUsage().arrayBuffers;
      const t0 = performance.now();
      try {
        target.read(bytes, work);
        accepted++;
      } catch (err) {
        if (err instanceof UserError) {
          userErrors++;
          if (err.message.includes('\n')) failures.push({ target: target.name, iteration: i, how, problem: `multi-line UserError: ${err.message}` });
        } else failures.push({ target: target.name, iteration: i, how, problem: `${(err as Error)?.name}: ${(err as Error)?.message}` });
      }
      const ms = performance.now() - t0;
      const grew = process.memoryUsage().arrayBuffers - before;
      if (ms > limits.maxMsPerRead) failures.push({ target: target.name, iteration: i, how, problem: `took ${ms.toFixed(0)} ms` });
      const bound = Math.max(limits.minAllocationBound, 64 * bytes.length);
      if (grew > bound) failures.push({ target: target.name, iteration: i, how, problem: `allocated ${grew} bytes (bound ${bound})` });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { failures, userErrors, accepted };
}
