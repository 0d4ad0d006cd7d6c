/**
 * The runners of the twins study's jobs (types.ts): train one MLP of a family with the sparse
 * engine (weight-sparse training is its `density` constraint), and fingerprint one trained MLP on
 * the benchmark test set (compare's fingerprintMlp) plus its accuracy without the marker. Plain
 * single-threaded arithmetic throughout: the same job gives the same bytes in-process, on a worker
 * thread or on a Redis worker.
 */
import type { ProbeName } from '../../../core/results.js';
import { fingerprintMlp } from '../../../compare/fingerprint.js';
import { createEvaluator } from '../../../model/evaluator.js';
import { trainSparse } from '../../../model/train-loop.js';
import type { Split } from '../../../model/split.js';
import { blobHash } from '../../blobs.js';
import { Lru } from '../../lru.js';
import { requireFloat32, type BlobHash, type BlobSource, type JobProgress } from '../../types.js';
import { deserializeModel, deserializeSplit, serializeModel } from '../reference/blobs.js';
import type { TwinFingerprintJob, TwinFingerprintJobResult, TwinRow, TwinTrainJob, TwinTrainJobResult } from './types.js';

const splits = new Lru<Split>(4);
const splitOf = (hash: BlobHash, blobs: BlobSource): Promise<Split> => splits.get(hash, async () => deserializeSplit(await blobs.get(hash)).split);

/** The reference pairs' difficulty (docs/probing-methods); others are `custom`. */
const DIFFICULTY: Record<string, 'easy' | 'hard'> = { '0v7': 'easy', '7v9': 'hard' };

/** Fraction of non-zero entries. */
export function densityOf(w: Float32Array): number {
  let nz = 0;
  for (let i = 0; i < w.length; i++) if (w[i] !== 0) nz++;
  return w.length ? nz / w.length : 0;
}

export async function runTwinTrain(job: TwinTrainJob, blobs: BlobSource, onEvent?: JobProgress): Promise<TwinTrainJobResult> {
  requireFloat32(job.dtype);
  const [train, benchmark] = await Promise.all([splitOf(job.train, blobs), splitOf(job.benchmark, blobs)]);
  const r = await trainSparse(train, job.inputs, job.mlp, { ...job.training, engine: 'sparse', onProgress: (e) => onEvent?.({ type: 'progress', done: e.epoch }) });
  const bytes = serializeModel(r.model);
  const hash = blobHash(bytes);
  return {
    kind: 'train-twin', id: job.id, model: hash, made: [{ hash, bytes }], benchmarkAccuracy: createEvaluator(benchmark, job.inputs).accuracy(r.model),
    nTest: benchmark.n, density: densityOf(r.model.layers[0].weights), history: r.history, backend: r.backend.name, backendVersion: r.backend.version,
  };
}

export async function runTwinFingerprint(job: TwinFingerprintJob, blobs: BlobSource, onEvent?: JobProgress): Promise<TwinFingerprintJobResult> {
  requireFloat32(job.dtype);
  const [bytes, benchmark, clean] = await Promise.all([blobs.get(job.model), splitOf(job.benchmark, blobs), splitOf(job.clean, blobs)]);
  const model = deserializeModel(bytes);
  const t = job.target;
  const fp = fingerprintMlp(model, { test: benchmark, inputs: job.inputs, name: job.data, task: t.task }, {
    plan: job.plan, seed: job.seed, name: `${t.task}/run-${t.run}`, identity: { group: t.family, format: 'mlp' },
  });
  const noMarker = createEvaluator(clean, job.inputs).accuracy(model);
  const fingerprint = { ...fp.row, shift_nomarker: noMarker };
  const base = { task: t.task, difficulty: DIFFICULTY[t.pair] ?? 'custom', signed: false, layer: 'all', run: t.run, n_test: benchmark.n, inputs: job.inputs } as const;
  const rows: TwinRow[] = [
    { ...base, probe: 'baseline', variant: 'benchmark', level: 0, seed: 0, accuracy: Number(fp.row.accuracy), fingerprint },
    { ...base, probe: 'baseline', variant: 'no-marker', level: 0, seed: 0, accuracy: noMarker },
  ];
  // Every point of every probe curve, as tidy rows (results.csv).
  for (const c of fp.curves) {
    for (const p of c.points) rows.push({ ...base, probe: c.probe as ProbeName, variant: c.variant, signed: c.probe === 'binarize', level: p.level, seed: job.seed, accuracy: p.metric });
  }
  onEvent?.({ type: 'progress', done: 1 });
  return { kind: 'fingerprint-twin', id: job.id, rows };
}
