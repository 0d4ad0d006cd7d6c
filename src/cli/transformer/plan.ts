/**
 * What the layer-by-layer study evaluates: every probe on every layer alone, on each block's
 * attention and feed-forward branches, on whole blocks, on cumulative prefixes and suffixes of
 * blocks, and on the embeddings; plus each branch removed from the residual stream.
 */
import { deriveSeed } from '../../core/rng.js';
import type { ProbeName, ResultRow } from '../../core/results.js';
import { isRandomProbe } from '../../probes/index.js';
import { BLOCK_LAYERS, EMBEDDINGS, layerNames } from '../../model/transformer/model.js';

export const STUDY_TASK = { upos: 'brown-upos', names: 'brown-names' } as const;
export const STUDY_INPUTS = 'brown';

export interface StudyProbe {
  probe: ProbeName;
  variant: string;
  signed: boolean;
  level: number;
}

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

/** One evaluation to do. */
export interface StudyItem extends StudyProbe {
  run: number;
  target: string;
  layers: string[];
  /** Branches removed from the residual stream (ablation rows). */
  ablate?: string[];
  seed: number;
}

export function planStudy(o: { blocks: number; runs: number; seed: number; task: string; quick: boolean; probes?: StudyProbe[] }): StudyItem[] {
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
