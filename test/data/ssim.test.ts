import test from 'node:test';
import assert from 'node:assert/strict';
import {
  loadMnist,
  imageSsim,
  rankPairsBySsim,
  pickAutoPairs,
  loadSsimRanking,
  allClassPairs,
  SSIM_DEFAULTS,
} from '../../src/data/index.js';

const mnist = loadMnist();
const image = (i: number) => mnist.train.pixels.subarray(i * 784, (i + 1) * 784);

/**
 * Test oracle: skimage `structural_similarity` defaults written out from its definition
 * (7×7 uniform window over the valid region, sample covariance, K1 0.01, K2 0.03), on images
 * scaled to [−1, 1], data_range = max − min of the first image. Checks how ssim.js is driven.
 */
function skimageSsim(x: Uint8Array, y: Uint8Array): number {
  const X = Array.from(x, (p) => (p / 255) * 2 - 1);
  const Y = Array.from(y, (p) => (p / 255) * 2 - 1);
  const range = Math.max(...X) - Math.min(...X) || 1;
  const C1 = (0.01 * range) ** 2, C2 = (0.03 * range) ** 2;
  const w = 7, np = 49, norm = np / (np - 1);
  let total = 0, count = 0;
  for (let r = 0; r + w <= 28; r++) {
    for (let c = 0; c + w <= 28; c++) {
      let sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
      for (let i = 0; i < w; i++) {
        for (let j = 0; j < w; j++) {
          const a = X[(r + i) * 28 + c + j], b = Y[(r + i) * 28 + c + j];
          sx += a; sy += b; sxx += a * a; syy += b * b; sxy += a * b;
        }
      }
      const ux = sx / np, uy = sy / np;
      const vx = norm * (sxx / np - ux * ux), vy = norm * (syy / np - uy * uy), vxy = norm * (sxy / np - ux * uy);
      total += ((2 * ux * uy + C1) * (2 * vxy + C2)) / ((ux * ux + uy * uy + C1) * (vx + vy + C2));
      count++;
    }
  }
  return total / count;
}

test('identical images have SSIM 1', () => {
  for (const i of [0, 1, 500, 59999]) assert.ok(Math.abs(imageSsim(image(i), image(i)) - 1) < 1e-9);
});

test('matches skimage structural_similarity (defaults, [−1, 1], data_range of the first image) on real pairs', () => {
  for (const [i, j] of [[0, 1], [2, 3], [7, 19], [100, 4242], [59998, 17]]) {
    const got = imageSsim(image(i), image(j));
    const want = skimageSsim(image(i), image(j));
    assert.ok(Math.abs(got - want) < 1e-6, `images ${i},${j}: ssim.js ${got}, definition ${want}`);
  }
  // Flat black vs flat white: only the luminance term, (2·(−1)·1 + C1)/(1 + 1 + C1) with C1 = 0.01².
  const black = new Uint8Array(784), white = new Uint8Array(784).fill(255);
  assert.ok(Math.abs(imageSsim(black, white) - (-2 + 1e-4) / (2 + 1e-4)) < 1e-9);
});

test('is unchanged when both images are negated, as SSIM on [−1, 1] must be', () => {
  // Guards the way negative values are handed to ssim.js (it rounds them towards zero).
  const neg = (x: Uint8Array) => x.map((p) => 255 - p);
  for (const [i, j] of [[0, 1], [5, 9], [1234, 4321]]) {
    assert.ok(Math.abs(imageSsim(image(i), image(j)) - imageSsim(neg(image(i)), neg(image(j)))) < 1e-12);
  }
});

