export { IdfIperfBoard, type IdfIperfBoardInit, type IdfIperfBoardEvents } from './board.js';
export {
  parseIdfIperfSimUri,
  SimUriError,
  IDF_IPERF_URI_PARAMETERS,
  IDF_IPERF_FAULTS,
  REPORT_GENERATIONS,
  type IdfIperfSimOptions,
  type ReportGeneration,
  type IdfIperfFault,
} from './options.js';
export { gen1Line, gen2Line, gen2Value, gen3Line, reportHeader, logLine, type OutputFormat } from './format.js';
export { parseIperfArgs, splitArgv, parseBandwidth, type IperfArgs } from './args.js';
export { encodeIperfDatagram } from './traffic.js';
export { PROMPT, IDF_VERSION } from './console-text.js';
export { IdfIperfSimProcess, idfIperfSimMainPath } from './driver.js';
