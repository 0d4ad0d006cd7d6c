/**
 * A small real run folder for the viewer tests, laid out as `weightscope reproduce` writes it
 * (docs/architecture.md): for an easy (0v7) and a hard (7v9) MNIST task, a 784→16→2 MLP trained
 * on a slice of the training images, 10% of its first layer magnitude-pruned (so some slots are
 * zero), saved as models/<task>/run-0/model.json + weights.bin; and results.csv from a short
 * probe sweep on a slice of the test images. About a second per task on the WASM backend.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/core/rng.js';
import { writeFileAtomic, writeJsonAtomic } from '../../src/core/io.js';
import { rowsToCsv, type ResultRow, type Difficulty } from '../../src/core/results.js';
import type { DenseModel } from '../../src/core/layer.js';
import { loadMnist, makeBinaryTask } from '../../src/data/index.js';
import { createEvaluator, saveModel, selectBackend, trainMlp, type Split } from '../../src/model/index.js';
import { applyProbe, planSweep, runSweep } from '../../src/probes/index.js';

export interface RunFixture {
  dir: string;
  models: { task: string; run: number; path: string; model: DenseModel }[];
  rows: ResultRow[];
  cleanup(): void;
}

const TRAIN_IMAGES = 1500;
const TEST_IMAGES = 400;

function head(split: Split, n: number): Split {
  const m = Math.min(n, split.n);
  return { pixels: split.pixels.subarray(0, m * 784), labels: split.labels.subarray(0, m), n: m };
}

export async function makeRunFixture(seed = 7): Promise<RunFixture> {
  await selectBackend('wasm');
  const data = loadMnist();
  const dir = mkdtempSync(join(tmpdir(), 'weightscope-viewer-'));
  const models: RunFixture['models'] = [];
  const rows: ResultRow[] = [];
  const tasks: [number, number, Difficulty][] = [[0, 7, 'easy'], [7, 9, 'hard']];
  for (const [a, b, difficulty] of tasks) {
    const task = makeBinaryTask(data, 'mnist', a, b, { inputs: 'pm1' });
    const trained = await trainMlp(head(task.train, TRAIN_IMAGES), 'pm1', { inputSize: 784, hidden: [16], activation: 'relu', head: 'softmax' }, {
      epochs: 2,
      seed,
    });
    const firstLayer = trained.model.layers[0].name;
    const model = applyProbe(trained.model, { probe: 'prune', variant: 'reference', signed: false, level: 0.1, layer: firstLayer }, new Rng(seed));
    const rel = `models/${task.name}/run-0`;
    saveModel(join(dir, rel), model);
    models.push({ task: task.name, run: 0, path: `${rel}/model.json`, model });
    const evaluator = createEvaluator(head(task.test, TEST_IMAGES), 'pm1');
    rows.push(
      ...(await runSweep({
        target: { task: task.name, difficulty, run: 0, inputs: 'pm1', model },
        plan: planSweep({
          probes: ['baseline', 'prune', 'binarize', 'noise', 'signflip'],
          pruneLevels: [0, 0.5, 0.8, 0.95],
          noiseLevels: [2 ** -6, 2 ** -3, 1],
          flipLevels: [0, 0.25, 0.5],
          noiseSeeds: 1,
        }),
        baseSeed: seed,
        evaluate: async (ms) => evaluator.measure(ms),
        nTest: evaluator.n,
      })),
    );
  }
  writeFileAtomic(join(dir, 'results.csv'), rowsToCsv(rows));
  writeJsonAtomic(join(dir, 'run.json'), { fixture: 'test/viewer/fixture.ts', seed, trainImages: TRAIN_IMAGES, testImages: TEST_IMAGES });
  return { dir, models, rows, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
