/**
 * The multi-task study's report.html (src/study/kinds/multitask/report.ts) in a real headless
 * Chromium (the viewer tests' browser): built from planted rows whose claims are known (see
 * test/study/multitask-claims.test.ts), it opens without a page error, leads with the claims table,
 * draws OOD r² against K with one line per σ, and fits the window. Screenshot in test-artifacts/report/.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { evaluateMultitaskClaims, type Row } from '../../src/study/kinds/multitask/claims.js';
import { buildMultitaskReport } from '../../src/study/kinds/multitask/report.js';
import { findChromium } from '../viewer/chromium.js';

const ARTIFACTS = join(fileURLToPath(new URL('../../../', import.meta.url)), 'test-artifacts', 'report');
const VIEWPORT = { width: 1280, height: 900 };
let browser: Browser;
let page: Page;
let dir: string;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'ws-mt-report-'));
  const found = await findChromium();
  browser = await chromium.launch({ executablePath: found.executablePath, headless: true, args: found.args, env: found.env });
  page = await browser.newPage({ viewport: VIEWPORT });
});

after(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Planted models: σ = 0.2 disentangles from K = 3, σ = 0 never; probe rows for prune. */
function rows(): Row[] {
  const out: Row[] = [];
  for (const noise of [0, 0.2]) {
    for (const tasks of [1, 2, 3, 6]) {
      for (const run of [0, 1, 2]) {
        const dis = noise > 0 && tasks >= 3;
        const base = {
          task: `mlp-rbf-d2-k${tasks}-s${noise}`, difficulty: 'custom', probe: 'baseline', variant: 'reference', signed: false, level: 0, layer: 'all', run, seed: 0, n_test: 1000,
          inputs: 'rbf', tasks, noise, latent_dim: 2, model: 'mlp', observation: 'rbf', accuracy: 0.95 + run / 100, ood_r2: dis ? 0.95 : 0.3 - run / 10, ood_r2_centre: dis ? 0.8 : -1 - run,
          id_r2: 0.98, raw_ood_r2: -3, raw_ood_r2_centre: -10, modularity_z: dis ? 5 + run : 1 + run, spectral_alpha: 2, community_latent_nmi: 0.5,
        } as unknown as Row;
        out.push(base, { ...base, probe: 'prune', level: 0.5, accuracy: 0.9, ood_r2_centre: (base.ood_r2_centre as number) / 2 } as Row);
      }
    }
  }
  return out;
}

test('report.html: no page error, the claims first, OOD r² against K one line per σ, within the window', async () => {
  const r = rows();
  const claims = evaluateMultitaskClaims(r, { seed: 1, transformerReason: 'no transformer here', link: () => 'weightscope view RUN' });
  const html = buildMultitaskReport({ rows: r, claims, record: { config: { seed: 1 } }, reconstructions: [], viewerIndex: new Map() });
  const path = join(dir, 'report.html');
  writeFileSync(path, html);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(pathToFileURL(path).href);
  assert.deepEqual(errors, []);
  const claimsTop = await page.evaluate(() => document.querySelector('#claims table')!.getBoundingClientRect().top + window.scrollY);
  assert.ok(claimsTop < VIEWPORT.height, `the claims table starts at ${claimsTop} px`);
  const ids = await page.locator('#claims table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.querySelector('td')?.textContent?.trim().split(/\s/)[0]));
  for (const id of ['C1', 'C2', 'C3', 'C4', 'W1', 'W2', 'W3']) assert.ok(ids.includes(id), `claims table rows: ${ids.join(', ')}`);
  const legend = await page.locator('#ood svg').first().textContent();
  assert.match(legend ?? '', /σ = 0\b/);
  assert.match(legend ?? '', /σ = 0\.2/);
  const width = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  assert.ok(width.scroll <= width.client, `the page is ${width.scroll} px wide in ${width.client}`);
  await page.screenshot({ path: join(ARTIFACTS, 'multitask.png') });
});
