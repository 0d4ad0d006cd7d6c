import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/index.js';
import { createEvaluator, createEvaluatorPool } from '../../src/model/index.js';
import { mnistPair, randomModel } from './fixtures.js';

const testSet = mnistPair('t10k', 7, 9, 400);

test('the pool returns the evaluator\'s accuracies in the order the models were given', async () => {
  const rng = new Rng(2);
  const models = Array.from({ length: 37 }, (_, k) => randomModel(rng, [784, 8 + (k % 5), 2], { scale: 5 }));
  const expected = createEvaluator(testSet, 'pm1').accuracies(models);
  assert.ok(new Set(expected).size > 10, 'the models really differ');
  const pool = createEvaluatorPool({ test: testSet, inputs: 'pm1', workers: 2 });
  try {
    const [a, b] = await Promise.all([pool.evaluate(models), pool.evaluate(models.slice(5, 9))]);
    assert.deepEqual(a, expected);
    assert.deepEqual(b, expected.slice(5, 9));
    assert.deepEqual(await pool.evaluate([]), []);
    // The caller's weights are copied, not transferred away.
    assert.equal(models[0].layers[0].weights.length, 784 * 8);
  } finally {
    await pool.close();
  }
});

test('an error in a worker rejects the evaluation with that error; close() ends the pool', async () => {
  const pool = createEvaluatorPool({ test: testSet, inputs: 'unit', workers: 2 });
  const good = randomModel(new Rng(3), [784, 4, 2]);
  const bad = randomModel(new Rng(3), [50, 2]);
  await assert.rejects(pool.evaluate([good, bad, good]), { name: 'UserError', message: /expects 50 inputs/ });
  assert.equal((await pool.evaluate([good])).length, 1, 'the pool still works after a rejected evaluation');
  await pool.close();
  await assert.rejects(pool.evaluate([good]), /closed/);
});

test('memory stays flat over a 1000-evaluation sweep', async () => {
  const small = mnistPair('t10k', 0, 7, 150);
  const pool = createEvaluatorPool({ test: small, inputs: 'pm1', workers: 2 });
  const rng = new Rng(5);
  const base = randomModel(rng, [784, 64, 2]);
  try {
    const sweep = async (count: number) => {
      for (let done = 0; done < count; done += 50) {
        const batch = Array.from({ length: 50 }, () => {
          const m = structuredClone(base);
          m.layers[0].weights[rng.int(m.layers[0].weights.length)] += 1;
          return m;
        });
        await pool.evaluate(batch);
      }
    };
    await sweep(200);
    const before = process.memoryUsage();
    await sweep(1000);
    const after = process.memoryUsage();
    const grew = (after.rss - before.rss) / 2 ** 20;
    assert.ok(grew < 64, `rss grew by ${grew.toFixed(1)} MB`);
    assert.ok((after.heapUsed - before.heapUsed) / 2 ** 20 < 32);
  } finally {
    await pool.close();
  }
});

test('pool.measure gives the evaluator\'s accuracy and CKA, per-batch models included', async () => {
  const rng = new Rng(7);
  const reference = randomModel(rng, [784, 8, 2], { scale: 5 });
  const others = Array.from({ length: 6 }, () => randomModel(rng, [784, 8, 2], { scale: 5 }));
  const perBatch = others.slice(0, 4); // 400 images → 4 batches of up to 128
  const models = [reference, ...others, perBatch];
  const expected = createEvaluator(testSet, 'pm1').measure(models, reference);
  const pool = createEvaluatorPool({ test: testSet, inputs: 'pm1', workers: 2 });
  try {
    assert.deepEqual(await pool.measure(models, { key: 'ref', model: reference }), expected);
    assert.ok(Math.abs(expected[0].cka! - 1) < 1e-6 && expected[1].cka! < 0.99);
  } finally {
    await pool.close();
  }
});
