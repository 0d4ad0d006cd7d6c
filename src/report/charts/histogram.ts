/// <reference lib="dom" />
/** Histograms (overlaid outlined steps) and the probability mass of integer values. */
import { axisBottom, axisLeft, scaleLinear, scaleLog } from 'd3';
import { axisLabel, createSvg, drawLegend, extentOf, legendHeight, powerLabel, styleAxis, title, type LegendItem, type Margins } from './common.js';

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
  /** Override the left margin (small multiples align their plots with it). */
  marginLeft?: number;
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
  const m: Margins = { top: spec.title ? 30 : 12, right: 14, bottom: spec.xLabel ? 42 : 26, left: spec.marginLeft ?? (spec.yLabel ? 60 : 46) };
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
