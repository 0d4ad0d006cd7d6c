/**
 * The latent task set of the multi-task study (Vafidis, Bhargava & Rangel, "Disentangling
 * Representations through Multi-task Learning", arXiv 2407.11249; the authors' code is the public
 * repository panvaf/DisentangleRes). Pure functions over typed arrays, seeded with the project's Rng.
 *
 * - A latent state z ~ U[−½, ½]^D (D = 2 … 10), rows of a row-major n × D Float64Array.
 * - K binary tasks, each the side of a hyperplane through the origin: label_i = 1 iff n_i · z > 0.
 *   For D = 2 the lines lie at angles φ_i = (i + ½)π/K and n_i = (−sin φ_i, cos φ_i) is their
 *   normal; otherwise n_i are seeded random unit vectors (normalised Gaussians, as in the code).
 * - An observation map that hides z: a frozen seeded random ReLU network D → 100 → 100 → 40 (the
 *   authors' encoder, PyTorch nn.Linear's default initialisation) or a more non-linear seeded
 *   radial-basis population code.
 * - Gaussian noise σ per sample and per time step, on the latent before the map (what the authors'
 *   code does) or on the observation after it.
 * - The orthants of the latent space, for the held-out-orthant (out-of-distribution) split.
 *
 * Definitions and the reasons behind each choice: docs/multitask.md.
 */
import { Rng, deriveSeed } from '../core/rng.js';
import { UserError } from '../core/errors.js';

/** Latent dimensions the study allows. */
export const MIN_LATENT_DIM = 2;
export const MAX_LATENT_DIM = 10;

/** The variance of U[−½, ½]: the paper's r² normalisation. */
export const LATENT_VARIANCE = 1 / 12;

export interface LatentTaskSet {
  /** D, the latent dimension. */
  latentDim: number;
  /** K, the number of binary tasks. */
  tasks: number;
  /** Unit normals of the K hyperplanes, row-major K × D. */
  normals: Float64Array;
  /** D = 2: the angle φ_i of each task's line (radians); null otherwise. */
  angles: Float64Array | null;
  seed: number;
}

export interface LatentTaskOptions {
  latentDim: number;
  tasks: number;
  /** Seeds the random normals (D > 2); recorded for D = 2, whose lines are fixed. */
  seed: number;
}

function checkDim(latentDim: number): void {
  if (!Number.isInteger(latentDim) || latentDim < MIN_LATENT_DIM || latentDim > MAX_LATENT_DIM) {
    throw new UserError(`latent dimension must be an integer from ${MIN_LATENT_DIM} to ${MAX_LATENT_DIM}, got ${latentDim}`);
  }
}

function checkCount(name: string, n: number, min = 1): void {
  if (!Number.isInteger(n) || n < min) throw new UserError(`${name} must be an integer ≥ ${min}, got ${n}`);
}

/** The K tasks of a study: evenly spaced lines for D = 2, seeded random hyperplanes otherwise. */
export function makeLatentTasks(options: LatentTaskOptions): LatentTaskSet {
  const { latentDim: D, tasks: K, seed } = options;
  checkDim(D);
  checkCount('number of tasks', K);
  const normals = new Float64Array(K * D);
  let angles: Float64Array | null = null;
  if (D === 2) {
    angles = new Float64Array(K);
    for (let i = 0; i < K; i++) {
      const phi = ((i + 0.5) * Math.PI) / K;
      angles[i] = phi;
      normals[2 * i] = -Math.sin(phi);
      normals[2 * i + 1] = Math.cos(phi);
    }
  } else {
    const rng = new Rng(deriveSeed(seed, 'task-normals'));
    for (let i = 0; i < K; i++) {
      let norm = 0;
      // A zero draw has probability 0, but a normal must be a unit vector: redraw rather than divide by 0.
      while (norm === 0) {
        norm = 0;
        for (let d = 0; d < D; d++) {
          const g = rng.normal();
          normals[i * D + d] = g;
          norm += g * g;
        }
      }
      norm = Math.sqrt(norm);
      for (let d = 0; d < D; d++) normals[i * D + d] /= norm;
    }
  }
  return { latentDim: D, tasks: K, normals, angles, seed: seed >>> 0 };
}

/** n latent states z ~ U[−½, ½]^D, row-major n × D. */
export function sampleLatents(n: number, latentDim: number, rng: Rng): Float64Array {
  checkCount('number of samples', n, 0);
  checkDim(latentDim);
  const z = new Float64Array(n * latentDim);
  rng.nextInto(z);
  for (let i = 0; i < z.length; i++) z[i] -= 0.5;
  return z;
}

