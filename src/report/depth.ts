/**
 * probe-depth.html: a per-layer probe's metric against the depth of the layer it perturbed, one
 * chart per (probe, variant) and one line per level (mean over seeds). Self-contained like
 * report.html (inline SVG drawn with the shared chart code, no scripts), opens from disk.
 */
import { chartDocument } from './dom.js';
import type { ResultRow } from '../core/results.js';
import { formatLevel } from '../core/results.js';
import { COLORS, lineChart, type LineSeries } from './charts.js';
import { escapeHtml, page } from './page.js';

export interface DepthLayer {
  name: string;
  depth: number;
  kind: string;
  shape?: number[];
}

/** The metric a row is plotted by: agreement with the unprobed model when present, else accuracy. */
export function depthMetric(rows: ResultRow[]): 'agreement' | 'accuracy' {
  return rows.some((r) => r.agreement !== undefined) ? 'agreement' : 'accuracy';
}

export function buildDepthHtml(rows: ResultRow[], layers: DepthLayer[], options: { title: string; baseline?: ResultRow }): string {
  const metric = depthMetric(rows);
  const depthOf = new Map(layers.map((l) => [l.name, l]));
  const perLayer = rows.filter((r) => depthOf.has(r.layer));
  const doc = chartDocument();
  const figures: string[] = [];
  const keys = [...new Set(perLayer.map((r) => `${r.probe}\u0000${r.variant}`))];
  for (const key of keys) {
    const [probe, variant] = key.split('\u0000');
    const mine = perLayer.filter((r) => r.probe === probe && r.variant === variant);
    const levels = [...new Set(mine.map((r) => r.level))].sort((a, b) => a - b);
    const series: LineSeries[] = levels.map((level, k) => {
      const byLayer = new Map<string, number[]>();
      for (const r of mine.filter((r) => r.level === level)) byLayer.set(r.layer, [...(byLayer.get(r.layer) ?? []), r[metric] as number]);
      const points = [...byLayer].map(([layer, values]) => {
        const mean = values.reduce((a, b) => a + b, 0) / values.length;
        return { x: depthOf.get(layer)!.depth, y: mean, lo: Math.min(...values), hi: Math.max(...values) };
      });
      return { id: `${probe}-${variant}-${formatLevel(level)}`, label: `level ${formatLevel(level)}`, points, color: COLORS.others[k % COLORS.others.length], band: points.some((p) => p.lo !== p.hi) };
    });
    const svg = lineChart(doc, {
      title: `${probe} (${variant}), one layer at a time`,
      xLabel: 'layer (input → output)',
      // the layers' names at their depth, not d3's 0.5, 1.5, … between them
      xTicks: layers.map((l) => ({ value: l.depth, label: l.name })),
      yLabel: metric === 'agreement' ? 'top-1 agreement with the unprobed model' : 'accuracy',
      series,
      yDomain: [0, 1],
      width: layers.length > 12 ? 1136 : 760,
      hLines: options.baseline && metric === 'accuracy' ? [{ value: options.baseline.accuracy, label: 'unprobed', color: COLORS.reference, dash: '4 3' }] : [],
    });
    figures.push(`<figure>${svg.outerHTML}<figcaption>${escapeHtml(`${mine.length} evaluations; the band spans the seeds of random probes.`)}</figcaption></figure>`);
  }
  doc.defaultView?.close();
  const table = layers
    .map((l) => `<tr><td class="num">${l.depth}</td><td>${escapeHtml(l.name)}</td><td>${escapeHtml(l.kind)}</td><td>${escapeHtml((l.shape ?? []).join(' × '))}</td></tr>`)
    .join('');
  return page({
    title: options.title,
    lead: `${metric} per layer probed, against the layer's depth`,
    body: `<section id="depth"><h2>Metric against depth</h2>
<div class="charts">${figures.length ? figures.join('\n') : '<p class="not-run">No per-layer rows to plot.</p>'}</div></section>
<section id="layers"><h2>Layers</h2><div class="table-wrap"><table><thead><tr><th class="num">depth</th><th>tensor</th><th>kind</th><th>shape</th></tr></thead><tbody>${table}</tbody></table></div></section>`,
  });
}
