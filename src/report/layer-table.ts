/**
 * The layer-by-layer table of `weightscope stats MODEL --all-layers`: for every layer of a model,
 * its shape, weight and sign-degree summaries, assortativity, NODF, percolation critical points,
 * spectral diagnostics and z-scores against null models (layer-row.ts computes one row), as tidy
 * rows; computed on worker threads, one layer per thread at a time; written as CSV, JSON and an
 * HTML page of d3 charts (each statistic against depth, layer kinds coloured, and one overlaid ESD
 * plot per layer: the layer's spectrum, its null models' and the power-law fit).
 */
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { useParallelGram } from '../stats/gram-helper.js';
import { csvFormat } from 'd3-dsv';
import { chartDocument } from './dom.js';
import type { LayerRecord } from '../core/layer.js';
import { UserError } from '../core/errors.js';
import { writeFileAtomic, writeJsonAtomic } from '../core/io.js';
import { EIGENVALUE_THRESHOLD, MIN_EIGENVALUES_FOR_ALPHA, type SpectralStats } from '../stats/index.js';
import { COLORS, DASH, lineChart, scatter, type LineSeries } from './charts.js';
import { escapeHtml } from './html.js';
import {
  layerTableEntry, nullColumn, nullModelsOf, SPECTRAL_NULL_STATISTICS, withNulls, Z_COLUMNS,
  type LayerBaseResult, type LayerMeta, type LayerNullResult, type LayerRowResult, type LayerSpectrum, type LayerTableOptions, type LayerTableRow,
} from './layer-row.js';

export {
  layerNullColumns, layerTableBase, layerTableEntry, layerTableRow, nullColumn, nullModelsOf, SPECTRAL_NULL_STATISTICS, spectrumPlan, withNulls, Z_COLUMNS,
} from './layer-row.js';
export type { LayerBaseResult, LayerMeta, LayerNullResult, LayerRowResult, LayerSpectrum, LayerTableOptions, LayerTableRow, SpectrumPlan } from './layer-row.js';

/** Statistics columns, in table order (after layer, kind, depth, n_in, n_out, params, dtype, orientation). */
export const LAYER_TABLE_STATISTICS = [
  'density', 'frac_pos', 'sd_w',
  'k_plus_in', 'k_minus_in', 'k_plus_out', 'k_minus_out', 's_plus_in', 's_minus_in', 's_plus_out', 's_minus_out',
  'assortativity', 'assortativity_pos', 'assortativity_neg', 'nodf_pos', 'nodf_neg',
  'pc_all', 'pc_pos', 'pc_neg',
  'spectral_norm', 'frobenius_norm', 'stable_rank', 'alpha', 'alpha_xmin', 'alpha_ks', 'n_evals',
] as const;

/** Text columns about the spectrum: how it was formed (`--esd weightwatcher`) and why α is missing. */
const SPECTRUM_NOTES = ['esd', 'alpha_note'];

/** Every null-model column for these null models, in table order. */
function nullColumns(methods: readonly string[]): string[] {
  const base = [...Object.values(Z_COLUMNS), ...Object.values(SPECTRAL_NULL_STATISTICS).flatMap((d) => [d.null, d.z])];
  return methods.length <= 1 ? base : methods.flatMap((m) => base.map((c) => nullColumn(c, m, methods)));
}

/** The columns present in the rows, in table order. */
export function layerTableColumns(rows: LayerTableRow[], nullModels: readonly string[] = []): string[] {
  const all = ['layer', 'kind', 'depth', 'n_in', 'n_out', 'params', 'dtype', 'orientation', ...LAYER_TABLE_STATISTICS, ...SPECTRUM_NOTES, ...nullColumns(nullModels)];
  const known = new Set(all);
  // null-model columns of rows computed with other null models than named (API callers)
  const extra = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((c) => !known.has(c));
  return [...all, ...extra].filter((c) => rows.some((r) => c in r));
}

