import { EventEmitter } from 'node:events';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { toLine, type SeriesPoint } from './point.js';
import type { Spool } from './spool.js';
import { describeTarget, redact, type InfluxTarget } from './target.js';

const gzip = promisify(gzipCb);

export interface WriterOptions {
  /** Spool next to the local store; without one, a batch that cannot be written is lost (tests, perf). */
  spool?: Spool;
  /** Lines per request. */
  batchSize?: number;
  /** A batch waits at most this long for more points. */
  flushIntervalMs?: number;
  gzip?: boolean;
  /** Attempts per batch on 5xx, 429 and network errors before it stays in the spool. */
  maxAttempts?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  requestTimeoutMs?: number;
  /** After the database was unreachable, how long new batches go straight to the spool before trying again. */
  downHoldMs?: number;
}

export interface RejectedPoint {
  line: string;
  reason: string;
}

export interface WriteStats {
  /** Lines the database accepted. */
  written: number;
  /** Lines from earlier spooled batches that this writer delivered. */
  replayed: number;
  /** Lines left in the spool for a later `espbench publish`. */
  spooled: number;
  /** Lines the database refused for good (kept in the spool's rejected.txt). */
  rejected: number;
  /** Lines that could not be written and had no spool to go to. */
  lost: number;
  requests: number;
  retries: number;
}

/** The database answered in a way retrying cannot fix (bad credentials, no such database, ...). */
export class InfluxWriteError extends Error {
  override readonly name = 'InfluxWriteError';
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

type Outcome =
  | { kind: 'ok' }
  | { kind: 'partial'; rejected: RejectedPoint[] }
  | { kind: 'retry'; reason: string; retryAfterMs: number | null }
  | { kind: 'fatal'; error: InfluxWriteError };

interface WriterEvents {
  /** Points the database refused, one entry per point. */
  rejected: [RejectedPoint[]];
  /** A batch went to (or stayed in) the spool. */
  spooled: [{ lines: number; reason: string }];
  /** A fatal answer: nothing more is sent; everything goes to the spool. */
  error: [InfluxWriteError];
}

/**
 * Batched, gzipped line-protocol writes with retry and a durable spool. `write` never blocks on the
 * network; `flush` and `close` wait for what was written so far to be in the database or the spool.
 */
export class InfluxWriter extends EventEmitter<WriterEvents> {
  readonly stats: WriteStats = { written: 0, replayed: 0, spooled: 0, rejected: 0, lost: 0, requests: 0, retries: 0 };
  private readonly opts: Required<Omit<WriterOptions, 'spool'>>;
  private buffer: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();
  private fatal: InfluxWriteError | null = null;
  private downUntil = 0;
  private replayDue = true;
  private readonly mine = new Set<string>();
  private queued = 0;

  constructor(
    readonly target: InfluxTarget,
    private readonly options: WriterOptions = {},
  ) {
    super();
    this.opts = {
      batchSize: options.batchSize ?? 5000,
      flushIntervalMs: options.flushIntervalMs ?? 1000,
      gzip: options.gzip ?? true,
      maxAttempts: options.maxAttempts ?? 5,
      retryBaseMs: options.retryBaseMs ?? 250,
      retryMaxMs: options.retryMaxMs ?? 5000,
      requestTimeoutMs: options.requestTimeoutMs ?? 15_000,
      downHoldMs: options.downHoldMs ?? 5000,
    };
  }

  get error(): InfluxWriteError | null {
    return this.fatal;
  }

  /** Batches cut but not yet delivered or spooled: callers producing many points wait when this grows. */
  get queuedBatches(): number {
    return this.queued;
  }

  write(points: SeriesPoint | readonly SeriesPoint[]): void {
    const list = Array.isArray(points) ? points : [points as SeriesPoint];
    this.writeLines(list.map(toLine));
  }

  writeLines(lines: readonly string[]): void {
    for (const line of lines) {
      this.buffer.push(line);
      if (this.buffer.length >= this.opts.batchSize) this.cut();
    }
    if (this.buffer.length && !this.timer) {
      this.timer = setTimeout(() => this.cut(), this.opts.flushIntervalMs);
      this.timer.unref();
    }
  }

  /** Wait until everything written so far is in the database, the spool or the rejected file. */
  async flush(): Promise<void> {
    this.cut();
    await this.chain;
  }

  /** Wait for the batches already cut, leaving points still being collected where they are. */
  async idle(): Promise<void> {
    await this.chain;
  }

  async close(): Promise<WriteStats> {
    await this.flush();
    return { ...this.stats };
  }

