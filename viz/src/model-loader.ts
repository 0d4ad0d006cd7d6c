/**
 * Fetch the run index and models from the viewer server (`/api/index.json`, `/run/…`).
 */
import type { DenseModel } from '../../src/core/layer.js';
import { layersToDenseModel, weightShardPaths } from '../../src/formats/layers-format.js';

// The index types are the server's own (a type-only import: no Node code reaches the bundle).
export type { IndexedLayer, IndexedModel, RunIndex } from '../../src/viewer/run-index.js';
import type { RunIndex } from '../../src/viewer/run-index.js';

export async function fetchIndex(): Promise<RunIndex> {
  const res = await fetch('api/index.json');
  if (!res.ok) throw new Error(`could not read the run index (${res.status})`);
  return (await res.json()) as RunIndex;
}

/** URL of a file of the served run folder. */
export function runUrl(relPath: string): string {
  return 'run/' + relPath.split('/').map(encodeURIComponent).join('/');
}

/** A model as the page draws it: its layers, and per layer the edges to highlight (flat indices i·nOut + j), if model.json names any. */
export type ViewModel = DenseModel & { highlight: Map<string, Set<number>> };

/**
 * The edges model.json asks to highlight: `userDefinedMetadata.weightscope.highlight`, an object
 * layer name → array of flat edge indices (written by `weightscope compare`: a model's circuit).
 * Anything else there is ignored.
 */
export function highlightOf(modelJson: unknown): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  const h = (modelJson as { userDefinedMetadata?: { weightscope?: { highlight?: unknown } } } | null)?.userDefinedMetadata?.weightscope?.highlight;
  if (!h || typeof h !== 'object' || Array.isArray(h)) return out;
  for (const [layer, edges] of Object.entries(h)) {
    if (Array.isArray(edges) && edges.every((e) => Number.isSafeInteger(e) && e >= 0)) out.set(layer, new Set(edges as number[]));
  }
  return out;
}

const cache = new Map<string, Promise<ViewModel>>();

/** Load model.json and its weight files (relative to the model.json). */
export function loadModel(modelPath: string): Promise<ViewModel> {
  let p = cache.get(modelPath);
  if (!p) {
    p = (async () => {
      const res = await fetch(runUrl(modelPath));
      if (!res.ok) throw new Error(`could not read ${modelPath} (${res.status})`);
      const json: unknown = await res.json();
      const dir = modelPath.includes('/') ? modelPath.slice(0, modelPath.lastIndexOf('/') + 1) : '';
      const shards: Record<string, ArrayBuffer> = {};
      for (const path of weightShardPaths(json)) {
        const r = await fetch(runUrl(dir + path));
        if (!r.ok) throw new Error(`could not read ${dir + path} (${r.status})`);
        shards[path] = await r.arrayBuffer();
      }
      return { ...layersToDenseModel(json, shards), highlight: highlightOf(json) };
    })();
    cache.set(modelPath, p);
    p.catch(() => cache.delete(modelPath));
  }
  return p;
}

export async function fetchText(relPath: string): Promise<string | null> {
  const res = await fetch(runUrl(relPath));
  return res.ok ? res.text() : null;
}
