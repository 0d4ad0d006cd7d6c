/**
 * `weightscope compare A B [C …]` as one call: open the models (sources.ts), find the test set
 * the classifiers run on, fingerprint every model, compare the groups, and write the rows, the
 * comparison, the viewer's copies of the models (circuit edges marked) and report.html to --out.
 */
import { join } from 'node:path';
import { UserError } from '../core/errors.js';
import { checkOutputDir, ensureDir, writeFileAtomic, writeFileSet, writeJsonAtomic } from '../core/io.js';
import type { Activation, DenseModel, LayerRecord } from '../core/layer.js';
import { checkInputScaling, checkTaskName, loadDataset, parsePairs, taskName, taskSplits, type DatasetName, type InputScaling } from '../data/index.js';
import { pictureSsim } from '../data/picture.js';
import { denseModelToLayers } from '../formats/layers-format.js';
import { drawCppn, type Cppn } from '../model/cppn.js';
import { compareGroups, type Group } from './compare.js';
import { modelDensity, pruneGlobally } from './controls.js';
import { fingerprintCppn } from './cppn.js';
import { checkNullModel } from './features.js';
import { fingerprintMlp, fingerprintWeights, type FingerprintPlan, type TestData } from './fingerprint.js';
import { comparisonCsv, fingerprintCsv } from './tables.js';
import { openSources, type ModelSource } from './sources.js';
import type { Fingerprint } from './types.js';
import type { CompareResult, ComparedModel, CppnPlanOptions, DrawingMatch } from './result.js';

export type { CompareResult, ComparedModel, CppnPlanOptions, DrawingMatch } from './result.js';

export interface CompareRunOptions {
  /** Models or run folders, one group each unless `labels` groups them. */
  paths: string[];
  /** One label per path; paths with the same label form one group (default: each path's name). */
  labels?: string[];
  out?: string;
  /** The classifiers' test set: a task (`mnist-7v9`), or dataset and pair; else what the run folders say. */
  task?: string;
  dataset?: DatasetName;
  pair?: string;
  inputs?: InputScaling;
  testLimit?: number;
  dataSeed?: number;
  dataDir?: string;
  activation?: Activation;
  seed?: number;
  plan?: Partial<FingerprintPlan>;
  cppnPlan?: CppnPlanOptions;
  /** Add a group: the denser of two groups magnitude-pruned to the sparser one's density. */
  sparsityControl?: boolean;
  alpha?: number;
  resamples?: number;
  /** Port the report's viewer links use (`weightscope view OUT --port PORT`). */
  viewPort?: number;
  onStage?: (stage: string) => void;
}

/** The picture of `same picture` (docs/compare.md): SSIM ≥ 0.99 at the native size. */
export const SAME_PICTURE_SSIM = 0.99;

function groupLabels(o: CompareRunOptions, sources: ModelSource[][]): string[] {
  if (o.labels) {
    if (o.labels.length !== o.paths.length) throw new UserError(`--label gives ${o.labels.length} labels for ${o.paths.length} models or run folders: give one per argument (repeat a label to group them)`);
    for (const l of o.labels) if (!/^[\w.+-]{1,64}$/.test(l)) throw new UserError(`label '${l}' must be 1–64 letters, digits, '.', '_', '+' or '-'`);
    return o.labels;
  }
  const used = new Map<string, number>();
  return sources.map((s, k) => {
    const base = (s.length === 1 ? s[0].name : o.paths[k].replace(/[/\\]+$/, '').split(/[/\\]/).pop() ?? `group${k}`).replace(/[^\w.+-]/g, '_');
    const seen = used.get(base) ?? 0;
    used.set(base, seen + 1);
    return seen ? `${base}-${seen + 1}` : base;
  });
}

