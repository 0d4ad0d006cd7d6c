/**
 * The viewer in a real headless Chromium (driven by playwright-core; which binary: ./chromium.ts),
 * against a run folder on disk. Screenshots of each state go to test-artifacts/viewer/.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startViewer, DEFAULT_ASSETS_DIR, type ViewerHandle } from '../../src/viewer/index.js';
import { csvToRows } from '../../src/core/results.js';
import type { LayerRecord } from '../../src/core/layer.js';
import { percolation, unitStats } from '../../src/stats/index.js';
import { randomizeLayer } from '../../src/randomize/index.js';
import { Rng } from '../../src/core/rng.js';
import { encodeSafetensors } from '../../src/formats/index.js';
import { makeRunFixture, type RunFixture } from './fixture.js';
import { findChromium } from './chromium.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts', 'viewer');

let fx: RunFixture;
let viewer: ViewerHandle;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
/** The viewer servers the page may talk to; any other origin is a bug. */
const servers = new Set<string>();

/** What the page exposes on window.__weightscope (see viz/src/main.ts). */
interface Hook {
  ready: boolean;
  error: string | null;
  renderedNodes: number;
  renderedEdges: number;
  renderedEdgesB: number;
  keptEdges: number;
  largestComponent: number;
  largestComponentB: number;
  threshold: number;
  edges(which?: 'a' | 'b'): [number, number, number][];
  degrees(which?: 'a' | 'b'): { kPlus: number[]; kMinus: number[] };
  inkFraction(): number;
  hover(node: string | null): void;
  exportPngDataUrl(): Promise<string>;
  exportSvg(): string;
  nodePosition(key: string): { x: number; y: number } | null;
  onScreen(key: string): { x: number; y: number; width: number; height: number } | null;
  search(text: string): Promise<void>;
  layoutRunning: boolean;
  randomizedIn: string;
}
type Win = { __weightscope: Hook };

async function open(query = ''): Promise<void> {
  await page.goto(viewer.url + query);
  await page.waitForFunction(() => (globalThis as unknown as Win).__weightscope?.ready === true, null, { timeout: 20_000 });
  const error = await page.evaluate(() => (globalThis as unknown as Win).__weightscope.error);
  assert.equal(error, null, `page error: ${error}`);
}

function hook<T>(f: (h: Hook) => T): Promise<T> {
  return page.evaluate(`(${f.toString()})(window.__weightscope)`) as Promise<T>;
}

async function shot(name: string): Promise<void> {
  await page.waitForTimeout(150); // let the scheduled sigma frame paint
  // Software GL while ForceAtlas2 repaints can take more than playwright's 30 s on a loaded machine.
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), timeout: 90_000 });
}

function firstLayer(): LayerRecord {
  return fx.models[0].model.layers[0];
}

/** Largest connected component of the layer keeping |w| ≥ t, by plain BFS (an independent check). */
function largestComponentBfs(layer: LayerRecord, t: number): number {
  const [nIn, nOut] = layer.shape;
  const adj: number[][] = Array.from({ length: nIn + nOut }, () => []);
  for (let i = 0; i < nIn; i++) {
    for (let j = 0; j < nOut; j++) {
      const w = layer.weights[i * nOut + j];
      if (w !== 0 && Math.abs(w) >= t) {
        adj[i].push(nIn + j);
        adj[nIn + j].push(i);
      }
    }
  }
  const seen = new Uint8Array(nIn + nOut);
  let best = 0;
  for (let s = 0; s < nIn + nOut; s++) {
    if (seen[s]) continue;
    let size = 0;
    const stack = [s];
    seen[s] = 1;
    while (stack.length) {
      const v = stack.pop()!;
      size++;
      for (const u of adj[v]) {
        if (seen[u]) continue;
        seen[u] = 1;
        stack.push(u);
      }
    }
    best = Math.max(best, size);
  }
  return best;
}

