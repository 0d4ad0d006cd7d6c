/**
 * The multi-task study's claims (src/study/kinds/multitask/claims.ts) computed from planted rows
 * whose answer is known by construction: OOD r² that rises with K and jumps at K = D + 1, no
 * disentanglement without noise, accurate models on both sides of the abstraction, one graph
 * statistic planted to separate them; and each claim's opposite. Cohen's d is checked against a
 * hand-worked value.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { effectSize, evaluateMultitaskClaims, type Row } from '../../src/study/kinds/multitask/claims.js';

const TASKS = [1, 2, 3, 6];

/** One baseline row of a model (only the columns the claims read, plus the identity). */
function model(tasks: number, noise: number, run: number, over: Record<string, number>): Row {
  return {
    task: `mlp-rbf-d2-k${tasks}-s${noise}`, difficulty: 'custom', probe: 'baseline', variant: 'reference', signed: false, level: 0, layer: 'all', run, seed: 0,
    n_test: 1000, inputs: 'rbf', tasks, noise, latent_dim: 2, model: 'mlp', accuracy: 0.97, ...over,
  } as unknown as Row;
}

/**
 * σ = 0.2: OOD r² (paper form) 0.30, 0.40 at K = 1, 2, then 0.95 from K = 3 = D + 1 (centre form
 * 0.8): disentangled, with modularity_z around 5 (entangled: around 1). σ = 0: 0.3 everywhere
 * (centre form −1): entangled.
 */
function planted(): Row[] {
  const rows: Row[] = [];
  const jitter = [-0.01, 0, 0.01, 0.02];
  for (const run of [0, 1, 2, 3]) {
    for (const K of TASKS) {
      const dis = K >= 3;
      rows.push(model(K, 0.2, run, {
        ood_r2: (dis ? 0.95 : K === 1 ? 0.3 : 0.4) + jitter[run], ood_r2_centre: (dis ? 0.8 : -1) + jitter[run], modularity_z: (dis ? 5 : 1) + jitter[run] * 10,
        spectral_alpha: 2 + jitter[(run + K) % 4],
      }));
      rows.push(model(K, 0, run, { ood_r2: 0.3 + jitter[run], ood_r2_centre: -1 + jitter[run], modularity_z: 1 + jitter[run] * 10, spectral_alpha: 2 + jitter[(run + K + 1) % 4] }));
    }
  }
  return rows;
}

const verdicts = (rows: Row[]) => Object.fromEntries(evaluateMultitaskClaims(rows, { seed: 1, transformerReason: 'no transformer', link: () => '' }).map((c) => [c.id, c]));

test('planted rows that bear the claims out: C1, C2, C3 and W1 hold, with the numbers in the evidence', () => {
  const v = verdicts(planted());
  assert.equal(v.C1.verdict, 'holds', v.C1.evidence.join('\n'));
  // the medians of the σ = 0.2 curve: 0.3 + median(jitter) = 0.305 at K = 1, 0.405, 0.955, 0.955
  assert.match(v.C1.evidence.join('\n'), /K=1 0\.30.*K=2 0\.41.*K=3 0\.95.*K=6 0\.95/);
  assert.match(v.C1.evidence.join('\n'), /largest step K=2→3/);
  assert.equal(v.C2.verdict, 'holds', v.C2.evidence.join('\n'));
  assert.equal(v.C3.verdict, 'holds', v.C3.evidence.join('\n'));
  assert.match(v.C3.evidence.join('\n'), /entangled 24 .*disentangled 8 /);
  assert.equal(v.C4.verdict, 'not tested');
  assert.equal(v.W1.verdict, 'holds', v.W1.evidence.join('\n'));
  const w1 = v.W1.evidence.join('\n');
  assert.match(w1, /modularity_z: d = /);
  assert.doesNotMatch(w1, /spectral_alpha: d = /, 'a statistic planted equal in both groups separated them');
});

test('planted rows against the claims: flat OOD r², noise that does not help, accuracy that tracks abstraction', () => {
  // C1/C2 fail: OOD r² flat in K and the same with and without noise.
  const flat = planted().map((r) => ({ ...r, ood_r2: 0.3, ood_r2_centre: -1 }) as Row);
  const v = verdicts(flat);
  assert.equal(v.C1.verdict, 'does not hold');
  assert.equal(v.C2.verdict, 'does not hold');
  // no disentangled model at all: C3 cannot hold, W1 has no group to compare
  assert.equal(v.C3.verdict, 'does not hold');
  assert.equal(v.W1.verdict, 'not tested');
  // C3 fails when only the disentangled models are accurate (accuracy tells them apart).
  const telling = planted().map((r) => ({ ...r, accuracy: (r.ood_r2_centre as number) > 0 ? 0.97 : 0.7 }) as Row);
  assert.equal(verdicts(telling).C3.verdict, 'does not hold');
  // C2 fails when σ = 0 disentangles as well as σ = 0.2.
  const noiseless = planted().map((r) => (r.noise === 0 ? ({ ...r, ood_r2: (r.tasks as number) >= 3 ? 0.95 : 0.3, ood_r2_centre: (r.tasks as number) >= 3 ? 0.8 : -1 }) as Row : r));
  assert.equal(verdicts(noiseless).C2.verdict, 'does not hold');
});

test("Cohen's d: the hand-worked value, and a bootstrap interval that brackets it", () => {
  // a = 1,2,3 (mean 2, var 1); b = 4,5,6 (mean 5, var 1): pooled sd 1, d = −3
  const e = effectSize([1, 2, 3], [4, 5, 6], 7);
  assert.equal(e.d, -3);
  assert.ok(e.lo <= -3 && e.hi >= -3 && e.hi < 0, `[${e.lo}, ${e.hi}]`);
  // identical groups: d = 0 and an interval around it
  const z = effectSize([1, 2, 3, 4], [1, 2, 3, 4], 7);
  assert.equal(z.d, 0);
  assert.ok(z.lo < 0 && z.hi > 0);
});

/** Prune rows at 0.5 and 0.9 for every model: OOD r² (centre form) kept and accuracy kept, planted. */
function withPrune(rows: Row[], kept: { abs: [number, number]; acc: [number, number] }): Row[] {
  const out = [...rows];
  for (const b of rows) {
    [0.5, 0.9].forEach((level, i) => {
      out.push({
        ...b, probe: 'prune', variant: 'reference', level,
        accuracy: 0.5 + kept.acc[i] * ((b.accuracy as number) - 0.5), ood_r2_centre: kept.abs[i] * (b.ood_r2_centre as number),
      } as Row);
    });
  }
  return out;
}

test('W2 from planted probe rows: the abstraction falls first, or the accuracy does', () => {
  const first = verdicts(withPrune(planted(), { abs: [0.3, 0.1], acc: [0.9, 0.3] }));
  assert.equal(first.W2.verdict, 'holds', first.W2.evidence.join('\n'));
  assert.match(first.W2.evidence.join('\n'), /prune: OOD r² kept < 0\.5 from level 0\.5, accuracy from 0\.9 \(0\.5: 0\.30\/0\.90, 0\.9: 0\.10\/0\.30\)/);
  const later = verdicts(withPrune(planted(), { abs: [0.9, 0.3], acc: [0.3, 0.1] }));
  assert.equal(later.W2.verdict, 'does not hold', later.W2.evidence.join('\n'));
});
