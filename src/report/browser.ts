/**
 * The browser-safe part of the report module (no Node or jsdom imports): aggregation, charts,
 * summary and claims. The viewer imports this; Node code imports `./index.js`.
 */
export * from './aggregate.js';
export * from './charts.js';
export * from './summary.js';
export * from './claims.js';
export * from './allpairs.js';