/** The test set of the classifiers: flags first, then what run folders and training records say. */
function resolveData(o: CompareRunOptions, sources: ModelSource[]): { data: TestData; task: string } | { none: string } {
  const mlps = sources.filter((s) => s.kind === 'mlp');
  if (mlps.length === 0) return { none: 'no model runs as a classifier' };
  let dataset: DatasetName, a: number, b: number;
  if (o.task !== undefined || o.pair !== undefined) {
    if (o.task !== undefined && o.pair !== undefined) throw new UserError('give either --task or --pair, not both');
    if (o.task !== undefined) ({ dataset, a, b } = checkTaskName(o.task));
    else {
      const pairs = parsePairs(o.pair!);
      if (pairs.length !== 1) throw new UserError(`--pair takes one pair, got ${pairs.length}`);
      dataset = o.dataset ?? 'mnist';
      [[a, b]] = pairs;
    }
  } else {
    const tasks = [...new Set(mlps.flatMap((s) => (s.hint ? [s.hint.task] : [])))];
    if (tasks.length > 1) throw new UserError(`the models were trained on different tasks (${tasks.join(', ')}): choose the test set with --task`);
    if (tasks.length === 0) return { none: 'no test set: give --task (e.g. mnist-7v9) or --pair to run the classifiers' };
    ({ dataset, a, b } = checkTaskName(tasks[0]));
  }
  const hinted = (key: 'inputs' | 'testLimit' | 'seed') => [...new Set(mlps.flatMap((s) => (s.hint?.[key] === undefined ? [] : [s.hint[key]])))];
  const pick = <T>(flag: T | undefined, key: 'inputs' | 'testLimit' | 'seed', name: string): T | undefined => {
    if (flag !== undefined) return flag;
    const vs = hinted(key);
    if (vs.length > 1) throw new UserError(`the run folders disagree on ${name} (${vs.join(', ')}): give ${name}`);
    return vs[0] as T | undefined;
  };
  const inputs = checkInputScaling(String(pick(o.inputs, 'inputs', '--inputs') ?? 'pm1'));
  const testLimit = pick(o.testLimit, 'testLimit', '--test-limit');
  const dataSeed = pick(o.dataSeed, 'seed', '--data-seed') ?? 1;
  for (const s of mlps) {
    if (s.layers[0].shape[0] !== 784) throw new UserError(`${s.path}: the model takes ${s.layers[0].shape[0]} inputs; ${dataset} images have 784 pixels`);
  }
  const name = taskName(dataset, a, b);
  const data = loadDataset(dataset, { dataDir: o.dataDir });
  const { test } = taskSplits(data, dataset, [a, b], { inputs, seed: dataSeed, validationFraction: 0, testLimit });
  return { data: { test, inputs, task: name, name: `${name} inputs=${inputs} test-limit=${testLimit ?? 'all'} data-seed=${dataSeed}` }, task: name };
}

/** Which edges of each layer a circuit keeps, as flat indices i·nOut + j (the viewer's highlight). */
export function circuitEdges(layers: readonly LayerRecord[], fp: Fingerprint): Map<string, number[]> | null {
  const c = fp.circuits.find((x) => x.over === 'edges') ?? fp.circuits.find((x) => x.over === 'units');
  if (!c) return null;
  const out = new Map<string, number[]>(layers.map((l) => [l.name, []]));
  if (c.over === 'edges') {
    for (const e of c.edges ?? []) out.get(layers[e.layer].name)!.push(e.index);
    return out;
  }
  const inCircuit = new Set((c.units ?? []).map((u) => `${u.layer}:${u.unit}`));
  const L = layers.length;
  layers.forEach((l, k) => {
    const [nIn, nOut] = l.shape;
    for (let i = 0; i < nIn; i++) {
      if (k > 0 && !inCircuit.has(`${k - 1}:${i}`)) continue;
      for (let j = 0; j < nOut; j++) {
        if (k < L - 1 && !inCircuit.has(`${k}:${j}`)) continue;
        if (l.weights[i * nOut + j] !== 0) out.get(l.name)!.push(i * nOut + j);
      }
    }
  });
  return out;
}

function chains(layers: readonly LayerRecord[]): boolean {
  return layers.length > 0 && layers.every((l, k) => k === 0 || layers[k - 1].shape[1] === l.shape[0]);
}

/** Fingerprint one source (a classifier on `data`, a drawing, or its weights only). */
function fingerprintSource(s: ModelSource, group: string, data: { data: TestData } | { none: string }, o: CompareRunOptions, seed: number): Fingerprint {
  const identity = { path: s.path, format: s.format, group };
  const stage = (what: string) => o.onStage?.(`${s.name}: ${what}`);
  if (s.kind === 'cppn') return fingerprintCppn(s.cppn!, { plan: o.cppnPlan, seed, identity, onStage: stage });
  if (s.kind === 'mlp' && 'data' in data) return fingerprintMlp({ layers: s.layers }, data.data, { plan: o.plan, seed, name: s.name, identity, onStage: stage });
  const why = s.kind === 'mlp' ? (data as { none: string }).none : s.why!;
  return fingerprintWeights(s.layers, why, { plan: o.plan, seed, name: s.name, identity, onStage: stage });
}

