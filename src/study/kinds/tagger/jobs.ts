/**
 * The runners of the tagger study's jobs (types.ts TaggerTrainJob, WindowMlpJob, TaggerEvalJob),
 * called through the registry. Loaded on demand: the tagger's matrix products go through tfjs,
 * which a worker that only runs MLP jobs never loads. Each job runs on exactly the tfjs backend it
 * names, or is refused.
 *
 * As for MLP jobs, what a runner decodes from blobs (sentence sets, taggers) it keeps per hash in
 * this thread, a few at a time: consecutive eval jobs of one tagger decode it once.
 */
import { Rng } from '../../../core/rng.js';
import type { ResultRow } from '../../../core/results.js';
import { rowF1, taskScores, type TagTask, type TaskScores } from '../../../data/brown.js';
import type { BackendInfo } from '../../../model/backend.js';
import { asDense, initTransformer, withLayers, type Batch, type SentenceInput, type TransformerModel } from '../../../model/transformer/model.js';
import { tagSentences, trainTagger } from '../../../model/transformer/train.js';
import { initWindowMlp, tagWithWindowMlp, trainWindowMlp } from '../../../model/transformer/window-mlp.js';
import { applyProbe } from '../../../probes/probes.js';
import { useBackend } from '../../backend.js';
import { blobHash } from '../../blobs.js';
import { Lru } from '../../lru.js';
import { requireFloat32, type BlobHash, type BlobSource, type JobProgress } from '../../types.js';
import { deserializeSentences, deserializeTagger, serializeTagger } from './blobs.js';
import { rowIdentity } from './plan.js';
import type {
  StudyItem, TaggerEvalJob, TaggerEvalJobResult, TaggerTarget, TaggerTrainJob, TaggerTrainJobResult, WindowMlpJob, WindowMlpJobResult,
} from './types.js';

/** Sentences of a packed batch as views (no copies). */
export function unpack(b: Batch): SentenceInput[] {
  const out: SentenceInput[] = [];
  for (let s = 0; s + 1 < b.starts.length; s++) {
    const [a, z] = [b.starts[s], b.starts[s + 1]];
    out.push({ word: b.word.subarray(a, z), suffix: b.suffix.subarray(a, z), shape: b.shape.subarray(a, z), lexicon: b.lexicon.subarray(a, z), tag: b.tag.subarray(a, z) });
  }
  return out;
}

/** Evaluate one study item on a tagger: accuracy and macro-F1 (entity F1 for names) over the sentences. */
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

const sentenceSets = new Lru<SentenceInput[]>(4);
const taggers = new Lru<TransformerModel>(2);
const sentencesOf = (hash: BlobHash, blobs: BlobSource): Promise<SentenceInput[]> => sentenceSets.get(hash, async () => unpack(deserializeSentences(await blobs.get(hash))));
const taggerOf = (hash: BlobHash, blobs: BlobSource): Promise<TransformerModel> => taggers.get(hash, async () => deserializeTagger(await blobs.get(hash)));

/** What a tagger job needs of this process: float32 and exactly its tfjs backend. */
function honour(job: { target: TaggerTarget; dtype: unknown }): Promise<BackendInfo> {
  requireFloat32(job.dtype);
  return useBackend(job.target.backend);
}

const scoresOf = (tagTask: TagTask, set: SentenceInput[], predicted: Int32Array[]): TaskScores => taskScores(tagTask, set.map((x) => x.tag), predicted);

/** Progress every this many training tokens. */
const PROGRESS_TOKENS = 2000;

/** Train one tagger; progress in training tokens. */
export async function runTaggerTrain(job: TaggerTrainJob, blobs: BlobSource, onEvent?: JobProgress): Promise<TaggerTrainJobResult> {
  const backend = await honour(job);
  const [train, test] = await Promise.all([sentencesOf(job.train, blobs), sentencesOf(job.test, blobs)]);
  const t0 = Date.now();
  const model = initTransformer(job.config, job.training.seed);
  let last = 0;
  const r = trainTagger(model, train, {
    ...job.training,
    onStep: (done) => {
      if (done - last < PROGRESS_TOKENS) return;
      last = done;
      onEvent?.({ type: 'progress', done });
    },
  });
  const seconds = (Date.now() - t0) / 1000;
  const bytes = serializeTagger(model);
  const hash = blobHash(bytes);
  return {
    kind: 'train-tagger', id: job.id, model: hash, made: [{ hash, bytes }], finalLoss: r.finalLoss,
    test: scoresOf(job.target.tagTask, test, tagSentences(model, test)), seconds, backend: backend.name, backendVersion: backend.version,
  };
}

/** Train the window-MLP baseline; its progress is its training tokens, at the end. */
export async function runWindowMlp(job: WindowMlpJob, blobs: BlobSource, onEvent?: JobProgress): Promise<WindowMlpJobResult> {
  await honour(job);
  const [train, evaluation, test] = await Promise.all([sentencesOf(job.train, blobs), sentencesOf(job.evaluation, blobs), sentencesOf(job.test, blobs)]);
  const t0 = Date.now();
  const model = initWindowMlp(job.config, job.training.seed);
  trainWindowMlp(model, train, job.training);
  onEvent?.({ type: 'progress', done: job.training.tokens });
  const score = (set: SentenceInput[]): TaskScores => scoresOf(job.target.tagTask, set, tagWithWindowMlp(model, set));
  return { kind: 'train-window-mlp', id: job.id, evaluation: score(evaluation), test: score(test), seconds: (Date.now() - t0) / 1000 };
}

/** Evaluate a chunk of study items on one tagger; progress in evaluations. */
export async function runTaggerEval(job: TaggerEvalJob, blobs: BlobSource, onEvent?: JobProgress): Promise<TaggerEvalJobResult> {
  await honour(job);
  const [model, evaluation] = await Promise.all([taggerOf(job.model, blobs), sentencesOf(job.evaluation, blobs)]);
  const rows: ResultRow[] = [];
  for (const item of job.items) {
    rows.push(evaluateItem(model, item, evaluation, job.target.tagTask, job.target.task));
    onEvent?.({ type: 'progress', done: rows.length });
    // Let the event loop breathe between evaluations (messages, signals).
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { kind: 'eval-tagger', id: job.id, rows };
}
