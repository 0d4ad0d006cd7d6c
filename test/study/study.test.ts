/**
 * The study layer end to end on real MNIST: the same small plan run in this thread and on the
 * worker-thread pool gives the same rows bit for bit, each evaluation exactly once; a resumed run
 * runs only the jobs whose rows are missing; job ids are stable and say what a job is.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../src/core/errors.js';
import { rowKey } from '../../src/core/results.js';
import { runPaths } from '../../src/core/run-folder.js';
import { MemoryBlobStore } from '../../src/study/blobs.js';
import { createInProcessExecutor, createThreadPoolExecutor } from '../../src/study/executors/index.js';
import { evalJobs, trainJob, trainJobs } from '../../src/study/kinds/reference/plan.js';
import type { EvalJob, TrainJob } from '../../src/study/kinds/reference/types.js';
import type { Executor, Job } from '../../src/study/types.js';
import { planSmallStudy, runSmallStudy, SMALL_EVAL_CHUNK, SMALL_STUDY, type SmallRun } from './small-plan.js';

/** An executor that records the jobs it was given, then runs them on `inner`. */
function recording(inner: Executor): Executor & { jobs: Job[] } {
  const jobs: Job[] = [];
  return { name: `recording ${inner.name}`, jobs, run: (js, ...rest) => (jobs.push(...js), inner.run(js, ...rest)), close: () => inner.close() };
}

let inProcess: SmallRun;

test('in-process and on the thread pool, the small plan gives identical rows: nothing lost, nothing twice', async () => {
  const local = recording(createInProcessExecutor());
  try {
    inProcess = await runSmallStudy(local);
  } finally {
    await local.close();
  }
  const threadPool = createThreadPoolExecutor({ workers: 2 });
  const pool = recording(threadPool);
  let threads: SmallRun;
  try {
    threads = await runSmallStudy(pool);
  } finally {
    await pool.close();
  }
  // Each worker is sent a blob once: at most 2 workers × 8 blobs (2 training splits, 2 test
  // splits, 4 models), far fewer than the 2 blobs each of the 24 jobs reads.
  assert.ok(threadPool.blobsSent >= 4 && threadPool.blobsSent <= 16, `blobs sent: ${threadPool.blobsSent}`);
  const perModel = inProcess.study.evaluations.length;
  assert.equal(perModel, 109, 'the --quick sweep: 1 + 4 + 40 + 14 + 18 + 32 evaluations');
  const models = 2 * SMALL_STUDY.runs;
  assert.equal(inProcess.rows.length, models * perModel);
  assert.equal(new Set(inProcess.rows.map(rowKey)).size, models * perModel, 'each evaluation once');
  assert.equal(JSON.stringify(threads.rows), JSON.stringify(inProcess.rows), 'same rows, bit for bit');
  // Both executors ran the same jobs: 4 trainings and ⌈109/25⌉ = 5 eval jobs per model.
  const ids = (e: { jobs: Job[] }): string[] => e.jobs.map((j) => j.id).sort();
  assert.deepEqual(ids(pool), ids(local));
  assert.equal(local.jobs.filter((j) => j.kind === 'train').length, models);
  assert.equal(local.jobs.filter((j) => j.kind === 'eval').length, models * Math.ceil(perModel / SMALL_EVAL_CHUNK));
  // The trained models are the same files.
  for (const { slot, record } of inProcess.outcome.models) {
    const dir = (r: SmallRun): string => runPaths(r.root).modelDir(slot.task, slot.run);
    assert.ok(readFileSync(join(dir(threads), 'weights.bin')).equals(readFileSync(join(dir(inProcess), 'weights.bin'))), `${slot.task} run ${slot.run}`);
    assert.ok(record!.test!.accuracy > 0.6, `${slot.task} run ${slot.run} trains (${record!.test!.accuracy})`);
  }
});

