/**
 * The layer-by-layer table of `weightscope stats MODEL --all-layers`: for every layer of a model,
 * its shape, weight and sign-degree summaries, assortativity, NODF, percolation critical points,
 * z-scores against a null model and spectral diagnostics, as tidy rows; written as CSV, JSON and
 * an HTML page of d3 charts (each statistic against depth, layer kinds coloured).
 */
import { join } from 'node:path';
import { csvFormat } from 'd3-dsv';
import { chartDocument } from './dom.js';
import type { LayerRecord } from '../core/layer.js';
import { writeFileAtomic, writeJsonAtomic } from '../core/io.js';
import {
  assortativityFromDegrees, layerZScores, nodf, NODF_DEFAULT_MAX_WEIGHTS, percolationBySign, spectralStats, summarize, unitStats,
  weightSummary, type ZScore,
} from '../stats/index.js';
import { randomizeLayer } from '../randomize/index.js';
import { COLORS, scatter } from './charts.js';
import { escapeHtml } from './html.js';

/** What the table knows about a layer besides its weights (from the model file's inventory). */
export interface LayerMeta {
  kind: string;
  orientation?: string;
  dtype?: string;
  params?: number;
}

export interface LayerTableOptions {
  /** Null model for z-scores (none when absent). */
  nullModel?: string;
  samples?: number;
  seed?: number;
  /** NODF above NODF_DEFAULT_MAX_WEIGHTS too (slow). */
  nestedness?: boolean;
  /** Spectral diagnostics (default true). */
  spectral?: boolean;
}

export type LayerTableRow = Record<string, string | number | null>;

/** Statistics columns, in table order (after layer, kind, depth, n_in, n_out, params, dtype, orientation). */
export const LAYER_TABLE_STATISTICS = [
  'density', 'frac_pos', 'sd_w',
  'k_plus_in', 'k_minus_in', 'k_plus_out', 'k_minus_out', 's_plus_in', 's_minus_in', 's_plus_out', 's_minus_out',
  'assortativity', 'assortativity_pos', 'assortativity_neg', 'nodf_pos', 'nodf_neg',
  'pc_all', 'pc_pos', 'pc_neg',
  'spectral_norm', 'frobenius_norm', 'stable_rank', 'alpha', 'alpha_xmin', 'alpha_ks',
] as const;

const Z_COLUMNS: Record<string, string> = {
  'nodf+': 'z_nodf_pos', 'nodf-': 'z_nodf_neg', 'assortativity+': 'z_assortativity_pos', 'assortativity-': 'z_assortativity_neg', assortativity: 'z_assortativity',
};

const num = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** One row of the table: every statistic of one layer. */
export function layerTableRow(layer: LayerRecord, depth: number, meta: LayerMeta, options: LayerTableOptions = {}): LayerTableRow {
  const w = weightSummary(layer);
  const units = unitStats(layer);
  const assort = assortativityFromDegrees(layer, units);
  const withNodf = options.nestedness || layer.weights.length <= NODF_DEFAULT_MAX_WEIGHTS;
  const perc = percolationBySign(layer, { points: 2 });
  const row: LayerTableRow = {
    layer: layer.name, kind: meta.kind, depth, n_in: layer.shape[0], n_out: layer.shape[1],
    params: meta.params ?? layer.weights.length + (layer.bias?.length ?? 0), dtype: meta.dtype ?? 'F32', orientation: meta.orientation ?? 'in-out',
    density: w.density, frac_pos: num(w.fractionPositive), sd_w: w.sd,
    k_plus_in: summarize(units.in.kPlus).mean, k_minus_in: summarize(units.in.kMinus).mean,
    k_plus_out: summarize(units.out.kPlus).mean, k_minus_out: summarize(units.out.kMinus).mean,
    s_plus_in: summarize(units.in.sPlus).mean, s_minus_in: summarize(units.in.sMinus).mean,
    s_plus_out: summarize(units.out.sPlus).mean, s_minus_out: summarize(units.out.sMinus).mean,
    assortativity: num(assort.all), assortativity_pos: num(assort.positive), assortativity_neg: num(assort.negative),
    nodf_pos: withNodf ? num(nodf(layer, 'positive').nodf) : null, nodf_neg: withNodf ? num(nodf(layer, 'negative').nodf) : null,
    pc_all: num(perc.all.critical.susceptibility.fractionRemoved),
    pc_pos: num(perc.positive.critical.susceptibility.fractionRemoved),
    pc_neg: num(perc.negative.critical.susceptibility.fractionRemoved),
  };
  if (options.spectral ?? true) {
    const s = spectralStats(layer);
    Object.assign(row, {
      spectral_norm: num(s.spectralNorm), frobenius_norm: num(s.frobeniusNorm), stable_rank: num(s.stableRank),
      alpha: num(s.alpha), alpha_xmin: num(s.alphaXMin), alpha_ks: num(s.alphaKs),
    });
  }
  if (options.nullModel) {
    const method = options.nullModel;
    const z: Record<string, ZScore | undefined> = layerZScores(layer, { name: method, sample: (l, r) => randomizeLayer(l, method, r) }, {
      seed: options.seed ?? 0, samples: options.samples ?? 20, nestedness: options.nestedness,
    });
    for (const [name, column] of Object.entries(Z_COLUMNS)) row[column] = z[name] ? num(z[name].z) : null;
  }
  return row;
}

