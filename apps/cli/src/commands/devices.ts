import type { Command } from 'commander';
import { listSerialPorts, type SerialPortInfo } from '@espbench/link';
import { table } from '../render/table.js';

export function registerDevices(program: Command): void {
  program
    .command('devices')
    .description('list serial ports with USB VID:PID, serial number and the adapter it most likely is')
    .option('--json', 'print the list as JSON')
    .addHelpText('after', '\nExamples:\n  espbench devices\n  espbench devices --json')
    .action(async (flags: { json?: boolean }) => {
      const ports = await listSerialPorts();
      if (flags.json) {
        process.stdout.write(JSON.stringify(ports, null, 2) + '\n');
        return;
      }
      if (!ports.length) {
        process.stdout.write('no serial ports found; plug in a board (and check `dmesg` if it does not appear)\n');
        return;
      }
      process.stdout.write(
        table<SerialPortInfo>(ports, [
          { header: 'port', value: (p) => p.path },
          { header: 'vid:pid', value: (p) => p.vidPid ?? '-' },
          { header: 'serial', value: (p) => p.serialNumber ?? '-' },
          { header: 'adapter', value: (p) => p.adapter ?? p.manufacturer ?? 'unknown' },
        ]) + '\n',
      );
    });
}
