/**
 * The multi-task study's sizes, sweeps, probes and flag bounds, in one place (docs/multitask.md).
 * No data, no tfjs: the command, the plan and the jobs read it.
 */
import { UserError } from '../../../core/errors.js';
import type { ProbeName } from '../../../core/results.js';
import { MAX_LATENT_DIM, MIN_LATENT_DIM, OBSERVATION_MAPS, type ObservationMapKind } from '../../../data/latent-tasks.js';
import { NET_KINDS, type NetKind } from './net.js';

/** The sweep. */
export const DEFAULT_SWEEP = { tasks: [1, 2, 3, 6, 12, 24], noise: [0, 0.05, 0.2, 0.5], latentDim: [2, 3, 5], runs: 5 };
/** --quick: a subset that still shows every claim's direction, in well under 3 minutes. */
export const QUICK_SWEEP = { tasks: [1, 3, 12], noise: [0, 0.2], latentDim: [2], runs: 2 };

/** Training (per model; the MLP reads one look per sample, the RNN `steps`). */
export const TRAINING = { epochs: 20, samplesPerEpoch: 2048, batchSize: 32, lr: 3e-3 };
export const QUICK_TRAINING = { epochs: 12, samplesPerEpoch: 2048, batchSize: 32, lr: 3e-3 };
/** Hidden widths of the networks (the issue: 64 → 64 for the MLP; the authors' RNN has 64 units). */
export const HIDDEN = { mlp: [64, 64], rnn: [64] } as const;
/** Looks of the RNN (the authors' trials are 22 steps of 100 ms; fewer here, for time). */
export const RNN_STEPS = 8;
/** Test latents per model, and how many of them the logistic fits (CCGP, task angles) read. */
export const TEST_SAMPLES = 2000;
export const FIT_SAMPLES = 600;

/** The networks `--model` names; `transformer` is refused with the reason (docs/multitask.md, C4). */
export const MODEL_CHOICES = [...NET_KINDS, 'transformer'] as const;
export const TRANSFORMER_REFUSAL =
  "--model transformer: the project's transformer (src/model/transformer) reads token ids through embedding tables and has no input projection for " +
  'continuous observations nor K sigmoid heads in its public API, so it cannot be trained on this study\'s observations; use mlp or rnn';

/** `--map` names: `relu` is the authors' encoder (relu-mlp), `rbf` the radial-basis code. */
export const OBSERVATION_FLAGS: Record<string, ObservationMapKind> = { relu: 'relu-mlp', rbf: 'rbf' };

/**
 * Bounds of the flags that size the work (one place; the command's parsers and check() read them).
 * A study is models × (training + measurement): every list and count is bounded so that a typo
 * cannot ask for days of work or unbounded memory.
 */
export const BOUNDS = {
  tasks: { min: 1, max: 64, maxValues: 12 },
  noise: { min: 0, max: 2, maxValues: 8 },
  latentDim: { min: MIN_LATENT_DIM, max: MAX_LATENT_DIM, maxValues: MAX_LATENT_DIM - MIN_LATENT_DIM + 1 },
  runs: { min: 1, max: 50 },
  /** Models in one run (the product of the lists, the networks and the runs). */
  models: 5000,
} as const;

/** A probe of the study at one level (applied to every layer: `all`). */
export interface StudyProbe {
  probe: ProbeName;
  variant: string;
  signed: boolean;
  level: number;
}

/**
 * The five probes, each a short curve or a single point, measured on accuracy and on OOD r²:
 * prune (smallest |w| first), uniform noise U(±level·σ(w)) on each layer, sign flips
 * of the smallest |w|, binarization (plain and scaled), and randomizations that keep the sign
 * pattern (B), each input's (E) or output's (F) signed strengths, or every unit's signed degrees (Curveball).
 */
export const STUDY_PROBES: StudyProbe[] = [
  ...[0.25, 0.5, 0.75, 0.9].map((level) => ({ probe: 'prune' as const, variant: 'reference', signed: false, level })),
  ...[0.25, 0.5, 1, 2].map((level) => ({ probe: 'noise' as const, variant: 'relative', signed: false, level })),
  ...[0.05, 0.1, 0.2, 0.4].map((level) => ({ probe: 'signflip' as const, variant: 'reference', signed: false, level })),
  { probe: 'binarize', variant: 'reference', signed: true, level: 0 },
  { probe: 'binarize', variant: 'scaled', signed: true, level: 0 },
  ...['B', 'E', 'F', 'curveball'].map((variant) => ({ probe: 'randomize' as const, variant, signed: false, level: 0 })),
];
/** --quick: one or two points of each probe. */
export const QUICK_PROBES: StudyProbe[] = STUDY_PROBES.filter((p) =>
  (p.probe === 'prune' && (p.level === 0.5 || p.level === 0.9)) || (p.probe === 'noise' && p.level === 1) || (p.probe === 'signflip' && p.level === 0.1) ||
  (p.probe === 'binarize' && p.variant === 'scaled') || (p.probe === 'randomize' && (p.variant === 'B' || p.variant === 'curveball')));

/** A list flag's values within bounds, without repeats. */
export function checkList(flag: string, values: number[], b: { min: number; max: number; maxValues: number }, integer: boolean): void {
  if (!Array.isArray(values) || values.length === 0) throw new UserError(`--${flag} needs at least one value`);
  if (values.length > b.maxValues) throw new UserError(`--${flag} takes at most ${b.maxValues} values, got ${values.length}`);
  for (const v of values) {
    if (!Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < b.min || v > b.max) {
      throw new UserError(`--${flag} values must be ${integer ? 'integers' : 'numbers'} from ${b.min} to ${b.max}, got ${v}`);
    }
  }
  if (new Set(values).size !== values.length) throw new UserError(`--${flag} repeats a value (${values.join(',')})`);
}

export function checkModels(models: string[]): NetKind[] {
  if (!Array.isArray(models) || models.length === 0) throw new UserError('--model needs at least one network');
  for (const m of models) {
    if (m === 'transformer') throw new UserError(TRANSFORMER_REFUSAL);
    if (!(NET_KINDS as readonly string[]).includes(m)) throw new UserError(`--model must be ${MODEL_CHOICES.join(', ')} (or a comma-separated list), got '${m}'`);
  }
  if (new Set(models).size !== models.length) throw new UserError(`--model repeats a network (${models.join(',')})`);
  return models as NetKind[];
}

export function checkObservation(name: string): ObservationMapKind {
  if (!(OBSERVATION_MAPS as readonly string[]).includes(name)) throw new UserError(`--map must be ${Object.keys(OBSERVATION_FLAGS).join(' or ')}, got '${name}'`);
  return name as ObservationMapKind;
}
