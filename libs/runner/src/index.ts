export * from './bench.js';
export * from './broker.js';
export * from './device-run.js';
export * from './event-queue.js';
export * from './progress.js';
export * from './timeouts.js';
export * from './v1/index.js';
export * from './idf-ble.js';
