/**
 * report.html of `weightscope multitask` (docs/multitask.md): the claims table first, then the
 * figures the claims rest on — OOD r² against K per σ (paper form and centre-normalised), accuracy
 * against K, the held-out orthant's reconstruction by an exemplary disentangled and entangled
 * model, representation metric against graph statistic, the probe curves on accuracy and on OOD r²
 * — and the tables behind disclosures. Self-contained (inline SVG, no script).
 */
import { writeFileAtomic } from '../../../core/io.js';
import { runPaths } from '../../../core/run-folder.js';
import { COLORS, lineChart, scatter, smallMultiples, type LegendItem, type LineSeries, type ScatterPoint } from '../../../report/charts.js';
import { chartDocument } from '../../../report/dom.js';
import { configTables, escapeHtml, more, section, table, page } from '../../../report/page.js';
import {
  GRAPH_FEATURES, groupBy, median, modelRows, num, probeCurves, separations, type ClaimResult, type Row, type Verdict,
} from './claims.js';

/** Decoded against true latents of the held-out orthant, for one model. */
export interface Reconstruction {
  model: Row;
  orthant: number;
  truth: Float64Array;
  decoded: Float64Array;
  latentDim: number;
}

export interface MultitaskReportInput {
  rows: Row[];
  claims: ClaimResult[];
  record: Record<string, unknown>;
  reconstructions: Reconstruction[];
  /** What `weightscope view` shows a model as (its ?model= index), by `task|run`. */
  viewerIndex: Map<string, number>;
}

const f = (x: number, digits = 3): string => (Number.isFinite(x) ? x.toFixed(digits) : '—');
const SIGMA_COLORS = ['#7a7a7a', COLORS.easy, COLORS.others[0], COLORS.hard, COLORS.others[1], COLORS.others[2], COLORS.others[3], COLORS.others[4]];
const VERDICT_ORDER: Verdict[] = ['holds', 'mixed', 'does not hold', 'not tested'];

function claimsSection(claims: ClaimResult[]): string {
  const tally = VERDICT_ORDER.map((v) => [v, claims.filter((c) => c.verdict === v).length] as const).filter(([, n]) => n > 0)
    .map(([v, n]) => `<span class="verdict v-${v.replace(/ /g, '-')}">${n} ${escapeHtml(v)}</span>`).join(' ');
  const rows = claims.map((c) => [
    `<b>${escapeHtml(c.id)}</b> ${escapeHtml(c.claim)}<details class="rule"><summary>rule</summary>${escapeHtml(c.rule)}</details>`,
    `<span class="verdict v-${c.verdict.replace(/ /g, '-')}">${escapeHtml(c.verdict)}</span>`,
    `<ul class="evidence">${c.evidence.map((e) => `<li>${escapeHtml(e)}</li>`).join('')}</ul>`,
  ]);
  return section('claims', 'The claims vs this run',
    `<p>${tally}</p>` + table(['claim (C: Vafidis et al. 2025; W: the weight lens)', 'verdict', 'measured'], rows, 'claims') +
    '<p class="note">Every verdict is computed from this run\'s rows by the rule shown (docs/multitask.md). OOD r² in the paper\'s form is 1 − MSE/(1/12): ' +
    '<b>predicting the held-out orthant\'s centre already scores 0.75</b> there. The centre-normalised form 1 − MSE/MSE(centre) scores that trivial predictor 0.</p>');
}

interface Panel {
  title: string;
  series: LineSeries[];
  hLines: { value: number; label?: string; color?: string; dash?: string }[];
}

/** One panel per (network, D), one series per σ: the median over runs of a metric at each K (band: min–max). */
function panelsOverK(models: Row[], metric: string, refs: (g: Row[]) => Panel['hLines']): { panels: Panel[]; legend: LegendItem[] } {
  const sigmas = [...new Set(models.map((r) => num(r, 'noise')))].sort((a, b) => a - b);
  const color = (s: number): string => SIGMA_COLORS[sigmas.indexOf(s) % SIGMA_COLORS.length];
  const panels: Panel[] = [];
  for (const [label, g] of groupBy(models, (r) => `${r.model}, D = ${num(r, 'latent_dim')}`)) {
    const series: LineSeries[] = [];
    for (const s of sigmas) {
      const at = g.filter((r) => num(r, 'noise') === s);
      if (!at.length) continue;
      const points = [...groupBy(at, (r) => String(num(r, 'tasks'))).values()].map((rs) => {
        const v = rs.map((r) => num(r, metric)).filter(Number.isFinite);
        return { x: num(rs[0], 'tasks'), y: median(v), lo: Math.min(...v), hi: Math.max(...v) };
      }).filter((p) => Number.isFinite(p.y));
      series.push({ id: `sigma-${s}`, label: `σ = ${s}`, points, color: color(s) });
    }
    panels.push({ title: label, series, hLines: refs(g) });
  }
  return { panels, legend: sigmas.map((s) => ({ label: `σ = ${s}`, color: color(s) })) };
}

