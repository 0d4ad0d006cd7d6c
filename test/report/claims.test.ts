import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Difficulty, ResultRow } from '../../src/core/index.js';
import { buildSummary, evaluateClaims, DEFAULT_CLAIM_THRESHOLDS, type ClaimResult } from '../../src/report/index.js';
import { generateRows } from './fixtures.js';

const claim = (claims: ClaimResult[], id: string): ClaimResult => claims.find((c) => c.id === id)!;
const verdictOf = (rows: ResultRow[], id: string): string => claim(evaluateClaims(buildSummary(rows)), id).verdict;

test('binarization claim flips with the binarized accuracies of the easy and hard task', () => {
  const probes = ['baseline', 'binarize'] as const;
  assert.equal(verdictOf(generateRows({ probes: [...probes], easyBinarized: 0.97, hardBinarized: 0.53 }), 'binarization'), 'holds');
  assert.equal(verdictOf(generateRows({ probes: [...probes], easyBinarized: 0.62, hardBinarized: 0.53 }), 'binarization'), 'mixed');
  assert.equal(verdictOf(generateRows({ probes: [...probes], easyBinarized: 0.62, hardBinarized: 0.95 }), 'binarization'), 'does not hold');
  const c = claim(evaluateClaims(buildSummary(generateRows({ probes: [...probes], easyBinarized: 0.97, hardBinarized: 0.53 }))), 'binarization');
  assert.ok(c.evidence.some((e) => e.startsWith('easy mnist-0v7: binarized 0.9')), c.evidence.join('\n'));
  assert.ok(c.rule.includes(String(DEFAULT_CLAIM_THRESHOLDS.high)));
});

test('claims without the rows they need are not tested', () => {
  const claims = evaluateClaims(buildSummary(generateRows({ probes: ['baseline'] })));
  for (const c of claims) assert.equal(c.verdict, 'not tested', c.id);
  const easyOnly = generateRows({ tasks: [{ task: 'mnist-0v7', difficulty: 'easy' }] });
  assert.equal(verdictOf(easyOnly, 'binarization'), 'not tested');
});

test('pruning + sign transition holds for a sharp jump and not for a flat curve at chance', () => {
  const rows = generateRows({ probes: ['prune'], runs: 3 });
  assert.equal(verdictOf(rows, 'prune-sign-transition'), 'holds');
  const flat = rows.map((r) => (r.task === 'mnist-7v9' && r.probe === 'prune' && r.signed ? { ...r, accuracy: 0.52 } : r));
  assert.equal(verdictOf(flat, 'prune-sign-transition'), 'does not hold');
  // a gradual rise from chance to high: reaches high accuracy but is not sharp
  const gradual = rows.map((r) => (r.task === 'mnist-7v9' && r.probe === 'prune' && r.signed && r.variant === 'reference' ? { ...r, accuracy: r.level >= 1 ? 0.5 : 0.52 + 0.4 * r.level } : r));
  assert.equal(verdictOf(gradual, 'prune-sign-transition'), 'mixed');
});

test('stochastic resonance is a claim about hard tasks: the hard task\'s gain decides the verdict', () => {
  const rows = generateRows({ probes: ['binarize', 'binarize+noise'], runs: 2, seeds: 2 });
  // the generated hard task gains at an interior amplitude
  assert.equal(verdictOf(rows, 'stochastic-resonance'), 'holds');
  // only the easy task gains: the claim (about hard tasks) does not hold
  const easyOnly = rows.map((r) => {
    if (r.probe !== 'binarize+noise') return r;
    if (r.task === 'mnist-7v9') return { ...r, accuracy: 0.5 };
    return { ...r, accuracy: Math.min(1, r.accuracy + 0.3 * Math.exp(-((Math.log2(r.level / 0.025)) ** 2) / 2)) };
  });
  const lowered = easyOnly.map((r) => (r.task === 'mnist-0v7' && r.probe === 'binarize' ? { ...r, accuracy: r.accuracy - 0.3 } : r));
  assert.equal(verdictOf(lowered, 'stochastic-resonance'), 'does not hold');
  const noGain = rows.map((r) => (r.probe === 'binarize+noise' ? { ...r, accuracy: 0.5 } : r));
  assert.equal(verdictOf(noGain, 'stochastic-resonance'), 'does not hold');
});