/**
 * n latent states drawn uniformly inside one orthant (bit d of `orthant` set ⇔ z_d > 0): the
 * held-out test set of the out-of-distribution split, drawn on its own when D is large and a
 * uniform sample would put few points in any one orthant.
 */
export function sampleLatentsInOrthant(n: number, latentDim: number, orthant: number, rng: Rng): Float64Array {
  checkOrthant(orthant, latentDim);
  checkCount('number of samples', n, 0);
  const z = new Float64Array(n * latentDim);
  rng.nextInto(z);
  for (let k = 0; k < n; k++) {
    for (let d = 0; d < latentDim; d++) {
      const i = k * latentDim + d;
      // u ∈ [0, 1): the positive side takes (1 − u)/2 ∈ (0, ½] so that no point lands on z_d = 0,
      // which orthantOf counts as negative; the negative side takes −u/2 ∈ (−½, 0].
      z[i] = (orthant >> d) & 1 ? (1 - z[i]) / 2 : -z[i] / 2;
    }
  }
  return z;
}

/** The K labels of each latent state, row-major n × K: 1 iff n_i · z > 0 (a point on the plane is 0). */
export function taskLabels(tasks: LatentTaskSet, z: Float64Array, n = z.length / tasks.latentDim): Uint8Array {
  const { latentDim: D, tasks: K, normals } = tasks;
  if (z.length !== n * D) throw new UserError(`latents hold ${z.length} values, not ${n} × ${D}`);
  const labels = new Uint8Array(n * K);
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < K; i++) {
      let s = 0;
      for (let d = 0; d < D; d++) s += normals[i * D + d] * z[k * D + d];
      labels[k * K + i] = s > 0 ? 1 : 0;
    }
  }
  return labels;
}

// ---------------------------------------------------------------------------------------------
// Orthants

function checkOrthant(orthant: number, latentDim: number): void {
  checkDim(latentDim);
  if (!Number.isInteger(orthant) || orthant < 0 || orthant >= 2 ** latentDim) {
    throw new UserError(`orthant must be an integer from 0 to ${2 ** latentDim - 1} for D = ${latentDim}, got ${orthant}`);
  }
}

/** The orthant of row k: bit d set ⇔ z_d > 0 (z_d = 0 counts as negative). */
export function orthantOf(z: ArrayLike<number>, k: number, latentDim: number): number {
  let o = 0;
  for (let d = 0; d < latentDim; d++) if (z[k * latentDim + d] > 0) o |= 1 << d;
  return o;
}

/** The orthant of every row. */
export function orthantsOf(z: ArrayLike<number>, n: number, latentDim: number): Uint32Array {
  const out = new Uint32Array(n);
  for (let k = 0; k < n; k++) out[k] = orthantOf(z, k, latentDim);
  return out;
}

/** The centre of an orthant of [−½, ½]^D: ±¼ in every coordinate. */
export function orthantCentre(orthant: number, latentDim: number): Float64Array {
  checkOrthant(orthant, latentDim);
  const c = new Float64Array(latentDim);
  for (let d = 0; d < latentDim; d++) c[d] = (orthant >> d) & 1 ? 0.25 : -0.25;
  return c;
}

/** Rows outside and inside the held-out orthant (the out-of-distribution split), in row order. */
export function orthantSplit(z: ArrayLike<number>, n: number, latentDim: number, heldOut: number): { train: Uint32Array; test: Uint32Array } {
  checkOrthant(heldOut, latentDim);
  let nTest = 0;
  const o = orthantsOf(z, n, latentDim);
  for (let k = 0; k < n; k++) if (o[k] === heldOut) nTest++;
  const train = new Uint32Array(n - nTest);
  const test = new Uint32Array(nTest);
  let a = 0, b = 0;
  for (let k = 0; k < n; k++) {
    if (o[k] === heldOut) test[b++] = k;
    else train[a++] = k;
  }
  return { train, test };
}

// ---------------------------------------------------------------------------------------------
// Observation maps

export const OBSERVATION_MAPS = ['relu-mlp', 'rbf'] as const;
export type ObservationMapKind = (typeof OBSERVATION_MAPS)[number];

/** A dense layer of an observation map: x_out = x_in · W + b, W row-major [nIn, nOut]. */
export interface MapLayer {
  shape: [number, number];
  weights: Float64Array;
  bias: Float64Array;
}

