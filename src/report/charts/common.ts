/// <reference lib="dom" />
/**
 * What every chart shares: colours and dashes, the root <svg>, titles, legends, axes, grids and
 * labelled (categorical) ticks. Browser-safe, d3 only; text widths are estimated (no layout engine
 * in jsdom).
 */
import { format, interpolateHcl, select } from 'd3';
import type { Selection } from 'd3';

export const SVG_NS = 'http://www.w3.org/2000/svg';

/** Colours shared by every chart: easy tasks blue, hard tasks red, reference lines grey. */
export const COLORS = {
  easy: '#1f66b3',
  hard: '#c8362b',
  others: ['#2a9d8f', '#8e5ac8', '#e08e0b', '#5b7f2b', '#c2428f', '#4d6a8a', '#a0522d', '#17becf'],
  chance: '#7a7a7a',
  reference: '#4a4a4a',
  grid: '#e6e6e6',
  axis: '#333333',
  text: '#222222',
};

/** Dash patterns: full precision is drawn solid, signed (sign() applied) dashed. */
export const DASH = { full: '', signed: '6 3', dotted: '2 3', dashdot: '8 3 2 3' };

export const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif';
export const FONT_SIZE = 11;
export const CHAR_W = 0.6; // estimated glyph width as a fraction of the font size

/** Estimated rendered width of a label (no layout engine in Node). */
export function textWidth(text: string, fontSize = FONT_SIZE): number {
  return text.length * fontSize * CHAR_W;
}

/**
 * One colour per task: easy tasks in blues, hard tasks in reds, other tasks from a qualitative
 * palette, so a task keeps its colour across every chart of a report.
 */
