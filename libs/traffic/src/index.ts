export * from './types.js';
export { TrafficServer, type ConnectionFilter, type TrafficServerEvents } from './server.js';
export { MeteredConnection, type MeteredConnectionEvents } from './connection.js';
export { PortInUseError, ListenError, ConnectionTimeoutError } from './errors.js';
export { normalizeAddress } from './address.js';
export { lowerEnvelope, SampleLog, type EnvelopeOptions, type EnvelopeResult } from './estimator.js';
export { findFreePortBase } from './free-ports.js';
export {
  UDP_MAGIC,
  UDP_HEADER_BYTES,
  UDP_MAX_PAYLOAD,
  writeUdpHeader,
  readUdpHeader,
  encodeUdpDatagram,
  encodeUdpHello,
  parseUdpHello,
  type UdpHeader,
} from './udp-datagram.js';
export {
  UdpReceiver,
  type UdpReceiverOptions,
  type UdpReceiverSummary,
  type UdpReceiverEvents,
  type UdpIntervalSample,
  type UdpDatagramInfo,
} from './udp-receiver.js';
export {
  UdpSender,
  type UdpSenderOptions,
  type UdpSenderSummary,
  type UdpSenderEvents,
  type UdpSenderState,
  type UdpPeer,
} from './udp-sender.js';
export {
  findIperf2,
  startIperf2Server,
  runIperf2Client,
  parseIperf2Csv,
  pickFreePort,
  Iperf2Server,
  Iperf2Error,
  Iperf2MissingError,
  Iperf2VersionError,
  type Iperf2Binary,
  type FindIperf2Options,
  type Iperf2Endpoint,
  type Iperf2Report,
  type Iperf2UdpFields,
  type Iperf2ServerOptions,
  type Iperf2ServerEvents,
  type Iperf2ClientOptions,
  type Iperf2ClientResult,
} from './iperf2.js';
