/**
 * Weight shuffles: the topology (which slots hold an edge) stays, the weights are permuted
 * among slots. These are the reference study's randomizations A–F (Jankowski et al. 2025,
 * arXiv 2508.05463; code `scripts/nn_bipartite_randomizations_sparse.py`, the "sparse" variants
 * its experiments call) plus `full`, which also moves zeros.
 *
 * Orientation: our records are [nIn, nOut] with weights[i * nOut + j] = edge input i → output j.
 * The reference builds its edge list from PyTorch's [out, in] weight as (in_idx, out_idx, w) and
 * calls the in_idx side "left": its `…_left` shuffles (C, E) act per INPUT unit = per row i of
 * our matrix, its `…_right` shuffles (D, F) per OUTPUT unit = per column j.
 *
 * Every shuffle is a uniform random permutation (Fisher–Yates) inside its groups, O(nIn · nOut)
 * time to scan the matrix plus O(edges) random draws; no mixing steps are involved.
 */
import type { LayerRecord } from '../core/layer.js';
import type { Rng } from '../core/rng.js';
import { collectSlots, isEdge, isNeg, isPos, permuteAt, withWeights } from './common.js';

/**
 * `full`: shuffle every slot of the layer, zeros included. Preserves only the multiset of the
 * nIn · nOut values (so the number of edges of each sign, not where they are: pruned zeros
 * scatter). Unlike A, a pruned layer's sparsity pattern is destroyed.
 */
export function shuffleFull(layer: LayerRecord, rng: Rng): LayerRecord {
  const w = layer.weights.slice();
  rng.shuffle(w);
  return withWeights(layer, w);
}

/**
 * A — full shuffle of the non-zero weights over the non-zero slots. Preserves the topology
 * (edge slots, pruned zeros stay zeros) and the multiset of weights; signs and strengths of
 * units are randomized. Reference: `shuffle_weights` (sparse).
 */
export function shuffleA(layer: LayerRecord, rng: Rng): LayerRecord {
  const w = layer.weights.slice();
  const pos = new Uint32Array(w.length);
  permuteAt(w, pos, collectSlots(w, 0, 1, w.length, isEdge, pos), rng);
  return withWeights(layer, w);
}

/**
 * B (= `sign`) — positive weights shuffled over the positive slots, negative over the negative
 * slots. Preserves the exact sign pattern (so every unit's k+ and k−) and each sign's multiset
 * of weights; magnitudes are randomized. Reference: `randomize_edges_with_sign_separation`.
 */
export function shuffleB(layer: LayerRecord, rng: Rng): LayerRecord {
  const w = layer.weights.slice();
  const pos = new Uint32Array(w.length);
  permuteAt(w, pos, collectSlots(w, 0, 1, w.length, isPos, pos), rng);
  permuteAt(w, pos, collectSlots(w, 0, 1, w.length, isNeg, pos), rng);
  return withWeights(layer, w);
}

/** Shuffle within each row (input unit) or column (output unit), over the slots passing each filter in turn. */
function shuffleUnits(layer: LayerRecord, rng: Rng, side: 'in' | 'out', filters: ((x: number) => boolean)[]): LayerRecord {
  const [nIn, nOut] = layer.shape;
  const w = layer.weights.slice();
  const pos = new Uint32Array(Math.max(nIn, nOut));
  const units = side === 'in' ? nIn : nOut;
  const stride = side === 'in' ? 1 : nOut;
  const len = side === 'in' ? nOut : nIn;
  for (let u = 0; u < units; u++) {
    const start = side === 'in' ? u * nOut : u;
    for (const keep of filters) permuteAt(w, pos, collectSlots(w, start, stride, len, keep, pos), rng);
  }
  return withWeights(layer, w);
}

/**
 * C — each INPUT unit's (row i's) non-zero weights shuffled among its own edges. Preserves the
 * topology, every input unit's multiset of outgoing weights (so its strength and its k+ / k−
 * counts, though not which targets get which sign); output units' degrees and strengths change.
 * Reference: `reshuffle_all_weights_left` (sparse).
 */
export function shuffleC(layer: LayerRecord, rng: Rng): LayerRecord {
  return shuffleUnits(layer, rng, 'in', [isEdge]);
}

/**
 * D (= `unit`) — each OUTPUT unit's (column j's) non-zero incoming weights shuffled among its
 * own edges. Preserves the topology and every output unit's multiset of incoming weights (its
 * fan-in strength, k+ and k−). Reference: `reshuffle_all_weights_right` (sparse).
 */
export function shuffleD(layer: LayerRecord, rng: Rng): LayerRecord {
  return shuffleUnits(layer, rng, 'out', [isEdge]);
}

/**
 * E — as C, positive and negative weights shuffled separately: every input unit keeps the slots
 * of its positive and of its negative edges, so the whole sign pattern stays (all units' k+ and
 * k−) and each input unit keeps its per-sign multisets (s+ and s−). Reference:
 * `reshuffle_separate_signs_left`.
 */
export function shuffleE(layer: LayerRecord, rng: Rng): LayerRecord {
  return shuffleUnits(layer, rng, 'in', [isPos, isNeg]);
}

/**
 * F — as D, positive and negative separately: the sign pattern stays, every output unit keeps its
 * per-sign multisets of incoming weights. Reference: `reshuffle_separate_signs_right`.
 */
export function shuffleF(layer: LayerRecord, rng: Rng): LayerRecord {
  return shuffleUnits(layer, rng, 'out', [isPos, isNeg]);
}
