import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { findFreePortBase } from '@espbench/traffic';
import type { PerfEndpoint } from './load.js';

/** A server under test, in its own process(es). */
export interface RunningServer {
  name: string;
  /** How it was started, for the report. */
  command: string;
  ports: Record<PerfEndpoint, number>;
  stop(): Promise<void>;
}

function portsFrom(base: number): Record<PerfEndpoint, number> {
  return { download: base, upload: base + 1, echo: base + 2 };
}

function probe(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Resolves once every port accepts connections; rejects if a child exits first or after timeoutMs. */
async function waitListening(host: string, ports: number[], children: ChildProcess[], stderr: () => string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (const port of ports) {
    for (;;) {
      const dead = children.find((c) => c.exitCode !== null || c.signalCode !== null);
      if (dead) throw new Error(`server exited before listening on ${port}: ${stderr().trim() || `exit ${dead.exitCode}`}`);
      if (await probe(host, port)) break;
      if (Date.now() > end) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms: ${stderr().trim()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function collect(child: ChildProcess): () => string {
  let text = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (text.length < 4096) text += d.toString();
  });
  return () => text;
}

/** Stops a child started `detached` (its own process group) together with anything it forked. */
function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  const pid = child.pid;
  return new Promise((resolve) => {
    const kill = setTimeout(() => {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, 3000);
    child.once('exit', () => {
      clearTimeout(kill);
      try {
        process.kill(-pid, 'SIGTERM'); // forked per-connection children, if any are left
      } catch {
        /* none */
      }
      resolve();
    });
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      resolve();
    }
  });
}

/** espbench's server: `espbench serve` when apps/cli is built, else tools' own TrafficServer script. */
export async function startEspbench(root: string, host: string, preferLib = false): Promise<RunningServer> {
  const base = await findFreePortBase(host);
  const cli = join(root, 'apps/cli/dist/main.js');
  const args = existsSync(cli) && !preferLib
    ? [cli, 'serve', '--listen', host, '--port-base', String(base), '--quiet']
    : [join(root, 'tools/dist/perf/serve-main.js'), host, String(base)];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  const stderr = collect(child);
  const running: RunningServer = {
    name: 'espbench',
    command: ['node', ...args.map((a) => a.replace(root + '/', ''))].join(' '),
    ports: portsFrom(base),
    stop: () => stopGroup(child),
  };
  try {
    await waitListening(host, Object.values(running.ports), [child], stderr);
  } catch (err) {
    await running.stop();
    throw err;
  }
  return running;
}

/**
 * The reference: one socat per endpoint, forking a process per connection. download reads
 * /dev/zero, upload writes to /dev/null, echo loops the socket through an in-process pipe (PIPE),
 * which is socat's cheapest echo (SYSTEM:cat would add a second process and two more copies).
 */
export function socatArgs(endpoint: PerfEndpoint, host: string, port: number, block: number | null): string[] {
  const listen = `TCP-LISTEN:${port},bind=${host},reuseaddr,fork`;
  const b = block ? ['-b', String(block)] : [];
  switch (endpoint) {
    case 'download':
      return [...b, '-U', listen, 'OPEN:/dev/zero'];
    case 'upload':
      return [...b, '-u', listen, 'OPEN:/dev/null'];
    case 'echo':
      return [...b, listen, 'PIPE'];
  }
}

export async function startSocat(host: string, block: number | null): Promise<RunningServer> {
  const base = await findFreePortBase(host);
  const ports = portsFrom(base);
  const endpoints: PerfEndpoint[] = ['download', 'upload', 'echo'];
  const argv = endpoints.map((e) => socatArgs(e, host, ports[e], block));
  // socat logs every reset connection; keep only the start of it, for startup failures.
  const children = argv.map((a) => spawn('socat', a, { stdio: ['ignore', 'ignore', 'pipe'], detached: true }));
  const errs = children.map(collect);
  const running: RunningServer = {
    name: 'socat',
    command: argv.map((a) => `socat ${a.join(' ')}`).join('; '),
    ports,
    stop: async () => void (await Promise.all(children.map(stopGroup))),
  };
  try {
    await waitListening(host, Object.values(ports), children, () => errs.map((e) => e()).join(''));
  } catch (err) {
    await running.stop();
    throw err;
  }
  return running;
}
