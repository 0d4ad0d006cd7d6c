export * from './split.js';
export * from './predict.js';
export * from './evaluator.js';
export * from './backend.js';
export * from './mlp.js';
export * from './layers-format.js';
export * from './files.js';
export * from './pool.js';
