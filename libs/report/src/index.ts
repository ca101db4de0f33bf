export * from './format.js';
export * from './data.js';
export { buildReport, echartsBundle } from './html.js';
