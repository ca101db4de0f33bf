import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { normalizeAddress } from './address.js';
import { MeteredConnection } from './connection.js';
import { ConnectionTimeoutError, ListenError, PortInUseError } from './errors.js';
import { DEFAULT_PUMP_OPTIONS, pumpDownload, pumpEcho, pumpSink, type PumpOptions } from './pumps.js';
import { procNetAvailable, TxQueueSampler } from './tcp-queue.js';
import { findFreePortBase } from './free-ports.js';
import { DEFAULT_PORT_BASE, ENDPOINT_OFFSETS, type ConnectionSummary, type Endpoint, type TrafficServerOptions } from './types.js';

export interface TrafficServerEvents {
  connection: [conn: MeteredConnection];
  'connection-end': [summary: ConnectionSummary];
}

export interface ConnectionFilter {
  endpoint: Endpoint;
  /** Board address; IPv4-mapped IPv6 forms match their IPv4 address. */
  remoteAddress?: string;
  /** Accepted at or after this wall-clock time, epoch ms. Default: the time of the call. */
  since?: number;
}

const ENDPOINTS: Endpoint[] = ['download', 'upload', 'echo'];
/** Accepted connections remembered for waitForConnection. */
const HISTORY = 256;

interface Waiter {
  filter: ConnectionFilter & { since: number };
  resolve: (c: MeteredConnection) => void;
  reject: (e: unknown) => void;
}

/** Drop-in for esp-hal's extras/bench-server that meters every connection. */
export class TrafficServer extends EventEmitter<TrafficServerEvents> {
  private readonly open = new Set<MeteredConnection>();
  private readonly history: MeteredConnection[] = [];
  private readonly waiters = new Set<Waiter>();
  private nextId = 1;
  private closing: Promise<void> | null = null;

  private constructor(
    /** The listen address. */
    readonly address: string,
    readonly ports: Readonly<Record<Endpoint, number>>,
    private readonly servers: Server[],
    private readonly sampler: TxQueueSampler,
    private readonly intervalMs: number,
    private readonly pump: PumpOptions,
  ) {
    super();
  }

  static async start(opts: TrafficServerOptions = {}): Promise<TrafficServer> {
    const host = opts.host ?? '0.0.0.0';
    for (const k of ['intervalMs', 'queueSampleMs', 'writeChunkBytes'] as const) {
      const v = opts[k];
      if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new RangeError(`${k} must be a positive number, got ${v}`);
    }
    const base = opts.portBase ?? DEFAULT_PORT_BASE;
    if (base !== 0) return TrafficServer.listenAll(host, base, opts);
    // Boards derive the upload and echo ports from the download port, so 0 means three
    // consecutive free ports; another program may take one between the probe and the bind.
    for (let attempt = 1; ; attempt++) {
      try {
        return await TrafficServer.listenAll(host, await findFreePortBase(host), opts);
      } catch (err) {
        if (!(err instanceof PortInUseError) || attempt >= 5) throw err;
      }
    }
  }

  private static async listenAll(host: string, base: number, opts: TrafficServerOptions): Promise<TrafficServer> {
    const pump: PumpOptions = {
      ...DEFAULT_PUMP_OPTIONS,
      ...(opts.writeChunkBytes ? { writeChunkBytes: opts.writeChunkBytes, echoChunkBytes: opts.writeChunkBytes } : {}),
    };
    const servers: Server[] = [];
    const ports = {} as Record<Endpoint, number>;
    let self: TrafficServer | null = null;
    try {
      for (const endpoint of ENDPOINTS) {
        const port = base + ENDPOINT_OFFSETS[endpoint];
        const server = createServer({ pauseOnConnect: true }, (socket) => {
          if (self) self.accept(endpoint, socket);
          else socket.destroy();
        });
        servers.push(server);
        ports[endpoint] = await listen(server, host, port);
      }
    } catch (err) {
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
      throw err;
    }
    const sampler = new TxQueueSampler(opts.queueSampleMs ?? 5, opts.useProcNet !== false && procNetAvailable());
    self = new TrafficServer(host, ports, servers, sampler, opts.intervalMs ?? 1000, pump);
    for (const s of servers) s.on('error', () => {});
    return self;
  }

  /** Connections currently open. */
  connections(): MeteredConnection[] {
    return [...this.open];
  }

  /**
   * The first connection matching `filter` accepted at or after `filter.since`, including one
   * accepted before this call. Rejects with ConnectionTimeoutError after timeoutMs, with the
   * signal's reason when it aborts, and when the server closes.
   */
  waitForConnection(filter: ConnectionFilter, timeoutMs: number, signal?: AbortSignal): Promise<MeteredConnection> {
    const f = { ...filter, since: filter.since ?? Date.now() };
    const found = this.history.find((c) => matches(c, f));
    if (found) return Promise.resolve(found);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.closing) return Promise.reject(new Error('traffic server closed'));
    return new Promise<MeteredConnection>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiters.delete(waiter);
      };
      const waiter: Waiter = {
        filter: f,
        resolve: (c) => (done(), resolve(c)),
        reject: (e) => (done(), reject(e)),
      };
      const onAbort = () => waiter.reject(signal!.reason);
      const timer = setTimeout(
        () => waiter.reject(new ConnectionTimeoutError(`no ${f.endpoint} connection${f.remoteAddress ? ` from ${f.remoteAddress}` : ''} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  /** Stops listening and ends every open connection. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const w of [...this.waiters]) w.reject(new Error('traffic server closed'));
      const listening = this.servers.map((s) => new Promise<void>((r) => s.close(() => r())));
      const conns = [...this.open];
      for (const c of conns) c.destroy();
      await Promise.all([...listening, ...conns.map((c) => c.closed)]);
      await this.sampler.close();
    })();
    return this.closing;
  }

  private accept(endpoint: Endpoint, socket: Socket): void {
    if (this.closing || !socket.remoteAddress) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(endpoint !== 'upload');
    const conn = new MeteredConnection(this.nextId++, endpoint, socket, this.sampler, this.intervalMs);
    this.open.add(conn);
    this.history.push(conn);
    if (this.history.length > HISTORY) this.history.shift();
    conn.once('close', (summary) => {
      this.open.delete(conn);
      this.emit('connection-end', summary);
    });
    if (endpoint === 'download') pumpDownload(socket, conn.counters, this.pump);
    else if (endpoint === 'upload') pumpSink(socket, conn.counters);
    else pumpEcho(socket, conn.counters, this.pump);
    this.emit('connection', conn);
    for (const w of [...this.waiters]) if (matches(conn, w.filter)) w.resolve(conn);
  }
}

function matches(c: MeteredConnection, f: ConnectionFilter & { since: number }): boolean {
  return (
    c.endpoint === f.endpoint &&
    c.acceptedAt >= f.since &&
    (f.remoteAddress === undefined || c.remoteAddress === normalizeAddress(f.remoteAddress))
  );
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') reject(new PortInUseError(port, host));
      else reject(new ListenError(err.code ?? 'error', port, host, err));
    };
    const onListening = () => {
      server.off('error', onError);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host, port, exclusive: true });
  });
}