/** Run a comparison; with `out`, write its files there. */
export async function runCompare(o: CompareRunOptions): Promise<CompareResult> {
  const started = Date.now();
  if (o.paths.length < 2) throw new UserError(`compare needs at least two models or run folders, got ${o.paths.length}`);
  if (o.out) checkOutputDir(o.out);
  if (o.plan?.nullModel) checkNullModel(o.plan.nullModel);
  if (o.cppnPlan?.nullModel) checkNullModel(o.cppnPlan.nullModel);
  const seed = o.seed ?? 1;
  const opened = await openSources(o.paths, { activation: o.activation, task: o.task });
  const labels = groupLabels(o, opened);
  const order: string[] = [];
  const byLabel = new Map<string, ModelSource[]>();
  opened.forEach((sources, k) => {
    if (!byLabel.has(labels[k])) {
      byLabel.set(labels[k], []);
      order.push(labels[k]);
    }
    byLabel.get(labels[k])!.push(...sources);
  });
  const all = [...byLabel.values()].flat();
  const kinds = new Set(all.map((s) => s.kind));
  if (kinds.has('cppn') && kinds.has('mlp')) throw new UserError('compare cannot put drawing networks (CPPNs) and classifiers in one comparison: their fingerprints measure different things (SSIM of a picture, accuracy on a test set)');
  if (o.sparsityControl) {
    if (order.length !== 2) throw new UserError(`--sparsity-control needs exactly two groups, got ${order.length}`);
    const dens = order.map((l) => byLabel.get(l)!.reduce((t, s) => t + modelDensity({ layers: s.layers }), 0) / byLabel.get(l)!.length);
    const [dense, sparse] = dens[0] >= dens[1] ? [order[0], order[1]] : [order[1], order[0]];
    const target = Math.min(...dens);
    const label = `${dense}-pruned-to-${sparse}`;
    byLabel.set(label, byLabel.get(dense)!.map((s): ModelSource => {
      const pruned = pruneGlobally({ layers: s.layers, ...(s.cppn ? { spec: s.cppn.spec } : {}) } as DenseModel, target);
      const name = `${s.name}-pruned`;
      return { ...s, name, path: `${s.path} (pruned to density ${target.toPrecision(3)})`, layers: pruned.layers, ...(s.cppn ? { cppn: { ...s.cppn, layers: pruned.layers, name } } : {}) };
    }));
    order.push(label);
  }
  const data = resolveData(o, all);
  if ('none' in data && kinds.has('mlp')) o.onStage?.(`note: ${data.none}; the classifiers get the data-free parts only`);
  const models: ComparedModel[] = [];
  for (const label of order) {
    for (const s of byLabel.get(label)!) models.push({ group: label, source: s, fingerprint: fingerprintSource(s, label, data, o, seed) });
  }
  o.onStage?.('comparing the groups');
  const groups: Group[] = order.map((label) => ({ label, fingerprints: models.filter((m) => m.group === label).map((m) => m.fingerprint) }));
  const comparison = compareGroups(groups, { alpha: o.alpha, resamples: o.resamples, seed });
  const drawings: DrawingMatch[] = [];
  const cppns = order.map((label) => byLabel.get(label)!).filter((g) => g.length === 1 && g[0].kind === 'cppn').map((g) => g[0]);
  if (cppns.length >= 2) {
    o.onStage?.('drawing the pictures at their native size');
    const pictures = new Map(cppns.map((s) => [s.name, drawCppn(s.cppn as Cppn)]));
    for (let i = 0; i < cppns.length; i++) {
      for (let j = i + 1; j < cppns.length; j++) {
        const [a, b] = [cppns[i], cppns[j]];
        if (a.cppn!.spec.imageSize !== b.cppn!.spec.imageSize) continue;
        const ssim = pictureSsim(pictures.get(a.name)!, pictures.get(b.name)!);
        drawings.push({ a: models.find((m) => m.source === a)!.group, b: models.find((m) => m.source === b)!.group, size: a.cppn!.spec.imageSize, ssim, same: ssim >= SAME_PICTURE_SSIM });
      }
    }
  }
  const viewPort = o.viewPort ?? 8765;
  const result: CompareResult = {
    models, comparison, drawings,
    data: 'data' in data ? { name: data.data.name, task: data.task, n: data.data.test.n } : data,
    viewer: [], seconds: 0, options: { seed, plan: o.plan, cppnPlan: o.cppnPlan, viewPort, ...(o.out ? { out: o.out } : {}) },
  };
  result.seconds = (Date.now() - started) / 1000;
  if (o.out) await writeCompare(o.out, result);
  return result;
}

