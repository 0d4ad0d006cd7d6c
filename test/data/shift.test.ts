import test from 'node:test';
import assert from 'node:assert/strict';
import { parseShift, shiftColumn, shiftSplit } from '../../src/data/shift.js';
import { mnistPair } from '../model/fixtures.js';

/** Two 3×3 images, worked by hand. */
const tiny = { pixels: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 30, 40, 50, 60, 70, 80, 90]), labels: Uint8Array.from([0, 1]), n: 2 };

test('translate-N moves every row N pixels to the right, background 0 in the uncovered columns', () => {
  const s = shiftSplit(tiny, 'translate-1');
  assert.deepEqual(Array.from(s.pixels), [0, 1, 2, 0, 4, 5, 0, 7, 8, 0, 10, 20, 0, 40, 50, 0, 70, 80]);
  assert.deepEqual(Array.from(shiftSplit(tiny, 'translate-3').pixels), new Array(18).fill(0));
  assert.deepEqual(s.labels, tiny.labels);
  assert.deepEqual(Array.from(tiny.pixels.subarray(0, 3)), [1, 2, 3], 'the input is not changed');
});

test('invert maps p to 255 − p, and twice is the identity', () => {
  const s = shiftSplit(tiny, 'invert');
  assert.deepEqual(Array.from(s.pixels), Array.from(tiny.pixels, (p) => 255 - p));
  assert.deepEqual(shiftSplit(s, 'invert').pixels, tiny.pixels);
});

test('noise-S adds Gaussian noise of sd S grey levels, rounded and clipped, the same for the same seed', () => {
  // Mid-grey images, far from 0 and 255: the noise is neither clipped nor (much) biased by rounding.
  const n = 200, d = 400;
  const grey = { pixels: new Uint8Array(n * d).fill(128), labels: new Uint8Array(n), n };
  const s = shiftSplit(grey, 'noise-20', 7);
  let sum = 0, sq = 0;
  for (const p of s.pixels) {
    sum += p - 128;
    sq += (p - 128) ** 2;
  }
  const N = n * d;
  const mean = sum / N;
  const sd = Math.sqrt(sq / N - mean * mean);
  // rounding adds variance 1/12; the standard error of the mean is 20/√80000 ≈ 0.07
  assert.ok(Math.abs(mean) < 0.3, `mean ${mean}`);
  assert.ok(Math.abs(sd - Math.sqrt(400 + 1 / 12)) < 0.2, `sd ${sd}`);
  // about 68.3 % within one sd (±20 levels, ties at the rounded edge counted half)
  let inside = 0;
  for (const p of s.pixels) inside += Math.abs(p - 128) < 20 ? 1 : Math.abs(p - 128) === 20 ? 0.5 : 0;
  assert.ok(Math.abs(inside / N - 0.6827) < 0.01, `within one sd: ${inside / N}`);
  assert.deepEqual(shiftSplit(grey, 'noise-20', 7).pixels, s.pixels);
  assert.notDeepEqual(shiftSplit(grey, 'noise-20', 8).pixels, s.pixels);
  const black = shiftSplit({ pixels: new Uint8Array(1000), labels: new Uint8Array(1), n: 1 }, 'noise-64');
  assert.ok(black.pixels.every((p) => p >= 0 && p <= 255) && black.pixels.some((p) => p === 0), 'clipped at 0');
});

test('shifts of real MNIST digits: translation keeps the ink, inversion turns the background white', () => {
  const split = mnistPair('t10k', 0, 7, 50);
  const ink = (px: Uint8Array) => px.reduce((s, p) => s + p, 0);
  // the ink lost is exactly the ink of the two right-most columns (MNIST digits rarely reach them)
  let edge = 0;
  for (let k = 0; k < split.pixels.length; k++) if (k % 28 >= 26) edge += split.pixels[k];
  assert.equal(ink(shiftSplit(split, 'translate-2').pixels), ink(split.pixels) - edge);
  assert.ok(edge < 0.001 * ink(split.pixels));
  assert.ok(shiftSplit(split, 'invert').pixels.filter((p) => p === 255).length > 0.7 * split.pixels.length);
});

test('shift names: parsed, named as columns, and refused when unknown', () => {
  assert.deepEqual(parseShift('translate-2'), { kind: 'translate', pixels: 2 });
  assert.deepEqual(parseShift('noise-64'), { kind: 'noise', sigma: 64 });
  assert.equal(shiftColumn('noise-12.5'), 'shift_noise_12_5');
  for (const bad of ['translate-0', 'translate--1', 'noise-0', 'blur', 'invert-1', '']) assert.throws(() => parseShift(bad), { name: 'UserError' }, bad);
  assert.throws(() => shiftSplit({ pixels: new Uint8Array(10), labels: new Uint8Array(2), n: 2 }, 'translate-1'), /square images/);
});
