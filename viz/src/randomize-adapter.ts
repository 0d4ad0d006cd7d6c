/**
 * TEMPORARY: until src/randomize lands, one stand-in method so the page can be built and tested;
 * then this file re-exports randomizeLayer / NULL_MODELS from there and nothing else.
 */
import type { LayerRecord } from '../../src/core/layer.js';
import { Rng } from '../../src/core/rng.js';

export const METHODS: { name: string; label: string }[] = [{ name: 'full', label: 'full shuffle' }];

export function randomize(layer: LayerRecord, method: string, seed: number): LayerRecord {
  void method;
  const weights = new Rng(seed).shuffle(layer.weights.slice());
  return { ...layer, weights, shape: [layer.shape[0], layer.shape[1]], bias: layer.bias ? layer.bias.slice() : null };
}
