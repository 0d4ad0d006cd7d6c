/**
 * weightscope as a library. Each concern is a namespace with its own public surface; the CLI
 * (`weightscope`) is built on exactly these functions.
 */
export * as core from './core/index.js';
export * as formats from './formats/index.js';
export * as data from './data/index.js';
export * as model from './model/index.js';
export * as stats from './stats/index.js';
export * as graph from './graph/index.js';
export * as randomize from './randomize/index.js';
export * as probes from './probes/index.js';
export * as report from './report/index.js';
