import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { ChildProcess } from 'node:child_process';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pointsForRecord } from '@espbench/influx';
import { connectBroker, encodeMessage, NO_MATCHING_SUBSCRIBERS, PAYLOAD_VERSION, publishMessage, topics, type BrokerConnection, type RunIntervals } from '@espbench/mqtt';
import type { RunRecord } from '@espbench/schema';
import { rows, startInfluxd, startMosquitto, type Influxd, type Mosquitto } from '@espbench/tools/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { espbench, type CliResult } from './cli.js';
// The same valid one-round records the MQTT library's tests publish.
import { record } from '../../../libs/mqtt/test/fixtures.js';

const INGEST_PASSWORD = 'mqtt-s3cret-pw';
const INFLUX_PASSWORD = 'influx-s3cret-pw';
const FIELD: Record<string, string> = { espbench_result: 'iteration', espbench_interval: 'bytes', espbench_run: 'iterations', espbench_event: 'iteration' };
/** No broker or database settings from the environment of whoever runs the tests. */
const CLEAN_ENV = { ESPBENCH_MQTT_URL: '', ESPBENCH_MQTT_USER: '', ESPBENCH_MQTT_PASSWORD: '', ESPBENCH_INFLUX_URL: '' };

let influxd: Influxd;
let broker: Mosquitto;
let publisher: BrokerConnection;
let tmp: string;
let seq = 0;

beforeAll(async () => {
  [influxd, broker] = await Promise.all([
    startInfluxd(),
    startMosquitto({
      users: [
        { user: 'ingest', password: INGEST_PASSWORD },
        { user: 'rig', password: 'rig-pw' },
      ],
    }),
  ]);
  tmp = mkdtempSync(join(tmpdir(), 'espbench-ingest-'));
  publisher = await connectBroker(broker.url, { clientId: 'test-rig', username: 'rig', password: 'rig-pw', sessionExpirySeconds: 600 });
}, 60_000);
afterAll(async () => {
  publisher?.client.end(true);
  await Promise.all([influxd?.dispose(), broker?.dispose(), tmp && rm(tmp, { recursive: true, force: true })]);
});

const T0 = Date.parse('2026-11-01T02:00:00.000Z');

/** `count` live samples of a run still going, 0.5 s apart from sample `from` on. */
function liveSamples(runId: string, rig: string, count: number, from: number): RunIntervals {
  return {
    v: PAYLOAD_VERSION,
    rig,
    runId,
    device: '/dev/ttyACM1',
    chip: 'esp32c6',
    labels: { rig, ref: 'live' },
    hostname: `${rig}-host`,
    samples: Array.from({ length: count }, (_, i) => ({
      scenario: 'wifi-tcp-upload' as const,
      iteration: 1,
      startedAt: new Date(T0 + 3_600_000).toISOString(),
      interval: { t: (from + i + 1) * 0.5, bytes: 100_000 + i },
      previousT: (from + i) * 0.5,
    })),
  };
}

/** The live samples an agent sent for the first result of a record: the same points the record makes. */
function samplesOf(r: RunRecord): RunIntervals {
  const res = r.results[0]!;
  return {
    v: PAYLOAD_VERSION,
    rig: r.labels.rig!,
    runId: r.runId,
    device: r.device.uri,
    chip: r.device.chip!,
    labels: r.labels,
    hostname: r.host.hostname,
    samples: res.intervals.map((interval, i) => ({ scenario: res.scenario, iteration: res.iteration, startedAt: res.startedAt, interval, previousT: i ? res.intervals[i - 1]!.t : 0 })),
  };
}

/** What an agent does with a record: QoS 1, and again while the broker says nobody subscribed. */
async function publishRecord(r: RunRecord): Promise<void> {
  const m = encodeMessage({ kind: 'record', rig: r.labels.rig!, runId: r.runId, payload: { v: PAYLOAD_VERSION, rig: r.labels.rig!, commandId: null, record: r } });
  for (let i = 0; (await publishMessage(publisher.client, m)) === NO_MATCHING_SUBSCRIBERS; i++) {
    if (i > 100) throw new Error('no ingester subscribed');
    await new Promise((res) => setTimeout(res, 100));
  }
}

async function publishSamples(p: RunIntervals): Promise<void> {
  const m = encodeMessage({ kind: 'intervals', rig: p.rig, runId: p.runId, payload: p });
  expect(m.qos).toBe(0);
  await publishMessage(publisher.client, m);
}

async function freshDb(): Promise<string> {
  const db = `ingest${++seq}`;
  await influxd.query(`CREATE DATABASE "${db}"`);
  return db;
}

