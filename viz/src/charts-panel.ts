/**
 * The d3 charts beside the graph, drawn by the report's own chart functions (src/report/charts.ts)
 * from the report's own aggregation (src/report/aggregate.ts): one implementation for both.
 */
import type { ResultRow } from '../../src/core/results.js';
import type { LayerRecord } from '../../src/core/layer.js';
import { groupCurves, type Curve } from '../../src/report/aggregate.js';
import { lineChart, histogramChart, integerHistogram, COLORS as CHART_COLORS, type LineSeries } from '../../src/report/charts.js';
import { unitStats, type PercolationCurve } from '../../src/stats/index.js';

const PROBE_COLORS: Record<string, string> = {
  prune: '#1f66b3',
  binarize: '#e08e0b',
  noise: '#2a9d8f',
  'binarize+noise': '#8e5ac8',
  signflip: '#c8362b',
  randomize: '#5b7f2b',
};

/**
 * One curve per probe for a task: the `reference` variant, full precision, whole model, when
 * measured; otherwise that probe's first curve. The baseline (a single level) is a reference line.
 */
export function probeCurvesFor(curves: Curve[], task: string): { byProbe: Curve[]; baseline: Curve | undefined } {
  const mine = curves.filter((c) => c.task === task);
  const probes = [...new Set(mine.map((c) => c.probe))].filter((p) => p !== 'baseline');
  const rank = (c: Curve): number => (c.variant === 'reference' ? 0 : 2) + (c.signed ? 1 : 0) + (c.layer === 'all' ? 0 : 4);
  const byProbe = probes.map((p) => mine.filter((c) => c.probe === p).sort((a, b) => rank(a) - rank(b) || a.variant.localeCompare(b.variant))[0]);
  return { byProbe, baseline: mine.find((c) => c.probe === 'baseline') };
}

/** Noise levels are amplitudes on a log grid; every other probe's level is a fraction in [0, 1]. */
const NOISE_PROBES = new Set(['noise', 'binarize+noise']);

/**
 * Probe curves, per task (easy first, then hard): one chart of the fraction probes (prune, sign
 * flip, randomize, binarize at 0) on a linear axis, one of the noise probes on a log2 axis of the
 * amplitude a; one line per probe.
 */
export function drawProbeCharts(el: HTMLElement, rows: ResultRow[] | null, focusTask: string | null): void {
  el.replaceChildren();
  if (!rows || rows.length === 0) {
    el.append(note('No results.csv in this folder: run `weightscope reproduce` to get probe curves.'));
    return;
  }
  const curves = groupCurves(rows);
  const tasks = [...new Map(rows.map((r) => [r.task, r.difficulty])).entries()].sort(
    (a, b) => order(a[1]) - order(b[1]) || a[0].localeCompare(b[0]),
  );
  for (const [task, difficulty] of tasks) {
    const { byProbe, baseline } = probeCurvesFor(curves, task);
    const base = baseline?.points[0]?.mean;
    const kinds = [
      { kind: 'fraction', curves: byProbe.filter((c) => !NOISE_PROBES.has(c.probe)), xLabel: 'fraction of weights (pruned / flipped)', xScale: 'linear' as const },
      { kind: 'noise', curves: byProbe.filter((c) => NOISE_PROBES.has(c.probe)), xLabel: 'noise amplitude a of U(−a, a)', xScale: 'log2' as const },
    ];
    for (const k of kinds) {
      if (k.curves.length === 0) continue;
      const series: LineSeries[] = k.curves.map((c) => ({
        id: c.probe,
        label: `${c.probe}${c.variant !== 'reference' ? ` (${c.variant})` : ''}`,
        color: PROBE_COLORS[c.probe] ?? CHART_COLORS.others[0],
        points: c.points.map((p) => ({ x: p.level, y: p.mean, lo: Math.max(0, p.mean - p.sd), hi: Math.min(1, p.mean + p.sd) })),
      }));
      const svg = lineChart(document, {
        title: `${task} (${difficulty})${k.kind === 'noise' ? ': noise' : ''}`,
        xLabel: k.xLabel,
        xScale: k.xScale,
        yLabel: 'test accuracy',
        yDomain: [0.4, 1],
        series,
        hLines: [{ value: 0.5, label: 'chance', color: CHART_COLORS.chance, dash: '4 3' }, ...(base !== undefined ? [{ value: base, label: 'baseline', color: CHART_COLORS.reference, dash: '2 3' }] : [])],
        width: 380,
        height: 230,
      });
      svg.classList.add('probe-chart');
      svg.dataset.task = task;
      svg.dataset.kind = k.kind;
      if (task === focusTask) svg.classList.add('focus');
      el.append(svg);
    }
  }
}

/** P(k+) and P(k−) of the output units (and of the randomized layer, dashed, when given). */
export function drawDegreeChart(el: HTMLElement, layer: LayerRecord, randomized: LayerRecord | null, side: 'in' | 'out'): void {
  el.replaceChildren();
  const s = unitStats(layer)[side];
  const all = [...s.kPlus, ...s.kMinus];
  const range = { min: Math.min(...all), max: Math.max(...all), maxBins: 40 };
  const series = [
    { id: 'k-plus', label: 'k+', color: '#2563eb', bins: integerHistogram(s.kPlus, range) },
    { id: 'k-minus', label: 'k−', color: '#dc2626', bins: integerHistogram(s.kMinus, range) },
  ];
  if (randomized) {
    const r = unitStats(randomized)[side];
    series.push(
      { id: 'k-plus-rand', label: 'k+ randomized', color: '#93c5fd', bins: integerHistogram(r.kPlus, range) },
      { id: 'k-minus-rand', label: 'k− randomized', color: '#fca5a5', bins: integerHistogram(r.kMinus, range) },
    );
  }
  el.append(
    histogramChart(document, {
      title: `${side === 'out' ? 'output' : 'input'} units of ${layer.name}`,
      xLabel: 'degree k',
      yLabel: 'P(k)',
      series,
      width: 380,
      height: 220,
    }),
  );
}

/** Largest component vs fraction of edges removed (smallest |w| first), with the slider's position. */
export function drawPercolationChart(el: HTMLElement, curves: { label: string; curve: PercolationCurve; color: string }[], fractionRemoved: number): void {
  el.replaceChildren();
  el.append(
    lineChart(document, {
      title: 'largest component under magnitude pruning',
      xLabel: 'fraction of edges removed (smallest |w| first)',
      yLabel: 'largest component / units',
      xDomain: [0, 1],
      yDomain: [0, 1],
      series: curves.map((c, k) => ({
        id: `percolation-${k}`,
        label: c.label,
        color: c.color,
        markers: false,
        points: c.curve.points.map((p) => ({ x: p.fractionRemoved, y: p.giantFraction })),
      })),
      vLines: [{ value: fractionRemoved, label: 'slider', color: '#64748b', dash: '3 3' }],
      width: 380,
      height: 220,
    }),
  );
}

function order(d: string): number {
  return d === 'easy' ? 0 : d === 'hard' ? 1 : 2;
}

function note(text: string): HTMLElement {
  const p = document.createElement('p');
  p.className = 'empty';
  p.textContent = text;
  return p;
}
