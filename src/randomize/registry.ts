/**
 * The null-model registry: every randomization by name, with what it preserves and where it comes
 * from; `randomizeLayer` / `randomizeModel` apply one by name. Documented in docs/null-models.md.
 */
import { UserError } from '../core/errors.js';
import { findLayer, type DenseModel, type LayerRecord } from '../core/layer.js';
import type { Rng } from '../core/rng.js';
import { checkSteps, checkWeightMode, type RandomizeOptions } from './common.js';
import { signedCurveball } from './curveball.js';
import { maxEnt } from './maxent.js';
import { shuffleA, shuffleB, shuffleC, shuffleD, shuffleE, shuffleF, shuffleFull } from './shuffle.js';
import { signedSwap, swapG } from './swap.js';

export interface NullModel {
  name: string;
  /** What the null keeps from the original layer. */
  preserves: string;
  /** Algorithm and paper. */
  reference: string;
  /** Whether `steps` / `weights` options apply. */
  takesSteps: boolean;
  takesWeights: boolean;
  randomize(layer: LayerRecord, rng: Rng, options?: RandomizeOptions): LayerRecord;
}

const REF = 'Jankowski et al. 2025, arXiv 2508.05463';

export const NULL_MODELS: Record<string, NullModel> = {
  A: {
    name: 'A',
    preserves: 'topology (edge slots; pruned zeros stay), multiset of weights',
    reference: `${REF}: full shuffle of the non-zero weights (Fisher–Yates)`,
    takesSteps: false, takesWeights: false,
    randomize: (l, r) => shuffleA(l, r),
  },
  B: {
    name: 'B',
    preserves: 'exact sign pattern (all k+, k−), multiset of each sign',
    reference: `${REF}: positive among positive slots, negative among negative`,
    takesSteps: false, takesWeights: false,
    randomize: (l, r) => shuffleB(l, r),
  },
  C: {
    name: 'C',
    preserves: 'topology, each input unit’s multiset of outgoing weights (strength, k+, k−)',
    reference: `${REF}: per input unit (row i) shuffle among its edges`,
    takesSteps: false, takesWeights: false,
    randomize: (l, r) => shuffleC(l, r),
  },
  D: {
    name: 'D',
    preserves: 'topology, each output unit’s multiset of incoming weights (strength, k+, k−)',
    reference: `${REF}: per output unit (column j) shuffle among its edges`,
    takesSteps: false, takesWeights: false,
    randomize: (l, r) => shuffleD(l, r),
  },
  E: {
    name: 'E',
    preserves: 'exact sign pattern (all k+, k−), each input unit’s per-sign multisets (s+, s−)',
    reference: `${REF}: per input unit, positive and negative shuffled separately`,
    takesSteps: false, takesWeights: false,
    randomize: (l, r) => shuffleE(l, r),
  },
  F: {
    name: 'F',
    preserves: 'exact sign pattern (all k+, k−), each output unit’s per-sign multisets (s+, s−)',
    reference: `${REF}: per output unit, positive and negative shuffled separately`,
    takesSteps: false, takesWeights: false,
    randomize: (l, r) => shuffleF(l, r),
  },
  G: {
    name: 'G',
    preserves: 'all k+ and k− (both sides), non-zero slots, multisets of each sign, input units’ weight multisets',
    reference: `${REF}: double-edge swaps of positive edges (Maslov & Sneppen 2002), 10·E+ attempts, ≤ E+ accepted`,
    takesSteps: true, takesWeights: true,
    randomize: (l, r, o) => swapG(l, r, o),
  },
  full: {
    name: 'full',
    preserves: 'multiset of all nIn·nOut values (zeros included), nothing about positions',
    reference: 'Fisher–Yates shuffle of every slot',
    takesSteps: false, takesWeights: false,
    randomize: (l, r) => shuffleFull(l, r),
  },
  sign: {
    name: 'sign',
    preserves: 'as B: exact sign pattern, multiset of each sign (magnitudes shuffled within sign)',
    reference: `alias of B (${REF})`,
    takesSteps: false, takesWeights: false,
    randomize: (l, r) => shuffleB(l, r),
  },
  unit: {
    name: 'unit',
    preserves: 'as D: topology, each output unit’s incoming weights (fan-in strength)',
    reference: `alias of D (${REF})`,
    takesSteps: false, takesWeights: false,
    randomize: (l, r) => shuffleD(l, r),
  },
  curveball: {
    name: 'curveball',
    preserves: 'all k+ and k− (both sides), multisets of each sign; no multi-edges',
    reference: 'signed Curveball trades (Strona et al. 2014; Carstens 2015), uniform over the connected class',
    takesSteps: true, takesWeights: true,
    randomize: (l, r, o) => signedCurveball(l, r, o),
  },
  swap: {
    name: 'swap',
    preserves: 'all k+ and k− (both sides), multisets of each sign; no multi-edges',
    reference: 'signed double-edge swap (Maslov & Sneppen 2002), steps from BiRewire’s bound (Gobbi et al. 2014)',
    takesSteps: true, takesWeights: true,
    randomize: (l, r, o) => signedSwap(l, r, o),
  },
  maxent: {
    name: 'maxent',
    preserves: 'expected k+ and k− of every unit; weights drawn from the same sign’s weights',
    reference: 'signed bipartite max-entropy configuration model (Saracco et al. 2015; Gallo et al. 2024)',
    takesSteps: false, takesWeights: false,
    randomize: (l, r) => maxEnt(l, r),
  },
};

