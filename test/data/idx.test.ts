import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readIdx, loadMnist, loadDataset, mnistPackageDir, IDX_FILES } from '../../src/data/index.js';
import { UserError } from '../../src/core/errors.js';
import { tempDir, writeIdxDir, encodeIdx } from './helpers.js';

const mnistDir = mnistPackageDir();

/** Assert that fn throws a UserError whose one-line message matches every pattern. */
function throwsUser(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UserError, `expected UserError, got ${err}`);
    assert.ok(!err.message.includes('\n'), 'message is one line');
    for (const p of patterns) assert.match(err.message, p);
    return true;
  });
}

test('reads the real MNIST IDX files: 60000/10000 images of 28×28, labels 0–9', () => {
  const images = readIdx(join(mnistDir, IDX_FILES.trainImages));
  assert.deepEqual(images.dims, [60000, 28, 28]);
  assert.equal(images.data.length, 60000 * 784);
  const labels = readIdx(join(mnistDir, IDX_FILES.testLabels));
  assert.deepEqual(labels.dims, [10000]);
  assert.equal(Math.max(...labels.data), 9);
  assert.equal(Math.min(...labels.data), 0);

  const data = loadMnist();
  assert.equal(data.train.n, 60000);
  assert.equal(data.test.n, 10000);
  assert.equal(data.train.rows, 28);
  assert.equal(data.train.cols, 28);
  assert.equal(data.train.labels.length, 60000);
  // Every class is present and pixels span 0…255, as in MNIST.
  assert.equal(new Set(data.train.labels).size, 10);
  let hi = 0;
  for (let i = 0; i < 784 * 100; i++) hi = Math.max(hi, data.train.pixels[i]);
  assert.equal(hi, 255);
  // loadDataset('mnist') gives the same thing.
  assert.equal(loadDataset('mnist').test.labels[123], data.test.labels[123]);
});

test('names the file and says "not found" for a missing file', () => {
  throwsUser(() => readIdx('/nonexistent/train-images-idx3-ubyte'), /\/nonexistent\/train-images-idx3-ubyte/, /not found/);
});

test('rejects a truncated copy of the real test images with a clear message', () => {
  const dir = tempDir();
  const path = join(dir, 't10k-images-idx3-ubyte');
  const bytes = readFileSync(join(mnistDir, IDX_FILES.testImages));
  writeFileSync(path, bytes.subarray(0, bytes.length - 1000));
  throwsUser(() => readIdx(path), new RegExp(path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), /truncated/, /10000×28×28/);
  // A file cut inside its header is also "truncated".
  writeFileSync(path, bytes.subarray(0, 10));
  throwsUser(() => readIdx(path), /truncated/);
});

test('rejects corrupted headers: wrong magic, unsupported value type, extra bytes', () => {
  const labels = readFileSync(join(mnistDir, IDX_FILES.testLabels));
  const bad = Uint8Array.from(labels);
  bad[0] = 0x50; // e.g. a PNG or text file
  throwsUser(() => readIdx(bad, 'labels.idx'), /labels\.idx/, /not an IDX file/);
  const floats = Uint8Array.from(labels);
  floats[2] = 0x0d;
  throwsUser(() => readIdx(floats, 'floats.idx'), /floats\.idx/, /unsupported/, /float32/);
  const unknown = Uint8Array.from(labels);
  unknown[2] = 0x42;
  throwsUser(() => readIdx(unknown, 'x'), /not an IDX file/);
  const longer = new Uint8Array(labels.length + 5);
  longer.set(labels);
  throwsUser(() => readIdx(longer, 'long.idx'), /long\.idx/, /5 extra/);
});

test('gunzips .gz files transparently and rejects corrupt gzip', () => {
  const dir = tempDir();
  const raw = readFileSync(join(mnistDir, IDX_FILES.testLabels));
  const path = join(dir, 't10k-labels-idx1-ubyte.gz');
  const gz = gzipSync(raw, { level: 1 });
  writeFileSync(path, gz);
  const got = readIdx(path);
  assert.deepEqual(got.dims, [10000]);
  assert.deepEqual(got.data, new Uint8Array(raw.subarray(8)));
  writeFileSync(path, gz.subarray(0, gz.length >> 1));
  throwsUser(() => readIdx(path), /t10k-labels-idx1-ubyte\.gz/, /gzip/);
});

test('loads MNIST from a user folder of .gz files and checks image/label counts match', () => {
  const real = loadMnist();
  const slice = (set: typeof real.train, n: number) => ({ pixels: set.pixels.slice(0, n * 784), labels: set.labels.slice(0, n) });
  const dir = tempDir();
  writeIdxDir(dir, slice(real.train, 300), slice(real.test, 50), true);
  const mine = loadMnist({ dir });
  assert.equal(mine.train.n, 300);
  assert.equal(mine.test.n, 50);
  assert.deepEqual(mine.train.labels, real.train.labels.slice(0, 300));
  assert.deepEqual(mine.test.pixels, real.test.pixels.slice(0, 50 * 784));
  assert.equal(mine.source.kind, 'idx');

  // 300 images but 299 labels.
  writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(encodeIdx([299], real.train.labels.slice(0, 299))));
  throwsUser(() => loadMnist({ dir }), /300 images/, /299 labels/);

  const empty = tempDir();
  throwsUser(() => loadMnist({ dir: empty }), /missing train-images-idx3-ubyte/);
  throwsUser(() => loadMnist({ dir: join(empty, 'nope') }), /data folder not found/);
  throwsUser(() => loadDataset('cifar'), /unknown dataset 'cifar'/);
});
