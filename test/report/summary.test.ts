import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ResultRow } from '../../src/core/index.js';
import { buildSummary, tasksFromRows } from '../../src/report/index.js';
import { parseTaskName } from '../../src/data/index.js';
import { generateRows, generateSsim, generateTasks } from './fixtures.js';

const close = (a: number, b: number, eps = 1e-12): void => assert.ok(Math.abs(a - b) <= eps, `${a} vs ${b}`);
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

function acc(rows: ResultRow[], task: string, probe: string, variant: string, signed: boolean, run: number, level = 0): number {
  const r = rows.filter((x) => x.task === task && x.probe === probe && x.variant === variant && x.signed === signed && x.run === run && Math.abs(x.level - level) < 1e-12);
  assert.ok(r.length > 0, `no row ${task} ${probe} ${variant} ${signed} ${run} ${level}`);
  return mean(r.map((x) => x.accuracy));
}

test('full − binarized gap equals the per-run differences of the rows, and the difference of the means', () => {
  const rows = generateRows({ runs: 5, seed: 21 });
  const summary = buildSummary(rows, generateTasks());
  for (const t of summary.tasks) {
    const diffs = [0, 1, 2, 3, 4].map((run) => acc(rows, t.task, 'baseline', 'reference', false, run) - acc(rows, t.task, 'binarize', 'reference', true, run));
    const g = t.gaps.fullMinusBinarized!;
    close(g.mean, mean(diffs));
    close(g.mean, t.full!.mean - t.binarized!.mean);
    assert.equal(g.n, 5);
    close(g.min, Math.min(...diffs));
    assert.equal(t.runs, 5);
  }
});

test('full − randomized gaps per letter, for full-precision and binarized randomized models', () => {
  const rows = generateRows({ runs: 3, seed: 8, probes: ['baseline', 'binarize', 'randomize'] });
  const t = buildSummary(rows).tasks.find((x) => x.task === 'mnist-0v7')!;
  for (const letter of ['A', 'E']) {
    const full = [0, 1, 2].map((run) => acc(rows, t.task, 'baseline', 'reference', false, run) - acc(rows, t.task, 'randomize', letter, false, run));
    const bin = [0, 1, 2].map((run) => acc(rows, t.task, 'baseline', 'reference', false, run) - acc(rows, t.task, 'randomize', letter, true, run));
    close(t.gaps.fullMinusRandomized[letter].full!.mean, mean(full));
    close(t.gaps.fullMinusRandomized[letter].binarized!.mean, mean(bin));
    assert.equal(t.randomized[letter].level, 0);
  }
  const letters = Object.keys(t.gaps.fullMinusRandomized);
  assert.deepEqual(letters, ['A', 'B', 'C', 'D', 'E', 'F', 'G']);
  close(t.gaps.meanFullMinusRandomized.full!, mean(letters.map((l) => t.gaps.fullMinusRandomized[l].full!.mean)));
});

test('pairs runs: a run without a binarized row is left out of the gap', () => {
  const rows = generateRows({ runs: 4, seed: 3, probes: ['baseline', 'binarize'] }).filter(
    (r) => !(r.task === 'mnist-7v9' && r.probe === 'binarize' && r.run === 0),
  );
  const t = buildSummary(rows).tasks.find((x) => x.task === 'mnist-7v9')!;
  assert.equal(t.full!.n, 4);
  assert.equal(t.binarized!.n, 3);
  assert.equal(t.gaps.fullMinusBinarized!.n, 3);
  const diffs = [1, 2, 3].map((run) => acc(rows, t.task, 'baseline', 'reference', false, run) - acc(rows, t.task, 'binarize', 'reference', true, run));
  close(t.gaps.fullMinusBinarized!.mean, mean(diffs));
});

test('stochastic-resonance gain: best mean of sign(w + noise) over the sweep minus binarized without noise', () => {
  const rows = generateRows({ runs: 3, seeds: 2, seed: 5, probes: ['binarize', 'binarize+noise'] });
  for (const t of buildSummary(rows).tasks) {
    const levels = [...new Set(rows.filter((r) => r.task === t.task && r.probe === 'binarize+noise').map((r) => r.level))];
    let bestLevel = NaN;
    let best = -Infinity;
    for (const level of levels) {
      const m = mean([0, 1, 2].map((run) => acc(rows, t.task, 'binarize+noise', 'reference', true, run, level)));
      if (m > best) [best, bestLevel] = [m, level];
    }
    const bin = mean([0, 1, 2].map((run) => acc(rows, t.task, 'binarize', 'reference', true, run)));
    close(t.noise.bestSigned!.level, bestLevel);
    close(t.noise.bestSigned!.accuracy.mean, best);
    close(t.noise.gain!, best - bin);
    assert.equal(t.noise.bestIsInterior, bestLevel > Math.min(...levels) && bestLevel < Math.max(...levels));
  }
});

test('pruning + sign transition is the first level whose mean reaches the threshold', () => {
  const rows = generateRows({ runs: 3, seed: 9, probes: ['prune'] });
  for (const threshold of [0.7, 0.9]) {
    const t = buildSummary(rows, [], { transitionThreshold: threshold }).tasks.find((x) => x.task === 'mnist-7v9')!;
    const levels = [...new Set(rows.filter((r) => r.task === t.task && r.probe === 'prune').map((r) => r.level))].sort((a, b) => a - b);
    const means = levels.map((l) => mean([0, 1, 2].map((run) => acc(rows, t.task, 'prune', 'reference', true, run, l))));
    const i = means.findIndex((m) => m >= threshold);
    assert.ok(i > 0, 'the generated hard task starts below the threshold');
    assert.equal(t.pruneSign!.level, levels[i]);
    assert.equal(t.pruneSign!.before!.level, levels[i - 1]);
    close(t.pruneSign!.jump!, means[i] - means[i - 1]);
    assert.equal(t.pruneSign!.threshold, threshold);
  }
});