async function counted(db: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [m, field] of Object.entries(FIELD)) {
    const n = (rows(await influxd.query(`SELECT count("${field}") FROM "${m}"`, db))[0]?.count as number | undefined) ?? 0;
    if (n) out[m] = n;
  }
  return out;
}

function expected(records: RunRecord[], extraIntervals = 0): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of records.flatMap((r) => pointsForRecord(r))) out[p.measurement] = (out[p.measurement] ?? 0) + 1;
  if (extraIntervals) out.espbench_interval = (out.espbench_interval ?? 0) + extraIntervals;
  return out;
}

function sameCounts(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => a[k] === b[k]);
}

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Running {
  child: () => ChildProcess;
  stderr: () => string;
  done: Promise<CliResult>;
  waitFor(re: RegExp, what?: string): Promise<void>;
}

/** `espbench ingest` as a child process, with the test broker's ingest login and a spool of its own. */
function ingest(args: string[], opts: { env?: Record<string, string> } = {}): Running {
  let child: ChildProcess | null = null;
  let err = '';
  let exited = false;
  const done = espbench(['ingest', ...args], {
    env: { ...CLEAN_ENV, ...opts.env },
    timeoutMs: 90_000,
    onSpawn: (c) => (child = c),
    onStderr: (text) => (err = text),
  }).finally(() => (exited = true));
  return {
    child: () => child!,
    stderr: () => err,
    done,
    waitFor: (re, what = String(re)) =>
      until(what, () => {
        if (re.test(err)) return true;
        if (exited) throw new Error(`espbench ingest exited before ${what}; stderr: ${err}`);
        return false;
      }),
  };
}

function common(db: string, results: string, name: string, mqtt = ['--mqtt', broker.url, '--mqtt-user', 'ingest']): string[] {
  return [...mqtt, '--influx', influxd.url, '--influx-db', db, '--results', results, '--client-id', `ingest-test-${name}`, '--group', `g-${name}`];
}

