import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REFERENCE_MLP, createTrainingPool, trainMlp, type EpochInfo } from '../../src/model/index.js';
import { mnistPair } from './fixtures.js';

const small = mnistPair('train', 0, 7, 900);

test('models trained side by side on the pool are bit-for-bit the ones trainMlp (sparse) gives in this thread', async () => {
  const seeds = [3, 4, 5];
  const expected = await Promise.all(seeds.map((seed) => trainMlp(small, 'pm1', REFERENCE_MLP, { seed, epochs: 2, engine: 'sparse' })));
  const pool = createTrainingPool({ workers: 2 });
  try {
    const seen: EpochInfo[][] = seeds.map(() => []);
    const got = await Promise.all(seeds.map((seed, k) => pool.train(small, 'pm1', REFERENCE_MLP, { seed, epochs: 2, onProgress: (i) => seen[k].push(i) })));
    got.forEach((r, k) => {
      assert.deepEqual(r.model, expected[k].model);
      assert.deepEqual(r.history.map((h) => h.loss), expected[k].history.map((h) => h.loss));
      assert.equal(r.backend.name, 'weightscope-sparse');
      assert.deepEqual(seen[k].map((i) => i.epoch), [1, 2]);
    });
    assert.notDeepEqual(got[0].model.layers[0].weights, got[1].model.layers[0].weights);
  } finally {
    await pool.close();
  }
});

test('a bad training request fails with its user error; a closed pool refuses work', async () => {
  const pool = createTrainingPool({ workers: 1 });
  await assert.rejects(pool.train(small, 'pm1', { ...REFERENCE_MLP, inputSize: 100 }, { seed: 1 }), { name: 'UserError', message: /100 inputs/ });
  await pool.close();
  await assert.rejects(pool.train(small, 'pm1', REFERENCE_MLP, { seed: 1 }), /closed/);
});
