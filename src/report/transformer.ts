/**
 * report.html of `weightscope transformer`: token accuracy and macro-F1 against depth for each
 * probe and each layer kind (attention vs feed-forward), the residual-branch comparison, and the
 * graph statistics of every layer beside its probe results. Medians over the trained models with
 * min–max bands (docs/transformer.md).
 */
import { chartDocument } from './dom.js';
import { writeFileAtomic, writeJsonAtomic } from '../core/io.js';
import { runPaths } from '../core/run-folder.js';
import type { ResultRow } from '../core/results.js';
import { COLORS, DASH, lineChart, smallMultiples, type LegendItem, type LineSeries } from './charts.js';
import { configTables, escapeHtml, page } from './page.js';
import type { TaskScores } from '../data/brown.js';
import type { WindowMlpConfig } from '../model/transformer/window-mlp.js';

export interface TransformerLayerStats {
  run: number;
  layer: string;
  shape: [number, number];
  sigma: number;
  meanAbs: number;
  fractionPositive: number;
  /** Mean positive degree of the input units (rows) and of the output units (columns). */
  meanKPlusIn: number;
  meanKPlusOut: number;
}

/** The window-MLP baseline's scores, as the study saves them (models/<task>/window-mlp.json). */
export interface WindowBaseline {
  evaluation: TaskScores;
  test: TaskScores;
  seconds: number;
  config: WindowMlpConfig;
  tokens: number;
}

export interface TransformerBaselines {
  mostFrequentTag: { evaluation: TaskScores; test: TaskScores };
  windowMlp?: WindowBaseline;
}

export interface TransformerReportInput {
  rows: ResultRow[];
  layers: TransformerLayerStats[];
  baselines: TransformerBaselines;
  config: Record<string, unknown>;
  layerOrder: string[];
  /** Each trained tagger scored on the whole test set. */
  taggersOnTest: TaskScores[];
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export interface TransformerSummaryRow {
  probe: string;
  variant: string;
  layer: string;
  metric: 'accuracy' | 'f1';
  median: number;
  min: number;
  max: number;
  runs: number;
}

/** Per (probe, variant, layer): the median and range over runs (seeds averaged within a run first). */
export function summarizeTransformerRows(rows: ResultRow[], metric: 'accuracy' | 'f1'): Map<string, TransformerSummaryRow> {
  const groups = new Map<string, Map<number, number[]>>();
  for (const r of rows) {
    const v = metric === 'f1' ? r.f1 : r.accuracy;
    if (v === undefined) continue;
    const key = `${r.probe}|${r.variant}|${r.layer}`;
    if (!groups.has(key)) groups.set(key, new Map());
    const byRun = groups.get(key)!;
    if (!byRun.has(r.run)) byRun.set(r.run, []);
    byRun.get(r.run)!.push(v);
  }
  const out = new Map<string, TransformerSummaryRow>();
  for (const [key, byRun] of groups) {
    const perRun = [...byRun.values()].map((vs) => vs.reduce((s, x) => s + x, 0) / vs.length);
    const [probe, variant, layer] = key.split('|');
    out.set(key, { probe, variant, layer, metric, median: median(perRun), min: Math.min(...perRun), max: Math.max(...perRun), runs: perRun.length });
  }
  return out;
}

/** [probe, variant, label, short label for table headers]. */
const PROBE_LABELS: [string, string, string, string][] = [
  ['binarize', 'reference', 'binarize: sign(w), sign(b)', 'sign(w), sign(b)'],
  ['binarize', 'scaled', 'sign(w)·mean|w|, bias kept', 'sign(w)·mean|w|'],
  ['prune', 'reference', 'prune 50% smallest, then sign', 'prune 50%, sign'],
  ['binarize+noise', 'relative', 'noise U(±σ(w)) before sign', 'noise σ(w), sign'],
  ['randomize', 'B', 'rand. B (sign pattern kept)', 'rand. B'],
  ['randomize', 'E', 'rand. E (per input, by sign)', 'rand. E'],
  ['randomize', 'F', 'rand. F (per output, by sign)', 'rand. F'],
  ['randomize', 'curveball', 'Curveball (degrees kept)', 'Curveball'],
];

/** A table header cell: the short label, the full one on hover. */
const probeHead = ([, , label, short]: [string, string, string, string]): string => `<th title="${escapeHtml(label)}">${escapeHtml(short)}</th>`;

/** A table in a box that scrolls sideways rather than widen the page. */
const wrap = (tableHtml: string): string => `<div class="table-wrap">${tableHtml}</div>`;
const KINDS = ['attn.q', 'attn.k', 'attn.v', 'attn.o', 'ffn.in', 'ffn.out'];

const pct = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : (100 * x).toFixed(1));

