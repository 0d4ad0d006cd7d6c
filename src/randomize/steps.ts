/**
 * Default numbers of mixing steps, from published bounds; every model lets the caller override.
 */

/**
 * BiRewire's bound (Gobbi et al. 2014, "Fast randomization of large genomic datasets while
 * preserving alteration counts", Bioinformatics 30(17)): for a bipartite graph with e edges and
 * density d, N = e / (2(1 − d)) · ln((e − d·e) / δ) switching steps bring the expected Jaccard
 * similarity to the original within δ of its limit. δ = 5e−5 as in BiRewire.
 * Returns 0 when there is nothing to mix (e < 2 or a full matrix).
 */
export function birewireSteps(edges: number, slots: number, delta = 5e-5): number {
  if (edges < 2 || slots <= 0) return 0;
  const d = edges / slots;
  if (d >= 1) return 0;
  const n = (edges / (2 * (1 - d))) * Math.log((edges - d * edges) / delta);
  return Math.max(0, Math.ceil(n));
}

/**
 * Default attempted swaps of the signed double-edge swap: BiRewire's bound for the positive
 * edges plus the bound for the negative edges (each sign treated as its own bipartite graph of
 * that density, since each move rewires one sign's edges).
 */
export function defaultSwapSteps(posEdges: number, negEdges: number, slots: number): number {
  return birewireSteps(posEdges, slots) + birewireSteps(negEdges, slots);
}

/**
 * Default trades of the signed Curveball: 10 sweeps of ⌈nIn/2⌉ row trades + ⌈nOut/2⌉ column
 * trades, so every unit takes part in about 10 trades (Strona et al. 2014 and Carstens et al. 2016
 * found Curveball mixed within ~5–10 trades per row; the overlap test in test/randomize checks it).
 */
export function defaultCurveballTrades(nIn: number, nOut: number): number {
  return 10 * (Math.ceil(nIn / 2) + Math.ceil(nOut / 2));
}
