import { cleanLine } from '../sanitize.js';
import type { IdfIperfErrorCode, IdfIperfEvent, IdfIperfGeneration, IdfIperfParseOptions, IdfIperfReport } from './events.js';

// Patterns follow upstream format strings (docs/idf-iperf.md lists them with their sources). Every
// pattern is anchored to the whole line after the ESP-IDF log prefix and a console prompt are removed,
// so a line cut short or glued to other output is ignored rather than misread.

/** `I (1234) tag: `, `W (12:00:01.250) iperf(id=0): `, `I (5) wifi:` (the Wi-Fi library omits the space). */
const LOG_PREFIX = /^[EWIDV] \((?:\d+|\d{1,2}:\d{2}:\d{2}\.\d{3})\) [^\s:]+: ?/;
/** The REPL prompt `iperf> ` (ESP-IDF >= v4.3 sets `iperf>`; the REPL adds the space) or v3.x's `esp32> `. */
const PROMPT = /^((?:iperf|esp32[a-z0-9]*)>)(?: |$)/;

/** Removes one ESP-IDF log prefix; returns the message and the prefix's level letter (or null). */
export function stripIdfLogPrefix(line: string): { level: string | null; tag: string | null; message: string } {
  const m = LOG_PREFIX.exec(line);
  if (!m) return { level: null, tag: null, message: line };
  const prefix = m[0];
  const tag = prefix.slice(prefix.indexOf(') ') + 2).replace(/: ?$/, '');
  return { level: prefix[0]!, tag, message: line.slice(prefix.length) };
}

const NUM = String.raw`(\d+(?:\.\d+)?)`;
const IPV4 = String.raw`(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})`;

// Report headers. Generation 1 prints "\n%16s %s\n" with "Interval", "Bandwidth": eight spaces, one
// space between. Generation 2 prints "\nInterval       Bandwidth\n". Generation 3 "\n[ ID] Interval\t\tTransfer\tBandwidth\n".
const HEADER_1 = /^\s*Interval Bandwidth$/;
const HEADER_2 = /^\s*Interval {2,}Bandwidth$/;
const HEADER_3 = /^\[ ID\] Interval\s+Transfer\s+Bandwidth$/;

// Generation 1: "%4d-%4d sec       %.2f Mbits/sec\n" (later "%.2f %cbits/sec" with M, K or NUL).
const REPORT_1 = new RegExp(String.raw`^\s*(\d+)-\s*(\d+) sec\s+${NUM} ([KMG]?)bits/sec$`);
// Generation 2: "%2d.0-%2d.0 sec  %.2f %cbits/sec\n".
const REPORT_2 = new RegExp(String.raw`^\s*(\d+)\.0-\s*(\d+)\.0 sec\s+${NUM} ([KMG]?)bits/sec$`);
// Generation 3: "[%3d] %2u.0-%2u.0 sec\t%2.2f %cBytes\t%.2f %cbits/sec\n" and, since 1.0.2, "%c%ss/sec"
// (bits or Bytes). With `-f b` the unit character is NUL, which cleanLine drops: "123.00 Bytes".
const REPORT_3 = new RegExp(
  String.raw`^\[\s*(\d+)\]\s+(\d+)\.(\d)-\s*(\d+)\.(\d) sec\s+${NUM} ([KMG]?)Bytes\s+${NUM} ([KMG]?)(bits|Bytes)/sec$`,
);

// "[%3d] local %s:%u connected to %s:%u" and the IPv6 form "[%3d] local [%s]:%u connected to [%s]:%u".
const CONNECT_INFO = /^\[\s*(\d+)\] local (\[[^\]]+\]|[^\s]+):(\d{1,5}) connected to (\[[^\]]+\]|[^\s]+):(\d{1,5})$/;
// "mode=%s-%s sip=%d.%d.%d.%d:%d, dip=%d.%d.%d.%d:%d, interval=%d, time=%d" (iperf-cmd: "sip=%s%s%s:%d", IPv6 in brackets).
const IPERF_START = /^mode=(tcp|udp)-(client|server) sip=(.+?):(\d{1,5}), dip=(.+?):(\d{1,5}), interval=(\d+), time=(\d+)$/;
// "accept: %s,%d" (example and iperf 0.1.x); iperf 1.x logs "accept: %s:%d" at debug level.
const ACCEPT = /^accept: (.+?)[,:](\d{1,5})$/;

