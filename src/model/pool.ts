/**
 * Evaluating many models in parallel: a pool of worker threads, each holding its own evaluator of
 * the same test set (built once per worker). Models are sent in chunks as transferred copies of their
 * weights; results come back in the order the models were given.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { UserError, type DenseModel } from '../core/index.js';
import type { InputScaling, Split } from './split.js';
import type { Measurement, ProbedModel } from './evaluator.js';

export interface EvaluatorPoolOptions {
  test: Split;
  inputs: InputScaling;
  /** Worker threads, default os.availableParallelism(). */
  workers?: number;
  /** Use the WebAssembly SIMD kernel in the workers (default true). */
  wasm?: boolean;
}

export interface EvaluatorPool {
  /** Accuracy of each model on the test set, in the order given. */
  evaluate(models: DenseModel[]): Promise<number[]>;
  /**
   * Accuracy of each probed model (one model, or one per test batch), and linear CKA of its hidden
   * activations against `reference.model` when given (`key` names that model: workers compute its
   * activations once per key).
   */
  measure(models: ProbedModel[], reference?: { key: string; model: DenseModel }): Promise<Measurement[]>;
  /** Terminate the workers; pending evaluations are rejected. */
  close(): Promise<void>;
  readonly workers: number;
}

interface Task {
  models: ProbedModel[];
  measure?: { reference?: { key: string; model: DenseModel } };
  done: (results: unknown[]) => void;
  fail: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  task: Task | null;
  id: number;
}

/** Copy a model's arrays so their buffers can be transferred without detaching the caller's. */
function wireCopy(model: DenseModel, transfer: ArrayBuffer[]): DenseModel {
  return {
    layers: model.layers.map((l) => {
      const weights = l.weights.slice();
      const bias = l.bias ? l.bias.slice() : null;
      transfer.push(weights.buffer as ArrayBuffer);
      if (bias) transfer.push(bias.buffer as ArrayBuffer);
      return { name: l.name, shape: [l.shape[0], l.shape[1]], weights, bias, activation: l.activation };
    }),
  };
}

function errorFrom(e: { name: string; message: string; stack?: string }): Error {
  const err = e.name === 'UserError' ? new UserError(e.message) : new Error(e.message);
  if (e.stack) err.stack = e.stack;
  return err;
}

export function createEvaluatorPool(options: EvaluatorPoolOptions): EvaluatorPool {
  const count = Math.max(1, Math.floor(options.workers ?? availableParallelism()));
  const workerUrl = new URL('./eval-worker.js', import.meta.url);
  const init = {
    pixels: options.test.pixels,
    labels: options.test.labels,
    n: options.test.n,
    inputs: options.inputs,
    wasm: options.wasm !== false,
  };
  const queue: Task[] = [];
  let closed = false;
  let nextId = 0;

  const spawn = (): Slot => {
    const slot: Slot = { worker: new Worker(workerUrl, { workerData: init }), task: null, id: -1 };
    slot.worker.on('message', (msg: { id: number; accuracies?: number[]; measurements?: Measurement[]; error?: { name: string; message: string; stack?: string } }) => {
      const task = slot.task;
      if (!task || msg.id !== slot.id) return;
      slot.task = null;
      if (msg.error) task.fail(errorFrom(msg.error));
      else task.done((msg.measurements ?? msg.accuracies)!);
      pump();
    });
    slot.worker.on('error', (err) => {
      // The worker died (e.g. it could not start): fail its task, replace it.
      const task = slot.task;
      slot.task = null;
      const k = slots.indexOf(slot);
      if (!closed && k >= 0) slots[k] = spawn();
      task?.fail(err);
      if (!task) while (queue.length) queue.shift()!.fail(err);
      pump();
    });
    return slot;
  };
  const slots: Slot[] = Array.from({ length: count }, spawn);

  function pump(): void {
    for (const slot of slots) {
      if (slot.task || queue.length === 0) continue;
      const task = queue.shift()!;
      slot.task = task;
      slot.id = nextId++;
      const transfer: ArrayBuffer[] = [];
      const models = task.models.map((m) => (Array.isArray(m) ? m.map((b) => wireCopy(b, transfer)) : wireCopy(m, transfer)));
      const reference = task.measure?.reference;
      const extra = task.measure ? { measure: true, ...(reference ? { reference: { key: reference.key, model: wireCopy(reference.model, transfer) } } : {}) } : {};
      slot.worker.postMessage({ id: slot.id, models, ...extra }, transfer);
    }
  }

  function submit<T>(models: ProbedModel[], measure: Task['measure']): Promise<T[]> {
    if (closed) return Promise.reject(new Error('evaluator pool is closed'));
    if (models.length === 0) return Promise.resolve([]);
    // Chunks small enough to balance the workers, large enough to amortise messaging.
    const chunk = Math.max(1, Math.min(16, Math.ceil(models.length / (count * 4))));
    const out = new Array<T>(models.length);
    return new Promise<T[]>((resolve, reject) => {
      let pending = Math.ceil(models.length / chunk);
      let failed = false;
      for (let start = 0; start < models.length; start += chunk) {
        const at = start;
        queue.push({
          models: models.slice(start, start + chunk),
          measure,
          done: (acc) => {
            if (failed) return;
            for (let k = 0; k < acc.length; k++) out[at + k] = acc[k] as T;
            if (--pending === 0) resolve(out);
          },
          fail: (err) => {
            if (failed) return;
            failed = true;
            reject(err);
          },
        });
      }
      pump();
    });
  }

  return {
    workers: count,
    evaluate: (models) => submit<number>(models, undefined),
    measure: (models, reference) => submit<Measurement>(models, { reference }),
    async close() {
      if (closed) return;
      closed = true;
      const err = new Error('evaluator pool was closed');
      for (const t of queue.splice(0)) t.fail(err);
      for (const s of slots) s.task?.fail(err);
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
