/**
 * The five probes as pure functions DenseModel → DenseModel, applied after training without any
 * retraining. Each is defined exactly as the reference study's code does (variant `reference`),
 * with named variants for the obvious alternatives. See docs/probes.md.
 */
import { UserError } from '../core/errors.js';
import type { DenseModel, LayerRecord } from '../core/layer.js';
import { countNonZero, findLayer } from '../core/layer.js';
import type { ProbeName } from '../core/results.js';
import { Rng } from '../core/rng.js';
import { nullStream, randomizeLayer, type RandomizeOptions } from '../randomize/index.js';
import { moments } from '../stats/describe.js';
import {
  addUniformNoise, addUniformNoiseMany, flipValues, magnitudeOrder, meanAbs, noiseLoopIsWasm, pruneValues, signValues,
  fractionCount, type MagnitudeSelect, type NoiseLoop,
} from './kernels.js';

/** What to do to a model: one evaluation of a sweep. */
export interface ProbeSpec {
  probe: ProbeName;
  variant: string;
  /** Apply sign() to weights and biases after the probe. */
  signed: boolean;
  level: number;
  /** `all`, or the name of the one layer to perturb. */
  layer: string;
  /** Which biases the probe starts from (default `trained`); see BIAS_MODES. */
  bias?: BiasMode;
}

/**
 * `trained`: the model's own biases (weightscope's default). `reference-init`: the reference code's
 * behaviour — it reloads only the weight matrices into a freshly built model, so every probe runs
 * with untrained biases drawn as PyTorch's nn.Linear does, U(−1/√fan_in, 1/√fan_in).
 */
export const BIAS_MODES = ['trained', 'reference-init'] as const;
export type BiasMode = (typeof BIAS_MODES)[number];

/** The model with every layer's bias replaced by a fresh nn.Linear-style draw U(−1/√fan_in, 1/√fan_in). */
export function referenceInitBiases(model: DenseModel, rng: Rng): DenseModel {
  return {
    ...model,
    layers: model.layers.map((layer) => {
      const bound = 1 / Math.sqrt(layer.shape[0]);
      const r = rng.fork(layer.name);
      // A layer saved without bias still gets one: the reference's nn.Linear always has it.
      const bias = Float32Array.from({ length: layer.shape[1] }, () => r.uniform(-bound, bound));
      return { ...layer, bias };
    }),
  };
}

export const PROBE_VARIANTS: Record<ProbeName, readonly string[]> = {
  baseline: ['reference'],
  // reference = remove the smallest |w| (keep the largest), per layer, biases included
  prune: ['reference', 'largest', 'random', 'global'],
  // reference = sign(w), sign(b); scaled = sign(w)·mean|w| with the bias kept
  binarize: ['reference', 'bias-keep', 'bias-zero', 'scaled'],
  // reference = absolute amplitude a; relative = a·σ(w) of each layer
  noise: ['reference', 'relative'],
  'binarize+noise': ['reference', 'relative'],
  // reference = flip the smallest |w|
  signflip: ['reference', 'largest', 'random'],
  // A–G: the reference randomizations; the rest: weightscope's null models (src/randomize)
  randomize: ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'full', 'sign', 'unit', 'curveball', 'swap', 'maxent'],
};

/** Which probes consume randomness (their rows carry a seed; the others carry seed 0). */
export function isRandomProbe(spec: Pick<ProbeSpec, 'probe' | 'variant'>): boolean {
  return (
    spec.probe === 'noise' || spec.probe === 'binarize+noise' || spec.probe === 'randomize' ||
    ((spec.probe === 'prune' || spec.probe === 'signflip') && spec.variant === 'random')
  );
}

