export * from './session.js';
export * from './run-v1.js';
