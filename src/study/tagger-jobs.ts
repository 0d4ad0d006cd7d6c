/**
 * The runner of the tagger study's jobs (types.ts TaggerTrainJob, WindowMlpJob, TaggerEvalJob),
 * called by jobs.ts runJob. Loaded on demand: the tagger's matrix products go through tfjs, which
 * a worker that only runs MLP jobs never loads.
 *
 * As for MLP jobs, what a runner decodes from blobs (sentence sets, taggers) it keeps per hash in
 * this thread, a few at a time: consecutive eval jobs of one tagger decode it once.
 */
import { UserError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { ResultRow } from '../core/results.js';
import { rowF1, taskScores, type TagTask, type TaskScores } from '../data/brown.js';
import { backendInfo, selectBackend, silenceTfjs, type BackendName } from '../model/backend.js';
import { asDense, initTransformer, withLayers, type Batch, type SentenceInput, type TransformerModel } from '../model/transformer/model.js';
import { tagSentences, trainTagger } from '../model/transformer/train.js';
import { initWindowMlp, tagWithWindowMlp, trainWindowMlp } from '../model/transformer/window-mlp.js';
import { applyProbe } from '../probes/probes.js';
import { blobHash } from './blobs.js';
import { Lru } from './lru.js';
import { deserializeSentences, deserializeTagger, serializeTagger } from './tagger-blobs.js';
import { rowIdentity, type StudyItem } from './tagger-plan.js';
import type {
  BlobHash, BlobSource, JobProgress, TaggerEvalJob, TaggerEvalJobResult, TaggerTarget, TaggerTrainJob, TaggerTrainJobResult, WindowMlpJob, WindowMlpJobResult,
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

/** The job's tfjs backend, selected once per thread (selectBackend's own order when it names none). */
let backend: { name: BackendName | undefined; ready: Promise<unknown> } | undefined;
function backendFor(target: TaggerTarget): Promise<unknown> {
  if (!backend || backend.name !== target.backend) {
    silenceTfjs();
    backend = { name: target.backend, ready: selectBackend(target.backend) };
  }
  return backend.ready;
}

const scoresOf = (tagTask: TagTask, set: SentenceInput[], predicted: Int32Array[]): TaskScores => taskScores(tagTask, set.map((x) => x.tag), predicted);

/** Progress every this many training tokens. */
const PROGRESS_TOKENS = 2000;

async function runTaggerTrain(job: TaggerTrainJob, blobs: BlobSource, onProgress?: JobProgress): Promise<TaggerTrainJobResult> {
  await backendFor(job.target);
  const [train, test] = await Promise.all([sentencesOf(job.train, blobs), sentencesOf(job.test, blobs)]);
  const t0 = Date.now();
  const model = initTransformer(job.config, job.training.seed);
  let last = 0;
  const r = trainTagger(model, train, {
    ...job.training,
    onStep: (done) => {
      if (done - last < PROGRESS_TOKENS) return;
      last = done;
      onProgress?.(done);
    },
  });
  const seconds = (Date.now() - t0) / 1000;
  const bytes = serializeTagger(model);
  return {
    kind: 'train-tagger', id: job.id, model: blobHash(bytes), modelBytes: bytes, finalLoss: r.finalLoss,
    test: scoresOf(job.target.tagTask, test, tagSentences(model, test)), seconds, backend: backendInfo().name,
  };
}

async function runWindowMlp(job: WindowMlpJob, blobs: BlobSource, onProgress?: JobProgress): Promise<WindowMlpJobResult> {
  await backendFor(job.target);
  const [train, evaluation, test] = await Promise.all([sentencesOf(job.train, blobs), sentencesOf(job.evaluation, blobs), sentencesOf(job.test, blobs)]);
  const t0 = Date.now();
  const model = initWindowMlp(job.config, job.training.seed);
  trainWindowMlp(model, train, job.training);
  onProgress?.(job.training.tokens);
  const score = (set: SentenceInput[]): TaskScores => scoresOf(job.target.tagTask, set, tagWithWindowMlp(model, set));
  return { kind: 'train-window-mlp', id: job.id, evaluation: score(evaluation), test: score(test), seconds: (Date.now() - t0) / 1000 };
}

async function runTaggerEval(job: TaggerEvalJob, blobs: BlobSource, onProgress?: JobProgress): Promise<TaggerEvalJobResult> {
  await backendFor(job.target);
  const [model, evaluation] = await Promise.all([taggerOf(job.model, blobs), sentencesOf(job.evaluation, blobs)]);
  const rows: ResultRow[] = [];
  for (const item of job.items) {
    rows.push(evaluateItem(model, item, evaluation, job.target.tagTask, job.target.task));
    onProgress?.(rows.length);
    // Let the event loop breathe between evaluations (messages, signals).
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { kind: 'eval-tagger', id: job.id, rows };
}

export function runTaggerJob(job: TaggerTrainJob | WindowMlpJob | TaggerEvalJob, blobs: BlobSource, onProgress?: JobProgress): Promise<TaggerTrainJobResult | WindowMlpJobResult | TaggerEvalJobResult> {
  switch (job.kind) {
    case 'train-tagger':
      return runTaggerTrain(job, blobs, onProgress);
    case 'train-window-mlp':
      return runWindowMlp(job, blobs, onProgress);
    case 'eval-tagger':
      return runTaggerEval(job, blobs, onProgress);
  }
  throw new UserError(`not a tagger job: '${(job as { kind: unknown }).kind}'`);
}
