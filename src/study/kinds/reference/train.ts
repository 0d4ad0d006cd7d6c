/**
 * `weightscope train`: MLPs of one class pair, trained as the reference study trains them — the
 * same train jobs (plan.ts trainJob: seeds, engine, backend, dtype, the discard rule with the
 * study's threshold for the pair's difficulty) run in this thread — and saved in the TensorFlow.js
 * layers format under `<out>/run-<k>/` with the study's training record.
 */
import { checkTrainingSizes } from './check.js';
import { UserError } from '../../../core/errors.js';
import { checkOutputDir } from '../../../core/io.js';
import { runSubdir } from '../../../core/run-folder.js';
import { loadDataset, loadSsimRanking, parsePairs, type DatasetName } from '../../../data/index.js';
import { defaultTrainEngine, selectBackend, type BackendName } from '../../../model/backend.js';
import { saveModel } from '../../../model/files.js';
import type { InputScaling } from '../../../model/split.js';
import { backendNameOf } from '../../backend.js';
import { MemoryBlobStore } from '../../blobs.js';
import { QUIET, type Progress } from '../../progress.js';
import { trainingRecord, writeTrainingRecord, type TrainingRecord } from '../../records.js';
import { deserializeModel } from './blobs.js';
import { runTrainJob } from './jobs.js';
import { MIN_ACCURACY, planReferenceStudy, trainJob } from './plan.js';
import type { TrainingFlags } from './tasks.js';

export interface TrainPairOptions extends TrainingFlags {
  dataset: DatasetName;
  dataDir?: string;
  /** One class pair, e.g. `0v7`. */
  pair: string;
  runs: number;
  seed: number;
  inputs: InputScaling;
  validationFraction: number;
  trainLimit?: number;
  testLimit?: number;
  /** Models go to `<out>/run-<k>/`. */
  out: string;
  backend?: BackendName;
}

export interface TrainedModel {
  dir: string;
  record: TrainingRecord;
}

/** Train `runs` models of one pair; each is saved (with its training.json) as soon as it is kept. */
export async function trainPair(o: TrainPairOptions, hooks: { progress?: Progress; onSaved?: (m: TrainedModel) => void } = {}): Promise<TrainedModel[]> {
  const progress = hooks.progress ?? QUIET;
  const pairs = parsePairs(o.pair);
  if (pairs.length !== 1) throw new UserError(`--pair takes one pair, got ${pairs.length}`);
  if (!Number.isInteger(o.runs) || o.runs < 1) throw new UserError(`--runs must be a positive integer, got ${o.runs}`);
  checkTrainingSizes(o); // bounds and memory, before any folder or data
  checkOutputDir(o.out); // before any training, also for the default folder
  const engine = o.engine ?? defaultTrainEngine();
  const backend = await selectBackend(o.backend);
  const blobs = new MemoryBlobStore();
  const study = await planReferenceStudy(
    { ...o, engine, pairs: o.pair, quick: false },
    loadDataset(o.dataset, { dataDir: o.dataDir }), loadSsimRanking(o.dataset).rows, blobs, { backend: backendNameOf(backend) },
  );
  const [task] = study.tasks;
  progress.log(`training ${o.runs} model(s) on ${task.task} with engine '${engine}' (tfjs backend '${backend.name}'); ` +
    `kept above ${(MIN_ACCURACY[task.difficulty] * 100).toFixed(0)}% test accuracy (the ${task.difficulty} pairs' discard rule, as reproduce)`);
  const out: TrainedModel[] = [];
  for (let run = 0; run < o.runs; run++) {
    const job = trainJob(study, task, run);
    let total = job.training.epochs;
    const stage = progress.stage(`train ${task.task} run ${run}`, total, 'epochs');
    let result;
    try {
      result = await runTrainJob(job, blobs, (event) => {
        if (event.type === 'progress') stage.update(event.done, total);
        else {
          progress.log(event.line);
          if (event.type === 'seed-discarded') total += event.addedWork;
        }
      });
    } finally {
      stage.stop();
    }
    const dir = runSubdir(o.out, run);
    saveModel(dir, deserializeModel(result.made[0].bytes!));
    const record = trainingRecord({
      model: 'mlp', task: task.task, run, seed: result.trainSeed, attempts: result.attempts, discarded: result.discarded, engine,
      backend: { name: result.backend, version: result.backendVersion }, test: { accuracy: result.testAccuracy, n: result.nTest },
      history: result.history, seconds: result.history.reduce((a, e) => a + e.seconds, 0), details: { inputs: o.inputs },
    });
    writeTrainingRecord(dir, record);
    out.push({ dir, record });
    hooks.onSaved?.({ dir, record });
  }
  return out;
}
