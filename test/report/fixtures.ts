/**
 * Generated INPUT for the report tests and the preview: plausible result rows drawn with a seeded
 * Rng from a simple model of how the easy and hard tasks respond to each probe. Tests compute
 * their expected values from these rows independently; nothing here is an expected output.
 */
import { Rng, type Difficulty, type ProbeName, type ResultRow } from '../../src/core/index.js';
import type { LayerInput, SsimRow, TaskInfo } from '../../src/report/index.js';
import type { PlannedEval } from '../../src/probes/index.js';

export interface FixtureOptions {
  seed?: number;
  runs?: number;
  /** Noise seeds per level. */
  seeds?: number;
  /** Binarized accuracy of the easy / hard task (the claims tests flip these). */
  easyBinarized?: number;
  hardBinarized?: number;
  /** Probes to generate (default: all). */
  probes?: ProbeName[];
  tasks?: { task: string; difficulty: Difficulty }[];
}

const clamp = (x: number): number => Math.max(0, Math.min(1, x));
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

export const NOISE_GRID = Array.from({ length: 30 }, (_, i) => Math.pow(2, -10 + (10 * i) / 29));
export const PRUNE_GRID = Array.from({ length: 11 }, (_, i) => i / 10);

/** Generate result rows for an easy and a hard task (or the tasks given). */
export function generateRows(options: FixtureOptions = {}): ResultRow[] {
  const rng = new Rng(options.seed ?? 1);
  const runs = options.runs ?? 4;
  const seeds = options.seeds ?? 3;
  const probes = new Set<ProbeName>(options.probes ?? ['baseline', 'binarize', 'prune', 'noise', 'binarize+noise', 'signflip', 'randomize']);
  const tasks = options.tasks ?? [
    { task: 'mnist-0v7', difficulty: 'easy' as Difficulty },
    { task: 'mnist-7v9', difficulty: 'hard' as Difficulty },
  ];
  const rows: ResultRow[] = [];
  for (const { task, difficulty } of tasks) {
    const hard = difficulty === 'hard';
    const full0 = hard ? 0.975 : 0.996;
    const bin0 = hard ? (options.hardBinarized ?? 0.55) : (options.easyBinarized ?? 0.97);
    for (let run = 0; run < runs; run++) {
      const runShift = (rng.next() - 0.5) * 0.01;
      const jitter = (sd: number): number => rng.normal() * sd;
      const full = clamp(full0 + runShift);
      const bin = clamp(bin0 + runShift * 3 + jitter(0.02));
      const push = (probe: ProbeName, variant: string, signed: boolean, level: number, accuracy: number, seed = 0): void => {
        // cka: a stand-in that falls with the accuracy lost (a real run measures it)
        const cka = probe === 'baseline' ? 1 : clamp(1 - 1.5 * (full - clamp(accuracy)));
        rows.push({ task, difficulty, probe, variant, signed, level, layer: 'all', run, seed, accuracy: clamp(accuracy), n_test: hard ? 2037 : 2008, inputs: 'pm1', cka });
      };
      if (probes.has('baseline')) push('baseline', 'reference', false, 0, full);
      if (probes.has('binarize')) {
        push('binarize', 'reference', true, 0, bin);
        push('binarize', 'bias-keep', true, 0, bin + 0.01 + jitter(0.005));
        push('binarize', 'bias-zero', true, 0, bin - 0.01 + jitter(0.005));
        push('binarize', 'scaled', true, 0, full - (hard ? 0.05 : 0.01) + jitter(0.005));
      }
      if (probes.has('prune')) {
        for (const level of PRUNE_GRID) {
          const collapse = level >= 1 ? 0.5 : full - (full - 0.5) * sigmoid((level - 0.9) * 40);
          push('prune', 'reference', false, level, collapse + jitter(0.003));
          push('prune', 'largest', false, level, 0.5 + (full - 0.5) * Math.exp(-level * 12) + jitter(0.01));
          push('prune', 'random', false, level, 0.5 + (full - 0.5) * (1 - level ** 2) + jitter(0.01));
          // after sign(): the hard task jumps from chance to high accuracy at ~45% pruned
          const signedRef = level >= 1 ? 0.5 : hard ? bin + (0.93 - bin) * sigmoid((level - 0.45) * 60) : bin + (0.985 - bin) * sigmoid((level - 0.3) * 20) - 0.3 * sigmoid((level - 0.92) * 40);
          push('prune', 'reference', true, level, signedRef + jitter(0.01));
          push('prune', 'largest', true, level, 0.5 + (bin - 0.5) * Math.exp(-level * 10) + jitter(0.01));
          push('prune', 'random', true, level, 0.5 + (bin - 0.5) * (1 - level) + jitter(0.01));
        }
      }
      if (probes.has('noise') || probes.has('binarize+noise')) {
        for (const a of NOISE_GRID) {
          for (let s = 0; s < seeds; s++) {
            const sd = 0.01;
            const fullNoisy = 0.5 + (full - 0.5) * (1 - sigmoid(Math.log2(a / 0.12) * 2.2));
            if (probes.has('noise')) push('noise', 'reference', false, a, fullNoisy + jitter(sd), 1000 + s);
            // stochastic resonance: a bump near a ≈ σ(w)/2 before the collapse
            const bump = (hard ? 0.12 : 0.018) * Math.exp(-((Math.log2(a / 0.025)) ** 2) / 2);
            const signedNoisy = 0.5 + (bin - 0.5 + bump) * (1 - sigmoid(Math.log2(a / 0.2) * 2.5));
            if (probes.has('binarize+noise')) push('binarize+noise', 'reference', true, a, signedNoisy + jitter(sd), 2000 + s);
          }
        }
      }
      if (probes.has('signflip')) {
        for (const q of PRUNE_GRID) {
          push('signflip', 'reference', false, q, 0.5 + (full - 0.5) * (1 - sigmoid((q - 0.55) * 14)) + jitter(0.01));
          push('signflip', 'largest', false, q, 0.5 + (full - 0.5) * Math.exp(-q * 15) + jitter(0.01));
          push('signflip', 'random', false, q, full - (full - 0.02) * q + jitter(0.01));
          push('signflip', 'reference', true, q, 0.5 + (bin - 0.5) * (1 - sigmoid((q - 0.5) * 14)) + jitter(0.01));
          push('signflip', 'largest', true, q, 0.5 + (bin - 0.5) * Math.exp(-q * 15) + jitter(0.01));
          push('signflip', 'random', true, q, bin - (bin - 0.02) * q + jitter(0.01));
        }
      }
      if (probes.has('randomize')) {
        const keep: Record<string, [number, number]> = { A: [0.25, 0.0], B: [0.9, 0.25], C: [0.45, 0.05], D: [0.5, 0.1], E: [0.92, 0.3], F: [0.88, 0.25], G: [0.85, 0.2] };
        for (const [v, [ke, kh]] of Object.entries(keep)) {
          for (const level of [0, 0.5, 0.8]) {
            const k = (hard ? kh : ke) * (1 + level * 0.1);
            push('randomize', v, false, level, 0.5 + (full - 0.5) * k + jitter(0.02));
            push('randomize', v, true, level, 0.5 + (bin - 0.5) * k + jitter(0.02));
          }
        }
      }
    }
  }
  return rows;
}

