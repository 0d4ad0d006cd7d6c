/**
 * Choosing the TensorFlow.js backend. This happens once, at the edge of the program (the CLI or a
 * bench script); the rest of src/model trains on whatever backend is active and never chooses.
 */
import * as tf from '@tensorflow/tfjs';
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import { UserError } from '../core/index.js';

export type BackendName = 'node' | 'wasm' | 'cpu';

export interface BackendInfo {
  /** tfjs's own name for the backend: `tensorflow` (tfjs-node), `wasm` or `cpu`. */
  name: string;
  /** Version of the tfjs package providing it. */
  version: string;
}

const require = createRequire(import.meta.url);
let wasmPathsSet = false;
let wasmVersion: string | undefined;

/**
 * Make tfjs quiet: its `cpu` backend prints a banner recommending tfjs-node on first use, and
 * other notices go to the console too. `PROD` only gates tfjs's log/warn helpers.
 */
export function silenceTfjs(): void {
  tf.env().set('PROD', true);
}

async function tryNode(): Promise<boolean> {
  try {
    // A variable specifier: tfjs-node is an optional dependency that is usually absent, and
    // TypeScript must not require its types.
    const specifier = '@tensorflow/tfjs-node';
    await import(specifier);
    return await tf.setBackend('tensorflow');
  } catch {
    return false;
  }
}

async function tryWasm(): Promise<boolean> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (!wasmPathsSet) {
      // The .wasm binaries ship in the package's dist folder (beside its Node entry point).
      const entry = require.resolve('@tensorflow/tfjs-backend-wasm');
      wasm.setWasmPaths(dirname(entry) + '/');
      wasmPathsSet = true;
    }
    wasmVersion = wasm.version_wasm;
    return await tf.setBackend('wasm');
  } catch {
    return false;
  }
}

/**
 * Select the fastest available backend (tfjs-node, then WASM, then plain JS `cpu`), or the preferred
 * one, falling back down that list when it is unavailable. Returns what is in use.
 */
export async function selectBackend(prefer?: BackendName): Promise<BackendInfo> {
  silenceTfjs();
  const order: BackendName[] = prefer === 'cpu' ? ['cpu'] : prefer === 'wasm' ? ['wasm', 'cpu'] : ['node', 'wasm', 'cpu'];
  for (const b of order) {
    const ok = b === 'node' ? await tryNode() : b === 'wasm' ? await tryWasm() : await tf.setBackend('cpu');
    if (ok) {
      await tf.ready();
      return backendInfo();
    }
  }
  throw new UserError('no TensorFlow.js backend could be initialised (tried ' + order.join(', ') + ')');
}

/** Whether the optional native tfjs-node package is installed (resolvable from here). */
export function tfjsNodeInstalled(): boolean {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

export type TrainEngineName = 'tfjs' | 'sparse';

/**
 * The training engine used when none is asked for: `tfjs` where tfjs-node (native TensorFlow) is
 * installed, else `sparse`, weightscope's WASM SIMD engine, the fastest engine tested to train the
 * same model as tfjs to float rounding (docs/performance-model.md).
 */
export function defaultTrainEngine(): TrainEngineName {
  return tfjsNodeInstalled() ? 'tfjs' : 'sparse';
}

/** The backend tfjs is using now. */
export function backendInfo(): BackendInfo {
  const name = tf.getBackend();
  const versions = tf.version as Record<string, string>;
  const version =
    (name === 'tensorflow' ? versions['tfjs-node'] : name === 'wasm' ? wasmVersion : versions['tfjs-backend-cpu']) ??
    versions['tfjs-core'] ??
    'unknown';
  return { name, version };
}
