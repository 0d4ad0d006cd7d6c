/**
 * The main job end to end, as a thin adapter over the study layer (src/study, docs/study.md):
 * plan the study (train easy- and hard-task MLPs, probe every model with the five probes), run
 * its jobs on an executor (a worker-thread pool by default), export each layer as a signed
 * bipartite graph in the background, and write a reproducible run folder (core/run-folder.ts).
 * Interrupt it and run it again with the same --out: it resumes, reusing saved models and skipping
 * evaluations already in results.jsonl.
 */
import { Worker } from 'node:worker_threads';
import { UserError } from '../core/errors.js';
import { writeFileAtomic, writeJsonAtomic } from '../core/io.js';
import type { DenseModel } from '../core/layer.js';
import { rowKey, rowsToCsv, type ResultRow } from '../core/results.js';
import {
  checkResumable, inRunFolder, packageVersions, readResultsLog, readRunRecord, repairRunFolder, runPaths, uniqueRows, writeRunRecord, type RunSession,
} from '../core/run-folder.js';
import { loadDataset, loadSsimRanking } from '../data/index.js';
import { defaultTrainEngine, selectBackend } from '../model/index.js';
import { DEFAULT_SWEEP } from '../probes/index.js';
import { writeReport, type ReportInput } from '../report/index.js';
import { MemoryBlobStore } from '../study/blobs.js';
import { createExecutor } from '../study/executors/index.js';
import { planStudy, sortRowsByPlan, type StudyConfig } from '../study/plan.js';
import { runStudy, type StudyModel } from '../study/run-study.js';
import { checkExecutorFlags, executorChoice, type ExecutorFlags } from './executor.js';
import { createProgress, type Stage } from './progress.js';

// What the study layer defines and tests and earlier callers imported from here.
export { MAX_TRAIN_ATTEMPTS, MIN_ACCURACY, QUICK_SWEEP, REFERENCE_PAIRS, resolveTasks } from '../study/plan.js';

export interface ReproduceOptions extends StudyConfig, ExecutorFlags {
  out: string;
  backend?: 'node' | 'wasm' | 'cpu';
  quiet?: boolean;
  /**
   * Write each layer's graph files (CSV + GEXF under graphs/; default true). false skips the files
   * (the report's degree statistics are still computed): for large studies, where writing 2 graph
   * files per layer costs more than the sweeps (`weightscope export` writes them on demand).
   */
  graphs?: boolean;
}

/** Options that say where and how a run computes, never what: a run may resume with others. */
const NOT_IDENTITY = ['out', 'workers', 'quiet', 'backend', 'executor', 'graphs', 'redis'];

interface GraphJob {
  /** Folder the layer files go to; null computes the statistics only. */
  dir: string | null;
  task: string;
  run: number;
  layers: DenseModel['layers'];
}

type LayerInputs = NonNullable<ReportInput['layers']>;

/**
 * Export models' layers as graphs on one worker thread (graph-worker.ts) while the caller goes on:
 * add() each model as it becomes known (slot = its place in the report's order); `done` gives the
 * report's per-layer inputs in slot order once `count` models are exported. `close()` stops the worker.
 */
function exportGraphsInBackground(count: number, onDone: (seconds: number) => void): { add: (slot: number, job: GraphJob) => void; done: Promise<LayerInputs>; close: () => Promise<void> } {
  const started = Date.now();
  const worker = new Worker(new URL('./graph-worker.js', import.meta.url));
  const done = new Promise<LayerInputs>((resolve, reject) => {
    const results: LayerInputs[] = [];
    let left = count;
    worker.on('message', (msg: { id: number; stats?: LayerInputs; error?: { name: string; message: string } }) => {
      if (msg.error) return reject(msg.error.name === 'UserError' ? new UserError(msg.error.message) : new Error(msg.error.message));
      results[msg.id] = msg.stats!;
      if (--left === 0) {
        onDone((Date.now() - started) / 1000);
        resolve(results.flat());
      }
    });
    worker.on('error', reject);
    if (left === 0) resolve([]);
  });
  done.catch(() => undefined); // the caller awaits it later; no unhandled rejection meanwhile
  return {
    add: (id, job) => worker.postMessage({ id, ...job }),
    done,
    close: async () => void (await worker.terminate()),
  };
}

export async function reproduce(o: ReproduceOptions): Promise<{ out: string; rows: ResultRow[] }> {
  if (!Number.isInteger(o.runs) || o.runs < 1) throw new UserError(`--runs must be a positive integer, got ${o.runs}`);
  await checkExecutorFlags(o);
  // One process per run folder: a second one would interleave rows and overwrite models.
  return inRunFolder(o.out, () => reproduceLocked(o));
}

