/**
 * Worker side of the evaluator pool: builds one evaluator from the test set it is started with, then
 * answers {id, models} messages with {id, accuracies} or {id, error}.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { DenseModel } from '../core/index.js';
import { createEvaluator } from './evaluator.js';
import type { InputScaling } from './split.js';

interface Init {
  pixels: Uint8Array;
  labels: Uint8Array;
  n: number;
  inputs: InputScaling;
  wasm: boolean;
}

const init = workerData as Init;
const evaluator = createEvaluator({ pixels: init.pixels, labels: init.labels, n: init.n }, init.inputs, { wasm: init.wasm });

parentPort!.on('message', (msg: { id: number; models: DenseModel[] }) => {
  try {
    const accuracies = msg.models.map((m) => evaluator.accuracy(m));
    parentPort!.postMessage({ id: msg.id, accuracies });
  } catch (err) {
    const e = err as Error;
    parentPort!.postMessage({ id: msg.id, error: { name: e?.name ?? 'Error', message: e?.message ?? String(err), stack: e?.stack } });
  }
});