function overKFigure(doc: Document, models: Row[], metric: string, yLabel: string, yDomain: [number, number], refs: (g: Row[]) => Panel['hLines'], extra: LegendItem[] = []): string {
  const { panels, legend } = panelsOverK(models, metric, refs);
  return `<figure>${smallMultiples(doc, {
    items: panels, width: 1136, minPanelWidth: 270, panelHeight: 240, legend: [...legend, ...extra],
    draw: (p, size, _i, column) => lineChart(doc, {
      title: p.title, xLabel: 'tasks K (log scale)', yLabel: column === 0 ? yLabel : undefined, xScale: 'log2', series: p.series, legend: false, yDomain, hLines: p.hLines, marginLeft: 50, ...size,
    }),
  }).outerHTML}</figure>`;
}

function reconstructionFigure(doc: Document, recs: Reconstruction[]): string {
  if (!recs.length) return '<p class="muted">No accurate model to show.</p>';
  const colors = [COLORS.easy, COLORS.hard, COLORS.others[0], COLORS.others[1], COLORS.others[2], COLORS.others[3], COLORS.others[4], COLORS.others[5], COLORS.others[6], COLORS.others[7]];
  const charts = recs.map((r) => {
    const points: ScatterPoint[] = [];
    const n = r.truth.length / r.latentDim;
    for (let k = 0; k < n; k++) for (let d = 0; d < r.latentDim; d++) points.push({ x: r.truth[k * r.latentDim + d], y: r.decoded[k * r.latentDim + d], color: colors[d % colors.length] });
    return scatter(doc, {
      title: `${r.model.task} run ${r.model.run}: OOD r² ${f(num(r.model, 'ood_r2'), 2)} (centre form ${f(num(r.model, 'ood_r2_centre'), 2)})`,
      xLabel: `true z_d in held-out orthant ${r.orthant}`, yLabel: 'decoded z_d', points, diagonal: true, fit: false, labels: false, width: 540, height: 360,
      legend: Array.from({ length: r.latentDim }, (_, d) => ({ label: `z${d + 1}`, color: colors[d % colors.length] })),
    }).outerHTML;
  });
  return `<div class="charts">${charts.join('')}</div>`;
}

function metricVsGraphFigure(doc: Document, rows: Row[], top: string[]): string {
  const models = modelRows(rows);
  const Ks = [...new Set(models.map((r) => num(r, 'tasks')))].sort((a, b) => a - b);
  const kColor = (K: number): string => COLORS.others[Ks.indexOf(K) % COLORS.others.length];
  const charts = top.map((feature) => scatter(doc, {
    title: `centre-normalised OOD r² against ${feature}`, xLabel: feature, yLabel: 'OOD r² (centre form)', width: 370, height: 300, labels: false,
    points: models.filter((r) => Number.isFinite(num(r, feature)) && Number.isFinite(num(r, 'ood_r2_centre')))
      .map((r) => ({ x: num(r, feature), y: Math.max(-3, num(r, 'ood_r2_centre')), color: kColor(num(r, 'tasks')), label: `${r.task} run ${r.run}` })),
    legend: Ks.map((K) => ({ label: `K = ${K}`, color: kColor(K) })),
  }).outerHTML);
  return `<div class="charts">${charts.join('')}</div><p class="note">One point per model; centre-normalised OOD r² below −3 drawn at −3.</p>`;
}

