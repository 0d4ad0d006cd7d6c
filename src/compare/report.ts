/**
 * report.html of `weightscope compare`: whether accuracy (or the picture) tells the groups apart,
 * where their fingerprints differ feature by feature, the probe curves and ablation profiles of
 * every model overlaid (the report's own d3 chart module), the circuits, links that open each
 * model's layers in the viewer, and for drawing networks a gallery of perturbed drawings.
 * Self-contained: inline SVG and PNG data URLs, no scripts; opens from disk.
 */
import { COLORS, lineChart, type LineSeries } from '../report/charts.js';
import { chartDocument } from '../report/dom.js';
import { galleryHtml, perturbationGallery, standardPerturbations } from '../report/fer-gallery.js';
import { CSS, escapeHtml } from '../report/html.js';
import type { Cppn } from '../model/cppn.js';
import { orderDifferences, type FeatureDifference, type PairComparison } from './compare.js';
import type { CompareResult } from './result.js';
import type { FingerprintCurve } from './types.js';

const fmt = (x: number | null | undefined, digits = 3): string => {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? x.toExponential(2) : x.toFixed(digits);
};
const interval = (lo: number | null, hi: number | null): string => (lo === null || hi === null ? '—' : `[${fmt(lo)}, ${fmt(hi)}]`);

