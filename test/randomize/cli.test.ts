/**
 * The `randomize` subcommand, driven through commander exactly as `weightscope` parses it (the
 * command is registered on a fresh program here; wiring it into the main command is one line
 * in src/cli/commands/index.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { UserError } from '../../src/core/errors.js';
import type { DenseModel } from '../../src/core/layer.js';
import { signedDegrees } from '../../src/graph/compact.js';
import { loadAnyModel, saveModel } from '../../src/model/index.js';
import { registerRandomize } from '../../src/cli/commands/randomize.js';
import { gaussianLayer } from './helpers.js';

async function cli(args: string[]): Promise<void> {
  const program = new Command('weightscope').exitOverride().configureOutput({ writeErr: () => {} });
  registerRandomize(program);
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    await program.parseAsync(['randomize', ...args], { from: 'user' });
  } finally {
    process.stdout.write = write;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'ws-randomize-'));
const model: DenseModel = {
  layers: [
    { ...gaussianLayer(20, 8, 0.4, 71, 'dense_1'), activation: 'relu' },
    { ...gaussianLayer(8, 2, 0.9, 72, 'dense_2'), activation: 'linear' },
  ],
};
saveModel(join(dir, 'orig'), model);
const original = loadAnyModel(join(dir, 'orig'));

test('randomize writes a loadable model whose layers keep every unit’s k+ and k− (curveball) and their biases', async () => {
  await cli([join(dir, 'orig'), '--method', 'curveball', '--seed', '3', '--out', join(dir, 'cb')]);
  const out = loadAnyModel(join(dir, 'cb'));
  assert.equal(out.layers.length, 2);
  out.layers.forEach((l, k) => {
    const o = original.layers[k];
    assert.equal(l.name, o.name);
    assert.deepEqual(l.shape, o.shape);
    assert.deepEqual(l.bias, o.bias);
    assert.deepEqual(signedDegrees(l.weights, ...l.shape), signedDegrees(o.weights, ...o.shape));
  });
  assert.notDeepEqual(out.layers[0].weights, original.layers[0].weights);
});

test('randomize --layer changes only that layer, and the same seed writes the same weights', async () => {
  await cli([join(dir, 'orig'), '--method', 'A', '--seed', '4', '--layer', 'dense_2', '--out', join(dir, 'a1')]);
  await cli([join(dir, 'orig'), '--method', 'A', '--seed', '4', '--layer', 'dense_2', '--out', join(dir, 'a2')]);
  const a1 = loadAnyModel(join(dir, 'a1')), a2 = loadAnyModel(join(dir, 'a2'));
  assert.deepEqual(a1.layers[0].weights, original.layers[0].weights);
  assert.notDeepEqual(a1.layers[1].weights, original.layers[1].weights);
  assert.deepEqual(a1.layers[1].weights, a2.layers[1].weights);
});

test('randomize passes --steps and --weights through, and rejects an unknown method with the valid names', async () => {
  await cli([join(dir, 'orig'), '--method', 'swap', '--steps', '0', '--out', join(dir, 's0')]);
  assert.deepEqual(loadAnyModel(join(dir, 's0')).layers[0].weights, original.layers[0].weights);
  await cli([join(dir, 'orig'), '--method', 'swap', '--weights', 'redraw', '--out', join(dir, 'sr')]);
  await assert.rejects(cli([join(dir, 'orig'), '--method', 'shuffle', '--out', join(dir, 'x')]), (e: unknown) => e instanceof UserError && /valid: A, B/.test(e.message));
  await assert.rejects(cli([join(dir, 'orig'), '--method', 'A', '--steps', '5', '--out', join(dir, 'x')]), UserError);
  await assert.rejects(cli([join(dir, 'orig'), '--method', 'swap', '--weights', 'keep', '--out', join(dir, 'x')]), /travel/);
});