/** Check a spec against the probe's variants and level range; throws a one-line UserError. */
export function validateSpec(spec: ProbeSpec): void {
  const variants = PROBE_VARIANTS[spec.probe];
  if (!variants) throw new UserError(`unknown probe '${spec.probe}' (probes: ${Object.keys(PROBE_VARIANTS).join(', ')})`);
  if (!variants.includes(spec.variant)) {
    throw new UserError(`unknown variant '${spec.variant}' of probe '${spec.probe}' (variants: ${variants.join(', ')})`);
  }
  if (spec.bias !== undefined && !BIAS_MODES.includes(spec.bias)) {
    throw new UserError(`unknown bias mode '${spec.bias}' (modes: ${BIAS_MODES.join(', ')})`);
  }
  const l = spec.level;
  if (!Number.isFinite(l)) throw new UserError(`probe level must be a number, got ${l}`);
  if ((spec.probe === 'prune' || spec.probe === 'signflip' || spec.probe === 'randomize') && (l < 0 || l > 1)) {
    throw new UserError(`${spec.probe} level ${l} is out of range: it is a fraction, 0 ≤ level ≤ 1`);
  }
  if ((spec.probe === 'noise' || spec.probe === 'binarize+noise') && l < 0) {
    throw new UserError(`noise level ${l} is out of range: the amplitude must be ≥ 0`);
  }
}

const SELECT: Record<string, MagnitudeSelect> = { reference: 'smallest', largest: 'largest', random: 'random' };

export interface ProbeOptions {
  /** The noise probes' loop (kernels.ts NoiseLoop): `wasm` (default) or the JS fallback `js`; both give the same bits. */
  noiseLoop?: NoiseLoop;
  /** The randomize probe's null model options: see RandomizeProbeOptions (default: what study rows use). */
  randomize?: RandomizeProbeOptions;
}

/**
 * `weightscope randomize` draws through applyProbe with these, so its --seed gives the probe's model.
 * `steps` / `weights`: the null model's own options (absent in study rows: the analytic bound,
 * weights travel). A layer's null stream is keyed by its name, which every command prints alike.
 */
export type RandomizeProbeOptions = RandomizeOptions;

/**
 * Apply one probe. Deterministic probes ignore `rng`; random ones draw from it in a fixed order
 * (layer by layer, weights before biases), so the same seed gives the same model bit for bit.
 */
export function applyProbe(model: DenseModel, spec: ProbeSpec, rng: Rng, options: ProbeOptions = {}): DenseModel {
  return prepareProbe(model, spec, options)(rng);
}

/**
 * Where a draw may write a layer's probed weights or bias (`part`) instead of fresh memory: an array
 * of `length` floats that the caller reuses from draw to draw. The drawn model is valid until then.
 */
export type DrawOutput = (layer: string, part: 'weights' | 'bias', length: number) => Float32Array;

/**
 * applyProbe with what does not depend on the draw done once (validation, the targeted layers,
 * global pruning, relative noise's σ(w)): for the many draws of one probe on one model, e.g. one per
 * test batch. `prepareProbe(model, spec)(rng)` is applyProbe(model, spec, rng); with `out`, the
 * noise, prune and sign-flip probes and sign() write into the caller's arrays (binarization and
 * randomizations allocate as usual).
 */
export function prepareProbe(model: DenseModel, spec: ProbeSpec, options: ProbeOptions = {}): ProbeDraw {
  validateSpec(spec);
  const targets = spec.layer === 'all' ? new Set(model.layers.map((l) => l.name)) : new Set([findLayer(model, spec.layer).name]);
  const perturbed = spec.probe === 'prune' && spec.variant === 'global' ? pruneGlobal(model, targets, spec.level) : null;
  const noise = model.layers.map((layer) => (targets.has(layer.name) ? noiseOf(layer, spec, options.noiseLoop) : null));

  const draw = (rng: Rng, into?: DrawOutput): DenseModel => {
    const layers = model.layers.map((layer, k): LayerRecord => {
      if (!targets.has(layer.name)) return layer;
      // A randomization draws from the null model's own stream of this layer (nullStream), the same
      // stream `weightscope randomize --seed` uses; the other probes from the layer's fork.
      let out = perturbed ? perturbed[k] : spec.probe === 'randomize' ? randomizeProbeLayer(layer, spec, rng, options.randomize) : probeLayer(layer, spec, rng.fork(layer.name), noise[k], into);
      if (spec.signed && spec.probe !== 'binarize') out = signLayer(out, into);
      return out;
    });
    return { ...model, layers };
  };
  // The noise probes' draws of each layer for all generators together (the same values, one pass per NOISE_LANES draws).
  const many = (rngs: Rng[], into?: DrawOutput[]): DenseModel[] => {
    if (!noise.some((x) => x !== null)) return rngs.map((r, k) => draw(r, into?.[k]));
    const layers = model.layers.map((layer, k): LayerRecord[] => {
      const nz = noise[k];
      if (!nz) return rngs.map(() => layer);
      const forks = rngs.map((r) => r.fork(layer.name));
      const outs = (part: 'weights' | 'bias', length: number) => rngs.map((_, b) => into?.[b](layer.name, part, length) ?? new Float32Array(length));
      const weights = addUniformNoiseMany(layer.weights, nz.amplitude, forks, outs('weights', layer.weights.length), { nonZero: nz.weights, loop: nz.loop });
      const bias = layer.bias ? addUniformNoiseMany(layer.bias, nz.amplitude, forks, outs('bias', layer.bias.length), { nonZero: nz.bias, loop: nz.loop }) : null;
      return rngs.map((_, b) => {
        const out: LayerRecord = { ...layer, weights: weights[b], bias: bias ? bias[b] : null };
        return spec.signed ? signLayer(out, into?.[b]) : out;
      });
    });
    return rngs.map((_, b) => ({ ...model, layers: layers.map((l) => l[b]) }));
  };
  return Object.assign(draw, { many });
}

