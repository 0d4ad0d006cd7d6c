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
import { packModels, packedFloats } from './pool-wire.js';

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
  /** Tasks sent and not answered yet, oldest first, with their message ids. */
  inFlight: { task: Task; id: number }[];
  /** Packing buffers the worker has sent back, ready for reuse. */
  spare: ArrayBuffer[];
  /** The key of the CKA reference model this worker holds (sent once per key). */
  referenceKey: string | null;
}

/**
 * Tasks a worker holds at once: while it evaluates one chunk, the next is already copied and waiting
 * in its message queue, so it never idles while the main thread prepares a chunk.
 */
const IN_FLIGHT = 2;

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
    const slot: Slot = { worker: new Worker(workerUrl, { workerData: init }), inFlight: [], spare: [], referenceKey: null };
    slot.worker.on('message', (msg: { id: number; buffer?: ArrayBuffer; accuracies?: number[]; measurements?: Measurement[]; error?: { name: string; message: string; stack?: string } }) => {
      if (msg.buffer) slot.spare.push(msg.buffer);
      const head = slot.inFlight[0];
      if (!head || msg.id !== head.id) return;
      slot.inFlight.shift();
      if (msg.error) head.task.fail(errorFrom(msg.error));
      else head.task.done((msg.measurements ?? msg.accuracies)!);
      pump();
    });
    slot.worker.on('error', (err) => {
      // The worker died (e.g. it could not start): fail its tasks, replace it.
      const tasks = slot.inFlight.splice(0).map((f) => f.task);
      const k = slots.indexOf(slot);
      if (!closed && k >= 0) slots[k] = spawn();
      for (const t of tasks) t.fail(err);
      if (!tasks.length) while (queue.length) queue.shift()!.fail(err);
      pump();
    });
    return slot;
  };
  const slots: Slot[] = Array.from({ length: count }, spawn);

  function pump(): void {
    // Fill every worker's first place before any second one, so the load spreads evenly.
    for (let depth = 1; depth <= IN_FLIGHT; depth++) {
      for (const slot of slots) {
        if (slot.inFlight.length >= depth || queue.length === 0) continue;
        const task = queue.shift()!;
        const id = nextId++;
        slot.inFlight.push({ task, id });
        const floats = packedFloats(task.models);
        const k = slot.spare.findIndex((b) => b.byteLength >= floats * 4);
        const buffer = k >= 0 ? slot.spare.splice(k, 1)[0] : new ArrayBuffer(Math.max(1, floats) * 4);
        const models = packModels(task.models, new Float32Array(buffer));
        const transfer: ArrayBuffer[] = [buffer];
        const reference = task.measure?.reference;
        // The reference model goes as its own copy, once per worker and key: the worker keeps it.
        const sendReference = reference && slot.referenceKey !== reference.key;
        if (reference) slot.referenceKey = reference.key;
        const extra = task.measure
          ? { measure: true, ...(reference ? { referenceKey: reference.key } : {}), ...(sendReference ? { reference: wireCopy(reference.model, transfer) } : {}) }
          : {};
        slot.worker.postMessage({ id, models, buffer, ...extra }, transfer);
      }
    }
  }

  function submit<T>(models: ProbedModel[], measure: Task['measure']): Promise<T[]> {
    if (closed) return Promise.reject(new Error('evaluator pool is closed'));
    if (models.length === 0) return Promise.resolve([]);
    // Chunks small enough to balance the workers, large enough to amortise messaging: at most 16
    // models (a per-batch evaluation counts its models) and at most a quarter of a worker's share.
    const weight = (m: ProbedModel) => (Array.isArray(m) ? Math.max(1, m.length) : 1);
    const total = models.reduce((a, m) => a + weight(m), 0);
    const budget = Math.max(1, Math.min(16, Math.ceil(total / (count * 4))));
    const chunks: [number, number][] = [];
    for (let start = 0; start < models.length;) {
      let end = start + 1;
      for (let w = weight(models[start]); end < models.length && w + weight(models[end]) <= budget; end++) w += weight(models[end]);
      chunks.push([start, end]);
      start = end;
    }
    const out = new Array<T>(models.length);
    return new Promise<T[]>((resolve, reject) => {
      let pending = chunks.length;
      let failed = false;
      for (const [start, end] of chunks) {
        queue.push({
          models: models.slice(start, end),
          measure,
          done: (acc) => {
            if (failed) return;
            for (let k = 0; k < acc.length; k++) out[start + k] = acc[k] as T;
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
      for (const s of slots) for (const f of s.inFlight.splice(0)) f.task.fail(err);
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
