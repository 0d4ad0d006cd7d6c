/**
 * Every upper bound weightscope puts on work a file or a flag asks for, in one table: sizes a
 * model file declares (zip archives, tensors, HDF5 nesting) and flags that size work (`--count`,
 * `--samples`, `--dim`, …). A bound is checked before anything is allocated or started, by the
 * CLI's flag parsers, the file readers and the Redis worker alike, so a request past it is one
 * line naming the bound and how to raise it, never a RangeError, an exhausted heap or a run
 * without end. docs/security.md lists them.
 *
 * Each bound can be raised (or lowered) with an environment variable, `WEIGHTSCOPE_MAX_<NAME>`
 * (e.g. `WEIGHTSCOPE_MAX_ZIP_ENTRIES=50000`), read when it is checked: a worker applies its own
 * environment's bounds to the jobs it takes, whatever the job asks. Browser-safe (no Node imports).
 */
import { UserError } from './errors.js';

export interface Bound {
  /** Upper bound (inclusive) when the environment does not say otherwise. */
  max: number;
  /** What is counted, for messages ("lines", "bytes", …). */
  unit: string;
  /** What it bounds, for messages and docs/security.md. */
  what: string;
  /** Why this default: what going past it costs. */
  why: string;
}

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** The bounds. Names are the environment suffix in lower camel case: `zipEntries` ↔ WEIGHTSCOPE_MAX_ZIP_ENTRIES. */
export const BOUNDS = {
  // What a model file may declare.
  zipEntries: { max: 10_000, unit: 'entries', what: 'entries in a zip archive (.npz, .keras)', why: 'a forged central directory can claim 4 billion entries' },
  zipBytes: { max: 4 * GiB, unit: 'bytes', what: 'uncompressed bytes of all entries of a zip archive together', why: 'a 1 MB zip bomb inflates to 4 GiB' },
  zipEntryBytes: { max: 2 * GiB, unit: 'bytes', what: 'uncompressed bytes of one zip entry', why: 'one entry is held in one buffer' },
  zipRatio: { max: 200, unit: '×', what: 'compression ratio (uncompressed / compressed) of one zip entry above 1 MiB', why: 'weights compress about 1.1×; a bomb, 1000×' },
  tensorBytes: { max: 4 * GiB, unit: 'bytes', what: 'bytes of one tensor a model file declares (HDF5 dataset, …)', why: 'a 200,000 × 200,000 float32 dataset would need 149 GiB' },
  hdf5Depth: { max: 32, unit: 'levels', what: 'nesting of HDF5 groups in a Keras weights file', why: 'Keras nests 4 deep; deeper means a cycle or a forged file' },
  hdf5Objects: { max: 100_000, unit: 'objects', what: 'groups and datasets walked in a Keras weights file', why: 'each costs a call into HDF5' },
  jsonBytes: { max: 256 * MiB, unit: 'bytes', what: 'bytes of a JSON file inside a model (config.json, an index)', why: 'parsed as one string' },
  gunzipBytes: { max: 1 * GiB, unit: 'bytes', what: 'bytes a gzipped IDX file may inflate to', why: 'MNIST is 45 MiB inflated' },
  // How much one step may need (the estimate each command makes before it starts).
  memory: { max: 8 * GiB, unit: 'bytes', what: 'memory one step is estimated to need (text-lines images, a training batch, a model)', why: 'past it the heap or WebAssembly memory runs out mid-run' },
  // Flags that size work.
  count: { max: 100_000, unit: 'lines', what: 'text-lines --count', why: '180 KiB of float32 per 48×320 line' },
  digits: { max: 64, unit: 'digits', what: 'text-lines --digits', why: 'digits per line' },
  height: { max: 1024, unit: 'pixels', what: 'text-lines --height', why: 'image height' },
  width: { max: 16_384, unit: 'pixels', what: 'text-lines --width', why: 'image width' },
  samples: { max: 10_000, unit: 'samples', what: 'stats --samples, compare --samples (null samples per z-score)', why: 'each is a full randomization of the layer' },
  points: { max: 100_000, unit: 'points', what: 'percolate --points', why: 'each point is a connectivity pass over the layer' },
  resamples: { max: 1_000_000, unit: 'resamples', what: 'compare --resamples (bootstrap resamples)', why: 'each resamples every group\'s rows' },
  drawingSize: { max: 1_024, unit: 'pixels', what: 'compare --size (pixels a side of a drawing network\'s pictures)', why: 'every probe draws size² pixels through the network' },
  sweeps: { max: 10_000, unit: 'weights', what: 'compare --sweeps (single weights swept)', why: 'each sweep draws the picture several times' },
  repeats: { max: 1_000, unit: 'seeds', what: 'probe --repeats (seeds per level)', why: 'each is a full evaluation' },
  levels: { max: 1_000, unit: 'levels', what: 'probe --levels (items in the list)', why: 'each is a full evaluation per repeat' },
  steps: { max: 1_000_000_000, unit: 'steps', what: 'randomize --steps (mixing steps)', why: 'about 10⁷ steps a second' },
  evalTokens: { max: 10_000_000, unit: 'tokens', what: '--eval-tokens (held-out tokens scored per model)', why: 'the Brown corpus has 1.16 M tokens' },
  probeBatch: { max: 1_000_000, unit: 'inputs', what: 'probe --batch-size (inputs per ONNX Runtime run)', why: 'one batch is one tensor' },
  runs: { max: 1_000, unit: 'models', what: '--runs (models trained per task)', why: 'each is a full training' },
  hidden: { max: 65_536, unit: 'units', what: '--hidden (units of one hidden layer)', why: 'a 784 × 65,536 layer is 600 MiB of float32 with its Adam state' },
  hiddenLayers: { max: 64, unit: 'layers', what: '--hidden (number of hidden layers)', why: 'the reference study uses one' },
  epochs: { max: 10_000, unit: 'epochs', what: '--epochs', why: 'each is a pass over the training set' },
  batchSize: { max: 65_536, unit: 'images', what: '--batch-size (training)', why: 'MNIST has 60,000 training images' },
  jobEvaluations: { max: 10_000, unit: 'evaluations', what: 'evaluations (or study items) in one job a Redis worker takes', why: 'plans cut a model\'s sweep into jobs of 48 (taggers: 4)' },
  workers: { max: 256, unit: 'threads', what: '--workers / --concurrency', why: 'one per core' },
  blocks: { max: 64, unit: 'blocks', what: 'transformer --blocks', why: 'the default is 4; time grows with it' },
  dim: { max: 4_096, unit: 'units', what: 'transformer --dim (model width)', why: 'the default is 64; time grows with dim²' },
  heads: { max: 64, unit: 'heads', what: 'transformer --heads', why: 'each head is at least one unit of --dim' },
  ffn: { max: 16_384, unit: 'units', what: 'transformer --ffn (feed-forward width)', why: 'the default is 256' },
  trainTokens: { max: 100_000_000, unit: 'tokens', what: 'transformer --train-tokens (training tokens per model)', why: 'about 10⁴–10⁵ tokens a second: 10⁸ is hours' },
} as const satisfies Record<string, Bound>;

