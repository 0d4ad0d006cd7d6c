/**
 * Worker side of the layer table (layer-table.ts): computes one row per {id, layer, depth, meta,
 * options, fused?} message with layerTableEntry and posts {id, result} or {id, error}. It loads
 * layer-row.js only (stats and randomize, no DOM), so it starts in milliseconds.
 */
import { parentPort } from 'node:worker_threads';
import type { LayerRecord } from '../core/layer.js';
import { layerTableEntry, type LayerMeta, type LayerTableOptions } from './layer-row.js';

interface Job {
  id: number;
  layer: LayerRecord;
  depth: number;
  meta: LayerMeta;
  options: LayerTableOptions;
  fused?: LayerRecord;
}

parentPort!.on('message', (job: Job) => {
  try {
    const result = layerTableEntry(job.layer, job.depth, job.meta, job.options, job.fused);
    const transfer = result.spectrum ? [result.spectrum.eigenvalues.buffer, ...result.spectrum.nulls.map((n) => n.eigenvalues.buffer)] : [];
    parentPort!.postMessage({ id: job.id, result }, transfer as ArrayBuffer[]);
  } catch (e) {
    const err = e as Error;
    parentPort!.postMessage({ id: job.id, error: { name: err?.name ?? 'Error', message: err?.message ?? String(err), stack: err?.stack } });
  }
});
