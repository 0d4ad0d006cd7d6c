/// <reference lib="dom" />
/** Line charts: series with optional bands and markers, linear or log x, reference lines, labelled ticks. */
import { area, axisBottom, axisLeft, line, scaleLinear, scaleLog } from 'd3';
import type { ScaleContinuousNumeric } from 'd3';
import {
  axisLabel, COLORS, createSvg, drawGrid, drawLegend, extentOf, labelTicks, legendHeight, powerLabel, rightMargin, styleAxis, textWidth, tickLayout, title, withShared,
  type AxisTick, type LegendItem, type Margins, type RefLine,
} from './common.js';

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
  /**
   * Ticks at these x values with these labels instead of d3's numbers (e.g. layer names at their
   * depth); rotated and thinned when they do not fit, the chart growing to hold them.
   */
  xTicks?: AxisTick[];
  /** Override the left margin (small multiples align their plots with it). */
  marginLeft?: number;
}

function xScaleOf(kind: LineChartSpec['xScale'], domain: [number, number], range: [number, number]): ScaleContinuousNumeric<number, number> {
  if (kind === 'log2') return scaleLog().base(2).domain(domain).range(range);
  if (kind === 'log10') return scaleLog().base(10).domain(domain).range(range);
  return scaleLinear().domain(domain).range(range);
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
  const m: Margins = { top: spec.title ? 30 : 12, right: rightMargin(spec.hLines, 18), bottom: spec.xLabel ? 42 : 26, left: spec.marginLeft ?? (spec.yLabel ? 56 : 42) };
  const xTicks = (spec.xTicks ?? []).filter((t) => Number.isFinite(t.value) && (!isLog || t.value > 0));
  let tickPlan = xTicks.length ? tickLayout(xTicks, (width - m.left - m.right) / Math.max(1, xTicks.length)) : null;
  // the first tick sits half a step inside the plot: widen the left margin where its label reaches further
  if (tickPlan && tickPlan.left > m.left + (width - m.left - m.right) / xTicks.length / 2) {
    m.left = Math.ceil(tickPlan.left - (width - m.left - m.right) / xTicks.length / 2);
    tickPlan = tickLayout(xTicks, (width - m.left - m.right) / xTicks.length);
  }
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  // rotated tick labels push the axis label and the legend down; the plot keeps its size
  const extra = tickPlan?.extra ?? 0;
  const lh = legendHeight(legendItems, plotW);
  const totalH = height + extra + lh;

  const svg = createSvg(doc, width, totalH, spec.title ?? 'line chart');
  svg.attr('data-chart', 'line');
  title(svg, spec.title, width);

  const allX = series.flatMap((s) => s.points.map((p) => p.x));
  const vx = (spec.vLines ?? []).map((l) => l.value).filter((v) => Number.isFinite(v) && (!isLog || v > 0));
  const tx = xTicks.map((t) => t.value);
  let xDomain = spec.xDomain ?? extentOf([...allX, ...vx, ...tx], isLog ? [1 / 1024, 1] : [0, 1]);
  // categorical ticks (layers) sit half a step inside the ends, so the first and last are not on the frame
  if (!spec.xDomain && xTicks.length > 1 && !isLog) {
    const half = (Math.max(...tx) - Math.min(...tx)) / (xTicks.length - 1) / 2;
    xDomain = [Math.min(xDomain[0], Math.min(...tx) - half), Math.max(xDomain[1], Math.max(...tx) + half)];
  }
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
  if (xTicks.length) {
    xAxis.tickValues(xTicks.map((t) => t.value));
  } else if (isLog) {
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
  if (tickPlan) labelTicks(gx, xTicks, tickPlan);
  const gy = plot.append('g').attr('class', 'y-axis').call(yAxis);
  styleAxis(gy);
  axisLabel(svg, withShared(spec.xLabel, tickPlan), m.left + plotW / 2, m.top + plotH + 34 + extra);
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

  drawLegend(svg, legendItems, m.left, height + extra + 2, plotW);
  return svg.node() as SVGSVGElement;
}