export function taskColors(tasks: { task: string; difficulty: string; ssimDistance?: number | null }[]): Map<string, string> {
  const others = tasks.filter((t) => t.difficulty !== 'easy' && t.difficulty !== 'hard');
  const distances = others.map((t) => t.ssimDistance).filter((d): d is number => typeof d === 'number' && Number.isFinite(d));
  let byDistance: ((d: number) => string) | null = null;
  if (others.length > COLORS.others.length && distances.length === others.length) {
    // many class pairs: a scale by SSIM distance, red = similar (hard) … blue = dissimilar (easy)
    const lo = Math.min(...distances);
    const hi = Math.max(...distances);
    const ramp = interpolateHcl(COLORS.hard, COLORS.easy);
    byDistance = (d) => ramp(hi > lo ? (d - lo) / (hi - lo) : 0.5);
  }
  const blues = [COLORS.easy, '#4f8fd6', '#0d3d73', '#7fb2e5'];
  const reds = [COLORS.hard, '#e07a3f', '#8a1c14', '#f0a08a'];
  const out = new Map<string, string>();
  let e = 0;
  let h = 0;
  let o = 0;
  for (const t of tasks) {
    if (out.has(t.task)) continue;
    if (t.difficulty === 'easy') out.set(t.task, blues[e++ % blues.length]);
    else if (t.difficulty === 'hard') out.set(t.task, reds[h++ % reds.length]);
    else if (byDistance) out.set(t.task, byDistance(t.ssimDistance as number));
    else out.set(t.task, COLORS.others[o++ % COLORS.others.length]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// shared pieces

export type AnySel = Selection<any, any, any, any>;

export interface Margins {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

export interface LegendItem {
  label: string;
  color: string;
  /** `line` (default) with an optional dash, or `box` (bars, histograms). */
  kind?: 'line' | 'box';
  dash?: string;
  /** Box fill opacity (binarized bars are drawn lighter). */
  opacity?: number;
}

/** Root `<svg>` with its own font and a white background so it reads standalone. */
export function createSvg(doc: Document, width: number, height: number, label: string): AnySel {
  const svg = doc.createElementNS(SVG_NS, 'svg');
  const s = select(svg)
    .attr('xmlns', SVG_NS)
    .attr('width', width)
    .attr('height', height)
    .attr('viewBox', `0 0 ${width} ${height}`)
    .attr('role', 'img')
    .attr('aria-label', label)
    .attr('font-family', FONT)
    .attr('font-size', FONT_SIZE)
    .attr('fill', COLORS.text)
    .attr('class', 'ws-chart');
  s.append('rect').attr('class', 'background').attr('width', width).attr('height', height).attr('fill', '#ffffff');
  return s;
}

export function title(svg: AnySel, text: string | undefined, width: number): void {
  if (!text) return;
  const maxChars = Math.floor((width - 16) / (13 * CHAR_W));
  const t = text.length > maxChars ? text.slice(0, maxChars - 1) + '…' : text;
  svg
    .append('text')
    .attr('class', 'title')
    .attr('x', width / 2)
    .attr('y', 17)
    .attr('text-anchor', 'middle')
    .attr('font-size', 13)
    .attr('font-weight', 600)
    .text(t);
}

/** Lay legend items out in rows that fit `width`; returns the rows' item positions. */
export function legendLayout(items: LegendItem[], width: number): { x: number; row: number }[] {
  const pos: { x: number; row: number }[] = [];
  let x = 0;
  let row = 0;
  for (const it of items) {
    const w = 26 + textWidth(it.label) + 14;
    if (x > 0 && x + w > width) {
      x = 0;
      row++;
    }
    pos.push({ x, row });
    x += w;
  }
  return pos;
}

export const LEGEND_ROW = 16;

/** Right margin wide enough for the labels of horizontal reference lines, drawn outside the plot. */
export function rightMargin(hLines: RefLine[] | undefined, base: number): number {
  const w = Math.max(0, ...(hLines ?? []).filter((h) => h.label).map((h) => textWidth(h.label!, 10) + 8));
  return Math.max(base, w);
}

export function legendHeight(items: LegendItem[], width: number): number {
  if (items.length === 0) return 0;
  const pos = legendLayout(items, width);
  return (pos[pos.length - 1].row + 1) * LEGEND_ROW + 6;
}

export function drawLegend(svg: AnySel, items: LegendItem[], x0: number, y0: number, width: number): void {
  if (items.length === 0) return;
  const pos = legendLayout(items, width);
  const g = svg.append('g').attr('class', 'legend').attr('transform', `translate(${x0},${y0})`);
  items.forEach((it, i) => {
    const item = g
      .append('g')
      .attr('class', 'legend-item')
      .attr('transform', `translate(${pos[i].x},${pos[i].row * LEGEND_ROW})`);
    if (it.kind === 'box') {
      item
        .append('rect')
        .attr('x', 2)
        .attr('y', 2)
        .attr('width', 18)
        .attr('height', 9)
        .attr('fill', it.color)
        .attr('fill-opacity', it.opacity ?? 1)
        .attr('stroke', it.color);
    } else {
      item
        .append('line')
        .attr('x1', 0)
        .attr('x2', 22)
        .attr('y1', 6.5)
        .attr('y2', 6.5)
        .attr('stroke', it.color)
        .attr('stroke-width', 2)
        .attr('stroke-dasharray', it.dash || null);
    }
    item.append('text').attr('x', 26).attr('y', 10).text(it.label);
  });
}

/** Horizontal grid lines at the y ticks. */
export function drawGrid(plot: AnySel, y: { (v: number): number; ticks(count: number): number[] }, yTicks: number, plotW: number): void {
  plot
    .append('g')
    .attr('class', 'grid')
    .selectAll('line')
    .data(y.ticks(yTicks))
    .join('line')
    .attr('x1', 0)
    .attr('x2', plotW)
    .attr('y1', (d: number) => y(d))
    .attr('y2', (d: number) => y(d))
    .attr('stroke', COLORS.grid);
}

/** Style a d3 axis group: readable ticks, no heavy domain line. */
export function styleAxis(g: AnySel): void {
  g.attr('font-family', FONT).attr('font-size', 10).attr('color', COLORS.axis);
  g.selectAll('.tick text').attr('fill', COLORS.axis);
}

export function axisLabel(svg: AnySel, text: string | undefined, x: number, y: number, rotate = false): void {
  if (!text) return;
  const t = svg
    .append('text')
    .attr('class', rotate ? 'y-label' : 'x-label')
    .attr('text-anchor', 'middle')
    .attr('font-size', 11)
    .text(text);
  if (rotate) t.attr('transform', `translate(${x},${y}) rotate(-90)`);
  else t.attr('x', x).attr('y', y);
}

const SUPERSCRIPT: Record<string, string> = {
  '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹',
};

/** `2⁻¹⁰`-style label for an exact power of the base, a compact number otherwise. */
export function powerLabel(value: number, base: number): string {
  const k = Math.log(value) / Math.log(base);
  const kr = Math.round(k);
  if (Math.abs(k - kr) < 1e-9) {
    if (kr === 0) return '1';
    return `${base}${String(kr).replace(/[-0-9]/g, (c) => SUPERSCRIPT[c])}`;
  }
  return format('.2~g')(value);
}

export interface RefLine {
  value: number;
  label?: string;
  color?: string;
  dash?: string;
}

/** [min, max] of the finite values, widened when they are all equal; `fallback` when there are none. */
export function extentOf(values: number[], fallback: [number, number]): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return fallback;
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  return [lo, hi];
}

/** A tick at a chosen position with its own label: layer names on a depth axis. */
export interface AxisTick {
  value: number;
  label: string;
}

/** Labels longer than this are cut in the middle (with '…') when rotated; the full name stays in a <title>. */
const MAX_TICK_CHARS = 22;
/** Rotation of labels that do not fit side by side. */
const TICK_ANGLE = 40;
const RAD = (TICK_ANGLE * Math.PI) / 180;

export interface TickLayout {
  /** Labels drawn at an angle. */
  rotate: boolean;
  /** Every k-th label is written (all ticks keep their mark). */
  every: number;
  /** Extra bottom margin the labels need (px). */
  extra: number;
  /** How far the first label reaches left of its tick (px): the chart's left margin must hold it. */
  left: number;
  /** The text drawn at each tick, in the order given (shared prefix and suffix removed, long ones cut). */
  texts: string[];
  /** What the texts leave out, for the axis label: `encoder.layer.*.weight`; '' when nothing. */
  shared: string;
}

const SEPARATORS = /[./_:-]/;

/**
 * The prefix and suffix every label shares, cut at a separator ('.', '/', '_', ':', '-'):
 * "encoder.layer." and ".weight" of "encoder.layer.0.attention.q_lin.weight", …
 */
export function sharedAffixes(labels: string[]): { prefix: string; suffix: string } {
  if (labels.length < 3) return { prefix: '', suffix: '' };
  let p = labels.reduce((a, l) => {
    let k = 0;
    while (k < a.length && k < l.length && a[k] === l[k]) k++;
    return a.slice(0, k);
  });
  while (p && !SEPARATORS.test(p[p.length - 1])) p = p.slice(0, -1);
  const rest = labels.map((l) => l.slice(p.length));
  let q = rest.reduce((a, l) => {
    let k = 0;
    while (k < a.length && k < l.length && a[a.length - 1 - k] === l[l.length - 1 - k]) k++;
    return a.slice(a.length - k);
  });
  while (q && !SEPARATORS.test(q[0])) q = q.slice(1);
  // never leave a label empty
  if (rest.some((l) => l.length - q.length < 1)) q = '';
  if (labels.some((l) => l.length - p.length - q.length < 1)) p = '';
  return { prefix: p, suffix: q };
}

/** A label cut to `max` characters in the middle: the start and the end usually tell layers apart. */
function cutMiddle(label: string, max: number): string {
  if (label.length <= max) return label;
  const head = Math.ceil((max - 1) / 2);
  return `${label.slice(0, head)}…${label.slice(label.length - (max - 1 - head))}`;
}

/**
 * How to write labelled ticks spaced `spacing` px apart: level when they fit, else without the
 * prefix and suffix every label shares (the axis label says it), level if that fits, else at 40°
 * (cut in the middle when long, and only every k-th label where even rotated ones would overlap).
 */
export function tickLayout(ticks: AxisTick[], spacing: number, fontSize = 10): TickLayout {
  const fits = (labels: string[]): boolean => Math.max(0, ...labels.map((l) => textWidth(l, fontSize))) + 6 <= spacing;
  const full = ticks.map((t) => t.label);
  if (ticks.length <= 1 || fits(full)) return { rotate: false, every: 1, extra: 0, left: full.length ? textWidth(full[0], fontSize) / 2 : 0, texts: full, shared: '' };
  const { prefix, suffix } = sharedAffixes(full);
  const short = ticks.map((t) => t.label.slice(prefix.length, t.label.length - suffix.length));
  const shared = prefix || suffix ? `${prefix}*${suffix}` : '';
  const widest = Math.max(0, ...short.map((l) => textWidth(l, fontSize)));
  if (widest + 6 <= spacing) return { rotate: false, every: 1, extra: 0, left: textWidth(short[0], fontSize) / 2, texts: short, shared };
  // rotated labels need about a line height / sin(angle) of horizontal room each
  const every = Math.max(1, Math.ceil((fontSize + 3) / Math.sin(RAD) / Math.max(1e-9, spacing)));
  const texts = short.map((l) => cutMiddle(l, MAX_TICK_CHARS));
  const cut = Math.max(0, ...texts.map((l) => textWidth(l, fontSize)));
  return { rotate: true, every, extra: Math.ceil(cut * Math.sin(RAD)), left: Math.ceil(textWidth(texts[0], fontSize) * Math.cos(RAD)) + 6, texts, shared };
}

/**
 * Write labelled ticks on a d3 bottom axis already drawn into `g`: the tick at each value gets
 * its text (rotated and thinned as `layout` says) and a <title> with the full name.
 */
export function labelTicks(g: AnySel, ticks: AxisTick[], layout: TickLayout): void {
  const byValue = new Map(ticks.map((t, i) => [t.value, { label: t.label, i }]));
  g.selectAll('.tick').each(function (this: any, d: any) {
    const t = byValue.get(Number(d));
    const tick = select(this);
    tick.attr('data-label', t?.label ?? null);
    const text = tick.select('text');
    if (!t || t.i % layout.every !== 0) {
      text.text('');
      return;
    }
    text.text(layout.texts[t.i]);
    text.append('title').text(t.label);
    if (layout.rotate) text.attr('text-anchor', 'end').attr('transform', `rotate(-${TICK_ANGLE})`).attr('dx', '-0.5em').attr('dy', '0.4em');
  });
}

/** The axis label with what the tick labels leave out: "layer (input → output) · encoder.layer.*.weight". */
export function withShared(label: string | undefined, layout: TickLayout | null): string | undefined {
  if (!layout?.shared) return label;
  return label ? `${label} · ${layout.shared}` : layout.shared;
}
