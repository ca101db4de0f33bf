export * from './device-uri.js';
export * from './errors.js';
export * from './exec-link.js';
export * from './framer.js';
export * from './link.js';
export * from './open.js';
export * from './serial-link.js';
export * from './tcp-link.js';
