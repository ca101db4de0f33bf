export { V1Board, PANIC_HANG_MS, type V1BoardEvents, type V1BoardInit } from './board.js';
export { parseV1SimUri, SimUriError, V1_SIM_URI_PARAMETERS, type V1SimUriParameter } from './uri.js';
export {
  BLE_CAPABILITIES,
  BLE_PHYS,
  BLE_SCENARIOS,
  CAPABILITIES,
  FIRMWARE_NAME,
  PROTOCOL_VERSION,
  SCENARIOS,
  V1_DEFAULTS,
  V1_DEFAULT_RATE,
  V1_FAULT_KINDS,
  WIFI_SCENARIOS,
  type BlePhy,
  type Capability,
  type Radio,
  type Scenario,
  type V1Fault,
  type V1FaultKind,
  type V1SimOptions,
} from './options.js';
export { V1_CHIPS, CHIP_RADIOS, bleAddress, chipCapabilities, defaultMac, type V1ChipName } from './chips.js';
export {
  bleLinkModel,
  airtimeShares,
  PHY_MBPS,
  PACKET_OVERHEAD_BYTES,
  EMPTY_PACKET_BYTES,
  T_IFS_US,
  type LinkModel,
  type LinkParams,
} from './link-model.js';
export { LossPattern, LOSS_BLOCK } from './loss.js';
export { MARKER, encodeMessage, parseCommandLine, validateRun, type ErrorCode, type Message, type RunSpec } from './protocol.js';
export { ESB1_MAGIC, encodeDatagram, decodeDatagramHeader } from './wifi-udp.js';
export { defaultAirDir, airFile, lookupPeripheral } from './air.js';
export { parseV1CliArgs, V1_USAGE, type V1CliArgs } from './cli.js';
export { V1SimProcess, v1SimMainPath, type ReceivedMessage } from './driver.js';
export { startTcpStub, startUdpStub, type TcpStub, type TcpStubConnection, type UdpStub, type UdpStubDatagram } from './host-stub.js';
