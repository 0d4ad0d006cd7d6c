/** Small records of the run folder that jobs also produce. */

/** A model that failed the discard rule: listed in run.json, never probed. */
export interface DiscardedModelRecord {
  attempt: number;
  seed: number;
  testAccuracy: number;
}
