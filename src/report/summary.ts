/**
 * summary.json: per task, the headline accuracies with their spread over runs, the
 * task-complexity gaps, the stochastic-resonance gain and the pruning-then-sign transition.
 * Schema documented in docs/report.md. Browser-safe.
 *
 * Gaps are paired by run: for each run measured both ways, (full − binarized) of that model,
 * then mean/sd/min/max over runs. The mean equals mean(full) − mean(binarized) when both were
 * measured on the same runs; the sd is the spread of the drop itself, not of either accuracy.
 */
import type { Difficulty, ProbeName, ResultRow } from '../core/index.js';
import { parseTaskName } from '../data/names.js';
import { ssimDistanceOf, type SsimRow } from '../data/ssim-rows.js';
import { bestPoint, findCurve, groupCurves, perRunMeans, stat, type Curve, type Stat } from './aggregate.js';
import { allPairsStudy, foldBelowChance, type AllPairsStudy } from './allpairs.js';

export const SUMMARY_SCHEMA = 'weightscope.summary/1';

/** What the report knows about a task besides its rows. */
export interface TaskInfo {
  task: string;
  dataset: string;
  classes: [number | string, number | string];
  difficulty: Difficulty;
  /** 1 − mean SSIM between the two classes (larger = easier); null when not measured. */
  ssimDistance: number | null;
}

/** One row of the dataset's SSIM pair ranking: src/data's definition. */
export type { SsimRow };

export interface SummaryOptions {
  /** Accuracy the pruned-then-signed curve must reach to count as the transition (default 0.75). */
  transitionThreshold?: number;
  /**
   * Fold every accuracy below 0.5 to 1 − x before aggregating, as the reference's figures do (off
   * by default: docs/report.md says why).
   */
  foldBelowChance?: boolean;
}

export const DEFAULT_TRANSITION_THRESHOLD = 0.75;

export interface LevelStat {
  /** The probe level the statistic was taken at. */
  level: number;
  accuracy: Stat;
}

export interface RandomizedEntry {
  /** Pruning level of the randomized model (0 when measured without pruning). */
  level: number;
  full: Stat | null;
  binarized: Stat | null;
}

export interface TransitionSummary {
  variant: string;
  threshold: number;
  /** Mean accuracy at the lowest pruning level (0: binarized without pruning). */
  start: LevelStat | null;
  /** First pruning level whose mean accuracy reaches the threshold; null when none does. */
  level: number | null;
  /** The grid point just before the transition and the one at it. */
  before: LevelStat | null;
  after: LevelStat | null;
  /** after.mean − before.mean: how sharp the transition is on this grid. */
  jump: number | null;
  /** Highest mean accuracy over the sweep. */
  peak: LevelStat | null;
}

export interface NoiseSummary {
  /** Binarized without noise (binarize, reference). */
  binarizedNoNoise: Stat | null;
  /** Best mean accuracy of sign(w + U(−a, a)) over the absolute-amplitude sweep, and its a. */
  bestSigned: LevelStat | null;
  /** bestSigned − binarizedNoNoise (the stochastic-resonance gain). */
  gain: number | null;
  /** Whether the best a is strictly inside the sweep (not its smallest or largest amplitude). */
  bestIsInterior: boolean | null;
  /** The same over the relative sweep (level = a / σ(w)), when run. */
  bestSignedRelative: LevelStat | null;
  gainRelative: number | null;
  /** Full precision at the smallest and largest amplitude (noise, reference). */
  fullSmallest: LevelStat | null;
  fullLargest: LevelStat | null;
}

export interface TaskSummary {
  task: string;
  dataset: string;
  classes: [number | string, number | string];
  difficulty: Difficulty;
  ssimDistance: number | null;
  /** Distinct runs among the task's rows. */
  runs: number;
  /** Input scaling summarized (one per task; `pm1` preferred when several were run). */
  inputs: string | null;
  /** Baseline accuracy over runs. */
  full: Stat | null;
  /** binarize, variant reference (sign(w), sign(b)). */
  binarized: Stat | null;
  /** Every binarize variant measured, reference included. */
  binarize: Record<string, Stat>;
  /** Every randomization measured, at the lowest pruning level (0 when run). */
  randomized: Record<string, RandomizedEntry>;
  gaps: {
    fullMinusBinarized: Stat | null;
    /** full precision baseline − randomized model, per randomization; for the randomized model at full precision and binarized. */
    fullMinusRandomized: Record<string, { full: Stat | null; binarized: Stat | null }>;
    /** Mean over randomizations of the gap means (null when no randomization ran). */
    meanFullMinusRandomized: { full: number | null; binarized: number | null };
  };
  noise: NoiseSummary;
  /** Pruning (reference: smallest |w| first) followed by sign(). */
  pruneSign: TransitionSummary | null;
}

