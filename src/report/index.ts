/**
 * Public surface of the report module: summary.json, the claims check, d3 charts and the
 * self-contained report.html. Node only (html.ts renders SVG with jsdom); the viewer imports
 * `./browser.js` instead.
 */
export * from './browser.js';
export * from './html.js';
export * from './load.js';
export * from './layer-table.js';
export * from './model-table.js';
