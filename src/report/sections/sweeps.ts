/**
 * The probe families swept over a level: noise (one small multiple: absolute a, relative a / σ(w),
 * a / σ(w) pooled), pruning and sign flips (one panel per variant). Every panel draws each task
 * at full precision (solid) and with sign() applied after the probe (dashed); the tables behind
 * them sit behind disclosures.
 */
import { filterCurves, stat, type Curve } from '../aggregate.js';
import { COLORS, DASH, lineChart, smallMultiples, type LineSeries, type RefLine } from '../charts.js';
import { figure, more, num, section, statCell, table } from '../page.js';
import { CHANCE, figureLegend, FULL_WIDTH, hasProbe, notRun, seriesOf, signedStyles, taskLabel, tasksOf, type Ctx, type LayerInput } from './context.js';

/**
 * σ(w) pooled over the layers of each trained model (np.std of all its weights together, as the
 * reference's noise figure), then the median over the task's runs (its vertical line). Null where
 * a layer lacks mean or count.
 */
export function pooledSigmaByTask(layers: LayerInput[]): Map<string, number> {
  const byModel = new Map<string, { task: string; parts: LayerInput[] }>();
  for (const l of layers) {
    const k = `${l.task}|${l.run}`;
    let e = byModel.get(k);
    if (!e) byModel.set(k, (e = { task: l.task, parts: [] }));
    e.parts.push(l);
  }
  const perTask = new Map<string, number[]>();
  for (const { task, parts } of byModel.values()) {
    if (parts.some((p) => p.sigma === undefined || p.mean === undefined || !p.count)) continue;
    const n = parts.reduce((s, p) => s + p.count!, 0);
    const mean = parts.reduce((s, p) => s + p.count! * p.mean!, 0) / n;
    const second = parts.reduce((s, p) => s + p.count! * (p.sigma! ** 2 + p.mean! ** 2), 0) / n;
    const list = perTask.get(task) ?? [];
    list.push(Math.sqrt(Math.max(0, second - mean * mean)));
    perTask.set(task, list);
  }
  const out = new Map<string, number>();
  for (const [task, values] of perTask) out.set(task, stat(values)!.median);
  return out;
}

/**
 * σ(w) of each layer (mean over runs) as vertical lines in the task's colour, one dash per layer;
 * unlabelled (in a small panel the labels would cover the curves): the legend names the dashes.
 */
function sigmaLines(ctx: Ctx): (RefLine & { layer: string })[] {
  const byKey = new Map<string, { task: string; layer: string; values: number[] }>();
  for (const s of ctx.input.layers ?? []) {
    if (s.sigma === undefined || !Number.isFinite(s.sigma) || s.sigma <= 0) continue;
    const k = `${s.task}|${s.layer}`;
    let e = byKey.get(k);
    if (!e) byKey.set(k, (e = { task: s.task, layer: s.layer, values: [] }));
    e.values.push(s.sigma);
  }
  const layers = [...new Set([...byKey.values()].map((e) => e.layer))];
  return [...byKey.values()].map((e) => ({
    value: e.values.reduce((a, b) => a + b, 0) / e.values.length,
    color: ctx.colors.get(e.task) ?? COLORS.reference,
    dash: SIGMA_DASHES[layers.indexOf(e.layer) % SIGMA_DASHES.length],
    layer: e.layer,
  }));
}

/** One dash per layer for the σ(w) lines (their colour is the task's). */
const SIGMA_DASHES = ['3 3', '1 3', '6 2 1 2', '8 4'];

type LegendStyle = { label: string; dash: string };

interface Panel {
  title: string;
  xLabel: string;
  series: LineSeries[];
  xScale?: 'log2';
  xDomain?: [number, number];
  vLines?: RefLine[];
}

/** One figure of panels on a shared accuracy axis, with one legend. */
function panelFigure(ctx: Ctx, panels: Panel[], legendTasks: string[], styles: LegendStyle[], caption: string, minPanelWidth = 250): string {
  return figure(
    smallMultiples(ctx.doc, {
      items: panels,
      width: FULL_WIDTH,
      minPanelWidth,
      panelHeight: 230,
      legend: figureLegend(ctx, legendTasks, styles),
      draw: (p, size, _i, column) =>
        lineChart(ctx.doc, {
          title: p.title,
          xLabel: p.xLabel,
          yLabel: column === 0 ? 'test accuracy' : undefined,
          marginLeft: 50,
          series: p.series,
          xScale: p.xScale,
          xDomain: p.xDomain,
          yDomain: [0, 1],
          hLines: [CHANCE],
          vLines: p.vLines,
          legend: false,
          emptyText: 'not run',
          ...size,
        }),
    }),
    caption,
  );
}

