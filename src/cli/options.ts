/** Flag parsers shared by the subcommands: each rejects bad values with commander's one-line error. */
import { InvalidArgumentError } from 'commander';
import { PROBES, type ProbeName } from '../core/results.js';
import { UserError } from '../core/errors.js';
import { bound, boundMessage, type BoundName } from '../core/bounds.js';
import { checkOutputDir, checkOutputFile } from '../core/io.js';

/**
 * Numbers on the command line are plain decimals: `Number()` alone would read '' and ' ' as 0,
 * '0x10' as 16 and '1e3' as an integer, so a typo would silently become a value. Integers are
 * digits only; reals are decimals with an optional exponent (no hex, Infinity or NaN).
 */
const DECIMAL_INT = /^[+-]?\d+$/;
const DECIMAL_REAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** Parse one decimal number, or throw commander's one-line error ending in `must`. */
export function parseDecimal(value: string, must: string, options: { integer?: boolean } = {}): number {
  const text = value.trim();
  if (text === '') throw new InvalidArgumentError(`is empty; ${must}.`);
  if (!(options.integer ? DECIMAL_INT : DECIMAL_REAL).test(text)) throw new InvalidArgumentError(`${must} (decimal digits only).`);
  return Number(text);
}

export function positiveInt(value: string): number {
  const must = 'must be a positive integer';
  const n = parseDecimal(value, must, { integer: true });
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`${must}.`);
  return n;
}

export function nonNegativeInt(value: string): number {
  const must = 'must be a non-negative integer';
  const n = parseDecimal(value, must, { integer: true });
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`${must}.`);
  return n;
}

/**
 * A positive integer flag that sizes work, checked against its bound in core/bounds.ts as it is
 * parsed, so a value past it is refused before anything starts (and nothing is written).
 */
export function boundedInt(name: BoundName, options: { min?: 0 | 1 } = {}): (value: string) => number {
  return (value) => {
    const n = options.min === 0 ? nonNegativeInt(value) : positiveInt(value);
    if (n > bound(name)) throw new InvalidArgumentError(`${boundMessage(name, n, null)}.`);
    return n;
  };
}

/** A list flag whose length is bounded (`--levels`). */
export function boundedList<T>(name: BoundName, parse: (value: string) => T[]): (value: string) => T[] {
  return (value) => {
    const list = parse(value);
    if (list.length > bound(name)) throw new InvalidArgumentError(`${boundMessage(name, list.length, 'items')}.`);
    return list;
  };
}

/** A list of positive integers (`--hidden 64,32`), each within the bound `each`, at most `count` items. */
export function boundedIntList(each: BoundName, count: BoundName): (value: string) => number[] {
  return (value) => {
    const list = intList(value);
    if (list.length > bound(count)) throw new InvalidArgumentError(`${boundMessage(count, list.length, null)}.`);
    const big = list.find((n) => n > bound(each));
    if (big !== undefined) throw new InvalidArgumentError(`${boundMessage(each, big, null)}.`);
    return list;
  };
}

/** Seeds are decimal integers 0 … 2³²−1 (hex such as 0x10 is rejected, not read as 16). */
export function seedValue(value: string): number {
  const must = 'must be an integer 0 … 4294967295';
  const n = parseDecimal(value, must, { integer: true });
  if (n < 0 || n > 0xffffffff) throw new InvalidArgumentError(`${must}.`);
  return n;
}

export function positiveNumber(value: string): number {
  const n = parseDecimal(value, 'must be a positive number');
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number.');
  return n;
}

export function fraction(value: string): number {
  const n = parseDecimal(value, 'must be a fraction, 0 ≤ x < 1');
  if (!Number.isFinite(n) || n < 0 || n >= 1) throw new InvalidArgumentError('must be a fraction, 0 ≤ x < 1.');
  return n;
}

export function numberValue(value: string): number {
  const n = parseDecimal(value, 'must be a number');
  if (!Number.isFinite(n)) throw new InvalidArgumentError('must be a number.');
  return n;
}

/** A comma-separated list; every item must be there (`0.5,,1` and `''` are errors, not zeros). */
function listOf<T>(value: string, parseItem: (item: string) => T, must: string): T[] {
  const items = value.split(',');
  if (items.some((s) => s.trim() === '')) throw new InvalidArgumentError(`has an empty item; ${must}.`);
  return items.map((s) => {
    try {
      return parseItem(s);
    } catch {
      throw new InvalidArgumentError(`'${s.trim()}' is not valid; ${must}.`);
    }
  });
}

export function intList(value: string): number[] {
  return listOf(value, positiveInt, 'must be a comma-separated list of positive integers, e.g. 64 or 64,32');
}

export function numberList(value: string): number[] {
  return listOf(value, numberValue, 'must be a comma-separated list of numbers, e.g. 0,0.5,0.9');
}

export function probeList(value: string): ProbeName[] {
  const parts = value.split(',').map((s) => s.trim());
  for (const p of parts) {
    if (!(PROBES as readonly string[]).includes(p)) throw new InvalidArgumentError(`unknown probe '${p}' (probes: ${PROBES.join(', ')}).`);
  }
  return parts as ProbeName[];
}

/** `--out <dir>`: checked as the flag is parsed, before any work (an existing file, /proc, read-only…). */
export function outputDir(value: string): string {
  return asFlagError(() => checkOutputDir(value), value);
}

/** `--out <file>`: not a folder or device, in a folder that can be written. */
export function outputFile(value: string): string {
  return asFlagError(() => checkOutputFile(value), value);
}

function asFlagError(check: () => void, value: string): string {
  try {
    check();
  } catch (err) {
    if (err instanceof UserError) throw new InvalidArgumentError(err.message);
    throw err;
  }
  return value;
}

export function timestamp(): string {
  return new Date().toISOString().replace(/[:]/g, '-').replace(/\..+$/, '');
}
