/**
 * What a comparison returns (and writes): the models with their fingerprints, the comparison of
 * their groups, how alike drawing networks' pictures are, the test set, the viewer copies.
 */
import type { Comparison } from './compare.js';
import type { CppnFingerprintPlan } from './cppn.js';
import type { FingerprintPlan } from './fingerprint.js';
import type { ModelSource } from './sources.js';
import type { Fingerprint } from './types.js';

/** Overrides of a drawing network's fingerprint plan (its probe levels among them). */
export type CppnPlanOptions = Partial<Omit<CppnFingerprintPlan, 'probes'>> & { probes?: Partial<CppnFingerprintPlan['probes']> };

/** A model of the comparison, fingerprinted. */
export interface ComparedModel {
  group: string;
  source: ModelSource;
  fingerprint: Fingerprint;
}

/** Two drawing networks' pictures compared at their native size (the drawings' "same accuracy"). */
export interface DrawingMatch {
  a: string;
  b: string;
  size: number;
  ssim: number;
  same: boolean;
}

export interface CompareResult {
  models: ComparedModel[];
  comparison: Comparison;
  drawings: DrawingMatch[];
  /** The test set the classifiers ran on, or why none did. */
  data: { name: string; task: string; n: number } | { none: string };
  /** Viewer copies: the index `weightscope view OUT` gives each model, and its folder. */
  viewer: { model: string; group: string; index: number; dir: string; layers: string[] }[];
  seconds: number;
  options: { seed: number; plan?: Partial<FingerprintPlan>; cppnPlan?: CppnPlanOptions; viewPort: number; out?: string };
}

