/**
 * `weightscope stats MODEL --all-layers [--null NAME --samples N] [--out DIR]`: the layer-by-layer
 * table (src/report/model-table.ts), printed as a compact table, and written as layers.csv /
 * layers.json / layers.html when --out is given.
 */
import { join } from 'node:path';
import { writeFileSet } from '../../core/io.js';
import type { ConvMapping } from '../../formats/inventory.js';
import { openModel } from '../../formats/open.js';
import { modelLayerTable, writeLayerTable, type LayerTableOptions } from '../../report/index.js';
import { cell, table } from '../text-table.js';

export interface LayerTableCliOptions {
  layer?: string;
  null?: string;
  samples: number;
  seed: number;
  nestedness?: boolean;
  out?: string;
  conv?: ConvMapping;
  json?: boolean;
}

export async function runLayerTable(modelPath: string, opts: LayerTableCliOptions): Promise<void> {
  const options: LayerTableOptions = { samples: opts.samples, seed: opts.seed, nestedness: opts.nestedness };
  if (opts.null !== undefined) options.nullModel = opts.null;
  const model = await openModel(modelPath, { conv: opts.conv, layer: opts.layer });
  const rows = modelLayerTable(model, options);
  if (opts.out) {
    // layers.csv, .json and .html belong together: killed while writing them, the folder says so (layers.INCOMPLETE).
    const out = opts.out;
    const written = writeFileSet(join(out, 'layers.INCOMPLETE'), ['layers.csv', 'layers.json', 'layers.html'], () => writeLayerTable(out, rows, { model: modelPath, options }));
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
