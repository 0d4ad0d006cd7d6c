/**
 * `weightscope stats MODEL --all-layers [--null NAME[,NAME…] --samples N] [--esd CONVENTION] [--out DIR]`:
 * the layer-by-layer table (src/report/layer-table.ts), one layer in memory per worker thread at a
 * time; printed as a compact table, and written as layers.csv / layers.json / layers.html when --out is given.
 */
import { UserError } from '../../core/errors.js';
import { getNullModel } from '../../randomize/index.js';
import { layerTableRows, layerTableText, writeLayerTable, type LayerTableOptions } from '../../report/index.js';
import type { EsdConvention } from '../../stats/index.js';
import type { ConvMapping } from '../../formats/index.js';
import { findEntry, modelLayerEntries } from './layers.js';

export interface LayerTableCliOptions {
  layer?: string;
  null?: string;
  samples: number;
  seed: number;
  nestedness?: boolean;
  out?: string;
  conv?: ConvMapping;
  esd?: EsdConvention;
  json: boolean;
  /** Worker threads (default: one per core). */
  threads?: number;
}

export async function runLayerTable(modelPath: string, opts: LayerTableCliOptions): Promise<void> {
  const nulls = opts.null === undefined ? [] : opts.null.split(',').map((s) => s.trim());
  for (const n of nulls) getNullModel(n);
  if (nulls.length && opts.samples < 2) throw new UserError('--samples must be at least 2 for z-scores');
  if (new Set(nulls).size !== nulls.length) throw new UserError(`--null names a null model twice: ${opts.null}`);
  if (opts.esd === 'weightwatcher' && opts.conv && opts.conv !== 'unfold') {
    throw new UserError(`--esd weightwatcher reads convolutions one kernel position at a time, from the unfolded kernel: use --conv unfold (or leave --conv out), not --conv ${opts.conv}`);
  }
  const conv = opts.esd === 'weightwatcher' ? 'unfold' : opts.conv;
  const { entries, format } = modelLayerEntries(modelPath, { conv });
  const selected = opts.layer ? [findEntry(entries, opts.layer)] : entries;
  const options: LayerTableOptions = { samples: opts.samples, seed: opts.seed, nestedness: opts.nestedness };
  if (nulls.length) options.nullModel = nulls.length === 1 ? nulls[0] : nulls;
  if (opts.esd) options.esd = opts.esd;
  // model files give a new record every load (read from the file); tfjs models and .npy the same one
  const fresh = format !== 'weightscope';
  const { rows, spectra } = await layerTableRows(selected.map((e) => ({ depth: entries.indexOf(e), meta: e.meta, load: e.load, fresh })), options, { threads: opts.threads });
  if (opts.out) {
    const written = writeLayerTable(opts.out, rows, { model: modelPath, options, spectra });
    if (!opts.json) process.stdout.write(`wrote ${written.csv}, ${written.json}, ${written.html}\n`);
  }
  if (opts.json) {
    process.stdout.write(JSON.stringify({ layers: rows }, null, 2) + '\n');
    return;
  }
  process.stdout.write(layerTableText(rows, options));
}
