/**
 * The null models offered by the page: the library's registry (src/randomize), each layer drawing
 * from `nullStream(seed, method, layer)` as the CLI and the probe sweep do, so a seed here gives the
 * same null as `weightscope randomize --seed`.
 */
import type { LayerRecord } from '../../src/core/layer.js';
import { Rng } from '../../src/core/rng.js';
import { NULL_MODELS, nullStream, randomizeLayer } from '../../src/randomize/index.js';

export const METHODS: { name: string; label: string; preserves: string }[] = Object.values(NULL_MODELS).map((m) => ({
  name: m.name,
  label: /^[A-G]$/.test(m.name) ? `${m.name} (reference)` : m.name,
  preserves: m.preserves,
}));

/** Sign-degree-preserving swaps make a sensible first choice. */
export const DEFAULT_METHOD = 'curveball';

export function randomize(layer: LayerRecord, method: string, seed: number): LayerRecord {
  return randomizeLayer(layer, method, nullStream(new Rng(seed), method, layer.name));
}

let worker: Worker | null | undefined;
/** Where the last null was computed (read by the tests through the page's hook). */
export const lastRun = { where: 'none' as 'none' | 'worker' | 'main' };
let nextId = 0;
const pending = new Map<number, { resolve: (l: LayerRecord) => void; reject: (e: Error) => void }>();

function randomizeWorker(): Worker | null {
  if (worker !== undefined) return worker;
  try {
    worker = new Worker(new URL('./randomize-worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (event: MessageEvent<{ id: number; layer?: LayerRecord; error?: string }>) => {
      const p = pending.get(event.data.id);
      pending.delete(event.data.id);
      if (event.data.layer) p?.resolve(event.data.layer);
      else p?.reject(new Error(event.data.error ?? 'randomization failed'));
    };
  } catch {
    worker = null; // no module workers: randomize on the main thread
  }
  return worker;
}

/** The same null as `randomize`, computed in a web worker so the page stays responsive. */
export function randomizeAsync(layer: LayerRecord, method: string, seed: number): Promise<LayerRecord> {
  const w = randomizeWorker();
  if (!w) {
    lastRun.where = 'main';
    return Promise.resolve(randomize(layer, method, seed));
  }
  lastRun.where = 'worker';
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.postMessage({ id, layer, method, seed });
  });
}
