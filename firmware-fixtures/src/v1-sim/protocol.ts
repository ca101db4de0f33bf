import {
  BLE_PHYS,
  SCENARIOS,
  radioOf,
  type BlePhy,
  type Capability,
  type Radio,
  type Scenario,
} from './options.js';

export const MARKER = '@espbench ';
export const MAX_LINE_BYTES = 4096;

export type ErrorCode =
  | 'connect-failed'
  | 'peer-not-found'
  | 'disconnected'
  | 'timeout'
  | 'unsupported'
  | 'busy'
  | 'bad-command'
  | 'internal';

export type Message = { type: string } & Record<string, unknown>;

/** One protocol line (without terminator). JSON.stringify never emits a raw newline. */
export function encodeMessage(message: Message): string {
  return MARKER + JSON.stringify(message);
}

/** Splits UART RX bytes into lines (`\n` or `\r\n`). Over-long lines are dropped whole. */
export class LineSplitter {
  private pending = '';
  private overflow = false;

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer | string): void {
    const text = this.pending + (typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    const parts = text.split('\n');
    this.pending = parts.pop() ?? '';
    for (const part of parts) {
      if (this.overflow) {
        this.overflow = false;
        continue;
      }
      const line = part.endsWith('\r') ? part.slice(0, -1) : part;
      if (Buffer.byteLength(line) <= MAX_LINE_BYTES) this.onLine(line);
    }
    if (Buffer.byteLength(this.pending) > MAX_LINE_BYTES) {
      this.pending = '';
      this.overflow = true;
    }
  }
}

export type ParsedLine = { kind: 'not-protocol' } | { kind: 'bad'; message: string } | { kind: 'command'; command: Message };

export function parseCommandLine(line: string): ParsedLine {
  if (!line.startsWith(MARKER)) return { kind: 'not-protocol' };
  let value: unknown;
  try {
    value = JSON.parse(line.slice(MARKER.length));
  } catch (err) {
    return { kind: 'bad', message: `not JSON: ${(err as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { kind: 'bad', message: 'not a JSON object' };
  const type = (value as Record<string, unknown>).type;
  if (typeof type !== 'string') return { kind: 'bad', message: 'missing "type"' };
  return { kind: 'command', command: value as Message };
}

export interface RunSpec {
  id: string;
  scenario: Scenario;
  radio: Radio;
  durationMs: number;
  /** WiFi scenarios. */
  host: { ip: string; port: number } | null;
  payload: number | null;
  rate: number | null;
  role: 'central' | 'peripheral' | null;
  peer: string | null;
  phy: BlePhy;
  mtu: number;
  connIntervalMs: number;
}

export type RunValidation = { ok: true; spec: RunSpec } | { ok: false; id: string | null; code: ErrorCode; message: string };

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const BLE_ADDRESS = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** Defaults for absent optional fields (spec: TCP 1024, UDP 1400, BLE MTU − 3). */
export const DEFAULT_TCP_PAYLOAD = 1024;
export const DEFAULT_UDP_PAYLOAD = 1400;
export const UDP_HEADER_BYTES = 16;

/**
 * Checks a `run` command against the spec and the board's capabilities: `bad-command` for a missing or
 * malformed field, `unsupported` for an unknown scenario or one the board does not announce.
 */
export function validateRun(cmd: Record<string, unknown>, capabilities: readonly Capability[]): RunValidation {
  const id = typeof cmd.id === 'string' && cmd.id !== '' ? cmd.id : null;
  const bad = (message: string): RunValidation => ({ ok: false, id, code: 'bad-command', message });
  if (id === null) return bad('run needs a non-empty string "id"');
  const scenario = cmd.scenario;
  if (typeof scenario !== 'string') return bad('run needs a string "scenario"');
  if (!(SCENARIOS as readonly string[]).includes(scenario)) {
    return { ok: false, id, code: 'unsupported', message: `unknown scenario '${scenario}'` };
  }
  const radio = radioOf(scenario as Scenario);
  const role = cmd.role;
  if (radio === 'ble' && role !== 'central' && role !== 'peripheral') return bad(`${scenario} needs "role": "central" or "peripheral"`);
  const capability = radio === 'ble' ? `${scenario}-${role as string}` : scenario;
  if (!(capabilities as readonly string[]).includes(capability)) {
    return { ok: false, id, code: 'unsupported', message: `this board does not announce '${capability}'` };
  }
  if (!isInt(cmd.duration_ms) || cmd.duration_ms <= 0) return bad('"duration_ms" must be a positive integer');

  let host: RunSpec['host'] = null;
  if (radio === 'wifi') {
    const h = cmd.host as Record<string, unknown> | undefined;
    if (typeof h !== 'object' || h === null || typeof h.ip !== 'string' || !IPV4.test(h.ip)) {
      return bad(`${scenario} needs "host": {"ip": IPv4, "port": integer}`);
    }
    if (!isInt(h.port) || h.port < 1 || h.port > 65535) return bad('"host.port" must be an integer in 1..65535');
    host = { ip: h.ip, port: h.port };
  }

  let payload: number | null = null;
  if (cmd.payload !== undefined) {
    if (!isInt(cmd.payload) || cmd.payload < 1) return bad('"payload" must be a positive integer');
    payload = cmd.payload;
    if (scenario.startsWith('wifi-udp') && (payload < UDP_HEADER_BYTES || payload > 65507)) {
      return bad(`UDP "payload" must be in ${UDP_HEADER_BYTES}..65507 (it includes the 16-byte header)`);
    }
  }
  let rate: number | null = null;
  if (cmd.rate !== undefined) {
    if (typeof cmd.rate !== 'number' || !(cmd.rate > 0)) return bad('"rate" must be a positive number of bytes per second');
    rate = cmd.rate;
  }

  let phy: BlePhy = '1M';
  if (cmd.phy !== undefined) {
    if (!(BLE_PHYS as readonly unknown[]).includes(cmd.phy)) return bad(`"phy" must be one of ${BLE_PHYS.join(', ')}`);
    phy = cmd.phy as BlePhy;
  }
  let mtu = 247;
  if (cmd.mtu !== undefined) {
    if (!isInt(cmd.mtu) || cmd.mtu < 23 || cmd.mtu > 517) return bad('"mtu" must be an integer in 23..517');
    mtu = cmd.mtu;
  }
  let connIntervalMs = 7.5;
  if (cmd.conn_interval_ms !== undefined) {
    const v = cmd.conn_interval_ms;
    if (typeof v !== 'number' || !(v >= 7.5 && v <= 4000)) return bad('"conn_interval_ms" must be a number in 7.5..4000');
    connIntervalMs = v;
  }
  let peer: string | null = null;
  if (radio === 'ble') {
    if (role === 'central') {
      if (typeof cmd.peer !== 'string' || !BLE_ADDRESS.test(cmd.peer)) return bad('a BLE central needs "peer": "aa:bb:cc:dd:ee:ff"');
      peer = cmd.peer.toLowerCase();
    }
    if (payload !== null && payload > mtu - 3) return bad(`BLE "payload" ${payload} does not fit MTU ${mtu} (at most ${mtu - 3})`);
  }

  return {
    ok: true,
    spec: {
      id,
      scenario: scenario as Scenario,
      radio,
      durationMs: cmd.duration_ms,
      host,
      payload,
      rate,
      role: radio === 'ble' ? (role as 'central' | 'peripheral') : null,
      peer,
      phy,
      mtu,
      connIntervalMs,
    },
  };
}
