/**
 * The report module's pages in a real headless Chromium (the viewer tests' browser: ../viewer/chromium.ts):
 * report.html of the default sweep leads with the claims and stays a few screens long; the
 * per-layer pages put layer names on their depth axis and keep wide tables inside the window;
 * the transformer report fits the window. Screenshots go to test-artifacts/report/.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildReport, layerTableHtml, type LayerTableRow } from '../../src/report/index.js';
import { buildDepthHtml } from '../../src/report/depth.js';
import { buildTransformerReport, type TransformerReportInput } from '../../src/report/transformer.js';
import { planSweep } from '../../src/probes/sweep.js';
import type { ResultRow } from '../../src/core/results.js';
import { findChromium } from '../viewer/chromium.js';
import { generateLayers, generateSsim, generateSweepRows, generateTasks, RUN_CONFIG } from './fixtures.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts', 'report');
const VIEWPORT = { width: 1280, height: 900 };

let browser: Browser;
let page: Page;
let dir: string;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'ws-report-pages-'));
  const found = await findChromium();
  console.log(`report browser tests use ${found.source}`);
  browser = await chromium.launch({ executablePath: found.executablePath, headless: true, args: found.args, env: found.env });
  page = await browser.newPage({ viewport: VIEWPORT });
});

after(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Write the page to disk and open it from there, as a user opens report.html. */
async function open(name: string, html: string, viewport = VIEWPORT): Promise<void> {
  const path = join(dir, name);
  writeFileSync(path, html);
  await page.setViewportSize(viewport);
  await page.goto(pathToFileURL(path).href);
}