before(async () => {
  if (!existsSync(join(DEFAULT_ASSETS_DIR, 'index.html'))) {
    throw new Error(`the viewer is not built (${DEFAULT_ASSETS_DIR} has no index.html): run \`npm run build\` first`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const found = await findChromium();
  console.log(`viewer browser tests use ${found.source}`);
  fx = await makeRunFixture();
  viewer = await startViewer({ target: fx.dir, port: 0 });
  browser = await chromium.launch({ executablePath: found.executablePath, headless: true, args: found.args, env: found.env });
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
  // Everything is bundled: any request to another origin is a bug.
  servers.add(viewer.url);
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if ([...servers].some((s) => url.startsWith(s)) || url.startsWith('blob:') || url.startsWith('data:')) return route.continue();
    pageErrors.push(`request to another origin: ${url}`);
    return route.abort();
  });
});

after(async () => {
  await browser?.close();
  await viewer?.close();
  fx?.cleanup();
});

test('draws every unit and every non-zero weight of the layer on the canvas', async () => {
  await open();
  const layer = firstLayer();
  let nonZero = 0;
  for (const w of layer.weights) if (w !== 0) nonZero++;
  assert.ok(nonZero < layer.weights.length, 'the fixture has pruned (zero) weights');
  assert.equal(await hook((h) => h.renderedNodes), layer.shape[0] + layer.shape[1]);
  assert.equal(await hook((h) => h.renderedEdges), nonZero);
  assert.equal(await hook((h) => h.largestComponent), layer.shape[0] + layer.shape[1]);
  const ink = await hook((h) => h.inkFraction());
  assert.ok(ink > 0.02, `the graph canvas has ink (${ink})`);
  await shot('01-original');
  assert.deepEqual(pageErrors, []);
});

test('moving the threshold slider hides weak edges and reports the library’s largest component', async () => {
  await open();
  const layer = firstLayer();
  const curve = percolation(layer, 'all', { full: true }).full!;
  let previousEdges = Infinity;
  for (const position of [250, 500, 700, 850]) {
    await page.locator('#threshold-slider').fill(String(position));
    const t = await hook((h) => h.threshold);
    const edges = await hook((h) => h.renderedEdges);
    const giant = await hook((h) => h.largestComponent);
    let kept = 0;
    for (const w of layer.weights) if (w !== 0 && Math.abs(w) >= t) kept++;
    assert.equal(edges, kept, `edges with |w| ≥ ${t}`);
    assert.ok(edges < previousEdges, 'a higher threshold shows fewer edges');
    previousEdges = edges;
    assert.equal(giant, curve.giant[kept], 'component size from the percolation curve');
    assert.equal(giant, largestComponentBfs(layer, t), 'component size by BFS');
    // The drawn edges are exactly the strong ones.
    const drawn = await hook((h) => h.edges('a'));
    assert.equal(drawn.length, kept);
    const [, nOut] = layer.shape;
    for (const [i, j, w] of drawn) {
      assert.equal(w, layer.weights[i * nOut + j]);
      assert.ok(Math.abs(w) >= t);
    }
    const shown = await page.locator('#component-size').textContent();
    assert.ok(shown?.startsWith(giant.toLocaleString('en')), `readout '${shown}' shows ${giant}`);
    if (position === 700) await shot('02-threshold');
  }
  assert.ok(previousEdges > 0, 'the strongest edges survive');
  assert.deepEqual(pageErrors, []);
});

test('the |w| slider is a quantile scale: at p % of its travel the strongest (100 − p) % of the edges remain', async () => {
  await open();
  const layer = firstLayer();
  // independent: the non-zero |w| sorted from the strongest
  const abs = [...layer.weights].filter((w) => w !== 0).map(Math.abs).sort((a, b) => b - a);
  for (const position of [100, 600, 900, 999]) {
    await page.locator('#threshold-slider').fill(String(position));
    const keep = Math.max(1, Math.round(abs.length * (1 - position / 1000)));
    assert.equal(await hook((h) => h.threshold), Math.fround(abs[keep - 1]), `the threshold is the |w| of the ${keep}-th strongest edge`);
    const kept = await hook((h) => h.keptEdges);
    assert.ok(Math.abs(kept - keep) <= 1, `${kept} edges kept at ${position / 10} %, expected ${keep} of ${abs.length}`);
  }
  assert.match((await page.locator('#threshold-share').textContent()) ?? '', /strongest 0\.1 %/);
  assert.deepEqual(pageErrors, []);
});

