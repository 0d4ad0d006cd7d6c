/// <reference lib="dom" />
/**
 * The charts of the report and of the viewer: plain functions `chart(doc, spec) → <svg>`.
 *
 * Browser-safe, d3 only. Every function takes the `Document` to build in, so the same code runs
 * in the browser and in Node with jsdom (the report renders its SVG server-side). Nothing is
 * measured from the layout engine (jsdom has none): text widths are estimated from character
 * counts, and every colour, font and stroke is an attribute on the SVG itself, so a chart looks
 * right standalone, inline in HTML, or saved as a file.
 */
import { area, axisBottom, axisLeft, format, interpolateHcl, line, scaleBand, scaleLinear, scaleLog, select } from 'd3';
import type { ScaleContinuousNumeric, Selection } from 'd3';
import { linearFit } from './aggregate.js';

export const SVG_NS = 'http://www.w3.org/2000/svg';

/** Colours shared by every chart: easy tasks blue, hard tasks red, reference lines grey. */
export const COLORS = {
  easy: '#1f66b3',
  hard: '#c8362b',
  others: ['#2a9d8f', '#8e5ac8', '#e08e0b', '#5b7f2b', '#c2428f', '#4d6a8a', '#a0522d', '#17becf'],
  chance: '#7a7a7a',
  reference: '#4a4a4a',
  grid: '#e6e6e6',
  axis: '#333333',
  text: '#222222',
};

/** Dash patterns: full precision is drawn solid, signed (sign() applied) dashed. */
export const DASH = { full: '', signed: '6 3', dotted: '2 3', dashdot: '8 3 2 3' };

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif';
const FONT_SIZE = 11;
const CHAR_W = 0.6; // estimated glyph width as a fraction of the font size

/** Estimated rendered width of a label (no layout engine in Node). */
export function textWidth(text: string, fontSize = FONT_SIZE): number {
  return text.length * fontSize * CHAR_W;
}

/**
 * One colour per task: easy tasks in blues, hard tasks in reds, other tasks from a qualitative
 * palette, so a task keeps its colour across every chart of a report.
 */
