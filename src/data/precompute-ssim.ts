/**
 * Precompute the default SSIM class-pair rankings shipped in `data/ssim-<dataset>.json`.
 * Ranking all 45 pairs with 10,000 samples each takes about 1.5 minutes per dataset on one
 * core, so the defaults are computed once here rather than on every run.
 *
 *   node dist/src/data/precompute-ssim.js [mnist] [fashion]
 */
import { join } from 'node:path';
import { writeJsonAtomic } from '../core/io.js';
import { loadDataset } from './datasets.js';
import { checkDatasetName, DATASETS, CLASS_NAMES } from './names.js';
import { makeRanking, packageRoot, rankPairsBySsim, SSIM_DEFAULTS } from './ssim.js';

function main(args: string[]): void {
  const names = (args.length > 0 ? args : [...DATASETS]).map(checkDatasetName);
  for (const name of names) {
    const t0 = performance.now();
    const data = loadDataset(name);
    const t1 = performance.now();
    const rows = rankPairsBySsim(data, SSIM_DEFAULTS);
    const t2 = performance.now();
    const ranking = makeRanking(name, rows, SSIM_DEFAULTS);
    const path = join(packageRoot(), 'data', `ssim-${name}.json`);
    writeJsonAtomic(path, ranking);
    const label = (r: { a: number; b: number }) => `${r.a}v${r.b} (${CLASS_NAMES[name][r.a]} / ${CLASS_NAMES[name][r.b]})`;
    const fmt = (r: (typeof rows)[number]) => `  ${label(r).padEnd(40)} ssim ${r.ssim.toFixed(4)}  distance ${r.distance.toFixed(4)}`;
    console.log(`${name}: loaded in ${((t1 - t0) / 1000).toFixed(1)} s, ranked 45 pairs in ${((t2 - t1) / 1000).toFixed(1)} s → ${path}`);
    console.log(' most dissimilar (easy):');
    ranking.rows.slice(0, 5).forEach((r) => console.log(fmt(r)));
    console.log(' most similar (hard):');
    ranking.rows.slice(-5).forEach((r) => console.log(fmt(r)));
  }
}

main(process.argv.slice(2));
