export * from './wifi-bench-sim/index.js';
