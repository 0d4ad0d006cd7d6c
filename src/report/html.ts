/**
 * report.html: one self-contained page (inline CSS, inline SVG rendered here with jsdom and the
 * same chart code the viewer uses; no scripts, fonts or network). Node only.
 *
 * Every section is built from the rows it needs; a probe the run did not include gives a
 * "not run" note instead of a chart, so a report of any subset of the sweep builds.
 */
import { chartDocument } from './dom.js';
import type { ProbeName, ResultRow } from '../core/index.js';
import { writeFileAtomic, writeJsonAtomic } from '../core/io.js';
import { runPaths } from '../core/run-folder.js';
import { filterCurves, groupCurves, stat, type Curve, type Stat } from './aggregate.js';
import { barChart, COLORS, DASH, heatmap, histogramChart, integerHistogram, lineChart, scatter, taskColors, type BarDatum, type BarKey, type LineChartSpec, type LineSeries, type RefLine } from './charts.js';
import { evaluateClaims, fmtStat, type ClaimResult, type ClaimThresholds } from './claims.js';
import { foldBelowChance } from './allpairs.js';
import { biasOf, buildSummary, tasksFromRows, type SsimRow, type Summary, type SummaryOptions, type TaskInfo, type TaskSummary } from './summary.js';

/** Per-unit sign degrees of one side of a layer (e.g. from the stats module's unitStats). */
export interface SideDegrees {
  kPlus: ArrayLike<number>;
  kMinus: ArrayLike<number>;
}

/** What the report needs from one trained layer: its sign degrees and σ(w). */
export interface LayerInput {
  task: string;
  run: number;
  layer: string;
  /** The layer's input units (degrees over its outputs). */
  in?: SideDegrees;
  /** The layer's output units (degrees over its inputs). */
  out?: SideDegrees;
  /** σ(w) of the layer's weights: the noise chart's reference line (averaged over runs). */
  sigma?: number;
  /** Mean of the layer's weights (zeros included) and its number of weight slots: with sigma, they give σ pooled over layers. */
  mean?: number;
  count?: number;
}

/**
 * σ(w) pooled over the layers of each trained model (np.std of all its weights together, as the
 * reference's noise figure), then the median over the task's runs (its vertical line). Null where
 * a layer lacks mean or count.
 */
export function pooledSigmaByTask(layers: LayerInput[]): Map<string, number> {
  const byModel = new Map<string, { task: string; parts: LayerInput[] }>();
  for (const l of layers) {
    const k = `${l.task}|${l.run}`;
    let e = byModel.get(k);
    if (!e) byModel.set(k, (e = { task: l.task, parts: [] }));
    e.parts.push(l);
  }
  const perTask = new Map<string, number[]>();
  for (const { task, parts } of byModel.values()) {
    if (parts.some((p) => p.sigma === undefined || p.mean === undefined || !p.count)) continue;
    const n = parts.reduce((s, p) => s + p.count!, 0);
    const mean = parts.reduce((s, p) => s + p.count! * p.mean!, 0) / n;
    const second = parts.reduce((s, p) => s + p.count! * (p.sigma! ** 2 + p.mean! ** 2), 0) / n;
    const list = perTask.get(task) ?? [];
    list.push(Math.sqrt(Math.max(0, second - mean * mean)));
    perTask.set(task, list);
  }
  const out = new Map<string, number>();
  for (const [task, values] of perTask) out.set(task, stat(values)!.median);
  return out;
}

export interface ReportInput {
  rows: ResultRow[];
  /** Task infos; derived from the rows' task names when absent. */
  tasks?: TaskInfo[];
  /** The dataset's class-pair SSIM ranking. */
  ssim?: SsimRow[];
  /** run.json, shown as the run configuration. */
  config?: Record<string, unknown>;
  /** Per trained layer: sign degrees and σ(w). */
  layers?: LayerInput[];
  title?: string;
  summaryOptions?: SummaryOptions;
  claimThresholds?: Partial<ClaimThresholds>;
}

export interface BuiltReport {
  html: string;
  summary: Summary;
  claims: ClaimResult[];
}

// ---------------------------------------------------------------------------------------------
// small HTML helpers

