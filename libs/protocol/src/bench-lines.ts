import type { BoardEvent } from './events.js';
import { scenarioForLabel } from './scenarios.js';

// Lines printed by esp-hal's bench firmware (qa-test/src/bin/embassy_wifi_bench.rs and its 2024-2025
// predecessors). Both wording generations are accepted, e.g. `Wifi started!` (up to Feb 2026) and
// `Wifi configured and started!` (later). Every pattern is anchored to the whole line.

const EXACT: ReadonlyMap<string, () => BoardEvent> = new Map<string, () => BoardEvent>([
  ['Starting wifi', () => ({ type: 'wifi-starting' })],
  ['Wifi started!', () => ({ type: 'wifi-started' })],
  ['Wifi configured and started!', () => ({ type: 'wifi-started' })],
  ['About to connect...', () => ({ type: 'wifi-connecting' })],
  ['Wifi connected!', () => ({ type: 'wifi-connected', info: null })],
  ['Testing download...', () => ({ type: 'test-start', scenario: 'wifi-tcp-download' })],
  ['Testing upload...', () => ({ type: 'test-start', scenario: 'wifi-tcp-upload' })],
  ['Testing upload+download...', () => ({ type: 'test-start', scenario: 'wifi-tcp-updown' })],
  ['connected, testing...', () => ({ type: 'connected' })],
  ['read EOF', () => ({ type: 'read-eof' })],
  ['write zero?!??!?!', () => ({ type: 'write-zero' })],
]);

/** `<prefix><Debug text>` lines; the Debug text must be non-empty. */
const WITH_TEXT: ReadonlyArray<readonly [string, (text: string) => BoardEvent]> = [
  ['Wifi connected to ', (info) => ({ type: 'wifi-connected', info })],
  ['Failed to connect to wifi: ', (error) => ({ type: 'wifi-connect-failed', error })],
  ['Disconnected: ', (info) => ({ type: 'wifi-disconnected', info })],
  ['connect error: ', (error) => ({ type: 'connect-error', error })],
  ['read error: ', (error) => ({ type: 'read-error', error })],
  ['write error: ', (error) => ({ type: 'write-error', error })],
];

// `Got IP: 192.168.1.50/24` (embassy-net Ipv4Cidr Display). The prefix is optional to be lenient.
const GOT_IP = /^Got IP: (\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})(?:\/(\d{1,2}))?$/;
// `connecting to 192.168.1.2:4321...`; the host is Debug-printed, so older firmware shows `Address([..])`.
const CONNECTING = /^connecting to (.+):(\d{1,5})\.\.\.$/;
// `download: 123 kB/s`, `upload: ..`, `upload+download: ..`; N is integer KiB/s.
const RESULT = /^(download|upload|upload\+download): (\d{1,15}) kB\/s$/;

/** The bench event for a cleaned line, or null when the line is not one of the firmware's own. */
export function matchBenchLine(line: string): BoardEvent | null {
  const exact = EXACT.get(line);
  if (exact) return exact();

  for (const [prefix, make] of WITH_TEXT) {
    if (line.length > prefix.length && line.startsWith(prefix)) return make(line.slice(prefix.length));
  }

  const ip = GOT_IP.exec(line);
  if (ip?.[1] !== undefined) {
    const prefix = ip[2] === undefined ? null : Number(ip[2]);
    if (prefix === null || prefix <= 32) return { type: 'got-ip', ip: ip[1], prefix };
    return null;
  }

  const connecting = CONNECTING.exec(line);
  if (connecting?.[1] !== undefined && connecting[2] !== undefined) {
    const port = Number(connecting[2]);
    if (port <= 65535) return { type: 'connecting', host: connecting[1], port };
    return null;
  }

  const result = RESULT.exec(line);
  if (result?.[1] !== undefined && result[2] !== undefined) {
    const scenario = scenarioForLabel(result[1]);
    if (scenario) return { type: 'test-result', scenario, kibps: Number(result[2]) };
  }
  return null;
}

// esp-println's logger: `LEVEL - msg`, or `LEVEL (timestamp) - msg` with its `timestamp` feature.
const LOGGER = /^(ERROR|WARN|INFO|DEBUG|TRACE)(?: \(\d+\))? -(?: |$)/;

/** The esp-println log level of a cleaned line, or null when it is not a logger line. */
export function loggerLevel(line: string): string | null {
  return LOGGER.exec(line)?.[1] ?? null;
}
