export * from './rng.js';
export * from './summary.js';
export * from './mann-whitney.js';
export * from './compare.js';
