import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import { UserError } from '../../src/core/errors.js';
import type { DenseModel } from '../../src/core/layer.js';
import { NULL_MODELS, NULL_MODEL_NAMES, randomizeLayer, randomizeModel } from '../../src/randomize/index.js';
import { gaussianLayer } from './helpers.js';

test('the registry holds A–G and every further null model, each documented', () => {
  assert.deepEqual(
    [...NULL_MODEL_NAMES].sort(),
    ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'curveball', 'full', 'maxent', 'sign', 'swap', 'unit'].sort(),
  );
  for (const [k, m] of Object.entries(NULL_MODELS)) {
    assert.equal(m.name, k);
    assert.ok(m.preserves.length > 10 && m.reference.length > 10, k);
  }
});

test('an unknown method is a UserError that lists the valid names', () => {
  const l = gaussianLayer(4, 3, 0.5, 1);
  assert.throws(() => randomizeLayer(l, 'Z', new Rng(1)), (e: unknown) => e instanceof UserError && /unknown randomization 'Z'.*A, B, C.*curveball/.test(e.message));
  assert.throws(() => randomizeLayer(l, 'toString', new Rng(1)), UserError);
});

test('bad options are UserErrors: negative or fractional steps, unknown weight mode, steps for a shuffle', () => {
  const l = gaussianLayer(4, 3, 0.5, 1);
  assert.throws(() => randomizeLayer(l, 'swap', new Rng(1), { steps: -1 }), UserError);
  assert.throws(() => randomizeLayer(l, 'curveball', new Rng(1), { steps: 1.5 }), UserError);
  assert.throws(() => randomizeLayer(l, 'swap', new Rng(1), { weights: 'keep' as never }), UserError);
  assert.throws(() => randomizeLayer(l, 'A', new Rng(1), { steps: 10 }), UserError);
});

const model: DenseModel = { layers: [gaussianLayer(12, 8, 0.5, 2, 'dense_1'), gaussianLayer(8, 2, 0.8, 3, 'dense_2')] };

test('randomizeModel randomizes every layer, or only the named one, without touching the input', () => {
  const before = model.layers.map((l) => l.weights.slice());
  const all = randomizeModel(model, 'A', new Rng(4));
  assert.notDeepEqual(all.layers[0].weights, before[0]);
  assert.notDeepEqual(all.layers[1].weights, before[1]);
  const one = randomizeModel(model, 'A', new Rng(4), { layer: 'dense_2' });
  assert.deepEqual(one.layers[0].weights, before[0]);
  assert.notEqual(one.layers[0].weights, model.layers[0].weights);
  // A layer's null does not depend on whether the other layers were randomized too.
  assert.deepEqual(one.layers[1].weights, all.layers[1].weights);
  model.layers.forEach((l, k) => assert.deepEqual(l.weights, before[k]));
  assert.throws(() => randomizeModel(model, 'A', new Rng(4), { layer: 'nope' }), (e: unknown) => e instanceof UserError && /dense_1/.test(e.message));
});

test('every null model handles degenerate layers (1×1, one row, one column, all zero, one edge) without error', () => {
  const shapes: [number, number, number[]][] = [
    [1, 1, [0.5]], [1, 5, [1, -2, 0, 3, 0]], [5, 1, [1, 0, -1, 2, 0]], [3, 3, Array(9).fill(0)], [3, 4, [0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0]],
  ];
  for (const [r, c, v] of shapes) {
    const l = { name: 'tiny', weights: Float32Array.from(v), shape: [r, c] as [number, number], bias: new Float32Array(c) };
    for (const m of NULL_MODEL_NAMES) {
      const out = randomizeLayer(l, m, new Rng(1));
      assert.equal(out.weights.length, r * c, `${m} ${r}×${c}`);
      assert.ok(out.weights.every(Number.isFinite), `${m} ${r}×${c}`);
      if (m !== 'maxent') {
        assert.deepEqual([...out.weights].sort(), [...l.weights].sort(), `${m} ${r}×${c} changed the values`);
      }
    }
  }
});
