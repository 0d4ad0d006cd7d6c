/**
 * The reference study's study (kind.ts StudyDefinition): `weightscope reproduce`'s flags checked,
 * MNIST / Fashion-MNIST loaded and planned (plan.ts), models saved in the TensorFlow.js layers
 * format, each model's layers exported as signed bipartite graphs on a background thread as soon
 * as the model is known, and the report (report/html.ts) at the end. The run folder, resuming,
 * records and executors are the study layer's (run.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { UserError } from '../../../core/errors.js';
import { writeJsonAtomic } from '../../../core/io.js';
import type { DenseModel } from '../../../core/layer.js';
import { runPaths } from '../../../core/run-folder.js';
import { loadDataset, loadSsimRanking, parsePairs } from '../../../data/index.js';
import { defaultTrainEngine, selectBackend, type BackendName } from '../../../model/backend.js';
import { loadModel, saveModel } from '../../../model/files.js';
import { DEFAULT_SWEEP } from '../../../probes/sweep.js';
import { readRunFolder, writeReport, type ReportInput } from '../../../report/index.js';
import { backendNameOf } from '../../backend.js';
import type { ModelSlot, StudyDefinition, StudyRunOptions } from '../../kind.js';
import { trainingRecord } from '../../records.js';
import { deserializeModel, serializeModel } from './blobs.js';
import { checkTrainingSizes } from './check.js';
import { checkReferenceConfig, evalJobs, planReferenceStudy, sortRowsByPlan, trainJob, type ReferenceConfig } from './plan.js';
import type { TrainJobResult } from './types.js';

export interface ReferenceOptions extends ReferenceConfig, StudyRunOptions {
  /** The tfjs backend (the tfjs engine trains on it): default node if installed, else wasm, else cpu. */
  backend?: BackendName;
  /**
   * Write each layer's graph files (CSV + GEXF under graphs/; default true). false skips the files
   * (the report's degree statistics are still computed): for large studies, where writing 2 graph
   * files per layer costs more than the sweeps (`weightscope export` writes them on demand).
   */
  graphs?: boolean;
  /** Evaluations per eval job (default plan.ts DEFAULT_EVAL_CHUNK): how finely the work is cut, never what it computes. */
  evalChunk?: number;
}

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

/** Check the flags with nothing on disk: every refusal comes before a run folder exists. */
function check(o: ReferenceOptions): void {
  checkReferenceConfig(o);
  checkTrainingSizes(o); // the bounds a worker checks its jobs against, and the memory estimate
  if (!['reference', 'auto', 'all'].includes(o.pairs)) parsePairs(o.pairs);
  for (const [flag, v] of Object.entries({ epochs: o.epochs, 'batch-size': o.batchSize })) {
    if (!Number.isInteger(v) || v < 1) throw new UserError(`--${flag} must be a positive integer, got ${v}`);
  }
  if (!(o.learningRate > 0)) throw new UserError(`--lr must be a positive number, got ${o.learningRate}`);
  if (o.evalChunk !== undefined && (!Number.isInteger(o.evalChunk) || o.evalChunk < 1)) throw new UserError(`the eval job size must be a positive integer, got ${o.evalChunk}`);
}

