/** Runs one fuzz target in a worker thread, so the test can stop a reader that never returns. */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { FUZZ_TARGETS, fuzzTarget } from './harness.js';

// Nothing to do when a test runner loads this file as a script of its own.
if (!isMainThread && parentPort) {
  const { target, seed, iterations } = workerData as { target: string; seed: number; iterations: number };
  const t = FUZZ_TARGETS.find((x) => x.name === target);
  if (!t) throw new Error(`no fuzz target '${target}'`);
  parentPort.postMessage(fuzzTarget(t, seed, iterations));
}
