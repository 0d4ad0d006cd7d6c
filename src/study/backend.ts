/**
 * The TensorFlow.js backend a job names, selected exactly or refused. A job that trains with the
 * tfjs engine, or runs the tagger (whose matrix products go through tfjs where it is fast), carries
 * the backend its result depends on: the WASM, native and plain-JS backends sum in different
 * orders. A worker never falls back to another backend for such a job (selectBackend's fallback
 * suits a user's command, not a job whose numbers must match the plan's): it refuses it.
 */
import * as tf from '@tensorflow/tfjs';
import { backendInfo, selectBackend, type BackendInfo, type BackendName } from '../model/backend.js';
import { JobRefused } from './types.js';

/** tfjs's own name of each backend. */
const TFJS_NAME: Record<BackendName, string> = { node: 'tensorflow', wasm: 'wasm', cpu: 'cpu' };

export const BACKEND_NAMES = Object.keys(TFJS_NAME) as BackendName[];

/** The option name of a backend tfjs reports (`tensorflow` → `node`). */
export function backendNameOf(info: { name: string }): BackendName {
  const name = BACKEND_NAMES.find((b) => TFJS_NAME[b] === info.name);
  if (!name) throw new Error(`unknown tfjs backend '${info.name}'`);
  return name;
}

/** Make `name` this thread's tfjs backend (unless it is already), or refuse the job that needs it. */
export async function useBackend(name: BackendName): Promise<BackendInfo> {
  if (!Object.hasOwn(TFJS_NAME, name)) throw new JobRefused(`the job needs a TensorFlow.js backend '${name}', which weightscope does not know`);
  // The engine's own record of the active backend (tf.getBackend() would start one when none is).
  if (tf.engine().backendName === TFJS_NAME[name]) return backendInfo();
  const info = await selectBackend(name);
  if (info.name !== TFJS_NAME[name]) throw new JobRefused(`the job needs the TensorFlow.js backend '${name}', which this worker cannot start (it has '${info.name}')`);
  return info;
}
