/**
 * The one results-row type: one tidy row per evaluation. Written to results.jsonl (the
 * resumable log) and results.csv; read back by the report and the viewer. Documented in
 * docs/results-schema.md.
 */
import { csvFormatRows, csvParseRows } from 'd3-dsv';
import { UserError } from './errors.js';

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
  /**
   * Optional columns (written to results.csv only when some row has them; empty cells otherwise).
   * `bias`: which biases the probed model ran with (`trained`, the default, when absent; or
   * `reference-init`, the reference code's freshly initialised biases) — part of a row's identity.
   */
  bias?: string;
  /** Linear CKA between the hidden activations of the original and of the probed model. */
  cka?: number;
  /** Macro-averaged F1 over the classes (multi-class and tagging tasks). */
  f1?: number;
  /** Without labels: top-1 agreement with the unprobed model on the same inputs. */
  agreement?: number;
  /** Without labels: mean KL(original ‖ probed) of the output distributions. */
  kl?: number;
  /** Without labels: mean cosine similarity of the outputs. */
  cosine?: number;
}

/** Column order of results.csv. */
export const RESULT_COLUMNS: (keyof ResultRow)[] = [
  'task', 'difficulty', 'probe', 'variant', 'signed', 'level', 'layer', 'run', 'seed', 'accuracy', 'n_test', 'inputs',
];

/** Optional columns, in this order after RESULT_COLUMNS, when any row carries them. */
export const OPTIONAL_COLUMNS: (keyof ResultRow)[] = ['bias', 'cka', 'f1', 'agreement', 'kl', 'cosine'];

/**
 * The columns a set of rows is written with: the fixed ones, the optional ones present, then a
 * study kind's own columns (the multi-task study's `tasks`, `noise`, `ood_r2`, …; documented in
 * docs/results-schema.md): every other key the rows carry, in the order the rows first name them.
 */
export function columnsOf(rows: ResultRow[]): string[] {
  const known = new Set<string>([...RESULT_COLUMNS, ...OPTIONAL_COLUMNS]);
  const own: string[] = [];
  for (const r of rows) {
    for (const k of Object.keys(r)) {
      if (!known.has(k)) {
        known.add(k);
        own.push(k);
      }
    }
  }
  return [...RESULT_COLUMNS, ...OPTIONAL_COLUMNS.filter((c) => rows.some((r) => r[c] !== undefined)), ...own];
}

/** What identifies an evaluation, for resuming: every column but the measured ones (the seed tells repetitions apart). */
export function rowKey(r: Pick<ResultRow, 'task' | 'probe' | 'variant' | 'signed' | 'level' | 'layer' | 'run' | 'seed' | 'inputs' | 'bias'>): string {
  const key = [r.task, r.probe, r.variant, r.signed ? 1 : 0, formatLevel(r.level), r.layer, r.run, r.seed, r.inputs];
  // Rows with trained biases keep the key they had before the bias column existed.
  if (r.bias !== undefined && r.bias !== 'trained') key.push(`bias=${r.bias}`);
  return key.join('|');
}

/** Levels are printed with enough digits to round-trip and no float noise like 0.30000000000000004. */
export function formatLevel(x: number): string {
  return String(Number(x.toPrecision(12)));
}

/** Numbers are written in their shortest exact form, so results.csv and results.jsonl agree bit for bit. */
function csvValue(v: unknown): string {
  // null: a measurement a kind could not make (JSON has no NaN; results.jsonl holds null)
  return v === undefined || v === null ? '' : String(v);
}

export function rowsToCsv(rows: ResultRow[]): string {
  const columns = columnsOf(rows);
  return csvFormatRows([columns, ...rows.map((r) => columns.map((c) => csvValue((r as unknown as Record<string, unknown>)[c])))]) + '\n';
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

const NUMERIC_COLUMNS = new Set(['level', 'run', 'seed', 'accuracy', 'n_test', 'cka', 'f1', 'agreement', 'kl', 'cosine']);
const OPTIONAL = new Set<string>(OPTIONAL_COLUMNS);
/** How rowsToCsv writes a number (String of a finite number); anything else in a numeric cell is not a number. */
const CSV_NUMBER = /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const COMMON = new Set<string>([...RESULT_COLUMNS, ...OPTIONAL_COLUMNS]);

/**
 * The line on which each CSV record starts (1-based), by the quoting rules csvParseRows follows; a
 * quoted field that is never closed is a UserError naming the line where it opens (d3 would read
 * the rest of the file into that one cell).
 */
function recordLines(text: string): number[] {
  const starts: number[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n || (i === n && starts.length === 0)) {
    starts.push(line);
    // one record: fields separated by commas, ended by a line break outside quotes
    for (;;) {
      if (text[i] === '"') {
        const opened = line;
        i++;
        for (;;) {
          if (i >= n) throw new UserError(`line ${opened}: a quoted field is never closed (an unterminated quote)`);
          if (text[i] === '"') {
            if (text[i + 1] === '"') i += 2;
            else break;
          } else {
            if (text[i] === '\n') line++;
            i++;
          }
        }
        i++; // the closing quote
      }
      while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') i++;
      if (i < n && text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '\r') i++;
      if (text[i] === '\n') i++;
      line++;
      break;
    }
    if (i >= n) break;
  }
  return starts;
}

/**
 * Parse results.csv text (as written by rowsToCsv) back into rows; used by the report and the
 * viewer. Uses csvParseRows: d3's csvParse builds its row objects with `new Function`, which the
 * viewer's Content-Security-Policy (no eval) forbids. Strict, so nothing is read as a wrong value:
 * an unterminated quote, a numeric cell that is not a number (an empty accuracy is not 0) or a
 * `signed` that is not true/false is a UserError naming the line.
 */
export function csvToRows(text: string): ResultRow[] {
  const lines = recordLines(text);
  const [header = [], ...records] = csvParseRows(text);
  const rows: ResultRow[] = [];
  records.forEach((cells, k) => {
    if (cells.length === 1 && cells[0] === '') return; // a blank line
    const line = lines[k + 1] ?? k + 2;
    const o: Record<string, unknown> = {};
    header.forEach((key, i) => {
      const v = cells[i] ?? '';
      if (v === '' && OPTIONAL.has(key)) return; // an absent optional value
      if (!COMMON.has(key)) {
        // a study kind's own column: empty = not measured; numbers as numbers, the rest as text
        if (v !== '') o[key] = CSV_NUMBER.test(v) ? Number(v) : v;
        return;
      }
      if (NUMERIC_COLUMNS.has(key)) {
        if (!CSV_NUMBER.test(v)) throw new UserError(`line ${line}: column '${key}' is ${v === '' ? 'empty' : `'${v.slice(0, 40)}'`}, not a number`);
        o[key] = Number(v);
      } else if (key === 'signed') {
        if (v !== 'true' && v !== 'false') throw new UserError(`line ${line}: column 'signed' is '${v.slice(0, 40)}', not true or false`);
        o[key] = v === 'true';
      } else o[key] = v;
    });
    rows.push(o as unknown as ResultRow);
  });
  return rows;
}
