/** Flag parsers shared by the subcommands: each rejects bad values with commander's one-line error. */
import { InvalidArgumentError } from 'commander';
import { PROBES, type ProbeName } from '../core/results.js';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer.');
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a non-negative integer.');
  return n;
}

export function seedValue(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new InvalidArgumentError('must be an integer 0 … 4294967295.');
  return n;
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number.');
  return n;
}

export function fraction(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n >= 1) throw new InvalidArgumentError('must be a fraction, 0 ≤ x < 1.');
  return n;
}

export function numberValue(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError('must be a number.');
  return n;
}

export function intList(value: string): number[] {
  const parts = value.split(',').map((s) => Number(s.trim()));
  if (parts.length === 0 || parts.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new InvalidArgumentError('must be a comma-separated list of positive integers, e.g. 64 or 64,32.');
  }
  return parts;
}

export function probeList(value: string): ProbeName[] {
  const parts = value.split(',').map((s) => s.trim());
  for (const p of parts) {
    if (!(PROBES as readonly string[]).includes(p)) throw new InvalidArgumentError(`unknown probe '${p}' (probes: ${PROBES.join(', ')}).`);
  }
  return parts as ProbeName[];
}

export function timestamp(): string {
  return new Date().toISOString().replace(/[:]/g, '-').replace(/\..+$/, '');
}
