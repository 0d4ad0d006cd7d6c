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
import { saveModel } from '../../src/model/files.js';

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
    saveModel(join(dir, rel), model);
    models.push({ task, run: 0, path: `${rel}/model.json`, model });
  }
  const rows = resultRows(rng);
  writeFileAtomic(join(dir, 'results.csv'), rowsToCsv(rows));
  writeJsonAtomic(join(dir, 'run.json'), { fixture: true, seed });
  return { dir, models, rows, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
