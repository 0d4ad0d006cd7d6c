/**
 * The charts of the report and of the viewer: plain functions `chart(doc, spec) → <svg>`, one
 * chart kind per file under ./charts/.
 *
 * Browser-safe, d3 only. Every function takes the `Document` to build in, so the same code runs
 * in the browser and in Node with jsdom (the report renders its SVG server-side). Nothing is
 * measured from the layout engine (jsdom has none): text widths are estimated from character
 * counts, and every colour, font and stroke is an attribute on the SVG itself, so a chart looks
 * right standalone, inline in HTML, or saved as a file.
 */
export { COLORS, DASH, powerLabel, SVG_NS, taskColors, textWidth, tickLayout, type AxisTick, type LegendItem, type RefLine, type TickLayout } from './charts/common.js';
export { lineChart, type LineChartSpec, type LineSeries, type XY } from './charts/line.js';
export { barChart, type BarChartSpec, type BarDatum, type BarKey } from './charts/bar.js';
export { histogramChart, integerHistogram, type Bin, type HistogramSeries, type HistogramSpec } from './charts/histogram.js';
export { scatter, type ScatterPoint, type ScatterSpec } from './charts/scatter.js';
export { heatmap, type HeatmapSpec } from './charts/heatmap.js';
export { panelGrid, smallMultiples, type PanelSize, type SmallMultiplesSpec } from './charts/small-multiples.js';
