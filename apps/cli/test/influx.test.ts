import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pointsForRecord, type SeriesPoint } from '@espbench/influx';
import { parseRunRecord, type RunRecord } from '@espbench/schema';
import { rows, startInfluxd, type Influxd } from '@espbench/tools/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { espbench } from './cli.js';

const SIM = 'sim:esp32c3?rate=1000000&duration=1&pause=0.5&boot=0.1';
const NET = ['--listen', '127.0.0.1', '--port-base', '0'];
const FIELD: Record<string, string> = { espbench_result: 'iteration', espbench_interval: 'bytes', espbench_run: 'iterations', espbench_event: 'iteration' };

let influxd: Influxd;
let dbSeq = 0;

beforeAll(async () => {
  influxd = await startInfluxd();
}, 60_000);
afterAll(async () => {
  await influxd?.dispose();
});

async function freshDb(): Promise<string> {
  const db = `cli${++dbSeq}`;
  await influxd.query(`CREATE DATABASE "${db}"`);
  return db;
}

/** Points per measurement in the database. */
async function counted(db: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [m, field] of Object.entries(FIELD)) {
    const n = (rows(await influxd.query(`SELECT count("${field}") FROM "${m}"`, db))[0]?.count as number | undefined) ?? 0;
    if (n) out[m] = n;
  }
  return out;
}

/** Points per measurement the stored records stand for. */
function expected(records: RunRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of records.flatMap((r) => pointsForRecord(r)) as SeriesPoint[]) out[p.measurement] = (out[p.measurement] ?? 0) + 1;
  return out;
}

function stored(results: string): RunRecord[] {
  return readdirSync(results)
    .filter((f) => f.endsWith('.json'))
    .map((f) => parseRunRecord(JSON.parse(readFileSync(join(results, f), 'utf8'))));
}

