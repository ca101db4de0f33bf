import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireCommand } from './require-command.js';

export interface PtyBridge {
  /** The path a collector opens, like /dev/ttyACM0. */
  path: string;
  close(): Promise<void>;
}

async function waitFor(path: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (child.exitCode !== null) throw new Error(`socat exited with code ${child.exitCode} before creating ${path}`);
    if (Date.now() > deadline) throw new Error(`socat did not create ${path} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function bridge(child: ChildProcess, path: string, dir: string): PtyBridge {
  return {
    path,
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('close', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A real pty whose other end is a program's stdio, made by socat: what a USB serial adapter looks
 * like to the collector, with a simulated board behind it.
 */
export async function ptyForCommand(file: string, args: string[]): Promise<PtyBridge> {
  const socat = requireCommand('socat');
  const dir = mkdtempSync(join(tmpdir(), 'espbench-pty-'));
  const path = join(dir, 'tty');
  // A wrapper script sidesteps socat's own quoting rules for `:` `,` `!` in the command line.
  const script = join(dir, 'board.sh');
  const quoted = [file, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  writeFileSync(script, `#!/bin/sh\nexec ${quoted}\n`, { mode: 0o755 });
  const child = spawn(socat, ['-d', `PTY,link=${path},rawer`, `EXEC:${script}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  await waitFor(path, child, 5000);
  return bridge(child, path, dir);
}

/** Two linked ptys: the test writes to `peer`, the code under test opens `path`. */
export async function ptyPair(): Promise<PtyBridge & { peer: string }> {
  const socat = requireCommand('socat');
  const dir = mkdtempSync(join(tmpdir(), 'espbench-pty-'));
  const path = join(dir, 'tty');
  const peer = join(dir, 'peer');
  const child = spawn(socat, ['-d', `PTY,link=${path},rawer`, `PTY,link=${peer},rawer`], { stdio: 'ignore' });
  await waitFor(path, child, 5000);
  await waitFor(peer, child, 5000);
  return { ...bridge(child, path, dir), peer };
}
