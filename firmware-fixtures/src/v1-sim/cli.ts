import { CliUsageError } from '../wifi-bench-sim/cli.js';
import { defaultAirDir } from './air.js';

export { CliUsageError };

export const V1_USAGE = 'usage: v1-sim [--air <dir>] <sim-uri>   e.g. v1-sim --air /tmp/air "sim:esp32c6?fw=v1&ip=127.0.0.2"';

export interface V1CliArgs {
  /** The loopback BLE air registry directory. */
  airDir: string;
  uri: string;
}

/** Parses the standalone entry's arguments (after `node main.js`). */
export function parseV1CliArgs(argv: readonly string[]): V1CliArgs {
  let airDir: string | null = null;
  let uri: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : null;
    if (flag === '--air') {
      const value = inline ?? argv[++i];
      if (value === undefined || value === '') throw new CliUsageError('--air needs a directory');
      airDir = value;
    } else if (flag.startsWith('-')) {
      throw new CliUsageError(`unknown option '${flag}'`);
    } else if (uri === null) {
      uri = arg;
    } else {
      throw new CliUsageError(`unexpected argument '${arg}'`);
    }
  }
  if (uri === null) throw new CliUsageError('a sim URI is required, e.g. sim:esp32c6?fw=v1');
  return { airDir: airDir ?? defaultAirDir(), uri };
}
