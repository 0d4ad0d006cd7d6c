/**
 * What a model of the multi-task study is measured by (docs/multitask.md, "The metrics"): task
 * accuracy, and the representation metrics of src/stats/disentanglement.ts on its last hidden layer
 * (the MLP's hidden2, the RNN's final state) over the test latents. Each returns plain numbers for
 * the model's row.
 *
 * The representation is read on the clean observations (σ = 0): with noise, no read-out of one look
 * can beat linearBoundR2(σ, 1) (0.68 at σ = 0.2), which would hide the geometry under the noise. The
 * OOD r² on noisy looks is recorded beside it (`ood_r2_noisy`).
 */
import type { LatentTaskSet } from '../../../data/latent-tasks.js';
import {
  dci, hiddenSparsity, inDistributionR2, latentCcgp, latentDecoderAngles, latentParallelism, mig, oodR2, sampleMatrix, taskAngles, type SampleMatrix,
} from '../../../stats/index.js';
import { headAccuracies } from './net.js';

/** How many held-out orthants the OOD r² scores (all of them for D ≤ 3; a seeded sample beyond). */
export const MAX_HELD_OUT = 8;

/** OOD and in-distribution r² of a representation: what every probe row carries too. */
export interface DecodingScores {
  ood_r2: number;
  ood_r2_median: number;
  ood_r2_centre: number;
  id_r2: number;
}

export function decodingScores(rep: SampleMatrix, latents: SampleMatrix, seed: number): DecodingScores {
  const ood = oodR2(rep, latents, { seed, maxHeldOut: MAX_HELD_OUT });
  return { ood_r2: ood.r2, ood_r2_median: ood.r2Median, ood_r2_centre: ood.r2Centre, id_r2: inDistributionR2(rep, latents, { seed }).r2 };
}

/** Mean and per-task accuracy (logit > 0 is label 1). */
export function accuracyOf(logits: Float64Array, labels: Uint8Array, n: number, K: number): { mean: number; min: number; perTask: Float64Array } {
  const perTask = headAccuracies(logits, labels, n, K);
  let sum = 0, min = Infinity;
  for (const a of perTask) {
    sum += a;
    min = Math.min(min, a);
  }
  return { mean: sum / K, min, perTask };
}

export interface RepresentationMetrics extends DecodingScores {
  ccgp: number;
  parallelism: number;
  mig: number;
  dci_disentanglement: number;
  dci_completeness: number;
  dci_informativeness: number;
  active_fraction: number;
  lifetime_sparseness: number;
  silent_units: number;
  decoder_angle: number;
  task_angle: number;
  task_angle_accuracy: number;
}

/** A representation's first `n` samples (the test latents are i.i.d.: a random subsample). */
function head(m: SampleMatrix, n: number): SampleMatrix {
  if (n >= m.n) return m;
  const values = new Float64Array(n * m.dims);
  for (let i = 0; i < values.length; i++) values[i] = m.values[i];
  return { values, n, dims: m.dims };
}

/**
 * Every representation metric. The logistic-regression ones (CCGP: 2·D·(D−1) fits; task angles: K
 * fits) read the first `fitSamples` test samples, which keeps a D = 5, K = 24 model under a second.
 */
export function representationMetrics(rep: SampleMatrix, latents: SampleMatrix, tasks: LatentTaskSet, seed: number, fitSamples: number): RepresentationMetrics {
  const small = head(rep, fitSamples);
  const smallLatents = head(latents, fitSamples);
  const d = dci(rep, latents, { seed });
  const sparsity = hiddenSparsity(rep);
  const angles = taskAngles(small, smallLatents, tasks);
  return {
    ...decodingScores(rep, latents, seed),
    ccgp: latentCcgp(small, smallLatents).mean,
    parallelism: latentParallelism(rep, latents, { seed }).mean,
    mig: mig(rep, latents).mig,
    dci_disentanglement: d.disentanglement,
    dci_completeness: d.completeness,
    dci_informativeness: d.informativeness,
    active_fraction: sparsity.activeFraction,
    lifetime_sparseness: sparsity.lifetimeSparseness,
    silent_units: sparsity.silentUnits,
    decoder_angle: latentDecoderAngles(rep, latents).mean,
    task_angle: angles.meanAngle,
    task_angle_accuracy: angles.tasks.reduce((s, t) => s + t.accuracy, 0) / angles.tasks.length,
  };
}

/** A row-major matrix as a SampleMatrix (checked: right length, every value finite). */
export function asSamples(values: ArrayLike<number>, n: number, dims: number, what: string): SampleMatrix {
  return sampleMatrix(values, n, dims, what);
}
