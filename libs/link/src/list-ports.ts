import { execFileSync } from 'node:child_process';
import { SerialPort } from 'serialport';
import { adapterFor, type SerialPortInfo } from './adapters.js';
import { LinkError } from './errors.js';

/** Serial ports with their USB identity. On Linux serialport asks udevadm, so check it exists. */
export async function listSerialPorts(): Promise<SerialPortInfo[]> {
  if (process.platform === 'linux') {
    try {
      execFileSync('sh', ['-c', 'command -v udevadm'], { stdio: 'ignore' });
    } catch {
      throw new LinkError('spawn-failed', 'listing serial ports needs udevadm, which is missing; install it: apt-get install -y udev');
    }
  }
  const ports = await SerialPort.list();
  return ports.map((p) => {
    const { vidPid, adapter } = adapterFor(p.vendorId, p.productId);
    return { path: p.path, vidPid, serialNumber: p.serialNumber ?? null, manufacturer: p.manufacturer ?? null, adapter };
  });
}
