/**
 * The runners of the multi-task study's jobs (types.ts), called through the registry: train one
 * network from its seeds; measure one network — its baseline row (accuracy, representation
 * metrics, weight lens, raw-observation baseline) and a row per probe (accuracy and decoding of the
 * probed network). Plain JavaScript throughout (no tfjs), so every executor gives the same bits.
 *
 * What a runner decodes (networks) or builds (test sets) it keeps per key in this thread, a few at a
 * time: an interrupted model's jobs, or jobs of one world, do not rebuild them.
 */
import { findLayer, type DenseModel } from '../../../core/layer.js';
import type { ResultRow } from '../../../core/results.js';
import { Rng } from '../../../core/rng.js';
import { UserError } from '../../../core/errors.js';
import { linearBoundR2 } from '../../../data/latent-tasks.js';
import { applyProbe } from '../../../probes/probes.js';
import { blobHash } from '../../blobs.js';
import { Lru } from '../../lru.js';
import { requireFloat32, type BlobHash, type BlobSource, type JobProgress } from '../../types.js';
import { deserializeNet, serializeNet } from './blobs.js';
import { makeTestSet, makeWorld, epochSamples, type Setting, type TestSet, type World } from './data.js';
import { lensStats } from './lens.js';
import { accuracyOf, asSamples, decodingScores, representationMetrics, type DecodingScores } from './metrics.js';
import { hiddenLayerName, initNet, netConfigOf, runNet, trainNet, type NetConfig } from './net.js';
import { rowIdentity } from './plan.js';
import type { ModelSpec, MultitaskEvalJob, MultitaskEvalJobResult, MultitaskTrainJob, MultitaskTrainJobResult, StudyItem } from './types.js';

const settingOf = (spec: ModelSpec): Setting => ({ latentDim: spec.latentDim, tasks: spec.tasks, noise: spec.noise, observation: spec.observation, steps: spec.steps });

/** A finite number, or null (JSON has no NaN: results.jsonl and memory must agree). */
const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

function finiteFields<T extends object>(o: T): Record<keyof T, number | null> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, finite(v as number)])) as Record<keyof T, number | null>;
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Train one network; progress in epochs. */
export async function runMultitaskTrain(job: MultitaskTrainJob, _blobs: BlobSource, onEvent?: JobProgress): Promise<MultitaskTrainJobResult> {
  requireFloat32(job.dtype);
  const setting = settingOf(job.spec);
  const world = makeWorld(setting, job.seeds);
  const config: NetConfig = { kind: job.spec.model, inputs: world.map.outDim, hidden: job.spec.hidden, outputs: job.spec.tasks, steps: job.spec.steps };
  const model = initNet(config, job.seeds.init);
  const t0 = Date.now();
  const history = trainNet(model, config, job.training, (e) => epochSamples(world, setting, job.seeds.data, e, job.training.samplesPerEpoch), (e) => onEvent?.({ type: 'progress', done: e + 1 }));
  const bytes = serializeNet(model);
  const hash = blobHash(bytes);
  return { kind: 'train-multitask', id: job.id, model: hash, made: [{ hash, bytes }], history, seconds: (Date.now() - t0) / 1000 };
}

const networks = new Lru<DenseModel>(4);
const testSets = new Lru<{ world: World; test: TestSet }>(4);

function testSetOf(job: MultitaskEvalJob): Promise<{ world: World; test: TestSet }> {
  const s = job.spec;
  const key = JSON.stringify([s.observation, s.latentDim, s.tasks, s.noise, s.steps, job.seeds, job.testSamples]);
  return testSets.get(key, async () => {
    const world = makeWorld(settingOf(s), job.seeds);
    return { world, test: makeTestSet(world, settingOf(s), job.seeds.test, job.testSamples) };
  });
}

/** The columns every row of a model carries: what the model is. */
function modelColumns(spec: ModelSpec): Record<string, string | number> {
  return { tasks: spec.tasks, noise: spec.noise, latent_dim: spec.latentDim, model: spec.model, observation: spec.observation, steps: spec.steps };
}

/** Decoding scores of a representation, or nulls where a probed network's representation cannot be decoded (non-finite activations). */
function decodingOrNull(values: Float64Array, n: number, width: number, latents: ReturnType<typeof asSamples>, seed: number): Record<keyof DecodingScores, number | null> {
  try {
    return finiteFields(decodingScores(asSamples(values, n, width, 'representation'), latents, seed));
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    return { ood_r2: null, ood_r2_median: null, ood_r2_centre: null, id_r2: null };
  }
}

