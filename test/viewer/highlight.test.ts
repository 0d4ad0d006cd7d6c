/**
 * Highlighted edges in a real headless Chromium: the circuit `weightscope compare` writes into each
 * model.json (userDefinedMetadata.weightscope.highlight) keeps its colours, every other edge of
 * that layer is drawn grey, and a layer without a highlight is drawn as usual. The model folder
 * is the real output of runCompare on the hand-built network whose circuit is known.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startViewer, DEFAULT_ASSETS_DIR, type ViewerHandle } from '../../src/viewer/index.js';
import { saveModel } from '../../src/model/index.js';
import { findChromium } from './chromium.js';
import { runCompare } from '../../src/compare/run.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts', 'viewer');
const dir = mkdtempSync(join(tmpdir(), 'ws-highlight-'));
let viewer: ViewerHandle;
let browser: Browser;
let page: Page;
const errors: string[] = [];

type Hook = { ready: boolean; error: string | null; mutedEdges(): number[]; edges(): [number, number, number][]; hover(node: string | null): void };

/**
 * A hand-built 784 → 4 → 2 network that tells 0 from 7 (about 78 % of the test images, inputs in
 * [0, 1]): hidden unit 0 sums the ink of the top half into the "7" logit, unit 1 the ink of the
 * bottom half into the "0" logit; units 2 and 3 feed both logits alike, so they never change an
 * answer. Its circuit is units 0 and 1; without them every image is answered 0 (chance).
 */
function network() {
  const w0 = new Float32Array(784 * 4);
  for (let i = 0; i < 784; i++) {
    w0[i * 4 + (i < 392 ? 0 : 1)] = 0.01;
    w0[i * 4 + 2] = 0.001 * ((i % 7) - 3);
    w0[i * 4 + 3] = 0.001 * ((i % 5) - 2);
  }
  const w1 = Float32Array.from([0, 1, 1, 0, 0.001, 0.001, 0.002, 0.002]);
  return {
    layers: [
      { name: 'dense_0', weights: w0, shape: [784, 4] as [number, number], bias: new Float32Array(4), activation: 'relu' as const },
      { name: 'dense_1', weights: w1, shape: [4, 2] as [number, number], bias: new Float32Array(2), activation: 'softmax' as const },
    ],
  };
}

before(async () => {
  if (!existsSync(join(DEFAULT_ASSETS_DIR, 'index.html'))) throw new Error('the viewer is not built: run `npm run build` first');
  mkdirSync(ARTIFACTS, { recursive: true });
  saveModel(join(dir, 'a'), network());
  saveModel(join(dir, 'b'), network());
  await runCompare({ paths: [join(dir, 'a'), join(dir, 'b')], out: join(dir, 'out'), task: 'mnist-0v7', inputs: 'unit', testLimit: 200, plan: { prune: [0, 0.5], noise: [0.1], signflip: [0], randomize: [], shifts: [], nullModel: null } });
  const found = await findChromium();
  viewer = await startViewer({ target: join(dir, 'out'), port: 0 });
  browser = await chromium.launch({ executablePath: found.executablePath, headless: true, args: found.args, env: found.env });
  page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  page.on('pageerror', (e) => errors.push(e.message));
});

after(async () => {
  await browser?.close();
  await viewer?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(query: string): Promise<void> {
  await page.goto(viewer.url + query);
  await page.waitForFunction(() => (globalThis as unknown as { __weightscope: Hook }).__weightscope?.ready === true, null, { timeout: 30_000 });
  assert.equal(await page.evaluate(() => (globalThis as unknown as { __weightscope: Hook }).__weightscope.error), null);
}

const hook = <T>(f: (h: Hook) => T): Promise<T> => page.evaluate(`(${f.toString()})(window.__weightscope)`) as Promise<T>;

test('the circuit written by compare is drawn in colour, the layer\'s other edges grey, through a hover and back', async () => {
  const json = JSON.parse(readFileSync(join(dir, 'out', 'models', '00-a', '00-a', 'model.json'), 'utf8'));
  const marked = new Set<number>(json.userDefinedMetadata.weightscope.highlight.dense_0);
  await open('?model=0&layer=dense_0');
  const drawn = await hook((h) => h.edges());
  const muted = new Set(await hook((h) => h.mutedEdges()));
  assert.ok(marked.size > 0 && muted.size > 0);
  for (const [i, j] of drawn) assert.equal(muted.has(i * 4 + j), !marked.has(i * 4 + j), `edge ${i} → ${j}`);
  await hook((h) => h.hover('out:0'));
  await hook((h) => h.hover(null));
  assert.deepEqual(new Set(await hook((h) => h.mutedEdges())), muted, 'un-hovering restores the grey edges');
  await page.screenshot({ path: join(ARTIFACTS, 'circuit-highlight.png') });
  assert.deepEqual(errors, []);
});

test('the circuit of the hand-built network is its two readers of the image, and the output layer shows only their edges in colour', async () => {
  const json = JSON.parse(readFileSync(join(dir, 'out', 'compare.json'), 'utf8'));
  const [circuit] = json.models[0].circuits;
  assert.deepEqual(circuit.units, [{ layer: 0, unit: 0 }, { layer: 0, unit: 1 }]);
  assert.ok(circuit.full > 0.7 && circuit.sufficient && circuit.necessary, JSON.stringify(circuit));
  await open('?model=1&layer=dense_1');
  // dense_1 is [4, 2]: edges of units 2 and 3 (flat 4…7) grey, those of the circuit (0…3) in colour
  assert.deepEqual(await hook((h) => h.mutedEdges()), [4, 5, 6, 7]);
});
