/**
 * The weight lens of the multi-task study (docs/multitask.md, "The weight lens"): the hidden-to-hidden
 * layer of every model (the MLP's hidden2, the RNN's recurrent matrix) as a signed bipartite graph,
 * measured with the project's statistics and scored against its null models.
 *
 * - Sign-degree statistics: the fraction of positive weights; the spread (sd over units) of each
 *   unit's sign imbalance (k+ − k−)/(k+ + k−), on the input and the output side, and its z-score
 *   against null model A (the weights shuffled over the slots: signs land anywhere).
 * - NODF and degree assortativity of the positive subgraph (a trained layer has every weight, so
 *   the whole layer's degrees are all equal and its assortativity undefined), z-scored against the signed Curveball
 *   (every unit's k+ and k− kept).
 * - Communities of the positive subgraph (weights w > 0 as edge weights; Louvain, the
 *   graphology-communities-louvain package, with a seeded random stream): their number (of two units
 *   or more) and modularity Q, z-scored against the same Curveball null; and how well the
 *   representation units' communities follow the latents (NMI with each unit's best-correlated
 *   latent and sign).
 * - Percolation: the fraction of weights removed (smallest |w| first) where the susceptibility
 *   peaks, for the whole layer and each sign.
 * - Spectral: the power-law exponent α of WᵀW's eigenvalues and the stable rank.
 */
import { UndirectedGraph } from 'graphology';
import louvainModule from 'graphology-communities-louvain';
import type { LayerRecord } from '../../../core/layer.js';
import { deriveSeed, Rng } from '../../../core/rng.js';
import { randomizeLayer } from '../../../randomize/index.js';
import { degreeAssortativity, nodf, percolationBySign, spectralStats, unitStats, weightSummary, zScores, type SampleMatrix } from '../../../stats/index.js';

// The package is CommonJS (module.exports = louvain) with an ES-style `export default` in its types:
// under NodeNext the default import is the function at run time, typed as the module.
type Louvain = typeof louvainModule.default;
const louvain = ((louvainModule as unknown as { default?: Louvain }).default ?? louvainModule) as Louvain;

/** Null samples per null model. */
export const LENS_NULL_SAMPLES = 20;

export interface LensStats {
  fraction_positive: number;
  imbalance_sd_in: number;
  imbalance_sd_out: number;
  imbalance_sd_in_z: number;
  imbalance_sd_out_z: number;
  nodf_positive: number;
  nodf_positive_z: number;
  assortativity_positive: number;
  assortativity_positive_z: number;
  communities: number;
  modularity: number;
  modularity_z: number;
  community_latent_nmi: number;
  percolation_all: number;
  percolation_positive: number;
  percolation_negative: number;
  spectral_alpha: number;
  stable_rank: number;
}

function sd(values: ArrayLike<number>): number {
  let n = 0, s = 0, s2 = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    n++;
    s += v;
    s2 += v * v;
  }
  if (n < 2) return NaN;
  const mean = s / n;
  return Math.sqrt(Math.max(0, (s2 - n * mean * mean) / (n - 1)));
}

export interface Communities {
  /** Community of each input unit and each output unit. */
  input: Int32Array;
  output: Int32Array;
  /** Communities with at least two units. */
  count: number;
  modularity: number;
}

/**
 * Louvain communities of a layer's positive subgraph: an undirected graph on its nIn + nOut units,
 * one edge of weight w per weight w > 0. The random stream is seeded: the same layer and seed give
 * the same communities.
 */
export function positiveCommunities(layer: LayerRecord, seed: number): Communities {
  const [nIn, nOut] = layer.shape;
  const g = new UndirectedGraph<Record<string, never>, { weight: number }>();
  for (let i = 0; i < nIn; i++) g.addNode(`i${i}`);
  for (let j = 0; j < nOut; j++) g.addNode(`o${j}`);
  const w = layer.weights;
  for (let i = 0; i < nIn; i++) for (let j = 0; j < nOut; j++) if (w[i * nOut + j] > 0) g.addEdge(`i${i}`, `o${j}`, { weight: w[i * nOut + j] });
  const input = new Int32Array(nIn);
  const output = new Int32Array(nOut);
  if (g.size === 0) return { input: input.fill(-1), output: output.fill(-1), count: 0, modularity: NaN };
  const rng = new Rng(seed);
  const result = louvain.detailed(g, { getEdgeWeight: 'weight', rng: () => rng.next() });
  const sizes = new Map<number, number>();
  for (const c of Object.values(result.communities) as number[]) sizes.set(c, (sizes.get(c) ?? 0) + 1);
  for (let i = 0; i < nIn; i++) input[i] = result.communities[`i${i}`];
  for (let j = 0; j < nOut; j++) output[j] = result.communities[`o${j}`];
  return { input, output, count: [...sizes.values()].filter((s) => s >= 2).length, modularity: result.modularity };
}

/** Entropy (nats) of a labelling. */
function entropy(labels: ArrayLike<number>): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) counts.set(labels[i], (counts.get(labels[i]) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) h -= (c / labels.length) * Math.log(c / labels.length);
  return h;
}

/**
 * Normalised mutual information of two labellings, I / mean(H_a, H_b) (scikit-learn's
 * normalized_mutual_info_score, arithmetic mean): 1 for two constant labellings, 0 when only one is.
 */
