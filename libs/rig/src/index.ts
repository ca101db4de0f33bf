export * from './agent.js';
export * from './devices.js';
export * from './job.js';
export * from './journal.js';
export * from './dispatch.js';
