/**
 * `npm run bench`: every benchmark, each printing its numbers next to a baseline measured in the
 * same run (ratios, not absolute targets: machines differ). Run one with `npm run bench -- stats`.
 */
import { loadavg } from 'node:os';
import { ratioLines } from './ratio.js';

const BENCHES = ['train', 'evaluate', 'randomize', 'stats', 'layers', 'onnx', 'transformer', 'start', 'cli-start', 'study', 'redis', 'whole-study', 'compare', 'studies'] as const;

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const unknown = only.filter((b) => !(BENCHES as readonly string[]).includes(b));
  if (unknown.length) {
    process.stderr.write(`bench: unknown benchmark '${unknown[0]}' (benchmarks: ${BENCHES.join(', ')})\n`);
    process.exitCode = 2;
    return;
  }
  for (const name of BENCHES) {
    if (only.length && !only.includes(name)) continue;
    process.stdout.write(`\n=== bench ${name} ===\n`);
    const mod = (await import(`./${name}.js`)) as { run: () => Promise<void> };
    await mod.run();
  }
  process.stdout.write(`\n=== targets (load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}) ===\n${ratioLines.join('\n')}\n`);
}

await main();
