import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JSDOM } from 'jsdom';
import { buildReport, REPORT_SECTIONS, writeReport, SUMMARY_SCHEMA, type ReportInput } from '../../src/report/index.js';
import { generateLayers, generateRows, generateSsim, generateTasks, RUN_CONFIG } from './fixtures.js';

function fullInput(): ReportInput {
  const ssim = generateSsim();
  return { rows: generateRows({ runs: 3, seeds: 2 }), ssim, tasks: generateTasks(ssim), config: RUN_CONFIG, layers: generateLayers(1) };
}

// one full report shared by the tests that only read it (building it takes about a second)
let cached: ReturnType<typeof buildReport> | undefined;
function fullReport(): ReturnType<typeof buildReport> {
  return (cached ??= buildReport(fullInput()));
}

function parse(html: string): Document {
  return new JSDOM(html).window.document;
}

test('the report parses, has every section, and every chart has content', () => {
  const { html } = fullReport();
  const doc = parse(html);
  for (const id of REPORT_SECTIONS) assert.ok(doc.querySelector(`section#${id} h2`), `section ${id} missing`);
  assert.equal(doc.querySelectorAll('.not-run').length, 0, 'a full run has no "not run" notes');
  const svgs = [...doc.querySelectorAll('svg')];
  assert.ok(svgs.length >= 20, `${svgs.length} charts`);
  for (const svg of svgs) {
    assert.ok(svg.querySelectorAll('path.series, rect.bar, circle.point, rect.cell').length > 0, `empty chart: ${svg.getAttribute('aria-label')}`);
    assert.ok(Number(svg.getAttribute('width')) > 0 && Number(svg.getAttribute('height')) > 0);
  }
  // the SSIM table lists all 45 pairs and highlights the two trained ones
  assert.equal(doc.querySelectorAll('#ssim tbody tr').length, 45);
  assert.equal(doc.querySelectorAll('#ssim tr.chosen').length, 2);
  // CKA beside accuracy: the same probes, one accuracy and one CKA panel each
  const ckaCharts = [...doc.querySelectorAll('#cka svg.panel')].map((x) => x.getAttribute('aria-label') ?? '');
  assert.ok(ckaCharts.includes('Prune, then sign(): CKA') && ckaCharts.includes('Prune, then sign()'), ckaCharts.join(' | '));
  assert.equal(ckaCharts.length % 2, 0, 'an accuracy panel above each CKA panel');
  // one claim row per claim, each with a verdict badge
  assert.equal(doc.querySelectorAll('#claims tbody tr .verdict').length, 6);
});