const safe = (s: string): string => s.replace(/[^\w.+-]/g, '_').slice(0, 80);

/** The files of a comparison in `out` (docs/compare.md, "Output"). */
async function writeCompare(out: string, r: CompareResult): Promise<void> {
  const { compareReportHtml } = await import('./report.js');
  ensureDir(out);
  // Files that belong together: marked INCOMPLETE until the whole set is written (docs/security.md).
  const files = ['fingerprints.csv', 'comparison.csv', 'compare.json', 'report.html', 'models/'];
  writeFileSet(join(out, 'compare.INCOMPLETE'), files, () => writeCompareFiles(out, r, compareReportHtml));
}

function writeCompareFiles(out: string, r: CompareResult, compareReportHtml: (r: CompareResult) => string): void {
  // the viewer's copies: models/<gg>-<group>/<mm>-<model>/model.json, in the order `weightscope view OUT` lists them
  let index = 0;
  const groupsSeen = [...new Set(r.models.map((m) => m.group))];
  for (const m of r.models) {
    const layers = m.source.layers;
    if (!chains(layers)) continue;
    const g = groupsSeen.indexOf(m.group);
    const k = r.models.filter((x) => x.group === m.group).indexOf(m);
    const dir = join(out, 'models', `${String(g).padStart(2, '0')}-${safe(m.group)}`, `${String(k).padStart(2, '0')}-${safe(m.source.name)}`);
    ensureDir(dir);
    const viewable: DenseModel = { layers: layers.map((l) => ({ ...l, activation: m.source.kind === 'mlp' ? (l.activation ?? 'linear') : 'linear' })) };
    const { modelJson, weightData } = denseModelToLayers(viewable);
    const highlight = circuitEdges(layers, m.fingerprint);
    if (highlight) modelJson.userDefinedMetadata = { weightscope: { highlight: Object.fromEntries(highlight), circuit: circuitSummary(m.fingerprint) } };
    writeFileAtomic(join(dir, 'weights.bin'), new Uint8Array(weightData));
    writeJsonAtomic(join(dir, 'model.json'), modelJson);
    r.viewer.push({ model: m.source.name, group: m.group, index: index++, dir, layers: layers.map((l) => l.name) });
  }
  const fingerprints = r.models.map((m) => m.fingerprint);
  writeFileAtomic(join(out, 'fingerprints.csv'), fingerprintCsv(fingerprints));
  writeFileAtomic(join(out, 'comparison.csv'), comparisonCsv(r.comparison));
  writeJsonAtomic(join(out, 'compare.json'), {
    tool: 'weightscope', command: 'compare', data: r.data, options: r.options,
    groups: r.comparison.groups, pairs: r.comparison.pairs, drawings: r.drawings,
    models: r.models.map((m) => ({ group: m.group, row: m.fingerprint.row, curves: m.fingerprint.curves, ablation: m.fingerprint.ablation, circuits: m.fingerprint.circuits.map(circuitJson) })),
    viewer: r.viewer,
  });
  writeFileAtomic(join(out, 'report.html'), compareReportHtml(r));
}

function circuitSummary(fp: Fingerprint): Record<string, unknown>[] {
  return fp.circuits.map((c) => ({ over: c.over, size: c.size, candidates: c.candidates, kept: c.kept, removed: c.removed, sufficient: c.sufficient, necessary: c.necessary }));
}

function circuitJson(c: Fingerprint['circuits'][number]): Record<string, unknown> {
  return { ...c, members: Array.from(c.members) };
}