test("searching a unit keeps its receptive field on screen: the unit and every unit its edges reach", async () => {
  await open();
  const layer = firstLayer();
  const [nIn, nOut] = layer.shape;
  const inside = async (keys: string[]): Promise<string[]> => {
    const at = await page.evaluate((ks) => ks.map((k) => (globalThis as unknown as Win).__weightscope.onScreen(k)), keys);
    return keys.flatMap((k, i) => {
      const p = at[i];
      return !p || p.x < 0 || p.y < 0 || p.x > p.width || p.y > p.height ? [`${k} at ${p ? `${Math.round(p.x)},${Math.round(p.y)} of ${p.width}×${p.height}` : 'nowhere'}`] : [];
    });
  };
  for (const unit of ['out:3', 'in:406']) {
    await page.locator('#search-input').fill(unit);
    await page.evaluate(`window.__weightscope.search(${JSON.stringify(unit)})`);
    // independent: the units this one has a non-zero weight to, from the layer itself
    const [side, idx] = unit.split(':');
    const field = side === 'out'
      ? Array.from({ length: nIn }, (_, i) => i).filter((i) => layer.weights[i * nOut + Number(idx)] !== 0).map((i) => `in:${i}`)
      : Array.from({ length: nOut }, (_, j) => j).filter((j) => layer.weights[Number(idx) * nOut + j] !== 0).map((j) => `out:${j}`);
    assert.ok(field.length > 10, `${unit} reaches ${field.length} units`);
    assert.deepEqual(await inside([unit, ...field]), [], `${unit}'s field is on screen`);
    if (unit === 'out:3') await shot('08-search-receptive-field');
  }
  // the field is what hovering paints: every unit with a weight to it, drawn at this threshold or not
  await page.locator('#threshold-slider').fill('995');
  await page.evaluate('window.__weightscope.search("out:3")');
  const all = Array.from({ length: nIn }, (_, i) => i).filter((i) => layer.weights[i * nOut + 3] !== 0).map((i) => `in:${i}`);
  assert.deepEqual(await inside(['out:3', ...all]), []);
  assert.deepEqual(pageErrors, []);
});

test('the randomized view differs from the original while every unit keeps its k+ and k−', async () => {
  await open('?mode=side&method=curveball&seed=3');
  const layer = firstLayer();
  const a = await hook((h) => h.edges('a'));
  const b = await hook((h) => h.edges('b'));
  assert.equal(a.length, b.length);
  const signs = (edges: [number, number, number][]): Set<string> => new Set(edges.map(([i, j, w]) => `${i},${j},${Math.sign(w)}`));
  const sa = signs(a), sb = signs(b);
  const moved = [...sb].filter((e) => !sa.has(e)).length;
  assert.ok(moved > a.length * 0.1, `the randomized layer rewired ${moved} of ${a.length} signed edges`);
  const da = await hook((h) => h.degrees('a'));
  const db = await hook((h) => h.degrees('b'));
  assert.deepEqual(db, da, 'k+ and k− of every unit are preserved');
  const stats = unitStats(layer);
  assert.deepEqual(da.kPlus, [...stats.in.kPlus, ...stats.out.kPlus], 'drawn degrees match the library');
  assert.deepEqual(da.kMinus, [...stats.in.kMinus, ...stats.out.kMinus]);
  assert.equal(await hook((h) => h.renderedEdgesB), a.length);
  // computed in a web worker, and the same null the library (and the CLI) gives for this seed
  assert.equal(await hook((h) => h.randomizedIn), 'worker');
  const expected = randomizeLayer(layer, 'curveball', new Rng(3).fork('randomize', 'curveball', layer.name));
  const nOut = layer.shape[1];
  const expectedEdges = [...expected.weights].flatMap((w, k) => (w !== 0 ? [`${Math.floor(k / nOut)},${k % nOut},${w}`] : []));
  assert.deepEqual(new Set(b.map(([i, j, w]) => `${i},${j},${w}`)), new Set(expectedEdges));
  await shot('03-side-by-side');
  // A shuffle that ignores signs does change degrees: the check above can fail.
  await open('?mode=randomized&method=full&seed=3');
  const df = await hook((h) => h.degrees('a'));
  assert.notDeepEqual(df, da);
  await shot('04-randomized-full');
  assert.deepEqual(pageErrors, []);
});

