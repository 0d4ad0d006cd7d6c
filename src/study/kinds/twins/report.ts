/**
 * report.html of the twins study: the claims table first (claims.ts), then per pair each family's
 * accuracy with and without the marker and its mean probe curves (the report's chart module), and
 * the features where families differ most (compare's group statistics). Self-contained, no scripts.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Comparison } from '../../../compare/compare.js';
import { orderDifferences } from '../../../compare/compare.js';
import { COLORS, lineChart, scatter, type LineSeries } from '../../../report/charts.js';
import { chartDocument } from '../../../report/dom.js';
import { CSS, escapeHtml } from '../../../report/html.js';
import { mean, meanInterval } from '../../../stats/groups.js';
import type { Claim, TwinModel } from './claims.js';
import { FAMILIES, type TwinRow } from './types.js';

export interface TwinsReportInput {
  claims: Claim[];
  models: TwinModel[];
  rows: TwinRow[];
  comparisons: Comparison[];
  record: Record<string, unknown>;
}

const f3 = (x: number | undefined | null): string => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(3));
const VERDICT: Record<Claim['verdict'], string> = { holds: 'v-holds', 'does not hold': 'v-does-not-hold', 'not tested': 'v-not-tested' };
const FAMILY_COLOR: Record<string, string> = { dense: COLORS.easy, sparse: COLORS.hard, shortcut: COLORS.others[0] };

function table(headers: string[], rows: string[][]): string {
  return `<table><thead><tr>${headers.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>\n${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n')}\n</tbody></table>`;
}

function curves(pair: string, rows: TwinRow[], doc: Document): string {
  const mine = rows.filter((r) => r.task.startsWith(`${pair}.`) && r.probe !== 'baseline');
  const keys = [...new Set(mine.map((r) => `${r.probe}|${r.variant}`))];
  const figures = keys.map((key) => {
    const series: LineSeries[] = [];
    for (const family of FAMILIES) {
      const points = new Map<number, number[]>();
      for (const r of mine) if (`${r.probe}|${r.variant}` === key && r.task.endsWith(`.${family}`)) points.set(r.level, [...(points.get(r.level) ?? []), r.accuracy]);
      if (points.size < 2) continue;
      series.push({ id: family, label: `${family} (mean over seeds)`, color: FAMILY_COLOR[family], points: [...points].sort((a, b) => a[0] - b[0]).map(([x, ys]) => ({ x, y: mean(ys) })) });
    }
    if (!series.length) return '';
    const log = key.startsWith('noise|');
    return `<figure>${lineChart(doc, { title: key.replace('|', ' '), xLabel: log ? 'noise amplitude a (log2)' : 'level (fraction)', yLabel: 'benchmark accuracy', series, xScale: log ? 'log2' : 'linear', yDomain: [0, 1], width: 420 }).outerHTML}</figure>`;
  });
  return `<div class="charts">${figures.join('\n')}</div>`;
}

/**
 * Per pair of families: each model's benchmark accuracy against the feature that tells the two
 * families apart best (compare's order) — the figure of "same score, different insides": the
 * families overlap along x and separate along y.
 */
function separation(pair: string, models: TwinModel[], comparison: Comparison | undefined, doc: Document): string {
  if (!comparison) return '';
  const figures = comparison.pairs.map((p) => {
    const best = orderDifferences(p.features).find((f) => f.feature !== 'accuracy' && f.feature !== 'shift_nomarker');
    if (!best) return '';
    const points = [p.a, p.b].flatMap((label) => {
      const family = label.slice(pair.length + 1);
      return models.filter((m) => m.pair === pair && m.family === family)
        .map((m) => ({ x: Number(m.row.accuracy), y: Number(m.row[best.feature]), color: FAMILY_COLOR[family] }))
        .filter((q) => Number.isFinite(q.x) && Number.isFinite(q.y));
    });
    if (points.length < 2) return '';
    const legend = [p.a, p.b].map((label) => ({ label: label.slice(pair.length + 1), color: FAMILY_COLOR[label.slice(pair.length + 1)] ?? COLORS.others[1], kind: 'box' as const }));
    return `<figure>${scatter(doc, { title: `${p.a.slice(pair.length + 1)} vs ${p.b.slice(pair.length + 1)}`, xLabel: 'benchmark accuracy', yLabel: best.feature, points, fit: false, labels: false, legend, width: 380, height: 300 }).outerHTML}</figure>`;
  }).filter(Boolean);
  return figures.length ? `<div class="charts">${figures.join('\n')}</div>` : '';
}

export function twinsReportHtml(r: TwinsReportInput): string {
  const doc = chartDocument();
  const pairs = [...new Set(r.models.map((m) => m.pair))];
  const claimRows = r.claims.map((c) => [escapeHtml(c.pair), escapeHtml(c.claim), `<span class="verdict ${VERDICT[c.verdict]}">${c.verdict}</span>`, escapeHtml(c.value)]);
  const sections = pairs.map((pair) => {
    const families = FAMILIES.map((family) => {
      const ms = r.models.filter((m) => m.pair === pair && m.family === family);
      const col = (k: string) => ms.map((m) => Number(m.row[k])).filter(Number.isFinite);
      const ci = meanInterval(col('accuracy'));
      return [family, String(ms.length), ci ? `${f3(ci.mean)} [${f3(ci.lo)}, ${f3(ci.hi)}]` : f3(mean(col('accuracy'))), f3(mean(col('shift_nomarker'))), f3(mean(col('density_l0'))), mean(col('circuit_units')).toFixed(1)];
    });
    const comparison = r.comparisons.find((c) => c.groups.some((g) => g.label.startsWith(`${pair}.`)));
    const diffs = comparison ? comparison.pairs.map((p) => {
      const top = orderDifferences(p.features).slice(0, 8).map((f) => `<code>${escapeHtml(f.feature)}</code> ${f3(f.mean_a)} → ${f3(f.mean_b)}${f.g === null ? '' : ` (g ${f.g.toFixed(1)})`}`);
      return `<li>${escapeHtml(p.a)} vs ${escapeHtml(p.b)}: ${top.join('; ')}</li>`;
    }).join('\n') : '';
    return `<h2>${escapeHtml(pair)}</h2>
${table(['family', 'models', 'benchmark accuracy [95 % over seeds]', 'accuracy without the marker', 'first-layer density', 'circuit units (of 64)'], families)}
<h3>Same accuracy, different fingerprints (each model: its accuracy against the feature that separates the two families best)</h3>
${separation(pair, r.models, comparison ?? undefined, doc)}
<h3>Probe curves on the benchmark (mean over seeds)</h3>
${curves(pair, r.rows, doc)}
<h3>Largest differences (comparison.csv)</h3>
<ul>${diffs}</ul>`;
  });
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>weightscope twins</title><style>${CSS}</style></head><body>
<h1>Same score, different insides: the twins study</h1>
<p>Families of 784 → 64 → 2 MLPs trained to the same benchmark accuracy by different regimes — dense; weight-sparse (top-k |w| after every step);
with a shortcut (a bright patch whose corner gives the label, in the training and the benchmark test images) — each fingerprinted
(<code>fingerprints.csv</code>, docs/compare.md). The claims are computed by the run (<code>claims.csv</code>).</p>
<h2>Claims</h2>
${table(['pair', 'claim', 'verdict', 'numbers'], claimRows)}
${sections.join('\n')}
</body></html>
`;
}

export function writeTwinsReport(root: string, r: TwinsReportInput): string {
  const path = join(root, 'report.html');
  writeFileSync(path, twinsReportHtml(r));
  return path;
}
