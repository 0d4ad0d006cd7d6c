/**
 * The trained layers' structure and the task-complexity gap: sign-degree distributions (one
 * small multiple, a row per layer), the accuracy lost to each probe, and the all-pairs study as
 * the reference shows it (scatter with Spearman ρ, 10×10 maps) beside weightscope's broader r.
 */
import type { Stat } from '../aggregate.js';
import { barChart, COLORS, heatmap, histogramChart, integerHistogram, scatter, smallMultiples, type BarDatum, type BarKey } from '../charts.js';
import { escapeHtml, figure, more, num, section, statCell, table } from '../page.js';
import { figureLegend, FULL_WIDTH, MANY_TASKS, notRun, taskLabel, type Ctx } from './context.js';

interface DegreePanel {
  layer: string;
  side: 'in' | 'out';
  which: 'kPlus' | 'kMinus';
  records: { task: string; values: ArrayLike<number> }[];
}

export function degreesSection(ctx: Ctx): string {
  const heading = 'Sign-degree distributions';
  // one record per (task, run, layer, side) with both degree arrays
  const deg: { task: string; layer: string; side: 'in' | 'out'; kPlus: ArrayLike<number>; kMinus: ArrayLike<number> }[] = [];
  for (const l of ctx.input.layers ?? [])
    for (const side of ['in', 'out'] as const) {
      const d = l[side];
      if (d) deg.push({ task: l.task, layer: l.layer, side, kPlus: d.kPlus, kMinus: d.kMinus });
    }
  if (deg.length === 0) return section('degrees', heading, '<p class="not-run">Not run: no sign degrees were given.</p>');
  const order = new Map(ctx.tasks.map((t, i) => [t.task, i]));
  const tasks = [...new Set(deg.map((d) => d.task))].sort((a, b) => (order.get(a) ?? 99) - (order.get(b) ?? 99));
  const difficulty = new Map(ctx.tasks.map((t) => [t.task, t.difficulty]));
  const panels: DegreePanel[] = [];
  for (const layer of new Set(deg.map((d) => d.layer)))
    for (const side of ['in', 'out'] as const)
      for (const which of ['kPlus', 'kMinus'] as const) {
        const recs = deg.filter((d) => d.layer === layer && d.side === side);
        if (recs.length) panels.push({ layer, side, which, records: recs.map((r) => ({ task: r.task, values: r[which] })) });
      }
  const chart = smallMultiples(ctx.doc, {
    items: panels,
    width: FULL_WIDTH,
    columns: 4,
    panelHeight: 200,
    legend: figureLegend(ctx, tasks),
    draw: (p, size, _i, column) => {
      let lo = Infinity;
      let hi = -Infinity;
      for (const r of p.records)
        for (let i = 0; i < r.values.length; i++) {
          lo = Math.min(lo, r.values[i]);
          hi = Math.max(hi, r.values[i]);
        }
      const series = tasks
        .map((task) => {
          const values: number[] = [];
          for (const r of p.records) if (r.task === task) for (let i = 0; i < r.values.length; i++) values.push(r.values[i]);
          return {
            id: `${p.layer}-${p.side}-${p.which}:${task}`,
            label: `${task} (${difficulty.get(task) ?? '?'})`,
            color: ctx.colors.get(task) ?? COLORS.reference,
            bins: integerHistogram(values, { min: lo, max: hi, maxBins: 40 }),
          };
        })
        .filter((s) => s.bins.length > 0);
      const k = p.which === 'kPlus' ? 'k⁺' : 'k⁻';
      return histogramChart(ctx.doc, {
        title: `${p.layer}, ${p.side === 'in' ? 'input' : 'output'} units: P(${k})`,
        xLabel: `${k} (${p.which === 'kPlus' ? 'positive' : 'negative'} edges per unit)`,
        yLabel: column === 0 ? 'probability' : undefined,
        series,
        logY: true,
        legend: false,
        marginLeft: 60,
        ...size,
      });
    },
  });
  return section(
    'degrees',
    heading,
    figure(chart, 'Pooled over runs; y axis logarithmic where the probabilities span two decades or more (empty bins drawn at the floor). Input units count edges to the layer’s outputs; output units count edges from its inputs.'),
  );
}