test('hovering a unit shows its k+, k−, s+, s− and highlights its edges', async () => {
  await open();
  const layer = firstLayer();
  const stats = unitStats(layer);
  await hook((h) => h.hover('out:3'));
  const text = (await page.locator('#tooltip').textContent()) ?? '';
  assert.ok(await page.locator('#tooltip').isVisible());
  assert.ok(text.includes(`k+ ${stats.out.kPlus[3]}`), text);
  assert.ok(text.includes(`k− ${stats.out.kMinus[3]}`), text);
  assert.ok(text.includes(`s+ ${stats.out.sPlus[3].toPrecision(3)}`), text);
  assert.ok(text.includes(`s− ${stats.out.sMinus[3].toPrecision(3)}`), text);
  // Only the unit's own edges stay visible (the rest are faded to transparent).
  const lines = (await hook((h) => h.exportSvg())).match(/<line [^>]*>/g) ?? [];
  const shown = lines.filter((l) => !l.includes('stroke-opacity="0"'));
  assert.equal(shown.length, stats.out.kPlus[3] + stats.out.kMinus[3]);
  await shot('05-hover');
  await page.locator('#search-input').fill('in:406');
  await page.locator('#search-input').press('Enter');
  const t2 = (await page.locator('#tooltip').textContent()) ?? '';
  assert.ok(t2.includes('in:406') && t2.includes(`k+ ${stats.in.kPlus[406]}`), t2);
  await hook((h) => h.hover(null));
  assert.ok(!(await page.locator('#tooltip').isVisible()));
});

test('the probe chart has one line per probe of results.csv, for each task', async () => {
  await open();
  const rows = csvToRows(readFileSync(join(fx.dir, 'results.csv'), 'utf8'));
  const tasks = [...new Set(rows.map((r) => r.task))];
  // per task: one chart of the fraction probes, one of the noise probes (log axis) when measured
  const kinds = (task: string): number => new Set(rows.filter((r) => r.task === task && r.probe !== 'baseline').map((r) => (r.probe.includes('noise') ? 'noise' : 'fraction'))).size;
  assert.equal(await page.locator('#chart-probes svg.probe-chart').count(), tasks.reduce((n, t) => n + kinds(t), 0));
  for (const task of tasks) {
    const probes = new Set(rows.filter((r) => r.task === task && r.probe !== 'baseline').map((r) => r.probe));
    const paths = page.locator(`#chart-probes svg.probe-chart[data-task="${task}"] path.series`);
    assert.equal(await paths.count(), probes.size, `${task}: one path per probe`);
    const ids = await paths.evaluateAll((els) => els.map((e) => e.getAttribute('data-series')));
    assert.deepEqual(new Set(ids), probes);
  }
  assert.equal(await page.locator('#chart-degrees svg path.series').count(), 2, 'P(k+) and P(k−)');
  assert.ok((await page.locator('#chart-percolation svg path.series').count()) >= 1);
  await page.locator('.charts').screenshot({ path: join(ARTIFACTS, '06-charts.png') });
});

test('exports the view as PNG and as SVG with one line per drawn edge', async () => {
  await open();
  await page.locator('#threshold-slider').fill('600');
  const edges = await hook((h) => h.renderedEdges);
  const svg = await hook((h) => h.exportSvg());
  assert.equal((svg.match(/<line /g) ?? []).length, edges);
  assert.equal((svg.match(/<circle /g) ?? []).length, await hook((h) => h.renderedNodes));
  const png = await hook((h) => h.exportPngDataUrl());
  assert.match(png, /^data:image\/png;base64,/);
  assert.ok(png.length > 5000);
  const download = page.waitForEvent('download');
  await page.locator('#export-svg').click();
  assert.match((await download).suggestedFilename(), /^mnist-0v7_run-0_.*\.svg$/);
  assert.deepEqual(pageErrors, []);
});

