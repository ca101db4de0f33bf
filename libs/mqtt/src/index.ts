export * from './topics.js';
export * from './payloads.js';
export * from './connect.js';
export * from './ingest.js';
