export * from './convert.js';
export * from './compact.js';
export * from './export.js';
export * from './import.js';