// esp_netif_handlers (ESP-IDF >= v4.1): "%s ip: " IPSTR ", mask: " IPSTR ", gw: " IPSTR with "sta";
// tcpip_adapter (v4.0) and the v3.x event handler: "sta ip: " IPSTR ", mask: " IPSTR ", gw: " IPSTR.
const STA_IP = new RegExp(String.raw`^sta ip: ${IPV4}, mask: ${IPV4}, gw: ${IPV4}$`);
// esp-qa/wifi-cmd: "IP_EVENT_STA_GOT_IP: Interface \"%s\" address: " IPSTR
const WIFI_CMD_GOT_IP = new RegExp(String.raw`^IP_EVENT_STA_GOT_IP: Interface "sta" address: ${IPV4}$`);
const STA_CONNECTING = /^sta connecting to '(.*)'$/;
const WIFI_CMD_DISCONNECTED = /^WIFI_EVENT_STA_DISCONNECTED! reason: (\d+)$/;

// cmd_system's `heap`: "min heap size: %u\n" (some copies capitalise it).
const MIN_HEAP = /^min heap size: (\d+)$/i;

// The example's scan handler: "[%s][rssi=%d]", later with an optional "[FTM Responder]" suffix.
// The SSID is free text, so the greedy group runs to the last "][rssi=".
const SCAN_EXAMPLE = /^\[(.*)\]\[rssi=(-?\d+)\](?:\[FTM Responder\])?$/;
// wifi-cmd: "+SCAN:[" MACSTR "][%s][rssi=%d][authmode=%d][ch=%d][second=%d][%s]" plus HE fields on some chips.
const SCAN_WIFI_CMD = /^\+SCAN:\[([0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5})\]\[(.*)\]\[rssi=(-?\d+)\]\[authmode=\d+\]\[ch=(\d+)\](?:\[.*\])?$/;
const SCAN_DONE_COUNT = /^SCAN_DONE: Found (\d+) APs$/;

const SOCKET_ERRORS = [
  // iperf_show_socket_error_reason: "%s error, error code: %d, reason: %s" ("tcp client connect error, ...").
  /^(?:tcp|udp) (?:client|server) [a-z]+ error, error code: -?\d+, reason: /,
  // common_components / iperf 0.1.x ESP_GOTO_ON_FALSE messages.
  /^(?:Unable to create socket|Socket unable to connect|Socket unable to bind|Unable to accept connection|Error occurred during listen): errno -?\d+/,
  /^udp client send abort: err=-?\d+$/,
];

const EXACT_ERRORS: ReadonlyMap<string, IdfIperfErrorCode> = new Map<string, IdfIperfErrorCode>([
  ['iperf is running', 'iperf-running'],
  ['should specific client/server mode', 'invalid-argument'],
  ['Invalid iperf ID', 'invalid-argument'],
  ['invalid destination address', 'invalid-argument'],
  ['invalid address to bind', 'invalid-argument'],
  ['invalid parallel number', 'invalid-argument'],
  ['parallel option should not be used with server mode or specific instance id', 'invalid-argument'],
  ['password less than 8', 'invalid-argument'],
  ['sta has no IP', 'no-ip'],
  ['create buffer: out of memory', 'out-of-memory'],
  ['create buffer: not enough memory', 'out-of-memory'],
  ['Unrecognized command', 'unknown-command'],
]);

// argtable3's arg_print_errors: "<command>: " then e.g. `missing option -c|--client=<host>`,
// `invalid option "-x"`, `unexpected argument "foo"`, `excess option ...`, `too many errors`.
const ARGTABLE_ERROR = /^[\w.-]+: (?:missing option|invalid option|unexpected argument|invalid argument|excess option|too many errors|malformed)\b/;
const CONSOLE_FAILED = /^(?:Command returned non-zero error code: 0x[0-9a-fA-F]+|Internal error: .+)$/;
const INSTANCE_IN_USE = /^iperf instance id -?\d+ already in use\.$/;