  /** Send batches spooled earlier (by any process) for this target. */
  async replay(): Promise<void> {
    this.replayDue = true;
    this.chain = this.chain.then(() => this.replaySpool()).catch((err: Error) => {
      this.emit('spooled', { lines: 0, reason: `could not replay the spool: ${err.message}` });
    });
    await this.chain;
  }

  private cut(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.buffer.length) return;
    const batch = this.buffer;
    this.buffer = [];
    this.queued++;
    // One batch failing (a full disk under the spool) must not wedge every later flush.
    this.chain = this.chain
      .then(() => this.deliver(batch))
      .catch((err: Error) => {
        this.stats.lost += batch.length;
        this.emit('spooled', { lines: 0, reason: `could not keep ${batch.length} points: ${err.message}` });
      })
      .finally(() => this.queued--);
  }

  private async deliver(lines: string[]): Promise<void> {
    const spool = this.options.spool;
    const name = spool ? await spool.add(lines) : null;
    if (name) this.mine.add(name);
    const sent = await this.sendOrKeep(lines, name);
    if (!sent) {
      if (name) this.stats.spooled += lines.length;
      else this.stats.lost += lines.length;
      return;
    }
    this.stats.written += sent.written;
    if (this.replayDue) await this.replaySpool();
  }

  /** Send one batch; on success remove its spool file. Returns null when it stays spooled. */
  private async sendOrKeep(lines: string[], name: string | null): Promise<{ written: number } | null> {
    const keep = (reason: string) => {
      if (name) this.mine.delete(name);
      this.emit('spooled', { lines: lines.length, reason });
      return null;
    };
    if (this.fatal) return keep(this.fatal.message);
    if (Date.now() < this.downUntil) return keep('the database was unreachable moments ago');
    const outcome = await this.send(lines);
    if (outcome.kind === 'fatal') {
      this.fatal = outcome.error;
      this.emit('error', outcome.error);
      return keep(outcome.error.message);
    }
    if (outcome.kind === 'retry') {
      this.downUntil = Date.now() + this.opts.downHoldMs;
      this.replayDue = true;
      return keep(outcome.reason);
    }
    let rejected = 0;
    if (outcome.kind === 'partial') {
      rejected = outcome.rejected.length;
      this.stats.rejected += rejected;
      if (this.options.spool) await this.options.spool.reject(outcome.rejected);
      this.emit('rejected', outcome.rejected);
    }
    if (name && this.options.spool) {
      await this.options.spool.remove(name);
      this.mine.delete(name);
    }
    return { written: lines.length - rejected };
  }

  /** Batches spooled by earlier runs or processes; stops at the first that cannot be sent. */
  private async replaySpool(): Promise<void> {
    const spool = this.options.spool;
    this.replayDue = false;
    if (!spool || this.fatal) return;
    for (const name of await spool.pending()) {
      if (this.mine.has(name)) continue;
      const lines = await spool.read(name);
      if (!lines.length) {
        await spool.remove(name);
        continue;
      }
      this.mine.add(name);
      const sent = await this.sendOrKeep(lines, name);
      if (!sent) return;
      this.stats.replayed += sent.written;
    }
  }

  /** One batch with retries: backoff with jitter, honouring Retry-After. */
  private async send(lines: string[]): Promise<Outcome> {
    const body = Buffer.from(lines.join('\n') + '\n');
    const payload = this.opts.gzip ? await gzip(body, { level: 1 }) : body;
    let last: Outcome = { kind: 'retry', reason: 'not sent', retryAfterMs: null };
    for (let attempt = 1; attempt <= this.opts.maxAttempts; attempt++) {
      if (attempt > 1) {
        this.stats.retries++;
        const backoff = Math.min(this.opts.retryMaxMs, this.opts.retryBaseMs * 2 ** (attempt - 2));
        const wait = last.kind === 'retry' && last.retryAfterMs !== null ? Math.min(last.retryAfterMs, this.opts.retryMaxMs) : backoff * (0.5 + Math.random() / 2);
        await new Promise((r) => setTimeout(r, wait));
      }
      last = await this.request(payload, lines);
      if (last.kind !== 'retry') return last;
    }
    return last;
  }

