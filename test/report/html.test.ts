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
    assert.ok(svg.querySelectorAll('path.series, rect.bar, circle.point').length > 0, `empty chart: ${svg.getAttribute('aria-label')}`);
    assert.ok(Number(svg.getAttribute('width')) > 0 && Number(svg.getAttribute('height')) > 0);
  }
  // the SSIM table lists all 45 pairs and highlights the two trained ones
  assert.equal(doc.querySelectorAll('#ssim tbody tr').length, 45);
  assert.equal(doc.querySelectorAll('#ssim tr.chosen').length, 2);
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
  for (const svg of doc.querySelectorAll('#pruning svg')) {
    assert.equal(svg.querySelectorAll('path.series').length, 45);
    assert.ok(svg.querySelectorAll('.legend-item').length <= 3);
  }
  // every task has its own colour
  const colours = new Set([...doc.querySelector('#pruning svg')!.querySelectorAll('path.series')].map((p) => p.getAttribute('stroke')));
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
