/**
 * The layer-by-layer table of a whole model (`weightscope stats MODEL --all-layers`): one row per
 * selected layer of an opened model, each layer read from the file when its row is computed (on a
 * worker thread: layer-table.ts), so only the layers being computed are in memory. The rows
 * themselves: layer-row.ts.
 */
import { UserError } from '../core/errors.js';
import type { ModelInventory } from '../formats/open.js';
import { getNullModel } from '../randomize/index.js';
import { layerTableRows, nullModelsOf, type LayerTableOptions, type LayerTableResult } from './layer-table.js';

/**
 * The table of the model's selected layers. Null models are checked first (a bad name is one
 * UserError before any work). With `esd: 'weightwatcher'` convolutions must have been opened
 * unfolded (`openModel(path, { conv: 'unfold' })`): their kernel positions are the spectrum's matrices.
 */
export async function modelLayerTable(model: ModelInventory, options: LayerTableOptions = {}, run: { threads?: number } = {}): Promise<LayerTableResult> {
  const nulls = nullModelsOf(options);
  for (const n of nulls) getNullModel(n);
  if (new Set(nulls).size !== nulls.length) throw new UserError(`--null names a null model twice: ${nulls.join(',')}`);
  if (nulls.length && (options.samples ?? 20) < 2) throw new UserError('--samples must be at least 2 for z-scores');
  const jobs = model.selected.map((l) => ({
    depth: l.depth,
    meta: {
      kind: l.kind, orientation: l.orientation, dtype: l.dtype, params: l.params,
      ...(l.tensor ? { tensor: l.tensor } : {}), ...(l.part ? { part: l.part } : {}), ...(l.conv ? { conv: l.conv } : {}),
    },
    load: l.load,
    // a file's layers are read afresh by every load (the table may hand them to a worker); weightscope's own kinds hand out one record
    fresh: model.file !== undefined,
  }));
  return layerTableRows(jobs, options, run);
}