/** A layer to put in the table: its metadata and how to read its record. */
export interface LayerJob {
  depth: number;
  meta: LayerMeta;
  load(): LayerRecord;
  /**
   * `load` returns a new record every call (read from a file), which the table may hand over to a
   * worker thread instead of copying it. Otherwise (the default) the record is copied.
   */
  fresh?: boolean;
}

export interface LayerTableResult {
  rows: LayerTableRow[];
  /** One per row when spectra are on, for the ESD plots. */
  spectra: LayerSpectrum[];
}

/** Below this many weights in all, the table is computed on the calling thread (starting workers costs more). */
const WORKERS_FROM_WEIGHTS = 1 << 21;
/** From this many weights in a layer (a 512² layer), its Gram product is worth a helper thread (gram-helper.ts). */
const PARALLEL_GRAM_FROM_WEIGHTS = 1 << 18;

/**
 * The table of these layers, in their order. Layers are read one at a time (at most one per worker
 * in flight, so memory stays that of `threads` layers) and computed on `threads` worker threads
 * (default: one per core; models under 2M weights on the calling thread). The rows are the same
 * whichever thread computes them. With `--esd weightwatcher`, the
 * parts of a fused attention tensor take their spectrum from the whole tensor, computed once.
 */
export async function layerTableRows(jobs: LayerJob[], options: LayerTableOptions = {}, run: { threads?: number } = {}): Promise<LayerTableResult> {
  const fusedGroups = options.esd === 'weightwatcher' ? fusedParts(jobs) : new Map<LayerJob, LayerJob[]>();
  const siblingOf = new Map<LayerJob, LayerJob>();
  for (const [first, parts] of fusedGroups) for (const p of parts) if (p !== first) siblingOf.set(p, first);
  const fusedRecord = (job: LayerJob): LayerRecord | undefined => {
    const parts = fusedGroups.get(job);
    return parts ? concatOutputs(parts.map((p) => p.load()), job.meta.tensor ?? 'fused') : undefined;
  };
  const results: LayerRowResult[] = new Array(jobs.length);
  const weights = jobs.reduce((a, j) => a + (j.meta.params ?? 0), 0);
  // threads: as asked; by default one per core, but none for a small model (a worker costs ~50 ms to start)
  // (a layer's null models are tasks of their own: one layer with nulls still fills both cores)
  const tasks = jobs.length * (1 + nullModelsOf(options).length);
  const threads = Math.max(1, Math.min(run.threads ?? (weights < WORKERS_FROM_WEIGHTS ? 1 : availableParallelism()), tasks));
  if (threads === 1) {
    // on the calling thread alone: a large layer's Gram product may take the other core
    const largest = jobs.reduce((a, j) => Math.max(a, j.meta.params ?? 0), 0);
    const helper = largest >= PARALLEL_GRAM_FROM_WEIGHTS && useParallelGram();
    try {
      jobs.forEach((job, k) => {
        const spectral = siblingOf.has(job) ? { ...options, spectral: false } : options;
        results[k] = layerTableEntry(job.load(), job.depth, job.meta, spectral, fusedRecord(job));
      });
    } finally {
      if (helper) useParallelGram(false);
    }
  } else {
    await onWorkers(jobs, options, threads, siblingOf, fusedRecord, results);
  }
  // fused parts: the spectrum (and its null columns) of the whole tensor, from its first part
  for (const [job, first] of siblingOf) {
    const [row, from] = [results[jobs.indexOf(job)], results[jobs.indexOf(first)]];
    for (const [c, v] of Object.entries(from.row)) if (isSpectralColumn(c)) row.row[c] = v;
    row.spectrum = from.spectrum ? { ...from.spectrum, layer: String(row.row.layer) } : null;
  }
  return { rows: results.map((r) => r.row), spectra: results.flatMap((r) => (r.spectrum ? [r.spectrum] : [])) };
}