const STOPPING = /^(?:wait current iperf to stop \.\.\.|waiting for iperf instance id=-?\d+ to stop\.\.\.)$/;
const STOPPED = /^(?:iperf exit|DONE\.IPERF_STOP,OK\.?)$/;

const POWER: Readonly<Record<string, number>> = { '': 0, K: 1, M: 2, G: 3 };

function scaled(value: number, prefix: string, base: number): number {
  return value * base ** (POWER[prefix] ?? 0);
}

function header(message: string): IdfIperfGeneration | null {
  if (HEADER_3.test(message)) return 3;
  if (HEADER_1.test(message)) return 1;
  if (HEADER_2.test(message)) return 2;
  return null;
}

function report(message: string, opts: IdfIperfParseOptions): IdfIperfReport | null {
  const g3 = REPORT_3.exec(message);
  if (g3) {
    const [, id, s, sFrac, e, eFrac, transfer, transferPrefix, rate, ratePrefix, rateKind] = g3;
    const startS = Number(s) + Number(sFrac) / 10;
    const endS = Number(e) + Number(eFrac) / 10;
    if (!(endS > startS)) return null;
    // iperf 1.x: with a bits format (b/k/m) both columns use 1000; with a Bytes format (K/M) both use 1024.
    const base = rateKind === 'Bytes' ? 1024 : 1000;
    const rateValue = Number(rate);
    return {
      type: 'report',
      generation: 3,
      id: Number(id),
      startS,
      endS,
      fromStart: startS === 0,
      bytes: Math.round(scaled(Number(transfer), transferPrefix!, base)),
      bitsPerSecond: scaled(rateValue, ratePrefix!, base) * (rateKind === 'Bytes' ? 8 : 1),
      rate: { value: rateValue, unit: `${ratePrefix}${rateKind}/sec` },
      transfer: { value: Number(transfer), unit: `${transferPrefix}Bytes` },
    };
  }
  const g2 = REPORT_2.exec(message);
  const g1 = g2 ? null : REPORT_1.exec(message);
  const m = g2 ?? g1;
  if (!m) return null;
  const [, s, e, rate, prefix] = m;
  const startS = Number(s);
  const endS = Number(e);
  if (!(endS > startS)) return null;
  // Generation 2 (iperf 0.1.x) divides by 1024 per step. Generation 1: see IdfIperfParseOptions.
  const base = g2 || prefix === 'K' || opts.legacyMegabit === 'binary' ? 1024 : 1000;
  const value = Number(rate);
  return {
    type: 'report',
    generation: g2 ? 2 : 1,
    id: null,
    startS,
    endS,
    fromStart: startS === 0,
    bytes: null,
    bitsPerSecond: scaled(value, prefix!, base),
    rate: { value, unit: `${prefix}bits/sec` },
    transfer: null,
  };
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function port(text: string): number | null {
  const n = Number(text);
  return n <= 65535 ? n : null;
}

function validIpv4(ip: string): boolean {
  return ip.split('.').every((part) => Number(part) <= 255);
}

/** Classifies a message (no log prefix, no prompt). */
function classify(message: string, opts: IdfIperfParseOptions): IdfIperfEvent | null {
  if (message === '') return null;

  const gen = header(message);
  if (gen !== null) return { type: 'report-header', generation: gen };
  const rep = report(message, opts);
  if (rep) return rep;

  if (STOPPED.test(message)) return { type: 'iperf-stopped' };
  if (STOPPING.test(message)) return { type: 'iperf-stopping' };

  const start = IPERF_START.exec(message);
  if (start) {
    const [, protocol, role, sip, sport, dip, dport, interval, time] = start;
    const sourcePort = port(sport!);
    const destinationPort = port(dport!);
    if (sourcePort === null || destinationPort === null) return null;
    return {
      type: 'iperf-start',
      protocol: protocol as 'tcp' | 'udp',
      role: role as 'client' | 'server',
      sourceIp: unbracket(sip!),
      sourcePort,
      destinationIp: unbracket(dip!),
      destinationPort,
      intervalS: Number(interval),
      timeS: Number(time),
    };
  }

  const info = CONNECT_INFO.exec(message);
  if (info) {
    const localPort = port(info[3]!);
    const remotePort = port(info[5]!);
    if (localPort === null || remotePort === null) return null;
    return { type: 'connect-info', id: Number(info[1]), local: unbracket(info[2]!), localPort, remote: unbracket(info[4]!), remotePort };
  }

  const accept = ACCEPT.exec(message);
  if (accept) {
    const p = port(accept[2]!);
    return p === null ? null : { type: 'accept', host: accept[1]!, port: p };
  }

  const staIp = STA_IP.exec(message);
  if (staIp) {
    const [, ip, mask, gw] = staIp;
    if (![ip!, mask!, gw!].every(validIpv4)) return null;
    return { type: 'sta-connected', ip: ip!, mask: mask!, gw: gw! };
  }
  const gotIp = WIFI_CMD_GOT_IP.exec(message);
  if (gotIp) return validIpv4(gotIp[1]!) ? { type: 'sta-connected', ip: gotIp[1]!, mask: null, gw: null } : null;
  const connecting = STA_CONNECTING.exec(message);
  if (connecting) return { type: 'sta-connecting', ssid: connecting[1]! };
  if (message === 'WIFI_EVENT_STA_CONNECTED!') return { type: 'sta-associated' };
  if (message === 'sta disconnect, reconnect...') return { type: 'disconnected', reason: null, reconnecting: true };
  if (message === 'sta disconnect') return { type: 'disconnected', reason: null, reconnecting: false };
  const disc = WIFI_CMD_DISCONNECTED.exec(message);
  if (disc) return { type: 'disconnected', reason: Number(disc[1]), reconnecting: false };

  const heap = MIN_HEAP.exec(message);
  if (heap) return { type: 'min-heap', bytes: Number(heap[1]) };

  const wifiCmdScan = SCAN_WIFI_CMD.exec(message);
  if (wifiCmdScan) {
    const [, bssid, ssid, rssi, channel] = wifiCmdScan;
    return { type: 'scan-entry', ssid: ssid!, rssi: Number(rssi), channel: Number(channel), bssid: bssid!.toLowerCase() };
  }
  const scan = SCAN_EXAMPLE.exec(message);
  if (scan) return { type: 'scan-entry', ssid: scan[1]!, rssi: Number(scan[2]), channel: null, bssid: null };
  const found = SCAN_DONE_COUNT.exec(message);
  if (found) return { type: 'scan-done', count: Number(found[1]) };
  if (message === 'sta scan done') return { type: 'scan-done', count: null };
  if (message === 'No AP found' || message === 'SCAN_DONE: No AP found') return { type: 'scan-done', count: 0 };

  const exact = EXACT_ERRORS.get(message);
  if (exact) return { type: 'error', code: exact, message };
  if (INSTANCE_IN_USE.test(message)) return { type: 'error', code: 'iperf-running', message };
  if (SOCKET_ERRORS.some((re) => re.test(message))) return { type: 'error', code: 'socket', message };
  if (ARGTABLE_ERROR.test(message)) return { type: 'error', code: 'invalid-argument', message };
  if (CONSOLE_FAILED.test(message)) return { type: 'error', code: 'command-failed', message };
  return null;
}

/**
 * The event for one console line of the ESP-IDF iperf example / iperf-cmd, or null when the line is
 * none of theirs (other logs, partial or garbled lines). The line may still carry colour codes, control
 * bytes, a trailing CR, an ESP-IDF log prefix (`I (1234) iperf: `) or a console prompt (`iperf> `).
 *
 * A prompt followed by text that is itself an event (async output printed after the prompt) yields that
 * event; a prompt alone or followed by an echoed command yields a `prompt` event.
 */
export function parseIdfIperfLine(line: string, opts: IdfIperfParseOptions = {}): IdfIperfEvent | null {
  const text = cleanLine(typeof line === 'string' ? line : String(line));
  const prompt = PROMPT.exec(text);
  if (prompt) {
    const rest = text.slice(prompt[0].length).trim();
    const inner = rest === '' ? null : classify(stripIdfLogPrefix(rest).message, opts);
    return inner ?? { type: 'prompt', prompt: prompt[1]!, command: rest === '' ? null : rest };
  }
  return classify(stripIdfLogPrefix(text).message, opts);
}
