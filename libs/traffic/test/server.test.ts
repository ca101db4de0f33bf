import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConnectionTimeoutError,
  ListenError,
  PortInUseError,
  TrafficServer,
  type ConnectionSummary,
  type IntervalSample,
  type MeteredConnection,
} from '../src/index.js';
import { connect, sleep, until } from './helpers.js';

const servers: TrafficServer[] = [];
const sockets: net.Socket[] = [];

async function start(opts: Parameters<typeof TrafficServer.start>[0] = {}): Promise<TrafficServer> {
  const s = await TrafficServer.start({ host: '127.0.0.1', portBase: 0, ...opts });
  servers.push(s);
  return s;
}

async function client(opts: net.NetConnectOpts): Promise<net.Socket> {
  const s = await connect(opts);
  s.on('error', () => {});
  sockets.push(s);
  return s;
}

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** Reads as fast as possible into one buffer; returns the byte count so far. */
function drain(sock: net.Socket): () => number {
  let n = 0;
  sock.on('data', (d: Buffer) => (n += d.length));
  return () => n;
}

describe('listening', () => {
  it('picks three ephemeral ports with portBase 0', async () => {
    const s = await start();
    const ports = Object.values(s.ports);
    expect(new Set(ports).size).toBe(3);
    for (const p of ports) expect(p).toBeGreaterThan(0);
    expect(s.address).toBe('127.0.0.1');
  });

  it('names the port and the fix when a port is taken', async () => {
    const first = await start();
    const err = await TrafficServer.start({ host: '127.0.0.1', portBase: first.ports.download }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PortInUseError);
    const e = err as PortInUseError;
    expect(e.name).toBe('PortInUseError');
    expect(e.port).toBe(first.ports.download);
    expect(e.message).toContain(String(first.ports.download));
    expect(e.message).toContain('bench-server');
    expect(e.message).toContain('espbench serve');
    expect(e.message).toContain('--port-base');
    // Nothing of the failed start keeps listening: the port is still the first server's alone.
    const sock = await client({ host: '127.0.0.1', port: first.ports.download });
    const conn = await first.waitForConnection({ endpoint: 'download', since: 0 }, 2000);
    expect(conn.remotePort).toBe(sock.localPort);
  });

  it('reports an address that is not local as a ListenError', async () => {
    const err = await TrafficServer.start({ host: '192.0.2.1', portBase: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ListenError);
    expect((err as ListenError).code).toBe('EADDRNOTAVAIL');
    expect((err as ListenError).message).toContain('192.0.2.1');
  });
});

describe('connections', () => {
  it('emits connection and connection-end, and close() ends open connections', async () => {
    const s = await start();
    const seen: MeteredConnection[] = [];
    const ended: ConnectionSummary[] = [];
    s.on('connection', (c) => seen.push(c));
    s.on('connection-end', (e) => ended.push(e));
    const sock = await client({ host: '127.0.0.1', port: s.ports.upload });
    sock.write(Buffer.alloc(10_000));
    await until(() => seen.length === 1 && seen[0]!.rxBytes === 10_000, 5000, 'upload bytes');
    const conn = seen[0]!;
    expect(conn.endpoint).toBe('upload');
    expect(conn.localPort).toBe(s.ports.upload);
    expect(conn.remotePort).toBe(sock.localPort);
    expect(conn.snapshot().closeReason).toBe('open');
    await s.close();
    const summary = await conn.closed;
    expect(summary.closeReason).toBe('server-close');
    expect(ended).toEqual([summary]);
    expect(summary.rxBytes).toBe(10_000);
    expect(summary.estimate).toMatchObject({ direction: 'rx', bytes: 10_000, method: 'received' });
    expect(conn.snapshot()).toBe(summary);
  });

  it('records a peer FIN as end and a peer RST as reset', async () => {
    const s = await start();
    const a = await client({ host: '127.0.0.1', port: s.ports.upload });
    const ca = await s.waitForConnection({ endpoint: 'upload', since: 0 }, 2000);
    a.end();
    expect((await ca.closed).closeReason).toBe('end');
    const b = await client({ host: '127.0.0.1', port: s.ports.download });
    const cb = await s.waitForConnection({ endpoint: 'download', since: 0 }, 2000);
    await sleep(50);
    b.resetAndDestroy();
    const sb = await cb.closed;
    expect(sb.closeReason).toBe('reset');
    expect(sb.error).toBeNull();
  });

  it('waitForConnection finds a connection accepted just before the call, waits for later ones, and times out', async () => {
    const s = await start();
    const t0 = Date.now();
    await client({ host: '127.0.0.1', port: s.ports.download });
    await until(() => s.connections().length === 1);
    const early = await s.waitForConnection({ endpoint: 'download', since: t0 }, 1000);
    expect(early.endpoint).toBe('download');

    const later = s.waitForConnection({ endpoint: 'download', since: early.acceptedAt + 1 }, 5000);
    await sleep(20);
    await client({ host: '127.0.0.1', port: s.ports.download });
    const c2 = await later;
    expect(c2.id).not.toBe(early.id);

    await expect(s.waitForConnection({ endpoint: 'echo' }, 50)).rejects.toBeInstanceOf(ConnectionTimeoutError);
    await expect(s.waitForConnection({ endpoint: 'download', remoteAddress: '127.0.0.9', since: t0 }, 50)).rejects.toBeInstanceOf(
      ConnectionTimeoutError,
    );
    const ac = new AbortController();
    const aborted = s.waitForConnection({ endpoint: 'upload' }, 5000, ac.signal);
    ac.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
  });

  it('normalises IPv4-mapped remote addresses and measures dual-stack sockets through /proc/net/tcp6', async () => {
    const s = await start({ host: '::' });
    const sock = await client({ host: '127.0.0.2', port: s.ports.download, localAddress: '127.0.0.2' });
    sock.pause(); // a board that reads nothing
    const conn = await s.waitForConnection({ endpoint: 'download', remoteAddress: '::ffff:127.0.0.2', since: 0 }, 2000);
    expect(conn.remoteAddress).toBe('127.0.0.2');
    await sleep(400);
    sock.resetAndDestroy();
    const summary = await conn.closed;
    expect(summary.remoteAddress).toBe('127.0.0.2');
    expect(summary.estimate.method).toBe(process.platform === 'linux' ? 'acked-envelope' : 'written-envelope');
    if (process.platform === 'linux') {
      // Only what fits in the idle reader's receive buffer was acknowledged; the kernel took megabytes.
      expect(summary.txBytes).toBeGreaterThan(1_000_000);
      expect(summary.estimate.bytes).toBeLessThan(summary.txBytes / 4);
    }
  });

  it('keeps concurrent connections from distinct boards apart', async () => {
    const s = await start();
    const boards = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];
    const since = Date.now();
    const payload = (i: number) => 100_000 * (i + 1);
    const socks = await Promise.all(boards.map((ip) => client({ host: '127.0.0.1', port: s.ports.upload, localAddress: ip })));
    const dl = await Promise.all(boards.map((ip) => client({ host: '127.0.0.1', port: s.ports.download, localAddress: ip })));
    const dlRead = dl.map(drain);
    socks.forEach((sock, i) => sock.end(Buffer.alloc(payload(i), i)));
    const conns = await Promise.all(boards.map((ip) => s.waitForConnection({ endpoint: 'upload', remoteAddress: ip, since }, 2000)));
    const summaries = await Promise.all(conns.map((c) => c.closed));
    summaries.forEach((sum, i) => {
      expect(sum.remoteAddress).toBe(boards[i]);
      expect(sum.rxBytes).toBe(payload(i));
      expect(sum.estimate.bytes).toBe(payload(i));
    });
    const dconns = await Promise.all(boards.map((ip) => s.waitForConnection({ endpoint: 'download', remoteAddress: ip, since }, 2000)));
    expect(new Set(dconns.map((c) => c.id)).size).toBe(4);
    await until(() => dlRead.every((n) => n() > 1_000_000), 5000, 'downloads');
    expect(s.connections().filter((c) => c.endpoint === 'download')).toHaveLength(4);
    dl.forEach((d) => d.destroy());
    const dsum = await Promise.all(dconns.map((c) => c.closed));
    dsum.forEach((sum, i) => {
      expect(sum.remoteAddress).toBe(boards[i]);
      expect(sum.txBytes).toBeGreaterThanOrEqual(1_000_000);
    });
  });

  it('emits interval samples whose sums equal the totals', async () => {
    const s = await start({ intervalMs: 100 });
    const sock = await client({ host: '127.0.0.1', port: s.ports.echo });
    const conn = await s.waitForConnection({ endpoint: 'echo', since: 0 }, 2000);
    const events: IntervalSample[] = [];
    conn.on('interval', (e) => events.push(e));
    const read = drain(sock);
    const chunk = Buffer.alloc(64 * 1024, 1);
    const pump = setInterval(() => sock.write(chunk), 5);
    await sleep(550);
    clearInterval(pump);
    await until(() => read() === conn.rxBytes, 5000, 'echo to drain');
    sock.end();
    const summary = await conn.closed;
    expect(summary.intervals.length).toBeGreaterThanOrEqual(5);
    expect(events).toEqual(summary.intervals);
    const sum = (k: 'txBytes' | 'rxBytes') => summary.intervals.reduce((a, e) => a + e[k], 0);
    expect(sum('txBytes')).toBe(summary.txBytes);
    expect(sum('rxBytes')).toBe(summary.rxBytes);
    expect(summary.rxBytes).toBeGreaterThan(0);
    for (let i = 1; i < summary.intervals.length; i++) expect(summary.intervals[i]!.t).toBeGreaterThan(summary.intervals[i - 1]!.t);
  });
});

