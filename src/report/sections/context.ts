/**
 * What the sections of report.html share: the report's input types, the context every section
 * reads (rows, curves, summary, tasks in page order, their colours), and the pieces several
 * sections draw with (task labels, the series of a set of curves, the legend of tasks and line
 * styles).
 */
import type { ProbeName, ResultRow } from '../../core/index.js';
import type { Curve } from '../aggregate.js';
import { COLORS, DASH, type LegendItem, type LineSeries, type RefLine } from '../charts.js';
import type { ClaimThresholds } from '../claims.js';
import { escapeHtml } from '../page.js';
import type { SsimRow, Summary, SummaryOptions, TaskInfo, TaskSummary } from '../summary.js';

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

export interface Ctx {
  doc: Document;
  rows: ResultRow[];
  curves: Curve[];
  summary: Summary;
  /** Tasks in page order: easy, hard, then the others. */
  tasks: TaskSummary[];
  colors: Map<string, string>;
  input: ReportInput;
}

/** Width of a figure that spans a section (the page's content width less the section's padding and the figure's border). */
export const FULL_WIDTH = 1136;

/** Above this many tasks, tables put tasks in rows and per-task bar charts are left out. */
export const MANY_TASKS = 4;

/** Above this many series a chart drops its bands and per-series legend (many class pairs). */
export const MANY_SERIES = 12;

export const CHANCE: RefLine = { value: 0.5, label: 'chance', color: COLORS.chance };

export function hasProbe(ctx: Ctx, probe: ProbeName): boolean {
  return ctx.rows.some((r) => r.probe === probe);
}

export function notRun(what: string): string {
  return `<p class="not-run">Not run: this run has no ${what} rows.</p>`;
}

export function taskLabel(t: { task: string; difficulty: string }, colors: Map<string, string>): string {
  return `<span class="task-label"><span class="swatch" style="background:${colors.get(t.task) ?? COLORS.reference}"></span>${escapeHtml(t.task)} <span class="muted">(${escapeHtml(t.difficulty)})</span></span>`;
}

/**
 * Series of a set of curves: one per task, coloured by task, band = mean ± sd over runs (left out
 * above 6 series, and markers above MANY_SERIES).
 */
export function seriesOf(ctx: Ctx, curves: Curve[], dash: string, idPrefix: string): LineSeries[] {
  const order = new Map(ctx.tasks.map((t, i) => [t.task, i]));
  return [...curves]
    .sort((a, b) => (order.get(a.task) ?? 99) - (order.get(b.task) ?? 99))
    .map((c) => ({
      id: `${idPrefix}:${c.task}`,
      label: `${c.task} (${c.difficulty})`,
      color: ctx.colors.get(c.task) ?? COLORS.reference,
      dash,
      band: curves.length <= 6,
      markers: curves.length <= MANY_SERIES,
      points: c.points.map((p) => ({ x: p.level, y: p.mean, lo: p.mean - p.sd, hi: p.mean + p.sd })),
    }));
}

/**
 * One legend for a figure: a swatch per task (or, with many tasks, the two ends of the SSIM colour
 * scale), then what each line style means.
 */
export function figureLegend(ctx: Ctx, tasks: string[], styles: { label: string; dash: string }[] = []): LegendItem[] {
  const shown = ctx.tasks.filter((t) => tasks.includes(t.task));
  const items: LegendItem[] = [];
  if (shown.length <= MANY_SERIES) {
    for (const t of shown) items.push({ label: `${t.task} (${t.difficulty})`, color: ctx.colors.get(t.task) ?? COLORS.reference, kind: 'box' });
  } else {
    const bySsim = shown.filter((t) => t.ssimDistance !== null).sort((a, b) => a.ssimDistance! - b.ssimDistance!);
    if (bySsim.length >= 2) {
      items.push({ label: `${bySsim[0].task} (most similar classes)`, color: ctx.colors.get(bySsim[0].task)!, kind: 'box' });
      items.push({ label: `${bySsim[bySsim.length - 1].task} (least similar)`, color: ctx.colors.get(bySsim[bySsim.length - 1].task)!, kind: 'box' });
    }
    items.push({ label: `… ${shown.length} tasks in all, coloured by SSIM distance`, color: '#ffffff', kind: 'box' });
  }
  for (const s of styles) items.push({ label: s.label, color: COLORS.reference, dash: s.dash });
  return items;
}

/** The usual pair of line styles: full precision solid, sign() applied dashed. */
export function signedStyles(plain: string, signed: string): { label: string; dash: string }[] {
  return [
    { label: plain, dash: DASH.full },
    { label: signed, dash: DASH.signed },
  ];
}

/** Curves' tasks, distinct. */
export function tasksOf(curves: Curve[]): string[] {
  return [...new Set(curves.map((c) => c.task))];
}
