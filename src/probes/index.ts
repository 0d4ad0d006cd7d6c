export * from './kernels.js';
export * from './probes.js';
export * from './sweep.js';
