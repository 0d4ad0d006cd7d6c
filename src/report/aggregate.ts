/**
 * Group tidy result rows into curves: one curve per (task, probe, variant, signed, layer, inputs),
 * one point per level with the mean and spread over runs.
 *
 * Browser-safe (no Node imports): the viewer imports this module as it is.
 *
 * Aggregation is two-stage by default: the rows of one run at one level (several noise seeds)
 * are averaged first, then mean/sd/min/max are taken over runs. The spread then says how much
 * independently trained models differ, which is what "± sd over runs" means in the report; the
 * seed-to-seed jitter of a single model is already averaged out. `pool: 'rows'` treats every
 * row as one observation instead.
 */
import { formatLevel, type Difficulty, type ProbeName, type ResultRow } from '../core/index.js';
import { moments, quantileSorted } from '../stats/describe.js';

/**
 * Mean, sample standard deviation (n − 1; 0 for a single value), extremes and count; and the
 * reference's statistics: median and quartiles (numpy's default, type-7 interpolation).
 */
export interface Stat {
  mean: number;
  sd: number;
  min: number;
  max: number;
  n: number;
  median: number;
  q1: number;
  q3: number;
}

export interface CurvePoint extends Stat {
  level: number;
  /** Rows behind this point (runs × seeds). */
  rows: number;
}

export interface CurveKey {
  task: string;
  probe: ProbeName;
  variant: string;
  signed: boolean;
  /** `all` unless the probe was applied to one layer. */
  layer: string;
  inputs: string;
}

export interface Curve extends CurveKey {
  difficulty: Difficulty;
  /** Sorted by level, ascending. */
  points: CurvePoint[];
}

export interface AggregateOptions {
  /** `runs` (default): average seeds within a run, then spread over runs. `rows`: every row counts once. */
  pool?: 'runs' | 'rows';
}

/** Summary statistics of a list of numbers; null for an empty list. NaN values are ignored. */
export function stat(values: ArrayLike<number>): Stat | null {
  const m = moments(values);
  if (m.n === 0) return null;
  const sorted = Float64Array.from(values as ArrayLike<number>).filter((v) => !Number.isNaN(v)).sort();
  return {
    mean: m.mean, sd: m.n > 1 ? Math.sqrt((m.m2 * m.n) / (m.n - 1)) : 0, min: m.min, max: m.max, n: m.n,
    median: quantileSorted(sorted, 0.5), q1: quantileSorted(sorted, 0.25), q3: quantileSorted(sorted, 0.75),
  };
}

/** The identity of a curve as one string (levels are not part of it). */
export function curveId(k: CurveKey): string {
  return [k.task, k.probe, k.variant, k.signed ? 'signed' : 'full', k.layer, k.inputs].join('|');
}

/**
 * Mean accuracy per run at each level of the rows given (all of one curve): Map level-key →
 * (run → mean over that run's seeds). Exposed because the summary pairs runs across curves.
 */
export function perRunMeans(rows: ResultRow[]): Map<string, { level: number; byRun: Map<number, number>; rows: number }> {
  const acc = new Map<string, { level: number; sums: Map<number, [number, number]>; rows: number }>();
  for (const r of rows) {
    if (!Number.isFinite(r.accuracy)) continue;
    const key = formatLevel(r.level);
    let e = acc.get(key);
    if (!e) acc.set(key, (e = { level: Number(key), sums: new Map(), rows: 0 }));
    e.rows++;
    const s = e.sums.get(r.run);
    if (s) {
      s[0] += r.accuracy;
      s[1]++;
    } else e.sums.set(r.run, [r.accuracy, 1]);
  }
  const out = new Map<string, { level: number; byRun: Map<number, number>; rows: number }>();
  for (const [key, e] of acc) {
    const byRun = new Map<number, number>();
    for (const [run, [sum, n]] of e.sums) byRun.set(run, sum / n);
    out.set(key, { level: e.level, byRun, rows: e.rows });
  }
  return out;
}

