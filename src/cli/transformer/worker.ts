/**
 * Worker thread of the transformer study: trains one tagger, or evaluates a list of probed
 * variants of a saved one on the evaluation sentences it was started with. The main thread sends
 * only probe descriptions; the worker loads each model once and applies the probes itself.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Rng } from '../../core/rng.js';
import type { ResultRow } from '../../core/results.js';
import { selectBackend, silenceTfjs, type BackendName } from '../../model/backend.js';
import { applyProbe } from '../../probes/index.js';
import { asDense, initTransformer, withLayers, type Batch, type SentenceInput, type TransformerConfig, type TransformerModel } from '../../model/transformer/model.js';
import { tagSentences, trainTagger, type TaggerTrainConfig } from '../../model/transformer/train.js';
import { loadTransformer, saveTransformer } from '../../model/transformer/files.js';
import { rowF1, taskScores, type TagTask, type TaskScores } from '../../data/brown.js';
import { initWindowMlp, tagWithWindowMlp, trainWindowMlp, type WindowMlpConfig } from '../../model/transformer/window-mlp.js';
import { rowIdentity, type StudyItem } from './plan.js';

export interface WorkerInit {
  backend?: BackendName;
  train: Batch;
  evaluation: Batch;
  /** The whole test set (the baselines are scored on it too); only the window-MLP job reads it. */
  test?: Batch;
  /** The row's task name (`brown-upos`). */
  task: string;
  tagTask: TagTask;
}

export type WorkerRequest =
  | { id: number; type: 'train'; dir: string; config: TransformerConfig; train: Omit<TaggerTrainConfig, 'onStep'>; tags: string[] }
  | { id: number; type: 'eval'; dir: string; items: StudyItem[] }
  | { id: number; type: 'window'; config: WindowMlpConfig; train: Omit<TaggerTrainConfig, 'onStep'> };

export type WorkerReply =
  | { id: number; type: 'progress'; done: number }
  | { id: number; type: 'trained'; seconds: number; finalLoss: number; test: TaskScores | null }
  | { id: number; type: 'rows'; rows: ResultRow[]; seconds: number }
  | { id: number; type: 'window'; evaluation: TaskScores; test: TaskScores | null; seconds: number }
  | { id: number; type: 'error'; name: string; message: string };

/** Sentences of a packed batch as views (no copies). */
export function unpack(b: Batch): SentenceInput[] {
  const out: SentenceInput[] = [];
  for (let s = 0; s + 1 < b.starts.length; s++) {
    const [a, z] = [b.starts[s], b.starts[s + 1]];
    out.push({ word: b.word.subarray(a, z), suffix: b.suffix.subarray(a, z), shape: b.shape.subarray(a, z), lexicon: b.lexicon.subarray(a, z), tag: b.tag.subarray(a, z) });
  }
  return out;
}

/** Evaluate one study item on a model: accuracy and macro-F1 over the evaluation sentences. */
export function evaluateItem(model: TransformerModel, item: StudyItem, sentences: SentenceInput[], tagTask: TagTask, task: string): ResultRow {
  let probed = model;
  if (item.probe !== 'baseline') {
    let dense = asDense(model);
    for (const layer of item.layers) dense = applyProbe(dense, { probe: item.probe, variant: item.variant, signed: item.signed, level: item.level, layer }, new Rng(item.seed));
    probed = withLayers(model, dense);
  }
  const predicted = tagSentences(probed, sentences, { ablate: item.ablate ? new Set(item.ablate) : undefined });
  const s = taskScores(tagTask, sentences.map((x) => x.tag), predicted);
  return { ...rowIdentity(item, task), accuracy: s.accuracy, n_test: s.n, f1: rowF1(s) };
}

if (parentPort && workerData?.evaluation) {
  const init = workerData as WorkerInit;
  const port = parentPort;
  silenceTfjs();
  const ready = selectBackend(init.backend);
  const train = unpack(init.train);
  const evaluation = unpack(init.evaluation);
  const cache = new Map<string, TransformerModel>();
  port.on('message', async (msg: WorkerRequest) => {
    try {
      await ready;
      if (msg.type === 'train') {
        const t0 = Date.now();
        const model = initTransformer(msg.config, msg.train.seed);
        let last = 0;
        const r = trainTagger(model, train, {
          ...msg.train,
          onStep: (done) => {
            if (done - last >= 2000) {
              last = done;
              port.postMessage({ id: msg.id, type: 'progress', done } satisfies WorkerReply);
            }
          },
        });
        saveTransformer(msg.dir, model, { tags: msg.tags });
        const seconds = (Date.now() - t0) / 1000;
        // the trained tagger on the whole test set, beside the baselines' scores there
        const sentences = init.test ? unpack(init.test) : null;
        const test = sentences ? taskScores(init.tagTask, sentences.map((x) => x.tag), tagSentences(model, sentences)) : null;
        port.postMessage({ id: msg.id, type: 'trained', seconds, finalLoss: r.finalLoss, test } satisfies WorkerReply);
      } else if (msg.type === 'window') {
        const t0 = Date.now();
        const model = initWindowMlp(msg.config, msg.train.seed);
        trainWindowMlp(model, train, msg.train);
        const score = (set: SentenceInput[]) => taskScores(init.tagTask, set.map((x) => x.tag), tagWithWindowMlp(model, set));
        const test = init.test ? score(unpack(init.test)) : null;
        port.postMessage({ id: msg.id, type: 'window', evaluation: score(evaluation), test, seconds: (Date.now() - t0) / 1000 } satisfies WorkerReply);
      } else {
        const t0 = Date.now();
        if (!cache.has(msg.dir)) {
          cache.clear();
          cache.set(msg.dir, loadTransformer(msg.dir).model);
        }
        const model = cache.get(msg.dir)!;
        const rows = msg.items.map((item) => evaluateItem(model, item, evaluation, init.tagTask, init.task));
        port.postMessage({ id: msg.id, type: 'rows', rows, seconds: (Date.now() - t0) / 1000 } satisfies WorkerReply);
      }
    } catch (err) {
      const e = err as Error;
      port.postMessage({ id: msg.id, type: 'error', name: e?.name ?? 'Error', message: e?.message ?? String(err) } satisfies WorkerReply);
    }
  });
}
