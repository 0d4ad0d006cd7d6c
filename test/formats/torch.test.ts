/**
 * Orientation against PyTorch itself: torch.nn.Linear computes y = x Wᵀ + b with W stored
 * (out, in); a torch MLP saved as .safetensors must read as (in, out) layers whose forward pass
 * gives torch's outputs. Needs /usr/bin/python3 with torch; skipped with one line otherwise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openModel } from '../../src/formats/index.js';
import { PYTHON, pythonMissing } from '../python.js';

const SCRIPT = fileURLToPath(new URL('../../../bench/python/torch_linear.py', import.meta.url));
const missing = pythonMissing(['torch'], 'torch orientation check');

test('a torch MLP saved as safetensors computes torch\'s outputs from the layers weightscope reads', { skip: missing ?? false }, async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'ws-torch-')), 'mlp.safetensors');
  const r = spawnSync(PYTHON, [SCRIPT, path], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const { x, y } = JSON.parse(r.stdout) as { x: number[][]; y: number[][] };
  const model = { layers: (await openModel(path)).records() };
  assert.deepEqual(model.layers.map((l) => l.shape), [[7, 5], [5, 5], [5, 3]]);
  x.forEach((row, n) => {
    let h = row;
    model.layers.forEach((l, k) => {
      const [nIn, nOut] = l.shape;
      const next = Array.from({ length: nOut }, (_, j) => {
        let s = l.bias![j];
        for (let i = 0; i < nIn; i++) s += h[i] * l.weights[i * nOut + j];
        return k < model.layers.length - 1 ? Math.max(0, s) : s;
      });
      h = next;
    });
    h.forEach((v, j) => assert.ok(Math.abs(v - y[n][j]) < 1e-5, `sample ${n} output ${j}: ${v} vs torch ${y[n][j]}`));
  });
});
