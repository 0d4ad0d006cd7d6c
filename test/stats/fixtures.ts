/** Test layers shared by the stats and graph tests. */
import { Rng } from '../../src/core/rng.js';
import type { LayerRecord } from '../../src/core/layer.js';

export interface RandomLayerOptions {
  /** Fraction of slots set to exactly 0 (pruned). */
  zeros?: number;
  bias?: boolean;
  scale?: number;
}

/** A gaussian layer; `zeros` of its slots pruned to 0 at random. */
export function randomLayer(seed: number, nIn: number, nOut: number, options: RandomLayerOptions = {}): LayerRecord {
  const rng = new Rng(seed);
  const w = new Float32Array(nIn * nOut);
  const zeros = options.zeros ?? 0;
  for (let k = 0; k < w.length; k++) w[k] = rng.next() < zeros ? 0 : (options.scale ?? 0.1) * rng.normal();
  const bias = options.bias ? Float32Array.from({ length: nOut }, () => rng.normal()) : null;
  return { name: `random-${nIn}x${nOut}`, weights: w, shape: [nIn, nOut], bias };
}

/** A layer from nested arrays of numbers (rows = input units). */
export function layerFromRows(rows: number[][], name = 'hand'): LayerRecord {
  const nIn = rows.length, nOut = rows[0].length;
  return { name, weights: Float32Array.from(rows.flat()), shape: [nIn, nOut], bias: null };
}

/** A null model for tests: the same weights in a random permutation of the slots. */
export function shuffleSlots(layer: LayerRecord, rng: Rng): LayerRecord {
  return { ...layer, weights: rng.shuffle(layer.weights.slice()) };
}
