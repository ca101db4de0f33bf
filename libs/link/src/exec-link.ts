import { spawn, type ChildProcess } from 'node:child_process';
import { LinkError } from './errors.js';
import { LineLink } from './link.js';

export interface ProcessSpec {
  file: string;
  args: string[];
  /** Shown in messages. */
  display: string;
}

/** A child process whose stdout is the serial line and stdin the board's RX (espflash monitor, probe-rs run). */
export class ProcessLink extends LineLink {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    uri: string,
    readonly kind: 'exec' | 'sim',
    private readonly spec: ProcessSpec,
  ) {
    super(uri);
  }

  /** `exec:` URIs run through the shell, so quoting works as users expect. */
  static shell(uri: string, command: string): ProcessLink {
    return new ProcessLink(uri, 'exec', { file: '/bin/sh', args: ['-c', command], display: command });
  }

  async open(): Promise<void> {
    // Its own process group: closing kills a whole `exec:` pipeline, not just the shell in front of it.
    const child = spawn(this.spec.file, this.spec.args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.child = child;
    const stderrTail: string[] = [];
    child.stderr?.on('data', (chunk: Buffer) => {
      stderrTail.push(chunk.toString('utf8'));
      if (stderrTail.length > 20) stderrTail.shift();
    });
    child.stdout?.on('data', (chunk: Buffer) => this.receive(chunk));
    child.stdin?.on('error', () => {});
    this.exited = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        const tail = stderrTail.join('').trim().split('\n').pop() ?? '';
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        this.ended(`"${this.spec.display}" ${how}${tail ? `: ${tail}` : ''}`);
        resolve();
      });
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err) =>
        reject(new LinkError('spawn-failed', `cannot start "${this.spec.display}": ${err.message}`)),
      );
    });
  }

  write(data: string | Buffer): Promise<void> {
    const stdin = this.child?.stdin;
    if (!stdin || stdin.destroyed) return Promise.reject(new LinkError('closed', `"${this.spec.display}" is not running`));
    return new Promise((resolve, reject) => stdin.write(data, (err) => (err ? reject(err) : resolve())));
  }

  protected async doClose(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const kill = (signal: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, signal);
        else child.kill(signal);
      } catch {
        child.kill(signal);
      }
    };
    kill('SIGTERM');
    const timer = setTimeout(() => kill('SIGKILL'), 2000);
    await this.exited;
    clearTimeout(timer);
  }
}
