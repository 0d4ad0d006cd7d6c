export * from './rng.js';
export * from './errors.js';
export * from './layer.js';
export * from './results.js';
