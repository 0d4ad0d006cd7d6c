/**
 * Randomizations A–G (and the other null models): one panel per randomization, accuracy against
 * the fraction pruned before randomizing, every task at full precision (solid) and binarized
 * (dashed). One grouped bar chart instead when the run measured a single pruning level. The
 * numbers sit behind disclosures: the lowest pruning level, then every level per task.
 */
import { filterCurves, type Stat } from '../aggregate.js';
import { barChart, COLORS, DASH, lineChart, smallMultiples, type BarDatum, type BarKey } from '../charts.js';
import { escapeHtml, figure, more, num, section, statCell, table } from '../page.js';
import { CHANCE, figureLegend, FULL_WIDTH, hasProbe, MANY_TASKS, notRun, seriesOf, signedStyles, taskLabel, type Ctx } from './context.js';

export const LETTER_TEXT: Record<string, string> = {
  A: 'full shuffle',
  B: 'shuffle within sign',
  C: 'per input unit',
  D: 'per output unit',
  E: 'per input unit, within sign',
  F: 'per output unit, within sign',
  G: 'positive edge swaps',
  curveball: 'Curveball',
  maxent: 'max-entropy',
};

const HEADING = 'Randomizations A–G';

export function randomizationSection(ctx: Ctx): string {
  if (!hasProbe(ctx, 'randomize')) return section('randomization', HEADING, notRun('randomize'));
  const rCurves = filterCurves(ctx.curves, { probe: 'randomize', layer: 'all' });
  const variants = [...new Set(rCurves.map((c) => c.variant))].sort((a, b) => (a.length - b.length) || a.localeCompare(b));
  const levels = [...new Set(rCurves.flatMap((c) => c.points.map((p) => p.level)))].sort((a, b) => a - b);
  const tasks = ctx.tasks.filter((t) => rCurves.some((c) => c.task === t.task));
  const pointOf = (task: string, v: string, signed: boolean, level: number): Stat | null => {
    const c = rCurves.find((k) => k.task === task && k.variant === v && k.signed === signed);
    return c?.points.find((q) => Math.abs(q.level - level) < 1e-9) ?? null;
  };
  const parts: string[] = [];
  if (levels.length > 1) {
    parts.push(
      figure(
        smallMultiples(ctx.doc, {
          items: variants,
          width: FULL_WIDTH,
          columns: Math.min(4, variants.length),
          panelHeight: 210,
          legend: figureLegend(ctx, tasks.map((t) => t.task), signedStyles('randomized, full precision', 'randomized, then sign()')),
          draw: (v, size, _i, column) =>
            lineChart(ctx.doc, {
              title: `${v}: ${LETTER_TEXT[v] ?? v}`,
              xLabel: 'fraction pruned first',
              yLabel: column === 0 ? 'test accuracy' : undefined,
              marginLeft: 50,
              series: [false, true].flatMap((signed) => seriesOf(ctx, filterCurves(rCurves, { variant: v, signed }), signed ? DASH.signed : DASH.full, `randomize-${v}-${signed ? 'signed' : 'full'}`)),
              xDomain: [0, 1],
              yDomain: [0, 1],
              hLines: [CHANCE],
              legend: false,
              ...size,
            }),
        }),
        'Each panel: one randomization of every layer, applied after pruning the smallest |w| (x = 0: no pruning). Mean over runs; shaded: ± sd.',
      ),
    );
  } else if (tasks.length <= MANY_TASKS) {
    parts.push(barsAtLevel(ctx, tasks, variants, levels[0] ?? 0, pointOf));
  }
  parts.push(more(`The numbers ${levels[0] ? `after pruning ${Math.round(levels[0] * 100)}%` : 'without pruning'}`, lowestLevelTable(ctx, tasks, variants, levels[0] ?? 0, pointOf), tasks.length > MANY_TASKS && levels.length <= 1));
  if (levels.length > 1 && tasks.length <= MANY_TASKS) {
    const perTask = tasks.map((t) => {
      const rows = levels.map((level) => [
        num(level, 3),
        ...variants.map((v) => `${num(pointOf(t.task, v, false, level)?.mean)} / ${num(pointOf(t.task, v, true, level)?.mean)}`),
      ]);
      return `<h3>${taskLabel(t, ctx.colors)}</h3>` + table(['pruned first', ...variants.map((v) => escapeHtml(v))], rows);
    });
    parts.push(more('The numbers at every pruning level, per task', perTask.join('\n') + '<p class="note">Each cell: full precision / binarized, mean over runs.</p>'));
  }
  return section('randomization', HEADING, parts.join('\n'));
}