export function normalizedMutualInformation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (n !== b.length) throw new Error('labellings of different lengths');
  const ha = entropy(a), hb = entropy(b);
  if (ha === 0 && hb === 0) return 1;
  if (ha === 0 || hb === 0) return 0;
  const joint = new Map<string, number>();
  const ca = new Map<number, number>(), cb = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    joint.set(`${a[i]},${b[i]}`, (joint.get(`${a[i]},${b[i]}`) ?? 0) + 1);
    ca.set(a[i], (ca.get(a[i]) ?? 0) + 1);
    cb.set(b[i], (cb.get(b[i]) ?? 0) + 1);
  }
  let mi = 0;
  for (const [key, c] of joint) {
    const [x, y] = key.split(',').map(Number);
    mi += (c / n) * Math.log((c * n) / (ca.get(x)! * cb.get(y)!));
  }
  return mi / ((ha + hb) / 2);
}

/**
 * Each representation unit's latent: the latent d its activation correlates with most (Pearson,
 * in absolute value) and the sign of that correlation, coded 2d + [r > 0]; −1 for a unit with no
 * variance (silent or constant).
 */
export function unitLatents(rep: SampleMatrix, latents: SampleMatrix): Int32Array {
  const { n, dims: p } = rep;
  const D = latents.dims;
  const out = new Int32Array(p).fill(-1);
  const zMean = new Float64Array(D), zSd = new Float64Array(D);
  for (let d = 0; d < D; d++) {
    let s = 0, s2 = 0;
    for (let k = 0; k < n; k++) {
      const v = latents.values[k * D + d];
      s += v;
      s2 += v * v;
    }
    zMean[d] = s / n;
    zSd[d] = Math.sqrt(Math.max(0, s2 / n - zMean[d] ** 2));
  }
  for (let j = 0; j < p; j++) {
    let s = 0, s2 = 0;
    for (let k = 0; k < n; k++) {
      const v = rep.values[k * p + j];
      s += v;
      s2 += v * v;
    }
    const mean = s / n;
    const hSd = Math.sqrt(Math.max(0, s2 / n - mean * mean));
    if (!(hSd > 0)) continue;
    let best = -1, bestAbs = -1;
    for (let d = 0; d < D; d++) {
      let c = 0;
      for (let k = 0; k < n; k++) c += (rep.values[k * p + j] - mean) * (latents.values[k * D + d] - zMean[d]);
      const r = c / n / (hSd * zSd[d]);
      if (Math.abs(r) > bestAbs) {
        bestAbs = Math.abs(r);
        best = 2 * d + (r > 0 ? 1 : 0);
      }
    }
    out[j] = best;
  }
  return out;
}

/**
 * The lens statistics of a hidden-to-hidden layer whose output units are the representation `rep`
 * (n × nOut, with its latents), null samples drawn from seeds derived from `seed`.
 */
export function lensStats(layer: LayerRecord, rep: SampleMatrix, latents: SampleMatrix, seed: number, nullSamples = LENS_NULL_SAMPLES): LensStats {
  const u = unitStats(layer);
  const louvainSeed = deriveSeed(seed, 'louvain');
  const imbalance = zScores(layer, { in: (l) => sd(unitStats(l).in.imbalance), out: (l) => sd(unitStats(l).out.imbalance) }, (l, r) => randomizeLayer(l, 'A', r), {
    samples: nullSamples, rng: new Rng(deriveSeed(seed, 'lens-null', 'A')),
  });
  const structure = zScores(layer, {
    nodf: (l) => nodf(l, 'positive').nodf,
    assortativity: (l) => degreeAssortativity(l, 'positive'),
    modularity: (l) => positiveCommunities(l, louvainSeed).modularity,
  }, (l, r) => randomizeLayer(l, 'curveball', r), { samples: nullSamples, rng: new Rng(deriveSeed(seed, 'lens-null', 'curveball')) });
  const communities = positiveCommunities(layer, louvainSeed);
  const latentOf = unitLatents(rep, latents);
  const units = [...latentOf.keys()].filter((j) => latentOf[j] >= 0);
  const perc = percolationBySign(layer);
  const spectral = spectralStats(layer);
  return {
    fraction_positive: weightSummary(layer).fractionPositive,
    imbalance_sd_in: sd(u.in.imbalance),
    imbalance_sd_out: sd(u.out.imbalance),
    imbalance_sd_in_z: imbalance.in.z,
    imbalance_sd_out_z: imbalance.out.z,
    nodf_positive: structure.nodf.observed,
    nodf_positive_z: structure.nodf.z,
    assortativity_positive: structure.assortativity.observed,
    assortativity_positive_z: structure.assortativity.z,
    communities: communities.count,
    modularity: communities.modularity,
    modularity_z: structure.modularity.z,
    community_latent_nmi: units.length ? normalizedMutualInformation(units.map((j) => communities.output[j]), units.map((j) => latentOf[j])) : NaN,
    percolation_all: perc.all.critical.susceptibility.fractionRemoved,
    percolation_positive: perc.positive.critical.susceptibility.fractionRemoved,
    percolation_negative: perc.negative.critical.susceptibility.fractionRemoved,
    spectral_alpha: spectral.alpha,
    stable_rank: spectral.stableRank,
  };
}
