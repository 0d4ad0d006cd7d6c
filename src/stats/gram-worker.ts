/**
 * The helper thread of the Gram product (gram-helper.ts): the spectral kernels instantiated on the
 * calling thread's shared memory, waiting on a control word for a posted share of a chunk's
 * blocks. Node only.
 */
import { workerData } from 'node:worker_threads';
import { CONTROL, STATE } from './gram-helper.js';

const { module, memory, control } = workerData as { module: WebAssembly.Module; memory: WebAssembly.Memory; control: SharedArrayBuffer };
const ctl = new Int32Array(control);
const gram = (new WebAssembly.Instance(module, { env: { mem: memory } }).exports as { gram: (...a: number[]) => void }).gram;

for (;;) {
  const s = Atomics.load(ctl, CONTROL.state);
  if (Atomics.load(ctl, CONTROL.quit)) break;
  if (s === STATE.posted && Atomics.compareExchange(ctl, CONTROL.state, STATE.posted, STATE.claimed) === STATE.posted) {
    gram(ctl[CONTROL.p], ctl[CONTROL.rows], ctl[CONTROL.panels], ctl[CONTROL.g], ctl[CONTROL.ld], ctl[CONTROL.ap0], ctl[CONTROL.ap1]);
    Atomics.store(ctl, CONTROL.state, STATE.done);
    Atomics.notify(ctl, CONTROL.state);
    continue;
  }
  Atomics.wait(ctl, CONTROL.state, s); // until the state changes
}