function table(headers: string[], rows: string[][], numeric: boolean[] = []): string {
  const th = headers.map((h, k) => `<th${numeric[k] ? ' class="num"' : ''}>${h}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, k) => `<td${numeric[k] ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function groupColors(r: CompareResult): Map<string, string> {
  const labels = [...new Set(r.models.map((m) => m.group))];
  const palette = [COLORS.easy, COLORS.hard, ...COLORS.others];
  return new Map(labels.map((l, k) => [l, palette[k % palette.length]]));
}

function featureRows(fs: FeatureDifference[]): string[][] {
  return fs.map((f) => [
    `<code>${escapeHtml(f.feature)}</code>`, f.type, fmt(f.mean_a), fmt(f.mean_b), fmt(f.delta), interval(f.delta_lo, f.delta_hi),
    f.g === null ? '—' : `${fmt(f.g, 2)} ${f.g_lo === null ? '' : `<span class="muted">${interval(f.g_lo, f.g_hi)}</span>`}`,
    fmt(f.p), fmt(f.q), f.flagged ? '<span class="verdict v-does-not-hold">differs</span>' : '',
  ]);
}

function pairSection(p: PairComparison, alpha: number): string {
  const sorted = orderDifferences(p.features);
  const flagged = sorted.filter((f) => f.flagged);
  const head = ['feature', 'type', escapeHtml(p.a), escapeHtml(p.b), 'Δ (b − a)', `${Math.round((1 - alpha) * 100)} % interval`, "Hedges' g", 'p', 'q', ''];
  const numeric = [false, false, true, true, true, true, true, true, true, false];
  const top = sorted.slice(0, Math.max(20, flagged.length));
  const rest = sorted.slice(top.length);
  const acc = p.accuracy;
  const verdict = acc === null ? '' : `<p>Accuracy: Δ = ${fmt(acc.delta)} ${interval(acc.lo, acc.hi)} — ${acc.equal === null ? 'no interval (one model each, no per-image outcomes)' : acc.equal ? '<span class="verdict v-holds">accuracy cannot tell them apart</span> (the interval contains 0)' : '<span class="verdict v-does-not-hold">accuracies differ</span>'}</p>`;
  return `<h3>${escapeHtml(p.a)} vs ${escapeHtml(p.b)}</h3>
${verdict}
<p>${p.features.every((f) => f.method === 'none') ? `${p.features.length} features compared, without intervals (largest differences first)` : `${flagged.length} of ${p.features.length} features flagged${flagged.length ? `: ${flagged.slice(0, 12).map((f) => `<code>${escapeHtml(f.feature)}</code>`).join(', ')}${flagged.length > 12 ? ', …' : ''}` : ''}`}.</p>
${p.notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`).join('\n')}
${table(head, featureRows(top), numeric)}
${rest.length ? `<details><summary>the other ${rest.length} features</summary>${table(head, featureRows(rest), numeric)}</details>` : ''}
${p.skipped.length ? `<p class="note">Not compared (missing in some model): ${p.skipped.map((s) => `<code>${escapeHtml(s)}</code>`).join(', ')}</p>` : ''}`;
}

function curveCharts(r: CompareResult, doc: Document, colors: Map<string, string>): string {
  const keys = [...new Set(r.models.flatMap((m) => m.fingerprint.curves.filter((c) => c.points.length > 1).map((c) => c.key)))];
  const dashes = ['', '6 3', '2 3', '8 3 2 3'];
  const figures = keys.map((key) => {
    let axis: FingerprintCurve['axis'] = 'linear';
    const series: LineSeries[] = [];
    for (const m of r.models) {
      const c = m.fingerprint.curves.find((x) => x.key === key);
      if (!c) continue;
      axis = c.axis;
      const k = r.models.filter((x) => x.group === m.group).indexOf(m);
      series.push({ id: `${m.group}/${m.source.name}`, label: `${m.group}: ${m.source.name}`, color: colors.get(m.group)!, dash: dashes[k % dashes.length], points: c.points.map((p) => ({ x: p.level, y: p.metric })) });
    }
    const ssim = r.models[0].fingerprint.row.metric === 'ssim';
    const chance = Number(r.models[0].fingerprint.row.chance);
    const svg = lineChart(doc, {
      title: key, xLabel: axis === 'log2' ? 'noise amplitude a (log2)' : 'level (fraction)', yLabel: ssim ? 'SSIM to the unperturbed picture' : 'accuracy',
      series, xScale: axis === 'log2' ? 'log2' : 'linear', yDomain: ssim ? [-0.2, 1] : [0, 1], width: 540, legend: series.length <= 8,
      hLines: Number.isFinite(chance) ? [{ value: chance, label: 'chance', color: COLORS.chance, dash: '4 3' }] : [],
    });
    return `<figure>${svg.outerHTML}</figure>`;
  });
  return figures.length ? `<div class="charts">${figures.join('\n')}</div>` : '<p class="not-run">No probe curves: no model could run.</p>';
}

function ablationChart(r: CompareResult, doc: Document, colors: Map<string, string>): string {
  const series: LineSeries[] = r.models.filter((m) => m.fingerprint.ablation.length > 0).map((m) => {
    const drops = m.fingerprint.ablation.map((a) => a.drop).sort((a, b) => b - a);
    const n = drops.length;
    return { id: `${m.group}/${m.source.name}`, label: `${m.group}: ${m.source.name}`, color: colors.get(m.group)!, markers: false, points: drops.map((d, i) => ({ x: n === 1 ? 0 : i / (n - 1), y: d })) };
  });
  if (series.length === 0) return '<p class="not-run">No unit ablation: no model with hidden units could run.</p>';
  const metric = r.models[0].fingerprint.row.metric === 'ssim' ? 'SSIM drop' : 'accuracy drop';
  const svg = lineChart(doc, { title: 'unit ablation profile (units sorted by their drop)', xLabel: 'rank of the unit / (units − 1)', yLabel: metric, series, width: 760, legend: series.length <= 10 });
  return `<figure>${svg.outerHTML}<figcaption>Each hidden unit removed in turn; a profile that falls quickly means few units matter.</figcaption></figure>`;
}

function circuitTable(r: CompareResult): string {
  const rows = r.models.flatMap((m) => m.fingerprint.circuits.map((c) => [
    escapeHtml(m.group), escapeHtml(m.source.name), c.over, `${c.size} of ${c.candidates}`, fmt(c.full), fmt(c.kept), fmt(c.removed), fmt(c.chance),
    c.sufficient ? '<span class="verdict v-holds">yes</span>' : '<span class="verdict v-does-not-hold">no</span>',
    c.necessary ? '<span class="verdict v-holds">yes</span>' : '<span class="verdict v-does-not-hold">no</span>',
  ]));
  if (rows.length === 0) return '<p class="not-run">No circuit was searched.</p>';
  return table(['group', 'model', 'over', 'size', 'full', 'only the circuit kept', 'the circuit removed', 'chance', 'sufficient', 'necessary'], rows, [false, false, false, true, true, true, true, true, false, false]);
}

function viewerLinks(r: CompareResult): string {
  if (r.viewer.length === 0) return '<p class="not-run">No model forms a chain of layers the viewer draws; open each with <code>weightscope view MODEL</code>.</p>';
  const port = r.options.viewPort;
  const groups = [...new Set(r.viewer.map((v) => v.group))];
  const columns = groups.map((g) => {
    const items = r.viewer.filter((v) => v.group === g).map((v) => `<li>${escapeHtml(v.model)}: ${v.layers.map((l) => `<a href="http://127.0.0.1:${port}/?model=${v.index}&amp;layer=${encodeURIComponent(l)}" target="_blank" rel="noopener">${escapeHtml(l)}</a>`).join(' · ')}</li>`);
    return `<div><h3>${escapeHtml(g)}</h3><ul>${items.join('')}</ul></div>`;
  });
  return `<p>Start the viewer on this folder, <code>weightscope view ${escapeHtml(r.options.out ?? 'OUT')} --port ${port}</code> (the folder holding this report), then open a layer of each model, side by side. Edges of the model's circuit are drawn in colour, the rest in grey.</p>
<div class="config-grid">${columns.join('')}</div>`;
}

function gallery(r: CompareResult, size: number): string {
  const cppns = r.models.filter((m) => m.source.kind === 'cppn' && m.source.cppn);
  if (cppns.length === 0) return '';
  const label = (m: (typeof cppns)[number]) => (m.group === m.source.name ? m.group : `${m.group}: ${m.source.name}`);
  const items = cppns.flatMap((m) => perturbationGallery({ ...(m.source.cppn as Cppn), layers: m.source.layers, name: label(m) }, standardPerturbations(r.options.seed), size));
  return `<section id="gallery"><h2>Perturbed drawings</h2>
<p class="lead">The same perturbations of each network (one level of each probe), drawn at ${size}², with each drawing's SSIM to its own unperturbed picture.</p>
${galleryHtml(items, 'one level of each probe')}</section>`;
}

/** The page. */
export function compareReportHtml(r: CompareResult): string {
  const doc = chartDocument();
  const colors = groupColors(r);
  const groupsRows = r.comparison.groups.map((g) => [
    `<span class="swatch" style="background:${colors.get(g.label)}"></span>${escapeHtml(g.label)}`, String(g.n), escapeHtml(g.kind), escapeHtml(g.models.join(', ')),
    g.accuracy ? `${fmt(g.accuracy.mean)} ${interval(g.accuracy.lo, g.accuracy.hi)} <span class="muted">over ${g.accuracy.over}</span>` : '—',
  ]);
  const drawings = r.drawings.map((d) => `<p>${escapeHtml(d.a)} and ${escapeHtml(d.b)} draw ${d.same ? 'the same picture' : d.ssim >= 0.9 ? '<strong>not quite</strong> the same picture' : '<strong>different</strong> pictures'}: SSIM ${d.ssim.toFixed(4)} at ${d.size}² (same picture: SSIM ≥ 0.99).</p>`).join('\n');
  const dataLine = 'none' in r.data ? `No classifier ran: ${escapeHtml(r.data.none)}.` : `Classifiers evaluated on ${escapeHtml(r.data.name)} (${r.data.n} test images).`;
  const parts = [...new Set(r.models.map((m) => `${m.source.name}: ${m.fingerprint.row.parts}${m.fingerprint.row.missing ? ` (not: ${m.fingerprint.row.missing})` : ''}`))];
  // the drawings of the gallery at the fingerprint's size (n_test of a drawing network is its pixel count)
  const drawing = r.models.find((m) => m.source.kind === 'cppn');
  const cppnSize = drawing ? Math.round(Math.sqrt(Number(drawing.fingerprint.row.n_test))) || 64 : 64;
  const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>weightscope compare: ${escapeHtml(r.comparison.groups.map((g) => g.label).join(' vs '))}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header><h1>Same score, different insides?</h1>
<p class="lead">${escapeHtml(r.comparison.groups.map((g) => g.label).join(' vs '))}: perturbation fingerprints compared feature by feature. ${dataLine} Seed ${r.options.seed}; ${r.seconds.toFixed(1)} s.</p>
<nav><a href="#groups">groups</a><a href="#differences">differences</a><a href="#curves">probe curves</a><a href="#ablation">ablation</a><a href="#circuits">circuits</a><a href="#viewer">viewer</a>${r.models.some((m) => m.source.kind === 'cppn') ? '<a href="#gallery">gallery</a>' : ''}</nav></header>
<section id="groups"><h2>Groups and their accuracy</h2>
${table(['group', 'models', 'kind', 'which', `accuracy, ${Math.round((1 - r.comparison.alpha) * 100)} % interval`], groupsRows, [false, true, false, false, true])}
${drawings}
<details><summary>what each fingerprint holds</summary><ul>${parts.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul></details>
</section>
<section id="differences"><h2>Where the fingerprints differ</h2>
<p class="note">Δ = mean of b − mean of a. Several models per group: bootstrap intervals over the models, a permutation test (p) and Benjamini–Hochberg q over the pair's features. One model per group: intervals from a bootstrap over test images for the accuracy-type features only. Definitions: docs/compare.md.</p>
${r.comparison.pairs.map((p) => pairSection(p, r.comparison.alpha)).join('\n')}
</section>
<section id="curves"><h2>Probe curves</h2>${curveCharts(r, doc, colors)}</section>
<section id="ablation"><h2>Unit ablation</h2>${ablationChart(r, doc, colors)}</section>
<section id="circuits"><h2>Circuits verified by ablation</h2>
<p class="note">The smallest set of hidden units found greedily that keeps the metric within the tolerance of the full model; sufficient: keeping only it holds the metric; necessary: removing only it brings the metric down to chance.</p>
${circuitTable(r)}</section>
<section id="viewer"><h2>The graphs in the viewer</h2>${viewerLinks(r)}</section>
${gallery(r, cppnSize)}
</main>
</body>
</html>
`;
  doc.defaultView?.close();
  return html;
}