export function complexitySection(ctx: Ctx): string {
  const heading = 'Task-complexity gap';
  const withGap = ctx.tasks.filter((t) => t.gaps.fullMinusBinarized || Object.keys(t.gaps.fullMinusRandomized).length);
  if (withGap.length === 0) return section('complexity', heading, notRun('baseline with binarize or randomize'));
  const letters = [...new Set(withGap.flatMap((t) => Object.keys(t.gaps.fullMinusRandomized)))].sort((a, b) => (a.length - b.length) || a.localeCompare(b));
  const parts: string[] = [];
  const figures: string[] = [];
  if (withGap.length <= MANY_TASKS) {
    const groups = ['binarized', ...letters.map((l) => `rand. ${l}`), ...letters.map((l) => `rand. ${l} + sign`)];
    const keys: BarKey[] = withGap.map((t) => ({ id: t.task, label: `${t.task} (${t.difficulty})`, color: ctx.colors.get(t.task) ?? COLORS.reference }));
    const data: BarDatum[] = [];
    const push = (group: string, task: string, s: Stat | null | undefined): void => {
      if (s) data.push({ group, key: task, value: s.mean, lo: s.mean - s.sd, hi: s.mean + s.sd });
    };
    for (const t of withGap) {
      push('binarized', t.task, t.gaps.fullMinusBinarized);
      for (const l of letters) {
        push(`rand. ${l}`, t.task, t.gaps.fullMinusRandomized[l]?.full);
        push(`rand. ${l} + sign`, t.task, t.gaps.fullMinusRandomized[l]?.binarized);
      }
    }
    figures.push(
      figure(
        barChart(ctx.doc, { title: 'Accuracy lost: full precision − probed model', xLabel: 'probe', yLabel: 'accuracy drop', groups: groups.filter((g) => data.some((d) => d.group === g)), keys, data, width: Math.round(FULL_WIDTH * 0.6), height: 270 }),
        'Paired by run: each run’s drop, then mean ± sd over runs. Randomized drops at the lowest pruning level measured.',
      ),
    );
  }
  const allPairs = allPairsParts(ctx);
  parts.push(`<div class="charts">${figures.join('')}${allPairs.figures.join('')}</div>`, allPairs.notes);
  parts.push(more('The numbers', gapTable(ctx, withGap, letters)));
  if (allPairs.maps) parts.push(allPairs.maps);
  return section('complexity', heading, parts.join('\n'));
}

function gapTable(ctx: Ctx, withGap: Ctx['tasks'], letters: string[]): string {
  if (withGap.length > MANY_TASKS) {
    // many class pairs: one row per task, sorted easy → hard by SSIM distance
    const sorted = [...withGap].sort((a, b) => (b.ssimDistance ?? -1) - (a.ssimDistance ?? -1));
    const rows = sorted.map((t) => [taskLabel(t, ctx.colors), num(t.ssimDistance), statCell(t.gaps.fullMinusBinarized), num(t.gaps.meanFullMinusRandomized.full), num(t.gaps.meanFullMinusRandomized.binarized)]);
    return table(['task', 'SSIM distance', 'full − binarized', 'full − randomized (mean over randomizations)', 'full − randomized, binarized (mean)'], rows);
  }
  // one column per task, one row per measure: stays narrow for the usual easy/hard pair
  const headers = ['accuracy drop', ...withGap.map((t) => taskLabel(t, ctx.colors))];
  const rows: string[][] = [
    ['SSIM distance', ...withGap.map((t) => num(t.ssimDistance))],
    ['full − binarized', ...withGap.map((t) => statCell(t.gaps.fullMinusBinarized))],
  ];
  for (const l of letters) {
    rows.push([`full − randomized ${escapeHtml(l)}`, ...withGap.map((t) => statCell(t.gaps.fullMinusRandomized[l]?.full))]);
    rows.push([`full − randomized ${escapeHtml(l)}, binarized`, ...withGap.map((t) => statCell(t.gaps.fullMinusRandomized[l]?.binarized))]);
  }
  return table(headers, rows);
}

