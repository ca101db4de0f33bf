import { NON_WIFI_CHIPS, WIFI_CHIPS, isWifiChip } from './chips.js';
import { TEST_PHASES, type TestPhase } from './firmware.js';
import { DEFAULT_OPTIONS, EOL_MODES, FAULT_KINDS, VARIANTS, type Fault, type FaultKind, type SimOptions } from './options.js';

export const SIM_URI_PARAMETERS = [
  'rate',
  'download_rate',
  'upload_rate',
  'updown_rate',
  'duration',
  'pause',
  'boot',
  'ip',
  'rounds',
  'variant',
  'seed',
  'fault',
  'stall',
  'colors',
  'eol',
] as const;
export type SimUriParameter = (typeof SIM_URI_PARAMETERS)[number];

/** A `sim:` device URI that cannot be used. The message is one line, fit to show to a CLI user. */
export class SimUriError extends Error {
  override readonly name = 'SimUriError';
  /** The offending parameter, or null when the URI itself or its chip is wrong. */
  readonly parameter: string | null;

  constructor(message: string, parameter: string | null = null) {
    super(message);
    this.parameter = parameter;
  }
}

const VALID_PARAMETERS = `valid parameters: ${SIM_URI_PARAMETERS.join(', ')}`;
const VALID_CHIPS = `valid chips: ${WIFI_CHIPS.join(', ')}`;

function badValue(name: string, expected: string, got: string): SimUriError {
  return new SimUriError(
    `sim URI parameter '${name}' must be ${expected}, got '${got}' (${VALID_PARAMETERS})`,
    name,
  );
}

function positiveNumber(name: string, raw: string, what: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value <= 0) throw badValue(name, `a positive number of ${what}`, raw);
  return value;
}

function nonNegativeNumber(name: string, raw: string, what: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0) throw badValue(name, `a number of ${what} >= 0`, raw);
  return value;
}

function loopbackIp(raw: string): string {
  const parts = raw.split('.');
  const octets = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  if (octets.length !== 4 || octets.some((o) => !(o >= 0 && o <= 255)) || octets[0] !== 127) {
    throw badValue('ip', 'an IPv4 address in 127.0.0.0/8 (one per simulated board)', raw);
  }
  return octets.join('.');
}

const FAULT_SHAPE =
  `<kind>@<round>:<phase> with kind in ${FAULT_KINDS.join('|')}, round >= 1 and phase in ${TEST_PHASES.join('|')}`;

function parseFault(entry: string): Fault {
  const match = /^([a-z-]+)@(\d+):([a-z]+)$/.exec(entry.trim());
  const [, kind, round, phase] = match ?? [];
  if (
    kind === undefined ||
    !(FAULT_KINDS as readonly string[]).includes(kind) ||
    !(TEST_PHASES as readonly string[]).includes(phase ?? '') ||
    Number(round) < 1
  ) {
    throw new SimUriError(
      `sim URI parameter 'fault' has a bad entry '${entry}': expected ${FAULT_SHAPE} (${VALID_PARAMETERS})`,
      'fault',
    );
  }
  return { kind: kind as FaultKind, round: Number(round), phase: phase as TestPhase };
}

/**
 * Parses `sim:<chip>?k=v&...` (see firmware-fixtures/README.md for every parameter). Pure: no I/O.
 * Throws SimUriError naming the bad part and the valid alternatives.
 */
export function parseSimUri(uri: string): SimOptions {
  const match = /^sim:([^?#]*)(?:\?([^#]*))?$/.exec(uri.trim());
  if (!match) {
    throw new SimUriError(`not a sim URI: '${uri}' (expected sim:<chip>?k=v&..., ${VALID_CHIPS})`);
  }
  const chip = (match[1] ?? '').toLowerCase();
  if (NON_WIFI_CHIPS.includes(chip)) {
    throw new SimUriError(`${chip} has no WiFi radio and cannot run the WiFi bench (${VALID_CHIPS})`);
  }
  if (!isWifiChip(chip)) {
    throw new SimUriError(`unknown chip '${chip}' in sim URI '${uri}' (${VALID_CHIPS})`);
  }

  const options: SimOptions = { ...structuredClone(DEFAULT_OPTIONS), chip };
  let rate: number | null = null;
  const perPhase: Partial<Record<TestPhase, number>> = {};
  const seen = new Set<string>();

  for (const [name, raw] of new URLSearchParams(match[2] ?? '')) {
    if (!(SIM_URI_PARAMETERS as readonly string[]).includes(name)) {
      throw new SimUriError(`unknown sim URI parameter '${name}' (${VALID_PARAMETERS})`, name);
    }
    if (name !== 'fault' && seen.has(name)) {
      throw new SimUriError(`sim URI parameter '${name}' is given more than once (${VALID_PARAMETERS})`, name);
    }
    seen.add(name);
    switch (name as SimUriParameter) {
      case 'rate':
        rate = positiveNumber(name, raw, 'bytes per second');
        break;
      case 'download_rate':
        perPhase.download = positiveNumber(name, raw, 'bytes per second');
        break;
      case 'upload_rate':
        perPhase.upload = positiveNumber(name, raw, 'bytes per second');
        break;
      case 'updown_rate':
        perPhase.updown = positiveNumber(name, raw, 'bytes per second');
        break;
      case 'duration':
        options.durationS = positiveNumber(name, raw, 'seconds');
        break;
      case 'pause':
        options.pauseS = nonNegativeNumber(name, raw, 'seconds');
        break;
      case 'boot':
        options.bootS = nonNegativeNumber(name, raw, 'seconds');
        break;
      case 'ip':
        options.ip = loopbackIp(raw);
        break;
      case 'rounds': {
        if (!/^\d+$/.test(raw)) throw badValue(name, 'a whole number of rounds >= 0', raw);
        options.rounds = Number(raw);
        break;
      }
      case 'variant':
        if (!(VARIANTS as readonly string[]).includes(raw)) throw badValue(name, `one of ${VARIANTS.join('|')}`, raw);
        options.variant = raw as SimOptions['variant'];
        break;
      case 'seed':
        if (!/^\d+$/.test(raw) || Number(raw) > 0xffffffff) throw badValue(name, 'an integer in 0..4294967295', raw);
        options.seed = Number(raw);
        break;
      case 'fault':
        for (const entry of raw.split(',')) options.faults.push(parseFault(entry));
        break;
      case 'stall':
        options.stallS = positiveNumber(name, raw, 'seconds');
        break;
      case 'colors':
        if (!['0', '1', 'true', 'false'].includes(raw)) throw badValue(name, '0 or 1', raw);
        options.colors = raw === '1' || raw === 'true';
        break;
      case 'eol':
        if (!(EOL_MODES as readonly string[]).includes(raw)) throw badValue(name, `one of ${EOL_MODES.join('|')}`, raw);
        options.eol = raw as SimOptions['eol'];
        break;
    }
  }

  for (const phase of TEST_PHASES) options.rates[phase] = perPhase[phase] ?? rate ?? options.rates[phase];
  return options;
}
