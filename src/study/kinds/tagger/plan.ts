/**
 * What the layer-by-layer study evaluates: every probe on every layer alone, on each block's
 * attention and feed-forward branches, on whole blocks, on cumulative prefixes and suffixes of
 * blocks, and on the embeddings; plus each branch removed from the residual stream.
 */
import { deriveSeed } from '../../../core/rng.js';
import { rowKey, type ResultRow } from '../../../core/results.js';
import { isRandomProbe } from '../../../probes/probes.js';
import { BLOCK_LAYERS, EMBEDDINGS, layerNames, type TransformerConfig } from '../../../model/transformer/model.js';
import type { WindowMlpConfig } from '../../../model/transformer/window-mlp.js';
import { evalJobId, trainJobId } from '../../job-ids.js';
import type { BlobHash } from '../../types.js';
import type { StudyItem, StudyProbe, TaggerEvalJob, TaggerTarget, TaggerTrainJob, TaggerTraining, WindowMlpJob } from './types.js';

export type { StudyItem, StudyProbe } from './types.js';

export const STUDY_TASK = { upos: 'brown-upos', names: 'brown-names' } as const;
export const STUDY_INPUTS = 'brown';

/** The reference's probes as the issue lists them (docs/transformer.md). */
export const STUDY_PROBES: StudyProbe[] = [
  { probe: 'binarize', variant: 'reference', signed: true, level: 0 },
  { probe: 'binarize', variant: 'scaled', signed: true, level: 0 },
  { probe: 'prune', variant: 'reference', signed: true, level: 0.5 },
  { probe: 'binarize+noise', variant: 'relative', signed: true, level: 1 },
  { probe: 'randomize', variant: 'B', signed: false, level: 0 },
  { probe: 'randomize', variant: 'E', signed: false, level: 0 },
  { probe: 'randomize', variant: 'F', signed: false, level: 0 },
  { probe: 'randomize', variant: 'curveball', signed: false, level: 0 },
];
export const QUICK_PROBES: StudyProbe[] = [STUDY_PROBES[0], STUDY_PROBES[1], STUDY_PROBES[4]];

/** The variant name of the residual-branch ablation rows (probe `baseline`). */
export const BRANCH_REMOVED = 'branch-removed';

/** A set of layers probed together, named as in the `layer` column. */
export interface Target {
  name: string;
  layers: string[];
  /** single layer, branch (attn/ffn of a block), block, prefix, suffix, embeddings */
  kind: 'layer' | 'branch' | 'block' | 'prefix' | 'suffix' | 'embed';
}

export function studyTargets(blocks: number, quick = false): Target[] {
  const block = (b: number) => BLOCK_LAYERS.map((l) => `block${b}.${l}`);
  const targets: Target[] = [];
  if (!quick) for (const name of layerNames({ blocks })) targets.push({ name, layers: [name], kind: 'layer' });
  for (let b = 0; b < blocks; b++) {
    targets.push({ name: `block${b}.attn`, layers: block(b).slice(0, 4), kind: 'branch' });
    targets.push({ name: `block${b}.ffn`, layers: block(b).slice(4), kind: 'branch' });
    targets.push({ name: `block${b}`, layers: block(b), kind: 'block' });
  }
  const span = (a: number, z: number) => Array.from({ length: z - a + 1 }, (_, k) => block(a + k)).flat();
  for (let k = 1; k < blocks; k++) targets.push({ name: `blocks0-${k}`, layers: span(0, k), kind: 'prefix' });
  for (let k = 1; k < blocks - 1; k++) targets.push({ name: `blocks${k}-${blocks - 1}`, layers: span(k, blocks - 1), kind: 'suffix' });
  if (quick) targets.push({ name: 'head', layers: ['head'], kind: 'layer' });
  targets.push({ name: 'embed', layers: [...EMBEDDINGS], kind: 'embed' });
  return targets;
}

