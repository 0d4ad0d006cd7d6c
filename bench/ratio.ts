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
  const line = `ratio ${what} vs ${peer}: ${value} (target ≥ ${target.toFixed(1)}×)`;
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