type PointOf = (task: string, v: string, signed: boolean, level: number) => Stat | null;

/** Randomizations × tasks at one pruning level: randomizations in rows (tasks in rows above MANY_TASKS). */
function lowestLevelTable(ctx: Ctx, tasks: Ctx['tasks'], variants: string[], level: number, pointOf: PointOf): string {
  const variantHead = (v: string): string => `<b>${escapeHtml(v)}</b> <span class="muted">${escapeHtml(LETTER_TEXT[v] ?? '')}</span>`;
  if (tasks.length > MANY_TASKS) {
    const pair = (a: Stat | null | undefined, b: Stat | null | undefined): string => `${statCell(a)} / ${statCell(b)}`;
    const rows = tasks.map((t) => [
      taskLabel(t, ctx.colors),
      ...(level === 0 ? [pair(t.full, t.binarized)] : []),
      ...variants.map((v) => pair(pointOf(t.task, v, false, level), pointOf(t.task, v, true, level))),
    ]);
    return table(['task', ...(level === 0 ? ['trained model'] : []), ...variants.map(variantHead)], rows) + '<p class="note">Each cell: full precision / binarized, mean ± sd over runs.</p>';
  }
  const headers = ['randomization', ...tasks.flatMap((t) => [`${escapeHtml(t.task)} full`, `${escapeHtml(t.task)} binarized`])];
  const rows: string[][] = [];
  if (level === 0) rows.push(['<i>none (trained model)</i>', ...tasks.flatMap((t) => [statCell(t.full), statCell(t.binarized)])]);
  for (const v of variants) rows.push([variantHead(v), ...tasks.flatMap((t) => [statCell(pointOf(t.task, v, false, level)), statCell(pointOf(t.task, v, true, level))])]);
  return table(headers, rows);
}

/** One pruning level only: grouped bars, randomizations × {full, binarized} × task, beside the trained model. */
function barsAtLevel(ctx: Ctx, tasks: Ctx['tasks'], variants: string[], level: number, pointOf: PointOf): string {
  const keys: BarKey[] = tasks.flatMap((t) => [
    { id: `${t.task}|full`, label: `${t.task} full`, color: ctx.colors.get(t.task) ?? COLORS.reference },
    { id: `${t.task}|signed`, label: `${t.task} binarized`, color: ctx.colors.get(t.task) ?? COLORS.reference, opacity: 0.35 },
  ]);
  const data: BarDatum[] = [];
  const groups = [...(level === 0 ? ['none'] : []), ...variants];
  const push = (group: string, key: string, s: Stat | null | undefined): void => {
    if (s) data.push({ group, key, value: s.mean, lo: s.mean - s.sd, hi: s.mean + s.sd });
  };
  for (const t of tasks) {
    for (const [signed, key] of [[false, 'full'], [true, 'signed']] as const) {
      if (level === 0) push('none', `${t.task}|${key}`, signed ? t.binarized : t.full);
      for (const v of variants) push(v, `${t.task}|${key}`, pointOf(t.task, v, signed, level));
    }
  }
  return figure(
    barChart(ctx.doc, {
      title: `Accuracy after randomization${level > 0 ? `, ${Math.round(level * 100)}% pruned first` : ', no pruning'}`,
      xLabel: 'randomization', yLabel: 'test accuracy', groups, keys, data, yDomain: [0, 1], hLines: [CHANCE], width: FULL_WIDTH, height: 280,
    }),
    'Bars: mean over runs; whiskers: ± sd. Solid: full precision; light: binarized.',
  );
}
