import test from 'node:test';
import assert from 'node:assert/strict';
import type { DenseModel, LayerRecord } from '../../src/core/index.js';
import { ascendingOrder, greedyCircuit, prefixCircuit } from '../../src/compare/circuit.js';
import { fingerprintMlp } from '../../src/compare/fingerprint.js';
import type { Split } from '../../src/model/index.js';

function layer(name: string, shape: [number, number], entries: [number, number, number][], bias: number[], activation: LayerRecord['activation']): LayerRecord {
  const weights = new Float32Array(shape[0] * shape[1]);
  for (const [i, j, w] of entries) weights[i * shape[1] + j] = w;
  return { name, shape, weights, bias: Float32Array.from(bias), activation };
}

/**
 * A network whose circuit is known: the label is x0 AND x1 (inputs ±1), computed by hidden units
 * u0 = relu(x0 + 1) and u1 = relu(x1 + 1) into one logit u0 + u1 − 3; units u2 … u5 read x2 and
 * x3 and feed the logit with weight 0.05, too little to change any decision.
 */
const andNet: DenseModel = {
  layers: [
    layer('hidden', [4, 6], [[0, 0, 1], [1, 1, 1], [2, 2, 0.5], [3, 3, 0.5], [2, 4, -0.5], [3, 5, -0.5]], [1, 1, 0, 0, 0, 0], 'relu'),
    layer('out', [6, 1], [[0, 0, 1], [1, 0, 1], [2, 0, 0.05], [3, 0, 0.05], [4, 0, 0.05], [5, 0, 0.05]], [-3], 'sigmoid'),
  ],
};

/** Every pattern of 4 binary inputs, 4 times: pixels 0 or 255, which `pm1` scales to −1 or +1. */
function patterns(label: (bits: number[]) => number): Split {
  const n = 64;
  const pixels = new Uint8Array(n * 4);
  const labels = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const bits = [0, 1, 2, 3].map((b) => ((k % 16) >> b) & 1);
    bits.forEach((v, i) => (pixels[k * 4 + i] = v ? 255 : 0));
    labels[k] = label(bits);
  }
  return { pixels, labels, n };
}

const quiet = { prune: [0, 0.5], noise: [0.01, 0.1], signflip: [0, 0.5], randomize: [], randomizeLevels: [], shifts: [], nullModel: null };

test('the hand-built AND network: the unit circuit is exactly u0 and u1, sufficient and necessary', () => {
  const fp = fingerprintMlp(andNet, { test: patterns((b) => b[0] & b[1]), inputs: 'pm1', name: 'and' }, { plan: quiet });
  assert.equal(fp.row.accuracy, 1);
  assert.equal(fp.row.chance, 0.75);
  const c = fp.circuits.find((x) => x.over === 'units')!;
  assert.deepEqual(c.units, [{ layer: 0, unit: 0 }, { layer: 0, unit: 1 }]);
  assert.equal(c.kept, 1, 'keeping only u0 and u1 keeps every answer');
  assert.equal(c.removed, 0.75, 'removing them leaves the majority answer: chance');
  assert.ok(c.sufficient && c.necessary);
  assert.equal(fp.row.circuit_units, 2);
  assert.equal(fp.row.circuit_fraction, 2 / 6);
  // each of u0, u1 alone costs a quarter of the images; the others nothing
  assert.deepEqual(fp.ablation.map((a) => a.drop), [0.25, 0.25, 0, 0, 0, 0]);
  assert.equal(fp.row.ablation_matter, 2 / 6);
  assert.equal(fp.row.ablation_silent, 4 / 6);
});

test('the hand-built AND network: the edge circuit is exactly x0→u0, x1→u1, u0→out, u1→out', () => {
  const fp = fingerprintMlp(andNet, { test: patterns((b) => b[0] & b[1]), inputs: 'pm1', name: 'and' }, { plan: { ...quiet, edgeCircuit: true } });
  const c = fp.circuits.find((x) => x.over === 'edges')!;
  const flat = (l: number, i: number, j: number) => ({ layer: l, index: i * andNet.layers[l].shape[1] + j });
  const got = c.edges!.slice().sort((a, b) => a.layer - b.layer || a.index - b.index);
  assert.deepEqual(got, [flat(0, 0, 0), flat(0, 1, 1), flat(1, 0, 0), flat(1, 1, 0)]);
  assert.equal(c.candidates, 12);
  assert.ok(c.sufficient && c.necessary);
  assert.equal(fp.row.circuit_edges_kept, 1);
  assert.equal(fp.row.circuit_edges_removed, 0.75);
});

test('a redundant unit: the smallest circuit is one of the twins, sufficient but not necessary', () => {
  // label = x0; u0 and u1 both compute relu(x0), the logit u0 + u1 − 0.5: either twin alone answers right
  const twins: DenseModel = {
    layers: [
      layer('hidden', [4, 3], [[0, 0, 1], [0, 1, 1], [2, 2, 1]], [0, 0, 0], 'relu'),
      layer('out', [3, 1], [[0, 0, 1], [1, 0, 1], [2, 0, 0.01]], [-0.5], 'sigmoid'),
    ],
  };
  const fp = fingerprintMlp(twins, { test: patterns((b) => b[0]), inputs: 'pm1', name: 'twins' }, { plan: quiet });
  const c = fp.circuits[0];
  assert.equal(c.size, 1);
  assert.ok([0, 1].includes(c.units![0].unit), 'one of the twins');
  assert.equal(c.kept, 1);
  assert.equal(c.removed, 1, 'the other twin still answers');
  assert.ok(c.sufficient && !c.necessary);
  assert.equal(fp.row.circuit_necessary, 0);
});

test('greedy search on a score with a known answer: exactly the candidates the score needs, in any order', () => {
  const needed = new Set([2, 5, 7]);
  const problem = { size: 10, score: (removed: Uint8Array) => ([...needed].some((c) => removed[c]) ? 0.5 : 0.9) };
  for (const order of [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [9, 7, 5, 3, 1, 8, 6, 4, 2, 0]]) {
    const c = greedyCircuit(problem, order, { full: 0.9, chance: 0.5 });
    assert.deepEqual(Array.from(c.members), [2, 5, 7]);
    assert.ok(c.sufficient && c.necessary);
  }
  assert.throws(() => greedyCircuit(problem, [0, 1], { full: 0.9, chance: 0.5 }), /all 10 candidates/);
  assert.throws(() => greedyCircuit(problem, ascendingOrder(new Array(10).fill(0)), { full: 0.9, chance: 0.5 }, { tolerance: 2 }), /tolerance/);
});

test('bisection over a ranked order finds the smallest prefix that holds the score', () => {
  // the score climbs with the number of the top-ranked candidates kept; 6 of them reach the target
  const order = [4, 0, 9, 1, 7, 3, 2, 8, 5, 6];
  const rank = new Map(order.map((c, k) => [c, k]));
  const problem = {
    size: 10,
    score: (removed: Uint8Array) => {
      let kept = 0;
      while (kept < 10 && !removed[order[kept]]) kept++;
      return 0.5 + 0.05 * Math.min(kept, 8);
    },
  };
  const c = prefixCircuit(problem, order, { full: 0.9, chance: 0.5 }, { tolerance: 0.1 });
  assert.deepEqual(Array.from(c.members).sort((a, b) => rank.get(a)! - rank.get(b)!), [4, 0, 9, 1, 7, 3]);
  assert.equal(c.kept, 0.8);
  assert.ok(c.sufficient);
  assert.equal(c.removed, 0.5, 'without the top six the score has nothing');
  assert.ok(c.necessary);
});
