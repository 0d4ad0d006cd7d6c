import test from 'node:test';
import assert from 'node:assert/strict';
import { averageRanks, pearson, spearman } from '../../src/stats/describe.js';

test('Spearman ρ on hand-checked examples with ties (values from scipy.stats.spearmanr)', () => {
  // y ranks with the tie at 7 averaged: [1, 2, 3.5, 5, 3.5]; ρ = 8 / √95
  assert.deepEqual([...averageRanks([5, 6, 7, 8, 7])], [1, 2, 3.5, 5, 3.5]);
  assert.ok(Math.abs(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) - 8 / Math.sqrt(95)) < 1e-15);
  assert.ok(Math.abs(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) - 0.8207826816681233) < 1e-12);
  // ties on both sides, anti-correlated: −4.5 / √22.5
  assert.ok(Math.abs(spearman([3, 1, 2, 2], [10, 30, 20, 25]) + 0.9486832980505139) < 1e-12);
  // monotone but not linear: ρ = 1, Pearson r < 1
  const x = [1, 2, 3, 4, 5];
  const y = x.map((v) => Math.exp(v));
  assert.equal(spearman(x, y), 1);
  assert.ok(pearson(x, y) < 0.95);
  assert.ok(Number.isNaN(spearman([1, 1, 1], [1, 2, 3])));
});