function pointsOf(rows: ResultRow[], pool: 'runs' | 'rows'): CurvePoint[] {
  const points: CurvePoint[] = [];
  if (pool === 'rows') {
    const byLevel = new Map<string, number[]>();
    for (const r of rows) {
      if (!Number.isFinite(r.accuracy)) continue;
      const key = formatLevel(r.level);
      let list = byLevel.get(key);
      if (!list) byLevel.set(key, (list = []));
      list.push(r.accuracy);
    }
    for (const [key, values] of byLevel) {
      const s = stat(values);
      if (s) points.push({ level: Number(key), rows: values.length, ...s });
    }
  } else {
    for (const e of perRunMeans(rows).values()) {
      const s = stat([...e.byRun.values()]);
      if (s) points.push({ level: e.level, rows: e.rows, ...s });
    }
  }
  return points.sort((a, b) => a.level - b.level);
}

/** Group rows into curves (see the module comment for how spread is computed). */
export function groupCurves(rows: ResultRow[], options: AggregateOptions = {}): Curve[] {
  const pool = options.pool ?? 'runs';
  const groups = new Map<string, { key: CurveKey; difficulty: Difficulty; rows: ResultRow[] }>();
  for (const r of rows) {
    const key: CurveKey = {
      task: r.task,
      probe: r.probe,
      variant: r.variant,
      signed: Boolean(r.signed),
      layer: r.layer ?? 'all',
      inputs: r.inputs ?? '',
    };
    const id = curveId(key);
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { key, difficulty: r.difficulty, rows: [] }));
    g.rows.push(r);
  }
  const curves: Curve[] = [];
  for (const g of groups.values()) {
    const points = pointsOf(g.rows, pool);
    if (points.length > 0) curves.push({ ...g.key, difficulty: g.difficulty, points });
  }
  return curves;
}

/** What to look up; layer defaults to `all`, inputs to whichever the curves have. */
export interface CurveQuery {
  task: string;
  probe: ProbeName;
  variant?: string;
  signed?: boolean;
  layer?: string;
  inputs?: string;
}

function matches(c: CurveKey, q: CurveQuery): boolean {
  return (
    c.task === q.task &&
    c.probe === q.probe &&
    c.variant === (q.variant ?? 'reference') &&
    c.signed === (q.signed ?? false) &&
    c.layer === (q.layer ?? 'all') &&
    (q.inputs === undefined || c.inputs === q.inputs)
  );
}

/** The curve for a query (variant defaults to `reference`, signed to false, layer to `all`). */
export function findCurve(curves: Curve[], q: CurveQuery): Curve | undefined {
  return curves.find((c) => matches(c, q));
}

/** Every curve matching the fields given (unspecified fields match anything). */
export function filterCurves(curves: Curve[], q: Partial<CurveKey>): Curve[] {
  return curves.filter(
    (c) =>
      (q.task === undefined || c.task === q.task) &&
      (q.probe === undefined || c.probe === q.probe) &&
      (q.variant === undefined || c.variant === q.variant) &&
      (q.signed === undefined || c.signed === q.signed) &&
      (q.layer === undefined || c.layer === q.layer) &&
      (q.inputs === undefined || c.inputs === q.inputs),
  );
}

/** The point at a level (matched after formatLevel rounding), if measured. */
export function pointAt(curve: Curve | undefined, level: number): CurvePoint | undefined {
  if (!curve) return undefined;
  const key = formatLevel(level);
  return curve.points.find((p) => formatLevel(p.level) === key);
}

/** The point at level 0, or the lowest level measured when 0 is missing. */
export function firstPoint(curve: Curve | undefined): CurvePoint | undefined {
  return curve?.points[0];
}

/** The point with the highest mean (the first of equals, i.e. the lowest level). */
export function bestPoint(curve: Curve | undefined): CurvePoint | undefined {
  if (!curve || curve.points.length === 0) return undefined;
  let best = curve.points[0];
  for (const p of curve.points) if (p.mean > best.mean) best = p;
  return best;
}

/** Distinct values of a row field, in first-seen order. */
export function distinct<K extends keyof ResultRow>(rows: ResultRow[], field: K): ResultRow[K][] {
  const seen = new Set<ResultRow[K]>();
  for (const r of rows) seen.add(r[field]);
  return [...seen];
}

/** Least-squares slope, intercept and Pearson r; null with fewer than 2 points or no spread in x. */
export function linearFit(points: { x: number; y: number }[]): { slope: number; intercept: number; r: number } | null {
  const n = points.length;
  if (n < 2) return null;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (const p of points) {
    sxx += (p.x - mx) ** 2;
    syy += (p.y - my) ** 2;
    sxy += (p.x - mx) * (p.y - my);
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx, r: syy === 0 ? 0 : sxy / Math.sqrt(sxx * syy) };
}