const SPECTRAL_COLUMNS = new Set(['spectral_norm', 'frobenius_norm', 'stable_rank', 'alpha', 'alpha_xmin', 'alpha_ks', 'n_evals', 'esd', 'alpha_note']);
const SPECTRAL_NULL_PREFIXES = Object.values(SPECTRAL_NULL_STATISTICS).flatMap((d) => [d.null, d.z]);
function isSpectralColumn(c: string): boolean {
  return SPECTRAL_COLUMNS.has(c) || SPECTRAL_NULL_PREFIXES.some((p) => c === p || c.startsWith(`${p}_`));
}

/** Jobs that are parts of one fused tensor (meta.part), grouped under their first part. */
function fusedParts(jobs: LayerJob[]): Map<LayerJob, LayerJob[]> {
  const byTensor = new Map<string, LayerJob[]>();
  for (const j of jobs) {
    if (!j.meta.part || !j.meta.tensor) continue;
    const list = byTensor.get(j.meta.tensor) ?? [];
    list.push(j);
    byTensor.set(j.meta.tensor, list);
  }
  const out = new Map<LayerJob, LayerJob[]>();
  for (const parts of byTensor.values()) {
    if (parts.length !== parts[0].meta.part!.of) continue; // not every part selected (--layer): each part alone
    parts.sort((a, b) => a.meta.part!.index - b.meta.part!.index);
    out.set(parts[0], parts);
  }
  return out;
}

/** The records side by side along the outputs: [nIn, Σ nOut] (a fused q/k/v tensor as one layer). */
function concatOutputs(records: LayerRecord[], name: string): LayerRecord {
  const nIn = records[0].shape[0];
  const nOut = records.reduce((a, r) => a + r.shape[1], 0);
  const weights = new Float32Array(nIn * nOut);
  let offset = 0;
  for (const r of records) {
    const m = r.shape[1];
    for (let i = 0; i < nIn; i++) weights.set(r.weights.subarray(i * m, (i + 1) * m), i * nOut + offset);
    offset += m;
  }
  return { name, weights, shape: [nIn, nOut], bias: null };
}

interface WorkerReply {
  id: number;
  result?: LayerBaseResult | LayerNullResult;
  error?: { name: string; message: string; stack?: string };
}

/** A unit of work: a layer's base row, or its columns for one null model (after the base: it needs the observed spectrum). */
type Task = { k: number; kind: 'base' } | { k: number; kind: 'null'; method: string; observed: SpectralStats | null };

/**
 * The rows on worker threads. Tasks: each layer's base row, then one task per null model (queued
 * first once the base is done, so a layer's nulls run side by side and its record is not held
 * long); every task reads its layer again (`load`), so only the layers being computed are in memory.
 */
