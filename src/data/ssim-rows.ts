/**
 * Rows of an SSIM class-pair ranking and the lookups on them, defined once. Browser-safe (no Node
 * imports), so the report and the viewer read rankings with the same code that writes them
 * (src/data/ssim.ts computes them).
 */

/** One class pair's score. */
export interface SsimRow {
  a: number;
  b: number;
  /** (ab + ba) / 2: SSIM both ways, as the reference averages its (a, b) and (b, a) entries. */
  ssim: number;
  /** 1 − ssim: larger = more dissimilar = easier. */
  distance: number;
  /** Standard deviation of the per-sample SSIM over both directions' samples (absent in hand-made rankings). */
  sd?: number;
  /** Mean SSIM(x_a, x_b) (data range from the class-a image) and SSIM(x_b, x_a) (from the class-b image), samplesPerPair draws each. */
  ab?: number;
  ba?: number;
}

/** Sort rows by distance, largest first (ties by pair, so the order is total). */
export function sortRanking(rows: SsimRow[]): SsimRow[] {
  return [...rows].sort((r, s) => s.distance - r.distance || r.a - s.a || r.b - s.b);
}

/** The SSIM distance of the class pair {a, b} (either order) in a ranking; null when absent. */
export function ssimDistanceOf(rows: readonly SsimRow[] | undefined, a: number, b: number): number | null {
  if (!rows) return null;
  const r = rows.find((s) => (s.a === a && s.b === b) || (s.a === b && s.b === a));
  return r ? r.distance : null;
}
