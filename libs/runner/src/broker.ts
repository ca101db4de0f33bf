import type { ConnectionSummary, Endpoint, Estimate, IntervalSample } from '@espbench/traffic';

/** What the runner needs of a metered host connection (the traffic server's MeteredConnection). */
export interface MeteredConnectionLike {
  readonly id: number;
  readonly endpoint: Endpoint;
  readonly remoteAddress: string;
  /** Epoch ms. */
  readonly acceptedAt: number;
  readonly closed: Promise<ConnectionSummary>;
  snapshot(): ConnectionSummary;
  estimateUntil(endAt: number): Estimate;
  on(event: 'interval', listener: (sample: IntervalSample) => void): unknown;
  off(event: 'interval', listener: (sample: IntervalSample) => void): unknown;
}

export interface ConnectionSourceLike {
  on(event: 'connection', listener: (conn: MeteredConnectionLike) => void): unknown;
  off(event: 'connection', listener: (conn: MeteredConnectionLike) => void): unknown;
}

interface Waiter {
  endpoint: Endpoint;
  ip: string | null;
  since: number;
  resolve: (c: MeteredConnectionLike) => void;
}

/**
 * Hands each host connection to exactly one device run. Several boards share one traffic server;
 * a connection belongs to the board whose IP it comes from, or, while a board's IP is unknown,
 * to the first board waiting for that endpoint.
 */
export class ConnectionBroker {
  private recent: MeteredConnectionLike[] = [];
  private waiters: Waiter[] = [];
  private readonly onConnection = (conn: MeteredConnectionLike) => this.offer(conn);

  constructor(private readonly source: ConnectionSourceLike, private readonly keepMs = 60_000) {
    source.on('connection', this.onConnection);
  }

  dispose(): void {
    this.source.off('connection', this.onConnection);
    this.recent = [];
  }

  /** The first unclaimed connection on `endpoint` from `ip` (any IP if null) accepted at or after `since`. */
  claim(endpoint: Endpoint, ip: string | null, since: number, timeoutMs: number, signal?: AbortSignal): Promise<MeteredConnectionLike | null> {
    const idx = this.recent.findIndex((c) => matches(c, endpoint, ip, since));
    if (idx >= 0) return Promise.resolve(this.recent.splice(idx, 1)[0]!);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        endpoint,
        ip,
        since,
        resolve: (c) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', cancel);
          resolve(c);
        },
      };
      const cancel = () => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        clearTimeout(timer);
        resolve(null);
      };
      const timer = setTimeout(cancel, timeoutMs);
      signal?.addEventListener('abort', cancel, { once: true });
      this.waiters.push(waiter);
    });
  }

  private offer(conn: MeteredConnectionLike): void {
    // Boards with a known IP get first pick, so a board still learning its IP never takes theirs.
    const ordered = [...this.waiters.filter((w) => w.ip !== null), ...this.waiters.filter((w) => w.ip === null)];
    const waiter = ordered.find((w) => matches(conn, w.endpoint, w.ip, w.since));
    if (waiter) {
      this.waiters = this.waiters.filter((w) => w !== waiter);
      waiter.resolve(conn);
      return;
    }
    const cutoff = Date.now() - this.keepMs;
    this.recent = this.recent.filter((c) => c.acceptedAt >= cutoff);
    this.recent.push(conn);
  }
}

function matches(c: MeteredConnectionLike, endpoint: Endpoint, ip: string | null, since: number): boolean {
  return c.endpoint === endpoint && c.acceptedAt >= since && (ip === null || c.remoteAddress === ip);
}