async function onWorkers(
  jobs: LayerJob[], options: LayerTableOptions, threads: number, siblingOf: Map<LayerJob, LayerJob>,
  fusedRecord: (job: LayerJob) => LayerRecord | undefined, results: LayerRowResult[],
): Promise<void> {
  const methods = nullModelsOf(options);
  const url = new URL('./layer-table-worker.js', import.meta.url);
  const workers = Array.from({ length: threads }, () => new Worker(url));
  const queue: Task[] = jobs.map((_, k) => ({ k, kind: 'base' }));
  const bases: (LayerBaseResult | undefined)[] = new Array(jobs.length);
  const nulls: LayerNullResult[][] = jobs.map(() => []);
  let inFlight = 0;
  let wake: (() => void) | null = null;
  let nextId = 0;
  const run = (worker: Worker, task: Task): Promise<WorkerReply> => {
    const job = jobs[task.k];
    const layer = job.load();
    const fused = fusedRecord(job);
    const jobOptions = siblingOf.has(job) ? { ...options, spectral: false } : options;
    const id = nextId++;
    const transfer = job.fresh ? [layer.weights.buffer, ...(layer.bias ? [layer.bias.buffer] : []), ...(fused ? [fused.weights.buffer] : [])] as ArrayBuffer[] : [];
    return new Promise<WorkerReply>((resolve, reject) => {
      const onMessage = (m: WorkerReply): void => { if (m.id !== id) return; cleanup(); resolve(m); };
      const onError = (e: Error): void => { cleanup(); reject(e); };
      const cleanup = (): void => { worker.off('message', onMessage); worker.off('error', onError); };
      worker.on('message', onMessage);
      worker.on('error', onError);
      // transferred only when `load` made it for us: otherwise its caller may still hold it
      worker.postMessage({ id, kind: task.kind, layer, depth: job.depth, meta: job.meta, options: jobOptions, fused, ...(task.kind === 'null' ? { method: task.method, observed: task.observed } : {}) }, [...new Set(transfer)]);
    });
  };
  try {
    await Promise.all(workers.map(async (worker) => {
      for (;;) {
        const task = queue.shift();
        if (!task) {
          if (inFlight === 0) return;
          await new Promise<void>((r) => { const before = wake; wake = () => { before?.(); r(); }; });
          continue;
        }
        inFlight++;
        let reply: WorkerReply;
        try {
          reply = await run(worker, task);
        } finally {
          inFlight--;
        }
        if (reply.error) {
          const err = reply.error.name === 'UserError' ? new UserError(reply.error.message) : new Error(reply.error.message);
          if (reply.error.stack && reply.error.name !== 'UserError') err.stack = reply.error.stack;
          throw err;
        }
        if (task.kind === 'base') {
          const base = reply.result as LayerBaseResult;
          bases[task.k] = base;
          queue.unshift(...methods.map((method): Task => ({ k: task.k, kind: 'null', method, observed: base.observed })));
        } else nulls[task.k].push(reply.result as LayerNullResult);
        const base = bases[task.k];
        if (base && nulls[task.k].length === methods.length) {
          const order = nulls[task.k].sort((a, b) => methods.indexOf(a.method) - methods.indexOf(b.method));
          results[task.k] = withNulls(base, order);
        }
        const w = wake;
        wake = null;
        w?.();
      }
    }));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

const KIND_ORDER = ['embedding', 'attention.q', 'attention.k', 'attention.v', 'attention.o', 'ffn.in', 'ffn.out', 'conv', 'dense'];

function kindColors(rows: LayerTableRow[]): Map<string, string> {
  const kinds = [...new Set(rows.map((r) => String(r.kind)))].sort((a, b) => (KIND_ORDER.indexOf(a) + 1 || 99) - (KIND_ORDER.indexOf(b) + 1 || 99));
  return new Map(kinds.map((k, i) => [k, COLORS.others[i % COLORS.others.length]]));
}

/** Log-spaced bins over [lo, hi]: `count` bins of equal width in log λ. */
function logBins(lo: number, hi: number, count: number): number[] {
  const [a, b] = [Math.log10(lo), Math.log10(hi === lo ? hi * 1.01 : hi)];
  return Array.from({ length: count + 1 }, (_, i) => 10 ** (a + ((b - a) * i) / count));
}

/** log₁₀ of the density of the eigenvalues above the threshold in each bin (count / (n · width)), at the bin's geometric centre. */
function esdPoints(eigenvalues: Float64Array, edges: number[]): { x: number; y: number }[] {
  const counts = new Array<number>(edges.length - 1).fill(0);
  let n = 0;
  for (const v of eigenvalues) {
    if (!(v > EIGENVALUE_THRESHOLD)) continue;
    n++;
    let b = 0;
    while (b < counts.length - 1 && v >= edges[b + 1]) b++;
    if (v >= edges[0]) counts[b]++;
  }
  return counts.flatMap((c, b) => (c > 0 ? [{ x: Math.sqrt(edges[b] * edges[b + 1]), y: Math.log10(c / (n * (edges[b + 1] - edges[b]))) }] : []));
}

/**
 * The overlaid ESD of one layer: log–log density of its eigenvalues (solid), of its null models'
 * pooled samples (dashed), and the fitted power law p(λ) = (n_tail/n)·(α−1)/x_min·(λ/x_min)^−α
 * above x_min (dotted), as WeightWatcher plots it.
 */
function esdChart(doc: Document, spectrum: LayerSpectrum): SVGSVGElement | null {
  const above = (ev: Float64Array): Float64Array => ev.filter((v) => v > EIGENVALUE_THRESHOLD);
  const own = above(spectrum.eigenvalues);
  const all = [own, ...spectrum.nulls.map((n) => above(n.eigenvalues))].filter((e) => e.length > 0);
  if (own.length === 0) return null;
  const lo = Math.min(...all.map((e) => e[0]));
  const hi = Math.max(...all.map((e) => e[e.length - 1]));
  const edges = logBins(lo, hi, Math.max(8, Math.min(40, Math.round(Math.sqrt(own.length) * 1.5))));
  // markers on the layer's own density: its tail bins are sparse, and a line alone would hide the empty ones between them
  const series: LineSeries[] = [{ id: 'layer', label: 'layer', points: esdPoints(own, edges), color: COLORS.reference, markers: true }];
  spectrum.nulls.forEach((n, i) => {
    series.push({ id: `null-${n.method}`, label: `null ${n.method}`, points: esdPoints(above(n.eigenvalues), edges), color: COLORS.others[i % COLORS.others.length], dash: DASH.signed, markers: false });
  });
  const { alpha, alphaXMin: xMin } = spectrum;
  if (Number.isFinite(alpha) && xMin > 0) {
    const tail = own.filter((v) => v >= xMin).length / own.length;
    const at = (x: number): { x: number; y: number } => ({ x, y: Math.log10((tail * (alpha - 1)) / xMin) - alpha * Math.log10(x / xMin) });
    series.push({ id: 'fit', label: `power law α = ${alpha.toPrecision(3)}`, points: [at(xMin), at(own[own.length - 1])], color: COLORS.hard, dash: DASH.dotted, markers: false });
  }
  const note = Number.isFinite(alpha) ? '' : ` (no α: ${own.length < MIN_EIGENVALUES_FOR_ALPHA ? `fewer than ${MIN_EIGENVALUES_FOR_ALPHA} eigenvalues` : 'no fit'})`;
  return lineChart(doc, {
    title: `${spectrum.layer}${note}`,
    xLabel: 'eigenvalue λ of WᵀW',
    yLabel: 'log₁₀ density',
    series,
    xScale: 'log10',
    vLines: Number.isFinite(alpha) ? [{ value: xMin, label: 'x_min', color: COLORS.hard, dash: DASH.dotted }] : [],
    width: 420,
    height: 280,
  });
}

/** The HTML page: one chart per statistic against depth, the ESD of every layer, then the table itself. */
export function layerTableHtml(rows: LayerTableRow[], title: string, spectra: LayerSpectrum[] = [], nullModels: readonly string[] = []): string {
  const doc = chartDocument();
  const colors = kindColors(rows);
  const legend = [...colors].map(([label, color]) => ({ label, color, kind: 'box' as const }));
  const columns = layerTableColumns(rows, nullModels);
  const charts: string[] = [];
  const statistics = new Set<string>(LAYER_TABLE_STATISTICS);
  for (const stat of columns.filter((c) => statistics.has(c) || c.startsWith('z_') || c.startsWith('null_'))) {
    const points = rows
      .filter((r) => typeof r[stat] === 'number' && Number.isFinite(r[stat]))
      .map((r) => ({ x: Number(r.depth), y: Number(r[stat]), label: String(r.layer), color: colors.get(String(r.kind)) }));
    if (points.length === 0) continue;
    const svg = scatter(doc, { title: stat, xLabel: 'layer (in file order)', yLabel: stat, points, fit: false, labels: false, legend, width: 460, height: 300, xTicks: rows.map((r) => ({ value: Number(r.depth), label: String(r.layer) })) });
    charts.push(`<figure id="chart-${escapeHtml(stat)}">${svg.outerHTML}</figure>`);
  }
  const esd: string[] = [];
  spectra.forEach((sp, k) => {
    const svg = esdChart(doc, sp);
    if (svg) esd.push(`<figure class="esd" id="esd-${k}" data-layer="${escapeHtml(sp.layer)}">${svg.outerHTML}</figure>`);
  });
  doc.defaultView?.close();
  const fmt = (r: LayerTableRow, c: string): string => {
    const v = r[c];
    if (c === 'alpha' && v === null && r.alpha_note) return `<span title="${escapeHtml(String(r.alpha_note))}">— (${escapeHtml(String(r.alpha_note))})</span>`;
    return typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : escapeHtml(v ?? '—');
  };
  const table = `<table><thead><tr>${columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${columns.map((c) => `<td>${fmt(r, c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
  // open by default unless there are many (then one click away, so the table is not pages down)
  const esdIntro = spectra.length
    ? `<details class="esd"${spectra.length <= 12 ? ' open' : ''}><summary><h2>Eigenvalue spectra (${spectra.length} layers)</h2></summary>
<p>Each layer's empirical spectral density (ESD: the eigenvalues of WᵀW, log–log), ${nullModels.length ? `its null models' (dashed: all samples pooled; ${nullModels.map(escapeHtml).join(', ')}), ` : ''}and the power-law fit above x_min (dotted), as WeightWatcher plots it. No α for fewer than ${MIN_EIGENVALUES_FOR_ALPHA} eigenvalues.</p>
<div class="charts">
${esd.join('\n')}
</div>
</details>`
    : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; }
.charts { display: flex; flex-wrap: wrap; gap: 0.5rem; }
figure { margin: 0; }
.table { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; font-size: 12px; margin-top: 1rem; }
table { display: block; max-width: 100%; overflow-x: auto; }
th:first-child, td:first-child { position: sticky; left: 0; background: #fff; }
th, td { border: 1px solid #ddd; padding: 2px 6px; text-align: right; }
td:first-child, th:first-child { text-align: left; }
details.esd summary h2 { display: inline; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>${rows.length} layers. Definitions: docs/statistics.md; layer kinds and orientation: docs/formats.md.</p>
<div class="charts">
${charts.join('\n')}
</div>
${esdIntro}
<div class="table">${table}</div>
</body>
</html>
`;
}

/** Write `layers.csv`, `layers.json` and `layers.html` into `dir`, each atomically. */
export function writeLayerTable(
  dir: string, rows: LayerTableRow[], info: { model: string; options: LayerTableOptions; spectra?: LayerSpectrum[] },
): { csv: string; json: string; html: string } {
  const csv = join(dir, 'layers.csv');
  const json = join(dir, 'layers.json');
  const html = join(dir, 'layers.html');
  const nulls = nullModelsOf(info.options);
  const columns = layerTableColumns(rows, nulls);
  writeFileAtomic(csv, csvFormat(rows, columns) + '\n');
  writeJsonAtomic(json, { model: info.model, options: info.options, columns, layers: rows });
  writeFileAtomic(html, layerTableHtml(rows, `weightscope layers of ${info.model}`, info.spectra ?? [], nulls));
  return { csv, json, html };
}

/** Numbers for the console table: 4 significant digits, '—' for undefined. */
function cell(x: string | number | null | undefined): string {
  if (x === null || x === undefined || (typeof x === 'number' && Number.isNaN(x))) return '—';
  if (typeof x === 'string') return x;
  if (Number.isInteger(x)) return String(x);
  return Math.abs(x) >= 1e4 || Math.abs(x) < 1e-3 ? x.toExponential(3) : String(Number(x.toPrecision(4)));
}

/** Fixed-width text table (first column left-aligned, the rest right-aligned). */
function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const fmt = (r: string[]): string => r.map((x, c) => (c === 0 ? x.padEnd(widths[c]) : x.padStart(widths[c]))).join('  ');
  return [fmt(header), ...rows.map(fmt)].join('\n') + '\n';
}

/** Console headers of the table's columns (the CSV has them all; the console the informative ones). */
const CONSOLE_COLUMNS: [string, string][] = [
  ['density', 'density'], ['frac_pos', 'frac+'], ['sd_w', 'σ(w)'],
  ['assortativity', 'assort'], ['assortativity_pos', 'assort+'], ['assortativity_neg', 'assort−'], ['nodf_pos', 'NODF+'], ['nodf_neg', 'NODF−'],
  ['pc_all', 'pc'], ['pc_pos', 'pc+'], ['pc_neg', 'pc−'],
  ['spectral_norm', '‖W‖₂'], ['stable_rank', 'stable rank'], ['alpha', 'α'], ['alpha_ks', 'KS'],
];
const CONSOLE_NULL_COLUMNS: [string, string][] = [
  ['z_nodf_pos', 'z NODF+'], ['z_nodf_neg', 'z NODF−'], ['z_assortativity', 'z assort'], ['z_assortativity_pos', 'z assort+'], ['z_assortativity_neg', 'z assort−'],
  ['z_spectral_norm', 'z ‖W‖₂'], ['z_stable_rank', 'z srank'], ['z_alpha', 'z α'],
];

/**
 * The console table of `stats --all-layers`: the informative columns only — a column that is
 * undefined on every row (the whole-graph assortativity of dense unpruned layers, whose degrees are
 * all equal) is left out, and said so below the table; α is not printed for layers with fewer than
 * MIN_EIGENVALUES_FOR_ALPHA eigenvalues (a footnote says which).
 */
export function layerTableText(rows: LayerTableRow[], options: LayerTableOptions = {}): string {
  const methods = nullModelsOf(options);
  const candidates: [string, string][] = [
    ...CONSOLE_COLUMNS,
    ...(methods.length <= 1 ? CONSOLE_NULL_COLUMNS : methods.flatMap((m) => CONSOLE_NULL_COLUMNS.map(([c, h]): [string, string] => [nullColumn(c, m, methods), `${h} ${m}`]))),
  ];
  const present = candidates.filter(([c]) => rows.some((r) => c in r));
  const informative = present.filter(([c]) => rows.some((r) => typeof r[c] === 'number' && Number.isFinite(r[c])));
  const dropped = present.filter((p) => !informative.includes(p)).map(([, h]) => h);
  const noAlpha = rows.filter((r) => r.alpha === null && r.alpha_note);
  const body = rows.map((r) => [
    String(r.layer), String(r.kind), `${r.n_in}×${r.n_out}`,
    ...informative.map(([c]) => (c === 'alpha' && r.alpha === null && r.alpha_note ? '—*' : cell(r[c]))),
  ]);
  let out = textTable(['layer', 'kind', 'shape', ...informative.map(([, h]) => h)], body);
  if (noAlpha.length) {
    const few = noAlpha.some((r) => /< \d+\)$/.test(String(r.alpha_note)));
    out += `* no α: ${noAlpha.map((r) => `${r.layer} (${r.alpha_note})`).join(', ')}${few ? `; a power law fitted to fewer than ${MIN_EIGENVALUES_FOR_ALPHA} eigenvalues says nothing (WeightWatcher skips such layers)` : ''}\n`;
  }
  const formed = rows.filter((r) => typeof r.esd === 'string' && r.esd !== 'layer');
  if (formed.length) out += `spectra as WeightWatcher forms them: ${formed.map((r) => `${r.layer}: ${r.esd}`).join('; ')}\n`;
  if (dropped.length) out += `undefined on every layer, not shown: ${dropped.join(', ')} (the whole-graph assortativity of a dense layer, whose units all have the same degree; z-scores of what a null model keeps, e.g. NODF under B; the CSV has every column)\n`;
  return out;
}
