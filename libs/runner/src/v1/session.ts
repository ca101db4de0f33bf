import type { LineLink, LinkLine } from '@espbench/link';
import { BoardParser, v1 } from '@espbench/protocol';
import type { RunRecord } from '@espbench/schema';

export type SessionEvent =
  | { kind: 'message'; t: number; message: v1.DeviceMessage }
  | { kind: 'malformed'; t: number; error: string; text: string }
  | { kind: 'unknown-type'; t: number; type: string }
  | { kind: 'reset'; t: number; reason: string }
  | { kind: 'panic'; t: number; message: string }
  | { kind: 'closed'; t: number; reason: string };

export class SessionError extends Error {
  override readonly name = 'SessionError';
}

/**
 * One protocol-v1 board on its serial line: every event in order, readable from any position, so
 * two runs in progress at once (coexistence) can each follow the same stream.
 */
export class V1Session {
  readonly events: SessionEvent[] = [];
  readonly log: RunRecord['log'] = [];
  private readonly parser = new BoardParser();
  private readonly startMs = Date.now();
  private wake = new Set<() => void>();
  private raw: Buffer[] = [];
  hello: v1.HelloMessage | null = null;
  ready: v1.ReadyMessage | null = null;
  chip: string | null = null;

  constructor(readonly link: LineLink) {
    link.on('line', (l) => this.onLine(l));
    link.on('data', (d) => {
      if (this.raw.length < 20_000) this.raw.push(Buffer.from(d));
    });
    link.on('close', (reason) => this.push({ kind: 'closed', t: Date.now(), reason: reason ?? 'the link was closed' }));
  }

  get uri(): string {
    return this.link.uri;
  }

  rawBytes(): Buffer {
    return Buffer.concat(this.raw);
  }

  private onLine(l: LinkLine): void {
    if (this.log.length < 20_000) this.log.push({ t: Math.round(l.t - this.startMs) / 1000, line: l.line });
    const parsed = v1.parseV1Line(l.line);
    if (parsed?.kind === 'message') {
      const m = parsed.message;
      if (m.type === 'hello') {
        this.hello = m;
        this.chip = m.chip;
      }
      if (m.type === 'ready') this.ready = m;
      this.push({ kind: 'message', t: l.t, message: m });
    } else if (parsed?.kind === 'malformed') {
      this.push({ kind: 'malformed', t: l.t, error: parsed.error, text: parsed.text.slice(0, 200) });
    } else if (parsed?.kind === 'unknown-type') {
      this.push({ kind: 'unknown-type', t: l.t, type: parsed.type });
    } else if (!parsed) {
      // Ordinary log lines: the ROM banner of a reset and a panic matter even outside the protocol.
      for (const ev of this.parser.feed(l.line)) {
        if (ev.type === 'rom' && ev.chip) this.chip ??= ev.chip;
        if (ev.type === 'reset') this.push({ kind: 'reset', t: l.t, reason: ev.resetReason });
        if (ev.type === 'panic-begin') this.push({ kind: 'panic', t: l.t, message: 'board panicked' });
      }
    }
  }

  private push(ev: SessionEvent): void {
    this.events.push(ev);
    for (const w of [...this.wake]) w();
  }

  async send(cmd: v1.HostCommand): Promise<void> {
    await this.link.write(v1.encodeCommand(cmd));
  }

  /** The first event at or after `from` that `match` accepts, with its index; null at the deadline. */
  async next<T>(from: number, deadline: number, match: (ev: SessionEvent) => T | undefined, signal?: AbortSignal): Promise<{ value: T; index: number } | null> {
    let i = from;
    for (;;) {
      for (; i < this.events.length; i++) {
        const v = match(this.events[i]!);
        if (v !== undefined) return { value: v, index: i };
      }
      if (Date.now() >= deadline || signal?.aborted) return null;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.wake.delete(done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, Math.max(0, deadline - Date.now()));
        signal?.addEventListener('abort', done, { once: true });
        this.wake.add(done);
      });
    }
  }

  /** Say hello and wait for the board's hello and ready (a board that just booted sends them anyway). */
  async handshake(timeoutS: number, signal?: AbortSignal): Promise<void> {
    const from = 0;
    const deadline = Date.now() + timeoutS * 1000;
    await this.send({ type: 'hello' }).catch(() => {});
    const hello = await this.next(from, deadline, (ev) => (ev.kind === 'message' && ev.message.type === 'hello' ? ev.message : ev.kind === 'closed' ? ev : undefined), signal);
    if (!hello) throw new SessionError(`${this.uri}: no espbench protocol hello within ${timeoutS} s; is it running protocol-v1 firmware (docs/protocol-v1.md)? esp-hal's bench loop needs no --scenario`);
    if ('kind' in hello.value) throw new SessionError(`${this.uri}: ${hello.value.reason}`);
    v1.checkVersion(hello.value, this.uri);
    // A host that was killed may have left a run going: end it (an idle board answers with ready).
    await this.send({ type: 'stop' }).catch(() => {});
    const ready = await this.next(hello.index, deadline, (ev) => (ev.kind === 'message' && ev.message.type === 'ready' ? ev.message : undefined), signal);
    if (!ready) {
      await this.send({ type: 'status' }).catch(() => {});
      const again = await this.next(hello.index, Date.now() + 5000, (ev) => (ev.kind === 'message' && ev.message.type === 'ready' ? ev.message : undefined), signal);
      if (!again) throw new SessionError(`${this.uri}: said hello but never ready (radios not up?)`);
    }
  }
}
