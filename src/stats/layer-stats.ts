/** `layerStats`: everything weightscope measures on one layer, as plain JSON data. */
import type { LayerRecord } from '../core/layer.js';
import { distribution, histogram, type Distribution, type Histogram } from './describe.js';
import { unitStats, weightSummary, type WeightSummary, type SideStats } from './degrees.js';
import { assortativityFromDegrees, nodf, type AssortativityBySign, type Nodf } from './structure.js';

export interface SideDistributions {
  kPlus: Distribution;
  kMinus: Distribution;
  sPlus: Distribution;
  sMinus: Distribution;
  /** Sign imbalance (k+ − k−)/(k+ + k−); isolated units are left out. */
  imbalance: Distribution;
}

export interface LayerStats {
  name: string;
  shape: [number, number];
  weights: WeightSummary;
  /** P(w) of the non-zero weights (equal-width bins). */
  weightHistogram: Histogram;
  /** Per-side degree/strength distributions: inputs (rows) and outputs (columns). */
  in: SideDistributions;
  out: SideDistributions;
  assortativity: AssortativityBySign;
  /** NODF of the positive and negative incidence matrices; null when skipped (see options). */
  nestedness: { positive: Nodf; negative: Nodf } | null;
}

export interface LayerStatsOptions {
  /**
   * Compute NODF (O(n²·m/32)): default true up to NODF_DEFAULT_MAX_WEIGHTS weight slots
   * (≈ 1 s there), false above unless asked for.
   */
  nestedness?: boolean;
}

/** Largest layer (nIn·nOut) for which layerStats computes NODF by default. */
export const NODF_DEFAULT_MAX_WEIGHTS = 1 << 22;

function sideDistributions(s: SideStats): SideDistributions {
  return {
    kPlus: distribution(s.kPlus, { integer: true }),
    kMinus: distribution(s.kMinus, { integer: true }),
    sPlus: distribution(s.sPlus),
    sMinus: distribution(s.sMinus),
    imbalance: distribution(s.imbalance),
  };
}

export function layerStats(layer: LayerRecord, options: LayerStatsOptions = {}): LayerStats {
  const units = unitStats(layer);
  const withNodf = options.nestedness ?? layer.weights.length <= NODF_DEFAULT_MAX_WEIGHTS;
  return {
    name: layer.name,
    shape: [layer.shape[0], layer.shape[1]],
    weights: weightSummary(layer),
    weightHistogram: histogram(layer.weights, { bins: 50, skipZeros: true }),
    in: sideDistributions(units.in),
    out: sideDistributions(units.out),
    assortativity: assortativityFromDegrees(layer, units),
    nestedness: withNodf ? { positive: nodf(layer, 'positive'), negative: nodf(layer, 'negative') } : null,
  };
}
