import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { rows, startInfluxd, type Influxd } from '@espbench/tools/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxWriter, pointsForRecord, RunPublisher, Spool, tagValue, toLine, type InfluxTarget } from '../src/index.js';
import { NASTY, sampleRecord } from './fixtures.js';

let influxd: Influxd;
let dbSeq = 0;

beforeAll(async () => {
  influxd = await startInfluxd();
}, 60_000);
afterAll(async () => {
  await influxd?.dispose();
});

async function freshDb(): Promise<InfluxTarget> {
  const db = `t${++dbSeq}`;
  await influxd.query(`CREATE DATABASE "${db}"`);
  return { url: influxd.url, api: 'v1', db };
}

async function count(db: string, measurement: string): Promise<number> {
  // count(*) counts per field; the tag-free `bytes`/`iteration`/... fields differ per measurement.
  const field = { espbench_result: 'iteration', espbench_interval: 'bytes', espbench_run: 'iterations', espbench_event: 'iteration' }[measurement];
  const r = rows(await influxd.query(`SELECT count("${field}") FROM "${measurement}"`, db));
  return (r[0]?.count as number) ?? 0;
}

async function counts(db: string) {
  return {
    result: await count(db, 'espbench_result'),
    interval: await count(db, 'espbench_interval'),
    run: await count(db, 'espbench_run'),
    event: await count(db, 'espbench_event'),
  };
}

const EXPECTED = { result: 6, interval: 12, run: 1, event: 2 };

