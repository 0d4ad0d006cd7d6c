/**
 * report.html: one self-contained page (inline CSS, inline SVG rendered here with jsdom and the
 * same chart code the viewer uses; no scripts, fonts or network). Node only.
 *
 * It leads with the answer: the reference study's claims and their verdicts, then the headline
 * figures, then one figure per probe family (small multiples on shared axes); the tables behind
 * every figure, the tasks, the SSIM ranking and the run's configuration sit behind disclosures.
 * Every section is built from the rows it needs; a probe the run did not include gives a
 * "not run" note instead of a chart, so a report of any subset of the sweep builds.
 */
import { chartDocument } from './dom.js';
import type { ResultRow } from '../core/index.js';
import { writeFileAtomic, writeJsonAtomic } from '../core/io.js';
import { runPaths } from '../core/run-folder.js';
import { groupCurves } from './aggregate.js';
import { taskColors } from './charts.js';
import { evaluateClaims, type ClaimResult } from './claims.js';
import { foldBelowChance } from './allpairs.js';
import { page } from './page.js';
import { biasOf, buildSummary, tasksFromRows, type Summary } from './summary.js';
import type { Ctx, ReportInput } from './sections/context.js';
import { claimsSection, headlineSection } from './sections/headline.js';
import { noiseSection, sweepSection } from './sections/sweeps.js';
import { randomizationSection } from './sections/randomization.js';
import { complexitySection, degreesSection } from './sections/structure.js';
import { ckaSection } from './sections/cka.js';
import { configSection, ssimSection, tasksSection } from './sections/run.js';

export { CSS, escapeHtml } from './page.js';
export type { LayerInput, ReportInput, SideDegrees } from './sections/context.js';
export { pooledSigmaByTask } from './sections/sweeps.js';

export interface BuiltReport {
  html: string;
  summary: Summary;
  claims: ClaimResult[];
}

/** The sections in page order: [id, link text, build]. */
const SECTIONS: [string, string, (ctx: Ctx, claims: ClaimResult[]) => string][] = [
  ['claims', 'Claims', (_ctx, claims) => claimsSection(claims)],
  ['accuracy', 'Headline figures', (ctx) => headlineSection(ctx)],
  ['noise', 'Noise', (ctx) => noiseSection(ctx)],
  ['pruning', 'Pruning', (ctx) => sweepSection(ctx, 'prune', 'pruning', 'Pruning', 'fraction of weights pruned per layer')],
  ['signflip', 'Sign flip', (ctx) => sweepSection(ctx, 'signflip', 'signflip', 'Sign flip', 'fraction of weights flipped')],
  ['randomization', 'Randomization', (ctx) => randomizationSection(ctx)],
  ['degrees', 'Degrees', (ctx) => degreesSection(ctx)],
  ['complexity', 'Complexity gap', (ctx) => complexitySection(ctx)],
  ['cka', 'Representation (CKA)', (ctx) => ckaSection(ctx)],
  ['tasks', 'Tasks', (ctx) => tasksSection(ctx)],
  ['ssim', 'SSIM ranking', (ctx) => ssimSection(ctx)],
  ['config', 'Config', (ctx) => configSection(ctx)],
];

/** The ids of the report's sections, in page order. */
export const REPORT_SECTIONS = SECTIONS.map(([id]) => id);

const DIFFICULTY_ORDER: Record<string, number> = { easy: 0, hard: 1, custom: 2 };

/**
 * A run whose probes all perturbed one named layer (`reproduce --layer dense_0`) is reported like a
 * whole-model run, with that said in the subtitle: its curves are the run's only curves.
 */
function singleLayerView(rows: ResultRow[]): { rows: ResultRow[]; layer: string | null } {
  const layers = new Set(rows.map((r) => r.layer ?? 'all'));
  if (layers.size !== 1 || layers.has('all')) return { rows, layer: null };
  const [layer] = layers;
  return { rows: rows.map((r) => ({ ...r, layer: 'all' })), layer };
}

/** " · trained with engine X (tfjs backend Y)" from run.json, or nothing when it does not say. */
function trainedWith(run: Record<string, unknown> | undefined): string {
  const engine = (run?.config as { engine?: unknown } | undefined)?.engine;
  if (typeof engine !== 'string') return '';
  const backend = (run?.backend as { name?: unknown } | undefined)?.name;
  return ` · trained with engine ${engine}` + (engine === 'tfjs' && typeof backend === 'string' ? ` (tfjs backend ${backend})` : '');
}

/** Build the report: HTML, summary and claim verdicts. */
export function buildReport(input: ReportInput): BuiltReport {
  const { rows, layer: onlyLayer } = singleLayerView(input.rows ?? []);
  const tasks = input.tasks && input.tasks.length ? input.tasks : tasksFromRows(rows, input.ssim);
  const summary = buildSummary(rows, tasks, input.summaryOptions);
  const claims = evaluateClaims(summary, input.claimThresholds);
  // Charts and tables show trained-bias rows; reference-init rows get their own comparison table.
  // With foldBelowChance the charts fold as the summary does.
  const fold = input.summaryOptions?.foldBelowChance ?? false;
  const trainedRows = rows.filter((r) => biasOf(r) === 'trained').map((r) => (fold ? { ...r, accuracy: foldBelowChance(r.accuracy) } : r));
  const ordered = [...summary.tasks].sort((a, b) => (DIFFICULTY_ORDER[a.difficulty] ?? 3) - (DIFFICULTY_ORDER[b.difficulty] ?? 3));
  const doc = chartDocument();
  const ctx: Ctx = {
    doc,
    rows: trainedRows,
    curves: groupCurves(trainedRows),
    summary,
    tasks: ordered,
    colors: taskColors(ordered),
    input,
  };
  const title = input.title ?? 'weightscope report';
  const lead =
    `${ordered.map((t) => `${t.task} (${t.difficulty})`).join(', ') || 'no tasks'} · ${rows.length} evaluations` +
    (onlyLayer ? ` · every probe perturbed layer ${onlyLayer} only` : '') +
    trainedWith(input.config);
  const body = SECTIONS.map(([, , build]) => build(ctx, claims));
  doc.defaultView?.close();
  const html = page({ title, lead, nav: SECTIONS.map(([id, label]) => [id, label]), body: body.join('\n') });
  return { html, summary, claims };
}

/** The self-contained report.html as a string. */
export function buildReportHtml(input: ReportInput): string {
  return buildReport(input).html;
}

/** Write `<dir>/report.html` and `<dir>/summary.json` atomically; returns what was written. */
export function writeReport(dir: string, input: ReportInput): BuiltReport & { htmlPath: string; summaryPath: string } {
  const built = buildReport(input);
  const { report: htmlPath, summary: summaryPath } = runPaths(dir);
  writeJsonAtomic(summaryPath, { ...built.summary, claims: built.claims });
  writeFileAtomic(htmlPath, built.html);
  return { ...built, htmlPath, summaryPath };
}