/** The f1 column's meaning: entity F1 for the names task, macro-F1 otherwise. */
export function f1Label(rows: ResultRow[]): string {
  return rows.some((r) => r.task === 'brown-names') ? 'entity F1' : 'macro-F1';
}

/** Median [min–max] of a metric over the trained taggers. */
function spread(values: number[]): string {
  if (values.length === 0) return '–';
  return `${pct(median(values))} [${pct(Math.min(...values))}–${pct(Math.max(...values))}]`;
}

function baselineSection(input: TransformerReportInput, base: TransformerSummaryRow | undefined, baseF1: TransformerSummaryRow | undefined): string {
  const { mostFrequentTag: mft, windowMlp } = input.baselines;
  const names = mft.test.entityF1 !== undefined;
  const rowF1 = (s: TaskScores) => s.entityF1 ?? s.f1;
  const testCells = (acc: string, f1: string, entity: string) => `<td>${acc}</td><td>${f1}</td>${names ? `<td>${entity}</td>` : ''}`;
  const ours = input.taggersOnTest;
  const line = (label: string, evalAcc: string, evalF1: string, test: TaskScores | undefined) =>
    `<tr><td>${label}</td><td>${evalAcc}</td><td>${evalF1}</td>${test ? testCells(pct(test.accuracy), pct(test.f1), pct(test.entityF1)) : testCells('–', '–', '–')}</tr>`;
  // "2.10 points above" / "0.40 points below": the median tagger against a baseline score
  const versus = (values: number[], baseline: number) => {
    const d = 100 * (median(values) - baseline);
    return `${Math.abs(d).toFixed(2)} points ${d >= 0 ? 'above' : 'below'}`;
  };
  const margin = ours.length
    ? `<p>On the whole test set the transformer's median token accuracy is ${versus(ours.map((s) => s.accuracy), mft.test.accuracy)} the most-frequent-tag baseline ` +
      `(macro-F1: ${versus(ours.map((s) => s.f1), mft.test.f1)}${names ? `; entity F1: ${versus(ours.map((s) => s.entityF1 ?? 0), mft.test.entityF1 ?? 0)}` : ''})` +
      (windowMlp ? ` and ${versus(ours.map((s) => s.accuracy), windowMlp.test.accuracy)} the window MLP's.</p>` : '.</p>')
    : '';
  return `<section id="baselines"><h2>Tagger and baselines</h2>
<p>Transformer: median over ${base?.runs ?? 0} trained models [min–max]. The evaluation sample (${escapeHtml(input.rows.find((r) => r.probe === 'baseline')?.n_test ?? 0)} held-out tokens) is what every probed model is scored on; the whole test set has ${mft.test.n} tokens.</p>
<div class="table-wrap"><table><tr><th>model</th><th>sample: accuracy %</th><th>sample: ${f1Label(input.rows)} %</th><th>test set: accuracy %</th><th>test set: macro-F1 %</th>${names ? '<th>test set: entity F1 %</th>' : ''}</tr>
<tr><td>transformer tagger</td><td>${pct(base?.median)} [${pct(base?.min)}–${pct(base?.max)}]</td><td>${pct(baseF1?.median)} [${pct(baseF1?.min)}–${pct(baseF1?.max)}]</td>${testCells(spread(ours.map((s) => s.accuracy)), spread(ours.map((s) => s.f1)), spread(ours.map((s) => s.entityF1 ?? NaN)))}</tr>
${windowMlp ? line(`MLP on a ±${windowMlp.config.radius}-token window of embeddings (${windowMlp.tokens.toLocaleString('en-US')} training tokens)`, pct(windowMlp.evaluation.accuracy), pct(rowF1(windowMlp.evaluation)), windowMlp.test) : ''}
${line('most frequent tag per word (every training word; unseen words: the hapaxes\' most frequent tag)', pct(mft.evaluation.accuracy), pct(rowF1(mft.evaluation)), mft.test)}
</table></div>${margin}</section>`;
}