test('large layers draw only the strongest edges, with the full count shown', async () => {
  await open('?cap=2000');
  const layer = firstLayer();
  let nonZero = 0;
  for (const w of layer.weights) if (w !== 0) nonZero++;
  assert.equal(await hook((h) => h.renderedEdges), 2000);
  assert.equal(await hook((h) => h.keptEdges), nonZero);
  const drawn = await hook((h) => h.edges('a'));
  const weakestDrawn = Math.min(...drawn.map(([, , w]) => Math.abs(w)));
  let stronger = 0;
  for (const w of layer.weights) if (Math.abs(w) > weakestDrawn) stronger++;
  assert.ok(stronger < 2000, 'the drawn edges are the strongest ones');
  assert.match((await page.locator('#cap-note').textContent()) ?? '', /2,000 strongest of 11,|cap 2,000/);
  // the component size still comes from the whole layer
  assert.equal(await hook((h) => h.largestComponent), layer.shape[0] + layer.shape[1]);
});

test('ForceAtlas2 lays the graph out in a web worker', async () => {
  await open('?layout=fa2');
  assert.equal(await hook((h) => h.layoutRunning), true);
  const before = await hook((h) => h.nodePosition('out:0'));
  await page.waitForTimeout(2500);
  const after = await hook((h) => h.nodePosition('out:0'));
  assert.ok(before && after && (before.x !== after.x || before.y !== after.y), 'positions move while the layout runs');
  await shot('07-forceatlas2');
  assert.deepEqual(pageErrors, []);
});

test("a model file is shown under the user's names: the page title and run name are the file's, each model the layer's name in it", async () => {
  // the fixture's MLP saved as PyTorch does: nn.Linear weights [out, in] under "0.weight", "2.weight"
  const dir = mkdtempSync(join(tmpdir(), 'weightscope-viewer-file-'));
  const file = join(dir, 'my-mlp.safetensors');
  const tensors = fx.models[0].model.layers.flatMap((l, k) => {
    const [nIn, nOut] = l.shape;
    const outIn = new Float32Array(nIn * nOut);
    for (let i = 0; i < nIn; i++) for (let j = 0; j < nOut; j++) outIn[j * nIn + i] = l.weights[i * nOut + j];
    return [
      { name: `${2 * k}.weight`, dtype: 'F32' as const, shape: [nOut, nIn], values: outIn },
      { name: `${2 * k}.bias`, dtype: 'F32' as const, shape: [nOut], values: l.bias ?? new Float32Array(nOut) },
    ];
  });
  writeFileSync(file, encodeSafetensors(tensors));
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'main.js'), 'view', file, '--no-open', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let printed = '';
  child.stdout.on('data', (d: Buffer) => (printed += String(d)));
  child.stderr.on('data', (d: Buffer) => (printed += String(d)));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  try {
    for (let k = 0; k < 300 && !/http:\/\/\S+/.test(printed); k++) await new Promise((r) => setTimeout(r, 50));
    const url = /http:\/\/\S+/.exec(printed)?.[0];
    assert.ok(url, `printed a URL: ${printed}`);
    assert.match(printed, /\(2 models from my-mlp\.safetensors;/);
    servers.add(url);
    await page.goto(url);
    await page.waitForFunction(() => (globalThis as unknown as Win).__weightscope?.ready === true, null, { timeout: 20_000 });
    assert.equal(await page.title(), 'weightscope · my-mlp.safetensors');
    assert.equal(await page.locator('#run-name').textContent(), 'my-mlp.safetensors');
    assert.deepEqual(await page.locator('#model-select option').allTextContents(), ['0', '2']);
    assert.doesNotMatch((await page.locator('body').textContent()) ?? '', /weightscope-view-|\b00\d-/);
    await shot('09-model-file');
  } finally {
    child.kill('SIGINT');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(pageErrors, []);
});
