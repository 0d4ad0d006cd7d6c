/// <reference lib="dom" />
/**
 * Small multiples: the same kind of chart drawn once per item (a probe variant, a randomization,
 * a layer), side by side on shared scales, with one legend for all. One <svg> holding one nested
 * <svg class="panel"> per item, so the figure reads as one picture inline, standalone or in the
 * viewer.
 */
import { createSvg, drawLegend, legendHeight, title, type LegendItem } from './common.js';

export interface PanelSize {
  width: number;
  height: number;
}

export interface SmallMultiplesSpec<T> {
  title?: string;
  items: T[];
  /** Draw one panel at the given size (without a legend of its own: the figure has one); `column` 0 is the left edge. */
  draw: (item: T, size: PanelSize, index: number, column: number) => SVGSVGElement;
  /** Total width in px (default 1100). */
  width?: number;
  /** Panels per row (default: as many as fit at `minPanelWidth`, at most the number of items). */
  columns?: number;
  /** Narrowest panel when `columns` is not given (default 250). */
  minPanelWidth?: number;
  /** Height given to each panel (default 220); a panel drawn taller makes its row taller. */
  panelHeight?: number;
  /** Space between panels (default 8). */
  gap?: number;
  /** One legend for the whole figure, under the panels. */
  legend?: LegendItem[];
}

/** The number of panels per row and their width for a spec. */
export function panelGrid(count: number, width: number, gap: number, columns?: number, minPanelWidth = 250): { columns: number; panelWidth: number } {
  const fit = Math.max(1, Math.floor((width + gap) / (minPanelWidth + gap)));
  const cols = Math.max(1, Math.min(count || 1, columns ?? fit));
  return { columns: cols, panelWidth: Math.floor((width - gap * (cols - 1)) / cols) };
}

export function smallMultiples<T>(doc: Document, spec: SmallMultiplesSpec<T>): SVGSVGElement {
  const width = spec.width ?? 1100;
  const gap = spec.gap ?? 8;
  const panelHeight = spec.panelHeight ?? 220;
  const { columns, panelWidth } = panelGrid(spec.items.length, width, gap, spec.columns, spec.minPanelWidth);
  const panels = spec.items.map((item, i) => spec.draw(item, { width: panelWidth, height: panelHeight }, i, i % columns));
  const top = spec.title ? 26 : 0;
  // row heights: the tallest panel of each row
  const rows: number[] = [];
  panels.forEach((p, i) => {
    const r = Math.floor(i / columns);
    rows[r] = Math.max(rows[r] ?? 0, Number(p.getAttribute('height')) || panelHeight);
  });
  const panelsHeight = rows.reduce((a, h) => a + h, 0) + gap * Math.max(0, rows.length - 1);
  const legend = spec.legend ?? [];
  const lh = legendHeight(legend, width - 60);
  const svg = createSvg(doc, width, top + panelsHeight + (lh ? lh + 4 : 0), spec.title ?? 'small multiples');
  svg.attr('data-chart', 'small-multiples').attr('data-panels', panels.length);
  title(svg, spec.title, width);
  let y = top;
  rows.forEach((h, r) => {
    for (let c = 0; c < columns; c++) {
      const p = panels[r * columns + c];
      if (!p) break;
      p.setAttribute('x', String(c * (panelWidth + gap)));
      p.setAttribute('y', String(y));
      p.classList.add('panel');
      svg.node()!.appendChild(p);
    }
    y += h + gap;
  });
  drawLegend(svg, legend, 56, top + panelsHeight + 4, width - 60);
  return svg.node() as SVGSVGElement;
}