export interface Summary {
  schema: typeof SUMMARY_SCHEMA;
  options: Required<SummaryOptions>;
  /** From the rows with trained biases (weightscope's default). */
  tasks: TaskSummary[];
  /** The same statistics from the rows run with the reference code's freshly initialised biases, when run. */
  referenceInitBias?: TaskSummary[];
  /** Binarization drop vs randomization drop across tasks (class pairs), reference-style and weightscope's. */
  allPairs: AllPairsStudy;
}

/** Which biases a row ran with (`trained` when the column is absent). */
export function biasOf(r: ResultRow): string {
  return r.bias ?? 'trained';
}

/** Task infos derived from the rows (for a run folder without them): name parsed, difficulty from the rows. */
export function tasksFromRows(rows: ResultRow[], ssim?: SsimRow[]): TaskInfo[] {
  const out = new Map<string, TaskInfo>();
  for (const r of rows) {
    if (out.has(r.task)) continue;
    const parsed = parseTaskName(r.task);
    const classes: [number | string, number | string] = parsed ? [parsed.a, parsed.b] : ['?', '?'];
    out.set(r.task, {
      task: r.task,
      dataset: parsed?.dataset ?? r.task,
      classes,
      difficulty: r.difficulty,
      ssimDistance: parsed ? ssimDistanceOf(ssim, parsed.a, parsed.b) : null,
    });
  }
  return [...out.values()];
}

/** Per-run mean accuracy of one (probe, variant, signed) at one level (lowest when level is omitted). */
function runValues(rows: ResultRow[], probe: ProbeName, variant: string, signed: boolean, level?: number): { level: number; byRun: Map<number, number> } | null {
  const sel = rows.filter((r) => r.probe === probe && r.variant === variant && Boolean(r.signed) === signed);
  if (sel.length === 0) return null;
  const levels = [...perRunMeans(sel).values()].sort((a, b) => a.level - b.level);
  if (levels.length === 0) return null;
  if (level === undefined) return levels[0];
  return levels.find((l) => Math.abs(l.level - level) < 1e-12) ?? null;
}

function statOf(v: { byRun: Map<number, number> } | null): Stat | null {
  return v ? stat([...v.byRun.values()]) : null;
}

/** Stat of the paired per-run differences a − b over the runs present in both. */
function pairedGap(a: { byRun: Map<number, number> } | null, b: { byRun: Map<number, number> } | null): Stat | null {
  if (!a || !b) return null;
  const diffs: number[] = [];
  for (const [run, va] of a.byRun) {
    const vb = b.byRun.get(run);
    if (vb !== undefined) diffs.push(va - vb);
  }
  return stat(diffs);
}

function levelStat(p: ({ level: number } & Stat) | undefined): LevelStat | null {
  return p ? { level: p.level, accuracy: { mean: p.mean, sd: p.sd, min: p.min, max: p.max, n: p.n, median: p.median, q1: p.q1, q3: p.q3 } } : null;
}

/** The transition of a pruned-then-signed curve: first level whose mean reaches the threshold. */
export function transitionOf(curve: Curve | undefined, threshold: number): TransitionSummary | null {
  if (!curve || curve.points.length === 0) return null;
  const pts = curve.points;
  const i = pts.findIndex((p) => p.mean >= threshold);
  const after = i >= 0 ? pts[i] : undefined;
  const before = i > 0 ? pts[i - 1] : undefined;
  return {
    variant: curve.variant,
    threshold,
    start: levelStat(pts[0]),
    level: after ? after.level : null,
    before: levelStat(before),
    after: levelStat(after),
    jump: after && before ? after.mean - before.mean : null,
    peak: levelStat(bestPoint(curve)),
  };
}

function pickInputs(rows: ResultRow[]): string | null {
  const seen = new Set(rows.map((r) => r.inputs));
  if (seen.size === 0) return null;
  if (seen.has('pm1')) return 'pm1';
  return [...seen][0];
}

function mean(values: number[]): number | null {
  return values.length ? values.reduce((s, v) => s + v, 0) / values.length : null;
}

