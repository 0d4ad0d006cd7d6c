/// <reference lib="dom" />
/** Heatmaps: a labelled grid of coloured, annotated cells. */
import { format, interpolateHcl } from 'd3';
import { axisLabel, createSvg, extentOf, title, type Margins } from './common.js';

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
