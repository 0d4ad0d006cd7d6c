/**
 * `weightscope stats MODEL --all-layers [--null NAME --samples N] [--out DIR]`: the layer-by-layer
 * table (src/report/layer-table.ts), one layer in memory at a time; printed as a compact table,
 * and written as layers.csv / layers.json / layers.html when --out is given.
 */
import { UserError } from '../../core/errors.js';
import { getNullModel } from '../../randomize/index.js';
import { layerTableRow, writeLayerTable, type LayerTableOptions, type LayerTableRow } from '../../report/index.js';
import type { ConvMapping } from '../../formats/index.js';
import { findEntry, modelLayerEntries } from './layers.js';
import { cell, table } from './stats.js';

export interface LayerTableCliOptions {
  layer?: string;
  null?: string;
  samples: number;
  seed: number;
  nestedness?: boolean;
  out?: string;
  conv?: ConvMapping;
  json: boolean;
}

export function runLayerTable(modelPath: string, opts: LayerTableCliOptions): void {
  if (opts.null !== undefined) {
    getNullModel(opts.null);
    if (opts.samples < 2) throw new UserError('--samples must be at least 2 for z-scores');
  }
  const { entries } = modelLayerEntries(modelPath, { conv: opts.conv });
  const selected = opts.layer ? [findEntry(entries, opts.layer)] : entries;
  const options: LayerTableOptions = { samples: opts.samples, seed: opts.seed, nestedness: opts.nestedness };
  if (opts.null !== undefined) options.nullModel = opts.null;
  const rows: LayerTableRow[] = [];
  for (const entry of selected) {
    const depth = entries.indexOf(entry);
    rows.push(layerTableRow(entry.load(), depth, entry.meta, options));
  }
  if (opts.out) {
    const written = writeLayerTable(opts.out, rows, { model: modelPath, options });
    if (!opts.json) process.stdout.write(`wrote ${written.csv}, ${written.json}, ${written.html}\n`);
  }
  if (opts.json) {
    process.stdout.write(JSON.stringify({ layers: rows }, null, 2) + '\n');
    return;
  }
  const z = opts.null !== undefined;
  process.stdout.write(
    table(
      ['layer', 'kind', 'shape', 'density', 'frac+', 'σ(w)', 'assort', 'NODF+', 'pc', 'pc+', 'pc−', '‖W‖₂', 'stable rank', 'α', 'KS', ...(z ? ['z NODF+', 'z assort'] : [])],
      rows.map((r) => [
        String(r.layer), String(r.kind), `${r.n_in}×${r.n_out}`,
        ...(['density', 'frac_pos', 'sd_w', 'assortativity', 'nodf_pos', 'pc_all', 'pc_pos', 'pc_neg', 'spectral_norm', 'stable_rank', 'alpha', 'alpha_ks'] as const).map((c) => cell(r[c] as number | null)),
        ...(z ? [cell(r.z_nodf_pos as number | null), cell(r.z_assortativity as number | null)] : []),
      ]),
    ),
  );
}