test('degree-keeping randomizations: verdict follows how much accuracy each task keeps', () => {
  const rows = generateRows({ probes: ['baseline', 'randomize'], runs: 2 });
  assert.equal(verdictOf(rows, 'degree-randomization'), 'holds');
  const hardKeeps = rows.map((r) => (r.task === 'mnist-7v9' && r.probe === 'randomize' && ['B', 'E', 'F', 'G'].includes(r.variant) ? { ...r, accuracy: 0.95 } : r));
  assert.equal(verdictOf(hardKeeps, 'degree-randomization'), 'mixed');
  const easyLoses = hardKeeps.map((r) => (r.task === 'mnist-0v7' && r.probe === 'randomize' ? { ...r, accuracy: 0.55 } : r));
  assert.equal(verdictOf(easyLoses, 'degree-randomization'), 'does not hold');
});

function pairRows(drops: [number, number][]): ResultRow[] {
  const rows: ResultRow[] = [];
  drops.forEach(([binDrop, randDrop], i) => {
    const base = { task: `mnist-${i}v9`, difficulty: 'custom' as Difficulty, layer: 'all', seed: 0, n_test: 2000, inputs: 'pm1', level: 0 };
    for (let run = 0; run < 2; run++) {
      rows.push({ ...base, run, probe: 'baseline', variant: 'reference', signed: false, accuracy: 0.99 });
      rows.push({ ...base, run, probe: 'binarize', variant: 'reference', signed: true, accuracy: 0.99 - binDrop });
      rows.push({ ...base, run, probe: 'randomize', variant: 'B', signed: false, accuracy: 0.99 - randDrop });
    }
  });
  return rows;
}

test('drop correlation across pairs: holds when correlated, not when anti-correlated, untested with two pairs', () => {
  assert.equal(verdictOf(pairRows([[0.02, 0.1], [0.1, 0.2], [0.2, 0.25], [0.4, 0.45]]), 'drop-correlation'), 'holds');
  assert.equal(verdictOf(pairRows([[0.02, 0.45], [0.1, 0.3], [0.2, 0.25], [0.4, 0.1]]), 'drop-correlation'), 'does not hold');
  assert.equal(verdictOf(pairRows([[0.02, 0.1], [0.4, 0.45]]), 'drop-correlation'), 'not tested');
  const c = claim(evaluateClaims(buildSummary(pairRows([[0.02, 0.1], [0.1, 0.2], [0.2, 0.25], [0.4, 0.45]]))), 'drop-correlation');
  // the reference's Spearman ρ decides (ranks agree exactly: ρ = 1); weightscope's Pearson r is shown beside it
  assert.ok(c.evidence.some((e) => /^reference: Spearman ρ.*randomization-B.*: ρ = 1\.00 over 4 pairs/.test(e)), c.evidence.join('\n'));
  assert.ok(c.evidence.some((e) => /^weightscope: Pearson r.*null models B: r = 0\.9\d/.test(e)), c.evidence.join('\n'));
  // a monotone but non-linear relation: ρ = 1 holds although Pearson r is lower
  const curved = claim(evaluateClaims(buildSummary(pairRows([[0.01, 0.01], [0.02, 0.02], [0.03, 0.04], [0.4, 0.05]]))), 'drop-correlation');
  assert.equal(curved.verdict, 'holds');
});

test('thresholds are parameters: raising "high" above the easy accuracy flips the verdict', () => {
  const summary = buildSummary(generateRows({ probes: ['baseline', 'binarize'], easyBinarized: 0.93, hardBinarized: 0.53 }));
  assert.equal(claim(evaluateClaims(summary), 'binarization').verdict, 'holds');
  assert.equal(claim(evaluateClaims(summary, { high: 0.99 }), 'binarization').verdict, 'mixed');
});
