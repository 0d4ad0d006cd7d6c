/// <reference lib="dom" />
/** Scatter plots with an optional least-squares line, y = x diagonal and labelled ticks. */
import { axisBottom, axisLeft, format, scaleLinear } from 'd3';
import { linearFit } from '../aggregate.js';
import {
  axisLabel, COLORS, createSvg, drawLegend, extentOf, labelTicks, legendHeight, styleAxis, textWidth, tickLayout, title, withShared,
  type AxisTick, type LegendItem, type Margins,
} from './common.js';

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
  /** Ticks at these x values with these labels (e.g. layer names at their depth), rotated and thinned when they do not fit. */
  xTicks?: AxisTick[];
}

/** Scatter plot (`<circle class="point">`), optional fit line and y = x diagonal. */
export function scatter(doc: Document, spec: ScatterSpec): SVGSVGElement {
  const width = spec.width ?? 420;
  const height = spec.height ?? 320;
  const legendItems = spec.legend ?? [];
  const m: Margins = { top: spec.title ? 30 : 12, right: 16, bottom: spec.xLabel ? 42 : 26, left: spec.yLabel ? 60 : 46 };
  const xTicks = (spec.xTicks ?? []).filter((t) => Number.isFinite(t.value));
  let tickPlan = xTicks.length ? tickLayout(xTicks, (width - m.left - m.right) / Math.max(1, xTicks.length)) : null;
  // the first tick sits a tenth of the span inside the plot: widen the left margin where its label reaches further
  if (tickPlan && tickPlan.left > m.left + (width - m.left - m.right) / 12) {
    m.left = Math.ceil(tickPlan.left - (width - m.left - m.right) / 12);
    tickPlan = tickLayout(xTicks, (width - m.left - m.right) / xTicks.length);
  }
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const extra = tickPlan?.extra ?? 0;
  const lh = legendHeight(legendItems, plotW);
  const svg = createSvg(doc, width, height + extra + lh, spec.title ?? 'scatter plot');
  svg.attr('data-chart', 'scatter');
  title(svg, spec.title, width);
  const pts = spec.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  // pad so that points never sit on the axes
  const pad = (e: [number, number]): [number, number] => [e[0] - (e[1] - e[0]) * 0.1, e[1] + (e[1] - e[0]) * 0.1];
  const xd = pad(extentOf([...pts.map((p) => p.x), ...xTicks.map((t) => t.value)], [0, 1]));
  const yd = pad(extentOf(pts.map((p) => p.y), [0, 1]));
  const lo = spec.diagonal ? Math.min(xd[0], yd[0]) : NaN;
  const hi = spec.diagonal ? Math.max(xd[1], yd[1]) : NaN;
  const x = scaleLinear().domain(spec.diagonal ? [lo, hi] : xd).range([0, plotW]);
  if (!xTicks.length) x.nice();
  const y = scaleLinear().domain(spec.diagonal ? [lo, hi] : yd).nice().range([plotH, 0]);
  const plot = svg.append('g').attr('class', 'plot').attr('transform', `translate(${m.left},${m.top})`);
  const xAxis = axisBottom(x).tickSizeOuter(0);
  if (xTicks.length) xAxis.tickValues(xTicks.map((t) => t.value));
  else xAxis.ticks(Math.max(2, Math.floor(plotW / 60)));
  const gx = plot.append('g').attr('class', 'x-axis').attr('transform', `translate(0,${plotH})`).call(xAxis);
  styleAxis(gx);
  if (tickPlan) labelTicks(gx, xTicks, tickPlan);
  const gy = plot.append('g').attr('class', 'y-axis').call(axisLeft(y).ticks(Math.max(2, Math.floor(plotH / 40))).tickSizeOuter(0));
  styleAxis(gy);
  axisLabel(svg, withShared(spec.xLabel, tickPlan), m.left + plotW / 2, m.top + plotH + 34 + extra);
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
  drawLegend(svg, legendItems, m.left, height + extra + 2, plotW);
  return svg.node() as SVGSVGElement;
}