/** Every item of the layer-by-layer study, run by run (each model's plan: the items of its run, in order). */
export function taggerStudyItems(o: { blocks: number; runs: number; seed: number; task: string; quick: boolean; probes?: StudyProbe[] }): StudyItem[] {
  const probes = o.probes ?? (o.quick ? QUICK_PROBES : STUDY_PROBES);
  const targets = studyTargets(o.blocks, o.quick);
  const items: StudyItem[] = [];
  for (let run = 0; run < o.runs; run++) {
    items.push({ probe: 'baseline', variant: 'reference', signed: false, level: 0, run, target: 'all', layers: [], seed: 0 });
    for (let b = 0; b < o.blocks; b++) {
      for (const branch of ['attn', 'ffn']) {
        const name = `block${b}.${branch}`;
        items.push({ probe: 'baseline', variant: BRANCH_REMOVED, signed: false, level: 0, run, target: name, layers: [], ablate: [name], seed: 0 });
      }
    }
    for (const t of targets) {
      for (const p of probes) {
        const seed = isRandomProbe(p) ? deriveSeed(o.seed, o.task, run, p.probe, p.variant, p.level, t.name) : 0;
        items.push({ ...p, run, target: t.name, layers: t.layers, seed });
      }
    }
  }
  return items;
}

/** The row an item produces, less the measured columns (for resume keys). */
export function rowIdentity(item: StudyItem, task: string): Omit<ResultRow, 'accuracy' | 'n_test'> {
  return {
    task, difficulty: 'custom', probe: item.probe, variant: item.variant, signed: item.signed, level: item.level,
    layer: item.target, run: item.run, seed: item.seed, inputs: STUDY_INPUTS,
  };
}

// ---------------------------------------------------------------------------------------------
// The study as jobs (types.ts): a train job per tagger, one for the window-MLP baseline, and each
// tagger's plan cut into eval jobs once the tagger is known.

/** Study items per eval job: a few seconds of work at the default size, well above a queue round trip. */
export const TAGGER_EVAL_CHUNK = 4;

/** What every job of one tagger study shares. */
export interface TaggerStudyJobs {
  target: TaggerTarget;
  /** The study's base seed (each training's seed is derived from it). */
  seed: number;
  config: TransformerConfig;
  window: WindowMlpConfig;
  /** Training settings less the seed. */
  training: Omit<TaggerTraining, 'seed'>;
  /** Blobs of the packed training, evaluation and test sentences. */
  train: BlobHash;
  evaluation: BlobHash;
  test: BlobHash;
}

export function taggerTrainJob(s: TaggerStudyJobs, run: number): TaggerTrainJob {
  return {
    kind: 'train-tagger', id: trainJobId(s.target.task, run), target: { ...s.target, run }, config: s.config,
    training: { ...s.training, seed: deriveSeed(s.seed, 'train', s.target.task, run) }, dtype: 'float32', train: s.train, test: s.test,
  };
}

export function windowMlpJob(s: TaggerStudyJobs): WindowMlpJob {
  return {
    kind: 'train-window-mlp', id: `train/${s.target.task}/window-mlp`, target: s.target, config: s.window,
    training: { ...s.training, seed: deriveSeed(s.seed, 'train', s.target.task, 'window-mlp') }, dtype: 'float32', train: s.train, evaluation: s.evaluation, test: s.test,
  };
}

/** The rowKey of an item's row (to skip what a results log already holds). */
export const itemKey = (item: StudyItem, task: string): string => rowKey(rowIdentity(item, task));

/**
 * The eval jobs of one tagger: `items` (that model's plan, in order) cut into chunks by plan index;
 * items whose rows are in `done` are left out (a chunk keeps its id), and an empty chunk is no job.
 */
export function taggerEvalJobs(
  target: TaggerTarget, run: number, model: BlobHash, evaluation: BlobHash, items: StudyItem[], done?: ReadonlySet<string>, chunk = TAGGER_EVAL_CHUNK,
): TaggerEvalJob[] {
  const jobs: TaggerEvalJob[] = [];
  for (let first = 0; first < items.length; first += chunk) {
    const last = Math.min(items.length, first + chunk) - 1;
    const todo = items.slice(first, last + 1).filter((item) => !done?.has(itemKey(item, target.task)));
    if (todo.length) jobs.push({ kind: 'eval-tagger', id: evalJobId(target.task, run, first, last), target, model, evaluation, items: todo, dtype: 'float32' });
  }
  return jobs;
}
