import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

const PACED_CLIENT = fileURLToPath(new URL('./fixtures/paced-client.mjs', import.meta.url));

export interface PacedResult {
  bytes: number;
  elapsedMs: number;
  /** Tokens a full bucket spilled: bytes the client fell behind its rate. */
  lostTokens: number;
  /** Reader only: min over the last 75% of the run of bytes(t)/t, B/s. */
  minRate: number;
}

export interface PacedOptions {
  host?: string;
  rate: number;
  cap: number;
  durationMs: number;
  rstDelayMs: number;
}

// A 4 KiB bucket at 1 MB/s spills whenever the client waits more than ~4 ms for a CPU, which on a
// busy machine happens even at nice -20 (the scheduler lets the running task finish its slice).
// A real-time policy wakes it at once; used where permitted (root or CAP_SYS_NICE).
let realtime: boolean | undefined;
function canRunRealtime(): boolean {
  if (realtime === undefined) {
    try {
      realtime = spawnSync('chrt', ['-f', '10', 'true'], { stdio: 'ignore' }).status === 0;
    } catch {
      realtime = false;
    }
  }
  return realtime;
}

/** Runs test/fixtures/paced-client.mjs in its own process. */
export function runPacedClient(mode: 'read' | 'write', port: number, o: PacedOptions): Promise<PacedResult> {
  const args = [PACED_CLIENT, mode, o.host ?? '127.0.0.1', port, o.rate, o.cap, o.durationMs, o.rstDelayMs].map(String);
  const [cmd, argv] = canRunRealtime() ? ['chrt', ['-f', '10', process.execPath, ...args]] : [process.execPath, args];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        if (code !== 0) throw new Error(`paced client exited with ${code}`);
        resolve(JSON.parse(out) as PacedResult);
      } catch (err) {
        reject(err);
      }
    });
  });
}

export function connect(opts: net.NetConnectOpts): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(opts);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves when `cond` holds, polling every 10 ms; rejects after timeoutMs. */
export async function until(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
