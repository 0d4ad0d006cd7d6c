/**
 * Start-up of the CLI on a small model: `weightscope layers MODEL` and `weightscope stats MODEL`
 * (a PyTorch-layout 784 → 64 → 2 MLP as .safetensors, written here) against `node -e ''`, the floor
 * no command can beat. Each command loads only what it needs (the format's reader, no TensorFlow.js,
 * ONNX Runtime or h5wasm), so a small model answers in a small multiple of Node's own start. The
 * three alternate, BENCH_CLI_START_REPS (7) times each; best of each. Ratio: the floor's time over
 * the command's (1.0 would be no cost at all). Run: `node dist/bench/cli-start.js`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../src/core/rng.js';
import { encodeSafetensors } from '../src/formats/safetensors.js';
import { interleaved, reportRatio } from './ratio.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');

function timed(args: string[]): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  const s = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr.trim().split('\n').pop()}`);
  return s;
}

export async function run(): Promise<void> {
  const reps = Number(process.env.BENCH_CLI_START_REPS ?? 7);
  const dir = mkdtempSync(join(tmpdir(), 'ws-bench-cli-start-'));
  try {
    const rng = new Rng(1);
    const tensor = (name: string, shape: number[]) => ({ name, dtype: 'F32' as const, shape, values: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 0.05 * rng.normal()) });
    const model = join(dir, 'mlp.safetensors');
    writeFileSync(model, encodeSafetensors([tensor('0.weight', [64, 784]), tensor('0.bias', [64]), tensor('2.weight', [2, 64]), tensor('2.bias', [2])]));
    const [floor, layers, stats] = await interleaved(reps, [
      () => timed(['-e', '']),
      () => timed([cli, 'layers', model]),
      () => timed([cli, 'stats', model]),
    ]);
    const best = (xs: number[]) => Math.min(...xs);
    const [f, l, s] = [best(floor), best(layers), best(stats)];
    console.log(`start-up on a 784 → 64 → 2 MLP (.safetensors), best of ${reps}: node -e '' ${(f * 1000).toFixed(0)} ms, layers ${(l * 1000).toFixed(0)} ms, stats ${(s * 1000).toFixed(0)} ms`);
    reportRatio('weightscope layers start-up', "node -e '' (the floor)", f / l, 0.25);
    reportRatio('weightscope stats start-up', "node -e '' (the floor)", f / s, 0.2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