export function taskColors(tasks: { task: string; difficulty: string; ssimDistance?: number | null }[]): Map<string, string> {
  const others = tasks.filter((t) => t.difficulty !== 'easy' && t.difficulty !== 'hard');
  const distances = others.map((t) => t.ssimDistance).filter((d): d is number => typeof d === 'number' && Number.isFinite(d));
  let byDistance: ((d: number) => string) | null = null;
  if (others.length > COLORS.others.length && distances.length === others.length) {
    // many class pairs: a scale by SSIM distance, red = similar (hard) … blue = dissimilar (easy)
    const lo = Math.min(...distances);
    const hi = Math.max(...distances);
    const ramp = interpolateHcl(COLORS.hard, COLORS.easy);
    byDistance = (d) => ramp(hi > lo ? (d - lo) / (hi - lo) : 0.5);
  }
  const blues = [COLORS.easy, '#4f8fd6', '#0d3d73', '#7fb2e5'];
  const reds = [COLORS.hard, '#e07a3f', '#8a1c14', '#f0a08a'];
  const out = new Map<string, string>();
  let e = 0;
  let h = 0;
  let o = 0;
  for (const t of tasks) {
    if (out.has(t.task)) continue;
    if (t.difficulty === 'easy') out.set(t.task, blues[e++ % blues.length]);
    else if (t.difficulty === 'hard') out.set(t.task, reds[h++ % reds.length]);
    else if (byDistance) out.set(t.task, byDistance(t.ssimDistance as number));
    else out.set(t.task, COLORS.others[o++ % COLORS.others.length]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// shared pieces

type AnySel = Selection<any, any, any, any>;

interface Margins {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

export interface LegendItem {
  label: string;
  color: string;
  /** `line` (default) with an optional dash, or `box` (bars, histograms). */
  kind?: 'line' | 'box';
  dash?: string;
  /** Box fill opacity (binarized bars are drawn lighter). */
  opacity?: number;
}

/** Root `<svg>` with its own font and a white background so it reads standalone. */
function createSvg(doc: Document, width: number, height: number, label: string): AnySel {
  const svg = doc.createElementNS(SVG_NS, 'svg');
  const s = select(svg)
    .attr('xmlns', SVG_NS)
    .attr('width', width)
    .attr('height', height)
    .attr('viewBox', `0 0 ${width} ${height}`)
    .attr('role', 'img')
    .attr('aria-label', label)
    .attr('font-family', FONT)
    .attr('font-size', FONT_SIZE)
    .attr('fill', COLORS.text)
    .attr('class', 'ws-chart');
  s.append('rect').attr('class', 'background').attr('width', width).attr('height', height).attr('fill', '#ffffff');
  return s;
}

function title(svg: AnySel, text: string | undefined, width: number): void {
  if (!text) return;
  const maxChars = Math.floor((width - 16) / (13 * CHAR_W));
  const t = text.length > maxChars ? text.slice(0, maxChars - 1) + '…' : text;
  svg
    .append('text')
    .attr('class', 'title')
    .attr('x', width / 2)
    .attr('y', 17)
    .attr('text-anchor', 'middle')
    .attr('font-size', 13)
    .attr('font-weight', 600)
    .text(t);
}

/** Lay legend items out in rows that fit `width`; returns the rows' item positions. */
function legendLayout(items: LegendItem[], width: number): { x: number; row: number }[] {
  const pos: { x: number; row: number }[] = [];
  let x = 0;
  let row = 0;
  for (const it of items) {
    const w = 26 + textWidth(it.label) + 14;
    if (x > 0 && x + w > width) {
      x = 0;
      row++;
    }
    pos.push({ x, row });
    x += w;
  }
  return pos;
}

const LEGEND_ROW = 16;

/** Right margin wide enough for the labels of horizontal reference lines, drawn outside the plot. */
function rightMargin(hLines: RefLine[] | undefined, base: number): number {
  const w = Math.max(0, ...(hLines ?? []).filter((h) => h.label).map((h) => textWidth(h.label!, 10) + 8));
  return Math.max(base, w);
}

function legendHeight(items: LegendItem[], width: number): number {
  if (items.length === 0) return 0;
  const pos = legendLayout(items, width);
  return (pos[pos.length - 1].row + 1) * LEGEND_ROW + 6;
}

function drawLegend(svg: AnySel, items: LegendItem[], x0: number, y0: number, width: number): void {
  if (items.length === 0) return;
  const pos = legendLayout(items, width);
  const g = svg.append('g').attr('class', 'legend').attr('transform', `translate(${x0},${y0})`);
  items.forEach((it, i) => {
    const item = g
      .append('g')
      .attr('class', 'legend-item')
      .attr('transform', `translate(${pos[i].x},${pos[i].row * LEGEND_ROW})`);
    if (it.kind === 'box') {
      item
        .append('rect')
        .attr('x', 2)
        .attr('y', 2)
        .attr('width', 18)
        .attr('height', 9)
        .attr('fill', it.color)
        .attr('fill-opacity', it.opacity ?? 1)
        .attr('stroke', it.color);
    } else {
      item
        .append('line')
        .attr('x1', 0)
        .attr('x2', 22)
        .attr('y1', 6.5)
        .attr('y2', 6.5)
        .attr('stroke', it.color)
        .attr('stroke-width', 2)
        .attr('stroke-dasharray', it.dash || null);
    }
    item.append('text').attr('x', 26).attr('y', 10).text(it.label);
  });
}

/** Style a d3 axis group: readable ticks, no heavy domain line. */
/** Horizontal grid lines at the y ticks. */
function drawGrid(plot: AnySel, y: { (v: number): number; ticks(count: number): number[] }, yTicks: number, plotW: number): void {
  plot
    .append('g')
    .attr('class', 'grid')
    .selectAll('line')
    .data(y.ticks(yTicks))
    .join('line')
    .attr('x1', 0)
    .attr('x2', plotW)
    .attr('y1', (d: number) => y(d))
    .attr('y2', (d: number) => y(d))
    .attr('stroke', COLORS.grid);
}

function styleAxis(g: AnySel): void {
  g.attr('font-family', FONT).attr('font-size', 10).attr('color', COLORS.axis);
  g.selectAll('.tick text').attr('fill', COLORS.axis);
}

function axisLabel(svg: AnySel, text: string | undefined, x: number, y: number, rotate = false): void {
  if (!text) return;
  const t = svg
    .append('text')
    .attr('class', rotate ? 'y-label' : 'x-label')
    .attr('text-anchor', 'middle')
    .attr('font-size', 11)
    .text(text);
  if (rotate) t.attr('transform', `translate(${x},${y}) rotate(-90)`);
  else t.attr('x', x).attr('y', y);
}

const SUPERSCRIPT: Record<string, string> = {
  '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹',
};

/** `2⁻¹⁰`-style label for an exact power of the base, a compact number otherwise. */
export function powerLabel(value: number, base: number): string {
  const k = Math.log(value) / Math.log(base);
  const kr = Math.round(k);
  if (Math.abs(k - kr) < 1e-9) {
    if (kr === 0) return '1';
    return `${base}${String(kr).replace(/[-0-9]/g, (c) => SUPERSCRIPT[c])}`;
  }
  return format('.2~g')(value);
}

// ---------------------------------------------------------------------------------------------
// line chart

export interface XY {
  x: number;
  y: number;
  /** Band bottom/top (min–max or mean ± sd); the band is drawn where both are present. */
  lo?: number;
  hi?: number;
}

export interface LineSeries {
  /** Written to `data-series`; stable names make charts testable and styleable. */
  id: string;
  label: string;
  points: XY[];
  color: string;
  /** SVG dash array; '' or undefined for solid. */
  dash?: string;
  /** Draw the lo–hi band (default true when points carry lo/hi). */
  band?: boolean;
  /** Draw point markers (default: when the series has at most 40 points). */
  markers?: boolean;
}

export interface RefLine {
  value: number;
  label?: string;
  color?: string;
  dash?: string;
}

export interface LineChartSpec {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  series: LineSeries[];
  /** `linear` (default), `log2` (ticks at powers of two) or `log10`. */
  xScale?: 'linear' | 'log2' | 'log10';
  xDomain?: [number, number];
  yDomain?: [number, number];
  /** Horizontal reference lines, e.g. chance = 0.5. */
  hLines?: RefLine[];
  /** Vertical reference lines, e.g. σ(w) of a layer. */
  vLines?: RefLine[];
  /** Extra legend entries (e.g. for reference-line styles). */
  extraLegend?: LegendItem[];
  /** Total width in px (default 520). */
  width?: number;
  /** Height of title + plot + axes in px (default 300); the legend adds its own rows below. */
  height?: number;
  /** Show one legend entry per series (default true); `extraLegend` entries are always shown. */
  legend?: boolean;
  /** Text drawn in the plot when there is nothing to show. */
  emptyText?: string;
}

function xScaleOf(kind: LineChartSpec['xScale'], domain: [number, number], range: [number, number]): ScaleContinuousNumeric<number, number> {
  if (kind === 'log2') return scaleLog().base(2).domain(domain).range(range);
  if (kind === 'log10') return scaleLog().base(10).domain(domain).range(range);
  return scaleLinear().domain(domain).range(range);
}

function extentOf(values: number[], fallback: [number, number]): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return fallback;
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  return [lo, hi];
}

/**
 * Line chart: one `<path class="series" data-series="id">` per series, an optional shaded band
 * per series (`<path class="band">`), axes (linear or log x), title, legend and reference lines.
 */
export function lineChart(doc: Document, spec: LineChartSpec): SVGSVGElement {
  const width = spec.width ?? 520;
  const height = spec.height ?? 300;
  const isLog = spec.xScale === 'log2' || spec.xScale === 'log10';
  const usable = (p: XY): boolean => Number.isFinite(p.x) && Number.isFinite(p.y) && (!isLog || p.x > 0);
  const series = spec.series.map((s) => ({ ...s, points: s.points.filter(usable).sort((a, b) => a.x - b.x) }));

  const legendItems: LegendItem[] = [
    ...(spec.legend === false ? [] : series.map((s) => ({ label: s.label, color: s.color, dash: s.dash }))),
    ...(spec.extraLegend ?? []),
  ];
  const m: Margins = { top: spec.title ? 30 : 12, right: rightMargin(spec.hLines, 18), bottom: spec.xLabel ? 42 : 26, left: spec.yLabel ? 56 : 42 };
  const plotW = width - m.left - m.right;
  const lh = legendHeight(legendItems, plotW);
  const totalH = height + lh;
  const plotH = height - m.top - m.bottom;

  const svg = createSvg(doc, width, totalH, spec.title ?? 'line chart');
  svg.attr('data-chart', 'line');
  title(svg, spec.title, width);

  const allX = series.flatMap((s) => s.points.map((p) => p.x));
  const vx = (spec.vLines ?? []).map((l) => l.value).filter((v) => Number.isFinite(v) && (!isLog || v > 0));
  const xDomain = spec.xDomain ?? extentOf([...allX, ...vx], isLog ? [1 / 1024, 1] : [0, 1]);
  const allY = series.flatMap((s) => s.points.flatMap((p) => [p.y, p.lo ?? p.y, p.hi ?? p.y]));
  let yDomain = spec.yDomain;
  if (!yDomain) {
    const hy = (spec.hLines ?? []).map((l) => l.value);
    yDomain = extentOf([...allY, ...hy], [0, 1]);
    yDomain = scaleLinear().domain(yDomain).nice().domain() as [number, number];
  }
  const x = xScaleOf(spec.xScale, xDomain, [0, plotW]);
  const y = scaleLinear().domain(yDomain).range([plotH, 0]);
  const clampY = (v: number): number => Math.max(yDomain![0], Math.min(yDomain![1], v));

  const plot = svg.append('g').attr('class', 'plot').attr('transform', `translate(${m.left},${m.top})`);

  // grid + axes
  const yTicks = Math.max(2, Math.min(8, Math.floor(plotH / 35)));
  const xTickCount = Math.max(2, Math.floor(plotW / 55));
  const yAxis = axisLeft(y).ticks(yTicks).tickSizeOuter(0);
  const xAxis = axisBottom(x).tickSizeOuter(0);
  if (isLog) {
    const base = spec.xScale === 'log2' ? 2 : 10;
    let ticks = x.ticks(xTickCount).filter((t) => Math.abs(Math.log(t) / Math.log(base) - Math.round(Math.log(t) / Math.log(base))) < 1e-9);
    // keep every k-th power so labels never collide
    const maxTicks = Math.max(2, Math.floor(plotW / 38));
    const step = Math.ceil(ticks.length / maxTicks);
    if (step > 1) ticks = ticks.filter((_, i) => i % step === 0);
    xAxis.tickValues(ticks).tickFormat((d) => powerLabel(Number(d), base));
  } else {
    xAxis.ticks(xTickCount);
  }
  drawGrid(plot, y, yTicks, plotW);
  const gx = plot.append('g').attr('class', 'x-axis').attr('transform', `translate(0,${plotH})`).call(xAxis);
  gx.selectAll('.tick').attr('data-value', (d: any) => String(d));
  styleAxis(gx);
  const gy = plot.append('g').attr('class', 'y-axis').call(yAxis);
  styleAxis(gy);
  axisLabel(svg, spec.xLabel, m.left + plotW / 2, m.top + plotH + 34);
  axisLabel(svg, spec.yLabel, 14, m.top + plotH / 2, true);

  // reference lines below the data
  const refs = plot.append('g').attr('class', 'ref-lines');
  for (const h of spec.hLines ?? []) {
    if (!Number.isFinite(h.value) || h.value < yDomain[0] || h.value > yDomain[1]) continue;
    const yy = y(h.value);
    refs
      .append('line')
      .attr('class', 'ref-h')
      .attr('x1', 0)
      .attr('x2', plotW)
      .attr('y1', yy)
      .attr('y2', yy)
      .attr('stroke', h.color ?? COLORS.chance)
      .attr('stroke-dasharray', h.dash ?? '4 3');
    if (h.label)
      refs
        .append('text')
        .attr('x', plotW + 4)
        .attr('y', yy + 3.5)
        .attr('text-anchor', 'start')
        .attr('font-size', 10)
        .attr('fill', h.color ?? COLORS.chance)
        .text(h.label);
  }
  // vertical lines: labels stacked in rows at the top so they never overlap
  const vLines = (spec.vLines ?? [])
    .filter((v) => Number.isFinite(v.value) && v.value >= xDomain[0] && v.value <= xDomain[1])
    .sort((a, b) => a.value - b.value);
  const rowEnds: number[] = [];
  for (const v of vLines) {
    const xx = x(v.value);
    refs
      .append('line')
      .attr('class', 'ref-v')
      .attr('x1', xx)
      .attr('x2', xx)
      .attr('y1', 0)
      .attr('y2', plotH)
      .attr('stroke', v.color ?? COLORS.reference)
      .attr('stroke-dasharray', v.dash ?? '2 3');
    if (!v.label) continue;
    const w = textWidth(v.label, 10);
    const rightSide = xx + 3 + w <= plotW;
    const start = rightSide ? xx + 3 : xx - 3 - w;
    let row = rowEnds.findIndex((end) => start > end + 4);
    if (row < 0) {
      row = rowEnds.length;
      rowEnds.push(-Infinity);
    }
    rowEnds[row] = start + w;
    refs
      .append('text')
      .attr('x', rightSide ? xx + 3 : xx - 3)
      .attr('y', 10 + row * 11)
      .attr('text-anchor', rightSide ? 'start' : 'end')
      .attr('font-size', 10)
      .attr('fill', v.color ?? COLORS.reference)
      .text(v.label);
  }

  // bands, then lines, then markers
  const bands = plot.append('g').attr('class', 'bands');
  const lines = plot.append('g').attr('class', 'lines');
  for (const s of series) {
    const withBand = s.points.filter((p) => Number.isFinite(p.lo) && Number.isFinite(p.hi));
    if ((s.band ?? true) && withBand.length > 1) {
      const a = area<XY>()
        .x((p) => x(p.x))
        .y0((p) => y(clampY(p.lo!)))
        .y1((p) => y(clampY(p.hi!)));
      bands
        .append('path')
        .attr('class', 'band')
        .attr('data-series', s.id)
        .attr('d', a(withBand))
        .attr('fill', s.color)
        .attr('fill-opacity', 0.14)
        .attr('stroke', 'none');
    }
    const l = line<XY>()
      .x((p) => x(p.x))
      .y((p) => y(clampY(p.y)));
    lines
      .append('path')
      .attr('class', 'series')
      .attr('data-series', s.id)
      .attr('d', s.points.length > 0 ? l(s.points) : '')
      .attr('fill', 'none')
      .attr('stroke', s.color)
      .attr('stroke-width', 2)
      .attr('stroke-linejoin', 'round')
      .attr('stroke-dasharray', s.dash || null);
    if (s.markers ?? s.points.length <= 40) {
      lines
        .append('g')
        .attr('class', 'markers')
        .attr('data-series', s.id)
        .selectAll('circle')
        .data(s.points)
        .join('circle')
        .attr('cx', (p: XY) => x(p.x))
        .attr('cy', (p: XY) => y(clampY(p.y)))
        .attr('r', 2.3)
        .attr('fill', s.color);
    }
  }
  if (series.every((s) => s.points.length === 0)) {
    plot
      .append('text')
      .attr('class', 'empty')
      .attr('x', plotW / 2)
      .attr('y', plotH / 2)
      .attr('text-anchor', 'middle')
      .attr('fill', COLORS.chance)
      .text(spec.emptyText ?? 'no data');
  }

  drawLegend(svg, legendItems, m.left, height + 2, plotW);
  return svg.node() as SVGSVGElement;
}

// ---------------------------------------------------------------------------------------------
// grouped bar chart

export interface BarKey {
  id: string;
  label: string;
  color: string;
  /** Fill opacity (e.g. 0.45 for binarized next to solid full precision). */
  opacity?: number;
}

export interface BarDatum {
  group: string;
  key: string;
  value: number;
  /** Error bar ends (e.g. mean ± sd). */
  lo?: number;
  hi?: number;
}

export interface BarChartSpec {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Groups along x, in order. */
  groups: string[];
  /** Bars within a group, in order. */
  keys: BarKey[];
  data: BarDatum[];
  yDomain?: [number, number];
  hLines?: RefLine[];
  width?: number;
  height?: number;
  legend?: boolean;
}

/**
 * Grouped bars with error bars: `<rect class="bar" data-group data-key>` per datum and
 * `<line class="error-bar">` where lo/hi are given. Missing data leave a gap.
 */
export function barChart(doc: Document, spec: BarChartSpec): SVGSVGElement {
  const width = spec.width ?? 560;
  const height = spec.height ?? 300;
  const legendItems: LegendItem[] =
    spec.legend === false ? [] : spec.keys.map((k) => ({ label: k.label, color: k.color, kind: 'box' as const, opacity: k.opacity }));
  const m: Margins = { top: spec.title ? 30 : 12, right: rightMargin(spec.hLines, 14), bottom: spec.xLabel ? 42 : 26, left: spec.yLabel ? 56 : 42 };
  const plotW = width - m.left - m.right;
  const x0 = scaleBand<string>().domain(spec.groups).range([0, plotW]).paddingInner(0.2).paddingOuter(0.1);
  // rotate group labels when they would not fit their band
  const longest = Math.max(0, ...spec.groups.map((g) => textWidth(g, 10)));
  const rotate = longest > x0.bandwidth() + x0.step() * 0.2 - 2;
  if (rotate) m.bottom += Math.min(70, longest * 0.6);
  const plotH = height - m.top - m.bottom;
  const lh = legendHeight(legendItems, plotW);
  const svg = createSvg(doc, width, height + lh, spec.title ?? 'bar chart');
  svg.attr('data-chart', 'bar');
  title(svg, spec.title, width);

  const x1 = scaleBand<string>()
    .domain(spec.keys.map((k) => k.id))
    .range([0, x0.bandwidth()])
    .padding(0.08);
  const values = spec.data.flatMap((d) => [d.value, d.lo ?? d.value, d.hi ?? d.value]);
  let yDomain = spec.yDomain;
  if (!yDomain) {
    const e = extentOf([0, ...values], [0, 1]);
    yDomain = scaleLinear().domain(e).nice().domain() as [number, number];
  }
  const y = scaleLinear().domain(yDomain).range([plotH, 0]);
  const clampY = (v: number): number => Math.max(yDomain![0], Math.min(yDomain![1], v));
  const plot = svg.append('g').attr('class', 'plot').attr('transform', `translate(${m.left},${m.top})`);
  const yTicks = Math.max(2, Math.min(8, Math.floor(plotH / 35)));
  drawGrid(plot, y, yTicks, plotW);
  const gx = plot.append('g').attr('class', 'x-axis').attr('transform', `translate(0,${plotH})`).call(axisBottom(x0).tickSizeOuter(0));
  styleAxis(gx);
  if (rotate) gx.selectAll('.tick text').attr('text-anchor', 'end').attr('transform', 'rotate(-35)').attr('dx', '-0.4em').attr('dy', '0.6em');
  const gy = plot.append('g').attr('class', 'y-axis').call(axisLeft(y).ticks(yTicks).tickSizeOuter(0));
  styleAxis(gy);
  axisLabel(svg, spec.xLabel, m.left + plotW / 2, m.top + plotH + m.bottom - 8);
  axisLabel(svg, spec.yLabel, 14, m.top + plotH / 2, true);

  const zero = y(clampY(Math.max(yDomain[0], Math.min(yDomain[1], 0))));
  const keyById = new Map(spec.keys.map((k) => [k.id, k]));
  const bars = plot.append('g').attr('class', 'bars');
  for (const d of spec.data) {
    const k = keyById.get(d.key);
    if (!k || !spec.groups.includes(d.group) || !Number.isFinite(d.value)) continue;
    const bx = x0(d.group)! + x1(d.key)!;
    const yv = y(clampY(d.value));
    bars
      .append('rect')
      .attr('class', 'bar')
      .attr('data-group', d.group)
      .attr('data-key', d.key)
      .attr('x', bx)
      .attr('width', x1.bandwidth())
      .attr('y', Math.min(yv, zero))
      .attr('height', Math.max(0.5, Math.abs(zero - yv)))
      .attr('fill', k.color)
      .attr('fill-opacity', k.opacity ?? 1)
      .attr('stroke', k.color)
      .attr('stroke-width', 1)
      .append('title')
      .text(`${d.group} · ${k.label}: ${format('.3f')(d.value)}`);
    if (Number.isFinite(d.lo) && Number.isFinite(d.hi)) {
      const cx = bx + x1.bandwidth() / 2;
      const cap = Math.min(4, x1.bandwidth() / 3);
      const ylo = y(clampY(d.lo!));
      const yhi = y(clampY(d.hi!));
      const eb = bars.append('g').attr('class', 'error-bar').attr('stroke', COLORS.axis).attr('stroke-width', 1);
      eb.append('line').attr('x1', cx).attr('x2', cx).attr('y1', ylo).attr('y2', yhi);
      eb.append('line').attr('x1', cx - cap).attr('x2', cx + cap).attr('y1', ylo).attr('y2', ylo);
      eb.append('line').attr('x1', cx - cap).attr('x2', cx + cap).attr('y1', yhi).attr('y2', yhi);
    }
  }
  for (const h of spec.hLines ?? []) {
    if (!Number.isFinite(h.value) || h.value < yDomain[0] || h.value > yDomain[1]) continue;
    plot
      .append('line')
      .attr('class', 'ref-h')
      .attr('x1', 0)
      .attr('x2', plotW)
      .attr('y1', y(h.value))
      .attr('y2', y(h.value))
      .attr('stroke', h.color ?? COLORS.chance)
      .attr('stroke-dasharray', h.dash ?? '4 3');
    if (h.label)
      plot
        .append('text')
        .attr('x', plotW + 4)
        .attr('y', y(h.value) + 3.5)
        .attr('text-anchor', 'start')
        .attr('font-size', 10)
        .attr('fill', h.color ?? COLORS.chance)
        .text(h.label);
  }
  drawLegend(svg, legendItems, m.left, height + 2, plotW);
  return svg.node() as SVGSVGElement;
}

// ---------------------------------------------------------------------------------------------
// histogram

export interface Bin {
  x0: number;
  x1: number;
  /** Probability (or count) of the bin. */
  value: number;
}

export interface HistogramSeries {
  id: string;
  label: string;
  color: string;
  bins: Bin[];
  dash?: string;
}

export interface HistogramSpec {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  series: HistogramSeries[];
  /** Logarithmic y axis; empty bins are drawn at the floor. */
  logY?: boolean;
  width?: number;
  height?: number;
  legend?: boolean;
}

/**
 * Probability mass of integer values (degrees): bins of width `binWidth` (default: 1, or wider so
 * that there are at most `maxBins` bins), values sum to 1.
 */
export function integerHistogram(values: ArrayLike<number>, options: { maxBins?: number; binWidth?: number; min?: number; max?: number } = {}): Bin[] {
  const n = values.length;
  if (n === 0) return [];
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  lo = Math.floor(options.min ?? lo);
  hi = Math.floor(options.max ?? hi);
  const maxBins = options.maxBins ?? 40;
  const w = options.binWidth ?? Math.max(1, Math.ceil((hi - lo + 1) / maxBins));
  const count = Math.floor((hi - lo) / w) + 1;
  const counts = new Array<number>(count).fill(0);
  for (let i = 0; i < n; i++) {
    const b = Math.floor((Math.floor(values[i]) - lo) / w);
    if (b >= 0 && b < count) counts[b]++;
  }
  return counts.map((c, b) => ({ x0: lo + b * w - 0.5, x1: lo + (b + 1) * w - 0.5, value: c / n }));
}

/**
 * Overlaid histograms drawn as outlined steps with a light fill (`<path class="series">` per
 * series), so two distributions stay readable on top of each other.
 */
export function histogramChart(doc: Document, spec: HistogramSpec): SVGSVGElement {
  const width = spec.width ?? 420;
  const height = spec.height ?? 260;
  const legendItems: LegendItem[] =
    spec.legend === false ? [] : spec.series.map((s) => ({ label: s.label, color: s.color, kind: 'box' as const, opacity: 0.3 }));
  const m: Margins = { top: spec.title ? 30 : 12, right: 14, bottom: spec.xLabel ? 42 : 26, left: spec.yLabel ? 60 : 46 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const lh = legendHeight(legendItems, plotW);
  const svg = createSvg(doc, width, height + lh, spec.title ?? 'histogram');
  svg.attr('data-chart', 'histogram');
  title(svg, spec.title, width);

  const bins = spec.series.flatMap((s) => s.bins);
  const xDomain = extentOf(bins.flatMap((b) => [b.x0, b.x1]), [0, 1]);
  const x = scaleLinear().domain(xDomain).range([0, plotW]);
  const positive = bins.map((b) => b.value).filter((v) => v > 0);
  const maxV = Math.max(0, ...bins.map((b) => b.value));
  // a log axis over less than two decades shows one or two ticks: draw those linear instead
  const logY = Boolean(spec.logY) && positive.length > 0 && maxV / Math.min(...positive) >= 100;
  const floor = logY ? Math.pow(10, Math.floor(Math.log10(Math.min(...positive)))) : 0;
  const y = logY
    ? scaleLog().domain([floor, Math.pow(10, Math.ceil(Math.log10(maxV)))]).range([plotH, 0])
    : scaleLinear().domain([0, maxV > 0 ? maxV : 1]).nice().range([plotH, 0]);
  const yv = (v: number): number => (logY ? y(Math.max(floor, v)) : y(v));

  const plot = svg.append('g').attr('class', 'plot').attr('transform', `translate(${m.left},${m.top})`);
  const yAxis = axisLeft(y).tickSizeOuter(0);
  if (logY) {
    const ticks = (y.ticks() as number[]).filter((t) => Math.abs(Math.log10(t) - Math.round(Math.log10(t))) < 1e-9);
    yAxis.tickValues(ticks).tickFormat((d) => powerLabel(Number(d), 10));
  } else yAxis.ticks(Math.max(2, Math.min(6, Math.floor(plotH / 35))));
  const gy = plot.append('g').attr('class', 'y-axis').call(yAxis);
  styleAxis(gy);
  const xAxis = axisBottom(x).ticks(Math.max(2, Math.floor(plotW / 55))).tickSizeOuter(0);
  // integer data: integer ticks only
  xAxis.tickFormat((d) => (Number.isInteger(Number(d)) ? String(d) : ''));
  const gx = plot.append('g').attr('class', 'x-axis').attr('transform', `translate(0,${plotH})`).call(xAxis);
  styleAxis(gx);
  axisLabel(svg, spec.xLabel, m.left + plotW / 2, m.top + plotH + 34);
  axisLabel(svg, spec.yLabel, 14, m.top + plotH / 2, true);

  const g = plot.append('g').attr('class', 'lines');
  for (const s of spec.series) {
    const sorted = [...s.bins].sort((a, b) => a.x0 - b.x0);
    let d = '';
    if (sorted.length > 0) {
      const base = logY ? plotH : y(0);
      d = `M${x(sorted[0].x0)},${base}`;
      for (const b of sorted) d += `L${x(b.x0)},${yv(b.value)}L${x(b.x1)},${yv(b.value)}`;
      d += `L${x(sorted[sorted.length - 1].x1)},${base}Z`;
    }
    g.append('path')
      .attr('class', 'series')
      .attr('data-series', s.id)
      .attr('d', d)
      .attr('fill', s.color)
      .attr('fill-opacity', 0.18)
      .attr('stroke', s.color)
      .attr('stroke-width', 1.6)
      .attr('stroke-dasharray', s.dash || null);
  }
  drawLegend(svg, legendItems, m.left, height + 2, plotW);
  return svg.node() as SVGSVGElement;
}

// ---------------------------------------------------------------------------------------------
// scatter

export interface ScatterPoint {
  x: number;
  y: number;
  label?: string;
  color?: string;
}

export interface ScatterSpec {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  points: ScatterPoint[];
  /** Draw the least-squares line (default true with ≥ 3 points). */
  fit?: boolean;
  /** Draw the y = x diagonal. */
  diagonal?: boolean;
  /** Write each point's label next to it (default: when there are at most 12 points). */
  labels?: boolean;
  width?: number;
  height?: number;
  legend?: LegendItem[];
  /** Lines of text in the top-left corner (e.g. the correlations, each labelled). */
  notes?: string[];
}

/** Scatter plot (`<circle class="point">`), optional fit line and y = x diagonal. */
export function scatter(doc: Document, spec: ScatterSpec): SVGSVGElement {
  const width = spec.width ?? 420;
  const height = spec.height ?? 320;
  const legendItems = spec.legend ?? [];
  const m: Margins = { top: spec.title ? 30 : 12, right: 16, bottom: spec.xLabel ? 42 : 26, left: spec.yLabel ? 60 : 46 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const lh = legendHeight(legendItems, plotW);
  const svg = createSvg(doc, width, height + lh, spec.title ?? 'scatter plot');
  svg.attr('data-chart', 'scatter');
  title(svg, spec.title, width);
  const pts = spec.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  // pad so that points never sit on the axes
  const pad = (e: [number, number]): [number, number] => [e[0] - (e[1] - e[0]) * 0.1, e[1] + (e[1] - e[0]) * 0.1];
  const xd = pad(extentOf(pts.map((p) => p.x), [0, 1]));
  const yd = pad(extentOf(pts.map((p) => p.y), [0, 1]));
  const lo = spec.diagonal ? Math.min(xd[0], yd[0]) : NaN;
  const hi = spec.diagonal ? Math.max(xd[1], yd[1]) : NaN;
  const x = scaleLinear().domain(spec.diagonal ? [lo, hi] : xd).nice().range([0, plotW]);
  const y = scaleLinear().domain(spec.diagonal ? [lo, hi] : yd).nice().range([plotH, 0]);
  const plot = svg.append('g').attr('class', 'plot').attr('transform', `translate(${m.left},${m.top})`);
  const gx = plot.append('g').attr('class', 'x-axis').attr('transform', `translate(0,${plotH})`).call(axisBottom(x).ticks(Math.max(2, Math.floor(plotW / 60))).tickSizeOuter(0));
  styleAxis(gx);
  const gy = plot.append('g').attr('class', 'y-axis').call(axisLeft(y).ticks(Math.max(2, Math.floor(plotH / 40))).tickSizeOuter(0));
  styleAxis(gy);
  axisLabel(svg, spec.xLabel, m.left + plotW / 2, m.top + plotH + 34);
  axisLabel(svg, spec.yLabel, 14, m.top + plotH / 2, true);
  const [dx0, dx1] = x.domain();
  if (spec.diagonal) {
    plot.append('line').attr('class', 'diagonal').attr('x1', x(dx0)).attr('y1', y(dx0)).attr('x2', x(dx1)).attr('y2', y(dx1)).attr('stroke', COLORS.chance).attr('stroke-dasharray', '4 3');
  }
  const fit = (spec.fit ?? pts.length >= 3) ? linearFit(pts) : null;
  if (fit) {
    const [ya, yb] = y.domain();
    const clip = (v: number): number => Math.max(ya, Math.min(yb, v));
    plot
      .append('line')
      .attr('class', 'fit')
      .attr('x1', x(dx0))
      .attr('y1', y(clip(fit.intercept + fit.slope * dx0)))
      .attr('x2', x(dx1))
      .attr('y2', y(clip(fit.intercept + fit.slope * dx1)))
      .attr('stroke', COLORS.reference)
      .attr('stroke-width', 1.2);
    plot.append('text').attr('x', 4).attr('y', 12).attr('font-size', 10).attr('fill', COLORS.reference).text(`Pearson r = ${format('.2f')(fit.r)}`);
  }
  (spec.notes ?? []).forEach((note, k) => {
    plot.append('text').attr('class', 'note').attr('x', 4).attr('y', (fit ? 26 : 12) + 13 * k).attr('font-size', 10).text(note);
  });
  const showLabels = spec.labels ?? pts.length <= 12;
  const g = plot.append('g').attr('class', 'points');
  for (const p of pts) {
    g.append('circle')
      .attr('class', 'point')
      .attr('cx', x(p.x))
      .attr('cy', y(p.y))
      .attr('r', 4)
      .attr('fill', p.color ?? COLORS.reference)
      .attr('fill-opacity', 0.85)
      .append('title')
      .text(`${p.label ?? ''} (${format('.3f')(p.x)}, ${format('.3f')(p.y)})`);
    if (showLabels && p.label) {
      const right = x(p.x) + 6 + textWidth(p.label, 10) <= plotW;
      g.append('text')
        .attr('x', x(p.x) + (right ? 6 : -6))
        .attr('y', y(p.y) - 5)
        .attr('text-anchor', right ? 'start' : 'end')
        .attr('font-size', 10)
        .text(p.label);
    }
  }
  drawLegend(svg, legendItems, m.left, height + 2, plotW);
  return svg.node() as SVGSVGElement;
}

export interface HeatmapSpec {
  title?: string;
  /** Row and column labels (e.g. the ten classes). */
  labels: string[];
  /** values[i][j]: the cell of row i, column j; null = not shown. */
  values: (number | null)[][];
  /** Colour domain (default: the values' extent). */
  domain?: [number, number];
  width?: number;
  xLabel?: string;
  yLabel?: string;
}

/** A labelled grid of coloured, annotated cells (`<rect class="cell">`), like seaborn's heatmap. */
export function heatmap(doc: Document, spec: HeatmapSpec): SVGSVGElement {
  const n = spec.labels.length;
  const width = spec.width ?? 380;
  const m: Margins = { top: spec.title ? 30 : 12, right: 12, bottom: spec.xLabel ? 40 : 24, left: spec.yLabel ? 44 : 28 };
  const cell = Math.max(8, Math.floor((width - m.left - m.right) / Math.max(1, n)));
  const height = m.top + m.bottom + cell * n;
  const svg = createSvg(doc, width, height, spec.title ?? 'heatmap');
  svg.attr('data-chart', 'heatmap');
  title(svg, spec.title, width);
  const finite = spec.values.flat().filter((v): v is number => v !== null && Number.isFinite(v));
  const [lo, hi] = spec.domain ?? extentOf(finite, [0, 1]);
  const colour = (v: number): string => interpolateHcl('#fde725', '#3b0f70')(hi > lo ? Math.max(0, Math.min(1, (v - lo) / (hi - lo))) : 0.5);
  const plot = svg.append('g').attr('class', 'plot').attr('transform', `translate(${m.left},${m.top})`);
  spec.labels.forEach((label, i) => {
    plot.append('text').attr('x', -4).attr('y', i * cell + cell / 2 + 3).attr('text-anchor', 'end').attr('font-size', 10).text(label);
    plot.append('text').attr('x', i * cell + cell / 2).attr('y', n * cell + 12).attr('text-anchor', 'middle').attr('font-size', 10).text(label);
  });
  spec.values.forEach((row, i) =>
    row.forEach((v, j) => {
      if (v === null || !Number.isFinite(v)) return;
      const fill = colour(v);
      plot.append('rect').attr('class', 'cell').attr('x', j * cell).attr('y', i * cell).attr('width', cell - 1).attr('height', cell - 1).attr('fill', fill)
        .append('title').text(`${spec.labels[i]} vs ${spec.labels[j]}: ${format('.3f')(v)}`);
      const dark = (v - lo) / (hi - lo || 1) > 0.5;
      if (cell >= 24) plot.append('text').attr('x', j * cell + cell / 2).attr('y', i * cell + cell / 2 + 3).attr('text-anchor', 'middle').attr('font-size', 9).attr('fill', dark ? '#fff' : '#222').text(format('.2f')(v));
    }),
  );
  axisLabel(svg, spec.xLabel, m.left + (n * cell) / 2, m.top + n * cell + 32);
  axisLabel(svg, spec.yLabel, 12, m.top + (n * cell) / 2, true);
  return svg.node() as SVGSVGElement;
}
