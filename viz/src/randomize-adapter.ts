/**
 * The null models offered by the page: the library's registry (src/randomize), applied the way
 * `randomizeModel` does to one layer, so a seed here gives the same null as the CLI's.
 */
import type { LayerRecord } from '../../src/core/layer.js';
import { Rng } from '../../src/core/rng.js';
import { NULL_MODELS, randomizeLayer } from '../../src/randomize/index.js';

export const METHODS: { name: string; label: string; preserves: string }[] = Object.values(NULL_MODELS).map((m) => ({
  name: m.name,
  label: /^[A-G]$/.test(m.name) ? `${m.name} (reference)` : m.name,
  preserves: m.preserves,
}));

/** Sign-degree-preserving swaps make a sensible first choice. */
export const DEFAULT_METHOD = 'curveball';

export function randomize(layer: LayerRecord, method: string, seed: number): LayerRecord {
  return randomizeLayer(layer, method, new Rng(seed).fork('randomize', method, layer.name));
}
