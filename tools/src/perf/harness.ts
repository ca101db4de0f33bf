import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { LoadResult, PerfEndpoint } from './load.js';
import type { RunningServer } from './servers.js';

export interface LoadOptions {
  host: string;
  warmupS: number;
  seconds: number;
  /** Load generator processes for this cell. */
  procs: number;
}

/** Connections per generator process: as even as possible, no process without one. */
export function splitConnections(conns: number, procs: number): number[] {
  const n = Math.max(1, Math.min(conns, procs));
  return Array.from({ length: n }, (_, i) => Math.floor(conns / n) + (i < conns % n ? 1 : 0));
}

function runGenerator(root: string, args: string[]): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'tools/dist/perf/load-main.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(JSON.parse(out) as LoadResult);
      else reject(new Error(`load generator failed (${code}): ${err.trim()}`));
    });
  });
}

/** Throughput of one endpoint of `server` with `conns` connections, MB/s (10^6 bytes). */
export async function measure(root: string, server: RunningServer, endpoint: PerfEndpoint, conns: number, o: LoadOptions): Promise<number> {
  const parts = splitConnections(conns, o.procs);
  const port = server.ports[endpoint];
  const results = await Promise.all(parts.map((n) => runGenerator(root, [endpoint, o.host, String(port), String(n), String(o.warmupS), String(o.seconds)])));
  return results.reduce((sum, r) => sum + r.bytes / r.seconds, 0) / 1e6;
}

export function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}