test('the report is self-contained: no scripts, stylesheets, fonts or external URLs', () => {
  const { html } = fullReport();
  assert.doesNotMatch(html, /(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
  assert.doesNotMatch(html, /<script|<link|@import|url\(/i);
  const doc = parse(html);
  for (const a of doc.querySelectorAll('a[href]')) assert.match(a.getAttribute('href')!, /^#/);
});

test('a run with only some probes still builds, and says which sections were not run', () => {
  const rows = generateRows({ runs: 2, probes: ['baseline', 'binarize'] });
  const { html, summary } = buildReport({ rows });
  const doc = parse(html);
  for (const id of REPORT_SECTIONS) assert.ok(doc.querySelector(`section#${id}`), id);
  for (const id of ['noise', 'pruning', 'signflip', 'randomization', 'degrees', 'ssim']) assert.ok(doc.querySelector(`section#${id} .not-run`), `${id} should say not run`);
  assert.ok(doc.querySelector('#accuracy table'));
  assert.equal(summary.tasks.length, 2);
  // one probe kind only, and nothing at all
  assert.ok(buildReport({ rows: generateRows({ runs: 1, probes: ['binarize+noise'] }) }).html.includes('id="noise"'));
  const empty = parse(buildReport({ rows: [] }).html);
  assert.equal(empty.querySelectorAll('section').length, REPORT_SECTIONS.length);
});

test('text from the run is escaped, not interpreted', () => {
  const rows = generateRows({ runs: 1, probes: ['baseline'] }).map((r) => ({ ...r, task: 'x<img onerror=alert(1)>-1v2' }));
  const { html } = buildReport({ rows, config: { note: '<b>hi</b>' } });
  assert.doesNotMatch(html, /<img/);
  assert.match(html, /&lt;b&gt;hi&lt;\/b&gt;/);
});

test("the header names the run's training engine (and the tfjs backend when tfjs trained)", () => {
  const rows = generateRows({ runs: 1, probes: ['baseline'] });
  const header = (config: Record<string, unknown>) => parse(buildReport({ rows, config }).html).querySelector('header')!.textContent!;
  assert.match(header({ config: { engine: 'sparse' }, backend: { name: 'wasm' } }), /trained with engine sparse(?! \()/);
  assert.match(header({ config: { engine: 'tfjs' }, backend: { name: 'tensorflow' } }), /trained with engine tfjs \(tfjs backend tensorflow\)/);
  assert.doesNotMatch(header({}), /trained with/);
});

test('writeReport writes report.html and summary.json atomically into the run folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ws-report-'));
  try {
    const out = writeReport(dir, { ...fullInput(), layers: undefined });
    assert.deepEqual(readdirSync(dir).sort(), ['report.html', 'summary.json']);
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    assert.equal(summary.schema, SUMMARY_SCHEMA);
    assert.equal(summary.tasks.length, 2);
    assert.equal(summary.claims.length, out.claims.length);
    assert.equal(readFileSync(join(dir, 'report.html'), 'utf8'), out.html);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a report over all 45 class pairs puts tasks in rows and keeps legends short', () => {
  const ssim = generateSsim();
  const tasks = ssim.map((s) => ({ task: `mnist-${s.a}v${s.b}`, difficulty: 'custom' as const }));
  const rows = generateRows({ runs: 1, tasks, probes: ['baseline', 'binarize', 'prune', 'randomize'] });
  const { html, summary } = buildReport({ rows, ssim });
  const doc = parse(html);
  assert.equal(summary.tasks.length, 45);
  // the randomization and gap tables have one row per task instead of two columns per task
  assert.equal(doc.querySelector('#randomization table tbody')!.querySelectorAll('tr').length, 45);
  assert.ok(doc.querySelector('#randomization table thead')!.querySelectorAll('th').length < 15);
  assert.equal(doc.querySelector('#complexity table tbody')!.querySelectorAll('tr').length, 45);
  // one panel per pruning variant, each with a plain and a signed line per task; one short legend for the figure
  const pruning = doc.querySelector('#pruning svg[data-chart="small-multiples"]')!;
  const panels = pruning.querySelectorAll('svg.panel');
  assert.equal(panels.length, 3, 'reference, largest, random');
  for (const panel of panels) assert.equal(panel.querySelectorAll('path.series').length, 2 * 45);
  assert.equal(pruning.querySelectorAll('.legend-item').length, 3 + 2, 'the two ends of the colour scale, a note, two line styles');
  // the all-pairs study as the reference shows it: two 10×10 maps (45 cells each) and the scatter with both statistics, labelled
  const maps = doc.querySelectorAll('#complexity svg[data-chart="heatmap"]');
  assert.equal(maps.length, 2);
  for (const m of maps) assert.equal(m.querySelectorAll('rect.cell').length, 45);
  const notes = [...doc.querySelectorAll('#complexity svg[data-chart="scatter"] text.note')].map((t) => t.textContent);
  assert.ok(notes.some((t) => /^Spearman ρ = -?\d\.\d\d \(reference\)$/.test(t!)), notes.join(' | '));
  assert.ok(notes.some((t) => /Pearson r = .*weightscope, all null models/.test(t!)), notes.join(' | '));
  assert.match(doc.querySelector('#complexity')!.textContent!, /mean over A, B, C/);
  // every task has its own colour
  const colours = new Set([...doc.querySelector('#pruning svg.panel')!.querySelectorAll('path.series')].map((p) => p.getAttribute('stroke')));
  assert.ok(colours.size > 30, `${colours.size} colours`);
});

test('a run whose probes all perturbed one layer is drawn like a whole-model run, and says so', async () => {
  const { buildReport } = await import('../../src/report/html.js');
  const base = { task: 'mnist-0v7', difficulty: 'easy' as const, variant: 'reference', layer: 'dense_0', run: 0, seed: 0, n_test: 100, inputs: 'pm1' };
  const rows = [
    { ...base, probe: 'baseline' as const, signed: false, level: 0, accuracy: 0.99 },
    ...[0, 0.5, 0.9].map((level) => ({ ...base, probe: 'prune' as const, signed: true, level, accuracy: 0.9 - level / 2 })),
  ];
  const { html } = buildReport({ rows });
  assert.match(html, /every probe perturbed layer dense_0 only/);
  const withAll = buildReport({ rows: rows.map((r) => ({ ...r, layer: 'all' })) }).html;
  const paths = (h: string): number => (h.match(/class="series"/g) ?? []).length;
  assert.ok(paths(html) > 0);
  assert.equal(paths(html), paths(withAll));
});

test('σ(w) pooled over layers equals the standard deviation of all the model\'s weights (median over runs)', async () => {
  const { pooledSigmaByTask } = await import('../../src/report/html.js');
  const a = [0.5, -0.25, 0, 1], b = [2, -1, 0.5];
  const std = (xs: number[]): number => { const m = xs.reduce((s, x) => s + x, 0) / xs.length; return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length); };
  const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
  const layer = (run: number, name: string, w: number[]) => ({ task: 't', run, layer: name, sigma: std(w), mean: mean(w), count: w.length });
  const three = [1, 2, 3].map((k) => [layer(k, 'dense_0', a.map((x) => x * k)), layer(k, 'dense_1', b.map((x) => x * k))]).flat();
  const got = pooledSigmaByTask(three).get('t')!;
  assert.ok(Math.abs(got - std([...a, ...b].map((x) => x * 2))) < 1e-12, `${got}`); // the median run is k = 2
});

test('the report leads with the answer: claims, then headline figures; tasks, SSIM ranking and configuration folded away', () => {
  const doc = parse(fullReport().html);
  const ids = [...doc.querySelectorAll('main > section')].map((s) => s.id);
  assert.deepEqual(ids.slice(0, 2), ['claims', 'accuracy']);
  assert.deepEqual(ids, REPORT_SECTIONS);
  for (const id of ['tasks', 'ssim', 'config']) {
    const details = doc.querySelector(`section#${id} > details`);
    assert.ok(details, `${id} is a disclosure`);
    assert.equal(details!.hasAttribute('open'), false, `${id} starts closed`);
    assert.ok(details!.querySelector(':scope > summary h2'), `${id}'s heading is its summary`);
  }
  // every table can scroll sideways inside its section rather than widen the page
  for (const t of doc.querySelectorAll('table')) assert.ok(t.closest('.table-wrap, .ssim-grid'), `a table outside a scrolling box: ${t.textContent!.slice(0, 60)}`);
});

test("the headline table shows each task's full-precision and binarized accuracy as the mean over runs of its rows", () => {
  const input = fullInput();
  const doc = parse(fullReport().html);
  const headers = [...doc.querySelectorAll('#accuracy table')[0].querySelectorAll('thead th')].map((th) => th.textContent!);
  const col = (name: string): number => headers.findIndex((h) => h.startsWith(name));
  for (const [i, task] of ['mnist-0v7', 'mnist-7v9'].entries()) {
    const cells = [...doc.querySelectorAll('#accuracy table')[0].querySelectorAll('tbody tr')[i].querySelectorAll('td')];
    assert.match(cells[0].textContent!, new RegExp(task));
    // independent: the rows' mean per run (one row each here), then the mean over the runs
    const meanOf = (probe: string): number => {
      const rows = input.rows.filter((r) => r.task === task && r.probe === probe && r.variant === 'reference' && r.layer === 'all');
      const runs = [...new Set(rows.map((r) => r.run))];
      return runs.map((k) => rows.filter((r) => r.run === k).reduce((a, r) => a + r.accuracy, 0) / rows.filter((r) => r.run === k).length).reduce((a, b) => a + b, 0) / runs.length;
    };
    assert.ok(cells[col('full precision')].textContent!.startsWith(meanOf('baseline').toFixed(3)), cells[col('full precision')].textContent!);
    assert.ok(cells[col('binarized')].textContent!.startsWith(meanOf('binarize').toFixed(3)), cells[col('binarized')].textContent!);
  }
});

test('randomizations: one panel per randomization across the pruning levels, a full and a binarized line per task', () => {
  const input = fullInput();
  const doc = parse(fullReport().html);
  const letters = [...new Set(input.rows.filter((r) => r.probe === 'randomize').map((r) => r.variant))];
  const levels = new Set(input.rows.filter((r) => r.probe === 'randomize').map((r) => r.level));
  const panels = [...doc.querySelectorAll('#randomization svg.panel')];
  assert.equal(panels.length, letters.length);
  assert.deepEqual(panels.map((p) => p.getAttribute('aria-label')!.split(':')[0]).sort(), letters.sort());
  for (const p of panels) {
    const paths = [...p.querySelectorAll('path.series')];
    assert.equal(paths.length, 2 * 2, 'two tasks, full and binarized');
    // one vertex per pruning level
    for (const path of paths) assert.equal((path.getAttribute('d')!.match(/[ML]/g) ?? []).length, levels.size);
  }
  // the figure is one chart, not a table and a bar chart per level
  assert.equal(doc.querySelectorAll('#randomization svg[data-chart="bar"]').length, 0);
  assert.equal(doc.querySelectorAll('#randomization > figure').length, 1);
});

test('the configuration shows the timings run.json records, leaving out those written after the report', () => {
  const rows = generateRows({ runs: 1, probes: ['baseline'] });
  const doc = parse(buildReport({ rows, config: { command: 'reproduce', timings: { data_s: 0.5, train_s: 2.5, probe_s: 10, report_s: 1, total_s: 14 }, finished: 'later' } }).html);
  const cells = [...doc.querySelectorAll('#config table.timings tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent));
  assert.deepEqual(cells, [['data', '0.5'], ['train', '2.5'], ['probe', '10.0'], ['these stages', '13.0']]);
  assert.doesNotMatch(doc.querySelector('#config')!.textContent!, /finished|later|14\.0/);
  assert.match(doc.querySelector('#config')!.textContent!, /command\s*reproduce/);
});