/**
 * A frozen map from latents to observations. `relu-mlp`: ReLU after every layer but the last
 * (linear). `rbf`: x_j = exp(−‖z − c_j‖² / (2w²)) for centres c_j and width w.
 */
export type ObservationMap =
  | { kind: 'relu-mlp'; latentDim: number; outDim: number; seed: number; layers: MapLayer[] }
  | { kind: 'rbf'; latentDim: number; outDim: number; seed: number; centres: Float64Array; width: number };

export interface ObservationMapOptions {
  /** `relu-mlp`: the widths after the input, default [100, 100, 40] (the authors' encoder). */
  widths?: number[];
  /** `rbf`: the number of units, default 40 (the encoder's output width). */
  units?: number;
  /** `rbf`: the tuning width w, default RBF_WIDTH_PER_DIM·√D (see docs/multitask.md). */
  width?: number;
}

/** The authors' encoder: D → 100 → 100 → 40. */
export const RELU_MAP_WIDTHS = [100, 100, 40];
/** The radial-basis code's default width per √D (chosen so that its raw linear decoding is poor; docs/multitask.md). */
export const RBF_WIDTH_PER_DIM = 0.1;

export function checkObservationMap(name: string): ObservationMapKind {
  if (!(OBSERVATION_MAPS as readonly string[]).includes(name)) {
    throw new UserError(`unknown observation map '${name}' (use ${OBSERVATION_MAPS.join(' or ')})`);
  }
  return name as ObservationMapKind;
}

/**
 * A seeded frozen observation map. `relu-mlp` draws every weight and bias from U(−1/√nIn, 1/√nIn),
 * PyTorch's nn.Linear default, as the authors' encoder is left at its initialisation and frozen.
 * `rbf` draws its centres from U[−½, ½]^D.
 */
export function makeObservationMap(kind: ObservationMapKind, latentDim: number, seed: number, options: ObservationMapOptions = {}): ObservationMap {
  checkDim(latentDim);
  checkObservationMap(kind);
  const rng = new Rng(deriveSeed(seed, 'observation-map', kind));
  if (kind === 'relu-mlp') {
    const widths = options.widths ?? RELU_MAP_WIDTHS;
    if (widths.length === 0) throw new UserError('the ReLU observation map needs at least one layer');
    widths.forEach((w) => checkCount('observation map width', w));
    const sizes = [latentDim, ...widths];
    const layers: MapLayer[] = widths.map((nOut, k) => {
      const nIn = sizes[k];
      const bound = 1 / Math.sqrt(nIn);
      const weights = new Float64Array(nIn * nOut);
      for (let i = 0; i < weights.length; i++) weights[i] = rng.uniform(-bound, bound);
      const bias = new Float64Array(nOut);
      for (let j = 0; j < nOut; j++) bias[j] = rng.uniform(-bound, bound);
      return { shape: [nIn, nOut], weights, bias };
    });
    return { kind, latentDim, outDim: widths[widths.length - 1], seed: seed >>> 0, layers };
  }
  const units = options.units ?? 40;
  checkCount('number of radial-basis units', units);
  const width = options.width ?? RBF_WIDTH_PER_DIM * Math.sqrt(latentDim);
  if (!(width > 0) || !Number.isFinite(width)) throw new UserError(`radial-basis width must be a positive number, got ${width}`);
  const centres = sampleLatents(units, latentDim, rng);
  return { kind, latentDim, outDim: units, seed: seed >>> 0, centres, width };
}

/** The noiseless observation of each latent row, row-major n × outDim. */
export function observe(map: ObservationMap, z: Float64Array, n = z.length / map.latentDim): Float64Array {
  const D = map.latentDim;
  if (z.length !== n * D || !Number.isInteger(n)) throw new UserError(`latents hold ${z.length} values, not n × ${D}`);
  const out = new Float64Array(n * map.outDim);
  const row = new Float64Array(D);
  for (let k = 0; k < n; k++) {
    for (let d = 0; d < D; d++) row[d] = z[k * D + d];
    observeRow(map, row, out, k * map.outDim);
  }
  return out;
}

