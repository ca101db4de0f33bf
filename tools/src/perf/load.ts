// Load generator: opens `conns` connections to one endpoint and moves bytes as fast as the server
// allows. Runs in its own process (load-main.ts); the harness may start several. download: counts bytes read. upload: counts bytes whose write completed. echo: writes and reads at
// once and, like the firmware, counts only what comes back.
import net from 'node:net';

export type PerfEndpoint = 'download' | 'upload' | 'echo';

export interface LoadResult {
  bytes: number;
  seconds: number;
  connections: number;
}

const READ_BUFFER = Buffer.allocUnsafeSlow(1024 * 1024);
const WRITE_BUFFER = Buffer.alloc(256 * 1024);

interface Counter {
  n: number;
}

function open(endpoint: PerfEndpoint, host: string, port: number, counter: Counter): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const countReads = endpoint !== 'upload';
    const sock = net.connect({
      host,
      port,
      onread: {
        buffer: READ_BUFFER,
        callback: (n) => {
          if (countReads) counter.n += n;
          return true;
        },
      },
    });
    sock.once('error', reject);
    sock.once('connect', () => {
      sock.removeListener('error', reject);
      sock.on('error', () => {});
      if (endpoint !== 'download') {
        const countWrites = endpoint === 'upload';
        const onWritten = (err?: Error | null) => {
          if (err) return;
          if (countWrites) counter.n += WRITE_BUFFER.length;
          if (sock.writable) sock.write(WRITE_BUFFER, onWritten);
        };
        sock.write(WRITE_BUFFER, onWritten);
        sock.write(WRITE_BUFFER, onWritten);
      }
      resolve(sock);
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runLoad(endpoint: PerfEndpoint, host: string, port: number, conns: number, warmupS: number, seconds: number): Promise<LoadResult> {
  const counter: Counter = { n: 0 };
  const socks = await Promise.all(Array.from({ length: conns }, () => open(endpoint, host, port, counter)));
  await sleep(warmupS * 1000);
  const b0 = counter.n;
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const bytes = counter.n - b0;
  const elapsed = (performance.now() - t0) / 1000;
  for (const s of socks) s.destroy();
  return { bytes, seconds: elapsed, connections: conns };
}
