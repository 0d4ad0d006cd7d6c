/**
 * `weightscope stats MODEL --all-layers [--null NAME[,NAME…] --samples N] [--esd CONVENTION] [--out DIR]`:
 * the layer-by-layer table (src/report/model-table.ts), printed as a compact table, and written as
 * layers.csv / layers.json / layers.html when --out is given.
 */
import { join } from 'node:path';
import { UserError } from '../../core/errors.js';
import { writeFileSet } from '../../core/io.js';
import type { ConvMapping } from '../../formats/inventory.js';
import { openModel } from '../../formats/open.js';
import { layerTableText, modelLayerTable, writeLayerTable, type LayerTableOptions } from '../../report/index.js';
import type { EsdConvention } from '../../stats/index.js';

export interface LayerTableCliOptions {
  layer?: string;
  null?: string;
  samples: number;
  seed: number;
  nestedness?: boolean;
  out?: string;
  /** Undefined: the default mapping (`sum`, or `unfold` with --esd weightwatcher). */
  conv?: ConvMapping;
  esd?: EsdConvention;
  json?: boolean;
  /** Worker threads (default: one per core). */
  threads?: number;
}

export async function runLayerTable(modelPath: string, opts: LayerTableCliOptions): Promise<void> {
  const options: LayerTableOptions = { samples: opts.samples, seed: opts.seed, nestedness: opts.nestedness };
  if (opts.null !== undefined) {
    const nulls = opts.null.split(',').map((s) => s.trim());
    options.nullModel = nulls.length === 1 ? nulls[0] : nulls;
  }
  if (opts.esd) options.esd = opts.esd;
  if (opts.esd === 'weightwatcher' && opts.conv && opts.conv !== 'unfold') {
    throw new UserError(`--esd weightwatcher reads convolutions one kernel position at a time, from the unfolded kernel: use --conv unfold (or leave --conv out), not --conv ${opts.conv}`);
  }
  const model = await openModel(modelPath, { conv: opts.esd === 'weightwatcher' ? 'unfold' : opts.conv, layer: opts.layer });
  const { rows, spectra } = await modelLayerTable(model, options, { threads: opts.threads });
  if (opts.out) {
    // layers.csv, .json and .html belong together: killed while writing them, the folder says so (layers.INCOMPLETE).
    const out = opts.out;
    const written = writeFileSet(join(out, 'layers.INCOMPLETE'), ['layers.csv', 'layers.json', 'layers.html'], () => writeLayerTable(out, rows, { model: modelPath, options, spectra }));
    if (!opts.json) process.stdout.write(`wrote ${written.csv}, ${written.json}, ${written.html}\n`);
  }
  if (opts.json) {
    process.stdout.write(JSON.stringify({ layers: rows }, null, 2) + '\n');
    return;
  }
  process.stdout.write(layerTableText(rows, options));
}