async function reproduceLocked(o: ReproduceOptions): Promise<{ out: string; rows: ResultRow[] }> {
  const t0 = Date.now();
  const timings: Record<string, number> = {};
  const progress = createProgress({ quiet: o.quiet });
  const paths = runPaths(o.out);
  // The engine is part of the run's identity: resolve the default before it is recorded.
  o = { ...o, engine: o.engine ?? defaultTrainEngine() };

  let sessions: RunSession[] = [];
  const previous = readRunRecord(o.out);
  if (previous) {
    sessions = checkResumable(o.out, previous, o as unknown as Record<string, unknown>, NOT_IDENTITY);
    const { removed, tornBytes } = repairRunFolder(o.out);
    progress.log(`resuming the run in ${o.out}${removed.length ? ` (removed ${removed.length} temp file(s) of the interrupted run)` : ''}${tornBytes ? ' (dropped its torn last result line)' : ''}`);
  }

  const backend = await selectBackend(o.backend);
  const previousSession = sessions[sessions.length - 1];
  if (previousSession && (previousSession.backend !== backend.name || previousSession.engine !== o.engine)) {
    progress.log(`note: the interrupted run used backend '${previousSession.backend}', engine '${previousSession.engine}'; this one uses '${backend.name}', '${o.engine}' (run.json records both)`);
  }
  sessions = [...sessions, { started: new Date(t0).toISOString(), backend: backend.name, engine: o.engine! }];
  progress.log(`weightscope reproduce: ${o.dataset}, training engine '${o.engine}', tfjs backend '${backend.name}', output ${o.out}`);

  let t = Date.now();
  const data = loadDataset(o.dataset, { dataDir: o.dataDir });
  const ranking = loadSsimRanking(o.dataset);
  const blobs = new MemoryBlobStore();
  const study = await planStudy(o, data, ranking.rows, blobs);
  const tasks = study.tasks.map(({ task, classes, difficulty, ssimDistance }) => ({ task, classes, difficulty, ssimDistance }));
  timings.data_s = (Date.now() - t) / 1000;

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
    sweep: { ...DEFAULT_SWEEP, ...study.sweep, evaluationsPerModel: study.evaluations.length },
    ssim: { method: ranking.method, samplesPerPair: ranking.samplesPerPair, seed: ranking.seed, imagesPerClass: ranking.imagesPerClass },
    timings: { ...timings, total_s: (Date.now() - t0) / 1000 },
    ...extra,
  });
  writeRunRecord(o.out, runRecord('running'));

  const rows = readResultsLog(paths.results);
  const done = new Set(rows.map(rowKey));
  const discardedOf = (models: StudyModel[]): Record<string, unknown>[] =>
    models.flatMap((m) => m.discarded.map((d) => ({ task: m.task.task, run: m.run, ...d })));

  // Graphs and statistics of every model's layers: on a worker thread, as models become known.
  const graphs = exportGraphsInBackground(study.tasks.length * o.runs, (seconds) => (timings.graphs_s = seconds));
  const executor = await createExecutor(executorChoice(o));
  const stages: { train?: Stage; probe?: Stage } = {};
  const stop = (which: 'train' | 'probe'): void => {
    stages[which]?.stop();
    delete stages[which];
  };
  let evals = { done: 0, total: 0 };
  let outcome;
  t = Date.now();
  try {
    outcome = await runStudy({
      study, root: o.out, executor, blobs, done,
      events: {
        training: (n, total) => (stages.train ??= progress.stage(`train ${total / o.epochs} models`, total, 'epochs')).update(n, total),
        log: (line) => progress.log(line),
        model: (m) => graphs.add(study.tasks.indexOf(m.task) * o.runs + m.run, { dir: o.graphs === false ? null : paths.graphDir(m.task.task, m.run), task: m.task.task, run: m.run, layers: m.model.layers }),
        trainingDone: (models) => {
          stop('train');
          timings.train_s = (Date.now() - t) / 1000;
          if (models.some((m) => m.discarded.length)) writeRunRecord(o.out, runRecord('running', { discarded: discardedOf(models) }));
          // One bar at a time on a terminal: the evaluations' bar starts when training is done.
          stages.probe = progress.stage(`probe ${study.tasks.length} tasks × ${o.runs} runs`, evals.total, 'evals');
          stages.probe.update(evals.done, evals.total);
        },
        evaluations: (n, total) => {
          evals = { done: n, total };
          stages.probe?.update(n, total);
        },
      },
    });
  } catch (err) {
    await graphs.close();
    throw err;
  } finally {
    stop('train');
    stop('probe');
    await executor.close();
  }
  timings.probe_s = (Date.now() - t) / 1000;
  const { models } = outcome;

  let layerStats: ReportInput['layers'];
  try {
    layerStats = await graphs.done;
  } finally {
    await graphs.close();
  }

  t = Date.now();
  const unique = sortRowsByPlan(study, uniqueRows([...rows, ...outcome.rows]));
  writeFileAtomic(paths.resultsCsv, rowsToCsv(unique));
  writeJsonAtomic(paths.ssim, ranking);
  const trained = models.map((m) => ({ task: m.task.task, run: m.run, trainSeed: m.trainSeed, attempts: m.attempts, testAccuracy: m.testAccuracy }));
  const discarded = discardedOf(models);
  writeReport(o.out, {
    rows: unique,
    tasks: tasks.map((tp) => ({ task: tp.task, dataset: o.dataset, classes: tp.classes, difficulty: tp.difficulty, ssimDistance: tp.ssimDistance })),
    ssim: ranking.rows,
    config: runRecord('complete', { models: trained, discarded }),
    layers: layerStats,
  });
  timings.report_s = (Date.now() - t) / 1000;
  writeRunRecord(o.out, runRecord('complete', { models: trained, discarded, finished: new Date().toISOString() }));
  progress.log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${paths.report}`);
  return { out: o.out, rows: unique };
}
