import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MARKER, type Message } from './protocol.js';

/** dist/v1-sim/main.js, whether this module runs from dist or (under Vitest) from src. */
export function v1SimMainPath(): string {
  const beside = fileURLToPath(new URL('./main.js', import.meta.url));
  return existsSync(beside) ? beside : fileURLToPath(new URL('../../dist/v1-sim/main.js', import.meta.url));
}

export interface ReceivedMessage {
  message: Message;
  /** performance.now() when the line arrived. */
  at: number;
}

/**
 * A simulator process driven like espbench drives a serial line: command lines on stdin, protocol messages
 * parsed from stdout. For tests and experiments.
 */
export class V1SimProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly received: ReceivedMessage[] = [];
  /** Every stdout line (without terminator). */
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;
  private stderrText = '';
  private pending = '';
  private waiters = new Set<() => void>();

  static spawn(uri: string, opts: { airDir?: string; mainJs?: string } = {}): V1SimProcess {
    const args = [opts.mainJs ?? v1SimMainPath(), ...(opts.airDir ? ['--air', opts.airDir] : []), uri];
    return new V1SimProcess(spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  constructor(child: ChildProcessWithoutNullStreams) {
    this.child = child;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => this.onData(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.stderrText += chunk));
    child.stdin.on('error', () => {});
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    void this.exited.then(() => this.wake());
  }

  get stderr(): string {
    return this.stderrText;
  }

  get messages(): Message[] {
    return this.received.map((r) => r.message);
  }

  /** Writes one command line (`@espbench {...}\n`) to the board's RX. */
  send(command: { type: string } & Record<string, unknown>): void {
    this.child.stdin.write(`${MARKER}${JSON.stringify(command)}\n`);
  }

  /** Writes raw bytes to the board's RX. */
  write(text: string): void {
    this.child.stdin.write(text);
  }

  /**
   * Resolves with the first message at index >= `from` that matches, waiting up to `timeoutMs`.
   * Rejects with the messages seen so far when none comes or the process exits.
   */
  async waitFor(match: (m: Message) => boolean, timeoutMs = 10_000, from = 0): Promise<ReceivedMessage> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const found = this.received.slice(from).find((r) => match(r.message));
      if (found) return found;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`v1-sim exited (${this.child.exitCode ?? this.child.signalCode}); stderr: ${this.stderrText}`);
      }
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new Error(`no matching message within ${timeoutMs} ms; got:\n${this.received.map((r) => JSON.stringify(r.message)).join('\n')}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.add(done);
      });
    }
  }

  /** The first message of `type` (and `id`, when given) at index >= `from`. */
  next(type: string, id?: string, timeoutMs = 10_000, from = 0): Promise<ReceivedMessage> {
    return this.waitFor((m) => m.type === type && (id === undefined || m.id === id), timeoutMs, from);
  }

  /** SIGTERM and wait for the exit code. */
  async kill(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }

  private onData(chunk: string): void {
    const parts = (this.pending + chunk).split('\n');
    this.pending = parts.pop() ?? '';
    const at = performance.now();
    for (const part of parts) {
      const line = part.endsWith('\r') ? part.slice(0, -1) : part;
      this.lines.push(line);
      if (!line.startsWith(MARKER)) continue;
      try {
        const message = JSON.parse(line.slice(MARKER.length)) as Message;
        if (typeof message === 'object' && message !== null) this.received.push({ message, at });
      } catch {
        // A malformed protocol line (fault `malformed`): kept in `lines` only.
      }
    }
    this.wake();
  }

  private wake(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const waiter of waiters) waiter();
  }
}
