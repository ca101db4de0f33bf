import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/** A pty at a fixed path whose board can be unplugged and plugged in again, like a USB serial adapter. */
export interface ReplugablePty {
  /** The path the collector opens; it disappears while unplugged. */
  readonly path: string;
  readonly plugged: boolean;
  /** Kill socat (its link disappears, the reader gets a disconnect) and the board process behind it. */
  unplug(): Promise<void>;
  /** A new pty at the same path with a freshly started board (a new process: it boots again). */
  plug(): Promise<void>;
  close(): Promise<void>;
}

/** Running (a zombie waiting for a parent that never reaps it counts as gone). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/**
 * `socat PTY,link=<path> EXEC:<board>` that can be killed and started again with the same link: a
 * board on a USB adapter that is pulled out and plugged back in. Each plug starts the command anew.
 */
export async function replugablePty(file: string, args: string[]): Promise<ReplugablePty> {
  const socat = requireCommand('socat');
  const dir = mkdtempSync(join(tmpdir(), 'espbench-pty-'));
  const path = join(dir, 'ttyFAKE');
  const pidFile = join(dir, 'board.pid');
  const script = join(dir, 'board.sh');
  const quoted = [file, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  writeFileSync(script, `#!/bin/sh\necho $$ > '${pidFile}'\nexec ${quoted}\n`, { mode: 0o755 });
  let child: ChildProcess | null = null;
  let closed = false;

  const plug = async (): Promise<void> => {
    // A plug scheduled by a test that has already closed the bridge must not start a board nobody stops.
    if (child || closed) return;
    rmSync(pidFile, { force: true });
    const proc = spawn(socat, ['-d', `PTY,link=${path},rawer`, `EXEC:${script}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    await waitFor(path, proc, 5000);
  };

  const unplug = async (): Promise<void> => {
    const proc = child;
    child = null;
    if (!proc) return;
    let boardPid: number | null = null;
    try {
      boardPid = Number(readFileSync(pidFile, 'utf8').trim()) || null;
    } catch {
      // the board had not started yet
    }
    // The board first, so socat reaps it; then socat, which removes its link.
    if (boardPid !== null && alive(boardPid)) {
      signalIfAlive(boardPid, 'SIGTERM');
      const deadline = Date.now() + 5000;
      while (alive(boardPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      signalIfAlive(boardPid, 'SIGKILL');
    }
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('close', r));
      proc.kill('SIGTERM');
      await exited;
    }
    rmSync(path, { force: true });
  };

  await plug();
  return {
    path,
    get plugged() {
      return child !== null;
    },
    unplug,
    plug,
    close: async () => {
      closed = true;
      await unplug();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A process that ends between the check and the signal (ESRCH) is what we wanted anyway. */
function signalIfAlive(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
