export * from './series.js';
export * from './point.js';
export * from './points.js';