/** The baseline row: everything about the unprobed network. */
async function baselineRow(job: MultitaskEvalJob, model: DenseModel, c: NetConfig, world: World, test: TestSet): Promise<Record<string, unknown>> {
  const { n } = test;
  const K = job.spec.tasks;
  const D = job.spec.latentDim;
  const seed = job.seeds.metrics;
  const latents = asSamples(test.z, n, D, 'latents');
  const clean = runNet(model, c, test.clean, n);
  const noisy = runNet(model, c, test.noisy, n);
  const acc = accuracyOf(clean.logits, test.labels, n, K);
  const rep = asSamples(clean.hidden, n, clean.hiddenWidth, 'representation');
  const metrics = representationMetrics(rep, latents, world.taskSet, seed, job.fitSamples);
  await yieldToLoop();
  const noisyDecoding = decodingOrNull(noisy.hidden, n, noisy.hiddenWidth, latents, seed);
  const raw = decodingScores(asSamples(test.observations, n, world.map.outDim, 'observations'), latents, seed);
  const rawNoisy = decodingScores(asSamples(test.noisyObservations, n, world.map.outDim, 'observations'), latents, seed);
  await yieldToLoop();
  const lens = lensStats(findLayer(model, hiddenLayerName(job.spec.model)), rep, latents, seed);
  return {
    accuracy: acc.mean,
    accuracy_min: acc.min,
    accuracy_noisy: accuracyOf(noisy.logits, test.labels, n, K).mean,
    task_accuracies: Array.from(acc.perTask, (a) => Number(a.toFixed(6))).join(';'),
    ...finiteFields(metrics),
    ood_r2_noisy: noisyDecoding.ood_r2,
    r2_bound_noisy: finite(linearBoundR2(job.spec.noise, job.spec.steps)),
    raw_ood_r2: finite(raw.ood_r2),
    raw_ood_r2_median: finite(raw.ood_r2_median),
    raw_ood_r2_centre: finite(raw.ood_r2_centre),
    raw_id_r2: finite(raw.id_r2),
    raw_ood_r2_noisy: finite(rawNoisy.ood_r2),
    ...finiteFields(lens),
  };
}

/** A probe's row: accuracy and decoding of the probed network. */
function probeRow(job: MultitaskEvalJob, model: DenseModel, c: NetConfig, test: TestSet, item: StudyItem): Record<string, unknown> {
  const probed = applyProbe(model, { probe: item.probe, variant: item.variant, signed: item.signed, level: item.level, layer: 'all' }, new Rng(item.seed));
  const out = runNet(probed, c, test.clean, test.n);
  const acc = accuracyOf(out.logits, test.labels, test.n, job.spec.tasks);
  const latents = asSamples(test.z, test.n, job.spec.latentDim, 'latents');
  return { accuracy: acc.mean, accuracy_min: acc.min, ...decodingOrNull(out.hidden, test.n, out.hiddenWidth, latents, job.seeds.metrics) };
}

/** Measure one network: its items in order; progress in items. */
export async function runMultitaskEval(job: MultitaskEvalJob, blobs: BlobSource, onEvent?: JobProgress): Promise<MultitaskEvalJobResult> {
  requireFloat32(job.dtype);
  const model = await networks.get(job.model, async () => deserializeNet(await blobs.get(job.model as BlobHash)));
  const c = netConfigOf(model, job.spec.model, job.spec.steps);
  const { world, test } = await testSetOf(job);
  if (c.inputs !== world.map.outDim || c.outputs !== job.spec.tasks) {
    throw new UserError(`network ${job.model.slice(0, 12)} reads ${c.inputs} observations into ${c.outputs} heads; the job's setting has ${world.map.outDim} and ${job.spec.tasks}`);
  }
  const rows: ResultRow[] = [];
  const planned = { slot: job.target, spec: job.spec };
  for (const item of job.items) {
    const measured = item.probe === 'baseline' && item.variant === 'reference' ? await baselineRow(job, model, c, world, test) : probeRow(job, model, c, test, item);
    rows.push({ ...rowIdentity(item, planned), n_test: test.n, ...modelColumns(job.spec), ...measured } as unknown as ResultRow);
    onEvent?.({ type: 'progress', done: rows.length });
    // Let the event loop breathe between measurements (messages, a Redis worker's lock renewal).
    await yieldToLoop();
  }
  return { kind: 'eval-multitask', id: job.id, rows };
}