export function noiseSection(ctx: Ctx): string {
  if (!hasProbe(ctx, 'noise') && !hasProbe(ctx, 'binarize+noise')) return section('noise', 'Noise', notRun('noise'));
  const panels: Panel[] = [];
  const shownTasks: Curve[] = [];
  for (const variant of ['reference', 'relative']) {
    const full = filterCurves(ctx.curves, { probe: 'noise', variant, signed: false, layer: 'all' });
    const signed = filterCurves(ctx.curves, { probe: 'binarize+noise', variant, signed: true, layer: 'all' });
    if (full.length === 0 && signed.length === 0) continue;
    shownTasks.push(...full, ...signed);
    const rel = variant === 'relative';
    panels.push({
      title: rel ? 'Relative: a / σ(w) of each layer' : 'Absolute amplitude a',
      xLabel: rel ? 'a / σ(w) of each layer' : 'noise amplitude a of U(−a, a)',
      xScale: 'log2',
      series: [...seriesOf(ctx, full, DASH.full, `full-${variant}`), ...seriesOf(ctx, signed, DASH.signed, `signed-${variant}`)],
      vLines: rel ? [{ value: 1, label: 'a = σ(w)', color: COLORS.reference }] : sigmaLines(ctx),
    });
  }
  // The reference's view: sign(w + U(−a, a)) against a / σ(w), σ pooled over the layers (median over runs).
  const pooled = pooledSigmaByTask(ctx.input.layers ?? []);
  const signedRef = filterCurves(ctx.curves, { probe: 'binarize+noise', variant: 'reference', signed: true, layer: 'all' }).filter((c) => pooled.has(c.task));
  if (signedRef.length) {
    const scaled = signedRef.map((c) => ({ ...c, points: c.points.map((p) => ({ ...p, level: p.level / pooled.get(c.task)! })) }));
    panels.push({
      title: 'a / σ(w), σ pooled (the reference’s)',
      xLabel: 'a / σ of all the model’s weights',
      xScale: 'log2',
      series: seriesOf(ctx, scaled, DASH.signed, 'signed-pooled'),
      vLines: [{ value: 1, label: 'a = σ(w)', color: COLORS.reference }],
    });
  }
  const sig = sigmaLines(ctx);
  const sigmaStyles: LegendStyle[] = [...new Map(sig.map((l) => [l.layer, { label: `σ(w) of ${l.layer}`, dash: l.dash! }])).values()];
  const parts = [
    panelFigure(
      ctx, panels, tasksOf(shownTasks), [...signedStyles('w + U(−a, a), full precision', 'sign(w + U(−a, a))'), ...sigmaStyles],
      `Mean over runs (each run averaged over its noise seeds); shaded: ± sd over runs. ${sig.length ? 'Thin vertical lines in the first panel: σ(w) of each layer (mean over runs), in the task’s colour.' : '(σ(w) not given.)'} The pooled panel divides a by the standard deviation of all the model’s weights together (median over runs), as the reference’s figure.`,
      300,
    ),
  ];
  const srRows = ctx.tasks
    .filter((t) => t.noise.bestSigned)
    .map((t) => [
      taskLabel(t, ctx.colors),
      statCell(t.noise.binarizedNoNoise),
      statCell(t.noise.bestSigned?.accuracy),
      num(t.noise.bestSigned?.level, 4),
      pooled.has(t.task) && t.noise.bestSigned ? num(t.noise.bestSigned.level / pooled.get(t.task)!, 2) : '—',
      t.noise.gain === null ? '—' : `${t.noise.gain >= 0 ? '+' : ''}${num(t.noise.gain)}`,
    ]);
  if (srRows.length)
    parts.push(more('Stochastic resonance: the best amplitude per task', table(['task', 'binarized, no noise', 'best sign(w + noise)', 'at a', 'a / σ(w) pooled', 'gain'], srRows)));
  return section('noise', 'Noise', parts.join('\n'));
}

const VARIANT_TEXT: Record<string, Record<string, string>> = {
  prune: { reference: 'smallest |w| first', largest: 'largest |w| first', random: 'random weights', global: 'smallest |w| model-wide' },
  signflip: { reference: 'smallest |w| first', largest: 'largest |w| first', random: 'random weights' },
};

/** Pruning or sign flips: one panel per variant, every task plain (solid) and followed by sign() (dashed). */
export function sweepSection(ctx: Ctx, probe: 'prune' | 'signflip', id: string, heading: string, xLabel: string): string {
  if (!hasProbe(ctx, probe)) return section(id, heading, notRun(probe));
  const all = filterCurves(ctx.curves, { probe, layer: 'all' });
  const variants = [...new Set(all.map((c) => c.variant))].sort((a, b) => (a === 'reference' ? -1 : b === 'reference' ? 1 : a.localeCompare(b)));
  const panels: Panel[] = variants.map((v) => ({
    title: `${v}: ${VARIANT_TEXT[probe][v] ?? v}`,
    xLabel,
    xDomain: [0, 1],
    series: [false, true].flatMap((signed) =>
      seriesOf(ctx, filterCurves(ctx.curves, { probe, variant: v, signed, layer: 'all' }), signed ? DASH.signed : DASH.full, `${probe}-${v}-${signed ? 'signed' : 'full'}`),
    ),
  }));
  const verb = probe === 'prune' ? 'pruned' : 'flipped';
  const parts = [
    panelFigure(ctx, panels, tasksOf(all), signedStyles(`${verb}, full precision`, `${verb}, then sign()`), 'Mean over runs; shaded: ± sd over runs.'),
  ];
  if (probe === 'prune') {
    const rows = ctx.tasks
      .filter((t) => t.pruneSign)
      .map((t) => {
        const p = t.pruneSign!;
        return [
          taskLabel(t, ctx.colors),
          num(p.start?.accuracy.mean),
          p.level === null ? `never (peak ${num(p.peak?.accuracy.mean)})` : num(p.level, 2),
          p.before ? `${num(p.before.accuracy.mean)} → ${num(p.after?.accuracy.mean)}` : '—',
          `${num(p.peak?.accuracy.mean)} at ${num(p.peak?.level, 2)}`,
        ];
      });
    if (rows.length)
      parts.push(
        more(
          'The transition after pruning + sign(), per task',
          table(['task', 'binarized, unpruned', `first level ≥ ${ctx.summary.options.transitionThreshold}`, 'jump across it', 'peak'], rows),
        ),
      );
  }
  return section(id, heading, parts.join('\n'));
}