function spooled(results: string): string[] {
  try {
    return readdirSync(join(results, 'influx-spool'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.jsonl'));
  } catch {
    return [];
  }
}

/** No file under `dir` holds `secret`. */
function expectNowhere(dir: string, secret: string): void {
  for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const path = join(dir, f);
    if (statSync(path).isFile()) expect(readFileSync(path, 'utf8'), path).not.toContain(secret);
  }
}

describe('espbench ingest', () => {
  it('writes published records and interval samples to InfluxDB exactly once; SIGTERM ends it with exit 0 and the stats', async () => {
    const db = await freshDb();
    const results = mkdtempSync(join(tmp, 'results-'));
    const run = ingest([...common(db, results, 'one'), '--json'], { env: { ESPBENCH_MQTT_PASSWORD: INGEST_PASSWORD } });
    await run.waitFor(/connected to mqtt:\/\/127\.0\.0\.1:\d+ as ingest-test-one \(session new\), share group g-one/);

    const records = Array.from({ length: 5 }, (_, i) => record(`run-${i}`, i % 2 ? 'rig-a' : 'rig-b', i));
    for (const r of records) await publishRecord(r);
    await publishRecord(records[2]!); // sent twice (an agent that did not see the PUBACK)
    for (let k = 0; k < 3; k++) await publishSamples(liveSamples('live-1', 'rig-a', 100, k * 100));
    await publishSamples(samplesOf(records[0]!)); // the live samples of a recorded run: the record's points again
    // Refused payloads: not JSON, and a record filed under another rig's topic.
    await publisher.client.publishAsync(topics.record('rig-a', 'bad-1'), '{"v":1,', { qos: 1 });
    await publisher.client.publishAsync(topics.record('rig-c', 'run-0'), JSON.stringify({ v: 1, rig: 'rig-b', commandId: null, record: records[0] }), { qos: 1 });

    const want = expected(records, 300);
    await until('every point in InfluxDB', async () => sameCounts(await counted(db), want));
    await run.waitFor(/refused a payload: espbench\/v1\/rigs\/rig-c\/runs\/run-0\/record: payload rig "rig-b" is not the topic's rig "rig-c"/);
    run.child().kill('SIGTERM');
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);

    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const stats = JSON.parse(lines[0]!);
    expect(stats).toMatchObject({
      clientId: 'ingest-test-one',
      group: 'g-one',
      records: 6,
      recordPoints: 6 * 13,
      intervalMessages: 4,
      samples: 303,
      invalid: 2,
      retried: 0,
      influx: { spooled: 0, rejected: 0, lost: 0 },
    });
    expect(stats.influx.written).toBe(6 * 13 + 303);
    expect(stats.target).toBe(`${influxd.url} database ${db}`);
    expect(await counted(db)).toEqual(want);
    expect(want).toEqual({ espbench_run: 5, espbench_result: 15, espbench_interval: 45 + 300 });
    // The values are the record's.
    const res = rows(await influxd.query(`SELECT "host_kibps" FROM "espbench_result" WHERE "run_id" = 'run-3'`, db));
    expect(res.map((x) => x.host_kibps)).toEqual([973.5, 983.25, 483.125]);

    expect(r.stderr).toMatch(/record run-1 from rig-a: ok, 3 result\(s\), 13 points\n/);
    expect(r.stderr.match(/record run-2 from rig-b/g)).toHaveLength(2);
    expect(r.stderr).toMatch(/live samples of run live-1 from rig-a \(esp32c6 \/dev\/ttyACM1\)\n/);
    expect(r.stderr.match(/live samples of run live-1/g)).toHaveLength(1);
    expect(r.stderr).toMatch(/refused a payload: espbench\/v1\/rigs\/rig-a\/runs\/bad-1\/record: payload is not JSON/);
    expect(r.stderr).toMatch(/espbench ingest: SIGTERM: finishing the record being written and flushing to InfluxDB\n/);
    for (const out of [r.stdout, r.stderr]) expect(out).not.toContain(INGEST_PASSWORD);
    expect(spooled(results)).toEqual([]);
  }, 90_000);

  it('keeps its session: records published while it is stopped arrive when the same client id comes back; SIGINT prints a summary', async () => {
    const db = await freshDb();
    const results = mkdtempSync(join(tmp, 'results-'));
    // The password in the URL: it must not show up anywhere either.
    const url = broker.url.replace('mqtt://', `mqtt://ingest:${INGEST_PASSWORD}@`);
    const args = common(db, results, 'resume', ['--mqtt', url]);
    const first = ingest(args);
    await first.waitFor(/session new/);
    expect(first.stderr()).toContain('connected to mqtt://***@127.0.0.1');
    const before = [record('early-0', 'rig-a', 10), record('early-1', 'rig-b', 11)];
    for (const r of before) await publishRecord(r);
    await first.waitFor(/record early-1 from rig-b/);
    first.child().kill('SIGINT');
    const a = await first.done;
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toMatch(/^ingested 2 record\(s\) \(26 points\), 0 interval sample\(s\) in 0 message\(s\) in \d+\.\d s\n/);
    expect(a.stdout).toContain(`InfluxDB ${influxd.url} database ${db}: 26 points written`);

    // Away: the broker queues this ingester's share under its session.
    const away = [record('away-0', 'rig-a', 12), record('away-1', 'rig-b', 13), record('away-2', 'rig-a', 14)];
    for (const r of away) await publishRecord(r);
    const second = ingest([...args, '--json']);
    await second.waitFor(/session resumed/);
    await second.waitFor(/record away-2 from rig-a/);
    second.child().kill('SIGTERM');
    const b = await second.done;
    expect(b.code, b.stderr).toBe(0);
    expect(JSON.parse(b.stdout)).toMatchObject({ records: 3, recordPoints: 39, invalid: 0 });
    expect(await counted(db)).toEqual(expected([...before, ...away]));
    for (const out of [a.stdout, a.stderr, b.stdout, b.stderr]) expect(out).not.toContain(INGEST_PASSWORD);
  }, 90_000);

  it('rides out a broker restart: one line per connection change, and records published afterwards arrive', async () => {
    const db = await freshDb();
    const results = mkdtempSync(join(tmp, 'results-'));
    // Without --client-id: espbench-ingest-<hostname>.
    const args = common(db, results, 'restart');
    args.splice(args.indexOf('--client-id'), 2);
    const run = ingest(args, { env: { ESPBENCH_MQTT_PASSWORD: INGEST_PASSWORD } });
    await run.waitFor(/session new/);
    expect(run.stderr()).toContain(` as espbench-ingest-${hostname().replace(/[^A-Za-z0-9._-]/g, '-')} (session new)`);
    const before = record('restart-0', 'rig-a', 30);
    await publishRecord(before);
    await run.waitFor(/record restart-0 from rig-a/);
    await broker.stop();
    await run.waitFor(/lost the connection to mqtt:\/\/127\.0\.0\.1:\d+; reconnecting\n/);
    await broker.start();
    await run.waitFor(/connected to mqtt:\/\/127\.0\.0\.1:\d+ again \(session resumed\)\n/);
    // After a Mosquitto restart the ingester subscribes again; publishRecord retries until it has.
    const after = record('restart-1', 'rig-b', 31);
    await publishRecord(after);
    await run.waitFor(/record restart-1 from rig-b/);
    run.child().kill('SIGTERM');
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ingested 2 record\(s\) \(26 points\)/);
    expect(await counted(db)).toEqual(expected([before, after]));
    for (const out of [r.stdout, r.stderr]) expect(out).not.toContain(INGEST_PASSWORD);
  }, 60_000);

  it('a database that refuses the writes stops it with exit 2; the record waits in the spool', async () => {
    const results = mkdtempSync(join(tmp, 'results-'));
    const run = ingest(common('absent', results, 'nodb'), { env: { ESPBENCH_MQTT_PASSWORD: INGEST_PASSWORD, ESPBENCH_INFLUX_USER: 'bench', ESPBENCH_INFLUX_PASSWORD: INFLUX_PASSWORD } });
    await run.waitFor(/session new/);
    await publishRecord(record('lost-0', 'rig-a', 20));
    const r = await run.done;
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`espbench: InfluxDB: ${influxd.url} database absent does not exist (database not found: "absent"); create it: influx -execute 'CREATE DATABASE "absent"'`);
    expect(r.stderr).toMatch(/espbench ingest: stopping: InfluxDB refuses the writes\n/);
    expect(r.stdout).toMatch(/ingested 1 record\(s\) \(13 points\).*\n.*13 kept in the spool/);
    expect(spooled(results)).toHaveLength(1);
    for (const out of [r.stdout, r.stderr]) {
      expect(out).not.toContain(INGEST_PASSWORD);
      expect(out).not.toContain(INFLUX_PASSWORD);
    }
    expectNowhere(results, INGEST_PASSWORD);
    expectNowhere(results, INFLUX_PASSWORD);
  }, 60_000);

  it('bad input is one line and exit 2; a wrong password is refused without showing it', async () => {
    const results = mkdtempSync(join(tmp, 'results-'));
    const noInflux = await espbench(['ingest', '--mqtt', broker.url, '--results', results], { env: CLEAN_ENV });
    expect(noInflux.code).toBe(2);
    expect(noInflux.stderr).toBe('espbench: no InfluxDB to write to: add --influx http://host:8086 or set ESPBENCH_INFLUX_URL\n');
    const noMqtt = await espbench(['ingest', '--influx', influxd.url, '--results', results], { env: CLEAN_ENV });
    expect(noMqtt.code).toBe(2);
    expect(noMqtt.stderr).toBe('espbench: no MQTT broker: give --mqtt <url> (e.g. mqtt://localhost:1883) or set ESPBENCH_MQTT_URL\n');
    const group = await espbench(['ingest', '--mqtt', broker.url, '--influx', influxd.url, '--group', 'a/b', '--results', results], { env: CLEAN_ENV });
    expect(group.code).toBe(2);
    expect(group.stderr).toMatch(/^espbench: share group "a\/b" cannot be an MQTT topic segment: [^\n]*\n$/);
    const scheme = await espbench(['ingest', '--mqtt', 'ftp://127.0.0.1:1', '--influx', influxd.url, '--results', results], { env: CLEAN_ENV });
    expect(scheme.code).toBe(2);
    expect(scheme.stderr).toBe('espbench: MQTT broker URL must be mqtt://, mqtts://, ws:// or wss://, got "ftp://127.0.0.1:1"\n');
    const unknown = await espbench(['ingest', '--mqtt', broker.url, '--influx', influxd.url, '--bogus'], { env: CLEAN_ENV });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^error: unknown option '--bogus'/);

    const wrong = 'not-the-Pa55word';
    const denied = await espbench(['ingest', ...common('x', results, 'denied'), '--mqtt-password', wrong], { env: CLEAN_ENV });
    expect(denied.code).toBe(2);
    expect(denied.stderr).toMatch(/^espbench: mqtt:\/\/127\.0\.0\.1:\d+ refused the connection: .*\(reason code 13[45]\); check the user name and password \(ESPBENCH_MQTT_USER, ESPBENCH_MQTT_PASSWORD\)\n$/);
    const inUrl = await espbench(['ingest', '--mqtt', broker.url.replace('mqtt://', `mqtt://ingest:${wrong}@`), '--influx', influxd.url, '--results', results], { env: CLEAN_ENV });
    expect(inUrl.code).toBe(2);
    expect(inUrl.stderr).toMatch(/refused the connection/);
    for (const out of [denied.stdout, denied.stderr, inUrl.stdout, inUrl.stderr]) expect(out).not.toContain(wrong);
    expectNowhere(results, wrong);
  }, 60_000);
});
