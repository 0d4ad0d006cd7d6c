/**
 * The twins study's study (kind.ts StudyDefinition; docs/compare.md, "The twins study"): `weightscope
 * twins`' flags checked, MNIST pairs loaded with the shortcut marker drawn (marker.ts), the families
 * planned (plan.ts), every model saved as a tfjs folder, and at the end the claims (claims.ts)
 * computed from the fingerprints: claims.csv, fingerprints.csv, comparison.csv and report.html.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { csvFormat } from 'd3-dsv';
import { UserError } from '../../../core/errors.js';
import { deriveSeed } from '../../../core/rng.js';
import { readResultsLog, readRunRecord, runPaths } from '../../../core/run-folder.js';
import { rowKey } from '../../../core/results.js';
import { loadDataset, parsePairs, taskName, taskSplits } from '../../../data/index.js';
import { loadModel, saveModel } from '../../../model/files.js';
import { compareGroups } from '../../../compare/compare.js';
import { comparisonCsv, fingerprintCsv } from '../../../compare/tables.js';
import type { Fingerprint, FingerprintRow } from '../../../compare/types.js';
import { SPARSE_BACKEND } from '../../../model/train-loop.js';
import type { ModelSlot, StudyDefinition, StudyRunOptions } from '../../kind.js';
import { trainingRecord } from '../../records.js';
import { deserializeModel, serializeModel, serializeSplit } from '../reference/blobs.js';
import { twinClaims, type Claim, type TwinModel } from './claims.js';
import { withMarker } from './marker.js';
import { agreementOf, pairTargets, twinFingerprintJob, twinTrainJob, TWINS_INPUTS, TWINS_TRAINING, type TwinPairJobs } from './plan.js';
import { writeTwinsReport } from './report.js';
import { FAMILIES, type Family, type TwinRow, type TwinTarget, type TwinTrainJobResult } from './types.js';

export interface TwinsStudyOptions extends StudyRunOptions {
  /** Class pairs, e.g. `7v9,0v7`. */
  pairs: string;
  /** Models per family and pair (seeds). */
  seeds: number;
  epochs: number;
  /** The sparse family's fraction of non-zero first-layer weights. */
  density: number;
  /** Benchmark test images per pair (0: all). */
  testLimit: number;
  seed: number;
  quick: boolean;
  dataDir?: string;
}

function check(o: TwinsStudyOptions): void {
  parsePairs(o.pairs);
  for (const [k, v] of Object.entries({ seeds: o.seeds, epochs: o.epochs })) {
    if (!Number.isInteger(v) || v < 1) throw new UserError(`--${k} must be a positive integer, got ${v}`);
  }
  if (o.seeds < 2) throw new UserError(`--seeds must be at least 2 (intervals over seeds need two), got ${o.seeds}`);
  if (!(o.density > 0 && o.density < 1)) throw new UserError(`--density must be a fraction in (0, 1), got ${o.density}`);
  if (!Number.isInteger(o.testLimit) || o.testLimit < 0) throw new UserError(`--test-limit must be a whole number (0: all), got ${o.testLimit}`);
}

const pairKey = (p: [number, number]): string => `${p[0]}v${p[1]}`;

