/**
 * The bottom of report.html, folded away: the tasks, the dataset's SSIM ranking of class pairs
 * and the run's configuration (run.json).
 */
import { collapsedSection, configTables, escapeHtml, num, table } from '../page.js';
import type { TaskSummary } from '../summary.js';
import { taskLabel, type Ctx } from './context.js';

export function tasksSection(ctx: Ctx): string {
  const rows = ctx.tasks.map((t) => [
    taskLabel(t, ctx.colors),
    escapeHtml(t.dataset),
    escapeHtml(`${t.classes[0]} vs ${t.classes[1]}`),
    `<span class="num">${num(t.ssimDistance)}</span>`,
    String(t.runs),
    escapeHtml(t.inputs ?? '—'),
  ]);
  const body =
    (ctx.tasks.length ? table(['task', 'dataset', 'classes', 'SSIM distance (1 − SSIM)', 'runs', 'inputs'], rows) : '<p class="not-run">No tasks.</p>') +
    '<p class="note">A larger SSIM distance means the two classes look less alike: an easier task.</p>';
  return collapsedSection('tasks', 'Tasks', body, `${ctx.tasks.length} task${ctx.tasks.length === 1 ? '' : 's'}: dataset, classes, SSIM distance, runs, input scaling`);
}

export function ssimSection(ctx: Ctx): string {
  const heading = 'SSIM ranking of class pairs';
  const ssim = ctx.input.ssim;
  if (!ssim || ssim.length === 0) return collapsedSection('ssim', heading, '<p class="not-run">Not run: no SSIM ranking was given.</p>', 'not run');
  const sorted = [...ssim].sort((a, b) => b.distance - a.distance);
  const chosen = new Map<string, TaskSummary>();
  for (const t of ctx.tasks) {
    chosen.set(`${t.classes[0]}|${t.classes[1]}`, t);
    chosen.set(`${t.classes[1]}|${t.classes[0]}`, t);
  }
  const maxD = Math.max(...sorted.map((s) => s.distance), 1e-9);
  const perCol = Math.ceil(sorted.length / 3);
  const cols: string[] = [];
  for (let c = 0; c < sorted.length; c += perCol) {
    const body = sorted
      .slice(c, c + perCol)
      .map((s, i) => {
        const t = chosen.get(`${s.a}|${s.b}`);
        const pair = `${escapeHtml(s.a)} – ${escapeHtml(s.b)}${t ? ` <span class="swatch" style="background:${ctx.colors.get(t.task)}"></span><span class="muted">${escapeHtml(t.difficulty)}</span>` : ''}`;
        const bar = `<span class="bar" style="width:${Math.max(1, Math.round((50 * s.distance) / maxD))}px"></span>`;
        return `<tr${t ? ' class="chosen"' : ''}><td class="num">${c + i + 1}</td><td>${pair}</td><td class="num">${num(s.ssim)}</td><td class="num">${num(s.distance)}</td><td class="bar-cell">${bar}</td></tr>`;
      })
      .join('\n');
    cols.push(`<table><thead><tr><th class="num">#</th><th>pair</th><th class="num">SSIM</th><th class="num">distance</th><th></th></tr></thead><tbody>${body}</tbody></table>`);
  }
  return collapsedSection(
    'ssim',
    heading,
    `<p class="note">All ${sorted.length} class pairs, easiest (most dissimilar) first. Highlighted: the pairs this run trained on.</p><div class="ssim-grid">${cols.join('')}</div>`,
    `${sorted.length} pairs, easiest first`,
  );
}

export function configSection(ctx: Ctx): string {
  const run = ctx.input.config;
  if (!run || Object.keys(run).length === 0) return collapsedSection('config', 'Run configuration', '<p class="not-run">No run.json was given.</p>', 'none given');
  return collapsedSection('config', 'Run configuration', configTables(run), 'run.json: command, versions, sweep, timings');
}
