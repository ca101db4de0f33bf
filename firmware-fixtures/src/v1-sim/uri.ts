import { EOL_MODES, type EolMode } from '../wifi-bench-sim/options.js';
import { SimUriError } from '../wifi-bench-sim/sim-uri.js';
import { CHIP_RADIOS, V1_CHIPS, chipCapabilities, defaultMac, isV1Chip, parseMac } from './chips.js';
import {
  CAPABILITIES,
  V1_DEFAULTS,
  V1_DEFAULT_RATE,
  V1_FAULT_KINDS,
  type Capability,
  type RateKey,
  type V1Fault,
  type V1FaultKind,
  type V1SimOptions,
} from './options.js';

export { SimUriError };

export const V1_SIM_URI_PARAMETERS = [
  'fw',
  'mac',
  'ip',
  'boot',
  'version',
  'seed',
  'rate',
  'download_rate',
  'upload_rate',
  'updown_rate',
  'udp_download_rate',
  'udp_upload_rate',
  'loss',
  'ppe',
  'ble_margin_us',
  'ble_scale',
  'coex_wifi',
  'caps',
  'fault',
  'colors',
  'eol',
] as const;
export type V1SimUriParameter = (typeof V1_SIM_URI_PARAMETERS)[number];

const RATE_PARAMETERS: Partial<Record<V1SimUriParameter, RateKey>> = {
  download_rate: 'wifi-tcp-download',
  upload_rate: 'wifi-tcp-upload',
  updown_rate: 'wifi-tcp-updown',
  udp_download_rate: 'wifi-udp-download',
  udp_upload_rate: 'wifi-udp-upload',
};

const VALID_PARAMETERS = `valid parameters: ${V1_SIM_URI_PARAMETERS.join(', ')}`;
const VALID_CHIPS = `valid chips: ${V1_CHIPS.join(', ')}`;

function badValue(name: string, expected: string, got: string): SimUriError {
  return new SimUriError(`sim URI parameter '${name}' must be ${expected}, got '${got}' (${VALID_PARAMETERS})`, name);
}

function number(name: string, raw: string, expected: string, ok: (n: number) => boolean): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || !ok(value)) throw badValue(name, expected, raw);
  return value;
}

function loopbackIp(raw: string): string {
  const octets = raw.split('.').map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  if (octets.length !== 4 || octets.some((o) => !(o >= 0 && o <= 255)) || octets[0] !== 127) {
    throw badValue('ip', 'an IPv4 address in 127.0.0.0/8 (one per simulated board)', raw);
  }
  return octets.join('.');
}

const FAULT_SHAPE = `<kind>@<run> with kind in ${V1_FAULT_KINDS.join('|')} and run >= 1 (plain 'version' takes no @<run>)`;

function parseFault(entry: string): V1Fault {
  const text = entry.trim();
  if (text === 'version') return { kind: 'version', run: null };
  const [, kind, run] = /^([a-z-]+)@(\d+)$/.exec(text) ?? [];
  if (kind === undefined || kind === 'version' || !(V1_FAULT_KINDS as readonly string[]).includes(kind) || !(Number(run) >= 1)) {
    throw new SimUriError(`sim URI parameter 'fault' has a bad entry '${entry}': expected ${FAULT_SHAPE} (${VALID_PARAMETERS})`, 'fault');
  }
  return { kind: kind as V1FaultKind, run: Number(run) };
}

function parseCaps(raw: string, chip: V1SimOptions['chip']): Capability[] {
  const allowed = chipCapabilities(chip);
  const caps: Capability[] = [];
  for (const entry of raw.split(',').map((c) => c.trim()).filter((c) => c !== '')) {
    if (!(CAPABILITIES as readonly string[]).includes(entry)) {
      throw new SimUriError(
        `sim URI parameter 'caps' has an unknown capability '${entry}' (known: ${CAPABILITIES.join(', ')})`,
        'caps',
      );
    }
    if (!(allowed as string[]).includes(entry)) {
      throw new SimUriError(
        `sim URI parameter 'caps': ${chip} cannot announce '${entry}' (it has ${describeRadios(chip)}; possible: ${allowed.join(', ')})`,
        'caps',
      );
    }
    if (!caps.includes(entry as Capability)) caps.push(entry as Capability);
  }
  return caps;
}

function describeRadios(chip: V1SimOptions['chip']): string {
  const { wifi, ble } = CHIP_RADIOS[chip];
  return wifi && ble ? 'WiFi and BLE' : wifi ? 'WiFi only' : 'BLE only';
}

/**
 * Parses `sim:<chip>?fw=v1&k=v...` for the protocol-v1 firmware simulator (see firmware-fixtures/README.md).
 * Pure. Throws SimUriError (one line, naming the bad parameter and the valid ones).
 */