/**
 * One probe's draws on one model: `draw(rng, out?)` is one probed model; `draw.many(rngs, outs?)` is
 * rngs.map((r, k) => draw(r, outs?.[k])) bit for bit, the noise probes' draws made together.
 */
export type ProbeDraw = ((rng: Rng, out?: DrawOutput) => DenseModel) & { many(rngs: Rng[], out?: DrawOutput[]): DenseModel[] };

interface LayerNoise {
  /** a of U(−a, a); relative: a = level·σ(w), σ the population standard deviation of the layer's weights. */
  amplitude: number;
  loop: NoiseLoop;
  /** Draws per call, for the JS loop (the WebAssembly kernel counts as it goes): one per non-zero weight, one per non-zero bias. */
  weights?: number;
  bias?: number;
}

// σ(w) of a layer's weights, once per array: a sweep's relative noise levels all scale the same layer's σ.
const sigmas = new WeakMap<Float32Array, number>();
function sigmaOf(weights: Float32Array): number {
  let sigma = sigmas.get(weights);
  if (sigma === undefined) sigmas.set(weights, (sigma = Math.sqrt(moments(weights).m2)));
  return sigma;
}

/** What the noise probes need of a layer, the same for every draw (null for the other probes). */
function noiseOf(layer: LayerRecord, spec: ProbeSpec, loop: NoiseLoop = 'wasm'): LayerNoise | null {
  if (spec.probe !== 'noise' && spec.probe !== 'binarize+noise') return null;
  const amplitude = spec.variant === 'relative' ? spec.level * sigmaOf(layer.weights) : spec.level;
  if (noiseLoopIsWasm(loop)) return { amplitude, loop };
  return { amplitude, loop, weights: countNonZero(layer.weights), bias: layer.bias ? countNonZero(layer.bias) : 0 };
}

function probeLayer(layer: LayerRecord, spec: ProbeSpec, rng: Rng, noise: LayerNoise | null = null, into?: DrawOutput): LayerRecord {
  const { weights, bias } = layer;
  const withValues = (w: Float32Array, b: Float32Array | null): LayerRecord => ({ ...layer, weights: w, bias: b });
  switch (spec.probe) {
    case 'baseline':
      return layer;
    case 'prune': {
      const select = SELECT[spec.variant];
      return withValues(
        pruneValues(weights, spec.level, select, rng, into?.(layer.name, 'weights', weights.length)),
        bias ? pruneValues(bias, spec.level, select, rng, into?.(layer.name, 'bias', bias.length)) : null,
      );
    }
    case 'signflip': {
      const select = SELECT[spec.variant];
      return withValues(
        flipValues(weights, spec.level, select, rng, into?.(layer.name, 'weights', weights.length)),
        bias ? flipValues(bias, spec.level, select, rng, into?.(layer.name, 'bias', bias.length)) : null,
      );
    }
    case 'noise':
    case 'binarize+noise': {
      const { amplitude: a, weights: nw, bias: nb, loop } = noise!;
      return withValues(
        addUniformNoise(weights, a, rng, { out: into?.(layer.name, 'weights', weights.length), nonZero: nw, loop }),
        bias ? addUniformNoise(bias, a, rng, { out: into?.(layer.name, 'bias', bias.length), nonZero: nb, loop }) : null,
      );
    }
    case 'binarize':
      return binarizeLayer(layer, spec.variant);
    case 'randomize':
      // needs the evaluation's root stream, not the layer's fork: applyProbe calls randomizeProbeLayer
      throw new Error('internal: randomize is applied by randomizeProbeLayer');
  }
}

