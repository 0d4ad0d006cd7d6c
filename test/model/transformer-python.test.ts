/**
 * The tagger engine against an independent implementation: the same encoder written in PyTorch
 * (bench/python/transformer_crosscheck.py: plain tensor ops on padded sentences with a key padding
 * mask, autograd for the gradient, float64) on a small random model: logits, loss and the gradient
 * of every tensor agree to float32 rounding. Skips with one line where PyTorch is missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../../src/core/rng.js';
import { forward, initTransformer, lossAndGradient, packBatch, zeroGradients, type SentenceInput, type TransformerConfig } from '../../src/model/transformer/model.js';
import { parameterTensors } from '../../src/model/transformer/tensors.js';
import { engineSupports } from '../../src/model/transformer/engine.js';
import { PYTHON, pythonMissing } from '../python.js';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bench', 'python', 'transformer_crosscheck.py');
const torchMissing = pythonMissing(['torch'], 'PyTorch transformer cross-check') ?? false;

const config: TransformerConfig = { vocab: 30, suffixes: 7, shapes: 5, lexicon: 13, maxLen: 16, blocks: 2, dim: 12, heads: 3, ffn: 18, tags: 12 };

test('logits, loss and every gradient of the engine agree with PyTorch (float64) to float32 rounding', { skip: torchMissing }, () => {
  assert.ok(engineSupports(config));
  const model = initTransformer(config, 3);
  const rng = new Rng(4);
  for (const l of model.layers) if (l.bias) for (let i = 0; i < l.bias.length; i++) l.bias[i] = 0.3 * rng.normal();
  for (const n of model.norms) for (let i = 0; i < n.gamma.length; i++) {
    n.gamma[i] = 1 + 0.3 * rng.normal();
    n.beta[i] = 0.3 * rng.normal();
  }
  const sentences: SentenceInput[] = Array.from({ length: 5 }, () => {
    const n = 1 + rng.int(config.maxLen);
    const ints = (m: number) => Int32Array.from({ length: n }, () => rng.int(m));
    return { word: ints(config.vocab), suffix: ints(config.suffixes), shape: ints(config.shapes), lexicon: ints(config.lexicon), tag: ints(config.tags) };
  });
  const input = join(mkdtempSync(join(tmpdir(), 'ws-torch-tagger-')), 'input.json');
  writeFileSync(input, JSON.stringify({
    config,
    tensors: Object.fromEntries(parameterTensors(model).map((t) => [t.spec.name, Array.from(t.data)])),
    sentences: sentences.map((s) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Array.from(v as Int32Array)]))),
  }));
  const r = spawnSync(PYTHON, [SCRIPT, input], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const torch = JSON.parse(r.stdout) as { logits: number[]; loss: number; grads: Record<string, number[]> };

  const close = (ours: ArrayLike<number>, theirs: number[], tol: number, what: string) => {
    assert.equal(ours.length, theirs.length, `${what}: length`);
    const scale = Math.max(1, ...theirs.map(Math.abs));
    let worst = 0;
    for (let i = 0; i < theirs.length; i++) worst = Math.max(worst, Math.abs(ours[i] - theirs[i]));
    assert.ok(worst <= tol * scale, `${what}: max |Δ| ${worst} (scale ${scale})`);
  };
  const batch = packBatch(sentences);
  close(forward(model, batch).logits, torch.logits, 1e-5, 'logits');
  const grads = zeroGradients(model);
  const loss = lossAndGradient(model, batch, grads);
  assert.ok(Math.abs(loss - torch.loss) < 1e-5, `loss ${loss} vs ${torch.loss}`);
  const ours = new Map<string, Float32Array>();
  for (const [name, g] of grads.layers) {
    ours.set(`${name}/kernel`, g.weights);
    if (g.bias) ours.set(`${name}/bias`, g.bias);
  }
  for (const [name, g] of grads.norms) ours.set(`${name}/gamma`, g.gamma).set(`${name}/beta`, g.beta);
  assert.deepEqual([...ours.keys()].sort(), Object.keys(torch.grads).sort());
  for (const [name, g] of ours) {
    close(g, torch.grads[name], 1e-4, `∂${name}`);
    // the key bias adds q·b to every score of a row, which the softmax ignores: its gradient is 0
    const zero = /attn\.k\/bias$/.test(name);
    assert.equal(torch.grads[name].some((x) => Math.abs(x) > 1e-9), !zero, `${name}: ${zero ? 'zero' : 'non-zero'} gradient in PyTorch`);
  }
});
