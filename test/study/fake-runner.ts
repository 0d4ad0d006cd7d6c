/**
 * A small deterministic JobRunner for testing executors apart from the real one: each row's
 * accuracy is a function of the job's fields and of the bytes of the blobs it reads (so a wrong
 * or missing blob changes the result), and a job takes WEIGHTSCOPE_FAKE_JOB_MS to run (so a test
 * can kill a worker mid-job). Train jobs return a "model" blob made from their inputs, as the real runner returns its model's bytes.
 * Its jobs pass a worker's check (src/study/registry.ts checkJob), so two base seeds ask for
 * misbehaviour instead: EXPLODE_SEED fails every evaluation, SLOW_SEED makes an evaluation take a
 * minute (reporting progress every 50 ms), for testing a worker's time limit.
 */
import { createHash } from 'node:crypto';
import type { Job, JobResult, JobRunner } from '../../src/study/types.js';
import type { EvalJob, EvalJobResult, TrainJob, TrainJobResult } from '../../src/study/kinds/reference/types.js';
import type { ResultRow } from '../../src/core/results.js';
import { blobHash } from '../../src/study/blobs.js';

function digest(...parts: (string | Uint8Array)[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** An eval job with this base seed throws on its first evaluation. */
export const EXPLODE_SEED = 666;
/** An eval job with this base seed runs for a minute per evaluation, reporting progress every 50 ms. */
export const SLOW_SEED = 777;

export const fakeRunner: JobRunner = async (any, blobs, onEvent) => {
  const ms = Number(process.env.WEIGHTSCOPE_FAKE_JOB_MS ?? 20);
  if (any.kind === 'train') {
    const job = any as TrainJob;
    const [train, test] = await Promise.all([blobs.get(job.train), blobs.get(job.test)]);
    await new Promise((r) => setTimeout(r, ms));
    const model = new Uint8Array(digest(job.id, train, test, String(job.seeds[0])));
    const hash = blobHash(model);
    const result: TrainJobResult = { kind: 'train', id: job.id, model: hash, made: [{ hash, bytes: model }], trainSeed: job.seeds[0], attempts: 1, testAccuracy: model[0] / 255, nTest: test.length, discarded: [], history: [], backend: 'fake' };
    return result;
  }
  if (any.kind !== 'eval') throw new Error(`fake runner: no ${any.kind} jobs`);
  const job = any as EvalJob;
  const [model, test] = await Promise.all([blobs.get(job.model), blobs.get(job.test)]);
  const rows: ResultRow[] = [];
  for (const [i, e] of job.evals.entries()) {
    if (job.baseSeed === EXPLODE_SEED) throw new Error(`fake runner: base seed ${EXPLODE_SEED} explodes`);
    if (job.baseSeed === SLOW_SEED) {
      for (let t = 0; t < 60_000; t += 50) {
        await new Promise((r) => setTimeout(r, 50));
        onEvent?.({ type: 'progress', done: i });
      }
    }
    await new Promise((r) => setTimeout(r, ms / job.evals.length));
    const d = digest(model, test, JSON.stringify(e), String(job.baseSeed));
    rows.push({ task: job.target.task, difficulty: job.target.difficulty, probe: e.spec.probe, variant: e.spec.variant, signed: e.spec.signed, level: e.spec.level, layer: e.spec.layer, run: job.target.run, seed: e.rep, accuracy: d.readUInt32BE(0) / 2 ** 32, n_test: test.length, inputs: job.target.inputs });
    onEvent?.({ type: 'progress', done: i + 1 });
  }
  const result: EvalJobResult = { kind: 'eval', id: job.id, rows };
  return result;
};

/** Blobs for the fake jobs: a "test split" and a "model". */
export function fakeBlobs(): { test: Uint8Array; model: Uint8Array } {
  return { test: new Uint8Array(digest('test split')), model: new Uint8Array(Buffer.concat([digest('model'), digest('model 2')])) };
}

/** `n` eval jobs of `perJob` evaluations each, over the given blob hashes. */
export function fakeEvalJobs(n: number, perJob: number, hashes: { model: string; test: string }, baseSeed = 1): EvalJob[] {
  return Array.from({ length: n }, (_, k) => ({
    kind: 'eval',
    id: `eval/fake-0v1/run-0/${k * perJob}-${(k + 1) * perJob - 1}`,
    target: { task: 'fake-0v1', difficulty: 'custom', run: 0, inputs: 'pm1' },
    model: hashes.model,
    test: hashes.test,
    evals: Array.from({ length: perJob }, (_, i) => ({ spec: { probe: 'prune', variant: 'reference', signed: false, level: (k * perJob + i) / (n * perJob), layer: 'all' }, rep: 0 })),
    baseSeed,
    testBatch: 0,
    dtype: 'float32',
  }));
}

export function fakeTrainJob(run: number, hashes: { train: string; test: string }): TrainJob {
  return {
    kind: 'train', id: `train/fake-0v1/run-${run}`, target: { task: 'fake-0v1', difficulty: 'custom', run, inputs: 'pm1' },
    train: hashes.train, test: hashes.test,
    mlp: { inputSize: 4, hidden: [4], activation: 'relu', head: 'softmax' },
    training: { epochs: 1, batchSize: 8, learningRate: 0.1, cosineTMax: 1, engine: 'sparse', earlyStoppingPatience: 0 },
    dtype: 'float32', seeds: [run + 10], minAccuracy: 0,
  };
}

/** Rows of results in one canonical order, for comparing executors. */
export function sortedRows(results: JobResult[]): ResultRow[] {
  return results.flatMap((r) => (r.kind === 'eval' ? (r as EvalJobResult).rows : [])).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

export type { Job };