describe('InfluxWriter against a real InfluxDB 1.x', () => {
  it('round-trips board and user strings with commas, spaces, =, quotes, backslashes and newlines', async () => {
    const target = await freshDb();
    const writer = new InfluxWriter(target);
    writer.write(pointsForRecord(sampleRecord()));
    const stats = await writer.close();
    expect(stats).toMatchObject({ written: 21, spooled: 0, rejected: 0, lost: 0 });

    const eventTags = rows(await influxd.query('SHOW TAG KEYS FROM "espbench_event"', target.db)).map((r) => r.tagKey);
    expect(eventTags.sort()).toEqual(['chip', 'device', 'kind', 'ref', 'rig', 'run_id', 'scenario']);
    const panic = rows(await influxd.query(`SELECT "text", "title" FROM "espbench_event" WHERE "kind" = 'panic'`, target.db));
    expect(panic).toHaveLength(1);
    expect(panic[0]!.text).toBe(`board panicked: ${NASTY}\n${NASTY}\nat src/bin/wifi.rs:42:5\nbacktrace: 0x42000000 0x42000010`);

    // A label with the same characters is a tag: line protocol cannot carry a newline or a trailing
    // backslash there, so it arrives with those made safe, and everything else verbatim.
    const tags = rows(await influxd.query(`SHOW TAG VALUES FROM "espbench_result" WITH KEY = "ssid"`, target.db));
    expect(tags.map((t) => t.value)).toEqual([tagValue(NASTY)]);
    expect(tagValue(NASTY)).toBe('My "lab", AP=1 / back\\slash next line tab \'q\' end/');

    const result = rows(await influxd.query(`SELECT "host_kibps", "device_kibps", "bytes", "iteration", "failure" FROM "espbench_result" WHERE "status" = 'ok' AND "scenario" = 'wifi-tcp-upload'`, target.db));
    expect(result).toEqual([expect.objectContaining({ host_kibps: 980.25, device_kibps: 980, bytes: Math.round(980.25 * 1024 * 3), iteration: 1 })]);
    expect(await counts(target.db!)).toEqual(EXPECTED);
  });

  it('writing the same run twice leaves the database unchanged', async () => {
    const target = await freshDb();
    for (let i = 0; i < 2; i++) {
      const writer = new InfluxWriter(target);
      writer.write(pointsForRecord(sampleRecord()));
      await writer.close();
    }
    expect(await counts(target.db!)).toEqual(EXPECTED);
    const series = rows(await influxd.query('SHOW SERIES', target.db));
    const writer = new InfluxWriter(target, { batchSize: 3 });
    writer.write(pointsForRecord(sampleRecord()));
    await writer.close();
    expect(rows(await influxd.query('SHOW SERIES', target.db))).toEqual(series);
    expect(await counts(target.db!)).toEqual(EXPECTED);
  });

  it('batches by size and by time', async () => {
    const target = await freshDb();
    const writer = new InfluxWriter(target, { batchSize: 8, flushIntervalMs: 100 });
    writer.write(pointsForRecord(sampleRecord()));
    await writer.flush();
    expect(writer.stats.requests).toBe(3); // 21 points: 8 + 8 + 5
    writer.write(pointsForRecord(sampleRecord('run-b')).slice(0, 1));
    await new Promise((r) => setTimeout(r, 600)); // no flush(): the timer sends it
    expect(writer.stats).toMatchObject({ requests: 4, written: 22 });
    expect(await count(target.db!, 'espbench_run')).toBe(2);
  });

  it('reports each point the database refuses and keeps the rest', async () => {
    const target = await freshDb();
    const first = new InfluxWriter(target);
    first.writeLines(['espbench_result,run_id=x host_kibps=1 1000']);
    await first.close();
    const spoolRoot = await mkdtemp(join(tmpdir(), 'espbench-spool-'));
    const writer = new InfluxWriter(target, { spool: new Spool(spoolRoot, target) });
    const refused: string[] = [];
    writer.on('rejected', (r) => refused.push(...r.map((p) => `${p.line} -> ${p.reason}`)));
    // InfluxDB 1.x names unparsable lines only when no other error hides them: two batches.
    writer.writeLines(['espbench_result,run_id=y host_kibps=2 2000', 'not a line', 'espbench_result,run_id=v host_kibps=3 2500']);
    await writer.flush();
    writer.writeLines([
      'espbench_result,run_id=z host_kibps="text" 3000', // type conflict with the float above
      'espbench_result,run_id=w host_kibps=4 4000',
    ]);
    const stats = await writer.close();
    expect(stats).toMatchObject({ written: 3, rejected: 2, spooled: 0 });
    expect(refused).toEqual([
      expect.stringMatching(/^not a line -> /),
      expect.stringMatching(/^espbench_result,run_id=z host_kibps="text" 3000 -> field host_kibps is string here but float in the database/),
    ]);
    const kept = rows(await influxd.query('SELECT "host_kibps" FROM "espbench_result"', target.db));
    expect(kept.map((r) => r.host_kibps)).toEqual([1, 2, 3, 4]);
    const rejectedFile = await readFile(join(new Spool(spoolRoot, target).dir, 'rejected.txt'), 'utf8');
    expect(rejectedFile).toContain('not a line');
  });

  it('counts points a retention policy drops as refused, not as written', async () => {
    const target = await freshDb();
    await influxd.query(`CREATE RETENTION POLICY "day" ON "${target.db}" DURATION 1d REPLICATION 1 DEFAULT`);
    const writer = new InfluxWriter(target);
    const refused: string[] = [];
    writer.on('rejected', (r) => refused.push(...r.map((p) => p.reason)));
    const old = pointsForRecord(sampleRecord()); // November 2026-11-01: older than a day
    const now = new Date().toISOString();
    const fresh = pointsForRecord({ ...sampleRecord('run-new'), status: 'ok', error: null, startedAt: now, endedAt: now, results: [] });
    expect(fresh).toHaveLength(1);
    writer.write([...old, ...fresh]);
    const stats = await writer.close();
    expect(stats).toMatchObject({ written: fresh.length, rejected: old.length });
    expect(refused[0]).toMatch(/points beyond retention policy dropped=21/);
  });

  it('live points of a board whose chip shows up mid-run carry one chip tag, as the record does', async () => {
    const target = await freshDb();
    const record = sampleRecord('run-live');
    const writer = new InfluxWriter(target);
    const publisher = new RunPublisher(writer);
    const live = { runId: record.runId, device: record.device.uri, labels: record.labels, hostname: record.host.hostname };
    // Round 1 before the chip is known (attached to a running board), round 2 after a reset showed it.
    for (const r of record.results) {
      const chip = r.iteration === 1 ? null : 'esp32c3';
      for (const interval of r.intervals) publisher.sample({ ...live, chip, scenario: r.scenario, startedAt: r.startedAt, interval });
      publisher.result({ ...live, chip, result: r });
    }
    publisher.record(record);
    await writer.close();
    const chips = rows(await influxd.query('SHOW TAG VALUES WITH KEY = "chip"', target.db)).map((r) => r.value);
    expect([...new Set(chips)]).toEqual(['esp32c3']);
    expect(await counts(target.db!)).toEqual(EXPECTED);
  });

  it('spools while the database is down and replays exactly once when it is back', async () => {
    const target = await freshDb();
    const spoolRoot = await mkdtemp(join(tmpdir(), 'espbench-spool-'));
    const spool = new Spool(spoolRoot, target);
    await influxd.stop();
    try {
      const writer = new InfluxWriter(target, { spool, maxAttempts: 2, retryBaseMs: 10 });
      const spooled: number[] = [];
      writer.on('spooled', (s) => spooled.push(s.lines));
      writer.write(pointsForRecord(sampleRecord('run-down-1')));
      writer.write(pointsForRecord(sampleRecord('run-down-2')));
      const stats = await writer.close();
      expect(stats).toMatchObject({ written: 0, spooled: 42, lost: 0, retries: 1 });
      expect(spooled).toEqual([42]);
      expect(await spool.pending()).toHaveLength(1);
    } finally {
      await influxd.start();
    }
    // The next write, by any writer to this target, sends the spool first.
    const writer = new InfluxWriter(target, { spool });
    writer.write(pointsForRecord(sampleRecord('run-after')));
    const stats = await writer.close();
    expect(stats).toMatchObject({ written: 21, replayed: 42, spooled: 0 });
    expect(await spool.pending()).toEqual([]);
    expect(await count(target.db!, 'espbench_run')).toBe(3);
    expect(await count(target.db!, 'espbench_interval')).toBe(36);
    // Replaying a batch that had in fact arrived (a process killed before it could remove the file) adds nothing.
    await spool.add(pointsForRecord(sampleRecord('run-after')).map(toLine));
    await new InfluxWriter(target, { spool }).replay();
    expect(await spool.pending()).toEqual([]);
    expect(await count(target.db!, 'espbench_interval')).toBe(36);
  }, 60_000);
});

