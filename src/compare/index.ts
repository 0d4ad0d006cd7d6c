/**
 * Same score, different insides (docs/compare.md): the perturbation fingerprint of a model as one
 * tidy row, circuits verified by ablation, and the comparison of groups of models feature by
 * feature. Pure functions of a model, its data and a seed (fingerprint.ts, cppn.ts, circuit.ts,
 * compare.ts); `runCompare` (run.ts) is the command's one call.
 */
export * from './types.js';
export * from './circuit.js';
export * from './features.js';
export * from './fingerprint.js';
export * from './cppn.js';
export * from './compare.js';
export * from './controls.js';
export * from './tables.js';
export { openSources, openSource, type ModelSource, type SourceOptions, type TaskHint } from './sources.js';
export { runCompare, circuitEdges, SAME_PICTURE_SSIM, type CompareRunOptions } from './run.js';
export type { CompareResult, ComparedModel, CppnPlanOptions, DrawingMatch } from './result.js';
