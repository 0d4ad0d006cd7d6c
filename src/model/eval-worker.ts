/**
 * Worker side of the evaluator pool: builds one evaluator from the test set it is started with, then
 * answers {id, models} messages with {id, accuracies} or {id, error}.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { DenseModel } from '../core/index.js';
import { createEvaluator, type ProbedModel } from './evaluator.js';
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

// The original model of the last `measure` message, kept so its activations are computed once per key.
let reference: { key: string; model: DenseModel } | null = null;

parentPort!.on('message', (msg: { id: number; models: ProbedModel[]; measure?: boolean; reference?: { key: string; model: DenseModel } }) => {
  try {
    if (msg.measure) {
      if (msg.reference && msg.reference.key !== reference?.key) reference = msg.reference;
      const measurements = evaluator.measure(msg.models, msg.reference ? reference!.model : undefined);
      parentPort!.postMessage({ id: msg.id, measurements });
      return;
    }
    const accuracies = (msg.models as DenseModel[]).map((m) => evaluator.accuracy(m));
    parentPort!.postMessage({ id: msg.id, accuracies });
  } catch (err) {
    const e = err as Error;
    parentPort!.postMessage({ id: msg.id, error: { name: e?.name ?? 'Error', message: e?.message ?? String(err), stack: e?.stack } });
  }
});