/** A real HTTP server standing in for InfluxDB 2.x/3.x and for failure answers 1.6 cannot give. */
async function fakeServer(answer: (req: IncomingMessage, body: Buffer, n: number) => { status: number; body?: string; headers?: Record<string, string> }) {
  const seen: { url: string; headers: IncomingMessage['headers']; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      seen.push({ url: req.url!, headers: req.headers, body: body.toString() });
      const a = answer(req, body, seen.length);
      res.writeHead(a.status, a.headers ?? {}).end(a.body ?? '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('InfluxWriter HTTP behaviour', () => {
  it('writes to /api/v2/write with org, bucket, token and gzip', async () => {
    const srv = await fakeServer(() => ({ status: 204 }));
    try {
      const writer = new InfluxWriter({ url: srv.url, api: 'v2', org: 'esp rs', bucket: 'bench', token: 's3cret' });
      writer.write(pointsForRecord(sampleRecord()));
      await writer.close();
      expect(srv.seen).toHaveLength(1);
      const req = srv.seen[0]!;
      expect(req.url).toBe('/api/v2/write?bucket=bench&precision=ms&org=esp+rs');
      expect(req.headers.authorization).toBe('Token s3cret');
      expect(req.headers['content-encoding']).toBe('gzip');
      expect(req.body.trim().split(/\n(?=espbench_)/)).toHaveLength(21);
    } finally {
      await srv.close();
    }
  });

  it('retries 5xx and 429 (honouring Retry-After) but not other 4xx', async () => {
    const srv = await fakeServer((_req, _b, n) => (n === 1 ? { status: 503 } : n === 2 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 204 }));
    try {
      const writer = new InfluxWriter({ url: srv.url, api: 'v1', db: 'x', user: 'u', password: 'p' }, { retryBaseMs: 10 });
      writer.write(pointsForRecord(sampleRecord()));
      const started = Date.now();
      const stats = await writer.close();
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      expect(stats).toMatchObject({ requests: 3, retries: 2, written: 21 });
      expect(srv.seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    } finally {
      await srv.close();
    }

    const denied = await fakeServer(() => ({ status: 401, body: '{"error":"authorization failed for token s3cret"}' }));
    try {
      const spoolRoot = await mkdtemp(join(tmpdir(), 'espbench-spool-'));
      const target: InfluxTarget = { url: denied.url, api: 'v2', bucket: 'b', token: 's3cret' };
      const writer = new InfluxWriter(target, { spool: new Spool(spoolRoot, target), retryBaseMs: 10 });
      const errors: string[] = [];
      writer.on('error', (e) => errors.push(e.message));
      writer.write(pointsForRecord(sampleRecord()));
      const stats = await writer.close();
      expect(stats).toMatchObject({ requests: 1, retries: 0, written: 0, spooled: 21 });
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain('refused the credentials (401');
      expect(errors[0]).not.toContain('s3cret');
      const files = await readdir(new Spool(spoolRoot, target).dir);
      expect(await readFile(join(new Spool(spoolRoot, target).dir, 'target.txt'), 'utf8')).not.toContain('s3cret');
      expect(files.filter((f) => f.endsWith('.jsonl'))).toHaveLength(1);
    } finally {
      await denied.close();
    }
  });
});

describe('InfluxDB 1.x with authentication on', () => {
  let secured: Influxd;
  beforeAll(async () => {
    secured = await startInfluxd({ admin: { user: 'bench', password: "pa ss'word" } });
  }, 60_000);
  afterAll(async () => {
    await secured?.dispose();
  });

  it('writes with user and password and explains a wrong password without printing it', async () => {
    await secured.query('CREATE DATABASE "sec"');
    const ok = new InfluxWriter({ url: secured.url, api: 'v1', db: 'sec', user: 'bench', password: "pa ss'word" });
    ok.write(pointsForRecord(sampleRecord()));
    expect(await ok.close()).toMatchObject({ written: 21, spooled: 0 });
    expect(rows(await secured.query('SELECT count("iterations") FROM "espbench_run"', 'sec'))[0]!.count).toBe(1);

    const spoolRoot = await mkdtemp(join(tmpdir(), 'espbench-spool-'));
    const target: InfluxTarget = { url: secured.url, api: 'v1', db: 'sec', user: 'bench', password: 'wrong-secret' };
    const bad = new InfluxWriter(target, { spool: new Spool(spoolRoot, target) });
    const errors: string[] = [];
    bad.on('error', (e) => errors.push(e.message));
    bad.write(pointsForRecord(sampleRecord('run-b')));
    expect(await bad.close()).toMatchObject({ written: 0, spooled: 21, requests: 1 });
    expect(errors[0]).toMatch(/refused the credentials \(401: authorization failed\); check ESPBENCH_INFLUX_USER and ESPBENCH_INFLUX_PASSWORD/);
    expect(errors[0]).not.toContain('wrong-secret');
  });
});