export function parseV1SimUri(uri: string): V1SimOptions {
  const match = /^sim:([^?#]*)(?:\?([^#]*))?$/.exec(uri.trim());
  if (!match) throw new SimUriError(`not a sim URI: '${uri}' (expected sim:<chip>?fw=v1&k=v..., ${VALID_CHIPS})`);
  const chip = (match[1] ?? '').toLowerCase();
  if (!isV1Chip(chip)) throw new SimUriError(`unknown chip '${chip}' in sim URI '${uri}' (${VALID_CHIPS})`);

  const seen = new Set<string>();
  const raw: Partial<Record<V1SimUriParameter, string>> = {};
  const faults: V1Fault[] = [];
  for (const [name, value] of new URLSearchParams(match[2] ?? '')) {
    if (!(V1_SIM_URI_PARAMETERS as readonly string[]).includes(name)) {
      throw new SimUriError(`unknown sim URI parameter '${name}' (${VALID_PARAMETERS})`, name);
    }
    if (name === 'fault') {
      for (const entry of value.split(',')) faults.push(parseFault(entry));
      continue;
    }
    if (seen.has(name)) throw new SimUriError(`sim URI parameter '${name}' is given more than once (${VALID_PARAMETERS})`, name);
    seen.add(name);
    raw[name as V1SimUriParameter] = value;
  }

  if (raw.fw !== undefined && raw.fw !== 'v1') throw badValue('fw', "'v1' (this is the protocol-v1 firmware simulator)", raw.fw);
  const ip = raw.ip === undefined ? V1_DEFAULTS.ip : loopbackIp(raw.ip);
  const seed = raw.seed === undefined ? V1_DEFAULTS.seed : Number(raw.seed);
  if (raw.seed !== undefined && (!/^\d+$/.test(raw.seed) || seed > 0xffffffff)) throw badValue('seed', 'an integer in 0..4294967295', raw.seed);

  let mac = defaultMac(chip, seed, ip);
  if (raw.mac !== undefined) {
    if (!parseMac(raw.mac)) throw badValue('mac', 'a MAC address aa:bb:cc:dd:ee:ff', raw.mac);
    mac = raw.mac.toLowerCase();
  }

  const positive = (n: number): boolean => n > 0;
  const rate = raw.rate === undefined ? V1_DEFAULT_RATE : number('rate', raw.rate, 'a positive number of bytes per second', positive);
  const rates = {} as Record<RateKey, number>;
  for (const [name, key] of Object.entries(RATE_PARAMETERS) as Array<[V1SimUriParameter, RateKey]>) {
    const value = raw[name];
    rates[key] = value === undefined ? rate : number(name, value, 'a positive number of bytes per second', positive);
  }

  const version = raw.version ?? V1_DEFAULTS.version;
  if (!/^[\x21-\x7e]{1,64}$/.test(version)) throw badValue('version', '1 to 64 printable ASCII characters without spaces', version);

  let eol: EolMode = V1_DEFAULTS.eol;
  if (raw.eol !== undefined) {
    if (!(EOL_MODES as readonly string[]).includes(raw.eol)) throw badValue('eol', `one of ${EOL_MODES.join('|')}`, raw.eol);
    eol = raw.eol as EolMode;
  }
  let colors: boolean = V1_DEFAULTS.colors;
  if (raw.colors !== undefined) {
    if (!['0', '1', 'true', 'false'].includes(raw.colors)) throw badValue('colors', '0 or 1', raw.colors);
    colors = raw.colors === '1' || raw.colors === 'true';
  }

  return {
    chip,
    mac,
    ip,
    bootS: raw.boot === undefined ? V1_DEFAULTS.bootS : number('boot', raw.boot, 'a number of seconds >= 0', (n) => n >= 0),
    version,
    seed,
    rates,
    loss: raw.loss === undefined ? V1_DEFAULTS.loss : number('loss', raw.loss, 'a fraction in 0..1', (n) => n >= 0 && n <= 1),
    ppe:
      raw.ppe === undefined
        ? V1_DEFAULTS.ppe
        : number('ppe', raw.ppe, 'a whole number of packets per connection event >= 1', (n) => Number.isInteger(n) && n >= 1),
    bleMarginUs:
      raw.ble_margin_us === undefined
        ? V1_DEFAULTS.bleMarginUs
        : number('ble_margin_us', raw.ble_margin_us, 'a number of microseconds >= 0', (n) => n >= 0),
    bleScale: raw.ble_scale === undefined ? V1_DEFAULTS.bleScale : number('ble_scale', raw.ble_scale, 'a positive factor', positive),
    coexWifi:
      raw.coex_wifi === undefined
        ? V1_DEFAULTS.coexWifi
        : number('coex_wifi', raw.coex_wifi, 'a fraction strictly between 0 and 1', (n) => n > 0 && n < 1),
    capabilities: raw.caps === undefined ? chipCapabilities(chip) : parseCaps(raw.caps, chip),
    faults,
    colors,
    eol,
  };
}
