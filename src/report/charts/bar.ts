/// <reference lib="dom" />
/** Grouped bar charts with error bars. */
import { axisBottom, axisLeft, format, scaleBand, scaleLinear } from 'd3';
import {
  axisLabel, COLORS, createSvg, drawGrid, drawLegend, extentOf, legendHeight, rightMargin, styleAxis, textWidth, title,
  type LegendItem, type Margins, type RefLine,
} from './common.js';

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
