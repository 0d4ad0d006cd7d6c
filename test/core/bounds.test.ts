/**
 * The bounds table (src/core/bounds.ts): defaults, environment overrides, the one-line messages,
 * the flag parsers built on it, and docs/security.md holding exactly the generated table.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from 'commander';
import { BOUNDS, bound, boundEnv, boundsTable, checkBound, checkMemory, formatBytes, growWasmMemory, isOutOfMemory, wasmMemory } from '../../src/core/bounds.js';
import { UserError } from '../../src/core/errors.js';
import { boundedInt, boundedList, numberList } from '../../src/cli/options.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function withEnv<T>(name: string, value: string | undefined, f: () => T): T {
  const before = process.env[name];
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
  try {
    return f();
  } finally {
    if (before === undefined) delete process.env[name];
    else process.env[name] = before;
  }
}

test('each bound has its environment variable; a positive decimal integer there overrides the default, anything else is one line', () => {
  assert.equal(boundEnv('zipEntries'), 'WEIGHTSCOPE_MAX_ZIP_ENTRIES');
  assert.equal(boundEnv('trainTokens'), 'WEIGHTSCOPE_MAX_TRAIN_TOKENS');
  assert.equal(boundEnv('hdf5Depth'), 'WEIGHTSCOPE_MAX_HDF5_DEPTH');
  withEnv('WEIGHTSCOPE_MAX_ZIP_ENTRIES', undefined, () => assert.equal(bound('zipEntries'), 10_000));
  withEnv('WEIGHTSCOPE_MAX_ZIP_ENTRIES', '50000', () => assert.equal(bound('zipEntries'), 50_000));
  for (const bad of ['0x10', '-5', '1e6', '2.5', '0']) {
    withEnv('WEIGHTSCOPE_MAX_ZIP_ENTRIES', bad, () => assert.throws(() => bound('zipEntries'), (e: Error) => e instanceof UserError && e.message === `WEIGHTSCOPE_MAX_ZIP_ENTRIES=${bad} is not a positive decimal integer`));
  }
});

test('a value past its bound is one line: what, how much, the bound, the reason and how to raise it; at the bound it passes', () => {
  checkBound('samples', 10_000);
  assert.throws(() => checkBound('samples', 10_001), (e: Error) => e instanceof UserError
    && e.message === 'stats --samples, compare --samples (null samples per z-score): 10,001 samples is above the bound of 10,000 samples (each is a full randomization of the layer); raise it with WEIGHTSCOPE_MAX_SAMPLES=N if you mean it');
  assert.throws(() => checkBound('tensorBytes', 200_000 * 200_000 * 4, 'dataset x'), (e: Error) => /^dataset x: 149 GiB is above the bound of 4 GiB/.test(e.message));
  assert.throws(() => checkBound('samples', Number.NaN), UserError, 'NaN is never within a bound');
  withEnv('WEIGHTSCOPE_MAX_SAMPLES', '20000', () => checkBound('samples', 10_001));
});

test('formatBytes uses binary units with three digits, and keeps the zeros of whole numbers', () => {
  assert.equal(formatBytes(512), '512 bytes');
  assert.equal(formatBytes(1024), '1 KiB');
  assert.equal(formatBytes(4 * 2 ** 30), '4 GiB');
  assert.equal(formatBytes(160 * 2 ** 30), '160 GiB');
  assert.equal(formatBytes(1.5 * 2 ** 20), '1.5 MiB');
  assert.equal(formatBytes(200_000 * 200_000 * 4), '149 GiB');
});

test('flag parsers: a bounded integer or list past its bound is commander\'s one-line error, before any work', () => {
  const count = boundedInt('count');
  assert.equal(count('100000'), 100_000);
  assert.throws(() => count('100001'), (e: Error) => e instanceof InvalidArgumentError && /100,001 lines is above the bound of 100,000 lines/.test(e.message));
  assert.throws(() => count('0'), InvalidArgumentError);
  assert.equal(boundedInt('steps', { min: 0 })('0'), 0);
  const levels = boundedList('levels', numberList);
  assert.equal(levels(Array.from({ length: 1000 }, () => '0.5').join(',')).length, 1000);
  assert.throws(() => levels(Array.from({ length: 1001 }, () => '0.5').join(',')), /1,001 levels is above the bound of 1,000 levels/);
});

test('memory: an estimate past the bound is refused naming the step; memory the machine refuses is recognised', () => {
  checkMemory('a small step', 2 ** 20);
  assert.throws(() => checkMemory('text-lines --count 90000', 31 * 2 ** 30), (e: Error) => /^text-lines --count 90000 would need about 31 GiB of memory, above the bound of 8 GiB; .*WEIGHTSCOPE_MAX_MEMORY=BYTES/.test(e.message));
  assert.ok(isOutOfMemory(new RangeError('WebAssembly.Memory(): could not allocate memory')));
  assert.ok(isOutOfMemory(new RangeError('Array buffer allocation failed')));
  assert.ok(!isOutOfMemory(new RangeError('Invalid array length')), 'a bug is not out of memory');
  assert.ok(!isOutOfMemory(new UserError('Out of memory already said')));
  const m = wasmMemory(70_000, 'a test kernel');
  assert.equal(m.buffer.byteLength, 2 * 65536);
  growWasmMemory(m, 5 * 65536, 'a test kernel');
  assert.equal(m.buffer.byteLength, 5 * 65536);
  const capped = new WebAssembly.Memory({ initial: 1, maximum: 2 });
  assert.throws(() => growWasmMemory(capped, 10 * 65536, 'the noise kernel'), (e: Error) => e instanceof UserError && /^not enough memory for the noise kernel, which needs about 640 KiB/.test(e.message));
});

test('docs/security.md holds the bounds table generated from BOUNDS', () => {
  const doc = readFileSync(join(root, 'docs', 'security.md'), 'utf8');
  const m = /<!-- bounds table: generated by boundsTable\(\) in src\/core\/bounds\.ts -->\n([\s\S]*?)\n<!-- end of bounds table -->/.exec(doc);
  assert.ok(m, 'the table markers are in docs/security.md');
  assert.equal(m[1], boundsTable(), 'regenerate the table: node -e "import(\'./dist/src/core/bounds.js\').then((m) => console.log(m.boundsTable()))"');
  assert.equal(boundsTable().split('\n').length, Object.keys(BOUNDS).length + 2);
});