/** One observation into out[offset …]: the map applied to a single latent vector. */
function observeRow(map: ObservationMap, z: Float64Array, out: Float64Array, offset: number): void {
  if (map.kind === 'rbf') {
    const D = map.latentDim;
    const scale = 1 / (2 * map.width * map.width);
    for (let j = 0; j < map.outDim; j++) {
      let r2 = 0;
      for (let d = 0; d < D; d++) {
        const t = z[d] - map.centres[j * D + d];
        r2 += t * t;
      }
      out[offset + j] = Math.exp(-r2 * scale);
    }
    return;
  }
  let v: Float64Array = z;
  const last = map.layers.length - 1;
  map.layers.forEach((layer, k) => {
    const [r, c] = layer.shape;
    const next = Float64Array.from(layer.bias);
    for (let i = 0; i < r; i++) {
      const x = v[i];
      if (x === 0) continue;
      for (let j = 0; j < c; j++) next[j] += x * layer.weights[i * c + j];
    }
    if (k < last) for (let j = 0; j < c; j++) if (next[j] < 0) next[j] = 0;
    v = next;
  });
  out.set(v, offset);
}

export interface NoiseOptions {
  /** Standard deviation σ of the Gaussian noise, per sample and per time step (≥ 0). */
  sigma: number;
  /** Time steps T, each with its own noise draw (1 for a feed-forward model). Default 1. */
  steps?: number;
  /**
   * `latent` (default): z + σε passes through the map at every step, as in the authors' code (noise
   * on the stimulus before the frozen encoder). `observation`: map(z) + σε.
   */
  noiseAt?: 'latent' | 'observation';
  rng: Rng;
}

/**
 * Noisy observations of each latent row over T steps, row-major n × T × outDim (sample k's step t
 * starts at (k·T + t)·outDim). With σ = 0 every step is observe(map, z). The noise comes from
 * `rng` sample by sample, step by step, coordinate by coordinate: the same seed gives the same
 * observations bit for bit.
 */
export function noisyObservations(map: ObservationMap, z: Float64Array, options: NoiseOptions): Float64Array {
  const D = map.latentDim;
  const n = z.length / D;
  if (!Number.isInteger(n)) throw new UserError(`latents hold ${z.length} values, not n × ${D}`);
  const { sigma, steps = 1, noiseAt = 'latent', rng } = options;
  if (!(sigma >= 0) || !Number.isFinite(sigma)) throw new UserError(`noise σ must be a finite number ≥ 0, got ${sigma}`);
  checkCount('number of time steps', steps);
  if (noiseAt !== 'latent' && noiseAt !== 'observation') throw new UserError(`noise goes on the 'latent' or the 'observation', not '${noiseAt}'`);
  const M = map.outDim;
  const out = new Float64Array(n * steps * M);
  const row = new Float64Array(D);
  const clean = noiseAt === 'observation' ? new Float64Array(M) : null;
  for (let k = 0; k < n; k++) {
    if (clean) {
      for (let d = 0; d < D; d++) row[d] = z[k * D + d];
      observeRow(map, row, clean, 0);
    }
    for (let t = 0; t < steps; t++) {
      const offset = (k * steps + t) * M;
      if (clean) {
        for (let j = 0; j < M; j++) out[offset + j] = clean[j] + (sigma > 0 ? sigma * rng.normal() : 0);
      } else {
        for (let d = 0; d < D; d++) row[d] = z[k * D + d] + (sigma > 0 ? sigma * rng.normal() : 0);
        observeRow(map, row, out, offset);
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Best achievable decoding

/**
 * The paper's best achievable out-of-distribution r² (its eq. 7): an unbiased estimate of z from N
 * independent noisy observations z + σε_t (the mean) has error variance σ²/N per coordinate, and
 * r² = 1 − (σ²/N)/(1/12) = 1 − 12σ²/N. With σ = 0.2 this is 1 − 0.48/N; the paper's figure uses
 * N = T + 1 (its trials show the stimulus for T steps and through the decision step).
 */
export function integrationBoundR2(sigma: number, observations: number): number {
  checkCount('number of observations', observations);
  return 1 - (sigma * sigma) / observations / LATENT_VARIANCE;
}

/**
 * The r² of the best *linear* estimate of z from the same N observations, which may shrink the
 * mean towards 0: r² = (1/12) / (1/12 + σ²/N) = 1 − 12σ²/(N + 12σ²). Above integrationBoundR2;
 * the difference matters for few observations (a feed-forward model sees one: N = 1, σ = 0.2 gives
 * 0.68 here and 0.52 unbiased).
 */
export function linearBoundR2(sigma: number, observations: number): number {
  checkCount('number of observations', observations);
  return LATENT_VARIANCE / (LATENT_VARIANCE + (sigma * sigma) / observations);
}
