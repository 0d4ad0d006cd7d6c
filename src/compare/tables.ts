/**
 * The tidy tables of a comparison: fingerprints.csv (one row per model, the identity columns then
 * every feature any model has) and comparison.csv (one row per pair of groups and feature).
 * Columns: docs/results-schema.md.
 */
import { csvFormat } from 'd3-dsv';
import type { Comparison, FeatureDifference } from './compare.js';
import { orderedFeatures } from './fingerprint.js';
import { FINGERPRINT_ID_COLUMNS, type Fingerprint } from './types.js';

/** Every column of the rows: identity columns, then the features in fingerprint order. */
export function fingerprintColumns(fingerprints: readonly Fingerprint[]): string[] {
  const id = new Set<string>(FINGERPRINT_ID_COLUMNS);
  const features: Record<string, null> = {};
  for (const f of fingerprints) for (const k of Object.keys(f.row)) if (!id.has(k)) features[k] = null;
  return [...FINGERPRINT_ID_COLUMNS, ...Object.keys(orderedFeatures(features))];
}

const cell = (v: unknown): string => (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v)) ? '' : String(v));

export function fingerprintCsv(fingerprints: readonly Fingerprint[]): string {
  const columns = fingerprintColumns(fingerprints);
  return csvFormat(fingerprints.map((f) => Object.fromEntries(columns.map((c) => [c, cell(f.row[c])]))), columns) + '\n';
}

export const COMPARISON_COLUMNS: (keyof FeatureDifference)[] = [
  'a', 'b', 'feature', 'type', 'n_a', 'n_b', 'mean_a', 'mean_b', 'delta', 'delta_lo', 'delta_hi', 'g', 'g_lo', 'g_hi', 'p', 'q', 'method', 'flagged',
];

export function comparisonCsv(c: Comparison): string {
  const rows = c.pairs.flatMap((p) => p.features.map((f) => Object.fromEntries(COMPARISON_COLUMNS.map((k) => [k, cell(f[k])]))));
  return csvFormat(rows, COMPARISON_COLUMNS) + '\n';
}
