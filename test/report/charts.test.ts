import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JSDOM } from 'jsdom';
import { barChart, histogramChart, integerHistogram, lineChart, powerLabel, scatter, type LineSeries } from '../../src/report/index.js';
import { Rng } from '../../src/core/index.js';

const doc = new JSDOM('<!DOCTYPE html><html><body></body></html>').window.document;

function translateX(el: Element): number {
  const m = /translate\(([-\d.e]+)/.exec(el.getAttribute('transform') ?? '');
  assert.ok(m, `no translate on ${el.outerHTML.slice(0, 80)}`);
  return Number(m[1]);
}

function series(n: number, withBand: boolean[]): LineSeries[] {
  const rng = new Rng(7);
  return withBand.map((band, s) => ({
    id: `s${s}`,
    label: `series ${s}`,
    color: ['#1f66b3', '#c8362b', '#2a9d8f'][s % 3],
    points: Array.from({ length: n }, (_, i) => {
      const y = 0.5 + 0.4 * rng.next();
      return band ? { x: Math.pow(2, -10 + i), y, lo: y - 0.05, hi: y + 0.05 } : { x: Math.pow(2, -10 + i), y };
    }),
  }));
}

test('line chart draws one series path per series and a band only where spread is given', () => {
  const svg = lineChart(doc, { title: 't', xLabel: 'x', yLabel: 'y', series: series(11, [true, false, true]), xScale: 'log2' });
  const paths = [...svg.querySelectorAll('path.series')];
  assert.deepEqual(paths.map((p) => p.getAttribute('data-series')), ['s0', 's1', 's2']);
  for (const p of paths) assert.match(p.getAttribute('d') ?? '', /^M[\d.]+,[\d.]+(L[\d.]+,[\d.]+){10}$/);
  assert.deepEqual([...svg.querySelectorAll('path.band')].map((p) => p.getAttribute('data-series')), ['s0', 's2']);
  assert.equal(svg.querySelectorAll('.legend-item').length, 3);
  assert.equal(svg.getAttribute('xmlns'), 'http://www.w3.org/2000/svg');
});

test('log2 axis puts its ticks at powers of two, evenly spaced, labelled 2^k', () => {
  const svg = lineChart(doc, { series: series(11, [false]), xScale: 'log2', width: 700 });
  const ticks = [...svg.querySelectorAll('.x-axis .tick')];
  assert.ok(ticks.length >= 5);
  const values = ticks.map((t) => Number(t.getAttribute('data-value')));
  for (const v of values) assert.ok(Number.isInteger(Math.log2(v)), `${v} is not a power of two`);
  const xs = ticks.map(translateX);
  const steps = xs.slice(1).map((x, i) => (x - xs[i]) / (Math.log2(values[i + 1]) - Math.log2(values[i])));
  for (const s of steps) assert.ok(Math.abs(s - steps[0]) < 1e-6, `uneven log spacing ${steps}`);
  assert.equal(ticks[0].querySelector('text')!.textContent, powerLabel(values[0], 2));
  assert.equal(powerLabel(Math.pow(2, -10), 2), '2⁻¹⁰');
  assert.equal(powerLabel(1, 2), '1');
});

test('reference lines: a vertical line sits where the axis puts the same value', () => {
  const svg = lineChart(doc, {
    series: series(11, [false]),
    xScale: 'log2',
    width: 700,
    hLines: [{ value: 0.5, label: 'chance' }],
    vLines: [{ value: Math.pow(2, -4), label: 'σ dense_1' }, { value: Math.pow(2, -4) * 1.05, label: 'σ dense_2' }],
  });
  assert.equal(svg.querySelectorAll('.ref-h').length, 1);
  const v = svg.querySelectorAll('.ref-v');
  assert.equal(v.length, 2);
  const tick = [...svg.querySelectorAll('.x-axis .tick')].find((t) => Number(t.getAttribute('data-value')) === Math.pow(2, -4))!;
  // d3-axis shifts ticks by half a pixel for crisp lines
  assert.ok(Math.abs(Number(v[0].getAttribute('x1')) - translateX(tick)) <= 0.5 + 1e-6);
  // the two close labels are stacked, not drawn over each other
  const labels = [...svg.querySelectorAll('.ref-lines text')].filter((t) => t.textContent!.startsWith('σ'));
  assert.notEqual(labels[0].getAttribute('y'), labels[1].getAttribute('y'));
});

test('legend wraps long labels onto new rows and the chart grows to fit them', () => {
  const many = Array.from({ length: 8 }, (_, i) => ({ id: `k${i}`, label: `a rather long series label number ${i}`, color: '#333', points: [{ x: 0, y: 0 }, { x: 1, y: 1 }] }));
  const one = lineChart(doc, { series: many.slice(0, 1), width: 500, height: 300 });
  const svg = lineChart(doc, { series: many, width: 500, height: 300 });
  const rows = new Set([...svg.querySelectorAll('.legend-item')].map((g) => g.getAttribute('transform')!.split(',')[1]));
  assert.ok(rows.size >= 4, `only ${rows.size} legend rows`);
  assert.ok(Number(svg.getAttribute('height')) > Number(one.getAttribute('height')));
  // items that share a row do not overlap (estimated 6.6 px per character at 11 px)
  const items = [...svg.querySelectorAll('.legend-item')].map((g) => {
    const [x, y] = g.getAttribute('transform')!.replace(/translate\(|\)/g, '').split(',').map(Number);
    return { x, y, w: 26 + g.querySelector('text')!.textContent!.length * 6.6 };
  });
  for (let i = 1; i < items.length; i++) if (items[i].y === items[i - 1].y) assert.ok(items[i].x >= items[i - 1].x + items[i - 1].w);
});

test('an empty chart says so instead of failing', () => {
  const svg = lineChart(doc, { series: [{ id: 'e', label: 'empty', color: '#000', points: [] }], xScale: 'log2', emptyText: 'not run' });
  assert.equal(svg.querySelector('text.empty')?.textContent, 'not run');
});

test('bar chart: one bar per datum, error bars where a spread is given, gaps for missing data', () => {
  const groups = ['A', 'B', 'C', 'D', 'E', 'F', 'G'];
  const keys = [
    { id: 'easy|full', label: 'easy full', color: '#1f66b3' },
    { id: 'easy|bin', label: 'easy binarized', color: '#1f66b3', opacity: 0.4 },
    { id: 'hard|full', label: 'hard full', color: '#c8362b' },
    { id: 'hard|bin', label: 'hard binarized', color: '#c8362b', opacity: 0.4 },
  ];
  const data = groups.flatMap((g, i) => keys.filter((_, j) => !(g === 'C' && j === 3)).map((k) => ({ group: g, key: k.id, value: 0.5 + i * 0.05, lo: 0.48 + i * 0.05, hi: 0.52 + i * 0.05 })));
  const svg = barChart(doc, { groups, keys, data, yDomain: [0, 1], hLines: [{ value: 0.5, label: 'chance' }] });
  assert.equal(svg.querySelectorAll('rect.bar').length, 27);
  assert.equal(svg.querySelectorAll('g.error-bar').length, 27);
  assert.equal(svg.querySelector('rect.bar[data-group="C"][data-key="hard|bin"]'), null);
  // taller value → taller bar
  const h = (g: string): number => Number(svg.querySelector(`rect.bar[data-group="${g}"][data-key="easy|full"]`)!.getAttribute('height'));
  assert.ok(h('G') > h('A'));
});

test('integer histogram is a probability mass that matches the counts', () => {
  const values = [0, 1, 1, 2, 2, 2, 5];
  const bins = integerHistogram(values);
  assert.equal(bins.length, 6);
  assert.ok(Math.abs(bins.reduce((s, b) => s + b.value, 0) - 1) < 1e-12);
  assert.equal(bins[2].value, 3 / 7);
  assert.equal(bins[3].value, 0);
  const wide = integerHistogram(Array.from({ length: 785 }, (_, i) => i), { maxBins: 40 });
  assert.ok(wide.length <= 40);
  assert.ok(Math.abs(wide.reduce((s, b) => s + b.value, 0) - 1) < 1e-12);
});

test('histogramChart draws one outlined step path per series, on a log axis when asked', () => {
  const rng = new Rng(3);
  const draw = (p: number): number[] => Array.from({ length: 2000 }, () => Array.from({ length: 64 }, () => (rng.next() < p ? 1 : 0) as number).reduce((a, b) => a + b, 0));
  const svg = histogramChart(doc, {
    series: [
      { id: 'easy', label: 'easy', color: '#1f66b3', bins: integerHistogram(draw(0.45)) },
      { id: 'hard', label: 'hard', color: '#c8362b', bins: integerHistogram(draw(0.5)) },
    ],
    logY: true,
  });
  assert.deepEqual([...svg.querySelectorAll('path.series')].map((p) => p.getAttribute('data-series')), ['easy', 'hard']);
  const labels = [...svg.querySelectorAll('.y-axis .tick text')].map((t) => t.textContent);
  assert.ok(labels.length >= 2 && labels.every((l) => /^(1|10⁻[⁰¹²³⁴⁵⁶⁷⁸⁹]+)$/.test(l ?? '')), labels.join(' '));
});

test('scatter draws every point and a fit line with its correlation', () => {
  const pts = [0.1, 0.2, 0.3, 0.45].map((x, i) => ({ x, y: x * 0.8 + 0.05, label: `p${i}` }));
  const svg = scatter(doc, { points: pts, xLabel: 'x', yLabel: 'y' });
  assert.equal(svg.querySelectorAll('circle.point').length, 4);
  assert.ok(svg.querySelector('line.fit'));
  assert.ok([...svg.querySelectorAll('text')].some((t) => t.textContent === 'Pearson r = 1.00'));
});

test('labelled ticks: the prefix and suffix layer names share are left to the axis label; rotated labels stay inside the chart', async () => {
  const { sharedAffixes, tickLayout } = await import('../../src/report/charts/common.js');
  const names = ['encoder.layer.0.attention.q_lin.weight', 'encoder.layer.0.ffn.out.weight', 'encoder.layer.1.attention.q_lin.weight', 'encoder.layer.1.ffn.out.weight'];
  assert.deepEqual(sharedAffixes(names), { prefix: 'encoder.layer.', suffix: '.weight' });
  assert.deepEqual(sharedAffixes(['block0', 'block1', 'block2']), { prefix: '', suffix: '' }, 'cut only at a separator');
  assert.deepEqual(sharedAffixes(['a.x', 'a.x.y', 'a.x.z']), { prefix: 'a.', suffix: '' }, 'no label left empty');
  // labels that fit side by side are written whole and level
  const wide = tickLayout(names.map((label, value) => ({ value, label })), 400);
  assert.equal(wide.rotate, false);
  assert.deepEqual(wide.texts, names);
  const ticks = names.map((label, value) => ({ value, label }));
  const svg = lineChart(doc, { xLabel: 'layer', series: [{ id: 's', label: 's', color: '#000', points: ticks.map((t) => ({ x: t.value, y: 0.5 })) }], xTicks: ticks, width: 300 });
  const drawn = [...svg.querySelectorAll('.x-axis .tick')];
  assert.deepEqual(drawn.map((t) => t.getAttribute('data-label')), names, 'the full names stay on the ticks');
  const texts = drawn.map((t) => t.querySelector('text')!.childNodes[0].textContent);
  assert.ok(texts.filter(Boolean).length >= 2, texts.join(' | '));
  for (const t of texts.filter(Boolean)) assert.ok(names.some((n) => n === `encoder.layer.${t}.weight`), `${t} is a name without its shared parts`);
  assert.match(svg.querySelector('.x-label')!.textContent!, /^layer · encoder\.layer\.\*\.weight$/);
  assert.match(drawn[0].querySelector('text')!.getAttribute('transform') ?? '', /rotate\(-40\)/);
  // the first label, rotated 40° and anchored at its tick, does not reach left of the chart
  const plotX = translateX(svg.querySelector('g.plot')!);
  const tickX = translateX(drawn[0]);
  const reach = texts[0]!.length * 10 * 0.6 * Math.cos((40 * Math.PI) / 180);
  assert.ok(plotX + tickX - reach >= 0, `the first label starts at ${plotX + tickX - reach} px`);
});