export const NULL_MODEL_NAMES = Object.keys(NULL_MODELS);

/** Look a null model up by name, or fail with the list of valid names. */
export function getNullModel(method: string): NullModel {
  const m = Object.prototype.hasOwnProperty.call(NULL_MODELS, method) ? NULL_MODELS[method] : undefined;
  if (!m) throw new UserError(`unknown randomization '${method}' (valid: ${NULL_MODEL_NAMES.join(', ')})`);
  return m;
}

/** Apply the named null model to one layer; returns a new layer (the input is not touched). */
export function randomizeLayer(layer: LayerRecord, method: string, rng: Rng, options: RandomizeOptions = {}): LayerRecord {
  const m = getNullModel(method);
  checkSteps(options.steps, method);
  checkWeightMode(options.weights);
  if (options.steps !== undefined && !m.takesSteps) throw new UserError(`randomization '${method}' takes no steps`);
  if (options.weights !== undefined && !m.takesWeights) throw new UserError(`randomization '${method}' takes no weights mode`);
  return m.randomize(layer, rng, options);
}

export interface RandomizeModelOptions extends RandomizeOptions {
  /** Randomize only this layer (default: every layer). */
  layer?: string;
}

/**
 * The one random stream a null model draws from for one layer: `rng.fork('randomize', method,
 * layer)`. It depends only on the seed of `rng` (not on what was drawn from it), the method and
 * the layer's name, so a layer's null does not depend on which other layers are randomized, and
 * every caller — the probe sweep's randomize rows, `weightscope randomize --seed`, `weightscope
 * probe --probe randomize` and the viewer — gets the same null from the same seed
 * (docs/null-models.md, "Random streams").
 */
export function nullStream(rng: Rng, method: string, layer: string): Rng {
  return rng.fork('randomize', method, layer);
}

/**
 * Apply the named null model to every layer of a model (or the one named by `options.layer`),
 * each layer drawing from its own `nullStream(rng, method, layerName)`.
 */
export function randomizeModel(model: DenseModel, method: string, rng: Rng, options: RandomizeModelOptions = {}): DenseModel {
  getNullModel(method);
  const { layer: only, ...opts } = options;
  if (only !== undefined) findLayer(model, only);
  return {
    ...model,
    layers: model.layers.map((l) =>
      only === undefined || l.name === only
        ? randomizeLayer(l, method, nullStream(rng, method, l.name), opts)
        : { ...l, shape: [l.shape[0], l.shape[1]], weights: l.weights.slice(), bias: l.bias ? l.bias.slice() : null },
    ),
  };
}
