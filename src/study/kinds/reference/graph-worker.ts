/**
 * Worker side of reproduce's graph export: writes each model's layers as graphs (CSV + GEXF) and
 * returns their degree summaries, so that this runs beside the probe sweeps instead of after them.
 * Messages: {id, dir, task, run, layers} → {id, stats} or {id, error}.
 */
import { parentPort } from 'node:worker_threads';
import type { LayerRecord } from '../../../core/layer.js';
import { exportLayer } from '../../../graph/index.js';
import { unitStats, weightSummary } from '../../../stats/index.js';
import type { LayerInput } from '../../../report/index.js';

/** Export one model's layers into dir (none when dir is null); the report's per-layer inputs. */
export function exportModelGraphs(dir: string | null, task: string, run: number, layers: LayerRecord[]): LayerInput[] {
  return layers.map((layer) => {
    if (dir !== null) exportLayer(layer, dir, { formats: ['csv', 'gexf'] });
    const u = unitStats(layer);
    return {
      task, run, layer: layer.name,
      in: { kPlus: Array.from(u.in.kPlus), kMinus: Array.from(u.in.kMinus) },
      out: { kPlus: Array.from(u.out.kPlus), kMinus: Array.from(u.out.kMinus) },
      sigma: weightSummary(layer).sd,
    };
  });
}

parentPort?.on('message', (job: { id: number; dir: string | null; task: string; run: number; layers: LayerRecord[] }) => {
  try {
    parentPort!.postMessage({ id: job.id, stats: exportModelGraphs(job.dir, job.task, job.run, job.layers) });
  } catch (err) {
    const e = err as Error;
    parentPort!.postMessage({ id: job.id, error: { name: e?.name ?? 'Error', message: e?.message ?? String(err) } });
  }
});