const layout = (): Promise<{ height: number; scrollWidth: number; clientWidth: number }> =>
  page.evaluate(() => ({ height: document.documentElement.scrollHeight, scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));

test('report.html of the default sweep: the claims table is on the first screen and the page is a few screens long', async () => {
  const plan = planSweep();
  const rows = generateSweepRows(plan, { runs: 3 });
  const ssim = generateSsim();
  const { html } = buildReport({ rows, ssim, tasks: generateTasks(ssim), layers: generateLayers(3), config: { ...RUN_CONFIG, sweep: { pruneLevels: plan.map((p) => p.spec.level) } } });
  await open('report.html', html);
  const claimsTop = await page.evaluate(() => document.querySelector('#claims table')!.getBoundingClientRect().top + window.scrollY);
  assert.ok(claimsTop < VIEWPORT.height, `the claims table starts at ${claimsTop} px, below the first screen`);
  const { height, scrollWidth, clientWidth } = await layout();
  console.log(`report.html of ${rows.length} rows: ${height} px tall at ${VIEWPORT.width}×${VIEWPORT.height} (${(height / VIEWPORT.height).toFixed(1)} screens), claims table at ${Math.round(claimsTop)} px`);
  assert.ok(height < 6 * VIEWPORT.height, `the page is ${height} px tall: more than 6 screens`);
  assert.ok(scrollWidth <= clientWidth, `the page is ${scrollWidth} px wide in a ${clientWidth} px window`);
  // the folded sections open on a click, and their content is then on the page
  const configHeight = await page.evaluate(() => document.querySelector('#config')!.getBoundingClientRect().height);
  await page.locator('#config summary').first().click();
  const opened = await page.evaluate(() => document.querySelector('#config')!.getBoundingClientRect().height);
  assert.ok(opened > configHeight + 50, `the configuration opens (${configHeight} → ${opened} px)`);
  await page.reload();
  await page.screenshot({ path: join(ARTIFACTS, 'report-first-screen.png') });
  // a narrower window: the figures shrink with it, nothing spills sideways
  await page.setViewportSize({ width: 900, height: 900 });
  const narrow = await layout();
  assert.ok(narrow.scrollWidth <= narrow.clientWidth, `at 900 px the page is ${narrow.scrollWidth} px wide`);
});

test('the per-layer depth page names the layers on its depth axis and fits the window', async () => {
  const layers = Array.from({ length: 14 }, (_, k) => ({ name: `encoder.layer.${k >> 1}.${k % 2 ? 'ffn.out' : 'attention.q_lin'}.weight`, depth: k, kind: k % 2 ? 'ffn.out' : 'attention.q', shape: [768, 768] }));
  const base = { task: 'model.onnx', difficulty: 'custom' as const, variant: 'reference', signed: true, run: 0, n_test: 100, inputs: 'x.npy' };
  const rows: ResultRow[] = [
    { ...base, probe: 'baseline', signed: false, level: 0, layer: 'all', seed: 0, accuracy: 0.9 },
    ...layers.flatMap((l) => [0.2, 0.6].map((level) => ({ ...base, probe: 'prune' as const, level, layer: l.name, seed: 0, accuracy: 0.9 - level * (l.depth / 20) }))),
  ];
  await open('depth.html', buildDepthHtml(rows, layers, { title: 'model.onnx: prune per layer', baseline: rows[0] }));
  const ticks = await page.locator('#depth svg .x-axis .tick').evaluateAll((els) => els.map((e) => ({ label: e.getAttribute('data-label'), value: e.getAttribute('data-value') })));
  assert.deepEqual(ticks.map((t) => t.label), layers.map((l) => l.name), 'one tick per layer, named');
  assert.deepEqual(ticks.map((t) => Number(t.value)), layers.map((l) => l.depth));
  const shown = await page.locator('#depth svg .x-axis .tick text').allTextContents();
  assert.ok(shown.every((t) => !/^\d+\.5$/.test(t)), `no half-layer ticks: ${shown.join(', ')}`);
  const { scrollWidth, clientWidth } = await layout();
  assert.ok(scrollWidth <= clientWidth, `the depth page is ${scrollWidth} px wide in a ${clientWidth} px window`);
  await page.screenshot({ path: join(ARTIFACTS, 'depth-page.png'), fullPage: true });
});

test('the layer table page (stats --all-layers) names the layers on its depth axes and keeps its wide table inside the window', async () => {
  const rows: LayerTableRow[] = Array.from({ length: 30 }, (_, k) => ({
    layer: `transformer.layer.${Math.floor(k / 6)}.${['attention.q_lin', 'attention.k_lin', 'attention.v_lin', 'attention.out_lin', 'ffn.lin1', 'ffn.lin2'][k % 6]}`,
    kind: ['attention.q', 'attention.k', 'attention.v', 'attention.o', 'ffn.in', 'ffn.out'][k % 6], depth: k, n_in: 768, n_out: 768, params: 768 * 769, dtype: 'F32', orientation: 'out-in',
    density: 1, frac_pos: 0.5 + k / 1000, sd_w: 0.04, k_plus_in: 384, k_minus_in: 384, k_plus_out: 384, k_minus_out: 384, s_plus_in: 12.1, s_minus_in: 12.3, s_plus_out: 12.2, s_minus_out: 12.4,
    assortativity: 0.01, assortativity_pos: 0.02, assortativity_neg: -0.01, nodf_pos: 50.1, nodf_neg: 49.9, pc_all: 0.99, pc_pos: 0.98, pc_neg: 0.97,
    spectral_norm: 3.2, frobenius_norm: 20.1, stable_rank: 39.4, alpha: 3.1 + k / 10, alpha_xmin: 0.9, alpha_ks: 0.05,
  }));
  await open('layers.html', layerTableHtml(rows, 'weightscope layers of distilbert.safetensors'));
  const labels = await page.locator('#chart-alpha svg .x-axis .tick').evaluateAll((els) => els.map((e) => e.getAttribute('data-label')));
  assert.deepEqual(labels, rows.map((r) => r.layer), 'one tick per layer, named');
  const { scrollWidth, clientWidth } = await layout();
  assert.ok(scrollWidth <= clientWidth, `the layer page is ${scrollWidth} px wide in a ${clientWidth} px window`);
  // the table is wider than the window: it scrolls inside its own box
  const box = await page.evaluate(() => {
    const t = document.querySelector('table')!;
    return { table: t.scrollWidth, shown: t.clientWidth, overflow: getComputedStyle(t).overflowX };
  });
  assert.ok(box.table > box.shown && box.overflow === 'auto', `the table (${box.table} px) scrolls in ${box.shown} px`);
  await page.screenshot({ path: join(ARTIFACTS, 'layer-table.png') });
});

function transformerInput(): TransformerReportInput {
  const blocks = 4;
  const kinds = ['attn.q', 'attn.k', 'attn.v', 'attn.o', 'ffn.in', 'ffn.out'];
  const layerOrder = ['embed.word', ...Array.from({ length: blocks }, (_, b) => kinds.map((k) => `block${b}.${k}`)).flat(), 'head'];
  const base = { task: 'brown-upos', difficulty: 'custom' as const, signed: true, seed: 0, n_test: 600, inputs: 'tokens' };
  const rows: ResultRow[] = [];
  for (let run = 0; run < 2; run++) {
    rows.push({ ...base, probe: 'baseline', variant: 'reference', signed: false, level: 0, layer: 'all', run, accuracy: 0.9, f1: 0.8 });
    for (const name of layerOrder.slice(1, -1))
      for (const [probe, variant] of [['binarize', 'reference'], ['binarize', 'scaled'], ['prune', 'reference'], ['binarize+noise', 'relative'], ['randomize', 'B'], ['randomize', 'E'], ['randomize', 'F'], ['randomize', 'curveball']] as const)
        rows.push({ ...base, probe, variant, level: probe === 'prune' ? 0.5 : probe === 'binarize+noise' ? 1 : 0, layer: name, run, accuracy: 0.5 + run / 100, f1: 0.4 });
  }
  const scores = { accuracy: 0.93, f1: 0.85, n: 215631 };
  return {
    rows,
    layers: layerOrder.slice(1, -1).map((layer) => ({ run: 0, layer, shape: [64, 64] as [number, number], sigma: 0.1, meanAbs: 0.08, fractionPositive: 0.5, meanKPlusIn: 32, meanKPlusOut: 32 })),
    baselines: { mostFrequentTag: { evaluation: scores, test: scores } },
    config: {
      command: 'transformer', status: 'complete',
      config: { blocks, dim: 64, heads: 4, ffn: 256, runs: 2, trainTokens: 300000, evalTokens: 3000, task: 'brown-upos', seed: 1 },
      model: { vocab: 18159, suffixes: 2614, shapes: 5, lexicon: 13, maxLen: 64, blocks, dim: 64, heads: 4, ffn: 256, tags: 12 },
      timings: { data_s: 1.25, train_s: 120.5, probe_s: 300.25, stats_s: 2, total_s: 430 },
    },
    layerOrder,
    taggersOnTest: [scores, scores],
  };
}

test('the transformer report fits the window, shows its configuration as a table and its timings as run.json has them', async () => {
  const input = transformerInput();
  for (const width of [1280, 1024]) {
    await open('transformer.html', buildTransformerReport(input), { width, height: 900 });
    const { scrollWidth, clientWidth } = await layout();
    assert.ok(scrollWidth <= clientWidth, `at ${width} px the transformer report is ${scrollWidth} px wide`);
  }
  const config = await page.locator('#config table.kv').first().evaluate((t) => [...t.querySelectorAll('tr')].map((tr) => [tr.querySelector('th')!.textContent, tr.querySelector('td')!.textContent]));
  assert.ok(config.some(([k, v]) => k === 'command' && v === 'transformer'), JSON.stringify(config));
  const model = await page.locator('#config h3', { hasText: 'model' }).count();
  assert.equal(model, 1, 'the model configuration has its own table');
  const timings = await page.locator('#config table.timings tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  const recorded = input.config.timings as Record<string, number>;
  for (const [stage, seconds] of Object.entries(recorded)) {
    if (stage === 'total_s') continue;
    assert.ok(timings.some(([s, v]) => s === stage.replace(/_s$/, '') && v === seconds.toFixed(1)), `${stage} ${seconds}: ${JSON.stringify(timings)}`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: join(ARTIFACTS, 'transformer.png') });
});
