/**
 * Worker side of the layer table (layer-table.ts): computes a layer's base row (`base` tasks:
 * layerTableBase) or its columns for one null model (`null` tasks: layerNullColumns) and posts
 * {id, result} or {id, error}. It loads layer-row.js only (stats and randomize, no DOM), so it
 * starts in milliseconds.
 */
import { parentPort } from 'node:worker_threads';
import type { LayerRecord } from '../core/layer.js';
import type { SpectralStats } from '../stats/index.js';
import { layerNullColumns, layerTableBase, type LayerMeta, type LayerTableOptions } from './layer-row.js';

interface Task {
  id: number;
  kind: 'base' | 'null';
  layer: LayerRecord;
  depth: number;
  meta: LayerMeta;
  options: LayerTableOptions;
  fused?: LayerRecord;
  /** null tasks: the model, and the layer's spectrum statistics from its base task. */
  method?: string;
  observed?: SpectralStats | null;
}

parentPort!.on('message', (task: Task) => {
  try {
    if (task.kind === 'base') {
      const result = layerTableBase(task.layer, task.depth, task.meta, task.options, task.fused);
      parentPort!.postMessage({ id: task.id, result }, result.spectrum ? [result.spectrum.eigenvalues.buffer as ArrayBuffer] : []);
    } else {
      const result = layerNullColumns(task.layer, task.meta, task.options, task.method!, task.observed ?? null, task.fused);
      parentPort!.postMessage({ id: task.id, result }, result.eigenvalues ? [result.eigenvalues.buffer as ArrayBuffer] : []);
    }
  } catch (e) {
    const err = e as Error;
    parentPort!.postMessage({ id: task.id, error: { name: err?.name ?? 'Error', message: err?.message ?? String(err), stack: err?.stack } });
  }
});
