import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import type { PerfEndpoint } from './load.js';

export interface PerfOptions {
  host: string;
  seconds: number;
  warmupS: number;
  endpoints: PerfEndpoint[];
  connections: number[];
  /** Generator processes per cell; null: one per connection, at most one per CPU. */
  procs: number | null;
  repeat: number;
  socat: boolean;
  /** Run tools' own TrafficServer script even when apps/cli is built. */
  libServer: boolean;
  /** socat -b; null keeps socat's default (8192). */
  socatBlock: number | null;
  json: boolean;
  help: boolean;
}

export const USAGE = `Usage: npm run perf -- [options]
Loopback throughput of espbench's traffic server against socat, per endpoint and connection count.

  --seconds <s>         measured time per cell (default 3)
  --warmup <s>          unmeasured time before it (default 0.5)
  --endpoints <list>    download,upload,echo (default all)
  --connections <list>  concurrent connections (default 1,8)
  --procs <n>           load generator processes per cell (default: min(connections, CPUs))
  --repeat <n>          runs per cell, the median is reported (default 1)
  --socat-block <bytes> socat's -b (default: socat's own, 8192)
  --no-socat            measure espbench only
  --lib-server          run the TrafficServer library directly instead of \`espbench serve\`
  --json                print JSON instead of the table
  -h, --help`;

const ENDPOINTS: PerfEndpoint[] = ['download', 'upload', 'echo'];

function positive(name: string, v: string | undefined, fallback: number, integer = false): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new Error(`${name} must be a positive ${integer ? 'integer' : 'number'}: ${v}`);
  return n;
}

export function parsePerfArgs(argv: string[]): PerfOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string' },
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      endpoints: { type: 'string' },
      connections: { type: 'string' },
      procs: { type: 'string' },
      repeat: { type: 'string' },
      'socat-block': { type: 'string' },
      'no-socat': { type: 'boolean' },
      'lib-server': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const endpoints = (values.endpoints ?? ENDPOINTS.join(',')).split(',').map((e) => e.trim());
  for (const e of endpoints) if (!ENDPOINTS.includes(e as PerfEndpoint)) throw new Error(`unknown endpoint: ${e} (download, upload, echo)`);
  const connections = (values.connections ?? '1,8').split(',').map((c) => positive('--connections', c.trim(), 1, true));
  return {
    host: values.host ?? '127.0.0.1',
    seconds: positive('--seconds', values.seconds, 3),
    warmupS: values.warmup === '0' ? 0 : positive('--warmup', values.warmup, 0.5),
    endpoints: endpoints as PerfEndpoint[],
    connections,
    procs: values.procs === undefined ? null : positive('--procs', values.procs, 1, true),
    repeat: positive('--repeat', values.repeat, 1, true),
    socat: !values['no-socat'],
    libServer: values['lib-server'] ?? false,
    socatBlock: values['socat-block'] === undefined ? null : positive('--socat-block', values['socat-block'], 8192, true),
    json: values.json ?? false,
    help: values.help ?? false,
  };
}

export function generatorProcs(o: PerfOptions, connections: number): number {
  return o.procs ?? Math.min(connections, availableParallelism());
}
