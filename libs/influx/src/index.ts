export * from './series.js';
export * from './point.js';
export * from './points.js';
export * from './target.js';
export * from './spool.js';
export * from './writer.js';
export * from './publisher.js';
export * from './query.js';