describe('endpoints', () => {
  it('echo returns every byte unchanged', async () => {
    const s = await start();
    const sock = await client({ host: '127.0.0.1', port: s.ports.echo });
    const data = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < data.length; i += 4) data.writeUInt32LE((i * 2654435761) >>> 0, i);
    const got: Buffer[] = [];
    let n = 0;
    sock.on('data', (d: Buffer) => {
      got.push(d);
      n += d.length;
    });
    sock.write(data);
    await until(() => n >= data.length, 10_000, 'echo');
    expect(Buffer.concat(got).equals(data)).toBe(true);
    const conn = await s.waitForConnection({ endpoint: 'echo', since: 0 }, 1000);
    sock.end();
    const summary = await conn.closed;
    expect(summary.rxBytes).toBe(data.length);
    expect(summary.txBytes).toBe(data.length);
    expect(summary.estimate.direction).toBe('tx');
  });

  it('echo stops reading while its writes cannot go out, then resumes without losing data', async () => {
    const s = await start();
    const sock = await client({ host: '127.0.0.1', port: s.ports.echo });
    sock.pause();
    const conn = await s.waitForConnection({ endpoint: 'echo', since: 0 }, 1000);
    const data = Buffer.alloc(48 * 1024 * 1024, 7);
    let accepted = false;
    sock.write(data, () => (accepted = true));
    await sleep(500);
    // The board does not read: what the server read but could not send stays in its echo buffers.
    expect(conn.rxBytes).toBeLessThan(data.length);
    expect(conn.rxBytes - conn.txBytes).toBeLessThanOrEqual(1024 * 1024);
    const read = drain(sock);
    sock.resume();
    await until(() => read() === data.length, 20_000, 'echo after resume');
    expect(accepted).toBe(true);
    expect(conn.rxBytes).toBe(data.length);
  });

  it('download writes zeros until the board goes away, without crashing on the reset', async () => {
    const s = await start();
    const sock = await client({ host: '127.0.0.1', port: s.ports.download });
    let n = 0;
    let nonZero = false;
    sock.on('data', (d: Buffer) => {
      n += d.length;
      if (!nonZero && d.some((b) => b !== 0)) nonZero = true;
    });
    await until(() => n > 4 * 1024 * 1024, 5000, 'download');
    sock.resetAndDestroy();
    const conn = await s.waitForConnection({ endpoint: 'download', since: 0 }, 1000);
    const summary = await conn.closed;
    expect(nonZero).toBe(false);
    expect(summary.closeReason).toBe('reset');
    expect(summary.txBytes).toBeGreaterThanOrEqual(n);
    expect(summary.estimate.bytes).toBeGreaterThan(0);
    expect(summary.estimate.bytes).toBeLessThanOrEqual(summary.txBytes);
    // Cut at the board's result line: nothing before the accept, everything after the end.
    expect(conn.estimateUntil(summary.endedAt + 1000)).toEqual(summary.estimate);
    expect(conn.estimateUntil(summary.acceptedAt).bytes).toBe(0);
  });

  it('without /proc/net falls back to written bytes (method written-envelope)', async () => {
    const s = await start({ useProcNet: false });
    const sock = await client({ host: '127.0.0.1', port: s.ports.download });
    sock.pause();
    const conn = await s.waitForConnection({ endpoint: 'download', since: 0 }, 1000);
    await sleep(300);
    sock.resetAndDestroy();
    const summary = await conn.closed;
    expect(summary.estimate.method).toBe('written-envelope');
    // Written bytes include the whole send buffer: megabytes for a board that read nothing.
    expect(summary.estimate.bytes).toBeGreaterThan(1_000_000);
    expect(summary.estimate.bytes).toBeLessThanOrEqual(summary.txBytes);
  });
});