function summarizeTask(info: TaskInfo, allRows: ResultRow[], threshold: number): TaskSummary {
  const taskRows = allRows.filter((r) => r.task === info.task && (r.layer ?? 'all') === 'all');
  const inputs = pickInputs(taskRows);
  const rows = taskRows.filter((r) => r.inputs === inputs);
  const curves = groupCurves(rows);

  const full = runValues(rows, 'baseline', 'reference', false);
  const bin = runValues(rows, 'binarize', 'reference', true);

  const binarize: Record<string, Stat> = {};
  for (const v of new Set(rows.filter((r) => r.probe === 'binarize').map((r) => r.variant))) {
    const s = statOf(runValues(rows, 'binarize', v, true) ?? runValues(rows, 'binarize', v, false));
    if (s) binarize[v] = s;
  }

  const randomized: Record<string, RandomizedEntry> = {};
  const fullMinusRandomized: Record<string, { full: Stat | null; binarized: Stat | null }> = {};
  const randVariants = [...new Set(rows.filter((r) => r.probe === 'randomize').map((r) => r.variant))].sort();
  for (const v of randVariants) {
    const levels = rows.filter((r) => r.probe === 'randomize' && r.variant === v).map((r) => r.level);
    const level = Math.min(...levels);
    const rf = runValues(rows, 'randomize', v, false, level);
    const rb = runValues(rows, 'randomize', v, true, level);
    randomized[v] = { level, full: statOf(rf), binarized: statOf(rb) };
    fullMinusRandomized[v] = { full: pairedGap(full, rf), binarized: pairedGap(full, rb) };
  }
  const gapMeans = (which: 'full' | 'binarized'): number | null =>
    mean(Object.values(fullMinusRandomized).flatMap((g) => (g[which] ? [g[which]!.mean] : [])));

  const binNoiseCurve = findCurve(curves, { task: info.task, probe: 'binarize+noise', variant: 'reference', signed: true, inputs: inputs ?? undefined });
  const binNoiseRel = findCurve(curves, { task: info.task, probe: 'binarize+noise', variant: 'relative', signed: true, inputs: inputs ?? undefined });
  const noiseCurve = findCurve(curves, { task: info.task, probe: 'noise', variant: 'reference', signed: false, inputs: inputs ?? undefined });
  const binarized = statOf(bin);
  const best = bestPoint(binNoiseCurve);
  const bestRel = bestPoint(binNoiseRel);
  const noise: NoiseSummary = {
    binarizedNoNoise: binarized,
    bestSigned: levelStat(best),
    gain: best && binarized ? best.mean - binarized.mean : null,
    bestIsInterior:
      best && binNoiseCurve ? best.level > binNoiseCurve.points[0].level && best.level < binNoiseCurve.points[binNoiseCurve.points.length - 1].level : null,
    bestSignedRelative: levelStat(bestRel),
    gainRelative: bestRel && binarized ? bestRel.mean - binarized.mean : null,
    fullSmallest: levelStat(noiseCurve?.points[0]),
    fullLargest: levelStat(noiseCurve?.points[noiseCurve.points.length - 1]),
  };

  const pruneSignCurve = findCurve(curves, { task: info.task, probe: 'prune', variant: 'reference', signed: true, inputs: inputs ?? undefined });

  return {
    task: info.task,
    dataset: info.dataset,
    classes: info.classes,
    difficulty: info.difficulty,
    ssimDistance: info.ssimDistance,
    runs: new Set(rows.map((r) => r.run)).size,
    inputs,
    full: statOf(full),
    binarized,
    binarize,
    randomized,
    gaps: {
      fullMinusBinarized: pairedGap(full, bin),
      fullMinusRandomized,
      meanFullMinusRandomized: { full: gapMeans('full'), binarized: gapMeans('binarized') },
    },
    noise,
    pruneSign: transitionOf(pruneSignCurve, threshold),
  };
}

/**
 * Build the summary.json object. Tasks are taken from `tasks` (in that order) plus any task
 * that has rows but no info (its info derived from its name).
 */
export function buildSummary(rows: ResultRow[], tasks: TaskInfo[] = [], options: SummaryOptions = {}): Summary {
  const threshold = options.transitionThreshold ?? DEFAULT_TRANSITION_THRESHOLD;
  const fold = options.foldBelowChance ?? false;
  if (fold) rows = rows.map((r) => ({ ...r, accuracy: foldBelowChance(r.accuracy) }));
  const known = new Set(tasks.map((t) => t.task));
  const all = [...tasks, ...tasksFromRows(rows).filter((t) => !known.has(t.task))];
  const trained = rows.filter((r) => biasOf(r) === 'trained');
  const refInit = rows.filter((r) => biasOf(r) === 'reference-init');
  const withRows = (rs: ResultRow[]): TaskInfo[] => all.filter((t) => rs.some((r) => r.task === t.task));
  const summaries = (refInit.length ? withRows(trained) : all).map((t) => summarizeTask(t, trained, threshold));
  return {
    schema: SUMMARY_SCHEMA,
    options: { transitionThreshold: threshold, foldBelowChance: fold },
    tasks: summaries,
    ...(refInit.length ? { referenceInitBias: withRows(refInit).map((t) => summarizeTask(t, refInit, threshold)) } : {}),
    allPairs: allPairsStudy(summaries),
  };
}
