/**
 * The all-pairs study: across class pairs, how the accuracy lost to binarization relates to the
 * accuracy lost to randomization. Two statistics, each labelled with what it is:
 *
 * - reference: Spearman ρ between the binarization drop and the drop under randomization **B**, each
 *   from **medians over runs** per pair, medians below 50 % folded to 100 − x first (the reference's
 *   fig4 notebook: `np.median`, fold, difference, `scipy.stats.spearmanr`);
 * - weightscope: Pearson r between the mean (over runs, paired) binarization drop and the mean over
 *   every null model run of the mean randomization drop (a broader statistic: all null models).
 *
 * Browser-safe.
 */
import { pearson, spearman } from '../stats/describe.js';
import type { Stat } from './aggregate.js';

/**
 * What the study reads of each task's summary: summary.ts's TaskSummary has these fields (and
 * passes its tasks here), so this file needs nothing from summary.ts and the two do not import
 * each other.
 */
export interface PairInput {
  task: string;
  classes: [number | string, number | string];
  full: Stat | null;
  binarized: Stat | null;
  randomized: Record<string, { full: Stat | null }>;
  gaps: {
    fullMinusBinarized: Stat | null;
    fullMinusRandomized: Record<string, unknown>;
    meanFullMinusRandomized: { full: number | null };
  };
}

export interface AllPairsEntry {
  task: string;
  classes: [number | string, number | string];
  /** Medians over runs (folded below 0.5, as the reference): full precision, binarized, randomized B. */
  medianFull: number;
  medianBinarized: number;
  medianRandomizedB: number | null;
  /** medianFull − medianBinarized (reference style). */
  binarizationDrop: number;
  /** medianFull − medianRandomizedB (reference style; B at the lowest pruning level, full precision). */
  randomizationDropB: number | null;
  /** weightscope: mean paired drop full − binarized. */
  meanBinarizationDrop: number | null;
  /** weightscope: mean over null models of the mean paired drop full − randomized. */
  meanRandomizationDrop: number | null;
}

export interface AllPairsStudy {
  pairs: AllPairsEntry[];
  reference: { statistic: 'spearman'; rho: number; n: number; label: string } | null;
  broader: { statistic: 'pearson'; r: number; n: number; nullModels: string[]; label: string } | null;
}

/** The reference folds a binary accuracy below chance to its complement. */
export function foldBelowChance(x: number): number {
  return x < 0.5 ? 1 - x : x;
}

export function allPairsStudy(tasks: PairInput[]): AllPairsStudy {
  const pairs: AllPairsEntry[] = [];
  for (const t of tasks) {
    if (!t.full || !t.binarized) continue;
    const full = foldBelowChance(t.full.median);
    const bin = foldBelowChance(t.binarized.median);
    const rb = t.randomized.B?.full ? foldBelowChance(t.randomized.B.full.median) : null;
    pairs.push({
      task: t.task,
      classes: t.classes,
      medianFull: full,
      medianBinarized: bin,
      medianRandomizedB: rb,
      binarizationDrop: full - bin,
      randomizationDropB: rb === null ? null : full - rb,
      meanBinarizationDrop: t.gaps.fullMinusBinarized?.mean ?? null,
      meanRandomizationDrop: t.gaps.meanFullMinusRandomized.full,
    });
  }
  const withB = pairs.filter((p) => p.randomizationDropB !== null);
  const rho = withB.length >= 3 ? spearman(withB.map((p) => p.binarizationDrop), withB.map((p) => p.randomizationDropB!)) : NaN;
  const withMeans = pairs.filter((p) => p.meanBinarizationDrop !== null && p.meanRandomizationDrop !== null);
  const r = withMeans.length >= 3 ? pearson(withMeans.map((p) => p.meanBinarizationDrop!), withMeans.map((p) => p.meanRandomizationDrop!)) : NaN;
  const nullModels = [...new Set(tasks.flatMap((t) => Object.keys(t.gaps.fullMinusRandomized)))].sort((a, b) => a.length - b.length || a.localeCompare(b));
  return {
    pairs,
    reference: Number.isFinite(rho)
      ? { statistic: 'spearman', rho, n: withB.length, label: 'reference: Spearman ρ, binarization drop vs randomization-B drop, medians over runs (folded below 50 %)' }
      : null,
    broader: Number.isFinite(r)
      ? { statistic: 'pearson', r, n: withMeans.length, nullModels, label: `weightscope: Pearson r, mean binarization drop vs mean randomization drop over null models ${nullModels.join(', ')}` }
      : null,
  };
}
