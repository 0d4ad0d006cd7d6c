/**
 * The top of report.html: the reference study's claims with their verdicts, then one table of
 * headline figures per task (the numbers the claims rest on). Everything else in the accuracy
 * tables sits behind a disclosure.
 */
import type { ClaimResult, Verdict } from '../claims.js';
import { escapeHtml, more, num, section, statCell, table } from '../page.js';
import { notRun, taskLabel, type Ctx } from './context.js';

const VERDICT_ORDER: Verdict[] = ['holds', 'mixed', 'does not hold', 'not tested'];

export function claimsSection(claims: ClaimResult[]): string {
  const counts = VERDICT_ORDER.map((v) => [v, claims.filter((c) => c.verdict === v).length] as const).filter(([, n]) => n > 0);
  const tally = counts.map(([v, n]) => `<span class="verdict v-${v.replace(/ /g, '-')}">${n} ${escapeHtml(v)}</span>`).join(' ');
  const rows = claims.map((c) => [
    `${escapeHtml(c.claim)}<details class="rule"><summary>rule</summary>${escapeHtml(c.rule)}</details>`,
    `<span class="verdict v-${c.verdict.replace(/ /g, '-')}">${escapeHtml(c.verdict)}</span>`,
    `<ul class="evidence">${c.evidence.map((e) => `<li>${escapeHtml(e)}</li>`).join('')}</ul>`,
  ]);
  return section(
    'claims',
    'The reference study’s claims vs this run',
    `<p>${tally}</p>` +
      table(['claim (Jankowski et al. 2025)', 'verdict', 'measured'], rows, 'claims') +
      '<p class="note">Verdicts are computed from summary.json with the thresholds in each rule (docs/report.md); “mixed” means some parts of a claim hold and others do not.</p>',
  );
}

/** Per task: the figures the claims rest on, in one table. */
export function headlineSection(ctx: Ctx): string {
  const heading = 'Headline figures';
  if (!ctx.tasks.some((t) => t.full || t.binarized || Object.keys(t.randomized).length || t.noise.bestSigned))
    return section('accuracy', heading, notRun('baseline, binarize, noise or randomize'));
  const any = (f: (t: (typeof ctx.tasks)[number]) => unknown): boolean => ctx.tasks.some((t) => f(t) !== null && f(t) !== undefined);
  const columns: { head: string; cell: (t: (typeof ctx.tasks)[number]) => string; when: boolean }[] = [
    { head: 'task', cell: (t) => taskLabel(t, ctx.colors), when: true },
    { head: 'classes', cell: (t) => escapeHtml(`${t.classes[0]} vs ${t.classes[1]}`), when: true },
    { head: 'SSIM distance', cell: (t) => num(t.ssimDistance), when: any((t) => t.ssimDistance) },
    { head: 'runs', cell: (t) => String(t.runs), when: true },
    { head: 'full precision', cell: (t) => statCell(t.full), when: any((t) => t.full) },
    { head: 'binarized<br><span class="muted">sign(w), sign(b)</span>', cell: (t) => statCell(t.binarized), when: any((t) => t.binarized) },
    {
      head: 'best sign(w + noise)<br><span class="muted">gain over binarized</span>',
      cell: (t) => {
        const b = t.noise.bestSigned;
        if (!b) return '—';
        return statCell(b.accuracy, t.noise.gain === null ? `at a = ${num(b.level, 4)}` : `${t.noise.gain >= 0 ? '+' : ''}${num(t.noise.gain)} at a = ${num(b.level, 4)}`);
      },
      when: any((t) => t.noise.bestSigned),
    },
    {
      head: 'randomized B<br><span class="muted">sign pattern kept</span>',
      cell: (t) => (t.randomized.B ? statCell(t.randomized.B.full, t.randomized.B.level > 0 ? `after pruning ${num(t.randomized.B.level, 2)}` : undefined) : '—'),
      when: any((t) => t.randomized.B),
    },
    {
      head: `pruned, then sign()<br><span class="muted">first level ≥ ${ctx.summary.options.transitionThreshold}</span>`,
      cell: (t) => {
        const p = t.pruneSign;
        if (!p) return '—';
        return p.level === null ? `never <span class="iqr">peak ${num(p.peak?.accuracy.mean)}</span>` : `${num(p.level, 2)}<span class="iqr">peak ${num(p.peak?.accuracy.mean)} at ${num(p.peak?.level, 2)}</span>`;
      },
      when: any((t) => t.pruneSign),
    },
  ];
  const shown = columns.filter((c) => c.when);
  const body =
    table(shown.map((c) => c.head), ctx.tasks.map((t) => shown.map((c) => c.cell(t)))) +
    '<p class="note">Mean ± sd over runs, the reference’s median [interquartile range] under it (hover for min, max, n). Randomized and pruned models at the lowest pruning level measured. A larger SSIM distance means the two classes look less alike: an easier task.</p>' +
    more('Every binarize variant, randomization A, and the reference code’s biases', accuracyTable(ctx) + biasComparison(ctx));
  return section('accuracy', heading, body);
}

function accuracyTable(ctx: Ctx): string {
  const binVariants = [...new Set(ctx.tasks.flatMap((t) => Object.keys(t.binarize)))].filter((v) => v !== 'reference').sort();
  const randA = ctx.tasks.some((t) => t.randomized.A);
  const headers = ['task', 'runs', 'full precision', 'binarized (sign w, sign b)', ...binVariants.map((v) => `binarized, ${escapeHtml(v)}`)];
  if (randA) headers.push('randomized A (full)', 'randomized A (binarized)');
  const rows = ctx.tasks.map((t) => {
    const r = [taskLabel(t, ctx.colors), String(t.runs), statCell(t.full), statCell(t.binarized), ...binVariants.map((v) => statCell(t.binarize[v]))];
    if (randA) r.push(statCell(t.randomized.A?.full), statCell(t.randomized.A?.binarized));
    return r;
  });
  return (
    table(headers, rows) +
    '<p class="note">Randomization A is the full shuffle of every layer, at the lowest pruning level measured. Every randomization is in the randomization section.</p>'
  );
}

/** Trained biases (weightscope's default) beside the reference code's freshly initialised ones, when both ran. */
function biasComparison(ctx: Ctx): string {
  const ref = ctx.summary.referenceInitBias;
  if (!ref || ref.length === 0) return '';
  const rows = ref.map((r) => {
    const t = ctx.tasks.find((x) => x.task === r.task);
    return [
      escapeHtml(r.task),
      statCell(t?.full), statCell(r.full),
      statCell(t?.binarized), statCell(r.binarized),
      t?.noise.gain == null ? '—' : t.noise.gain.toFixed(3), r.noise.gain == null ? '—' : r.noise.gain.toFixed(3),
    ];
  });
  return (
    '<h3>Trained biases vs the reference code\'s biases</h3>' +
    table(['task', 'full, trained b', 'full, reference-init b', 'binarized, trained b', 'binarized, reference-init b', 'noise gain, trained b', 'noise gain, reference-init b'], rows) +
    '<p class="note">reference-init: every probe ran with untrained biases U(−1/√fan_in, 1/√fan_in), as the reference code does (it reloads only the weight matrices into a fresh model). Everything else in this report uses the trained biases.</p>'
  );
}
