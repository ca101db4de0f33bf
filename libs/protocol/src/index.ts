export type { BoardEvent, BoardEventOf, BoardEventType } from './events.js';
export { BoardParser, parseLines } from './parser.js';
export { DEFAULT_PORT_BASE, SCENARIO_LABELS, portForScenario, scenarioForLabel, scenarioForPort } from './scenarios.js';
export { ipv4FromHost } from './host.js';
export { MAX_LINE_CHARS, cleanLine } from './sanitize.js';
export { MAX_BACKTRACE_FRAMES, MAX_PANIC_LINE_CHARS, MAX_PANIC_MESSAGE_LINES } from './panic.js';
export * as v1 from './v1/index.js';
export * as idfIperf from './idf-iperf/index.js';
