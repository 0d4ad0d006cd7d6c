/**
 * A job from a queue is input from anywhere: a Redis worker checks every job's shape and sizes
 * before it runs it (docs/security.md), with the bounds the CLI checks its flags against
 * (src/core/bounds.ts), so `null`, `hidden: [1e8]`, `epochs: 1e15` or 200,000 evaluations are
 * refused with one line naming the problem instead of crashing or occupying the worker forever.
 * Each job kind says what its jobs hold (`check` of its JobKind, with these helpers); the one
 * entry point is checkJob in registry.ts.
 */
import { bound, checkBound, checkMemory, type BoundName } from '../core/bounds.js';
import { UserError } from '../core/errors.js';
import { JobRefused } from './types.js';

/** Reads fields of an unknown value, each one checked; every problem is a JobRefused naming the field's path. */
export class Fields {
  constructor(readonly value: Record<string, unknown>, readonly path: string) {}

  static of(value: unknown, path: string): Fields {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new JobRefused(`${path} is ${describe(value)}, not an object`);
    return new Fields(value as Record<string, unknown>, path);
  }

  private at(key: string): string {
    return `${this.path}.${key}`;
  }

  object(key: string): Fields {
    return Fields.of(this.value[key], this.at(key));
  }

  string(key: string, options: { oneOf?: readonly string[]; optional?: boolean } = {}): string {
    const v = this.value[key];
    if (v === undefined && options.optional) return '';
    if (typeof v !== 'string') throw new JobRefused(`${this.at(key)} is ${describe(v)}, not a string`);
    if (options.oneOf && !options.oneOf.includes(v)) throw new JobRefused(`${this.at(key)} is ${shown(v)}, not one of ${options.oneOf.join(', ')}`);
    return v;
  }

  boolean(key: string): boolean {
    const v = this.value[key];
    if (typeof v !== 'boolean') throw new JobRefused(`${this.at(key)} is ${describe(v)}, not true or false`);
    return v;
  }

  /** A finite number in [min, max]. */
  number(key: string, min = -Infinity, max = Infinity): number {
    const v = this.value[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new JobRefused(`${this.at(key)} is ${describe(v)}, not a number in ${min} … ${max}`);
    return v;
  }

  /** An integer ≥ min, and within the bound `name` when given (the CLI's bound of the same flag). */
  integer(key: string, min: number, name?: BoundName): number {
    return integerAt(this.value[key], this.at(key), min, name);
  }

  /** A sha256 hash in hex (a blob). */
  hash(key: string): string {
    const v = this.value[key];
    if (typeof v !== 'string' || !/^[0-9a-f]{64}$/.test(v)) throw new JobRefused(`${this.at(key)} is ${describe(v)}, not a blob hash`);
    return v;
  }

  /** A list of at most `max` items (the bound `max` when it names one), each read by `item`. */
  list<T>(key: string, max: number | BoundName, item: (value: unknown, path: string) => T, min = 0): T[] {
    const v = this.value[key];
    if (!Array.isArray(v)) throw new JobRefused(`${this.at(key)} is ${describe(v)}, not a list`);
    const limit = typeof max === 'number' ? max : bound(max);
    if (v.length > limit) {
      if (typeof max !== 'number') refuseBound(() => checkBound(max, v.length, this.at(key)));
      throw new JobRefused(`${this.at(key)} has ${v.length} items, at most ${limit} allowed`);
    }
    if (v.length < min) throw new JobRefused(`${this.at(key)} has ${v.length} items, at least ${min} needed`);
    return v.map((x, k) => item(x, `${this.at(key)}[${k}]`));
  }
}

/** An integer ≥ min at `path`, within the bound `name` when given. */
export function integerAt(v: unknown, path: string, min: number, name?: BoundName): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new JobRefused(`${path} is ${describe(v)}, not an integer ≥ ${min}`);
  if (name) refuseBound(() => checkBound(name, v, path));
  return v;
}

/** Run a bounds or memory check; its UserError becomes the job's refusal. */
export function refuseBound(check: () => void): void {
  try {
    check();
  } catch (err) {
    if (err instanceof UserError && !(err instanceof JobRefused)) throw new JobRefused(err.message);
    throw err;
  }
}

/** Refuse a job whose estimated memory is past the `memory` bound. */
export function refuseMemory(step: string, bytes: number): void {
  refuseBound(() => checkMemory(step, bytes));
}

// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** A string from a job made safe for one log line: control characters (newlines, escapes) as `?`. */
export function oneLine(v: string): string {
  return v.replace(CONTROL, '?');
}

/** A string from a job as it may be shown in a message: at most 40 characters, on one line. */
export function shown(v: string): string {
  return `'${oneLine(v.slice(0, 40))}${v.length > 40 ? '…' : ''}'`;
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return shown(v);
  if (typeof v === 'number') return String(v);
  return typeof v === 'object' ? 'an object' : String(v);
}
