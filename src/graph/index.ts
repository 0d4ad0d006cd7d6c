export * from './convert.js';
export * from './export.js';