/** The all-pairs study as the reference shows it (heatmaps, scatter with ρ), with weightscope's broader r beside it. */
function allPairsParts(ctx: Ctx): { figures: string[]; notes: string; maps: string } {
  const ap = ctx.summary.allPairs;
  const ref = ap.reference;
  const broad = ap.broader;
  const stats = [
    ref ? `${ref.label}: ρ = ${ref.rho.toFixed(3)} (n = ${ref.n} pairs)` : 'reference statistic (Spearman ρ, randomization B): needs baseline, binarize and randomize B rows for ≥ 3 pairs',
    broad ? `${broad.label}: r = ${broad.r.toFixed(3)} (n = ${broad.n} pairs)` : 'weightscope statistic (Pearson r, all null models): needs ≥ 3 pairs',
  ];
  const notes = `<ul class="note">${stats.map((x) => `<li>${escapeHtml(x)}</li>`).join('')}</ul>`;
  const figures: string[] = [];
  const withB = ap.pairs.filter((p) => p.randomizationDropB !== null);
  // beside the bar chart (60 % of the width) when there is one, else two side by side
  const size = { width: Math.round(FULL_WIDTH * 0.4) - 16, height: 300 };
  if (withB.length >= 2) {
    figures.push(
      figure(
        scatter(ctx.doc, {
          title: 'Binarization drop vs randomization-B drop (reference)', xLabel: 'Δ accuracy, randomization B (median)', yLabel: 'Δ accuracy, binarization (median)',
          points: withB.map((p) => ({ x: p.randomizationDropB!, y: p.binarizationDrop, label: p.task, color: ctx.colors.get(p.task) })),
          diagonal: true, fit: false, ...size,
          notes: [ref ? `Spearman ρ = ${ref.rho.toFixed(2)} (reference)` : '', broad ? `Pearson r = ${broad.r.toFixed(2)} (weightscope, all null models)` : ''].filter(Boolean),
        }),
        'One point per class pair: medians over runs (folded below 50 %), full precision minus binarized (y) and minus randomization B at the lowest pruning level (x), as the reference\'s all-pairs figure.',
      ),
    );
  }
  const withMeans = ap.pairs.filter((p) => p.meanBinarizationDrop !== null && p.meanRandomizationDrop !== null);
  if (withMeans.length >= 2 && broad) {
    figures.push(
      figure(
        scatter(ctx.doc, {
          title: 'Binarization drop vs randomization drop (weightscope)', xLabel: 'full − binarized (mean)', yLabel: `full − randomized (mean over ${broad.nullModels.join(', ')})`,
          points: withMeans.map((p) => ({ x: p.meanBinarizationDrop!, y: p.meanRandomizationDrop!, label: p.task, color: ctx.colors.get(p.task) })),
          ...size,
        }),
        `One point per class pair: means over runs (paired by run); the y value averages the drops of the null models ${escapeHtml(broad.nullModels.join(', '))} at their lowest pruning level.`,
      ),
    );
  }
  // 10×10 maps as the reference's fig4: one cell per class pair (lower triangle)
  const numeric = ap.pairs.filter((p) => p.classes.every((c) => /^\d+$/.test(String(c))));
  let maps = '';
  if (numeric.length >= 3) {
    const classes = [...new Set(numeric.flatMap((p) => p.classes.map(Number)))].sort((a, b) => a - b);
    const labels = classes.map(String);
    const grid = (value: (p: (typeof numeric)[number]) => number | null): (number | null)[][] => {
      const g = classes.map(() => classes.map((): number | null => null));
      for (const p of numeric) {
        const [a, b] = p.classes.map((c) => classes.indexOf(Number(c)));
        g[Math.max(a, b)][Math.min(a, b)] = value(p);
      }
      return g;
    };
    maps =
      `<div class="charts">${figure(heatmap(ctx.doc, { title: 'Δ accuracy, binarization (median)', labels, values: grid((p) => p.binarizationDrop), xLabel: 'class', yLabel: 'class' }))}` +
      (withB.length ? figure(heatmap(ctx.doc, { title: 'Δ accuracy, randomization B (median)', labels, values: grid((p) => p.randomizationDropB), xLabel: 'class', yLabel: 'class' })) : '') +
      '</div>';
  }
  return { figures, notes, maps };
}
