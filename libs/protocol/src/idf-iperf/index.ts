export type {
  IdfIperfErrorCode,
  IdfIperfEvent,
  IdfIperfEventOf,
  IdfIperfEventType,
  IdfIperfGeneration,
  IdfIperfParseOptions,
  IdfIperfQuantity,
  IdfIperfReport,
} from './events.js';
export { parseIdfIperfLine, stripIdfLogPrefix } from './lines.js';
export { IdfIperfReportReader, type IdfIperfTestResult } from './reader.js';
