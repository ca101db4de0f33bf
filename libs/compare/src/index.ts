export * from './samples.js';
export * from './compare.js';
