/**
 * The one results-row type: one tidy row per evaluation. Written to results.jsonl (the
 * resumable log) and results.csv; read back by the report and the viewer. Documented in
 * docs/results-schema.md.
 */
import { csvFormatRows, csvParseRows } from 'd3-dsv';

export const PROBES = ['baseline', 'prune', 'binarize', 'noise', 'binarize+noise', 'signflip', 'randomize'] as const;
export type ProbeName = (typeof PROBES)[number];
export type Difficulty = 'easy' | 'hard' | 'custom';

export interface ResultRow {
  /** `<dataset>-<a>v<b>`, e.g. `mnist-0v7`. */
  task: string;
  difficulty: Difficulty;
  probe: ProbeName;
  /** `reference` for the reference study's definition; A…G or a null-model name for randomize. */
  variant: string;
  /** True when sign() was applied after the probe. */
  signed: boolean;
  /** The probe's parameter (fraction pruned, noise amplitude, fraction flipped…); 0 for none. */
  level: number;
  /** `all`, or the one layer the probe was applied to. */
  layer: string;
  /** Index of the trained model (0-based). */
  run: number;
  /** Seed of this evaluation's random draws (0 for deterministic probes). */
  seed: number;
  accuracy: number;
  n_test: number;
  /** Input scaling, `pm1` ([−1, 1], the reference) or `unit` ([0, 1]). */
  inputs: string;
}

/** Column order of results.csv. */
export const RESULT_COLUMNS: (keyof ResultRow)[] = [
  'task', 'difficulty', 'probe', 'variant', 'signed', 'level', 'layer', 'run', 'seed', 'accuracy', 'n_test', 'inputs',
];

/** What identifies an evaluation, for resuming: every column but the measured ones (the seed tells repetitions apart). */
export function rowKey(r: Pick<ResultRow, 'task' | 'probe' | 'variant' | 'signed' | 'level' | 'layer' | 'run' | 'seed' | 'inputs'>): string {
  return [r.task, r.probe, r.variant, r.signed ? 1 : 0, formatLevel(r.level), r.layer, r.run, r.seed, r.inputs].join('|');
}

/** Levels are printed with enough digits to round-trip and no float noise like 0.30000000000000004. */
export function formatLevel(x: number): string {
  return String(Number(x.toPrecision(12)));
}

/** Numbers are written in their shortest exact form, so results.csv and results.jsonl agree bit for bit. */
function csvValue(v: unknown): string {
  return String(v);
}

export function rowsToCsv(rows: ResultRow[]): string {
  return csvFormatRows([RESULT_COLUMNS, ...rows.map((r) => RESULT_COLUMNS.map((c) => csvValue(r[c])))]) + '\n';
}

/** Parse one results.jsonl line; returns null for a torn or foreign line. */
export function parseRow(line: string): ResultRow | null {
  if (!line.trim()) return null;
  try {
    const o = JSON.parse(line);
    if (typeof o !== 'object' || o === null || typeof o.task !== 'string' || typeof o.accuracy !== 'number') return null;
    return o as ResultRow;
  } catch {
    return null;
  }
}

const NUMERIC_COLUMNS = new Set(['level', 'run', 'seed', 'accuracy', 'n_test']);

/**
 * Parse results.csv text (as written by rowsToCsv) back into rows; used by the viewer. Uses
 * csvParseRows: d3's csvParse builds its row objects with `new Function`, which the viewer's
 * Content-Security-Policy (no eval) forbids.
 */
export function csvToRows(text: string): ResultRow[] {
  const [header = [], ...lines] = csvParseRows(text);
  return lines
    .filter((cells) => cells.length > 1 || cells[0] !== '')
    .map((cells) => {
      const o: Record<string, unknown> = {};
      header.forEach((k, i) => {
        const v = cells[i] ?? '';
        o[k] = k === 'signed' ? v === 'true' : NUMERIC_COLUMNS.has(k) ? Number(v) : v;
      });
      return o as unknown as ResultRow;
    });
}
