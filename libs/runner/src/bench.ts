import { setMaxListeners } from 'node:events';
import { createLink, parseDeviceUri, type DeviceSpec, type LineLink } from '@espbench/link';
import type { RunRecord } from '@espbench/schema';
import { TrafficServer } from '@espbench/traffic';
import { ConnectionBroker, type ConnectionSourceLike } from './broker.js';
import { runDevice, type DeviceRunOutcome } from './device-run.js';
import type { LiveResult, LiveSample } from './device-run.js';
import type { Progress } from './progress.js';
import { simDevice } from './sim.js';
import type { PhaseTimeouts } from './timeouts.js';

export const UPSTREAM_TEST_DURATION_S = 15;
export const UPSTREAM_PAUSE_S = 10;

export interface BenchOptions {
  devices: string[];
  iterations: number;
  labels: Record<string, string>;
  /** Traffic server listen address (default 0.0.0.0, like bench-server). */
  listen?: string;
  portBase?: number;
  intervalMs?: number;
  /** TEST_DURATION the firmware was built with; sim: devices carry their own. */
  testDurationS?: number;
  pauseS?: number;
  timeouts?: Partial<PhaseTimeouts>;
  signal?: AbortSignal;
  newRunId: () => string;
  version?: string;
  onProgress?: (p: Progress) => void;
  onSample?: (s: LiveSample) => void;
  onResult?: (r: LiveResult) => void;
  /** Called as soon as each device's run ends, before the others finish. */
  onRecord?: (outcome: DeviceRunOutcome) => Promise<void> | void;
  /** Reset each board into its application (DTR/RTS) after opening it; links that cannot reset are warned about. */
  reset?: boolean;
  /** One-line notices (a board not reset; a serial port gone and back). */
  onWarning?: (line: string) => void;
}

interface PlannedDevice {
  spec: DeviceSpec;
  testDurationS: number;
  pauseS: number;
  ip: string | null;
}

/** Validate every device before anything starts, so bad input fails fast with exit 2. */
export function planDevices(devices: string[], testDurationS = UPSTREAM_TEST_DURATION_S, pauseS = UPSTREAM_PAUSE_S): PlannedDevice[] {
  let simIndex = 0;
  return devices.map((uri) => {
    const spec = parseDeviceUri(uri);
    if (spec.kind === 'sim') return simDevice(spec, simIndex++);
    return { spec, testDurationS, pauseS, ip: null };
  });
}

/**
 * Run every device concurrently against one traffic server. Links are opened first: a device that
 * cannot be opened fails the whole start (nothing has been measured yet).
 */
export async function runBench(opts: BenchOptions): Promise<RunRecord[]> {
  const planned = planDevices(opts.devices, opts.testDurationS, opts.pauseS);
  // Every device waits on the same abort signal at once.
  if (opts.signal) setMaxListeners(10 + 2 * planned.length, opts.signal);
  const listen = opts.listen ?? '0.0.0.0';
  const server = await TrafficServer.start({ host: listen, portBase: opts.portBase ?? 4321, intervalMs: opts.intervalMs ?? 1000 });
  const portBase = server.ports.download;
  const broker = new ConnectionBroker(server as unknown as ConnectionSourceLike);
  // Simulated boards connect over loopback to this server.
  const trafficHost = listen === '0.0.0.0' || listen === '::' ? '127.0.0.1' : listen;
  const links: LineLink[] = [];
  try {
    for (const device of planned) {
      const link = createLink(device.spec, { trafficHost, portBase });
      await link.open();
      links.push(link);
    }
    const outcomes = await Promise.all(
      planned.map(async (device, i) => {
        const outcome = await runDevice({
          runId: opts.newRunId(),
          link: links[i]!,
          broker,
          iterations: opts.iterations,
          labels: opts.labels,
          listen,
          portBase,
          testDurationS: device.testDurationS,
          pauseS: device.pauseS,
          deviceIp: device.ip,
          timeouts: opts.timeouts,
          signal: opts.signal,
          onProgress: opts.onProgress,
          onSample: opts.onSample,
          onResult: opts.onResult,
          version: opts.version,
          reset: opts.reset,
          onWarning: opts.onWarning,
        });
        await opts.onRecord?.(outcome);
        return outcome.record;
      }),
    );
    return outcomes;
  } finally {
    broker.dispose();
    await Promise.all(links.map((l) => l.close().catch(() => {})));
    await server.close();
  }
}
