import { accessSync, constants } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { ProcKey } from './address.js';
import { monoMs } from './clock.js';

/**
 * tx_queue (bytes sent but not yet acknowledged by the peer) of the line holding `key`, or null.
 * A TIME_WAIT line (state 06) of an earlier connection with the same addresses and ports is skipped.
 */
export function parseTxQueue(text: string, key: string): number | null {
  for (let at = text.indexOf(key); at >= 0; at = text.indexOf(key, at + 1)) {
    // `LOCAL:PORT REMOTE:PORT ST TXQUEUE:RXQUEUE`
    const state = text.slice(at + key.length + 1, at + key.length + 3);
    if (state === '06') continue;
    const hex = text.slice(at + key.length + 4, at + key.length + 12);
    return /^[0-9A-F]{8}$/i.test(hex) ? parseInt(hex, 16) : null;
  }
  return null;
}

export function procNetAvailable(): boolean {
  if (process.platform !== 'linux') return false;
  try {
    accessSync('/proc/net/tcp', constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

// Reading /proc/net/tcp walks the kernel's whole established-socket hash table (about 2.5 ms per
// full read with 262144 buckets), so the reads run in a worker and never stall the event loop, and
// stop as soon as every wanted socket was seen. Where a read is expensive the period stretches from
// tickMs to keep the reader near 10% of a core, but never beyond 20 ms: sparser samples make the
// envelope looser (see docs/measurement.md).
// Kept as source text so it works both from dist/ and from the .ts sources under Vitest.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const parseTxQueue = ${parseTxQueue.toString()};
const CHUNK = 1024;
const MAX_PERIOD_MS = 20;
const fds = {};
const buf = Buffer.allocUnsafe(CHUNK);
let keys = { tcp: [], tcp6: [] };
let tickMs = 5;
let timer = null;
function scan(file, wanted, found) {
  const fd = fds[file] ?? (fds[file] = fs.openSync('/proc/net/' + file, 'r'));
  let text = '';
  let pos = 0;
  let left = wanted.slice();
  while (left.length > 0) {
    const n = fs.readSync(fd, buf, 0, CHUNK, pos);
    if (n === 0) break;
    pos += n;
    const from = Math.max(0, text.length - 256);
    text = text.slice(from) + buf.toString('latin1', 0, n);
    left = left.filter((key) => {
      const q = parseTxQueue(text, key);
      if (q === null) return true;
      found.push([key, q]);
      return false;
    });
  }
}
function now() { return Number(process.hrtime.bigint()) / 1e6; }
function tick() {
  timer = null;
  const t = now();
  const found = [];
  try {
    for (const file of ['tcp', 'tcp6']) if (keys[file].length > 0) scan(file, keys[file], found);
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
    return;
  }
  parentPort.postMessage({ t, found });
  schedule(now() - t);
}
function schedule(costMs) {
  if (timer || (keys.tcp.length === 0 && keys.tcp6.length === 0)) return;
  const period = Math.min(Math.max(tickMs, 10 * costMs), Math.max(tickMs, MAX_PERIOD_MS));
  timer = setTimeout(tick, Math.max(period - costMs, 0));
}
parentPort.on('message', (m) => {
  keys = m.keys;
  tickMs = m.tickMs;
  schedule(0);
});
`;

/** A connection whose send queue is sampled. */
export interface QueueSubscriber {
  readonly procKey: ProcKey | null;
  /** tMono: monotonic ms when the sample was taken; txQueue: unacknowledged bytes (0 without /proc). */
  onQueueSample(tMono: number, txQueue: number): void;
}

type WorkerMessage = { t: number; found: [string, number][] } | { error: string };

/**
 * Samples the send queue of every subscribed socket each tick, with one /proc read per tick
 * shared by all of them. Without /proc (or if reading it fails) subscribers get txQueue 0 each
 * tick, i.e. written bytes.
 */
export class TxQueueSampler {
  private readonly subs = new Set<QueueSubscriber>();
  private readonly byKey = new Map<string, QueueSubscriber>();
  private worker: Worker | null = null;
  private fallbackTimer: NodeJS.Timeout | null = null;
  private procOk: boolean;
  private closed = false;

  constructor(
    readonly tickMs = 5,
    useProc = procNetAvailable(),
  ) {
    this.procOk = useProc;
    // Started now rather than at the first connection, whose first samples it would otherwise miss.
    this.ensureWorker();
  }

  /** Whether subscribers currently get /proc send-queue samples. */
  get usesProc(): boolean {
    return this.procOk;
  }

  add(sub: QueueSubscriber): void {
    if (this.closed) return;
    this.subs.add(sub);
    if (sub.procKey) this.byKey.set(sub.procKey.key, sub);
    this.update();
  }

  delete(sub: QueueSubscriber): void {
    if (!this.subs.delete(sub)) return;
    if (sub.procKey && this.byKey.get(sub.procKey.key) === sub) this.byKey.delete(sub.procKey.key);
    this.update();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.subs.clear();
    this.byKey.clear();
    this.update();
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }

  private update(): void {
    const procSubs = this.procOk ? [...this.subs].filter((s) => s.procKey) : [];
    const plain = [...this.subs].filter((s) => !this.procOk || !s.procKey);
    if (procSubs.length > 0 || this.worker) {
      const keys = { tcp: [] as string[], tcp6: [] as string[] };
      for (const s of procSubs) keys[s.procKey!.file].push(s.procKey!.key);
      this.ensureWorker()?.postMessage({ keys, tickMs: this.tickMs });
    }
    if (plain.length > 0 && !this.fallbackTimer) {
      this.fallbackTimer = setInterval(() => this.fallbackTick(), this.tickMs);
      this.fallbackTimer.unref();
    } else if (plain.length === 0 && this.fallbackTimer) {
      clearInterval(this.fallbackTimer);
      this.fallbackTimer = null;
    }
  }

  private ensureWorker(): Worker | null {
    if (this.worker || this.closed || !this.procOk) return this.worker;
    const w = new Worker(WORKER_SOURCE, { eval: true });
    w.unref();
    w.on('message', (m: WorkerMessage) => this.onWorkerMessage(m));
    w.on('error', (err) => this.disableProc(String(err)));
    this.worker = w;
    return w;
  }

  private onWorkerMessage(m: WorkerMessage): void {
    if ('error' in m) {
      this.disableProc(m.error);
      return;
    }
    for (const [key, q] of m.found) this.byKey.get(key)?.onQueueSample(m.t, q);
  }

  private disableProc(_reason: string): void {
    if (!this.procOk) return;
    this.procOk = false;
    const w = this.worker;
    this.worker = null;
    void w?.terminate();
    this.update();
  }

  private fallbackTick(): void {
    const t = monoMs();
    for (const s of this.subs) if (!this.procOk || !s.procKey) s.onQueueSample(t, 0);
  }
}
