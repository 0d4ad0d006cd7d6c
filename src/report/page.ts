/**
 * What every HTML page of the report module shares: escaping, the stylesheet, tables, statistic
 * cells, sections and disclosures, and the page shell. Pages are single files: inline CSS and
 * SVG, no script, font or external URL. Browser-safe (no Node import), though only Node uses it.
 */
import type { Stat } from './aggregate.js';
import { fmtStat } from './claims.js';

export function escapeHtml(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function num(x: number | null | undefined, digits = 3): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits);
}

/** mean ± sd, and under it (small) the reference's median [q1, q3], or the HTML `below` when given. */
export function statCell(s: Stat | null | undefined, below?: string): string {
  if (!s) return '—';
  const iqr =
    below !== undefined ? `<span class="iqr">${below}</span>`
    : s.n > 1 ? `<span class="iqr" title="median [interquartile range] over runs, as the reference's figures">med ${num(s.median)} [${num(s.q1)}, ${num(s.q3)}]</span>`
    : '';
  return `<span title="mean ± sd over runs; min ${num(s.min)}, max ${num(s.max)}, n = ${s.n}">${fmtStat(s)}</span>${iqr}`;
}

/** A table in a box that scrolls sideways when it is wider than the page. */
export function table(headers: string[], rows: string[][], cls = ''): string {
  const head = headers.map((h) => `<th>${h}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<div class="table-wrap"><table class="${cls}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

export function section(id: string, heading: string, body: string): string {
  return `<section id="${id}">\n<h2>${escapeHtml(heading)}</h2>\n${body}\n</section>`;
}

/** A section folded away: its heading is the summary of a closed <details>. */
export function collapsedSection(id: string, heading: string, body: string, hint = ''): string {
  return `<section id="${id}" class="folded"><details>\n<summary><h2>${escapeHtml(heading)}</h2>${hint ? ` <span class="hint">${escapeHtml(hint)}</span>` : ''}</summary>\n${body}\n</details></section>`;
}

/** Details behind a disclosure: closed unless `open`. */
export function more(summary: string, body: string, open = false): string {
  return `<details class="more"${open ? ' open' : ''}><summary>${escapeHtml(summary)}</summary>\n${body}\n</details>`;
}

export function figure(el: SVGSVGElement, caption?: string): string {
  return `<figure>${el.outerHTML}${caption ? `<figcaption>${caption}</figcaption>` : ''}</figure>`;
}

export const CSS = `
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #222; background: #f6f7f9; margin: 0; line-height: 1.4; }
main { max-width: 1180px; margin: 0 auto; padding: 16px 20px 40px; }
h1 { font-size: 24px; margin: 0 0 2px; }
h2 { font-size: 18px; margin: 0 0 8px; padding-bottom: 3px; border-bottom: 2px solid #e3e6ea; }
h3 { font-size: 14px; margin: 12px 0 4px; }
section { background: #fff; border: 1px solid #e3e6ea; border-radius: 8px; padding: 12px 18px; margin: 12px 0; }
section.folded { padding: 8px 18px; }
section.folded h2 { display: inline; border: 0; font-size: 16px; }
section.folded summary { cursor: pointer; }
.hint { color: #777; font-size: 13px; }
details.more { margin: 6px 0; }
details.more > summary { cursor: pointer; color: #1f66b3; font-size: 13px; }
nav { font-size: 13px; margin: 6px 0 0; }
nav a { color: #1f66b3; margin-right: 12px; text-decoration: none; }
p.lead { color: #555; margin: 0; }
p { margin: 4px 0; }
.muted { color: #777; }
.note { color: #555; font-size: 12.5px; }
.not-run { color: #8a6d00; background: #fff8e1; border: 1px solid #f3e2a9; border-radius: 4px; padding: 6px 10px; display: inline-block; }
.table-wrap { max-width: 100%; overflow-x: auto; }
table { border-collapse: collapse; font-size: 13px; margin: 4px 0 8px; }
th, td { border-bottom: 1px solid #e8eaed; padding: 3px 9px; text-align: left; vertical-align: top; }
th { background: #f2f4f7; font-weight: 600; }
.iqr { display: block; color: #888; font-size: 11px; white-space: nowrap; }
.task-label { white-space: nowrap; }
table.claims td:first-child { min-width: 300px; max-width: 440px; }
table.claims details summary { cursor: pointer; color: #777; font-size: 11.5px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:hover { background: #fafbfc; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: baseline; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
.charts svg, figure svg { max-width: 100%; height: auto; border: 1px solid #eef0f3; border-radius: 4px; }
figure svg.panel { border: 0; }
figure { margin: 0; display: table; }
figcaption { display: table-caption; caption-side: bottom; font-size: 12px; color: #666; margin-top: 2px; }
.verdict { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; white-space: nowrap; }
.v-holds { background: #dcf3e3; color: #1d6b35; }
.v-does-not-hold { background: #fbe0dd; color: #9b2418; }
.v-mixed { background: #fff1cc; color: #7a5a00; }
.v-not-tested { background: #eceff3; color: #555; }
ul.evidence { margin: 0; padding-left: 16px; font-size: 12.5px; }
.rule { font-size: 11.5px; color: #777; }
.ssim-grid { display: flex; flex-wrap: wrap; gap: 0 28px; align-items: flex-start; }
.ssim-grid td { white-space: nowrap; }
tr.chosen td { background: #eef4fb; font-weight: 600; }
.bar-cell { min-width: 56px; }
.bar-cell span.bar { display: inline-block; height: 9px; background: #9db8d9; border-radius: 2px; vertical-align: middle; }
pre { background: #f6f8fa; padding: 8px; border-radius: 4px; font-size: 12px; overflow-x: auto; }
table.kv th { background: none; color: #555; font-weight: normal; white-space: nowrap; }
table.kv td { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; overflow-wrap: anywhere; }
table.kv summary { cursor: pointer; }
.config-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 0 28px; }
.config-grid > div { min-width: 0; }
.config-grid h3 { margin: 10px 0 2px; font-size: 14px; }
`;

/** A whole page: head with the stylesheet, a header (title, lead line, links), then the body. */
export function page(options: { title: string; lead?: string; nav?: [string, string][]; body: string; css?: string }): string {
  const nav = options.nav?.length ? `<nav>${options.nav.map(([id, label]) => `<a href="#${id}">${escapeHtml(label)}</a>`).join('')}</nav>` : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)}</title>
<style>${CSS}${options.css ?? ''}</style>
</head>
<body>
<main>
<header>
<h1>${escapeHtml(options.title)}</h1>
${options.lead ? `<p class="lead">${escapeHtml(options.lead)}</p>` : ''}
${nav}
</header>
${options.body}
</main>
</body>
</html>
`;
}

const isScalar = (v: unknown): boolean => v === null || ['string', 'number', 'boolean'].includes(typeof v);

/** A scalar or an array of scalars as display text; null for anything deeper. */
function flatValue(v: unknown): string | null {
  if (isScalar(v)) return String(v);
  if (Array.isArray(v) && v.every(isScalar)) return v.map((x) => (typeof x === 'number' && !Number.isInteger(x) ? String(Number(x.toPrecision(6))) : String(x))).join(', ');
  return null;
}

/**
 * Timings a run folder's run.json records that the report cannot know when it is written (its own
 * time, the total, the time the run finished): left out, so that every time the page shows is
 * the one run.json holds.
 */
const WRITTEN_AFTER_THE_REPORT = new Set(['report_s', 'total_s']);

/** run.json's `timings` ({ data_s, train_s, … }) as a table of stages in seconds. */
function timingsTable(timings: Record<string, unknown>): string {
  const stages = Object.entries(timings).filter(([k, v]) => typeof v === 'number' && !WRITTEN_AFTER_THE_REPORT.has(k)) as [string, number][];
  if (stages.length === 0) return '';
  const label = (k: string): string => k.replace(/_s$/, '').replace(/_/g, ' ');
  const rows = stages.map(([k, v]) => `<tr><td>${escapeHtml(label(k))}</td><td class="num">${v.toFixed(1)}</td></tr>`).join('');
  const sum = stages.reduce((a, [, v]) => a + v, 0);
  return (
    `<div class="table-wrap"><table class="kv timings"><thead><tr><th>stage</th><th class="num">seconds</th></tr></thead><tbody>${rows}` +
    `<tr><td><i>these stages</i></td><td class="num">${sum.toFixed(1)}</td></tr></tbody></table></div>` +
    '<p class="note">As run.json records them; run.json also has the time taken to write this page and the total, known only after it was written.</p>'
  );
}

/** Lists longer than this show their first items, the rest behind a disclosure. */
const LONG_LIST = 12;

/** A value's cell: its text, or a long list's first items with the whole list behind a disclosure. */
function valueCell(v: unknown): string {
  const text = escapeHtml(flatValue(v) ?? '');
  if (!Array.isArray(v) || v.length <= LONG_LIST) return text;
  return `<details><summary>${v.length} values: ${escapeHtml(flatValue(v.slice(0, 4)))}, …</summary>${text}</details>`;
}

function kvTable(entries: [string, unknown][]): string {
  return `<div class="table-wrap"><table class="kv"><tbody>${entries.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${valueCell(v)}</td></tr>`).join('')}</tbody></table></div>`;
}

/**
 * A run's configuration (run.json) as tables: its scalar fields in one, each object of scalars
 * (config, backend, versions, sweep) in its own, timings as stages, anything deeper as JSON behind
 * a disclosure.
 */
export function configTables(run: Record<string, unknown>): string {
  const top: [string, unknown][] = [];
  const groups: string[] = [];
  const deep: string[] = [];
  for (const [k, v] of Object.entries(run)) {
    if (k === 'finished') continue; // written after the report, like the total time
    if (flatValue(v) !== null) {
      top.push([k, v]);
      continue;
    }
    if (k === 'timings' && v && typeof v === 'object' && !Array.isArray(v)) {
      groups.push(`<div><h3>timings</h3>${timingsTable(v as Record<string, unknown>)}</div>`);
      continue;
    }
    const entries = v && typeof v === 'object' && !Array.isArray(v) ? Object.entries(v as Record<string, unknown>) : [];
    if (entries.length > 0 && entries.every(([, f]) => flatValue(f) !== null)) groups.push(`<div><h3>${escapeHtml(k)}</h3>${kvTable(entries)}</div>`);
    else deep.push(`<details><summary>${escapeHtml(k)}</summary><pre>${escapeHtml(JSON.stringify(v, null, 2))}</pre></details>`);
  }
  return `${top.length ? kvTable(top) : ''}<div class="config-grid">${groups.join('')}</div>${deep.join('\n')}`;
}
