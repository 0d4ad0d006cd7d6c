/**
 * Circuits verified by ablation (docs/compare.md, "Circuits"): the smallest set of candidates —
 * hidden units, or edges — that keeps a model's metric (accuracy, or a drawing's SSIM) within a
 * tolerance of the full model's, found greedily, then checked both ways:
 *
 *   sufficient  keeping only the circuit (every other candidate removed) holds the metric:
 *               score ≥ full − tolerance;
 *   necessary   removing only the circuit (everything else kept) brings the metric down to chance:
 *               score ≤ chance + necessity·(full − chance).
 *
 * The search knows nothing about models: it is given the number of candidates, a score of any set
 * removed, and an order to try them in. `greedyCircuit` (units) makes passes over the candidates,
 * least important first, removing each one whose removal keeps the score on target (backward
 * elimination, as in pruning-by-ablation); `prefixCircuit` (edges, too many for one evaluation
 * each) keeps the k most important and finds the smallest such k by bisection.
 */
import { UserError } from '../core/errors.js';

export interface CircuitProblem {
  /** Candidates 0 … size−1. */
  size: number;
  /** The metric with the candidates flagged 1 in `removed` taken out (the others kept). */
  score(removed: Uint8Array): number;
}

export interface CircuitOptions {
  /** The circuit must keep the metric ≥ full − tolerance (default 0.01: one point of accuracy, or SSIM 0.99 of a drawing). */
  tolerance?: number;
  /** Removing the circuit is necessary when the metric falls to ≤ chance + necessity·(full − chance) (default 0.1). */
  necessity?: number;
  /** Greedy passes over the candidates (default 2; a pass that removes nothing ends the search). */
  passes?: number;
}

export const CIRCUIT_DEFAULTS = { tolerance: 0.01, necessity: 0.1, passes: 2 } as const;

export interface Circuit {
  /** The candidates in the circuit, ascending. */
  members: Int32Array;
  size: number;
  candidates: number;
  /** The metric of the full model, the chance level, and the target full − tolerance. */
  full: number;
  chance: number;
  target: number;
  /** The metric with only the circuit kept, and with only the circuit removed. */
  kept: number;
  removed: number;
  sufficient: boolean;
  necessary: boolean;
  /** Scores evaluated by the search and the checks. */
  evaluations: number;
}

function checkOptions(o: CircuitOptions): Required<CircuitOptions> {
  const tolerance = o.tolerance ?? CIRCUIT_DEFAULTS.tolerance;
  const necessity = o.necessity ?? CIRCUIT_DEFAULTS.necessity;
  const passes = o.passes ?? CIRCUIT_DEFAULTS.passes;
  if (!(tolerance >= 0 && tolerance < 1)) throw new UserError(`circuit tolerance must be in [0, 1), got ${tolerance}`);
  if (!(necessity >= 0 && necessity <= 1)) throw new UserError(`circuit necessity margin must be in [0, 1], got ${necessity}`);
  if (!Number.isInteger(passes) || passes < 1) throw new UserError(`circuit passes must be a whole number ≥ 1, got ${passes}`);
  return { tolerance, necessity, passes };
}

/** Both checks of a circuit (members flagged 1 in `inCircuit`). */
function verify(problem: CircuitProblem, inCircuit: Uint8Array, full: number, chance: number, o: Required<CircuitOptions>, evaluations: number): Circuit {
  const complement = inCircuit.map((x) => 1 - x);
  const kept = problem.score(complement);
  const removed = problem.score(inCircuit);
  const target = full - o.tolerance;
  const members = Int32Array.from(Array.from(inCircuit).flatMap((x, i) => (x ? [i] : [])));
  return {
    members, size: members.length, candidates: problem.size, full, chance, target, kept, removed,
    sufficient: kept >= target,
    necessary: removed <= chance + o.necessity * (full - chance),
    evaluations: evaluations + 2,
  };
}

/**
 * Backward elimination: try removing each candidate in `order` (least important first); keep it
 * removed when the score stays ≥ full − tolerance. Repeated up to `passes` times, since a candidate
 * that was needed early may become removable once others are gone.
 */
export function greedyCircuit(problem: CircuitProblem, order: ArrayLike<number>, levels: { full: number; chance: number }, options: CircuitOptions = {}): Circuit {
  const o = checkOptions(options);
  if (order.length !== problem.size) throw new UserError(`a circuit search order must list all ${problem.size} candidates, got ${order.length}`);
  const target = levels.full - o.tolerance;
  const removed = new Uint8Array(problem.size);
  let evaluations = 0;
  for (let pass = 0; pass < o.passes; pass++) {
    let changed = false;
    for (let t = 0; t < order.length; t++) {
      const c = order[t];
      if (removed[c]) continue;
      removed[c] = 1;
      evaluations++;
      if (problem.score(removed) >= target) changed = true;
      else removed[c] = 0;
    }
    if (!changed) break;
  }
  return verify(problem, removed.map((x) => 1 - x), levels.full, levels.chance, o, evaluations);
}

/**
 * The smallest k such that keeping the first k candidates of `order` (most important first) and
 * removing the rest scores ≥ full − tolerance, by bisection (this assumes the score grows with k,
 * which the checks then test rather than trust).
 */
export function prefixCircuit(problem: CircuitProblem, order: ArrayLike<number>, levels: { full: number; chance: number }, options: CircuitOptions = {}): Circuit {
  const o = checkOptions(options);
  if (order.length !== problem.size) throw new UserError(`a circuit search order must list all ${problem.size} candidates, got ${order.length}`);
  const target = levels.full - o.tolerance;
  const keepFirst = (k: number): Uint8Array => {
    const removed = new Uint8Array(problem.size).fill(1);
    for (let t = 0; t < k; t++) removed[order[t]] = 0;
    return removed;
  };
  let evaluations = 1;
  let lo = 0;
  let hi = problem.size;
  if (problem.score(keepFirst(0)) >= target) hi = 0;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    evaluations++;
    if (problem.score(keepFirst(mid)) >= target) hi = mid;
    else lo = mid;
  }
  return verify(problem, keepFirst(hi).map((x) => 1 - x), levels.full, levels.chance, o, evaluations);
}

/** Candidates ordered by a score, ascending (ties by index), e.g. single-ablation drops: least important first. */
export function ascendingOrder(values: ArrayLike<number>): Int32Array {
  return Int32Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[a] - values[b] || a - b);
}
