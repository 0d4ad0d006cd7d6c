/**
 * The machine-readable result lines of the benches: one per target,
 *   ratio <what> vs <peer>: <x>× (target ≥ <t>×)
 * every ratio oriented so that higher is better (our speed over the peer's; for times, the peer's
 * time over ours), or, when the peer could not run, the reason in place of the ratio.
 * `npm run bench` prints them again together at the end.
 */
export const ratioLines: string[] = [];

export function reportRatio(what: string, peer: string, ratio: number | null, target: number, missing = `${peer} not available`): void {
  const value = ratio === null || !Number.isFinite(ratio) ? missing : `${ratio.toFixed(2)}×`;
  const line = `ratio ${what} vs ${peer}: ${value} (target ≥ ${target.toFixed(Number.isInteger(Math.round(target * 1000) / 100) ? 1 : 2)}×)`;
  ratioLines.push(line);
  console.log(line);
}

/** Run `f` `reps` times interleaved with the others in `fs` (ours, peer, ours, peer, …). */
export async function interleaved<T extends unknown[]>(
  reps: number,
  fs: { [K in keyof T]: () => Promise<T[K]> | T[K] },
): Promise<{ [K in keyof T]: T[K][] }> {
  const list = fs as (() => unknown)[];
  const out: unknown[][] = list.map(() => []);
  for (let r = 0; r < reps; r++) for (const [k, f] of list.entries()) out[k].push(await f());
  return out as { [K in keyof T]: T[K][] };
}

/**
 * A peer measured at several thread counts, `reps` times each inside an interleaved loop: once a
 * thread count has been measured and was more than `slack`× slower than the best so far, its
 * repeats are skipped (it cannot be the best; PyTorch's 2 OpenMP threads on a busy 2-core machine
 * can take minutes). Every count is measured at least once, so the best is never missed.
 */
export function bestOfThreads<R>(measure: (threads: number) => R | null, seconds: (r: R) => number, slack = 3): (threads: number) => () => R | null {
  const best = new Map<number, number>();
  return (threads) => () => {
    const mine = best.get(threads);
    const overall = Math.min(...best.values());
    if (mine !== undefined && mine > slack * overall) return null;
    const r = measure(threads);
    if (r !== null) best.set(threads, Math.min(mine ?? Infinity, seconds(r)));
    return r;
  };
}