function probeSection(doc: Document, rows: Row[]): string {
  const curves = probeCurves(rows);
  if (!curves.size) return '<p class="muted">No disentangled accurate model: nothing to probe.</p>';
  const multi = [...curves.entries()].filter(([, p]) => p.length > 1);
  const single = [...curves.entries()].filter(([, p]) => p.length === 1);
  const fig = multi.length ? `<figure>${smallMultiples(doc, {
    items: multi, width: 1136, minPanelWidth: 270, panelHeight: 240,
    legend: [{ label: 'accuracy kept', color: COLORS.easy }, { label: 'abstraction kept (OOD r², centre form)', color: COLORS.hard }],
    draw: ([name, points], size, _i, column) => lineChart(doc, {
      title: name, xLabel: 'level', yLabel: column === 0 ? 'kept (median)' : undefined, legend: false, yDomain: [-0.5, 1.1], marginLeft: 50, ...size,
      series: [
        { id: 'accuracy', label: 'accuracy kept', color: COLORS.easy, points: points.map((p) => ({ x: p.level, y: p.accuracyKept })) },
        { id: 'abstraction', label: 'abstraction kept', color: COLORS.hard, points: points.map((p) => ({ x: p.level, y: p.abstractionKept })) },
      ],
      hLines: [{ value: 0.5, label: 'half', color: COLORS.chance }],
    }),
  }).outerHTML}</figure>` : '';
  const tbl = table(['probe', 'level', 'accuracy kept', 'abstraction kept', 'models'],
    [...multi, ...single].flatMap(([name, points]) => points.map((p) => [escapeHtml(name), String(p.level), f(p.accuracyKept), f(p.abstractionKept), String(p.models)])));
  return `${fig}<p class="note">Over the disentangled accurate models: accuracy kept = (acc_probed − ½)/(acc − ½); abstraction kept = OOD r²_probed / OOD r² (centre-normalised); medians. ` +
    'Every probe acts on every layer (`all`).</p>' + more('every probe point', tbl);
}

const SETTING_COLUMNS: [string, string][] = [
  ['accuracy', 'accuracy'], ['accuracy_noisy', 'accuracy (noisy looks)'], ['ood_r2', 'OOD r²'], ['ood_r2_centre', 'OOD r² (centre)'], ['id_r2', 'in-dist. r²'],
  ['ood_r2_noisy', 'OOD r² (noisy looks)'], ['r2_bound_noisy', 'bound (noisy)'], ['ccgp', 'CCGP'], ['parallelism', 'parallelism'], ['mig', 'MIG'],
  ['dci_disentanglement', 'DCI D'], ['dci_completeness', 'DCI C'], ['active_fraction', 'active'], ['decoder_angle', 'decoder angle °'], ['task_angle', 'task angle °'],
];

function settingsTable(models: Row[], columns: [string, string][]): string {
  const rows = [...groupBy(models, (r) => String(r.task)).values()].map((g) => [
    escapeHtml(String(g[0].task)), String(g.length), ...columns.map(([c]) => f(median(g.map((r) => num(r, c))))),
  ]);
  return table(['setting', 'runs', ...columns.map(([, h]) => escapeHtml(h))], rows);
}

function rawBaselineTable(models: Row[]): string {
  const rows = [...groupBy(models, (r) => `${num(r, 'latent_dim')}|${num(r, 'noise')}`).values()].map((g) => [
    String(num(g[0], 'latent_dim')), String(num(g[0], 'noise')), escapeHtml(String(g[0].observation)),
    f(median(g.map((r) => num(r, 'raw_ood_r2')))), f(median(g.map((r) => num(r, 'raw_ood_r2_median')))), f(median(g.map((r) => num(r, 'raw_ood_r2_centre')))),
    f(median(g.map((r) => num(r, 'raw_id_r2')))), f(median(g.map((r) => num(r, 'raw_ood_r2_noisy')))),
  ]);
  return table(['D', 'σ', 'observation map', 'raw OOD r² (clean)', 'median over orthants', 'centre form', 'in-dist. r²', 'raw OOD r² (noisy look)'], rows);
}

function lensSection(doc: Document, rows: Row[], seed: number): string {
  const { dis, ent, table: seps } = separations(rows, seed);
  const top = seps.filter((s) => s.feature.kind === 'graph' && Number.isFinite(s.d)).slice(0, 3).map((s) => s.feature.name);
  const fallback = ['modularity_z', 'community_latent_nmi', 'spectral_alpha'];
  const shown = top.length ? top : fallback;
  const tbl = table(['feature', 'kind', 'disentangled (mean)', 'entangled (mean)', "Cohen's d", '95% CI'],
    seps.map((s) => [escapeHtml(s.feature.name), s.feature.kind, f(s.disentangled), f(s.entangled), f(s.d, 2), `[${f(s.lo, 2)}, ${f(s.hi, 2)}]`]));
  return `<p>Accurate models only: ${dis.length} disentangled, ${ent.length} entangled. The graph is the hidden-to-hidden layer (the MLP's hidden2, the RNN's recurrent matrix).</p>` +
    metricVsGraphFigure(doc, rows, shown) + more('every feature (effect sizes, bootstrap CIs)', tbl) +
    more('the lens per setting (medians over runs)', settingsTable(modelRows(rows), GRAPH_FEATURES.map((c) => [c, c])));
}