test('randomized entries fall back to the lowest pruning level when level 0 was not run', () => {
  const rows = generateRows({ runs: 2, seed: 1, probes: ['baseline', 'randomize'] }).filter((r) => r.level !== 0 || r.probe !== 'randomize');
  const t = buildSummary(rows).tasks[0];
  assert.equal(t.randomized.A.level, 0.5);
  assert.equal(t.binarized, null);
  assert.equal(t.gaps.fullMinusBinarized, null);
});

test('task infos are derived from task names and the SSIM ranking when not given', () => {
  const ssim = generateSsim();
  const tasks = tasksFromRows(generateRows({ runs: 1, probes: ['baseline'] }), ssim);
  assert.deepEqual(tasks.map((t) => [t.task, t.dataset, t.classes, t.difficulty]), [
    ['mnist-0v7', 'mnist', [0, 7], 'easy'],
    ['mnist-7v9', 'mnist', [7, 9], 'hard'],
  ]);
  assert.equal(tasks[1].ssimDistance, ssim.find((s) => s.a === 7 && s.b === 9)!.distance);
  // the report reads task names with src/data's parser: other datasets' names parse too
  assert.deepEqual(parseTaskName('fashion-mnist-3v1'), { dataset: 'fashion-mnist', a: 3, b: 1 });
  assert.equal(parseTaskName('custom'), null);
});

test('rows run with reference-init biases are summarized apart and never enter the trained statistics', () => {
  const rows = generateRows({ runs: 3, seed: 4 });
  // the same evaluations with the reference's fresh biases, all at accuracy 0.5
  const refInit = rows.map((r) => ({ ...r, bias: 'reference-init', accuracy: 0.5 }));
  const alone = buildSummary(rows, generateTasks());
  const both = buildSummary([...rows, ...refInit], generateTasks());
  assert.deepEqual(both.tasks, alone.tasks);
  assert.equal(alone.referenceInitBias, undefined);
  assert.ok(both.referenceInitBias && both.referenceInitBias.length === alone.tasks.length);
  for (const t of both.referenceInitBias!) {
    assert.equal(t.full!.mean, 0.5);
    assert.equal(t.binarized!.mean, 0.5);
  }
});

test('all-pairs study: medians over runs, folded below 50 % as the reference, Spearman on randomization B', () => {
  const rows: ResultRow[] = [];
  // per pair: full, binarized and randomized-B accuracies of three runs
  const pairs: [string, number[], number[], number[]][] = [
    ['mnist-0v1', [0.99, 0.98, 0.97], [0.95, 0.9, 0.2], [0.9, 0.8, 0.85]], // median binarized 0.9
    ['mnist-1v2', [0.99, 0.99, 0.99], [0.3, 0.4, 0.45], [0.6, 0.7, 0.65]], // median 0.4 → folded to 0.6
    ['mnist-2v3', [0.98, 0.98, 0.98], [0.7, 0.75, 0.8], [0.7, 0.7, 0.7]],
  ];
  for (const [task, full, bin, rb] of pairs) {
    const base = { task, difficulty: 'custom' as const, layer: 'all', seed: 0, n_test: 100, inputs: 'pm1', level: 0 };
    for (let run = 0; run < 3; run++) {
      rows.push({ ...base, run, probe: 'baseline', variant: 'reference', signed: false, accuracy: full[run] });
      rows.push({ ...base, run, probe: 'binarize', variant: 'reference', signed: true, accuracy: bin[run] });
      rows.push({ ...base, run, probe: 'randomize', variant: 'B', signed: false, accuracy: rb[run] });
    }
  }
  const ap = buildSummary(rows).allPairs;
  const drops = ap.pairs.map((p) => [p.task, +p.binarizationDrop.toFixed(6), +p.randomizationDropB!.toFixed(6)]);
  assert.deepEqual(drops, [['mnist-0v1', 0.08, 0.13], ['mnist-1v2', 0.39, 0.34], ['mnist-2v3', 0.23, 0.28]]);
  // ranks agree exactly → ρ = 1
  assert.equal(ap.reference!.rho, 1);
  assert.equal(ap.reference!.n, 3);
  assert.match(ap.reference!.label, /Spearman ρ.*randomization-B.*medians/);
  assert.match(ap.broader!.label, /Pearson r.*null models B$/);
  // the optional fold of every accuracy (off by default) changes the means, not the rows
  const folded = buildSummary(rows, [], { foldBelowChance: true });
  const t = folded.tasks.find((x) => x.task === 'mnist-1v2')!;
  assert.ok(Math.abs(t.binarized!.mean - (0.7 + 0.6 + 0.55) / 3) < 1e-12);
  assert.ok(Math.abs(buildSummary(rows).tasks.find((x) => x.task === 'mnist-1v2')!.binarized!.mean - (0.3 + 0.4 + 0.45) / 3) < 1e-12);
  assert.equal(folded.options.foldBelowChance, true);
});
