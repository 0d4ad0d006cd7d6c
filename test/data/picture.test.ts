/** RGB pictures: SSIM against its definition on real drawings, mirror, changed fraction, PNG in and out. */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../src/core/errors.js';
import { changedFraction, mirrorLeftRight, mirrorSsim, pictureBytes, pictureFromBytes, pictureMse, pictureSsim } from '../../src/data/picture.js';
import { decodePng, encodePng, pngSize, readPng } from '../../src/data/png.js';
import { drawCppn } from '../../src/model/cppn.js';
import { openCppn } from '../../src/model/cppn-file.js';
import { FER_DIR, ssimByDefinition } from '../model/cppn-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'ws-picture-'));
const draw = (name: string, size: number) => drawCppn(openCppn(join(FER_DIR, `${name}.npz`)), size);

test('picture SSIM is skimage structural_similarity (channel_axis, data_range 255) on real drawings', () => {
  const a = draw('picbreeder_skull', 40), b = draw('sgd_skull', 40), c = draw('sgd_butterfly', 40);
  for (const [x, y] of [[a, b], [b, a], [a, c], [c, mirrorLeftRight(c)]]) {
    const want = ssimByDefinition(pictureBytes(x), pictureBytes(y), 40, 40);
    const got = pictureSsim(x, y);
    assert.ok(Math.abs(got - want) < 1e-6, `ssim.js ${got}, definition ${want}`);
  }
  assert.equal(pictureSsim(a, a), 1);
  // Flat black vs flat white, per channel only the luminance term: (0 + C1)/(0 + 255² + C1), C1 = 2.55².
  const black = { width: 8, height: 8, data: new Float32Array(192) };
  const white = { width: 8, height: 8, data: new Float32Array(192).fill(1) };
  assert.ok(Math.abs(pictureSsim(black, white) - 2.55 ** 2 / (255 ** 2 + 2.55 ** 2)) < 1e-12);
  assert.throws(() => pictureSsim(black, a), /same size/);
  assert.throws(() => pictureSsim({ width: 5, height: 5, data: new Float32Array(75) }, { width: 5, height: 5, data: new Float32Array(75) }), /at least 7×7/);
});

test('mirror, mirror SSIM, changed fraction and MSE by hand', () => {
  // 3×2 picture: pixel values by column 0.1, 0.5, 0.9 (all channels) → mirrored 0.9, 0.5, 0.1.
  const img = { width: 3, height: 2, data: Float32Array.from({ length: 18 }, (_, k) => [0.1, 0.5, 0.9][Math.floor(k / 3) % 3]) };
  const m = mirrorLeftRight(img);
  assert.deepEqual(Array.from(m.data.subarray(0, 9), (v) => Math.round(v * 10) / 10), [0.9, 0.9, 0.9, 0.5, 0.5, 0.5, 0.1, 0.1, 0.1]);
  assert.deepEqual(mirrorLeftRight(m).data, img.data);
  // Two of six pixels change by 0.8 in every channel; one by 0.05 only in red.
  const other = { ...img, data: img.data.slice() };
  other.data[0] += 0.8; other.data[1] += 0.8; other.data[2] += 0.8;
  other.data[15] -= 0.8; other.data[16] -= 0.8; other.data[17] -= 0.8;
  other.data[9] += 0.05;
  assert.equal(changedFraction(img, other, 0.1), 2 / 6);
  assert.equal(changedFraction(img, other, 0.01), 3 / 6);
  assert.ok(Math.abs(pictureMse(img, other) - (6 * 0.64 + 0.0025) / 18) < 1e-6);
  // A left–right symmetric drawing (an evolved network whose y enters only through d) has mirror SSIM 1; an asymmetric one less.
  const sym = { width: 16, height: 16, data: Float32Array.from({ length: 768 }, (_, k) => { const p = Math.floor(k / 3), i = Math.floor(p / 16), j = p % 16; return Math.abs(j - 7.5) / 8 * (i / 16); }) };
  assert.equal(mirrorSsim(sym), 1);
  assert.ok(mirrorSsim(draw('sgd_skull', 32)) < 0.9);
});

test('PNG: encode then decode gives the 8-bit picture back; the shipped PNGs decode at 256²', () => {
  const img = draw('picbreeder_butterfly', 24);
  const png = encodePng(img);
  assert.deepEqual(Array.from(png.subarray(1, 4), (c) => String.fromCharCode(c)).join(''), 'PNG');
  const back = decodePng(png);
  assert.deepEqual(pictureBytes(back), pictureBytes(img));
  assert.deepEqual(back, pictureFromBytes(pictureBytes(img), 24, 24));
  assert.deepEqual(encodePng(img), png, 'deterministic');
  const path = join(dir, 'b.png');
  writeFileSync(path, png);
  assert.deepEqual(readPng(path).data, back.data);
  const shipped = readPng(join(FER_DIR, 'sgd_skull.png'));
  assert.deepEqual([shipped.width, shipped.height], [256, 256]);
  assert.deepEqual(pngSize(readFileSync(join(FER_DIR, 'sgd_skull.png'))), { width: 256, height: 256 });
});

test('bad PNGs are one-line UserErrors, and a huge declared size is refused before decoding', () => {
  const good = encodePng(draw('sgd_skull', 8));
  const huge = good.slice();
  new DataView(huge.buffer).setUint32(16, 100000);
  const truncated = good.slice(0, good.length - 20);
  const flipped = good.slice();
  flipped[good.length - 30] ^= 0xff; // inside the image data: the CRC no longer matches
  const cases: [Uint8Array, RegExp][] = [
    [new TextEncoder().encode('definitely not a png file'), /not a PNG file/],
    [huge, /declares 100000×8 pixels/],
    [truncated, /corrupt PNG/],
    [flipped, /corrupt PNG/],
  ];
  for (const [bytes, message] of cases) {
    assert.throws(() => decodePng(bytes, 'x.png'), (err: Error) => err instanceof UserError && message.test(err.message) && !err.message.includes('\n'), String(message));
  }
  assert.throws(() => readPng(join(dir, 'missing.png')), /PNG file not found/);
  assert.throws(() => readPng(dir), /is a folder/);
});
