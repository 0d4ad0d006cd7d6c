/**
 * The data of one model of the multi-task study, made from seeds (src/data/latent-tasks.ts): its
 * world — the frozen observation map and the K hyperplane tasks — its training stream (fresh
 * latents and fresh noise every epoch, as the paper draws new trials) and its test set. Jobs make
 * their data themselves: nothing travels but seeds.
 *
 * Seeds (plan.ts): the map, the task normals (D > 2) and the test set depend on the latent
 * dimension and the run only, so every model of one run and dimension sees the same world and is
 * tested on the same latents whatever its K and σ (a paired design); the training stream and the
 * initial weights depend on the model.
 */
import { Rng } from '../../../core/rng.js';
import {
  makeLatentTasks, makeObservationMap, noisyObservations, observe, sampleLatents, taskLabels, type LatentTaskSet, type ObservationMap, type ObservationMapKind,
} from '../../../data/latent-tasks.js';
import type { EpochData } from './net.js';

/** What one model is trained on. */
export interface Setting {
  latentDim: number;
  tasks: number;
  /** σ of the Gaussian noise on the latent, per look. */
  noise: number;
  observation: ObservationMapKind;
  /** Looks per sample (1 for the MLP, T for the RNN). */
  steps: number;
}

export interface WorldSeeds {
  /** The observation map. */
  map: number;
  /** The task normals (D > 2; the D = 2 lines are fixed). */
  tasks: number;
}

export interface World {
  map: ObservationMap;
  taskSet: LatentTaskSet;
}

export function makeWorld(s: Setting, seeds: WorldSeeds): World {
  return { map: makeObservationMap(s.observation, s.latentDim, seeds.map), taskSet: makeLatentTasks({ latentDim: s.latentDim, tasks: s.tasks, seed: seeds.tasks }) };
}

/** Epoch e of the training stream: n fresh latents, their labels and their noisy looks, drawn from rng.fork('epoch', e). */
export function epochSamples(w: World, s: Setting, seed: number, epoch: number, n: number): EpochData {
  const rng = new Rng(seed).fork('epoch', epoch);
  const z = sampleLatents(n, s.latentDim, rng.fork('latents'));
  const x = noisyObservations(w.map, z, { sigma: s.noise, steps: s.steps, rng: rng.fork('noise') });
  return { x: Float32Array.from(x), labels: taskLabels(w.taskSet, z), n };
}

/** A test set: latents, their labels, the clean looks (σ = 0, each look the same) and noisy looks at the training σ. */
export interface TestSet {
  n: number;
  z: Float64Array;
  labels: Uint8Array;
  clean: Float32Array;
  noisy: Float32Array;
  /** The clean observations once per sample (n × M): the raw-observation baseline reads them. */
  observations: Float64Array;
  noisyObservations: Float64Array;
}

export function makeTestSet(w: World, s: Setting, seed: number, n: number): TestSet {
  const rng = new Rng(seed);
  const z = sampleLatents(n, s.latentDim, rng.fork('latents'));
  const observations = observe(w.map, z);
  const M = w.map.outDim;
  const clean = new Float32Array(n * s.steps * M);
  for (let k = 0; k < n; k++) for (let t = 0; t < s.steps; t++) clean.set(observations.subarray(k * M, (k + 1) * M), (k * s.steps + t) * M);
  // Noisy looks with the noise of this σ; the raw baseline reads the first look of each sample.
  const noisySteps = noisyObservations(w.map, z, { sigma: s.noise, steps: s.steps, rng: rng.fork('noise') });
  const noisyFirst = new Float64Array(n * M);
  for (let k = 0; k < n; k++) noisyFirst.set(noisySteps.subarray(k * s.steps * M, k * s.steps * M + M), k * M);
  return { n, z, labels: taskLabels(w.taskSet, z), clean, noisy: Float32Array.from(noisySteps), observations, noisyObservations: noisyFirst };
}
