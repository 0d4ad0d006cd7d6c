/**
 * A small run folder on disk for the viewer tests, laid out as `weightscope reproduce` writes it
 * (docs/architecture.md): models/<task>/run-<k>/model.json + weights.bin in the tfjs layers
 * format, and results.csv.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/core/rng.js';
import { writeFileAtomic, writeJsonAtomic } from '../../src/core/io.js';
import { rowsToCsv, type ResultRow, type Difficulty, type ProbeName } from '../../src/core/results.js';
import type { DenseModel, LayerRecord } from '../../src/core/layer.js';

export interface RunFixture {
  dir: string;
  models: { task: string; run: number; path: string; model: DenseModel }[];
  rows: ResultRow[];
  cleanup(): void;
}

function denseLayer(name: string, nIn: number, nOut: number, rng: Rng, zeroFraction: number, activation: LayerRecord['activation']): LayerRecord {
  const weights = new Float32Array(nIn * nOut);
  const scale = Math.sqrt(2 / (nIn + nOut));
  for (let k = 0; k < weights.length; k++) weights[k] = rng.next() < zeroFraction ? 0 : rng.normal() * scale;
  const bias = new Float32Array(nOut);
  for (let j = 0; j < nOut; j++) bias[j] = rng.normal() * 0.01;
  return { name, weights, shape: [nIn, nOut], bias, activation };
}

/** Write a model in the tfjs layers format (model.json + one weights.bin shard). */
export function writeLayersModel(dir: string, model: DenseModel): void {
  const specs: { name: string; shape: number[]; dtype: 'float32' }[] = [];
  const parts: Float32Array[] = [];
  for (const l of model.layers) {
    specs.push({ name: `${l.name}/kernel`, shape: [l.shape[0], l.shape[1]], dtype: 'float32' });
    parts.push(l.weights);
    if (l.bias) {
      specs.push({ name: `${l.name}/bias`, shape: [l.shape[1]], dtype: 'float32' });
      parts.push(l.bias);
    }
  }
  const total = parts.reduce((s, p) => s + p.length, 0);
  const all = new Float32Array(total);
  let off = 0;
  for (const p of parts) {
    all.set(p, off);
    off += p.length;
  }
  const layers = model.layers.map((l, k) => ({
    class_name: 'Dense',
    config: {
      name: l.name, units: l.shape[1], activation: l.activation ?? 'linear', use_bias: l.bias !== null, trainable: true,
      ...(k === 0 ? { batch_input_shape: [null, l.shape[0]], dtype: 'float32' } : {}),
    },
  }));
  writeJsonAtomic(join(dir, 'model.json'), {
    modelTopology: { class_name: 'Sequential', config: { name: 'sequential', layers }, keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js' },
    format: 'layers-model',
    generatedBy: 'TensorFlow.js tfjs-layers v4.22.0',
    convertedBy: null,
    weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
  });
  writeFileAtomic(join(dir, 'weights.bin'), new Uint8Array(all.buffer));
}

/** Probe curves shaped like the reference study's (accuracy falls with the level, hard task lower). */
function resultRows(rng: Rng): ResultRow[] {
  const rows: ResultRow[] = [];
  const tasks: [string, Difficulty, number][] = [['mnist-0v7', 'easy', 0.995], ['mnist-7v9', 'hard', 0.975]];
  const probes: ProbeName[] = ['prune', 'binarize', 'noise', 'signflip'];
  for (const [task, difficulty, base] of tasks) {
    for (let run = 0; run < 3; run++) {
      const row = (probe: ProbeName, level: number, accuracy: number): ResultRow => ({
        task, difficulty, probe, variant: 'reference', signed: false, level, layer: 'all', run, seed: rng.nextUint32(),
        accuracy: Math.min(1, Math.max(0, accuracy)), n_test: 2000, inputs: 'pm1',
      });
      rows.push(row('baseline', 0, base + rng.normal() * 0.002));
      probes.forEach((probe, p) => {
        for (const level of [0, 0.25, 0.5, 0.75, 1]) {
          const drop = (base - 0.5) * Math.pow(level, 1 + p) * (difficulty === 'hard' ? 1 : 0.7);
          rows.push(row(probe, level, base - drop + rng.normal() * 0.01));
        }
      });
    }
  }
  return rows;
}

/** Two tasks × one run of a 784→16→1 MLP (10% of the first layer's weights pruned to 0). */
export function makeRunFixture(seed = 7): RunFixture {
  const dir = mkdtempSync(join(tmpdir(), 'weightscope-viewer-'));
  const rng = new Rng(seed);
  const models: RunFixture['models'] = [];
  for (const task of ['mnist-0v7', 'mnist-7v9']) {
    const model: DenseModel = {
      layers: [denseLayer('dense_Dense1', 784, 16, rng, 0.1, 'relu'), denseLayer('dense_Dense2', 16, 1, rng, 0, 'sigmoid')],
    };
    const rel = `models/${task}/run-0`;
    writeLayersModel(join(dir, rel), model);
    models.push({ task, run: 0, path: `${rel}/model.json`, model });
  }
  const rows = resultRows(rng);
  writeFileAtomic(join(dir, 'results.csv'), rowsToCsv(rows));
  writeJsonAtomic(join(dir, 'run.json'), { fixture: true, seed });
  return { dir, models, rows, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
