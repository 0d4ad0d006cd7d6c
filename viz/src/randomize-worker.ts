/**
 * Null models off the page's main thread: a swap null of a large layer takes seconds, and the
 * tab must stay responsive meanwhile. Same adapter, same seeds, same result as on the main thread.
 */
import type { LayerRecord } from '../../src/core/layer.js';
import { randomize } from './randomize-adapter.js';

interface Request {
  id: number;
  layer: LayerRecord;
  method: string;
  seed: number;
}

self.onmessage = (event: MessageEvent<Request>) => {
  const { id, layer, method, seed } = event.data;
  try {
    const out = randomize(layer, method, seed);
    const transfer = [out.weights.buffer, ...(out.bias ? [out.bias.buffer] : [])].filter((b, k, all) => all.indexOf(b) === k);
    (self as unknown as Worker).postMessage({ id, layer: out }, transfer as ArrayBuffer[]);
  } catch (err) {
    (self as unknown as Worker).postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
};