export const twinsStudy: StudyDefinition<TwinsStudyOptions> = {
  kind: 'twins',
  command: 'twins',
  model: 'mlp',
  notIdentity: [],
  check,

  async resolve(o) {
    // Every model trains on the sparse engine (weight-sparse training is its constraint); no tfjs.
    return { options: o, backend: { ...SPARSE_BACKEND }, engine: 'sparse' };
  },

  async plan(o, ctx) {
    const data = loadDataset('mnist', { dataDir: o.dataDir });
    const pairs: TwinPairJobs[] = [];
    const targets: TwinTarget[] = [];
    const described: Record<string, unknown>[] = [];
    for (const pair of parsePairs(o.pairs)) {
      const key = pairKey(pair);
      const pairTask = taskName('mnist', pair[0], pair[1]);
      const { train, test } = taskSplits(data, 'mnist', pair, { inputs: TWINS_INPUTS, seed: o.seed, validationFraction: 0, testLimit: o.testLimit || undefined });
      const agreement = agreementOf(key);
      const benchmark = withMarker(test, agreement, deriveSeed(o.seed, 'marker-test', pairTask));
      pairs.push({
        pairTask, seed: o.seed, epochs: o.epochs, density: o.density, quick: o.quick,
        train: await ctx.blobs.put(serializeSplit(train)),
        trainMarked: await ctx.blobs.put(serializeSplit(withMarker(train, 1, deriveSeed(o.seed, 'marker-train', pairTask)))),
        benchmark: await ctx.blobs.put(serializeSplit(benchmark)),
        clean: await ctx.blobs.put(serializeSplit(test)),
        data: `${pairTask} ${TWINS_INPUTS} marker-${agreement} n${test.n} seed${o.seed}`,
      });
      targets.push(...pairTargets(pairTask, key, o.seeds));
      described.push({ pair: key, task: pairTask, train: train.n, test: test.n, markerAgreement: agreement });
    }
    const slots: ModelSlot[] = targets.map((t) => ({ task: t.task, run: t.run }));
    const index = new Map(targets.map((t, k) => [`${t.task}|${t.run}`, k]));
    const targetOf = (slot: ModelSlot): TwinTarget => targets[index.get(`${slot.task}|${slot.run}`)!];
    const pairOf = (t: TwinTarget): TwinPairJobs => pairs.find((p) => t.task.startsWith(`${p.pairTask}.`))!;
    const benchmarkKey = (t: TwinTarget) => rowKey({ task: t.task, probe: 'baseline', variant: 'benchmark', signed: false, level: 0, layer: 'all', run: t.run, seed: 0, inputs: TWINS_INPUTS });
    return {
      summary: `${described.map((d) => `${d.task} (${d.train} training / ${d.test} test images, marker agreement ${d.markerAgreement})`).join(', ')}; ` +
        `families ${FAMILIES.join(', ')} × ${o.seeds} seeds; sparse engine`,
      record: () => ({
        data: { dataset: 'mnist', inputs: TWINS_INPUTS, pairs: described },
        families: { dense: 'dense, clean images', sparse: `top-k |w| to ${o.density} of the first layer after every step`, shortcut: 'dense, marker on the label side of every training image' },
        training: { ...TWINS_TRAINING, epochs: o.epochs, mlp: '784-64-2 relu softmax' },
      }),
      models: slots,
      stages: { train: 'train twins', trainUnit: 'epochs', probe: 'fingerprint' },
      loadSaved: (_slot, dir) => (existsSync(join(dir, 'model.json')) ? serializeModel(loadModel(dir)) : null),
      trainJob: (slot) => twinTrainJob(pairOf(targetOf(slot)), targetOf(slot)),
      saveTrained(slot, dir, result, bytes) {
        const r = result as TwinTrainJobResult;
        const t = targetOf(slot);
        saveModel(dir, deserializeModel(bytes));
        return trainingRecord({
          model: 'mlp', task: slot.task, run: slot.run, seed: twinTrainJob(pairOf(t), t).training.seed, attempts: 1, discarded: [], engine: 'sparse',
          backend: { name: r.backend, version: r.backendVersion }, test: { accuracy: r.benchmarkAccuracy, n: r.nTest }, history: r.history,
          seconds: r.history.reduce((a, e) => a + e.seconds, 0), details: { inputs: TWINS_INPUTS, family: t.family, density: r.density },
        });
      },
      evalJobs(slot, model, done) {
        const t = targetOf(slot);
        return done.has(benchmarkKey(t)) ? [] : [twinFingerprintJob(pairOf(t), t, model)];
      },
      sortRows: (rows) => [...rows].sort((a, b) => (index.get(`${a.task}|${a.run}`) ?? Infinity) - (index.get(`${b.task}|${b.run}`) ?? Infinity)),
      async report(r) {
        const t0 = Date.now();
        writeTwinsOutputs(r.root, r.rows as TwinRow[], r.record);
        r.timings.claims_s = (Date.now() - t0) / 1000;
      },
    };
  },
};

/** The models of a run from its rows: each benchmark row carries its model's fingerprint. */
export function twinModels(rows: TwinRow[]): TwinModel[] {
  return rows.filter((r) => r.variant === 'benchmark' && r.fingerprint).map((r) => {
    const [pairTask, family] = r.task.split('.');
    return { pair: pairTask, family: family as Family, run: r.run, row: r.fingerprint as FingerprintRow };
  });
}

const asFingerprint = (row: FingerprintRow): Fingerprint => ({ row, curves: [], ablation: [], circuits: [], evidence: null, layers: [] });

/** claims.csv, fingerprints.csv, comparison.csv and report.html from a run's rows. */
export function writeTwinsOutputs(root: string, rows: TwinRow[], record: Record<string, unknown>): Claim[] {
  const models = twinModels(rows);
  const pairs = [...new Set(models.map((m) => m.pair))];
  const claims = pairs.flatMap((p) => twinClaims(p, models.filter((m) => m.pair === p)));
  writeFileSync(join(root, 'claims.csv'), csvFormat(claims.map((c) => ({ ...c })), ['pair', 'claim', 'verdict', 'value']) + '\n');
  writeFileSync(join(root, 'fingerprints.csv'), fingerprintCsv(models.map((m) => asFingerprint(m.row))));
  const comparisons = pairs.map((p) => {
    const groups = FAMILIES.map((f) => ({ label: `${p}.${f}`, fingerprints: models.filter((m) => m.pair === p && m.family === f).map((m) => asFingerprint(m.row)) }))
      .filter((g) => g.fingerprints.length);
    return groups.length >= 2 ? compareGroups(groups, { seed: 1, resamples: 1000 }) : null;
  }).filter((c) => c !== null);
  writeFileSync(join(root, 'comparison.csv'), comparisons.map((c, k) => (k ? comparisonCsv(c).split('\n').slice(1).join('\n') : comparisonCsv(c))).join(''));
  writeTwinsReport(root, { claims, models, rows, comparisons, record });
  return claims;
}

/** Rebuild the claims and report.html of a twins run folder from its results log (`weightscope report`). */
export function rebuildTwinsReport(root: string): string {
  const record = readRunRecord(root);
  if (!record) throw new UserError(`${root} has no run.json: not a weightscope run folder`);
  const rows = readResultsLog(runPaths(root).results) as TwinRow[];
  if (!twinModels(rows).length) throw new UserError(`${root} holds no fingerprinted model yet: run \`weightscope twins\` with the same --out to finish it`);
  writeTwinsOutputs(root, rows, record);
  return runPaths(root).report;
}