test('a resumed run runs only the missing jobs, and ends with the same rows', async () => {
  assert.ok(inProcess, 'needs the first test');
  const root = join(inProcess.root, '..', 'resumed');
  const paths = runPaths(root);
  // The interrupted run had trained mnist-0v7's models and written every row of run 0 and the
  // first 30 rows of run 1 (one whole job and part of the next).
  mkdirSync(root, { recursive: true });
  for (const run of [0, 1]) cpSync(runPaths(inProcess.root).modelDir('mnist-0v7', run), paths.modelDir('mnist-0v7', run), { recursive: true });
  // ...and run 1's training.json in the shape reproduce wrote before records had one (no formatVersion).
  const current = JSON.parse(readFileSync(join(paths.modelDir('mnist-0v7', 1), 'training.json'), 'utf8'));
  const legacy = { seed: current.seed, attempts: current.attempts, backend: current.backend, history: current.history, testAccuracy: current.test.accuracy, discarded: current.discarded };
  writeFileSync(join(paths.modelDir('mnist-0v7', 1), 'training.json'), JSON.stringify(legacy));
  const kept = inProcess.rows.filter((r) => r.task === 'mnist-0v7' && r.run === 0).concat(
    inProcess.study.evaluations.slice(0, 30).map((e) => inProcess.rows.find((r) => r.task === 'mnist-0v7' && r.run === 1 && r.probe === e.spec.probe && r.variant === e.spec.variant && r.signed === e.spec.signed && r.level === e.spec.level && (r.bias ?? 'trained') === (e.spec.bias ?? 'trained'))!),
  );
  writeFileSync(paths.results, kept.map((r) => JSON.stringify(r) + '\n').join(''));
  const local = recording(createInProcessExecutor());
  let resumed: SmallRun;
  try {
    resumed = await runSmallStudy(local, { root });
  } finally {
    await local.close();
  }
  assert.deepEqual(local.jobs.filter((j) => j.kind === 'train').map((j) => j.id), ['train/mnist-7v9/run-0', 'train/mnist-7v9/run-1']);
  const evals = local.jobs.filter((j): j is EvalJob => j.kind === 'eval') as EvalJob[];
  assert.deepEqual(evals.filter((j) => j.target.task === 'mnist-0v7').map((j) => [j.id, j.evals.length]), [
    ['eval/mnist-0v7/run-1/25-49', 20], ['eval/mnist-0v7/run-1/50-74', 25], ['eval/mnist-0v7/run-1/75-99', 25], ['eval/mnist-0v7/run-1/100-108', 9],
  ]);
  assert.equal(evals.reduce((a, j) => a + j.evals.length, 0), 4 * 109 - kept.length, 'every missing evaluation, none twice');
  assert.equal(JSON.stringify(resumed.rows), JSON.stringify(inProcess.rows));
  assert.deepEqual(resumed.outcome.models.map((m) => m.trained), [false, false, true, true]);
  // The legacy record read as the current shape: the same seed, attempts and accuracy, in run.json too.
  const upgraded = resumed.outcome.models[1].record!;
  assert.deepEqual([upgraded.formatVersion, upgraded.seed, upgraded.attempts, upgraded.test!.accuracy], [1, current.seed, current.attempts, current.test.accuracy]);
  const run = JSON.parse(readFileSync(paths.record, 'utf8'));
  assert.deepEqual(run.models.map((m: { task: string; run: number; trained: boolean }) => [m.task, m.run, m.trained]), [['mnist-0v7', 0, false], ['mnist-0v7', 1, false], ['mnist-7v9', 0, true], ['mnist-7v9', 1, true]]);
  assert.equal(run.models[1].seed, current.seed);
});

test('job ids are stable: the same plan gives the same jobs, whatever order its tasks are listed in', async () => {
  const a = await planSmallStudy(new MemoryBlobStore());
  const b = await planSmallStudy(new MemoryBlobStore(), { pairs: '7v9,0v7' });
  const byId = (jobs: Job[]): Map<string, string> => new Map(jobs.map((j) => [j.id, JSON.stringify(j)]));
  const trainA = byId(trainJobs(a));
  assert.deepEqual([...trainA.keys()], ['train/mnist-0v7/run-0', 'train/mnist-0v7/run-1', 'train/mnist-7v9/run-0', 'train/mnist-7v9/run-1']);
  assert.deepEqual(byId(trainJobs(b)), new Map([...byId(trainJobs(b)).keys()].map((id) => [id, trainA.get(id)!])), 'same id, same job (seeds, blobs, settings)');
  const model = 'f'.repeat(64);
  const evalsOf = (s: typeof a): Map<string, string> => byId(s.tasks.flatMap((t) => [0, 1].flatMap((run) => evalJobs(s, t, run, model))));
  assert.deepEqual(evalsOf(b), evalsOf(a));
  assert.equal(evalsOf(a).size, 4 * 5, 'ids are unique');
  assert.ok([...evalsOf(a).keys()].includes('eval/mnist-7v9/run-1/100-108'));
  // Another seed is another study: the train jobs carry other seeds under the same ids.
  const c = await planSmallStudy(new MemoryBlobStore(), { seed: 4 });
  assert.notDeepEqual(trainJob(c, c.tasks[0], 0).seeds, trainJob(a, a.tasks[0], 0).seeds);
});

test('a job that fails on a worker thread fails its run with the same one-line error', async () => {
  const blobs = new MemoryBlobStore();
  const study = await planSmallStudy(blobs);
  const job: TrainJob = { ...trainJob(study, study.tasks[0], 0), minAccuracy: 1, seeds: trainJob(study, study.tasks[0], 0).seeds.slice(0, 2) };
  const pool = createThreadPoolExecutor({ workers: 1 });
  const notes: string[] = [];
  try {
    await assert.rejects(pool.run([job], blobs, () => undefined, (_id, event) => event.type === 'seed-discarded' && notes.push(event.line)),
      (e: unknown) => e instanceof UserError && /^mnist-0v7 run 0: all 2 models trained stayed at or below 100.0% test accuracy/.test(e.message));
  } finally {
    await pool.close();
  }
  assert.equal(notes.length, 2, 'each discarded model is reported as it happens');
});
