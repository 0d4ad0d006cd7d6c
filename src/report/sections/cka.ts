/**
 * Linear CKA of the hidden layer (rows' `cka`) beside accuracy: one small multiple, a column per
 * probe, accuracy in the top row and CKA with the unprobed model under it.
 */
import type { ProbeName } from '../../core/index.js';
import { filterCurves, groupCurves, stat, type Curve } from '../aggregate.js';
import { DASH, lineChart, smallMultiples } from '../charts.js';
import { figure, more, section, statCell, table } from '../page.js';
import { figureLegend, FULL_WIDTH, notRun, seriesOf, signedStyles, taskLabel, tasksOf, type Ctx } from './context.js';

const VIEWS: { probe: ProbeName; variant: string; signed: boolean; heading: string; xLabel: string; xScale?: 'log2' }[] = [
  { probe: 'prune', variant: 'reference', signed: false, heading: 'Pruning', xLabel: 'fraction pruned' },
  { probe: 'prune', variant: 'reference', signed: true, heading: 'Prune, then sign()', xLabel: 'fraction pruned' },
  { probe: 'binarize+noise', variant: 'reference', signed: true, heading: 'sign(w + noise)', xLabel: 'noise amplitude a', xScale: 'log2' },
  { probe: 'signflip', variant: 'reference', signed: false, heading: 'Sign flip', xLabel: 'fraction flipped' },
  { probe: 'randomize', variant: 'B', signed: false, heading: 'Randomization B', xLabel: 'fraction pruned first' },
];

export function ckaSection(ctx: Ctx): string {
  const withCka = ctx.rows.filter((r) => r.cka !== undefined && Number.isFinite(r.cka));
  const title = 'Representation similarity (linear CKA) beside accuracy';
  if (withCka.length === 0) return section('cka', title, notRun('CKA (rows without a cka column)'));
  const ckaCurves = groupCurves(withCka.map((r) => ({ ...r, accuracy: r.cka! })));
  const columns = VIEWS.map((v) => {
    const q = { probe: v.probe, variant: v.variant, signed: v.signed, layer: 'all' };
    return { view: v, acc: filterCurves(ctx.curves, q), cka: filterCurves(ckaCurves, q) };
  }).filter((c) => c.cka.length > 0);
  const items = [
    ...columns.map((c) => ({ ...c, metric: 'accuracy' as const, curves: c.acc })),
    ...columns.map((c) => ({ ...c, metric: 'cka' as const, curves: c.cka })),
  ];
  const parts: string[] = [];
  if (columns.length) {
    const all: Curve[] = columns.flatMap((c) => c.cka);
    parts.push(
      figure(
        smallMultiples(ctx.doc, {
          items,
          width: FULL_WIDTH,
          columns: columns.length,
          minPanelWidth: 200,
          panelHeight: 200,
          legend: figureLegend(ctx, tasksOf(all), signedStyles('full precision', 'sign() applied')),
          draw: (it, size, _i, column) =>
            lineChart(ctx.doc, {
              title: it.metric === 'cka' ? `${it.view.heading}: CKA` : it.view.heading,
              xLabel: it.view.xLabel,
              yLabel: column === 0 ? (it.metric === 'cka' ? 'CKA with the unprobed model' : 'test accuracy') : undefined,
              marginLeft: 50,
              yDomain: [0, 1],
              xScale: it.view.xScale,
              series: seriesOf(ctx, it.curves, it.view.signed ? DASH.signed : DASH.full, `${it.metric === 'cka' ? 'cka' : 'acc'}-${it.view.probe}-${it.view.signed}`),
              legend: false,
              ...size,
            }),
        }),
        'CKA: linear centred kernel alignment between the first hidden layer’s activations of the unprobed model and of the probed one over the whole test set (1 = the same representation up to rotation and scale). Mean over runs; shaded ± sd. Top row: test accuracy; bottom row: CKA.',
      ),
    );
  }
  const binRows = ctx.tasks.map((t) => {
    const c = stat(withCka.filter((r) => r.task === t.task && r.probe === 'binarize' && r.variant === 'reference').map((r) => r.cka!));
    return [taskLabel(t, ctx.colors), statCell(t.binarized), statCell(c)];
  });
  parts.push(more('Binarized models: accuracy and CKA', table(['task', 'binarized accuracy', 'binarized CKA'], binRows)));
  return section('cka', title, parts.join('\n'));
}
