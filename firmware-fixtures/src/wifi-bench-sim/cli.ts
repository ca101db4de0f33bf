import { DEFAULT_PORT_BASE } from './firmware.js';

export const USAGE = 'usage: wifi-bench-sim --host <host ip> [--port-base 4321] <sim-uri>';

export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

export interface CliArgs {
  host: string;
  portBase: number;
  uri: string;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Parses the standalone entry's arguments (after `node main.js`). */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  let host: string | null = null;
  let portBase = DEFAULT_PORT_BASE;
  let uri: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : null;
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new CliUsageError(`${flag} needs a value`);
      return v;
    };
    if (flag === '--host') {
      host = value();
      if (!IPV4.test(host)) throw new CliUsageError(`--host must be an IPv4 address (the firmware's HOST_IP), got '${host}'`);
    } else if (flag === '--port-base') {
      const raw = value();
      portBase = Number(raw);
      if (!/^\d+$/.test(raw) || portBase < 1 || portBase > 65533) {
        throw new CliUsageError(`--port-base must be a port in 1..65533, got '${raw}'`);
      }
    } else if (flag.startsWith('-')) {
      throw new CliUsageError(`unknown option '${flag}'`);
    } else if (uri === null) {
      uri = arg;
    } else {
      throw new CliUsageError(`unexpected argument '${arg}'`);
    }
  }
  if (host === null) throw new CliUsageError('--host is required');
  if (uri === null) throw new CliUsageError('a sim URI is required, e.g. sim:esp32c3?rate=500000');
  return { host, portBase, uri };
}
