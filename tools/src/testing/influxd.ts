import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireCommand } from './require-command.js';

export interface InfluxdOptions {
  /** Turn on authentication and create this admin user. */
  admin?: { user: string; password: string };
}

/** A real InfluxDB 1.x server (Debian package `influxdb`) on free loopback ports in a temp dir. */
export interface Influxd {
  readonly url: string;
  readonly dir: string;
  /** Run an InfluxQL statement; returns the parsed JSON body. Throws on an HTTP or statement error. */
  query(q: string, db?: string): Promise<InfluxQueryResponse>;
  /** Stop the server, keeping its data (for "database down" tests). */
  stop(): Promise<void>;
  /** Start it again on the same port with the same data. */
  start(): Promise<void>;
  /** Stop and delete the data. */
  dispose(): Promise<void>;
}

export interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}
export interface InfluxQueryResponse {
  results: { statement_id: number; series?: InfluxSeries[]; error?: string }[];
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export async function startInfluxd(opts: InfluxdOptions = {}): Promise<Influxd> {
  const influxd = requireCommand('influxd', 'influxdb');
  const dir = await mkdtemp(join(tmpdir(), 'espbench-influxd-'));
  const httpPort = await freePort();
  const rpcPort = await freePort();
  const url = `http://127.0.0.1:${httpPort}`;
  const conf = join(dir, 'influxdb.conf');
  await writeFile(
    conf,
    `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${dir}/meta"
[data]
  dir = "${dir}/data"
  wal-dir = "${dir}/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:${httpPort}"
  auth-enabled = ${opts.admin ? 'true' : 'false'}
  log-enabled = false
  max-body-size = 0
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
[subscriber]
  enabled = false
`,
  );
  let child: ChildProcess | null = null;
  let output = '';
  const auth = opts.admin ? `&u=${encodeURIComponent(opts.admin.user)}&p=${encodeURIComponent(opts.admin.password)}` : '';

  const start = async (): Promise<void> => {
    output = '';
    const proc = spawn(influxd, ['-config', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    proc.stderr!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`influxd exited with ${proc.exitCode}: ${output}`);
      try {
        const res = await fetch(`${url}/ping`);
        if (res.status === 204) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`influxd did not answer /ping within 30 s: ${output}`);
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  const query = async (q: string, db?: string): Promise<InfluxQueryResponse> => {
    const params = new URLSearchParams({ q, epoch: 'ms' });
    if (db) params.set('db', db);
    const res = await fetch(`${url}/query?${params}${auth}`, { method: 'POST' });
    const body = (await res.json()) as InfluxQueryResponse & { error?: string };
    if (!res.ok || body.error) throw new Error(`InfluxQL failed (${res.status}): ${body.error ?? JSON.stringify(body)}: ${q}`);
    const failed = body.results.find((r) => r.error);
    if (failed) throw new Error(`InfluxQL failed: ${failed.error}: ${q}`);
    return body;
  };

  await start();
  if (opts.admin) {
    // With auth on and no users yet, InfluxDB 1.x accepts exactly this statement unauthenticated.
    const params = new URLSearchParams({
      q: `CREATE USER "${opts.admin.user}" WITH PASSWORD '${opts.admin.password.replace(/'/g, "\\'")}' WITH ALL PRIVILEGES`,
    });
    const res = await fetch(`${url}/query?${params}`, { method: 'POST' });
    const text = await res.text();
    if (!res.ok || /"error"/.test(text)) throw new Error(`could not create the influxd admin user: ${text}`);
    // Seen on a loaded machine: a statement right after CREATE USER was still refused with "create
    // admin user first". Wait until the user answers an authenticated query.
    const until = Date.now() + 10_000;
    for (;;) {
      try {
        await query('SHOW USERS');
        break;
      } catch (err) {
        if (Date.now() > until) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
  return {
    url,
    dir,
    query,
    stop,
    start,
    dispose: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Rows of every series of the first statement, as objects keyed by column with the series tags merged in. */
export function rows(res: InfluxQueryResponse): Record<string, unknown>[] {
  return (res.results[0]?.series ?? []).flatMap((s) =>
    s.values.map((v) => ({ ...s.tags, ...Object.fromEntries(s.columns.map((c, i) => [c, v[i]])) })),
  );
}