test('ranks all 45 pairs, sorted by distance, reproducibly from the seed', () => {
  const opts = { samplesPerPair: 25, imagesPerClass: 100, seed: 5 };
  const rows = rankPairsBySsim(mnist, opts);
  assert.equal(rows.length, 45);
  assert.equal(new Set(rows.map((r) => `${r.a}v${r.b}`)).size, 45);
  for (const r of rows) {
    assert.ok(r.a < r.b);
    assert.ok(Math.abs(r.distance - (1 - r.ssim)) < 1e-15);
    assert.ok(r.ssim > -1 && r.ssim < 1);
  }
  for (let k = 1; k < rows.length; k++) assert.ok(rows[k - 1].distance >= rows[k].distance);
  assert.deepEqual(rankPairsBySsim(mnist, opts), rows);
  assert.notDeepEqual(rankPairsBySsim(mnist, { ...opts, seed: 6 }), rows);
  // A pair's score does not depend on which other pairs are computed.
  const some = rankPairsBySsim(mnist, { ...opts, pairs: [[9, 7], [0, 1]] });
  for (const r of some) assert.deepEqual(r, rows.find((s) => s.a === r.a && s.b === r.b));
  const { easy, hard } = pickAutoPairs(rows);
  assert.deepEqual(easy, rows[0]);
  assert.deepEqual(hard, rows[44]);
});

test('the embedded MNIST ranking is reproduced by recomputation', () => {
  const ranking = loadSsimRanking('mnist');
  assert.equal(ranking.rows.length, 45);
  assert.deepEqual(
    new Set(ranking.rows.map((r) => `${r.a}v${r.b}`)),
    new Set(allClassPairs().map(([a, b]) => `${a}v${b}`)),
  );
  assert.equal(ranking.samplesPerPair, SSIM_DEFAULTS.samplesPerPair);
  // Same parameters → the same number, bit for bit (one pair: 10,000 SSIMs take ~2 s).
  const hardest = ranking.rows[44];
  const [again] = rankPairsBySsim(mnist, { ...ranking, pairs: [[hardest.a, hardest.b]] });
  assert.ok(Math.abs(again.ssim - hardest.ssim) < 1e-12);
  // Fewer samples, another seed: well-separated pairs keep their order.
  const picks = [ranking.rows[0], ranking.rows[22], ranking.rows[44]];
  const small = rankPairsBySsim(mnist, { samplesPerPair: 600, seed: 99, pairs: picks.map((r) => [r.a, r.b] as [number, number]) });
  assert.deepEqual(small.map((r) => `${r.a}v${r.b}`), picks.map((r) => `${r.a}v${r.b}`));
});

test('SSIM is not symmetric (data range of the first image), so pairs are scored both ways and averaged, as the reference', async () => {
  const { Rng, deriveSeed } = await import('../../src/core/rng.js');
  // a faint image against a full-range one: the data range, hence C1 and C2, differ by direction
  const faint = image(0).map((p) => Math.round(p * 0.3));
  assert.ok(Math.abs(imageSsim(faint, image(1)) - imageSsim(image(1), faint)) > 1e-3);
  assert.ok(Math.abs(skimageSsim(faint, image(1)) - imageSsim(faint, image(1))) < 1e-6);
  // the row of pair 3v5 from its definition: 25 draws each way from the first 100 images of each class
  const opts = { samplesPerPair: 25, imagesPerClass: 100, seed: 5, pairs: [[3, 5]] as [number, number][] };
  const [row] = rankPairsBySsim(mnist, opts);
  const first = (c: number): number[] => {
    const out: number[] = [];
    for (let i = 0; i < mnist.train.n && out.length < 100; i++) if (mnist.train.labels[i] === c) out.push(i);
    return out;
  };
  const way = (x: number[], y: number[], rng: InstanceType<typeof Rng>): number => {
    let s = 0;
    for (let k = 0; k < 25; k++) s += skimageSsim(image(x[rng.int(x.length)]), image(y[rng.int(y.length)]));
    return s / 25;
  };
  const ab = way(first(3), first(5), new Rng(deriveSeed(5, 'ssim-pair', 3, 5)));
  const ba = way(first(5), first(3), new Rng(deriveSeed(5, 'ssim-pair', 5, 3)));
  assert.ok(Math.abs(row.ab! - ab) < 1e-6 && Math.abs(row.ba! - ba) < 1e-6, `${row.ab} ${ab} / ${row.ba} ${ba}`);
  assert.ok(Math.abs(row.ssim - (ab + ba) / 2) < 1e-6);
  assert.notEqual(row.ab, row.ba);
});
