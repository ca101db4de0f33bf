import { EOL_MODES, type EolMode } from '../wifi-bench-sim/options.js';
import { SimUriError } from '../wifi-bench-sim/sim-uri.js';
import { WIFI_CHIPS, isWifiChip, type ChipName } from '../wifi-bench-sim/chips.js';

export { SimUriError };

/**
 * Report generations of the ESP-IDF iperf console (see firmware-fixtures/README.md):
 * 1: IDF v4.x examples/wifi/iperf (cmd_wifi.c + components/iperf), `%4d-%4d sec       %.2f Mbits/sec`;
 * 2: iperf-cmd 0.1.x (IDF v5.3-era example), `%2d.0-%2d.0 sec  %.2f Mbits/sec`;
 * 3: iperf-cmd 1.0.x, `[  1]  0.0- 1.0 sec\t2.41 MBytes\t20.21 Mbits/sec`.
 */
export const REPORT_GENERATIONS = [1, 2, 3] as const;
export type ReportGeneration = (typeof REPORT_GENERATIONS)[number];

export const IDF_IPERF_FAULTS = ['no-prompt', 'reject-iperf'] as const;
export type IdfIperfFault = (typeof IDF_IPERF_FAULTS)[number];

export interface IdfIperfSimOptions {
  chip: ChipName;
  /** The board's address: source of its client sockets, listen address of its servers, printed as `sta ip`. */
  ip: string;
  /** Bytes per second the board moves in either direction (TCP and UDP). */
  rate: number;
  report: ReportGeneration;
  /** The AP the board can join. */
  ssid: string;
  password: string;
  /** RSSI of the configured AP in scan results. */
  rssi: number;
  /** Seconds from the ROM banner to the prompt. */
  bootS: number;
  /** Seconds from `sta`/`sta_connect` to the IP (and between reconnect attempts). */
  connectS: number;
  /** Send iperf 2's end-of-test datagrams (negative sequence numbers) after a UDP client test. */
  udpFin: boolean;
  seed: number;
  faults: IdfIperfFault[];
  /** ESP-IDF's newlib turns `\n` into `\r\n` on the console: `crlf` (default). */
  eol: EolMode;
}

export const IDF_IPERF_URI_PARAMETERS = [
  'fw',
  'ip',
  'rate',
  'report',
  'ssid',
  'password',
  'rssi',
  'boot',
  'connect',
  'udp_fin',
  'seed',
  'fault',
  'eol',
] as const;
type Param = (typeof IDF_IPERF_URI_PARAMETERS)[number];

const VALID = `valid parameters: ${IDF_IPERF_URI_PARAMETERS.join(', ')}`;

function bad(name: string, expected: string, got: string): SimUriError {
  return new SimUriError(`sim URI parameter '${name}' must be ${expected}, got '${got}' (${VALID})`, name);
}

function num(name: string, raw: string, expected: string, ok: (n: number) => boolean): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || !ok(value)) throw bad(name, expected, raw);
  return value;
}

/** Parses `sim:<chip>?fw=idf-iperf&k=v...`. Pure; throws SimUriError naming the bad parameter. */
export function parseIdfIperfSimUri(uri: string): IdfIperfSimOptions {
  const match = /^sim:([^?#]*)(?:\?([^#]*))?$/.exec(uri.trim());
  const chips = `valid chips: ${WIFI_CHIPS.join(', ')}`;
  if (!match) throw new SimUriError(`not a sim URI: '${uri}' (expected sim:<chip>?fw=idf-iperf&k=v..., ${chips})`);
  const chip = (match[1] ?? '').toLowerCase();
  if (!isWifiChip(chip)) throw new SimUriError(`unknown chip '${chip}' in sim URI '${uri}' (${chips})`);
  const raw: Partial<Record<Param, string>> = {};
  const faults: IdfIperfFault[] = [];
  for (const [name, value] of new URLSearchParams(match[2] ?? '')) {
    if (!(IDF_IPERF_URI_PARAMETERS as readonly string[]).includes(name)) {
      throw new SimUriError(`unknown sim URI parameter '${name}' (${VALID})`, name);
    }
    if (name === 'fault') {
      for (const entry of value.split(',').map((e) => e.trim()).filter((e) => e !== '')) {
        if (!(IDF_IPERF_FAULTS as readonly string[]).includes(entry)) throw bad('fault', IDF_IPERF_FAULTS.join('|'), entry);
        faults.push(entry as IdfIperfFault);
      }
      continue;
    }
    if (raw[name as Param] !== undefined) throw new SimUriError(`sim URI parameter '${name}' is given more than once (${VALID})`, name);
    raw[name as Param] = value;
  }
  if (raw.fw !== undefined && raw.fw !== 'idf-iperf') throw bad('fw', "'idf-iperf'", raw.fw);
  let ip = '127.0.0.2';
  if (raw.ip !== undefined) {
    const octets = raw.ip.split('.').map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
    if (octets.length !== 4 || octets.some((o) => !(o >= 0 && o <= 255)) || octets[0] !== 127) {
      throw bad('ip', 'an IPv4 address in 127.0.0.0/8', raw.ip);
    }
    ip = octets.join('.');
  }
  let eol: EolMode = 'crlf';
  if (raw.eol !== undefined) {
    if (!(EOL_MODES as readonly string[]).includes(raw.eol)) throw bad('eol', EOL_MODES.join('|'), raw.eol);
    eol = raw.eol as EolMode;
  }
  const text = (name: 'ssid' | 'password', fallback: string, max: number): string => {
    const value = raw[name] ?? fallback;
    if (!/^[\x21-\x7e]*$/.test(value) || value.length > max || (name === 'ssid' && value.length === 0)) {
      throw bad(name, `1 to ${max} printable ASCII characters without spaces`, value);
    }
    return value;
  };
  if (raw.udp_fin !== undefined && !['0', '1'].includes(raw.udp_fin)) throw bad('udp_fin', '0 or 1', raw.udp_fin);
  if (raw.seed !== undefined && !/^\d+$/.test(raw.seed)) throw bad('seed', 'a non-negative integer', raw.seed);
  return {
    chip,
    ip,
    rate: raw.rate === undefined ? 1_000_000 : num('rate', raw.rate, 'a positive number of bytes per second', (n) => n > 0),
    report: (raw.report === undefined ? 3 : num('report', raw.report, '1, 2 or 3', (n) => n === 1 || n === 2 || n === 3)) as ReportGeneration,
    ssid: text('ssid', 'espbench-ap', 32),
    password: text('password', 'espbench-pass', 64),
    rssi: raw.rssi === undefined ? -45 : num('rssi', raw.rssi, 'an integer dBm in -100..0', (n) => Number.isInteger(n) && n >= -100 && n <= 0),
    bootS: raw.boot === undefined ? 0.2 : num('boot', raw.boot, 'a number of seconds >= 0', (n) => n >= 0),
    connectS: raw.connect === undefined ? 0.3 : num('connect', raw.connect, 'a number of seconds >= 0', (n) => n >= 0),
    udpFin: raw.udp_fin !== '0',
    seed: raw.seed === undefined ? 1 : Number(raw.seed),
    faults,
    eol,
  };
}