export function buildMultitaskReport(input: MultitaskReportInput): string {
  const doc = chartDocument();
  const models = modelRows(input.rows);
  const config = (input.record.config ?? {}) as Record<string, unknown>;
  const observation = [...new Set(models.map((r) => String(r.observation)))].join(', ') || String(config.observation ?? '');
  const seed = Number(config.seed ?? 1);
  const parts: string[] = [claimsSection(input.claims)];

  const trivial = { value: 0.75, label: 'centre', color: COLORS.chance };
  const raw = (g: Row[]) => {
    const v = median(g.filter((r) => num(r, 'noise') === 0).map((r) => num(r, 'raw_ood_r2')));
    return Number.isFinite(v) && v > -0.5 ? [{ value: v, label: 'raw', color: COLORS.reference, dash: '2 3' }] : [];
  };
  parts.push(section('ood', 'OOD r² against the number of tasks',
    `<p>Median over runs (band: min–max) of the out-of-distribution r² of a linear decoder of z from the last hidden layer (clean looks), trained on all orthants but one and tested on it. ` +
    `Dashed grey: the trivial held-out-centre predictor (0.75 in the paper's form); dotted: the raw observations' own decoder, where above −0.5. Observation map: <b>${escapeHtml(observation)}</b>.</p>` +
    overKFigure(doc, models, 'ood_r2', 'OOD r² (paper form)', [-0.5, 1], (g) => [trivial, ...raw(g)]) +
    more('the same in the centre-normalised form (0 = the held-out centre)', overKFigure(doc, models, 'ood_r2_centre', 'OOD r² (centre form)', [-2, 1], () => [{ value: 0, label: 'centre', color: COLORS.chance }])) +
    more('in-distribution r²', overKFigure(doc, models, 'id_r2', 'in-distribution r²', [0, 1], () => []))));

  parts.push(section('accuracy', 'Task accuracy against the number of tasks',
    '<p>Mean accuracy over the K tasks on clean test looks (median over runs).</p>' +
    overKFigure(doc, models, 'accuracy', 'mean task accuracy', [0.5, 1], () => [{ value: 0.9, label: '0.9', color: COLORS.chance }])));

  parts.push(section('reconstruction', 'The held-out orthant, reconstructed',
    '<p>A linear decoder fitted on the other orthants reads the latent state of the held-out orthant (all coordinates positive) from the last hidden layer: the most disentangled and the most entangled accurate models of the run. On the diagonal: perfect generalisation.</p>' +
    reconstructionFigure(doc, input.reconstructions)));

  parts.push(section('lens', 'The weight lens: graph statistics of disentangled and entangled models', lensSection(doc, input.rows, seed)));
  parts.push(section('probes', 'Probes on accuracy and on the abstraction', probeSection(doc, input.rows)));

  const link = (r: Row): string => {
    const k = input.viewerIndex.get(`${r.task}|${r.run}`);
    return k === undefined ? '' : ` <code>?model=${k}&amp;layer=${escapeHtml(r.model === 'rnn' ? 'recurrent' : 'hidden2')}</code>`;
  };
  const perModel = table(['model', 'run', 'accuracy', 'OOD r²', 'centre form', 'viewer'], models.map((r) => [
    escapeHtml(String(r.task)), String(r.run), f(num(r, 'accuracy')), f(num(r, 'ood_r2')), f(num(r, 'ood_r2_centre')), link(r),
  ]));
  parts.push(section('tables', 'Tables',
    more('per setting: accuracy and representation metrics (medians over runs)', settingsTable(models, SETTING_COLUMNS)) +
    more('raw-observation baseline (a linear decoder of z from the observations themselves)', rawBaselineTable(models)) +
    more('per model, with its page in the viewer', `<p class="note"><code>weightscope view ${escapeHtml(runPaths('.').root)}</code> in the run folder, then open the page with the query shown.</p>` + perModel)));

  parts.push(section('config', 'Configuration', configTables(input.record)));
  return page({
    title: 'weightscope multitask: do many tasks build a disentangled world model?',
    lead: `${models.length} models; observation map ${observation}; OOD r² read on clean looks. Vafidis, Bhargava & Rangel, "Disentangling Representations through Multi-task Learning" (arXiv 2407.11249).`,
    nav: [['claims', 'claims'], ['ood', 'OOD r²'], ['accuracy', 'accuracy'], ['reconstruction', 'reconstruction'], ['lens', 'weight lens'], ['probes', 'probes'], ['tables', 'tables'], ['config', 'configuration']],
    body: parts.join('\n'),
  });
}

export function writeMultitaskReport(root: string, input: MultitaskReportInput): string {
  const path = runPaths(root).report;
  writeFileAtomic(path, buildMultitaskReport(input));
  return path;
}