/**
 * The randomize probe on one layer: the reference prunes the smallest `level` of weights and biases
 * first (pruned slots stay empty), then shuffles; the null draws from `nullStream(rng, variant,
 * layer)` of the evaluation's root stream `rng`. The pruned biases are kept. The one definition of
 * a randomize row's model: `weightscope randomize` draws through it too (docs/null-models.md).
 */
function randomizeProbeLayer(layer: LayerRecord, spec: ProbeSpec, rng: Rng, options: RandomizeProbeOptions = {}): LayerRecord {
  const pruned = spec.level > 0 ? probeLayer(layer, { ...spec, probe: 'prune', variant: 'reference' }, rng) : layer;
  const randomized = randomizeLayer(pruned, spec.variant, nullStream(rng, spec.variant, layer.name), options);
  return { ...randomized, bias: pruned.bias };
}

/** sign() of weights and biases (into `into`'s arrays when given: they may be the layer's own, signed in place). */
export function signLayer(layer: LayerRecord, into?: DrawOutput): LayerRecord {
  const { weights, bias } = layer;
  return {
    ...layer,
    weights: signValues(weights, into?.(layer.name, 'weights', weights.length)),
    bias: bias ? signValues(bias, into?.(layer.name, 'bias', bias.length)) : null,
  };
}

function binarizeLayer(layer: LayerRecord, variant: string): LayerRecord {
  const w = signValues(layer.weights);
  const b = layer.bias;
  switch (variant) {
    case 'reference':
      return { ...layer, weights: w, bias: b ? signValues(b) : null };
    case 'bias-keep':
      return { ...layer, weights: w, bias: b ? b.slice() : null };
    case 'bias-zero':
      return { ...layer, weights: w, bias: b ? new Float32Array(b.length) : null };
    case 'scaled': {
      const scale = meanAbs(layer.weights);
      for (let i = 0; i < w.length; i++) w[i] *= scale;
      return { ...layer, weights: w, bias: b ? b.slice() : null };
    }
    default:
      throw new UserError(`unknown binarize variant '${variant}'`);
  }
}

// The order of the concatenated weights, once per set of weight arrays: a sweep prunes 74 levels of the same model.
const globalOrders = new WeakMap<Float32Array, { arrays: Float32Array[]; order: Uint32Array }>();
function globalOrder(arrays: Float32Array[], total: number): Uint32Array {
  const hit = arrays.length ? globalOrders.get(arrays[0]) : undefined;
  if (hit && hit.arrays.length === arrays.length && hit.arrays.every((a, k) => a === arrays[k])) return hit.order;
  const all = new Float32Array(total);
  let offset = 0;
  for (const a of arrays) {
    all.set(a, offset);
    offset += a.length;
  }
  const order = magnitudeOrder(all);
  if (arrays.length) globalOrders.set(arrays[0], { arrays, order });
  return order;
}

/**
 * Global magnitude pruning: rank the weights of all targeted layers together and remove the
 * smallest fraction overall (layers with small weights lose more). Biases follow the per-layer
 * rule of the reference.
 */
function pruneGlobal(model: DenseModel, targets: Set<string>, fractionRemoved: number): LayerRecord[] {
  const chosen = model.layers.filter((l) => targets.has(l.name));
  const total = chosen.reduce((s, l) => s + l.weights.length, 0);
  const order = globalOrder(chosen.map((l) => l.weights), total);
  let offset = 0;
  const remove = total - fractionCount(1 - fractionRemoved, total);
  const removed = new Uint8Array(total);
  for (let k = 0; k < remove; k++) removed[order[k]] = 1;
  offset = 0;
  return model.layers.map((l) => {
    if (!targets.has(l.name)) return l;
    const w = l.weights.slice();
    for (let i = 0; i < w.length; i++) if (removed[offset + i]) w[i] = 0;
    offset += w.length;
    return { ...l, weights: w, bias: l.bias ? pruneValues(l.bias, fractionRemoved, 'smallest') : null };
  });
}
