/**
 * Read a run folder (the layout in docs/architecture.md) back into a ReportInput, so a report can
 * be rebuilt from disk: after a partial or resumed run, or with other claim thresholds. Node only.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../core/index.js';
import { readInputFile, readJsonFile } from '../core/io.js';
import { graphRunDirs, readResultRows, runPaths } from '../core/run-folder.js';
import type { LayerInput, ReportInput } from './html.js';
import { parseTaskName } from '../data/names.js';
import type { SsimRow, TaskInfo } from './summary.js';

export interface ReadRunOptions {
  /** Read sign degrees and σ(w) from graphs/<task>/run-<k>/<layer>.{nodes,edges}.csv (default true). */
  graphs?: boolean;
}

function readJson(path: string): unknown {
  return readJsonFile(path);
}

/** Result rows of a run folder: results.jsonl (torn last line skipped, first of duplicates kept) or results.csv. */
export { readResultRows };

function ssimRows(value: unknown): SsimRow[] | undefined {
  const rows = Array.isArray(value) ? value : (value as { rows?: unknown })?.rows;
  if (!Array.isArray(rows)) return undefined;
  return rows.filter((r) => r && typeof r.distance === 'number' && r.a !== undefined && r.b !== undefined) as SsimRow[];
}

/** Sign degrees of one layer from its nodes.csv (`unit,side,index,k_plus,k_minus,…`). */
function readNodesCsv(path: string): { in: { kPlus: number[]; kMinus: number[] }; out: { kPlus: number[]; kMinus: number[] } } {
  const lines = readInputFile(path, 'nodes table').toString('utf8').split('\n');
  const header = lines[0].split(',');
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new UserError(`${path}: no '${name}' column`);
    return i;
  };
  const [cSide, cIndex, cPlus, cMinus] = [col('side'), col('index'), col('k_plus'), col('k_minus')];
  const sides = { in: { kPlus: [] as number[], kMinus: [] as number[] }, out: { kPlus: [] as number[], kMinus: [] as number[] } };
  for (let i = 1; i < lines.length; i++) {
    if (!lines[i]) continue;
    const cells = lines[i].split(',');
    const s = cells[cSide] === 'in' ? sides.in : cells[cSide] === 'out' ? sides.out : null;
    if (!s) continue;
    // A unit index is one of the file's rows, never a size: 10⁹ would make a sparse array of 10⁹ slots.
    const u = Number(cells[cIndex]);
    const kPlus = Number(cells[cPlus]);
    const kMinus = Number(cells[cMinus]);
    if (!Number.isInteger(u) || u < 0 || u >= lines.length) throw new UserError(`${path}: line ${i + 1}: index '${cells[cIndex]}' is not a unit index of this table`);
    if (!Number.isInteger(kPlus) || !Number.isInteger(kMinus) || kPlus < 0 || kMinus < 0) throw new UserError(`${path}: line ${i + 1}: degrees must be non-negative integers`);
    s.kPlus[u] = kPlus;
    s.kMinus[u] = kMinus;
  }
  return sides;
}

/** σ(w) over all nIn·nOut slots (zeros included, population sd) from an edges.csv of the non-zero weights. */
function sigmaFromEdges(path: string, slots: number): { sigma: number; mean: number } {
  const text = readInputFile(path, 'edges table').toString('utf8');
  let sum = 0;
  let sumSq = 0;
  let start = text.indexOf('\n') + 1;
  while (start > 0 && start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    // source,target,weight,sign: the weight is the third field
    const c1 = text.indexOf(',', start);
    const c2 = text.indexOf(',', c1 + 1);
    const c3 = text.indexOf(',', c2 + 1);
    if (c1 > 0 && c3 > c2 && c3 < end) {
      const w = Number(text.slice(c2 + 1, c3));
      sum += w;
      sumSq += w * w;
    }
    start = end + 1;
  }
  const mean = sum / slots;
  return { sigma: Math.sqrt(Math.max(0, sumSq / slots - mean * mean)), mean };
}

/** Per-layer degrees and σ(w) from graphs/<task>/run-<k>/<layer>.nodes.csv (+ .edges.csv). */
export function readLayerInputs(dir: string): LayerInput[] {
  const out: LayerInput[] = [];
  for (const { task, run, dir: rdir } of graphRunDirs(dir)) {
    for (const file of readdirSync(rdir).sort()) {
      if (!file.endsWith('.nodes.csv')) continue;
      const layer = file.slice(0, -'.nodes.csv'.length);
      const sides = readNodesCsv(join(rdir, file));
      const edges = join(rdir, `${layer}.edges.csv`);
      const slots = sides.in.kPlus.length * sides.out.kPlus.length;
      const w = existsSync(edges) && slots > 0 ? sigmaFromEdges(edges, slots) : undefined;
      out.push({ task, run, layer, ...sides, ...(w ? { sigma: w.sigma, mean: w.mean, count: slots } : {}) });
    }
  }
  return out;
}

/** Task infos recorded in run.json by reproduce (`tasks: [{ task, classes, difficulty, ssimDistance }]`), if any. */
function tasksFromConfig(config: Record<string, unknown>): TaskInfo[] | undefined {
  const tasks = config.tasks;
  if (!Array.isArray(tasks)) return undefined;
  const dataset = (config.config as { dataset?: unknown } | undefined)?.dataset;
  const out: TaskInfo[] = [];
  for (const t of tasks) {
    if (!t || typeof t.task !== 'string' || !Array.isArray(t.classes) || t.classes.length !== 2) return undefined;
    out.push({
      task: t.task,
      dataset: typeof t.dataset === 'string' ? t.dataset : typeof dataset === 'string' ? dataset : (parseTaskName(t.task)?.dataset ?? t.task),
      classes: [t.classes[0], t.classes[1]],
      difficulty: t.difficulty === 'easy' || t.difficulty === 'hard' ? t.difficulty : 'custom',
      ssimDistance: typeof t.ssimDistance === 'number' ? t.ssimDistance : null,
    });
  }
  return out.length ? out : undefined;
}

/** Everything a report needs from a run folder (task infos from run.json when recorded there, else from the rows). */
export function readRunFolder(dir: string, options: ReadRunOptions = {}): ReportInput {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`run folder not found: ${dir}`);
  const rows = readResultRows(dir);
  const paths = runPaths(dir);
  const config = existsSync(paths.record) ? (readJson(paths.record) as Record<string, unknown>) : undefined;
  return {
    rows,
    tasks: config ? tasksFromConfig(config) : undefined,
    config,
    ssim: existsSync(paths.ssim) ? ssimRows(readJson(paths.ssim)) : undefined,
    layers: options.graphs === false ? undefined : readLayerInputs(dir),
  };
}
