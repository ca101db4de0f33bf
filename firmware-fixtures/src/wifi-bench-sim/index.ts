export { SimulatedBoard, type SimulatedBoardEvents, type SimulatedBoardInit } from './board.js';
export { parseSimUri, SimUriError, SIM_URI_PARAMETERS, type SimUriParameter } from './sim-uri.js';
export {
  DEFAULT_OPTIONS,
  DEFAULT_RATE,
  EOL_MODES,
  FAULT_KINDS,
  VARIANTS,
  type Fault,
  type EolMode,
  type FaultKind,
  type SimOptions,
  type Variant,
} from './options.js';
export { WIFI_CHIPS, NON_WIFI_CHIPS, type ChipName, type ResetCause } from './chips.js';
export {
  DEFAULT_PORT_BASE,
  IO_BUFFER_SIZE,
  PHASE_LABEL,
  PHASE_PORT_OFFSET,
  TEST_PHASES,
  firmwareKbps,
  type TestPhase,
} from './firmware.js';
export type { TestResult } from './round.js';
export { romBanner, bootloaderLines } from './banner.js';
export { panicLines, NO_BACKTRACE_NOTE, type PanicBlock } from './panic.js';
export { TokenBucket, bucketCapacity } from './token-bucket.js';
export { parseCliArgs, CliUsageError, USAGE, type CliArgs } from './cli.js';
