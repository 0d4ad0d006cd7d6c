/** The FER twins comparison, its gallery of perturbed drawings and the demonstration script. */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pictureBytes, pictureSsim } from '../../src/data/picture.js';
import { decodePng } from '../../src/data/png.js';
import { packageRoot } from '../../src/data/ssim.js';
import { cppnDensity, drawCppn } from '../../src/model/cppn.js';
import { openCppn } from '../../src/model/cppn-file.js';
import { galleryHtml, perturbationGallery, standardPerturbations, sweepStrip, unitAblation, weightPerturbation } from '../../src/report/fer-gallery.js';
import { ferTwins, formatFerTwins } from '../../src/report/fer-twins.js';
import { FER_DIR, ssimByDefinition } from '../model/cppn-fixtures.js';

const TINY = { prune: [0, 0.5, 0.99], noise: [0.1], signflip: [0.5], randomize: ['A'], seeds: 1, binarize: true };

test('the butterfly twins: same picture (SSIM ≥ 0.99), each redraws its PNG, the controls at the evolved density and the sparsest that keeps the picture', () => {
  const r = ferTwins({ picture: 'butterfly', size: 24, sweepSample: 3, plan: TINY });
  assert.ok(r.twinSsim >= 0.99, `twin SSIM ${r.twinSsim}`);
  assert.deepEqual(r.networks.map((n) => n.role), ['evolved', 'sgd', 'control-matched', 'control-sparsest']);
  const [evolved, sgd, matched, sparsest] = r.networks;
  for (const n of [evolved, sgd]) {
    assert.ok(n.mseToPng! < 3e-5 && n.ssimToPng! > 0.99, `${n.network}: ${n.mseToPng} ${n.ssimToPng}`);
  }
  assert.equal(sgd.ssimToSgd, 1);
  assert.equal(evolved.ssimToSgd, r.twinSsim);
  assert.equal(matched.density, evolved.density);
  assert.equal(evolved.density, 281 / 8096);
  assert.ok(matched.ssimToPng === null && matched.ssimToSgd < 0.5, 'at the evolved density the SGD network no longer draws the butterfly');
  assert.ok(sparsest.density > evolved.density && sparsest.density < 1);
  // Rows: 7 probe evaluations, 3 weights × 4 deltas, 16 × 23 hidden units, for each of the four networks.
  for (const n of r.networks) {
    assert.equal(r.probes.filter((p) => p.network === n.network).length, 7);
    assert.equal(r.ablation.filter((p) => p.network === n.network).length, 16 * 23);
  }
  assert.equal(r.sweeps.length, 4 * 12);
  assert.equal(r.curves.length, 4 * 5);
  assert.equal(r.sweepSummaries.length, 4);
  const text = formatFerTwins(r);
  assert.match(text, new RegExp(`SSIM\\(evolved, sgd\\) = ${r.twinSsim.toFixed(4)} at 256²`));
  for (const n of r.networks) assert.ok(text.includes(n.network));
});

test('the skull twins draw nearly the same picture: SSIM ≈ 0.979 at 256² (below 0.99), above 0.99 at 64²', () => {
  const evolved = openCppn(join(FER_DIR, 'picbreeder_skull.npz'));
  const sgd = openCppn(join(FER_DIR, 'sgd_skull.npz'));
  const a = drawCppn(evolved), b = drawCppn(sgd);
  const got = pictureSsim(a, b);
  assert.ok(Math.abs(got - ssimByDefinition(pictureBytes(a), pictureBytes(b), 256, 256)) < 1e-6);
  assert.ok(got > 0.975 && got < 0.99, `SSIM ${got}`);
  assert.ok(pictureSsim(drawCppn(evolved, 64), drawCppn(sgd, 64)) >= 0.99);
});

test('gallery: PNGs decode to the drawings, SSIMs recomputed from them agree, a zero sweep is the original, labels are escaped', () => {
  const cppn = openCppn(join(FER_DIR, 'picbreeder_skull.npz'));
  const items = perturbationGallery(cppn, [...standardPerturbations(), unitAblation(3, 0), weightPerturbation({ layer: 2, from: 1, to: 4 }, 0.5)], 32);
  assert.equal(items.length, 8);
  assert.deepEqual([items[0].label, items[0].ssim], ['unperturbed', 1]);
  const original = decodePng(items[0].png);
  assert.deepEqual(pictureBytes(original), pictureBytes(drawCppn(cppn, 32)));
  for (const it of items.slice(1)) {
    const picture = decodePng(it.png);
    assert.deepEqual([picture.width, picture.height], [32, 32]);
    assert.ok(Math.abs(pictureSsim(original, picture) - it.ssim) < 1e-12, it.label);
  }
  assert.ok(items.find((it) => it.label === 'binarize')!.ssim < 0.9);
  const strip = sweepStrip(cppn, { layer: 2, from: 1, to: 4 }, [-1, 0, 1], 32);
  assert.deepEqual(strip[1].png, items[0].png);
  assert.equal(strip[1].ssim, 1);
  const html = galleryHtml([...items, { ...items[0], label: '<script>alert(1)</script>' }], 'a & b');
  assert.equal(html.match(/<img /g)!.length, 9);
  assert.ok(!html.includes('<script>') && html.includes('&lt;script&gt;') && html.includes('a &amp; b'));
  assert.equal(cppnDensity(cppn), 147 / 5478, 'the gallery does not change the network');
});

test('the demonstration script: a bad argument or an --out that is a file is one line, exit 1, nothing written', () => {
  const script = join(packageRoot(), 'dist', 'src', 'report', 'fer-demo.js');
  const bad = spawnSync(process.execPath, [script, 'cat'], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^fer-demo: unknown argument 'cat' \(usage: .*\)\n$/);
  const file = join(mkdtempSync(join(tmpdir(), 'ws-fer-demo-')), 'a-file');
  writeFileSync(file, '');
  const notDir = spawnSync(process.execPath, [script, '--quick', '--out', file], { encoding: 'utf8' });
  assert.equal(notDir.status, 1);
  assert.equal(notDir.stderr.trim().split('\n').length, 1, notDir.stderr);
  assert.deepEqual(readdirSync(join(file, '..')), ['a-file'], 'nothing half-written');
});
