import net from 'node:net';
import { ListenError } from './errors.js';

/** true when free, false when in use; any other failure (not an address of this host, ...) throws. */
function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES') resolve(false);
      else reject(new ListenError(err.code ?? 'EUNKNOWN', port, host, err));
    });
    s.listen({ port, host, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/**
 * A port base with three consecutive free ports: boards (and the simulator) derive the upload and
 * echo ports from the download port, so three unrelated ephemeral ports will not do.
 */
export async function findFreePortBase(host: string, count = 3): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 40000);
    let free = true;
    for (let i = 0; i < count && free; i++) free = await canListen(base + i, host);
    if (free) return base;
  }
  throw new Error(`found no ${count} consecutive free ports on ${host}`);
}
