/**
 * Statistics of layers as signed bipartite networks: signed degrees and strengths, weight and
 * degree distributions, assortativity, nestedness (NODF), z-scores against null models and
 * percolation under magnitude pruning. Definitions: docs/statistics.md.
 *
 * Everything returns plain data; typed arrays appear only in `unitStats` and in the optional
 * exact percolation curve (`full`), both documented as such.
 */
export * from './describe.js';
export * from './degrees.js';
export * from './structure.js';
export * from './zscore.js';
export * from './percolation.js';
export * from './magnitude.js';
export * from './layer-stats.js';
export * from './spectral.js';
export { useSpectralKernel } from './spectral-kernel.js';
export * from './linear-models.js';
export * from './disentanglement.js';
export * from './groups.js';