export type BoundName = keyof typeof BOUNDS;

/** The environment variable that overrides a bound: `zipEntries` → `WEIGHTSCOPE_MAX_ZIP_ENTRIES`. */
export function boundEnv(name: BoundName): string {
  return `WEIGHTSCOPE_MAX_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

function env(name: string): string | undefined {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return p?.env?.[name];
}

/** The bound in force: the environment's `WEIGHTSCOPE_MAX_<NAME>` (a positive decimal integer), else the default. */
export function bound(name: BoundName): number {
  const variable = boundEnv(name);
  const text = env(variable)?.trim();
  if (text === undefined || text === '') return BOUNDS[name].max;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < 1) {
    throw new UserError(`${variable}=${text} is not a positive decimal integer`);
  }
  return Number(text);
}

/** A byte count for people, in binary units as the bounds are: 4 GiB, 180 KiB. */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const digits = v.toPrecision(3);
  return u === 0 ? `${n} bytes` : `${digits.includes('.') ? digits.replace(/\.?0+$/, '') : digits} ${units[u]}`;
}

function show(name: BoundName, n: number): string {
  const { unit } = BOUNDS[name];
  return unit === 'bytes' ? formatBytes(n) : unit === '×' ? `${n}×` : `${n.toLocaleString('en-US')} ${unit}`;
}

/** The message of a value past its bound: what (`label`, default the bound's own), how much, the bound, how to raise it. */
export function boundMessage(name: BoundName, value: number, label: string | null = BOUNDS[name].what): string {
  const text = `${show(name, value)} is above the bound of ${show(name, bound(name))} (${BOUNDS[name].why}); raise it with ${boundEnv(name)}=N if you mean it`;
  return label === null ? text : `${label}: ${text}`;
}

/** Throw a one-line UserError when `value` is above the bound `name`. */
export function checkBound(name: BoundName, value: number, label?: string | null): void {
  if (!(value <= bound(name))) throw new UserError(boundMessage(name, value, label));
}

/** The last step whose memory was estimated (checkMemory, wasmMemory): named when memory runs out anyway. */
let lastEstimate: { step: string; bytes: number } | null = null;

export function lastMemoryEstimate(): { step: string; bytes: number } | null {
  return lastEstimate;
}

/**
 * Check a step's estimated memory before it starts: `bytes` (an estimate made from the flags or the
 * file's declared sizes) against the `memory` bound. `step` names what needs it.
 */
export function checkMemory(step: string, bytes: number): void {
  lastEstimate = { step, bytes };
  if (!(bytes <= bound('memory'))) {
    throw new UserError(`${step} would need about ${formatBytes(bytes)} of memory, above the bound of ${formatBytes(bound('memory'))}; use smaller sizes, or raise it with ${boundEnv('memory')}=BYTES if this machine has the memory`);
  }
}

/** True for what an allocation the machine refuses raises: the heap, an ArrayBuffer, WebAssembly memory. */
export function isOutOfMemory(err: unknown): boolean {
  const message = String((err as Error)?.message ?? '');
  return err instanceof Error && !(err instanceof UserError) && /could not allocate memory|Cannot allocate Wasm memory|Array buffer allocation failed|WebAssembly\.Memory\.grow\(\): Maximum memory size exceeded|Out of memory/i.test(message);
}

/** The one line for memory the machine refused: the step, what it needed, what to do. */
export function outOfMemoryError(step: string, bytes: number | null, err: unknown): UserError {
  const reason = String((err as Error)?.message ?? err).split('\n')[0].replace(/^Aborted\((.*)\)\.?.*$/, '$1');
  return new UserError(
    `not enough memory for ${step}${bytes !== null ? `, which needs about ${formatBytes(bytes)}` : ''} (${reason}): free memory, use smaller sizes, or raise the process's limit (ulimit -v: each WebAssembly memory also reserves about 8 GiB of address space)`,
  );
}

/** A WebAssembly memory of at least `bytes`, or the one line saying how much `step` needed. */
export function wasmMemory(bytes: number, step: string): WebAssembly.Memory {
  lastEstimate = { step, bytes };
  try {
    return new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) });
  } catch (err) {
    if (isOutOfMemory(err)) throw outOfMemoryError(step, bytes, err);
    throw err;
  }
}

/** Grow a WebAssembly memory to at least `bytes`, or the one line saying how much `step` needed. */
export function growWasmMemory(memory: WebAssembly.Memory, bytes: number, step: string): void {
  if (memory.buffer.byteLength >= bytes) return;
  lastEstimate = { step, bytes };
  try {
    memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
  } catch (err) {
    if (err instanceof RangeError || isOutOfMemory(err)) throw outOfMemoryError(step, bytes, err);
    throw err;
  }
}

/** docs/security.md's table of bounds, generated (a test checks the doc holds exactly this). */
export function boundsTable(): string {
  const rows = (Object.keys(BOUNDS) as BoundName[]).map((name) => {
    const b = BOUNDS[name];
    return `| ${b.what} | ${show(name, b.max)} | \`${boundEnv(name)}\` | ${b.why} |`;
  });
  return ['| bounds | default | raise it with | why |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
