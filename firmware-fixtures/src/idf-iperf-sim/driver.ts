import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PROMPT } from './console-text.js';

/** dist/idf-iperf-sim/main.js, whether this module runs from dist or (under Vitest) from src. */
export function idfIperfSimMainPath(): string {
  const beside = fileURLToPath(new URL('./main.js', import.meta.url));
  if (beside.includes('/dist/') && existsSync(beside)) return beside;
  return fileURLToPath(new URL('../../dist/idf-iperf-sim/main.js', import.meta.url));
}

/**
 * The simulator as a child process, driven like a serial console: `send()` types a line, `lines` holds what
 * came back (prompts split off: `iperf> ` is not followed by a line break). For tests and experiments.
 */
export class IdfIperfSimProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** Complete lines, terminator and leading prompts removed. */
  readonly lines: string[] = [];
  /** Everything received, as text. */
  raw = '';
  readonly exited: Promise<number | null>;
  private pending = '';
  private stderrText = '';
  private waiters = new Set<() => void>();

  static spawn(uri: string, opts: { mainJs?: string } = {}): IdfIperfSimProcess {
    return new IdfIperfSimProcess(spawn(process.execPath, [opts.mainJs ?? idfIperfSimMainPath(), uri], { stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  constructor(child: ChildProcessWithoutNullStreams) {
    this.child = child;
    child.stdout.setEncoding('latin1').on('data', (chunk: string) => this.onData(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.stderrText += chunk));
    child.stdin.on('error', () => {});
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    void this.exited.then(() => this.wake());
  }

  get stderr(): string {
    return this.stderrText;
  }

  /** How many prompts were printed so far. */
  get prompts(): number {
    return this.raw.split(PROMPT).length - 1;
  }

  /** Types `text` and Enter (CR, as a terminal sends it). */
  send(text: string, eol = '\r'): void {
    this.child.stdin.write(text + eol);
  }

  write(text: string): void {
    this.child.stdin.write(text);
  }

  /** Waits until `done()` holds, re-checking whenever output arrives. */
  async until(done: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (done()) return;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`idf-iperf-sim exited while waiting for ${what}; stderr: ${this.stderrText}`);
      }
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; output:\n${this.raw}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(finish, left);
        function finish(): void {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.add(finish);
      });
    }
  }

  /** The first line at index >= `from` matching `re`. */
  async line(re: RegExp, timeoutMs = 10_000, from = 0): Promise<{ line: string; index: number }> {
    let found: { line: string; index: number } | null = null;
    await this.until(
      () => {
        const index = this.lines.findIndex((l, i) => i >= from && re.test(l));
        if (index >= 0) found = { line: this.lines[index] as string, index };
        return found !== null;
      },
      `a line matching ${re}`,
      timeoutMs,
    );
    return found as unknown as { line: string; index: number };
  }

  /** Waits for prompt number `n` (1-based). */
  prompt(n: number, timeoutMs = 10_000): Promise<void> {
    return this.until(() => this.prompts >= n, `prompt #${n}`, timeoutMs);
  }

  async kill(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }

  private onData(chunk: string): void {
    this.raw += chunk;
    const parts = (this.pending + chunk).split('\n');
    this.pending = parts.pop() ?? '';
    for (const part of parts) {
      let line = part.endsWith('\r') ? part.slice(0, -1) : part;
      while (line.startsWith(PROMPT)) line = line.slice(PROMPT.length);
      this.lines.push(line);
    }
    this.wake();
  }

  private wake(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const waiter of waiters) waiter();
  }
}
