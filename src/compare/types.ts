/**
 * What a perturbation fingerprint is (docs/compare.md, docs/results-schema.md): one tidy row per
 * model — identity columns, then one column per feature — and, beside it, the curves and profiles
 * the report draws, the circuit the viewer highlights, and the per-item outcomes a single-model
 * comparison bootstraps over.
 */
import type { Circuit } from './circuit.js';

export type FingerprintValue = number | string | null;
/** Identity columns (FINGERPRINT_ID_COLUMNS) and one column per feature. */
export type FingerprintRow = Record<string, FingerprintValue>;

/** The identity columns of a fingerprint row, in order; every other column is a feature. */
export const FINGERPRINT_ID_COLUMNS = ['model', 'group', 'path', 'format', 'kind', 'metric', 'task', 'n_test', 'chance', 'seed', 'parts', 'missing'] as const;

/** `mlp`: a dense chain run on a test set; `cppn`: a FER drawing network; `weights`: weights only (the data-free parts). */
export type FingerprintKind = 'mlp' | 'cppn' | 'weights';

/** One probe curve: the metric (mean over seeds) at each level. */
export interface FingerprintCurve {
  /** `prune`, `noise`, `signflip`, `randomize_B`, … (the feature columns' infix). */
  key: string;
  probe: string;
  variant: string;
  /** The axis the area is taken on: noise amplitudes are log-spaced, so log2. */
  axis: 'linear' | 'log2';
  points: { level: number; metric: number }[];
}

/** One hidden unit removed: the drop of the metric (full − with it removed). */
export interface AblationPoint {
  /** Weight layer whose output the unit is (0-based; a CPPN's hidden layer k is the output of layer k − 1). */
  layer: number;
  unit: number;
  drop: number;
}

/** A circuit with what its members are. */
export interface FoundCircuit extends Circuit {
  /** `units`: members index `units`; `edges`: members index the non-zero weights in `edges`. */
  over: 'units' | 'edges';
  units?: { layer: number; unit: number }[];
  edges?: { layer: number; index: number }[];
}

/**
 * Per-item outcomes of every evaluation behind the accuracy-type features (1 = the item was
 * classified correctly), so that two models fingerprinted on the same test set can be compared
 * by resampling test items (a paired bootstrap over images).
 */
export interface Evidence {
  /** Names the test set (task, inputs, sample): outcomes are paired only between equal names. */
  data: string;
  n: number;
  outcomes: Map<string, Uint8Array>;
  /** The accuracy-type features from an accuracy per evaluation key. */
  derive(accuracy: (key: string) => number): Record<string, number | null>;
}

export interface Fingerprint {
  row: FingerprintRow;
  curves: FingerprintCurve[];
  ablation: AblationPoint[];
  circuits: FoundCircuit[];
  evidence: Evidence | null;
  /** Layer names in depth order (the `_l<k>` suffixes of the graph features). */
  layers: string[];
}