export function escapeHtml(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function section(id: string, heading: string, body: string): string {
  return `<section id="${id}">\n<h2>${escapeHtml(heading)}</h2>\n${body}\n</section>`;
}

function notRun(what: string): string {
  return `<p class="not-run">Not run: this run has no ${what} rows.</p>`;
}

function table(headers: string[], rows: string[][], cls = ''): string {
  const head = headers.map((h) => `<th>${h}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table class="${cls}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function num(x: number | null | undefined, digits = 3): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits);
}

/** mean ± sd, and the reference's median [q1, q3] beside it. */
function statCell(s: Stat | null | undefined): string {
  if (!s) return '—';
  const iqr = s.n > 1 ? ` <span class="muted" title="median [interquartile range] over runs, as the reference's figures">med ${num(s.median)} [${num(s.q1)}, ${num(s.q3)}]</span>` : '';
  return `<span title="mean ± sd over runs; min ${num(s.min)}, max ${num(s.max)}, n = ${s.n}">${fmtStat(s)}</span>${iqr}`;
}

function taskLabel(t: { task: string; difficulty: string }, colors: Map<string, string>): string {
  return `<span class="task-label"><span class="swatch" style="background:${colors.get(t.task) ?? COLORS.reference}"></span>${escapeHtml(t.task)} <span class="muted">(${escapeHtml(t.difficulty)})</span></span>`;
}

export const CSS = `
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #222; background: #f6f7f9; margin: 0; line-height: 1.45; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 20px 60px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 0 0 10px; padding-bottom: 4px; border-bottom: 2px solid #e3e6ea; }
h3 { font-size: 15px; margin: 16px 0 6px; }
section { background: #fff; border: 1px solid #e3e6ea; border-radius: 8px; padding: 16px 20px; margin: 16px 0; }
nav { font-size: 13px; margin: 8px 0 0; }
nav a { color: #1f66b3; margin-right: 12px; text-decoration: none; }
p.lead { color: #555; margin: 0; }
.muted { color: #777; }
.note { color: #555; font-size: 13px; }
.not-run { color: #8a6d00; background: #fff8e1; border: 1px solid #f3e2a9; border-radius: 4px; padding: 6px 10px; display: inline-block; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0 10px; }
th, td { border-bottom: 1px solid #e8eaed; padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #f2f4f7; font-weight: 600; }
.task-label { white-space: nowrap; }
table.claims td:first-child { min-width: 320px; max-width: 420px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:hover { background: #fafbfc; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: baseline; }
.charts { display: flex; flex-wrap: wrap; gap: 14px; align-items: flex-start; }
.charts svg, figure svg { max-width: 100%; height: auto; border: 1px solid #eef0f3; border-radius: 4px; }
figure { margin: 0; }
figcaption { font-size: 12px; color: #666; margin-top: 4px; max-width: 560px; }
.verdict { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; white-space: nowrap; }
.v-holds { background: #dcf3e3; color: #1d6b35; }
.v-does-not-hold { background: #fbe0dd; color: #9b2418; }
.v-mixed { background: #fff1cc; color: #7a5a00; }
.v-not-tested { background: #eceff3; color: #555; }
ul.evidence { margin: 2px 0; padding-left: 18px; font-size: 12.5px; }
.rule { font-size: 11.5px; color: #777; }
.ssim-grid { display: flex; flex-wrap: wrap; gap: 0 28px; align-items: flex-start; }
.ssim-grid td { white-space: nowrap; }
tr.chosen td { background: #eef4fb; font-weight: 600; }
.bar-cell { min-width: 56px; }
.bar-cell span.bar { display: inline-block; height: 9px; background: #9db8d9; border-radius: 2px; vertical-align: middle; }
pre { background: #f6f8fa; padding: 8px; border-radius: 4px; font-size: 12px; overflow-x: auto; }
dl.config { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; font-size: 13px; margin: 6px 0; }
dl.config dt { color: #555; }
.config-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 0 28px; }
.config-grid h3 { margin: 10px 0 2px; font-size: 14px; }
dl.config dd { margin: 0; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; overflow-wrap: anywhere; }
`;

// ---------------------------------------------------------------------------------------------
// sections

interface Ctx {
  doc: Document;
  rows: ResultRow[];
  curves: Curve[];
  summary: Summary;
  tasks: TaskSummary[];
  colors: Map<string, string>;
  input: ReportInput;
}

function svg(el: SVGSVGElement): string {
  return el.outerHTML;
}

function figure(el: SVGSVGElement, caption?: string): string {
  return `<figure>${svg(el)}${caption ? `<figcaption>${caption}</figcaption>` : ''}</figure>`;
}

function hasProbe(ctx: Ctx, probe: ProbeName): boolean {
  return ctx.rows.some((r) => r.probe === probe);
}

const isScalar = (v: unknown): boolean => v === null || ['string', 'number', 'boolean'].includes(typeof v);

/** A scalar or an array of scalars as display text; null for anything deeper. */
function flatValue(v: unknown): string | null {
  if (isScalar(v)) return String(v);
  if (Array.isArray(v) && v.every(isScalar)) return v.map((x) => (typeof x === 'number' && !Number.isInteger(x) ? String(Number(x.toPrecision(6))) : String(x))).join(', ');
  return null;
}

function configSection(ctx: Ctx): string {
  const run = ctx.input.config;
  if (!run || Object.keys(run).length === 0) return section('config', 'Run configuration', '<p class="not-run">No run.json was given.</p>');
  const dl = (entries: [string, string][]): string => `<dl class="config">${entries.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>`;
  const top: [string, string][] = [];
  const groups: string[] = [];
  const deep: string[] = [];
  for (const [k, v] of Object.entries(run)) {
    const flat = flatValue(v);
    if (flat !== null) {
      top.push([k, flat]);
      continue;
    }
    // an object of scalars (config, backend, versions, sweep) reads best as its own list
    const entries = v && typeof v === 'object' && !Array.isArray(v) ? Object.entries(v as Record<string, unknown>).map(([kk, vv]) => [kk, flatValue(vv)] as const) : [];
    if (entries.length > 0 && entries.every(([, f]) => f !== null)) groups.push(`<div><h3>${escapeHtml(k)}</h3>${dl(entries as [string, string][])}</div>`);
    else deep.push(`<details><summary>${escapeHtml(k)}</summary><pre>${escapeHtml(JSON.stringify(v, null, 2))}</pre></details>`);
  }
  return section('config', 'Run configuration', `${dl(top)}<div class="config-grid">${groups.join('')}</div>${deep.join('\n')}`);
}

function tasksSection(ctx: Ctx): string {
  const rows = ctx.tasks.map((t) => [
    taskLabel(t, ctx.colors),
    escapeHtml(t.dataset),
    escapeHtml(`${t.classes[0]} vs ${t.classes[1]}`),
    `<span class="num">${num(t.ssimDistance)}</span>`,
    String(t.runs),
    escapeHtml(t.inputs ?? '—'),
  ]);
  const body =
    (ctx.tasks.length ? table(['task', 'dataset', 'classes', 'SSIM distance (1 − SSIM)', 'runs', 'inputs'], rows) : '<p class="not-run">No tasks.</p>') +
    '<p class="note">A larger SSIM distance means the two classes look less alike: an easier task.</p>';
  return section('tasks', 'Tasks', body);
}

function ssimSection(ctx: Ctx): string {
  const ssim = ctx.input.ssim;
  if (!ssim || ssim.length === 0) return section('ssim', 'SSIM ranking of class pairs', '<p class="not-run">Not run: no SSIM ranking was given.</p>');
  const sorted = [...ssim].sort((a, b) => b.distance - a.distance);
  const chosen = new Map<string, TaskSummary>();
  for (const t of ctx.tasks) {
    chosen.set(`${t.classes[0]}|${t.classes[1]}`, t);
    chosen.set(`${t.classes[1]}|${t.classes[0]}`, t);
  }
  const maxD = Math.max(...sorted.map((s) => s.distance), 1e-9);
  const perCol = Math.ceil(sorted.length / 3);
  const cols: string[] = [];
  for (let c = 0; c < sorted.length; c += perCol) {
    const body = sorted
      .slice(c, c + perCol)
      .map((s, i) => {
        const t = chosen.get(`${s.a}|${s.b}`);
        const pair = `${escapeHtml(s.a)} – ${escapeHtml(s.b)}${t ? ` <span class="swatch" style="background:${ctx.colors.get(t.task)}"></span><span class="muted">${escapeHtml(t.difficulty)}</span>` : ''}`;
        const bar = `<span class="bar" style="width:${Math.max(1, Math.round((50 * s.distance) / maxD))}px"></span>`;
        return `<tr${t ? ' class="chosen"' : ''}><td class="num">${c + i + 1}</td><td>${pair}</td><td class="num">${num(s.ssim)}</td><td class="num">${num(s.distance)}</td><td class="bar-cell">${bar}</td></tr>`;
      })
      .join('\n');
    cols.push(`<table><thead><tr><th class="num">#</th><th>pair</th><th class="num">SSIM</th><th class="num">distance</th><th></th></tr></thead><tbody>${body}</tbody></table>`);
  }
  return section(
    'ssim',
    'SSIM ranking of class pairs',
    `<p class="note">All ${sorted.length} class pairs, easiest (most dissimilar) first. Highlighted: the pairs this run trained on.</p><div class="ssim-grid">${cols.join('')}</div>`,
  );
}

function accuracySection(ctx: Ctx): string {
  if (!ctx.tasks.some((t) => t.full || t.binarized || Object.keys(t.randomized).length))
    return section('accuracy', 'Accuracy: full precision, binarized, randomized', notRun('baseline, binarize or randomize'));
  const binVariants = [...new Set(ctx.tasks.flatMap((t) => Object.keys(t.binarize)))].filter((v) => v !== 'reference').sort();
  const randA = ctx.tasks.some((t) => t.randomized.A);
  const headers = ['task', 'runs', 'full precision', 'binarized (sign w, sign b)', ...binVariants.map((v) => `binarized, ${escapeHtml(v)}`)];
  if (randA) headers.push('randomized A (full)', 'randomized A (binarized)');
  const rows = ctx.tasks.map((t) => {
    const r = [taskLabel(t, ctx.colors), String(t.runs), statCell(t.full), statCell(t.binarized), ...binVariants.map((v) => statCell(t.binarize[v]))];
    if (randA) r.push(statCell(t.randomized.A?.full), statCell(t.randomized.A?.binarized));
    return r;
  });
  return section(
    'accuracy',
    'Accuracy: full precision, binarized, randomized',
    table(headers, rows) +
      '<p class="note">Mean ± sd over runs (hover for min, max, n). Randomization A is the full shuffle of every layer, at the lowest pruning level measured. Every randomization is in the randomization section.</p>' +
      biasComparison(ctx),
  );
}

/** Trained biases (weightscope's default) beside the reference code's freshly initialised ones, when both ran. */
function biasComparison(ctx: Ctx): string {
  const ref = ctx.summary.referenceInitBias;
  if (!ref || ref.length === 0) return '';
  const rows = ref.map((r) => {
    const t = ctx.tasks.find((x) => x.task === r.task);
    return [
      escapeHtml(r.task),
      statCell(t?.full), statCell(r.full),
      statCell(t?.binarized), statCell(r.binarized),
      t?.noise.gain == null ? '—' : t.noise.gain.toFixed(3), r.noise.gain == null ? '—' : r.noise.gain.toFixed(3),
    ];
  });
  return (
    '<h3>Trained biases vs the reference code\'s biases</h3>' +
    table(['task', 'full, trained b', 'full, reference-init b', 'binarized, trained b', 'binarized, reference-init b', 'noise gain, trained b', 'noise gain, reference-init b'], rows) +
    '<p class="note">reference-init: every probe ran with untrained biases U(−1/√fan_in, 1/√fan_in), as the reference code does (it reloads only the weight matrices into a fresh model). Everything else in this report uses the trained biases.</p>'
  );
}

function claimsSection(claims: ClaimResult[]): string {
  const rows = claims.map((c) => [
    `${escapeHtml(c.claim)}<div class="rule">Rule: ${escapeHtml(c.rule)}</div>`,
    `<span class="verdict v-${c.verdict.replace(/ /g, '-')}">${escapeHtml(c.verdict)}</span>`,
    `<ul class="evidence">${c.evidence.map((e) => `<li>${escapeHtml(e)}</li>`).join('')}</ul>`,
  ]);
  return section(
    'claims',
    'The reference study’s claims vs this run',
    table(['claim (Jankowski et al. 2025)', 'verdict', 'measured'], rows, 'claims') +
      '<p class="note">Verdicts are computed from summary.json with the thresholds in each rule (docs/report.md); “mixed” means some parts of a claim hold and others do not.</p>',
  );
}

/** Series of a set of curves: one per task, coloured by task, band = mean ± sd over runs. */
/** Above this many series a chart drops the per-series legend and bands (many class pairs). */
const MANY_SERIES = 12;

/**
 * Series of a set of curves: one per task, coloured by task, band = mean ± sd over runs. With many
 * tasks the bands are left out and the legend names only the two ends of the colour scale.
 */
function seriesOf(ctx: Ctx, curves: Curve[], dash: string, idPrefix: string): Pick<LineChartSpec, 'series' | 'legend' | 'extraLegend'> {
  const order = new Map(ctx.tasks.map((t, i) => [t.task, i]));
  const many = curves.length > MANY_SERIES;
  const series: LineSeries[] = [...curves]
    .sort((a, b) => (order.get(a.task) ?? 99) - (order.get(b.task) ?? 99))
    .map((c) => ({
      id: `${idPrefix}:${c.task}`,
      label: `${c.task} (${c.difficulty})`,
      color: ctx.colors.get(c.task) ?? COLORS.reference,
      dash,
      band: curves.length <= 6,
      markers: !many,
      points: c.points.map((p) => ({ x: p.level, y: p.mean, lo: p.mean - p.sd, hi: p.mean + p.sd })),
    }));
  if (!many) return { series };
  const bySsim = ctx.tasks.filter((t) => t.ssimDistance !== null && curves.some((c) => c.task === t.task)).sort((a, b) => a.ssimDistance! - b.ssimDistance!);
  const ends = bySsim.length >= 2 ? [bySsim[0], bySsim[bySsim.length - 1]] : [];
  return {
    series,
    legend: false,
    extraLegend: [
      ...ends.map((t, i) => ({ label: `${t.task} (${i === 0 ? 'most similar classes' : 'least similar'})`, color: ctx.colors.get(t.task)!, dash })),
      { label: `… ${series.length} tasks in all, coloured by SSIM distance`, color: '#ffffff' },
    ],
  };
}

const CHANCE: RefLine = { value: 0.5, label: 'chance', color: COLORS.chance };

function sigmaLines(ctx: Ctx): RefLine[] {
  const byKey = new Map<string, { task: string; layer: string; values: number[] }>();
  for (const s of ctx.input.layers ?? []) {
    if (s.sigma === undefined || !Number.isFinite(s.sigma) || s.sigma <= 0) continue;
    const k = `${s.task}|${s.layer}`;
    let e = byKey.get(k);
    if (!e) byKey.set(k, (e = { task: s.task, layer: s.layer, values: [] }));
    e.values.push(s.sigma);
  }
  const layers = [...new Set([...byKey.values()].map((e) => e.layer))];
  const dashes = ['3 3', '1 3', '6 2 1 2', '8 4'];
  return [...byKey.values()].map((e) => ({
    value: e.values.reduce((a, b) => a + b, 0) / e.values.length,
    label: `σ ${e.layer}`,
    color: ctx.colors.get(e.task) ?? COLORS.reference,
    dash: dashes[layers.indexOf(e.layer) % dashes.length],
  }));
}

function noiseSection(ctx: Ctx): string {
  if (!hasProbe(ctx, 'noise') && !hasProbe(ctx, 'binarize+noise')) return section('noise', 'Noise sweep', notRun('noise'));
  const parts: string[] = [];
  const sig = sigmaLines(ctx);
  for (const variant of ['reference', 'relative']) {
    const full = filterCurves(ctx.curves, { probe: 'noise', variant, signed: false, layer: 'all' });
    const signed = filterCurves(ctx.curves, { probe: 'binarize+noise', variant, signed: true, layer: 'all' });
    if (full.length === 0 && signed.length === 0) continue;
    const rel = variant === 'relative';
    const xLabel = rel ? 'relative amplitude a / σ(w)' : 'noise amplitude a of U(−a, a)';
    const vLines = rel ? [{ value: 1, label: 'a = σ(w)', color: COLORS.reference }] : sig;
    const charts: string[] = [];
    const mk = (curves: Curve[], signedChart: boolean): string =>
      figure(
        lineChart(ctx.doc, {
          title: `${signedChart ? 'sign(w + noise)' : 'w + noise (full precision)'}${rel ? ', relative' : ''}`,
          xLabel,
          yLabel: 'test accuracy',
          xScale: 'log2',
          yDomain: [0, 1],
          ...seriesOf(ctx, curves, signedChart ? DASH.signed : DASH.full, `${signedChart ? 'signed' : 'full'}-${variant}`),
          hLines: [CHANCE],
          vLines,
          width: 530,
          height: 320,
          emptyText: 'not run',
        }),
      );
    charts.push(full.length ? mk(full, false) : `<p class="not-run">Not run: no noise rows (${variant}).</p>`);
    charts.push(signed.length ? mk(signed, true) : `<p class="not-run">Not run: no binarize+noise rows (${variant}).</p>`);
    parts.push(`<h3>${rel ? 'Relative amplitude (a / σ(w) of each layer)' : 'Absolute amplitude'}</h3><div class="charts">${charts.join('')}</div>`);
  }
  // The reference's view: sign(w + U(−a, a)) against a / σ(w), σ pooled over the layers (median over runs).
  const pooled = pooledSigmaByTask(ctx.input.layers ?? []);
  const signedRef = filterCurves(ctx.curves, { probe: 'binarize+noise', variant: 'reference', signed: true, layer: 'all' }).filter((c) => pooled.has(c.task));
  if (signedRef.length) {
    const scaled = signedRef.map((c) => ({ ...c, points: c.points.map((p) => ({ ...p, level: p.level / pooled.get(c.task)! })) }));
    parts.push(
      '<h3>Against a / σ(w), σ pooled over layers (the reference\'s figure)</h3><div class="charts">' +
        figure(
          lineChart(ctx.doc, {
            title: 'sign(w + noise) vs a / σ(w) pooled',
            xLabel: 'a / σ(w), σ of all weights of the model (median over runs)',
            yLabel: 'test accuracy',
            xScale: 'log2',
            yDomain: [0, 1],
            ...seriesOf(ctx, scaled, DASH.signed, 'signed-pooled'),
            hLines: [CHANCE],
            vLines: [{ value: 1, label: 'a = σ(w)', color: COLORS.reference }],
            width: 530,
            height: 320,
          }),
          'The per-layer version is the relative sweep above (a = level · σ of each layer).',
        ) +
        '</div>',
    );
  }
  const srRows = ctx.tasks
    .filter((t) => t.noise.bestSigned)
    .map((t) => [
      taskLabel(t, ctx.colors),
      statCell(t.noise.binarizedNoNoise),
      statCell(t.noise.bestSigned?.accuracy),
      num(t.noise.bestSigned?.level, 4),
      pooled.has(t.task) && t.noise.bestSigned ? num(t.noise.bestSigned.level / pooled.get(t.task)!, 2) : '—',
      t.noise.gain === null ? '—' : `${t.noise.gain >= 0 ? '+' : ''}${num(t.noise.gain)}`,
    ]);
  if (srRows.length)
    parts.push('<h3>Stochastic resonance</h3>' + table(['task', 'binarized, no noise', 'best sign(w + noise)', 'at a', 'a / σ(w) pooled', 'gain'], srRows));
  parts.push(
    `<p class="note">Mean over runs (each run averaged over its noise seeds); shaded: ± sd over runs. Vertical lines: σ(w) of each layer, in the task's colour.${sig.length ? '' : ' (σ(w) not given.)'}</p>`,
  );
  return section('noise', 'Noise sweep', parts.join('\n'));
}

const VARIANT_TEXT: Record<string, Record<string, string>> = {
  prune: { reference: 'smallest |w| removed first', largest: 'largest |w| removed first', random: 'random weights removed', global: 'smallest |w| over all layers' },
  signflip: { reference: 'smallest |w| flipped first', largest: 'largest |w| flipped first', random: 'random weights flipped' },
};

function sweepSection(ctx: Ctx, probe: 'prune' | 'signflip', id: string, heading: string, xLabel: string): string {
  if (!hasProbe(ctx, probe)) return section(id, heading, notRun(probe));
  const variants = [...new Set(filterCurves(ctx.curves, { probe, layer: 'all' }).map((c) => c.variant))].sort((a, b) =>
    a === 'reference' ? -1 : b === 'reference' ? 1 : a.localeCompare(b),
  );
  const parts: string[] = [];
  for (const v of variants) {
    const charts: string[] = [];
    for (const signed of [false, true]) {
      const curves = filterCurves(ctx.curves, { probe, variant: v, signed, layer: 'all' });
      if (curves.length === 0) {
        charts.push(`<p class="not-run">Not run: ${signed ? 'followed by sign()' : 'plain'}.</p>`);
        continue;
      }
      charts.push(
        figure(
          lineChart(ctx.doc, {
            title: `${VARIANT_TEXT[probe][v] ?? v}${signed ? ', then sign()' : ''}`,
            xLabel,
            yLabel: 'test accuracy',
            yDomain: [0, 1],
            xDomain: [0, 1],
            ...seriesOf(ctx, curves, signed ? DASH.signed : DASH.full, `${probe}-${v}-${signed ? 'signed' : 'full'}`),
            hLines: [CHANCE],
            width: 530,
            height: 300,
          }),
        ),
      );
    }
    parts.push(`<h3>${escapeHtml(v)}: ${escapeHtml(VARIANT_TEXT[probe][v] ?? v)}</h3><div class="charts">${charts.join('')}</div>`);
  }
  if (probe === 'prune') {
    const rows = ctx.tasks
      .filter((t) => t.pruneSign)
      .map((t) => {
        const p = t.pruneSign!;
        return [
          taskLabel(t, ctx.colors),
          num(p.start?.accuracy.mean),
          p.level === null ? `never (peak ${num(p.peak?.accuracy.mean)})` : num(p.level, 2),
          p.before ? `${num(p.before.accuracy.mean)} → ${num(p.after?.accuracy.mean)}` : '—',
          `${num(p.peak?.accuracy.mean)} at ${num(p.peak?.level, 2)}`,
        ];
      });
    if (rows.length)
      parts.push(
        `<h3>Transition after pruning + sign()</h3>` +
          table(['task', 'binarized, unpruned', `first level ≥ ${ctx.summary.options.transitionThreshold}`, 'jump across it', 'peak'], rows),
      );
  }
  parts.push('<p class="note">Mean over runs; shaded: ± sd over runs. Solid: full precision; dashed: sign() applied after the probe.</p>');
  return section(id, heading, parts.join('\n'));
}

/** Above this many tasks, tables put tasks in rows and per-task bar charts are left out. */
const MANY_TASKS = 4;

const LETTER_TEXT: Record<string, string> = {
  A: 'full shuffle',
  B: 'shuffle within sign',
  C: 'per input unit',
  D: 'per output unit',
  E: 'per input unit, within sign',
  F: 'per output unit, within sign',
  G: 'positive edge swaps',
  curveball: 'Curveball',
  maxent: 'max-entropy',
};

function randomizationSection(ctx: Ctx): string {
  if (!hasProbe(ctx, 'randomize')) return section('randomization', 'Randomizations A–G', notRun('randomize'));
  const rCurves = filterCurves(ctx.curves, { probe: 'randomize', layer: 'all' });
  const variants = [...new Set(rCurves.map((c) => c.variant))].sort((a, b) => (a.length - b.length) || a.localeCompare(b));
  const levels = [...new Set(rCurves.flatMap((c) => c.points.map((p) => p.level)))].sort((a, b) => a - b);
  const tasks = ctx.tasks.filter((t) => rCurves.some((c) => c.task === t.task));
  const parts: string[] = [];
  const pointOf = (task: string, v: string, signed: boolean, level: number): Stat | null => {
    const c = rCurves.find((k) => k.task === task && k.variant === v && k.signed === signed);
    const p = c?.points.find((q) => Math.abs(q.level - level) < 1e-9);
    return p ?? null;
  };
  const variantHead = (v: string): string => `<b>${escapeHtml(v)}</b> <span class="muted">${escapeHtml(LETTER_TEXT[v] ?? '')}</span>`;
  if (tasks.length > MANY_TASKS) {
    // many class pairs: one row per task, "full / binarized" per randomization, no bar chart
    const pair = (a: Stat | null | undefined, b: Stat | null | undefined): string => `${statCell(a)} / ${statCell(b)}`;
    for (const level of levels) {
      const rows = tasks.map((t) => [
        taskLabel(t, ctx.colors),
        ...(level === 0 ? [pair(t.full, t.binarized)] : []),
        ...variants.map((v) => pair(pointOf(t.task, v, false, level), pointOf(t.task, v, true, level))),
      ]);
      parts.push(
        `<h3>${level > 0 ? `Pruned ${Math.round(level * 100)}% (smallest |w|), then randomized` : 'Randomized without pruning'}</h3>` +
          table(['task', ...(level === 0 ? ['trained model'] : []), ...variants.map(variantHead)], rows) +
          '<p class="note">Each cell: full precision / binarized, mean ± sd over runs.</p>',
      );
    }
    return section('randomization', 'Randomizations A–G', parts.join('\n'));
  }
  for (const level of levels) {
    const headers = ['randomization', ...tasks.flatMap((t) => [`${escapeHtml(t.task)} full`, `${escapeHtml(t.task)} binarized`])];
    const rows: string[][] = [];
    if (level === 0) rows.push(['<i>none (trained model)</i>', ...tasks.flatMap((t) => [statCell(t.full), statCell(t.binarized)])]);
    for (const v of variants)
      rows.push([variantHead(v), ...tasks.flatMap((t) => [statCell(pointOf(t.task, v, false, level)), statCell(pointOf(t.task, v, true, level))])]);
    const keys: BarKey[] = tasks.flatMap((t) => [
      { id: `${t.task}|full`, label: `${t.task} full`, color: ctx.colors.get(t.task) ?? COLORS.reference },
      { id: `${t.task}|signed`, label: `${t.task} binarized`, color: ctx.colors.get(t.task) ?? COLORS.reference, opacity: 0.35 },
    ]);
    const data: BarDatum[] = [];
    const groups = [...(level === 0 ? ['none'] : []), ...variants];
    for (const t of tasks) {
      for (const [signed, key] of [[false, 'full'], [true, 'signed']] as const) {
        if (level === 0) {
          const s = signed ? t.binarized : t.full;
          if (s) data.push({ group: 'none', key: `${t.task}|${key}`, value: s.mean, lo: s.mean - s.sd, hi: s.mean + s.sd });
        }
        for (const v of variants) {
          const s = pointOf(t.task, v, signed, level);
          if (s) data.push({ group: v, key: `${t.task}|${key}`, value: s.mean, lo: s.mean - s.sd, hi: s.mean + s.sd });
        }
      }
    }
    const chart = barChart(ctx.doc, {
      title: `Accuracy after randomization${level > 0 ? `, ${Math.round(level * 100)}% pruned first` : ', no pruning'}`,
      xLabel: 'randomization',
      yLabel: 'test accuracy',
      groups,
      keys,
      data,
      yDomain: [0, 1],
      hLines: [CHANCE],
      width: 1090,
      height: 320,
    });
    parts.push(
      `<h3>${level > 0 ? `Pruned ${Math.round(level * 100)}% (smallest |w|), then randomized` : 'Randomized without pruning'}</h3>` +
        table(headers, rows) +
        `<div class="charts">${figure(chart, 'Bars: mean over runs; whiskers: ± sd. Solid: full precision; light: binarized.')}</div>`,
    );
  }
  return section('randomization', 'Randomizations A–G', parts.join('\n'));
}

function degreesSection(ctx: Ctx): string {
  // one record per (task, run, layer, side) with both degree arrays
  const deg: { task: string; layer: string; side: 'in' | 'out'; kPlus: ArrayLike<number>; kMinus: ArrayLike<number> }[] = [];
  for (const l of ctx.input.layers ?? []) for (const side of ['in', 'out'] as const) {
    const d = l[side];
    if (d) deg.push({ task: l.task, layer: l.layer, side, kPlus: d.kPlus, kMinus: d.kMinus });
  }
  if (deg.length === 0) return section('degrees', 'Sign-degree distributions', '<p class="not-run">Not run: no sign degrees were given.</p>');
  const layers = [...new Set(deg.map((d) => d.layer))];
  const order = new Map(ctx.tasks.map((t, i) => [t.task, i]));
  const tasks = [...new Set(deg.map((d) => d.task))].sort((a, b) => (order.get(a) ?? 99) - (order.get(b) ?? 99));
  const difficulty = new Map(ctx.tasks.map((t) => [t.task, t.difficulty]));
  const parts: string[] = [];
  for (const layer of layers) {
    for (const side of ['in', 'out'] as const) {
      const recs = deg.filter((d) => d.layer === layer && d.side === side);
      if (recs.length === 0) continue;
      const charts: string[] = [];
      for (const which of ['kPlus', 'kMinus'] as const) {
        let lo = Infinity;
        let hi = -Infinity;
        for (const r of recs) for (let i = 0; i < r[which].length; i++) {
          lo = Math.min(lo, r[which][i]);
          hi = Math.max(hi, r[which][i]);
        }
        const series = tasks
          .map((task) => {
            const values: number[] = [];
            for (const r of recs) if (r.task === task) for (let i = 0; i < r[which].length; i++) values.push(r[which][i]);
            return {
              id: `${layer}-${side}-${which}:${task}`,
              label: `${task} (${difficulty.get(task) ?? '?'})`,
              color: ctx.colors.get(task) ?? COLORS.reference,
              bins: integerHistogram(values, { min: lo, max: hi, maxBins: 40 }),
            };
          })
          .filter((s) => s.bins.length > 0);
        const k = which === 'kPlus' ? 'k⁺' : 'k⁻';
        charts.push(
          figure(
            histogramChart(ctx.doc, {
              title: `${layer}, ${side === 'in' ? 'input' : 'output'} units: P(${k})`,
              xLabel: `${k} (${which === 'kPlus' ? 'positive' : 'negative'} edges per unit)`,
              yLabel: `P(${k})`,
              series,
              logY: true,
              width: 530,
              height: 280,
            }),
          ),
        );
      }
      parts.push(`<div class="charts">${charts.join('')}</div>`);
    }
  }
  parts.push('<p class="note">Pooled over runs; y axis logarithmic where the probabilities span two decades or more (empty bins drawn at the floor). Input units count edges to the layer’s outputs; output units count edges from its inputs.</p>');
  return section('degrees', 'Sign-degree distributions', parts.join('\n'));
}

/** The all-pairs study as the reference shows it (heatmaps, scatter with ρ), with weightscope's broader r beside it. */
function allPairsParts(ctx: Ctx): string {
  const ap = ctx.summary.allPairs;
  const parts: string[] = [];
  const ref = ap.reference;
  const broad = ap.broader;
  const stats = [
    ref ? `${ref.label}: ρ = ${ref.rho.toFixed(3)} (n = ${ref.n} pairs)` : 'reference statistic (Spearman ρ, randomization B): needs baseline, binarize and randomize B rows for ≥ 3 pairs',
    broad ? `${broad.label}: r = ${broad.r.toFixed(3)} (n = ${broad.n} pairs)` : 'weightscope statistic (Pearson r, all null models): needs ≥ 3 pairs',
  ];
  parts.push(`<ul class="note">${stats.map((x) => `<li>${escapeHtml(x)}</li>`).join('')}</ul>`);
  const withB = ap.pairs.filter((p) => p.randomizationDropB !== null);
  if (withB.length >= 2) {
    parts.push(
      `<div class="charts">${figure(
        scatter(ctx.doc, {
          title: 'Binarization drop vs randomization-B drop (reference)', xLabel: 'Δ accuracy, randomization B (median)', yLabel: 'Δ accuracy, binarization (median)',
          points: withB.map((p) => ({ x: p.randomizationDropB!, y: p.binarizationDrop, label: p.task, color: ctx.colors.get(p.task) })),
          diagonal: true, fit: false, width: 480, height: 380,
          notes: [ref ? `Spearman ρ = ${ref.rho.toFixed(2)} (reference)` : '', broad ? `Pearson r = ${broad.r.toFixed(2)} (weightscope, all null models)` : ''].filter(Boolean),
        }),
        'One point per class pair: medians over runs (folded below 50 %), full precision minus binarized (y) and minus randomization B at the lowest pruning level (x), as the reference\'s all-pairs figure.',
      )}</div>`,
    );
  }
  const withMeans = ap.pairs.filter((p) => p.meanBinarizationDrop !== null && p.meanRandomizationDrop !== null);
  if (withMeans.length >= 2 && broad) {
    parts.push(
      `<div class="charts">${figure(
        scatter(ctx.doc, {
          title: 'Binarization drop vs randomization drop (weightscope)', xLabel: 'full − binarized (mean)', yLabel: `full − randomized (mean over ${broad.nullModels.join(', ')})`,
          points: withMeans.map((p) => ({ x: p.meanBinarizationDrop!, y: p.meanRandomizationDrop!, label: p.task, color: ctx.colors.get(p.task) })),
          width: 480, height: 380,
        }),
        `One point per class pair: means over runs (paired by run); the y value averages the drops of the null models ${escapeHtml(broad.nullModels.join(', '))} at their lowest pruning level.`,
      )}</div>`,
    );
  }
  // 10×10 maps as the reference's fig4: one cell per class pair (lower triangle)
  const numeric = ap.pairs.filter((p) => p.classes.every((c) => /^\d+$/.test(String(c))));
  if (numeric.length >= 3) {
    const classes = [...new Set(numeric.flatMap((p) => p.classes.map(Number)))].sort((a, b) => a - b);
    const labels = classes.map(String);
    const grid = (value: (p: (typeof numeric)[number]) => number | null): (number | null)[][] => {
      const g = classes.map(() => classes.map((): number | null => null));
      for (const p of numeric) {
        const [a, b] = p.classes.map((c) => classes.indexOf(Number(c)));
        g[Math.max(a, b)][Math.min(a, b)] = value(p);
      }
      return g;
    };
    parts.push(
      `<div class="charts">${figure(heatmap(ctx.doc, { title: 'Δ accuracy, binarization (median)', labels, values: grid((p) => p.binarizationDrop), xLabel: 'class', yLabel: 'class' }))}` +
        (withB.length ? figure(heatmap(ctx.doc, { title: 'Δ accuracy, randomization B (median)', labels, values: grid((p) => p.randomizationDropB), xLabel: 'class', yLabel: 'class' })) : '') +
        '</div>',
    );
  }
  return parts.join('\n');
}

/** Linear CKA of the hidden layer (rows' `cka`) beside accuracy: does the representation survive where the accuracy does? */
function ckaSection(ctx: Ctx): string {
  const withCka = ctx.rows.filter((r) => r.cka !== undefined && Number.isFinite(r.cka));
  const title = 'Representation similarity (linear CKA) beside accuracy';
  if (withCka.length === 0) return section('cka', title, notRun('CKA (rows without a cka column)'));
  const ckaCurves = groupCurves(withCka.map((r) => ({ ...r, accuracy: r.cka! })));
  const views: { probe: ProbeName; variant: string; signed: boolean; heading: string; xLabel: string; xScale?: 'log2' }[] = [
    { probe: 'prune', variant: 'reference', signed: false, heading: 'Pruning (smallest |w| first)', xLabel: 'fraction pruned' },
    { probe: 'prune', variant: 'reference', signed: true, heading: 'Pruning, then sign()', xLabel: 'fraction pruned' },
    { probe: 'binarize+noise', variant: 'reference', signed: true, heading: 'sign(w + U(−a, a))', xLabel: 'noise amplitude a', xScale: 'log2' },
    { probe: 'signflip', variant: 'reference', signed: false, heading: 'Sign flip (smallest |w| first)', xLabel: 'fraction flipped' },
    { probe: 'randomize', variant: 'B', signed: false, heading: 'Randomization B after pruning', xLabel: 'fraction pruned first' },
  ];
  const parts: string[] = [];
  for (const v of views) {
    const q = { probe: v.probe, variant: v.variant, signed: v.signed, layer: 'all' };
    const acc = filterCurves(ctx.curves, q);
    const cka = filterCurves(ckaCurves, q);
    if (cka.length === 0) continue;
    const chart = (curves: Curve[], yLabel: string, id: string): string =>
      figure(lineChart(ctx.doc, {
        title: `${v.heading}: ${yLabel}`, xLabel: v.xLabel, yLabel, yDomain: [0, 1], ...(v.xScale ? { xScale: v.xScale } : {}),
        ...seriesOf(ctx, curves, v.signed ? DASH.signed : DASH.full, id), width: 530, height: 300,
      }));
    parts.push(`<h3>${escapeHtml(v.heading)}</h3><div class="charts">${chart(acc, 'test accuracy', `acc-${v.probe}-${v.signed}`)}${chart(cka, 'CKA with the unprobed model', `cka-${v.probe}-${v.signed}`)}</div>`);
  }
  const binRows = ctx.tasks.map((t) => {
    const c = stat(withCka.filter((r) => r.task === t.task && r.probe === 'binarize' && r.variant === 'reference').map((r) => r.cka!));
    return [taskLabel(t, ctx.colors), statCell(t.binarized), statCell(c)];
  });
  parts.unshift(table(['task', 'binarized accuracy', 'binarized CKA'], binRows));
  parts.push('<p class="note">CKA: linear centred kernel alignment between the first hidden layer\'s activations of the unprobed model and of the probed one over the whole test set (1 = the same representation up to rotation and scale). Mean over runs; shaded ± sd.</p>');
  return section('cka', title, parts.join('\n'));
}

function complexitySection(ctx: Ctx): string {
  const withGap = ctx.tasks.filter((t) => t.gaps.fullMinusBinarized || Object.keys(t.gaps.fullMinusRandomized).length);
  if (withGap.length === 0) return section('complexity', 'Task-complexity gap', notRun('baseline with binarize or randomize'));
  const letters = [...new Set(withGap.flatMap((t) => Object.keys(t.gaps.fullMinusRandomized)))].sort((a, b) => (a.length - b.length) || a.localeCompare(b));
  const parts: string[] = [];
  if (withGap.length > MANY_TASKS) {
    // many class pairs: one row per task, sorted easy → hard by SSIM distance
    const sorted = [...withGap].sort((a, b) => (b.ssimDistance ?? -1) - (a.ssimDistance ?? -1));
    const rows = sorted.map((t) => [
      taskLabel(t, ctx.colors),
      num(t.ssimDistance),
      statCell(t.gaps.fullMinusBinarized),
      num(t.gaps.meanFullMinusRandomized.full),
      num(t.gaps.meanFullMinusRandomized.binarized),
    ]);
    parts.push(table(['task', 'SSIM distance', 'full − binarized', 'full − randomized (mean over randomizations)', 'full − randomized, binarized (mean)'], rows));
  } else {
    // one column per task, one row per measure: stays narrow for the usual easy/hard pair
    const headers = ['accuracy drop', ...withGap.map((t) => taskLabel(t, ctx.colors))];
    const rows: string[][] = [
      ['SSIM distance', ...withGap.map((t) => num(t.ssimDistance))],
      ['full − binarized', ...withGap.map((t) => statCell(t.gaps.fullMinusBinarized))],
    ];
    for (const l of letters) {
      rows.push([`full − randomized ${escapeHtml(l)}`, ...withGap.map((t) => statCell(t.gaps.fullMinusRandomized[l]?.full))]);
      rows.push([`full − randomized ${escapeHtml(l)}, binarized`, ...withGap.map((t) => statCell(t.gaps.fullMinusRandomized[l]?.binarized))]);
    }
    parts.push(table(headers, rows));
  }
  const groups = ['binarized', ...letters.map((l) => `rand. ${l}`), ...letters.map((l) => `rand. ${l} + sign`)];
  const keys: BarKey[] = withGap.map((t) => ({ id: t.task, label: `${t.task} (${t.difficulty})`, color: ctx.colors.get(t.task) ?? COLORS.reference }));
  const data: BarDatum[] = [];
  const push = (group: string, task: string, s: Stat | null | undefined): void => {
    if (s) data.push({ group, key: task, value: s.mean, lo: s.mean - s.sd, hi: s.mean + s.sd });
  };
  for (const t of withGap) {
    push('binarized', t.task, t.gaps.fullMinusBinarized);
    for (const l of letters) {
      push(`rand. ${l}`, t.task, t.gaps.fullMinusRandomized[l]?.full);
      push(`rand. ${l} + sign`, t.task, t.gaps.fullMinusRandomized[l]?.binarized);
    }
  }
  const usedGroups = groups.filter((g) => data.some((d) => d.group === g));
  if (withGap.length <= MANY_TASKS)
    parts.push(
    `<div class="charts">${figure(
      barChart(ctx.doc, { title: 'Accuracy lost: full precision − probed model', xLabel: 'probe', yLabel: 'accuracy drop', groups: usedGroups, keys, data, width: 1090, height: 320 }),
      'Paired by run: each run’s drop, then mean ± sd over runs. Randomized drops at the lowest pruning level measured.',
    )}</div>`,
    );
  parts.push(allPairsParts(ctx));
  return section('complexity', 'Task-complexity gap', parts.join('\n'));
}

// ---------------------------------------------------------------------------------------------

const SECTIONS: [string, string][] = [
  ['config', 'Config'],
  ['tasks', 'Tasks'],
  ['ssim', 'SSIM ranking'],
  ['accuracy', 'Accuracy'],
  ['claims', 'Claims'],
  ['noise', 'Noise'],
  ['pruning', 'Pruning'],
  ['signflip', 'Sign flip'],
  ['randomization', 'Randomization'],
  ['degrees', 'Degrees'],
  ['complexity', 'Complexity gap'],
  ['cka', 'Representation (CKA)'],
];

/** The ids of the report's sections, in page order. */
export const REPORT_SECTIONS = SECTIONS.map(([id]) => id);

const DIFFICULTY_ORDER: Record<string, number> = { easy: 0, hard: 1, custom: 2 };

/** Build the report: HTML, summary and claim verdicts. */
/**
 * A run whose probes all perturbed one named layer (`reproduce --layer dense_0`) is reported like a
 * whole-model run, with that said in the subtitle: its curves are the run's only curves.
 */
function singleLayerView(rows: ResultRow[]): { rows: ResultRow[]; layer: string | null } {
  const layers = new Set(rows.map((r) => r.layer ?? 'all'));
  if (layers.size !== 1 || layers.has('all')) return { rows, layer: null };
  const [layer] = layers;
  return { rows: rows.map((r) => ({ ...r, layer: 'all' })), layer };
}

/** " · trained with engine X (tfjs backend Y)" from run.json, or nothing when it does not say. */
function trainedWith(run: Record<string, unknown> | undefined): string {
  const engine = (run?.config as { engine?: unknown } | undefined)?.engine;
  if (typeof engine !== 'string') return '';
  const backend = (run?.backend as { name?: unknown } | undefined)?.name;
  return ` · trained with engine ${engine}` + (engine === 'tfjs' && typeof backend === 'string' ? ` (tfjs backend ${backend})` : '');
}

export function buildReport(input: ReportInput): BuiltReport {
  const { rows, layer: onlyLayer } = singleLayerView(input.rows ?? []);
  const tasks = input.tasks && input.tasks.length ? input.tasks : tasksFromRows(rows, input.ssim);
  const summary = buildSummary(rows, tasks, input.summaryOptions);
  const claims = evaluateClaims(summary, input.claimThresholds);
  // Charts and tables show trained-bias rows; reference-init rows get their own comparison table.
  // With foldBelowChance the charts fold as the summary does.
  const fold = input.summaryOptions?.foldBelowChance ?? false;
  const trainedRows = rows.filter((r) => biasOf(r) === 'trained').map((r) => (fold ? { ...r, accuracy: foldBelowChance(r.accuracy) } : r));
  const ordered = [...summary.tasks].sort((a, b) => (DIFFICULTY_ORDER[a.difficulty] ?? 3) - (DIFFICULTY_ORDER[b.difficulty] ?? 3));
  const doc = chartDocument();
  const ctx: Ctx = {
    doc,
    rows: trainedRows,
    curves: groupCurves(trainedRows),
    summary,
    tasks: ordered,
    colors: taskColors(ordered),
    input,
  };
  const title = input.title ?? 'weightscope report';
  const sub =
    `${ordered.map((t) => `${t.task} (${t.difficulty})`).join(', ') || 'no tasks'} · ${rows.length} evaluations` +
    (onlyLayer ? ` · every probe perturbed layer ${onlyLayer} only` : '') +
    trainedWith(input.config);
  const body = [
    configSection(ctx),
    tasksSection(ctx),
    ssimSection(ctx),
    accuracySection(ctx),
    claimsSection(claims),
    noiseSection(ctx),
    sweepSection(ctx, 'prune', 'pruning', 'Pruning', 'fraction of weights pruned per layer'),
    sweepSection(ctx, 'signflip', 'signflip', 'Sign flip', 'fraction of weights whose sign is flipped'),
    randomizationSection(ctx),
    degreesSection(ctx),
    complexitySection(ctx),
    ckaSection(ctx),
  ];
  doc.defaultView?.close();
  const nav = SECTIONS.map(([id, label]) => `<a href="#${id}">${label}</a>`).join('');
  const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header>
<h1>${escapeHtml(title)}</h1>
<p class="lead">${escapeHtml(sub)}</p>
<nav>${nav}</nav>
</header>
${body.join('\n')}
</main>
</body>
</html>
`;
  return { html, summary, claims };
}

/** The self-contained report.html as a string. */
export function buildReportHtml(input: ReportInput): string {
  return buildReport(input).html;
}

/** Write `<dir>/report.html` and `<dir>/summary.json` atomically; returns what was written. */
export function writeReport(dir: string, input: ReportInput): BuiltReport & { htmlPath: string; summaryPath: string } {
  const built = buildReport(input);
  const { report: htmlPath, summary: summaryPath } = runPaths(dir);
  writeJsonAtomic(summaryPath, { ...built.summary, claims: built.claims });
  writeFileAtomic(htmlPath, built.html);
  return { ...built, htmlPath, summaryPath };
}