/** The columns present in the rows, in table order. */
export function layerTableColumns(rows: LayerTableRow[]): string[] {
  const all = ['layer', 'kind', 'depth', 'n_in', 'n_out', 'params', 'dtype', 'orientation', ...LAYER_TABLE_STATISTICS, ...Object.values(Z_COLUMNS)];
  return all.filter((c) => rows.some((r) => c in r));
}

const KIND_ORDER = ['embedding', 'attention.q', 'attention.k', 'attention.v', 'attention.o', 'ffn.in', 'ffn.out', 'conv', 'dense'];

function kindColors(rows: LayerTableRow[]): Map<string, string> {
  const kinds = [...new Set(rows.map((r) => String(r.kind)))].sort((a, b) => (KIND_ORDER.indexOf(a) + 1 || 99) - (KIND_ORDER.indexOf(b) + 1 || 99));
  return new Map(kinds.map((k, i) => [k, COLORS.others[i % COLORS.others.length]]));
}

/** The HTML page: one chart per statistic against depth, then the table itself. */
export function layerTableHtml(rows: LayerTableRow[], title: string): string {
  const doc = chartDocument();
  const colors = kindColors(rows);
  const legend = [...colors].map(([label, color]) => ({ label, color, kind: 'box' as const }));
  const columns = layerTableColumns(rows);
  const charts: string[] = [];
  const statistics = new Set<string>(LAYER_TABLE_STATISTICS);
  for (const stat of columns.filter((c) => statistics.has(c) || c.startsWith('z_'))) {
    const points = rows
      .filter((r) => typeof r[stat] === 'number' && Number.isFinite(r[stat]))
      .map((r) => ({ x: Number(r.depth), y: Number(r[stat]), label: String(r.layer), color: colors.get(String(r.kind)) }));
    if (points.length === 0) continue;
    const svg = scatter(doc, { title: stat, xLabel: 'layer (in file order)', yLabel: stat, points, fit: false, labels: false, legend, width: 460, height: 300, xTicks: rows.map((r) => ({ value: Number(r.depth), label: String(r.layer) })) });
    charts.push(`<figure id="chart-${escapeHtml(stat)}">${svg.outerHTML}</figure>`);
  }
  doc.defaultView?.close();
  const fmt = (v: string | number | null | undefined): string => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : escapeHtml(v ?? '—'));
  const table = `<table><thead><tr>${columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${columns.map((c) => `<td>${fmt(r[c])}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; }
.charts { display: flex; flex-wrap: wrap; gap: 0.5rem; }
figure { margin: 0; }
table { border-collapse: collapse; font-size: 12px; margin-top: 1rem; }
table { display: block; max-width: 100%; overflow-x: auto; }
th:first-child, td:first-child { position: sticky; left: 0; background: #fff; }
th, td { border: 1px solid #ddd; padding: 2px 6px; text-align: right; }
td:first-child, th:first-child { text-align: left; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>${rows.length} layers. Definitions: docs/statistics.md; layer kinds and orientation: docs/formats.md.</p>
<div class="charts">
${charts.join('\n')}
</div>
${table}
</body>
</html>
`;
}

/** Write `layers.csv`, `layers.json` and `layers.html` into `dir`, each atomically. */
export function writeLayerTable(dir: string, rows: LayerTableRow[], info: { model: string; options: LayerTableOptions }): { csv: string; json: string; html: string } {
  const csv = join(dir, 'layers.csv');
  const json = join(dir, 'layers.json');
  const html = join(dir, 'layers.html');
  writeFileAtomic(csv, csvFormat(rows, layerTableColumns(rows)) + '\n');
  writeJsonAtomic(json, { model: info.model, options: info.options, columns: layerTableColumns(rows), layers: rows });
  writeFileAtomic(html, layerTableHtml(rows, `weightscope layers of ${info.model}`));
  return { csv, json, html };
}