export function buildTransformerReport(input: TransformerReportInput): string {
  const doc = chartDocument();
  const acc = summarizeTransformerRows(input.rows, 'accuracy');
  const f1 = summarizeTransformerRows(input.rows, 'f1');
  const get = (m: Map<string, TransformerSummaryRow>, probe: string, variant: string, layer: string) => m.get(`${probe}|${variant}|${layer}`);
  const base = get(acc, 'baseline', 'reference', 'all');
  const baseF1 = get(f1, 'baseline', 'reference', 'all');
  const blocks = Number((input.config.config as { blocks?: number } | undefined)?.blocks ?? 0);
  const parts: string[] = [];

  parts.push(baselineSection(input, base, baseF1));

  // metric vs depth: one panel per probe, one series per layer kind, the blocks named on the axis
  const blockTicks = Array.from({ length: blocks }, (_, b) => ({ value: b, label: `block${b}` }));
  const panels: { label: string; series: LineSeries[] }[] = [];
  for (const [probe, variant, label] of PROBE_LABELS) {
    const series: LineSeries[] = [];
    KINDS.forEach((kind, k) => {
      const points = Array.from({ length: blocks }, (_, b) => get(acc, probe, variant, `block${b}.${kind}`))
        .map((s, b) => (s ? { x: b, y: s.median, lo: s.min, hi: s.max } : null))
        .filter((p): p is NonNullable<typeof p> => p !== null);
      if (points.length) series.push({ id: kind, label: kind, points, color: COLORS.others[k], dash: kind.startsWith('ffn') ? DASH.signed : '' });
    });
    for (const [branch, color] of [['attn', COLORS.easy], ['ffn', COLORS.hard]] as const) {
      const points = Array.from({ length: blocks }, (_, b) => get(acc, probe, variant, `block${b}.${branch}`))
        .map((s, b) => (s ? { x: b, y: s.median, lo: s.min, hi: s.max } : null))
        .filter((p): p is NonNullable<typeof p> => p !== null);
      if (points.length) series.push({ id: `${branch}-branch`, label: `whole ${branch} branch`, points, color, band: false });
    }
    if (series.length) panels.push({ label, series });
  }
  const mft = input.baselines.mostFrequentTag.evaluation.accuracy;
  const legend: LegendItem[] = [...new Map(panels.flatMap((p) => p.series).map((s) => [s.id, { label: s.label, color: s.color, dash: s.dash }])).values()];
  legend.push({ label: 'unprobed model', color: COLORS.chance, dash: '4 3' }, { label: 'most-frequent tag', color: COLORS.chance, dash: DASH.dotted });
  if (panels.length)
    parts.push(`<section id="depth"><h2>Token accuracy against depth, per probe and layer kind</h2>
<p class="note">Each point: one projection (dashed: feed-forward) or one whole branch probed alone, every other layer intact; median over models, band = min–max.</p>
<figure>${smallMultiples(doc, {
      items: panels,
      width: 1136,
      minPanelWidth: 270,
      panelHeight: 230,
      legend,
      draw: (p, size, _i, column) =>
        lineChart(doc, {
          title: p.label, xLabel: 'block (depth)', yLabel: column === 0 ? 'token accuracy' : undefined, marginLeft: 50, series: p.series, xTicks: blockTicks, legend: false, ...size,
          hLines: [...(base ? [{ value: base.median }] : []), { value: mft, color: COLORS.chance, dash: DASH.dotted }],
        }),
    }).outerHTML}</figure></section>`);

  // cumulative prefixes and suffixes
  const spans: string[] = [];
  const spanNames = [
    ...Array.from({ length: blocks }, (_, k) => `blocks0-${k}`).map((n) => (n === 'blocks0-0' ? 'block0' : n)),
    ...Array.from({ length: blocks }, (_, k) => `blocks${k}-${blocks - 1}`).map((n, k) => (k === blocks - 1 ? `block${blocks - 1}` : k === 0 ? `blocks0-${blocks - 1}` : n)),
  ];
  const spanRows = [...new Set(spanNames)].map((name) => {
    const cells = PROBE_LABELS.map(([p, v]) => get(acc, p, v, name)).map((s) => `<td>${pct(s?.median)}</td>`).join('');
    return `<tr><td>${escapeHtml(name)}</td>${cells}</tr>`;
  });
  spans.push(wrap(`<table><tr><th>blocks probed</th>${PROBE_LABELS.map(probeHead).join('')}</tr>${spanRows.join('')}</table>`));
  parts.push(`<section id="spans"><h2>Cumulative prefixes and suffixes of blocks</h2><p>Token accuracy % (median over models) with every block in the span probed.</p>${spans.join('')}</section>`);

  // residual compensation
  const resid = Array.from({ length: blocks }, (_, b) => ['attn', 'ffn'].map((br) => {
    const name = `block${b}.${br}`;
    const removed = get(acc, 'baseline', 'branch-removed', name);
    const bin = get(acc, 'binarize', 'reference', name);
    const scaled = get(acc, 'binarize', 'scaled', name);
    const rnd = get(acc, 'randomize', 'B', name);
    return `<tr><td>${name}</td><td>${pct(removed?.median)}</td><td>${pct(bin?.median)}</td><td>${pct(scaled?.median)}</td><td>${pct(rnd?.median)}</td></tr>`;
  }).join('')).join('');
  parts.push(`<section id="residual"><h2>Residual stream: branch damaged vs branch removed</h2>
<p>Removing a branch keeps the skip path: x ← x instead of x ← x + branch(x). A damaged branch scoring below its removal means the residual stream does not shield the rest of the network from it.</p>
${wrap(`<table><tr><th>branch</th><th>removed</th><th>binarized (reference)</th><th>binarized (scaled)</th><th>randomized B</th></tr>${resid}</table>`)}</section>`);

  // per-layer table: graph statistics beside the probe results
  const statsBy = new Map<string, TransformerLayerStats[]>();
  for (const s of input.layers) {
    if (!statsBy.has(s.layer)) statsBy.set(s.layer, []);
    statsBy.get(s.layer)!.push(s);
  }
  const layerRows = input.layerOrder.map((name) => {
    const st = statsBy.get(name) ?? [];
    const m = (f: (s: TransformerLayerStats) => number) => median(st.map(f));
    const cells = PROBE_LABELS.map(([p, v]) => {
      const a = get(acc, p, v, name);
      const f = get(f1, p, v, name);
      return `<td>${pct(a?.median)}<br><small>${pct(f?.median)}</small></td>`;
    }).join('');
    return `<tr><td>${escapeHtml(name)}</td><td>${st[0] ? st[0].shape.join('×') : ''}</td><td>${m((s) => s.sigma).toPrecision(3)}</td><td>${m((s) => s.meanAbs).toPrecision(3)}</td><td>${pct(m((s) => s.fractionPositive))}</td><td>${m((s) => s.meanKPlusIn).toFixed(1)}</td><td>${m((s) => s.meanKPlusOut).toFixed(1)}</td>${cells}</tr>`;
  });
  parts.push(`<section id="layers"><h2>Every layer: graph statistics and probe results</h2>
<p>Statistics: medians over models. Probe cells: token accuracy % (${f1Label(input.rows)} % below), that layer alone probed; hover a header for the probe.</p>
${wrap(`<table class="wide"><tr><th>layer</th><th>nIn×nOut</th><th>σ(w)</th><th>mean|w|</th><th>% pos.</th><th title="mean positive degree of an input unit">k+ in</th><th title="mean positive degree of an output unit">k+ out</th>${PROBE_LABELS.map(probeHead).join('')}</tr>
${layerRows.join('\n')}</table>`)}</section>`);
  parts.push(`<section id="config"><h2>Run configuration</h2>${configTables(input.config)}</section>`);

  doc.defaultView?.close();
  const model = (input.config.model ?? {}) as Record<string, unknown>;
  const shape = ['blocks', 'dim', 'heads', 'ffn'].filter((k) => model[k] !== undefined).map((k) => `${k} ${String(model[k])}`).join(', ');
  const runs = new Set(input.rows.map((r) => r.run)).size;
  return page({
    title: 'weightscope transformer: the layer-by-layer study',
    lead: `${input.rows.length} evaluations · ${runs} trained model${runs === 1 ? '' : 's'}${shape ? ` · ${shape}` : ''}`,
    nav: [['baselines', 'Baselines'], ['depth', 'Against depth'], ['spans', 'Prefixes and suffixes'], ['residual', 'Residual stream'], ['layers', 'Every layer'], ['config', 'Configuration']],
    body: parts.join('\n'),
    css: 'table.wide td, table.wide th { text-align: right; } table.wide td:first-child { text-align: left; white-space: nowrap; } small { color: #777; }',
  });
}

export function writeTransformerReport(dir: string, input: TransformerReportInput): string {
  const html = buildTransformerReport(input);
  const paths = runPaths(dir);
  writeFileAtomic(paths.report, html);
  const summary = [...summarizeTransformerRows(input.rows, 'accuracy').values(), ...summarizeTransformerRows(input.rows, 'f1').values()];
  writeJsonAtomic(paths.summary, { baselines: input.baselines, rows: summary });
  return paths.report;
}