export const referenceStudy: StudyDefinition<ReferenceOptions> = {
  kind: 'reference',
  command: 'reproduce',
  model: 'mlp',
  notIdentity: ['backend', 'graphs', 'evalChunk'],
  check,

  async resolve(o) {
    // The default engine is part of the run's identity: resolved before it is recorded. The tfjs
    // backend goes into every tfjs-engine train job.
    const engine = o.engine ?? defaultTrainEngine();
    const backend = await selectBackend(o.backend);
    return { options: { ...o, engine }, backend, engine };
  },

  async plan(o, ctx) {
    const paths = runPaths(ctx.root);
    const data = loadDataset(o.dataset, { dataDir: o.dataDir });
    const ranking = loadSsimRanking(o.dataset);
    const study = await planReferenceStudy(o, data, ranking.rows, ctx.blobs, { evalChunk: o.evalChunk, backend: backendNameOf(ctx.backend) });
    const tasks = study.tasks.map(({ task, classes, difficulty, ssimDistance }) => ({ task, classes, difficulty, ssimDistance }));
    const slots: ModelSlot[] = study.tasks.flatMap((t) => Array.from({ length: o.runs }, (_, run) => ({ task: t.task, run })));
    const indexOf = (slot: ModelSlot): number => slots.findIndex((s) => s.task === slot.task && s.run === slot.run);
    const taskOf = (slot: ModelSlot) => study.tasks.find((t) => t.task === slot.task)!;
    // Graphs and statistics of every model's layers: on a worker thread, as models become known.
    let graphsSeconds: number | undefined;
    const graphs = exportGraphsInBackground(slots.length, (seconds) => (graphsSeconds = seconds));
    return {
      summary: `${o.dataset}, ${tasks.length} task${tasks.length === 1 ? '' : 's'} × ${o.runs} run${o.runs === 1 ? '' : 's'}, training engine '${o.engine}', tfjs backend '${ctx.backend.name}'`,
      record: () => ({
        tasks,
        sweep: { ...DEFAULT_SWEEP, ...study.sweep, evaluationsPerModel: study.evaluations.length },
        ssim: { method: ranking.method, samplesPerPair: ranking.samplesPerPair, seed: ranking.seed, imagesPerClass: ranking.imagesPerClass },
      }),
      models: slots,
      stages: { train: `train ${slots.length} models`, trainUnit: 'epochs', probe: `probe ${tasks.length} tasks × ${o.runs} runs` },
      loadSaved: (_slot, dir) => (existsSync(join(dir, 'model.json')) ? serializeModel(loadModel(dir)) : null),
      trainJob: (slot) => trainJob(study, taskOf(slot), slot.run),
      saveTrained(slot, dir, result, bytes) {
        const r = result as TrainJobResult;
        saveModel(dir, deserializeModel(bytes));
        return trainingRecord({
          model: 'mlp', task: slot.task, run: slot.run, seed: r.trainSeed, attempts: r.attempts, discarded: r.discarded,
          engine: o.engine!, backend: { name: r.backend, version: r.backendVersion }, test: { accuracy: r.testAccuracy, n: r.nTest },
          history: r.history, seconds: r.history.reduce((a, e) => a + e.seconds, 0), details: { inputs: o.inputs },
        });
      },
      evalJobs: (slot, model, done) => evalJobs(study, taskOf(slot), slot.run, model, done),
      modelKnown(m, bytes) {
        const { slot } = m;
        graphs.add(indexOf(slot), { dir: o.graphs === false ? null : paths.graphDir(slot.task, slot.run), task: slot.task, run: slot.run, layers: deserializeModel(bytes).layers });
      },
      sortRows: (rows) => sortRowsByPlan(study, rows),
      async report(r) {
        const layers = await graphs.done;
        if (graphsSeconds !== undefined) r.timings.graphs_s = graphsSeconds;
        writeJsonAtomic(paths.ssim, ranking);
        writeReport(r.root, {
          rows: r.rows,
          tasks: tasks.map((tp) => ({ task: tp.task, dataset: o.dataset, classes: tp.classes, difficulty: tp.difficulty, ssimDistance: tp.ssimDistance })),
          ssim: ranking.rows,
          config: r.record,
          layers,
        });
      },
      close: () => graphs.close(),
    };
  },
};

/** Rebuild report.html and summary.json of a reference run folder from its results (`weightscope report`). */
export function rebuildReferenceReport(root: string, options: { foldBelowChance?: boolean }): string {
  writeReport(root, { ...readRunFolder(root), summaryOptions: { foldBelowChance: options.foldBelowChance ?? false } });
  return runPaths(root).report;
}