  private async request(payload: Buffer, lines: string[]): Promise<Outcome> {
    const t = this.target;
    const headers: Record<string, string> = { 'Content-Type': 'text/plain; charset=utf-8' };
    if (this.opts.gzip) headers['Content-Encoding'] = 'gzip';
    let url: string;
    if (t.api === 'v2') {
      const q = new URLSearchParams({ bucket: t.bucket!, precision: 'ms' });
      if (t.org) q.set('org', t.org);
      url = `${t.url}/api/v2/write?${q}`;
      headers.Authorization = `Token ${t.token}`;
    } else {
      const q = new URLSearchParams({ db: t.db!, precision: 'ms' });
      if (t.rp) q.set('rp', t.rp);
      url = `${t.url}/write?${q}`;
      if (t.user) headers.Authorization = `Basic ${Buffer.from(`${t.user}:${t.password ?? ''}`).toString('base64')}`;
      else if (t.token) headers.Authorization = `Token ${t.token}`;
    }
    this.stats.requests++;
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, { method: 'POST', headers, body: payload, signal: AbortSignal.timeout(this.opts.requestTimeoutMs) });
      text = await res.text();
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      return { kind: 'retry', reason: `cannot reach ${describeTarget(t)}: ${cause?.code ?? cause?.message ?? (err as Error).message}`, retryAfterMs: null };
    }
    if (res.status >= 200 && res.status < 300) return { kind: 'ok' };
    const message = redact(errorMessage(text) || res.statusText, t);
    if (res.status === 429 || res.status >= 500) {
      const after = Number(res.headers.get('retry-after'));
      return { kind: 'retry', reason: `${describeTarget(t)} answered ${res.status}: ${message}`, retryAfterMs: Number.isFinite(after) && after > 0 ? after * 1000 : null };
    }
    if (res.status === 400) {
      const rejected = rejectedLines(message, text, lines);
      if (rejected) return { kind: 'partial', rejected };
    }
    return { kind: 'fatal', error: new InfluxWriteError(fatalMessage(res.status, message, t), res.status) };
  }
}

function errorMessage(body: string): string {
  try {
    const json = JSON.parse(body) as { error?: string; message?: string };
    return json.error ?? json.message ?? body.trim();
  } catch {
    return body.trim();
  }
}

/**
 * Which lines a 400 refused. InfluxDB 1.x quotes each unparsable line (`unable to parse '...': why`)
 * and says `partial write:` when the rest landed; 2.x gives a JSON `line` number. A field type conflict
 * names no line, so every line of that measurement and field is reported.
 */
export function rejectedLines(message: string, body: string, lines: readonly string[]): RejectedPoint[] | null {
  const out: RejectedPoint[] = [];
  const byText = new Map(lines.map((l, i) => [l, i]));
  const parse = /unable to parse '((?:[^']|'(?!: ))*)': ([^\n]*?)(?=(?:\nunable to parse '|$| dropped=))/g;
  for (const m of message.matchAll(parse)) {
    const line = m[1]!;
    if (byText.has(line)) out.push({ line, reason: m[2]!.trim() });
  }
  const conflict = /field type conflict: input field "([^"]+)" on measurement "([^"]+)" is type (\w+), already exists as type (\w+)/.exec(message);
  if (conflict) {
    const [, field, measurement, got, want] = conflict;
    for (const line of lines) {
      if (line.startsWith(`${measurement},`) || line.startsWith(`${measurement} `)) {
        const value = new RegExp(`[ ,]${escapeRegExp(field!)}=("|-?[0-9.eE+-]+i[ ,]|[tTfF][a-zA-Z]*[ ,]|[-0-9.])`).exec(line)?.[1];
        if (value && fieldType(value) === got) out.push({ line, reason: `field ${field} is ${got} here but ${want} in the database` });
      }
    }
  }
  try {
    const v2 = JSON.parse(body) as { line?: number };
    if (typeof v2.line === 'number' && lines[v2.line - 1] !== undefined) out.push({ line: lines[v2.line - 1]!, reason: message });
  } catch {
    // not JSON
  }
  // A retention policy drops points too old for it without naming them: `points beyond retention policy dropped=N`.
  const dropped = Number(/dropped=(\d+)/.exec(message)?.[1] ?? 0);
  for (let i = out.length; i < dropped; i++) out.push({ line: '', reason: message });
  if (out.length || /partial write/.test(message)) return out;
  return null;
}

function fieldType(valueStart: string): string {
  if (valueStart === '"') return 'string';
  if (/i[ ,]$/.test(valueStart)) return 'integer';
  if (/^[tTfF]/.test(valueStart)) return 'boolean';
  return 'float';
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function fatalMessage(status: number, message: string, t: InfluxTarget): string {
  const where = describeTarget(t);
  if (status === 401 || status === 403) {
    const how = t.api === 'v2' ? 'ESPBENCH_INFLUX_TOKEN' : 'ESPBENCH_INFLUX_USER and ESPBENCH_INFLUX_PASSWORD';
    return `${where} refused the credentials (${status}: ${message}); check ${how}`;
  }
  if (status === 404) {
    const create = t.api === 'v2' ? `create bucket ${t.bucket}` : `create it: influx -execute 'CREATE DATABASE "${t.db}"'`;
    return `${where} does not exist (${message}); ${create}`;
  }
  return `${where} refused the write (${status}: ${message})`;
}