export function generateTasks(ssim?: SsimRow[]): TaskInfo[] {
  const d = (a: number, b: number): number | null => ssim?.find((s) => s.a === a && s.b === b)?.distance ?? null;
  return [
    { task: 'mnist-0v7', dataset: 'mnist', classes: [0, 7], difficulty: 'easy', ssimDistance: d(0, 7) },
    { task: 'mnist-7v9', dataset: 'mnist', classes: [7, 9], difficulty: 'hard', ssimDistance: d(7, 9) },
  ];
}

/** 45 class pairs with 7–9 the most similar and 0–7 among the most dissimilar. */
export function generateSsim(seed = 3): SsimRow[] {
  const rng = new Rng(seed);
  const rows: SsimRow[] = [];
  for (let a = 0; a < 10; a++)
    for (let b = a + 1; b < 10; b++) {
      let distance = 0.55 + rng.next() * 0.3;
      if (a === 7 && b === 9) distance = 0.42;
      if (a === 0 && b === 7) distance = 0.9;
      rows.push({ a, b, ssim: 1 - distance, distance });
    }
  return rows;
}

const SIGMA: Record<string, Record<string, number>> = {
  'mnist-0v7': { dense_1: 0.048, dense_2: 0.31 },
  'mnist-7v9': { dense_1: 0.057, dense_2: 0.27 },
};

/** Per-layer inputs of a 784→64→2 MLP for each task and run: binomial sign degrees (no pruning) and σ(w). */
export function generateLayers(runs = 2, seed = 5): LayerInput[] {
  const rng = new Rng(seed);
  const out: LayerInput[] = [];
  const binom = (n: number, p: number): number => {
    let k = 0;
    for (let i = 0; i < n; i++) if (rng.next() < p) k++;
    return k;
  };
  const side = (units: number, edges: number, p: () => number): { kPlus: number[]; kMinus: number[] } => {
    const kPlus = new Array<number>(units);
    const kMinus = new Array<number>(units);
    for (let u = 0; u < units; u++) {
      kPlus[u] = binom(edges, p());
      kMinus[u] = edges - kPlus[u];
    }
    return { kPlus, kMinus };
  };
  for (const [task, bias] of [['mnist-0v7', 0.45], ['mnist-7v9', 0.5]] as const)
    for (let run = 0; run < runs; run++) {
      const jitter = 1 + (rng.next() - 0.5) * 0.1;
      out.push({
        task, run, layer: 'dense_1', sigma: SIGMA[task].dense_1 * jitter,
        in: side(784, 64, () => bias + (rng.next() - 0.5) * 0.3),
        out: side(64, 784, () => 0.5 + (rng.next() - 0.5) * 0.1),
      });
      out.push({ task, run, layer: 'dense_2', sigma: SIGMA[task].dense_2 * jitter, in: side(64, 2, () => 0.5), out: side(2, 64, () => 0.5) });
    }
  return out;
}

