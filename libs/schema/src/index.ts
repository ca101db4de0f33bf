export * from './run-record.js';
export * from './labels.js';