function spooled(results: string): string[] {
  try {
    return readdirSync(join(results, 'influx-spool'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.jsonl'));
  } catch {
    return [];
  }
}

describe('espbench run --influx and espbench publish', () => {
  it('publishes live; publishing the stored run again changes nothing', async () => {
    const db = await freshDb();
    const results = mkdtempSync(join(tmpdir(), 'espbench-cli-'));
    const r = await espbench(['run', '-d', SIM, '-n', '2', ...NET, '--results', results, '--label', 'ref=v1.0.0', '--influx', influxd.url, '--influx-db', db]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/InfluxDB http:\/\/127\.0\.0\.1:\d+ database cli\d+: \d+ points written/);
    const records = stored(results);
    const want = expected(records);
    expect(want).toMatchObject({ espbench_run: 1, espbench_result: 6 });
    expect(want.espbench_interval).toBeGreaterThanOrEqual(6);
    expect(await counted(db)).toEqual(want);

    const again = await espbench(['publish', '--all', '--json', '--results', results], { env: { ESPBENCH_INFLUX_URL: influxd.url, ESPBENCH_INFLUX_DB: db } });
    expect(again.code, again.stderr).toBe(0);
    const summary = JSON.parse(again.stdout);
    expect(summary).toMatchObject({ runs: [{ runId: records[0]!.runId, status: 'ok' }], spooled: 0, rejected: 0 });
    expect(summary.written).toBe(Object.values(want).reduce((a, b) => a + b));
    expect(await counted(db)).toEqual(want);

    // The values are the record's.
    const res = rows(await influxd.query(`SELECT "host_kibps" FROM "espbench_result" WHERE "scenario" = 'wifi-tcp-upload' AND "ref" = 'v1.0.0'`, db));
    expect(res.map((x) => x.host_kibps)).toEqual(records[0]!.results.filter((x) => x.scenario === 'wifi-tcp-upload').map((x) => x.hostKiBps));
  }, 120_000);

  it('keeps points in the spool while InfluxDB is down mid-run and delivers each exactly once after', async () => {
    const db = await freshDb();
    const results = mkdtempSync(join(tmpdir(), 'espbench-cli-'));
    let stopping: Promise<void> | null = null;
    const r = await espbench(['run', '-d', SIM, '-n', '2', ...NET, '--results', results, '--influx', influxd.url, '--influx-db', db], {
      timeoutMs: 120_000,
      onStderr: (text) => {
        // Down from the first finished result on: live intervals and results of the rest go to the spool.
        if (!stopping && /wifi-tcp-download \d/.test(text)) stopping = influxd.stop();
      },
    });
    await stopping;
    try {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/InfluxDB: cannot reach .*keeping points in .*influx-spool/);
      expect(r.stderr).toMatch(/\d+ kept in the spool/);
      expect(spooled(results).length).toBeGreaterThan(0);
    } finally {
      await influxd.start();
    }
    const partial = await counted(db);
    const want = expected(stored(results));
    expect(partial.espbench_run ?? 0).toBe(0); // the run point comes at the end, when the database was down

    const pub = await espbench(['publish', '--results', results, '--influx', influxd.url, '--influx-db', db]);
    expect(pub.code, pub.stderr).toBe(0);
    expect(pub.stdout).toMatch(/\d+ spooled points sent/);
    expect(spooled(results)).toEqual([]);
    expect(await counted(db)).toEqual(want);
  }, 150_000);

  it('a process killed while the database holds its batch loses nothing and duplicates nothing', async () => {
    const db = await freshDb();
    const results = mkdtempSync(join(tmpdir(), 'espbench-cli-'));
    // Forty stored runs: one real simulated run, copied under new ids and times.
    const first = await espbench(['run', '-d', SIM, ...NET, '--results', results, '--json']);
    expect(first.code, first.stderr).toBe(0);
    const base = parseRunRecord(JSON.parse(first.stdout));
    for (let i = 1; i < 40; i++) {
      const shift = (iso: string) => new Date(Date.parse(iso) - i * 3_600_000).toISOString();
      const copy: RunRecord = {
        ...base,
        runId: `${base.runId}-c${i}`,
        startedAt: shift(base.startedAt),
        endedAt: shift(base.endedAt),
        results: base.results.map((x) => ({ ...x, startedAt: shift(x.startedAt), endedAt: shift(x.endedAt) })),
      };
      writeFileSync(join(results, `${copy.runId}.json`), JSON.stringify(copy));
    }
    const want = expected(stored(results));

    // A proxy that forwards a write to the real database and then withholds the answer.
    let hold = true;
    let forwarded!: () => void;
    const forwardedOnce = new Promise<void>((r) => (forwarded = r));
    const proxy: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const headers: Record<string, string> = {};
        for (const h of ['content-type', 'content-encoding', 'authorization']) if (req.headers[h]) headers[h] = String(req.headers[h]);
        const answer = await fetch(`${influxd.url}${req.url}`, { method: req.method, headers, body: Buffer.concat(chunks) });
        if (hold) {
          forwarded();
          return; // never answered: the client dies waiting
        }
        res.writeHead(answer.status).end(await answer.text());
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    try {
      let publisher: ChildProcess | null = null;
      const killed = espbench(['publish', '--all', '--results', results, '--influx', proxyUrl, '--influx-db', db], { timeoutMs: 60_000, onSpawn: (c) => (publisher = c) });
      const child = await Promise.race([forwardedOnce.then(() => 'forwarded'), killed.then(() => 'exited')]);
      expect(child).toBe('forwarded');
      await new Promise((r) => setTimeout(r, 200)); // the database has the batch now
      const landed = await counted(db);
      expect(Object.values(landed).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      (publisher as ChildProcess | null)?.kill('SIGKILL');
      const k = await killed;
      expect(k.code).toBeNull(); // killed, not exited
      expect(spooled(results).length).toBeGreaterThan(0);

      hold = false;
      const again = await espbench(['publish', '--all', '--results', results, '--influx', proxyUrl, '--influx-db', db]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/\d+ spooled points sent/);
      expect(spooled(results)).toEqual([]);
      expect(await counted(db)).toEqual(want);
    } finally {
      proxy.closeAllConnections();
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  }, 120_000);

  it('bad settings are one line and exit 2; a token never appears in output or the store', async () => {
    const results = mkdtempSync(join(tmpdir(), 'espbench-cli-'));
    const none = await espbench(['publish', '--all', '--results', results], { env: { ESPBENCH_INFLUX_URL: '' } });
    expect(none.code).toBe(2);
    expect(none.stderr.trim()).toBe('espbench: no InfluxDB to publish to: add --influx http://host:8086 or set ESPBENCH_INFLUX_URL');
    const ftp = await espbench(['publish', '--influx', 'ftp://x', '--results', results]);
    expect(ftp.code).toBe(2);
    expect(ftp.stderr).toMatch(/^espbench: InfluxDB URL must be http/);
    const missing = await espbench(['publish', 'nope', '--influx', influxd.url, '--results', results]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^espbench: no run "nope"|^espbench: .*nope/);
    // A database that does not exist: the fix in one line, the points kept.
    const first = await espbench(['run', '-d', SIM, ...NET, '--results', results, '--quiet']);
    expect(first.code, first.stderr).toBe(0);
    const nodb = await espbench(['publish', '--all', '--influx', influxd.url, '--influx-db', 'absent', '--results', results]);
    expect(nodb.code).toBe(2);
    expect(nodb.stderr).toContain(`espbench: InfluxDB: ${influxd.url} database absent does not exist (database not found: "absent"); create it: influx -execute 'CREATE DATABASE "absent"'`);
    expect(spooled(results).length).toBeGreaterThan(0);

    // A real server that refuses the token.
    const denied = createServer((_req, res) => res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"unauthorized access for s3cret-token"}'));
    await new Promise<void>((r) => denied.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(denied.address() as { port: number }).port}`;
    try {
      const run = await espbench(['run', '-d', SIM, ...NET, '--results', results, '--json', '--influx', url, '--influx-bucket', 'bench', '--influx-org', 'esp'], {
        env: { ESPBENCH_INFLUX_TOKEN: 's3cret-token' },
      });
      expect(run.code, run.stderr).toBe(0); // the measurement is fine; the points wait in the spool
      expect(run.stderr).toMatch(/refused the credentials \(401: unauthorized access for \*\*\*\); check ESPBENCH_INFLUX_TOKEN/);
      const pub = await espbench(['publish', '--all', '--results', results, '--influx', url, '--influx-bucket', 'bench'], { env: { ESPBENCH_INFLUX_TOKEN: 's3cret-token' } });
      expect(pub.code).toBe(2);
      for (const out of [run.stdout, run.stderr, pub.stdout, pub.stderr]) expect(out).not.toContain('s3cret-token');
      const files = readdirSync(results, { recursive: true, encoding: 'utf8' });
      for (const f of files) {
        const path = join(results, f);
        try {
          expect(readFileSync(path, 'utf8')).not.toContain('s3cret-token');
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EISDIR') throw err;
        }
      }
    } finally {
      await new Promise<void>((r) => denied.close(() => r()));
    }
  }, 60_000);
});
