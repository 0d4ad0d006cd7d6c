/**
 * The fuzz pass (test/fuzz/harness.ts) over every file reader: seeded corruptions of valid files
 * must end in a return or a one-line UserError, in bounded time and memory. Each target runs in a
 * worker that is terminated if it does not finish: a hang fails the test instead of stalling it.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { FUZZ_TARGETS } from './harness.js';

const SEED = 20261127;
const ITERATIONS = 300;
const WORKER_TIMEOUT_MS = 120_000;

for (const target of FUZZ_TARGETS) {
  test(`fuzz: ${ITERATIONS} corrupted ${target.name} files end in a value or a one-line UserError, within bounds`, async () => {
    const worker = new Worker(new URL('./fuzz-worker.js', import.meta.url), { workerData: { target: target.name, seed: SEED, iterations: ITERATIONS } });
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      new Promise<{ failures: { iteration: number; how: string; problem: string }[]; userErrors: number; accepted: number }>((done, fail) => {
        worker.once('message', done);
        worker.once('error', fail);
      }),
      new Promise<never>((_, fail) => {
        timer = setTimeout(() => fail(new Error(`fuzzing ${target.name} did not finish in ${WORKER_TIMEOUT_MS} ms: a reader hangs`)), WORKER_TIMEOUT_MS);
      }),
    ]).finally(() => {
      clearTimeout(timer);
      void worker.terminate();
    });
    const report = result.failures.slice(0, 5).map((f) => `#${f.iteration} (${f.how}): ${f.problem}`).join('\n');
    assert.equal(result.failures.length, 0, `seed ${SEED}:\n${report}`);
    // The pass must exercise the error paths, not only corruptions the reader shrugs off.
    assert.ok(result.userErrors > ITERATIONS / 4, `only ${result.userErrors} of ${ITERATIONS} corruptions were refused`);
  });
}
