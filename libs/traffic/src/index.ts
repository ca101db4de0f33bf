export * from './types.js';
export { TrafficServer, type ConnectionFilter, type TrafficServerEvents } from './server.js';
export { MeteredConnection, type MeteredConnectionEvents } from './connection.js';
export { PortInUseError, ListenError, ConnectionTimeoutError } from './errors.js';
export { normalizeAddress } from './address.js';
export { lowerEnvelope, SampleLog, type EnvelopeOptions, type EnvelopeResult } from './estimator.js';
export { findFreePortBase } from './free-ports.js';
