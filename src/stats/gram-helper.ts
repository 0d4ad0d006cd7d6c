/**
 * Two threads for one Gram product (Node only, not part of the browser-safe stats index):
 * `useParallelGram()` starts a helper thread (gram-worker.ts) on the spectral kernels' shared
 * memory, and the Gram product of a large matrix (spectral.ts) then splits each chunk's 4×4 blocks
 * between this thread and the helper. The helper claims a posted share with a compare-and-swap; if
 * it has not (still starting, or busy elsewhere), this thread does the share itself, so nothing
 * ever waits on a thread that is not there. The blocks are disjoint, each computed by one kernel
 * call as on one thread: the same bits whichever thread computes them.
 *
 * The layer table turns it on when it computes on the calling thread alone (one layer, or one
 * core's worth of work); its worker threads do not (the two cores are already busy with layers).
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { setGramHelper, spectralKernel, type GramHelper } from './spectral-kernel.js';

/** Slots of the control words. */
export const CONTROL = { state: 0, p: 1, rows: 2, panels: 3, g: 4, ld: 5, ap0: 6, ap1: 7, quit: 8 } as const;
/** States of a posted share: idle, posted, claimed by the helper, done by it, taken back by the poster. */
export const STATE = { idle: 0, posted: 1, claimed: 2, done: 3, taken: 4 } as const;

let running: { worker: Worker; ctl: Int32Array; helper: GramHelper } | null = null;
let helped = 0;

/** How many shares of a Gram product the helper thread has computed since the process started (for the tests). */
export function helperShares(): number {
  return helped;
}

/**
 * Start (or stop, with false) the helper thread. Returns whether one is running: not where the
 * kernels' memory is not shared or there is a single core.
 */
export function useParallelGram(on = true): boolean {
  if (!on) {
    if (running) {
      Atomics.store(running.ctl, CONTROL.quit, 1);
      Atomics.notify(running.ctl, CONTROL.state);
      void running.worker.terminate();
      setGramHelper(null);
      running = null;
    }
    return false;
  }
  if (running) return true;
  const kernel = spectralKernel();
  if (!kernel?.sharedModule || availableParallelism() < 2) return false;
  const control = new SharedArrayBuffer(4 * 16);
  const ctl = new Int32Array(control);
  const worker = new Worker(new URL('./gram-worker.js', import.meta.url), { workerData: { module: kernel.sharedModule, memory: kernel.memory, control } });
  worker.unref(); // never keeps the process alive
  worker.on('error', () => {
    // a helper that failed is simply not there: the poster takes every share back
    if (running?.worker === worker) useParallelGram(false);
  });
  const helper: GramHelper = {
    post(p, rows, panels, g, ld, ap0, ap1) {
      ctl[CONTROL.p] = p;
      ctl[CONTROL.rows] = rows;
      ctl[CONTROL.panels] = panels;
      ctl[CONTROL.g] = g;
      ctl[CONTROL.ld] = ld;
      ctl[CONTROL.ap0] = ap0;
      ctl[CONTROL.ap1] = ap1;
      Atomics.store(ctl, CONTROL.state, STATE.posted);
      Atomics.notify(ctl, CONTROL.state);
    },
    finish() {
      if (Atomics.compareExchange(ctl, CONTROL.state, STATE.posted, STATE.taken) === STATE.posted) {
        kernel.gram(ctl[CONTROL.p], ctl[CONTROL.rows], ctl[CONTROL.panels], ctl[CONTROL.g], ctl[CONTROL.ld], ctl[CONTROL.ap0], ctl[CONTROL.ap1]);
      } else {
        while (Atomics.load(ctl, CONTROL.state) !== STATE.done) Atomics.wait(ctl, CONTROL.state, STATE.claimed, 1000);
        helped++;
      }
      Atomics.store(ctl, CONTROL.state, STATE.idle);
      Atomics.notify(ctl, CONTROL.state);
    },
  };
  running = { worker, ctl, helper };
  setGramHelper(helper);
  return true;
}
