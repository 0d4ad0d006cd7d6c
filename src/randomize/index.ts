/**
 * Null models of a dense layer (a signed bipartite graph): the reference study's randomizations
 * A–G, weight shuffles, signed Curveball, signed double-edge swaps and the max-entropy signed
 * configuration model. Each takes a layer and an Rng and returns a new layer; biases untouched.
 * See docs/null-models.md.
 */
export * from './common.js';
export * from './shuffle.js';
export * from './swap.js';
export * from './curveball.js';
export * from './maxent.js';
export * from './steps.js';
export * from './registry.js';
