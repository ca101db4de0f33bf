import { realpathSync } from 'node:fs';
import type { Command } from 'commander';
import { listSerialPorts, resetKindFor, type SerialPortInfo } from '@espbench/link';
import { probeSerialPort, type ProbeResult } from '@espbench/runner';
import { collect, parsePositiveNumber } from '../errors.js';
import { table } from '../render/table.js';

interface DevicesFlags {
  json?: boolean;
  probe?: boolean;
  probeTime: number;
  port: string[];
}

/** One port as `devices` reports it; `probe` only with --probe. */
export interface DeviceReport extends SerialPortInfo {
  /** The reset --probe and `run --reset` use on this port. */
  reset: 'uart-bridge' | 'usb-serial-jtag';
  probe?: ProbeReport;
}

/** A probe result for people and JSON: `state` ok | busy | error. */
export type ProbeReport =
  | { state: 'ok'; reset: string; chip: string | null; romVersion: string | null; resetReason: string | null; bootMode: string | null; mac: string | null; lines: number }
  | { state: 'busy' | 'error' | 'skipped'; message: string };

function same(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

function probeReport(r: ProbeResult): ProbeReport {
  if (r.state !== 'ok') return r;
  const { reset, ...rest } = r;
  return { ...rest, reset: reset.done ? `reset (${reset.kind})` : `not reset: ${reset.reason}` };
}

export function registerDevices(program: Command): void {
  program
    .command('devices')
    .description('list serial ports with USB VID:PID, serial number and the adapter it most likely is; --probe resets each board and reads its chip and reset reason from the ROM banner')
    .option('--json', 'print the list as JSON')
    .option('--probe', 'open each USB serial port (and each --port), reset the board into its application (DTR/RTS), read its boot output for --probe-time seconds and release it; ports another program holds are reported as busy')
    .option('--probe-time <s>', 'how long --probe reads each port after the reset, seconds', parsePositiveNumber('--probe-time'), 2)
    .option('-p, --port <path>', 'also report this port (repeatable), e.g. one the system listing does not show', collect, [])
    .addHelpText(
      'after',
      `
Examples:
  espbench devices
  espbench devices --probe                      # resets every board: chip and reset reason
  espbench devices --probe --probe-time 4 --json
  espbench devices --probe --port /dev/ttyUSB0

--probe restarts the boards it probes (a run in progress on one of them is disturbed). A port held by
another program (espflash monitor, screen, an IDE, a running espbench) is reported as busy, not opened.`,
    )
    .action(async (flags: DevicesFlags) => {
      const listed = await listSerialPorts();
      const ports: SerialPortInfo[] = [...listed];
      for (const path of flags.port) {
        if (!ports.some((p) => same(p.path, path))) ports.push({ path, vidPid: null, serialNumber: null, manufacturer: null, adapter: null });
      }
      const reports: DeviceReport[] = ports.map((p) => ({ ...p, reset: resetKindFor(p.vidPid) }));
      if (flags.probe) {
        // One at a time: each probe resets a board, and boards on one hub share its power. Ports without
        // a USB identity (a PC's own /dev/ttyS*) are left alone unless named with --port.
        for (const r of reports) {
          const asked = flags.port.some((p) => same(p, r.path));
          r.probe = r.vidPid || asked
            ? probeReport(await probeSerialPort(r.path, { timeMs: flags.probeTime * 1000 }))
            : { state: 'skipped', message: 'not a USB serial port; name it with --port to probe it' };
        }
      }
      if (flags.json) {
        process.stdout.write(JSON.stringify(reports, null, 2) + '\n');
        return;
      }
      if (!reports.length) {
        process.stdout.write('no serial ports found; plug in a board (and check `dmesg` if it does not appear)\n');
        return;
      }
      const columns = [
        { header: 'port', value: (p: DeviceReport) => p.path },
        { header: 'vid:pid', value: (p: DeviceReport) => p.vidPid ?? '-' },
        { header: 'serial', value: (p: DeviceReport) => p.serialNumber ?? '-' },
        { header: 'adapter', value: (p: DeviceReport) => p.adapter ?? p.manufacturer ?? 'unknown' },
      ];
      if (flags.probe) {
        columns.push(
          { header: 'chip', value: (p) => (p.probe?.state === 'ok' ? (p.probe.chip ?? '-') : p.probe?.state ?? '-') },
          { header: 'reset reason', value: (p) => (p.probe?.state === 'ok' ? (p.probe.resetReason ?? '-') : '-') },
          { header: 'probe', value: (p) => probeNote(p.probe) },
        );
      }
      process.stdout.write(table<DeviceReport>(reports, columns) + '\n');
    });
}

function probeNote(p: ProbeReport | undefined): string {
  if (!p) return '';
  if (p.state !== 'ok') return p.message;
  const heard = p.chip ? '' : p.lines ? `; no ROM banner in ${p.lines} lines` : '; silent';
  return `${p.reset}${heard}`;
}
