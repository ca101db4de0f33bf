import { LinkError } from './errors.js';

export type DeviceSpec =
  | { kind: 'serial'; uri: string; path: string; baudRate: number }
  | { kind: 'exec'; uri: string; command: string }
  | { kind: 'tcp'; uri: string; host: string; port: number }
  /** `ip`: the simulated board's source address when the URI does not name one. */
  | { kind: 'sim'; uri: string; ip?: string };

export const DEFAULT_BAUD = 115200;

export const DEVICE_URI_HELP =
  'use a serial path (/dev/ttyACM0, COM3), serial:///dev/ttyUSB0?baud=115200, exec:<command>, tcp://host:port or sim:<chip>?rate=<bytes/s>&duration=<s>';

function bad(uri: string, why: string): LinkError {
  return new LinkError('bad-uri', `--device "${uri}": ${why}; ${DEVICE_URI_HELP}`);
}

function parseBaud(uri: string, value: string | null): number {
  if (value === null) return DEFAULT_BAUD;
  const baud = Number(value);
  if (!Number.isInteger(baud) || baud <= 0) throw bad(uri, `baud "${value}" is not a positive integer`);
  return baud;
}

export function parseDeviceUri(uri: string): DeviceSpec {
  const text = uri.trim();
  if (!text) throw bad(uri, 'empty device');
  if (text.startsWith('exec:')) {
    const command = text.slice('exec:'.length).trim();
    if (!command) throw bad(uri, 'exec: needs a command line');
    return { kind: 'exec', uri: text, command };
  }
  if (text.startsWith('sim:')) {
    if (!/^sim:[a-z0-9]+/i.test(text)) throw bad(uri, 'sim: needs a chip, e.g. sim:esp32c3');
    return { kind: 'sim', uri: text };
  }
  if (text.startsWith('tcp://')) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw bad(uri, 'not a valid tcp://host:port');
    }
    const port = Number(url.port);
    if (!url.hostname || !url.port || !Number.isInteger(port) || port <= 0 || port > 65535) {
      throw bad(uri, 'tcp:// needs a host and a port, e.g. tcp://192.168.1.10:3333');
    }
    return { kind: 'tcp', uri: text, host: url.hostname.replace(/^\[|\]$/g, ''), port };
  }
  if (text.startsWith('serial:')) {
    const m = /^serial:\/\/([^?]+)(?:\?(.*))?$/.exec(text);
    if (!m?.[1]) throw bad(uri, 'serial: needs a path, e.g. serial:///dev/ttyUSB0?baud=115200');
    const params = new URLSearchParams(m[2] ?? '');
    for (const key of params.keys()) if (key !== 'baud') throw bad(uri, `unknown serial parameter "${key}" (known: baud)`);
    return { kind: 'serial', uri: text, path: decodeURIComponent(m[1]), baudRate: parseBaud(uri, params.get('baud')) };
  }
  if (text.startsWith('/') || /^COM\d+$/i.test(text)) {
    return { kind: 'serial', uri: text, path: text, baudRate: DEFAULT_BAUD };
  }
  throw bad(uri, 'unrecognised device');
}
