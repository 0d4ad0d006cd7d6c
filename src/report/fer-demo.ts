/**
 * The FER twins demonstration: `node dist/src/report/fer-demo.js [skull|butterfly] [--quick] [--out DIR]`.
 * Prints the headline numbers of docs/fer.md; with --out, writes every row (fer-<picture>.json) and
 * a gallery of perturbed drawings (gallery-<picture>.html and its PNGs).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../core/errors.js';
import { checkOutputDir, ensureDir, writeFileAtomic, writeJsonAtomic } from '../core/io.js';
import { weightRefs } from '../probes/cppn-fingerprint.js';
import { galleryHtml, perturbationGallery, standardPerturbations, sweepStrip, unitAblation, type GalleryItem } from './fer-gallery.js';
import { FER_PICTURES, ferTwins, formatFerTwins, openFerPair, type FerTwinsResult } from './fer-twins.js';

/** The quick plan: fewer levels and weights, 64² drawings (≈ 1 minute instead of several). */
export const QUICK = {
  size: 64,
  sweepSample: 24,
  plan: { prune: [0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.97, 0.99], noise: [0.01, 0.03, 0.1, 0.3, 1], signflip: [0, 0.1, 0.3, 0.5], randomize: ['A', 'curveball'], seeds: 2 },
};

/** The drawings of the gallery: the five probes, the weight and unit that change each picture most. */
export function ferGallery(result: FerTwinsResult, size = 128, dataDir?: string): GalleryItem[] {
  const { evolved, sgd } = openFerPair(result.picture, dataDir);
  const items: GalleryItem[] = [];
  for (const cppn of [evolved, sgd]) {
    const sweeps = result.sweeps.filter((r) => r.network === cppn.name);
    const top = sweeps.reduce((a, b) => (b.ssim < a.ssim ? b : a), sweeps[0]);
    const worstUnit = result.ablation.filter((r) => r.network === cppn.name).reduce((a, b) => (b.drop > a.drop ? b : a));
    items.push(...perturbationGallery(cppn, [...standardPerturbations(), unitAblation(worstUnit.hidden, worstUnit.unit)], size));
    if (top) {
      const ref = weightRefs(cppn, 'all').find((w) => cppn.layers[w.layer].name === top.layer && w.from === top.from && w.to === top.to)!;
      items.push(...sweepStrip(cppn, ref, [-1, -0.5, 0.5, 1], size).map((it) => ({ ...it, label: `sweep ${it.label}` })));
    }
  }
  return items;
}

function main(argv: string[]): void {
  let picture = 'skull';
  let quick = false;
  let out: string | undefined;
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    if (a === '--quick') quick = true;
    else if (a === '--out') {
      out = argv[++k];
      if (!out) throw new UserError('--out needs a folder');
    } else if ((FER_PICTURES as readonly string[]).includes(a)) picture = a;
    else throw new UserError(`unknown argument '${a}' (usage: fer-demo [${FER_PICTURES.join('|')}] [--quick] [--out DIR])`);
  }
  if (out) checkOutputDir(out);
  const started = Date.now();
  const result = ferTwins({
    picture,
    ...(quick ? QUICK : {}),
    onStage: (s) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0)} s] ${s}\n`),
  });
  process.stdout.write(formatFerTwins(result) + '\n');
  if (out) {
    ensureDir(out);
    writeJsonAtomic(join(out, `fer-${picture}.json`), result);
    const items = ferGallery(result, quick ? 64 : 128);
    items.forEach((it, k) => writeFileAtomic(join(out!, `gallery-${picture}-${String(k).padStart(2, '0')}.png`), it.png));
    writeFileAtomic(join(out, `gallery-${picture}.html`), `<!doctype html><meta charset="utf-8"><title>FER ${picture}</title>\n${galleryHtml(items, `FER ${picture}: perturbed drawings`)}\n`);
    process.stderr.write(`wrote ${join(out, `fer-${picture}.json`)}, gallery-${picture}.html and ${items.length} PNGs\n`);
  }
  process.stderr.write(`done in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UserError) {
      process.stderr.write(`fer-demo: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}
