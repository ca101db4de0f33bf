import net from 'node:net';

function tryListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

/** A base port with `count` consecutive free ports after it (the traffic server needs three). */
export async function freePortBase(count = 3, host = '0.0.0.0'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 40000);
    let ok = true;
    for (let i = 0; i < count && ok; i++) ok = await tryListen(base + i, host);
    if (ok) return base;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}
