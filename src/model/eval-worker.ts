/**
 * Worker side of the evaluator pool: builds one evaluator from the test set it is started with, then
 * answers {id, models, buffer} messages (models packed into buffer: see pool-wire.ts) with
 * {id, accuracies | measurements | error, buffer}, the buffer transferred back for reuse.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { DenseModel } from '../core/index.js';
import { createEvaluator } from './evaluator.js';
import { unpackModels, type PackedModel } from './pool-wire.js';
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

// The original model of the last `measure` message that sent one, kept so its activations are computed once per key.
let reference: { key: string; model: DenseModel } | null = null;

parentPort!.on('message', (msg: { id: number; models: PackedModel[]; buffer: ArrayBuffer; measure?: boolean; referenceKey?: string; reference?: DenseModel }) => {
  // The models are views of msg.buffer, which goes back with the answer (the pool reuses it).
  const back = { buffer: msg.buffer };
  try {
    const models = unpackModels(msg.models, msg.buffer);
    if (msg.measure) {
      if (msg.reference && msg.referenceKey !== undefined) reference = { key: msg.referenceKey, model: msg.reference };
      if (msg.referenceKey !== undefined && msg.referenceKey !== reference?.key) throw new Error(`evaluator worker: no reference model for key ${msg.referenceKey}`);
      const measurements = evaluator.measure(models, msg.referenceKey !== undefined ? reference!.model : undefined);
      parentPort!.postMessage({ id: msg.id, measurements, ...back }, [msg.buffer]);
      return;
    }
    const accuracies = (models as DenseModel[]).map((m) => evaluator.accuracy(m));
    parentPort!.postMessage({ id: msg.id, accuracies, ...back }, [msg.buffer]);
  } catch (err) {
    const e = err as Error;
    parentPort!.postMessage({ id: msg.id, error: { name: e?.name ?? 'Error', message: e?.message ?? String(err), stack: e?.stack }, ...back }, [msg.buffer]);
  }
});
