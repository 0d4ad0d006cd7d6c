/**
 * The layer-by-layer table of a whole model (`weightscope stats MODEL --all-layers`): one row per
 * selected layer of an opened model, each layer read from the file when its row is computed, so
 * one layer is in memory at a time. The rows themselves: layer-table.ts.
 */
import { UserError } from '../core/errors.js';
import type { ModelInventory } from '../formats/open.js';
import { getNullModel } from '../randomize/index.js';
import { layerTableRow, type LayerTableOptions, type LayerTableRow } from './layer-table.js';

export function modelLayerTable(model: ModelInventory, options: LayerTableOptions = {}): LayerTableRow[] {
  if (options.nullModel !== undefined) {
    getNullModel(options.nullModel);
    if ((options.samples ?? 20) < 2) throw new UserError('--samples must be at least 2 for z-scores');
  }
  return model.selected.map((l) => layerTableRow(l.load(), l.depth, { kind: l.kind, orientation: l.orientation, dtype: l.dtype, params: l.params }, options));
}
