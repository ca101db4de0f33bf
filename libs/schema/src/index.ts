export * from './run-record.js';
export * from './labels.js';
export * from './chips.js';