export const RUN_CONFIG = {
  command: 'weightscope reproduce',
  dataset: 'mnist',
  runs: 4,
  seed: 42,
  backend: 'wasm',
  inputs: 'pm1',
  model: { hidden: 64, head: 2, activation: 'relu' },
  training: { epochs: 10, batch: 128, lr: 0.01, schedule: 'cosine' },
};

/**
 * Rows of the default sweep (`planSweep()`: every probe, variant and level `weightscope reproduce`
 * evaluates, 37 pruning and 23 randomization levels among them) for an easy and a hard task, with
 * accuracies drawn from the same response model as generateRows: a report built from them has
 * the size and shape of a real run's.
 */
export function generateSweepRows(plan: PlannedEval[], options: { seed?: number; runs?: number } = {}): ResultRow[] {
  const rng = new Rng(options.seed ?? 11);
  const runs = options.runs ?? 3;
  const rows: ResultRow[] = [];
  const keep: Record<string, [number, number]> = { A: [0.25, 0.0], B: [0.9, 0.25], C: [0.45, 0.05], D: [0.5, 0.1], E: [0.92, 0.3], F: [0.88, 0.25], G: [0.85, 0.2], curveball: [0.8, 0.2] };
  for (const { task, difficulty } of [{ task: 'mnist-0v7', difficulty: 'easy' as Difficulty }, { task: 'mnist-7v9', difficulty: 'hard' as Difficulty }]) {
    const hard = difficulty === 'hard';
    for (let run = 0; run < runs; run++) {
      const shift = (rng.next() - 0.5) * 0.01;
      const full = clamp((hard ? 0.975 : 0.996) + shift);
      const bin = clamp((hard ? 0.55 : 0.97) + 3 * shift + rng.normal() * 0.02);
      for (const { spec, rep } of plan) {
        const { probe, variant, signed, level } = spec;
        const start = signed ? bin : full;
        let acc: number;
        if (probe === 'baseline') acc = full;
        else if (probe === 'binarize') acc = variant === 'scaled' ? full - (hard ? 0.05 : 0.01) : bin + (variant === 'bias-keep' ? 0.01 : variant === 'bias-zero' ? -0.01 : 0);
        else if (probe === 'prune') {
          if (level >= 1) acc = 0.5;
          else if (variant === 'largest') acc = 0.5 + (start - 0.5) * Math.exp(-level * 12);
          else if (variant === 'random') acc = 0.5 + (start - 0.5) * (1 - level ** 2);
          else if (!signed) acc = full - (full - 0.5) * sigmoid((level - 0.9) * 40);
          else acc = hard ? bin + (0.93 - bin) * sigmoid((level - 0.45) * 60) : bin + (0.985 - bin) * sigmoid((level - 0.3) * 20) - 0.3 * sigmoid((level - 0.92) * 40);
        } else if (probe === 'noise' || probe === 'binarize+noise') {
          const a = variant === 'relative' ? level * 0.05 : level;
          const bump = signed ? (hard ? 0.12 : 0.018) * Math.exp(-(Math.log2(a / 0.025) ** 2) / 2) : 0;
          acc = 0.5 + (start - 0.5 + bump) * (1 - sigmoid(Math.log2(a / (signed ? 0.2 : 0.12)) * 2.3));
        } else if (probe === 'signflip') {
          acc = variant === 'largest' ? 0.5 + (start - 0.5) * Math.exp(-level * 15) : variant === 'random' ? start - (start - 0.02) * level : 0.5 + (start - 0.5) * (1 - sigmoid((level - 0.55) * 14));
        } else {
          const [ke, kh] = keep[variant] ?? [0.5, 0.1];
          acc = 0.5 + (start - 0.5) * (hard ? kh : ke) * (1 + level * 0.1) * (level > 0.95 ? 0 : 1);
        }
        acc = clamp(acc + rng.normal() * 0.01);
        const cka = probe === 'baseline' ? 1 : clamp(1 - 1.5 * (full - acc));
        rows.push({ task, difficulty, probe, variant, signed, level, layer: 'all', run, seed: rep, accuracy: acc, n_test: hard ? 2037 : 2008, inputs: 'pm1', cka });
      }
    }
  }
  return rows;
}
