import { fileURLToPath } from 'node:url';
import { parseDeviceUri, type DeviceSpec } from './device-uri.js';
import { ProcessLink } from './exec-link.js';
import type { LineLink } from './link.js';
import { SerialLink } from './serial-link.js';
import { TcpLink } from './tcp-link.js';

export interface SimContext {
  /** Address the simulated board connects to (the traffic server's). */
  trafficHost: string;
  portBase: number;
}

/** Path of the simulator's standalone entry, from the firmware-fixtures package. */
export function simulatorEntry(): string {
  return fileURLToPath(import.meta.resolve('@espbench/firmware-fixtures/wifi-bench-sim/main'));
}

/** Path of the protocol-v1 firmware simulator's entry (`sim:<chip>?fw=v1&...`). */
export function v1SimulatorEntry(): string {
  return fileURLToPath(import.meta.resolve('@espbench/firmware-fixtures/v1-sim/main'));
}

/** `sim:` URIs with `fw=v1` run the protocol-v1 firmware simulator instead of esp-hal's bench loop. */
export function isV1Sim(uri: string): boolean {
  return /^sim:[^?]*\?(.*&)?fw=v1(&|$)/.test(uri);
}

/** Path of the simulated ESP-IDF iperf console's entry (`sim:<chip>?fw=idf-iperf&...`). */
export function idfIperfSimulatorEntry(): string {
  return fileURLToPath(import.meta.resolve('@espbench/firmware-fixtures/idf-iperf-sim/main'));
}

/** `sim:` URIs with `fw=idf-iperf` run the simulated ESP-IDF iperf example console. */
export function isIdfIperfSim(uri: string): boolean {
  return /^sim:[^?]*\?(.*&)?fw=idf-iperf(&|$)/.test(uri);
}

/** Build (not open) the link for a device. `sim:` needs to know where the traffic server listens. */
export function createLink(device: string | DeviceSpec, sim?: SimContext): LineLink {
  const spec = typeof device === 'string' ? parseDeviceUri(device) : device;
  switch (spec.kind) {
    case 'serial':
      return new SerialLink(spec.uri, spec.path, spec.baudRate);
    case 'exec':
      return ProcessLink.shell(spec.uri, spec.command);
    case 'tcp':
      return new TcpLink(spec.uri, spec.host, spec.port);
    case 'sim': {
      const ctx = sim ?? { trafficHost: '127.0.0.1', portBase: 4321 };
      const simUri = spec.ip ? `${spec.uri}${spec.uri.includes('?') ? '&' : '?'}ip=${spec.ip}` : spec.uri;
      if (isIdfIperfSim(spec.uri)) {
        return new ProcessLink(spec.uri, 'sim', { file: process.execPath, args: [idfIperfSimulatorEntry(), simUri], display: `simulator ${spec.uri}` });
      }
      if (isV1Sim(spec.uri)) {
        return new ProcessLink(spec.uri, 'sim', { file: process.execPath, args: [v1SimulatorEntry(), simUri], display: `simulator ${spec.uri}` });
      }
      return new ProcessLink(spec.uri, 'sim', {
        file: process.execPath,
        args: [simulatorEntry(), '--host', ctx.trafficHost, '--port-base', String(ctx.portBase), simUri],
        display: `simulator ${spec.uri}`,
      });
    }
  }
}
