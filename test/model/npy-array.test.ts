import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../src/core/index.js';
import { parseNpyArray, saveNpyArray } from '../../src/model/index.js';
import { PYTHON, pythonMissing } from '../python.js';

const dir = mkdtempSync(join(tmpdir(), 'ws-npy-'));
const numpyMissing = pythonMissing(['numpy'], 'numpy .npy cross-check') ?? false;

const read = (path: string) => {
  const b = readFileSync(path);
  return parseNpyArray(new Uint8Array(b.buffer, b.byteOffset, b.length));
};

test('N-D arrays written by numpy (C and Fortran order, float and integer dtypes) read in C order', { skip: numpyMissing }, () => {
  const script = `
import numpy as np, sys
d = sys.argv[1]
a = np.arange(24, dtype=np.float64).reshape(2, 3, 4) * 0.5 - 3
np.save(d + '/c.npy', a.astype(np.float32))
np.save(d + '/f.npy', np.asfortranarray(a))
np.save(d + '/labels.npy', np.array([3, 0, 7, 1], dtype=np.int64))
np.save(d + '/u8.npy', np.array([[255, 1], [2, 3]], dtype=np.uint8))
`;
  const r = spawnSync(PYTHON, ['-c', script, dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const expected = Array.from({ length: 24 }, (_, i) => i * 0.5 - 3);
  for (const name of ['c.npy', 'f.npy']) {
    const { shape, data } = read(join(dir, name));
    assert.deepEqual(shape, [2, 3, 4]);
    assert.deepEqual(Array.from(data), expected, name);
  }
  assert.deepEqual(Array.from(read(join(dir, 'labels.npy')).data), [3, 0, 7, 1]);
  assert.deepEqual(read(join(dir, 'u8.npy')), { shape: [2, 2], data: Float32Array.from([255, 1, 2, 3]) });
  // and what weightscope writes, numpy reads
  saveNpyArray(join(dir, 'ours.npy'), Float32Array.from(expected), [4, 3, 2]);
  const back = spawnSync(PYTHON, ['-c', `import numpy as np; a = np.load('${join(dir, 'ours.npy')}'); print(a.shape, a[3, 2, 1])`], { encoding: 'utf8' });
  assert.equal(back.stdout.trim(), `(4, 3, 2) ${expected[3 * 6 + 2 * 2 + 1]}`);
});

test('a dtype outside the accepted list is one clear error', () => {
  saveNpyArray(join(dir, 'w.npy'), Float32Array.from([1, 2]), [2]);
  const b = readFileSync(join(dir, 'w.npy'));
  assert.throws(() => parseNpyArray(new Uint8Array(b.buffer, b.byteOffset, b.length), ['<i8']), (e: unknown) => e instanceof UserError && /dtype '<f4' not supported \(<i8 only\)/.test(e.message));
});
