import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfluxWriter, Spool, type InfluxTarget } from '@espbench/influx';
import { rows, startInfluxd, startMosquitto, type Influxd, type Mosquitto } from '@espbench/tools/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBroker, encodeMessage, Ingester, NO_MATCHING_SUBSCRIBERS, publishMessage, topics, type BrokerConnection, type IngesterOptions } from '../src/index.js';
import { expectedCounts, intervalsMessage, record, recordMessage, until } from './fixtures.js';

let influxd: Influxd;
let broker: Mosquitto;
let publisher: BrokerConnection;
let tmp: string;
let seq = 0;
let noSubscriber = 0;
const ingesters: Ingester[] = [];

beforeAll(async () => {
  [influxd, broker, tmp] = await Promise.all([startInfluxd(), startMosquitto(), mkdtemp(join(tmpdir(), 'espbench-mqtt-'))]);
  publisher = await connectBroker(broker.url, { clientId: 'test-publisher', sessionExpirySeconds: 600, reconnect: { minMs: 100, maxMs: 500 } });
}, 60_000);
afterAll(async () => {
  for (const i of ingesters) await i.close().catch(() => {});
  publisher?.client.end(true);
  await Promise.all([influxd?.dispose(), broker?.dispose(), tmp && rm(tmp, { recursive: true, force: true })]);
});

/** A fresh database, a writer with a spool of its own, and a fresh share group per test. */
async function setup(writerOpts: { spool?: boolean } = {}) {
  const n = ++seq;
  const db = `mqtt${n}`;
  await influxd.query(`CREATE DATABASE "${db}"`);
  const target: InfluxTarget = { url: influxd.url, api: 'v1', db };
  // One spool directory per writer, as for ingesters on different hosts or processes: two Spool
  // objects of one process on one directory can pick the same batch file name in the same millisecond.
  let spools = 0;
  const makeWriter = (spool = writerOpts.spool ?? true) =>
    new InfluxWriter(target, { flushIntervalMs: 50, maxAttempts: 2, retryBaseMs: 50, downHoldMs: 100, ...(spool ? { spool: new Spool(join(tmp, `spool${n}-${++spools}`), target) } : {}) });
  const logs: string[] = [];
  const start = async (name: string, over: Partial<IngesterOptions> = {}, listen?: (i: Ingester) => void) => {
    const ingester = new Ingester({
      clientId: `ingest-${n}-${name}`,
      group: `g${n}`,
      writer: makeWriter(),
      reconnect: { minMs: 100, maxMs: 500 },
      retryDelayMs: 200,
      log: (l) => logs.push(`${name}: ${l}`),
      ...over,
    });
    listen?.(ingester);
    await ingester.connect(broker.url);
    ingesters.push(ingester);
    return ingester;
  };
  return { db, target, makeWriter, start, logs };
}

async function counts(db: string): Promise<Record<string, number>> {
  const field: Record<string, string> = { espbench_result: 'iteration', espbench_interval: 'bytes', espbench_run: 'iterations', espbench_event: 'iteration' };
  const out: Record<string, number> = {};
  for (const [m, f] of Object.entries(field)) {
    const n = (rows(await influxd.query(`SELECT count("${f}") FROM "${m}"`, db))[0]?.count as number) ?? 0;
    if (n) out[m] = n;
  }
  return out;
}

/**
 * What an agent does with a record: publish at QoS 1 and keep it until the broker answers. Reason
 * code 16 (no matching subscribers) means the broker dropped it, so publish it again a bit later.
 */
async function publishRecord(runId: string, rig: string, n: number): Promise<void> {
  const m = encodeMessage({ kind: 'record', rig, runId, payload: recordMessage(runId, rig, n) });
  while ((await publishMessage(publisher.client, m)) === NO_MATCHING_SUBSCRIBERS) {
    noSubscriber++;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Ingester: broker -> InfluxDB', () => {
  it('writes each published record exactly once, intervals as espbench_interval, and acknowledges refused payloads', async () => {
    const t = await setup();
    const ing = await t.start('one');
    const records = Array.from({ length: 5 }, (_, i) => record(`run-${i}`, i % 2 ? 'rig-a' : 'rig-b', i));
    for (const [i, r] of records.entries()) await publishRecord(r.runId, r.labels.rig!, i);
    const live = intervalsMessage('live-1', 'rig-a', 50, 40);
    const iv = encodeMessage({ kind: 'intervals', rig: 'rig-a', runId: 'live-1', payload: live });
    await publisher.client.publishAsync(iv.topic, iv.payload, { qos: 0 });
    // Refused payloads: bad JSON, an unknown version, a record filed under another rig's topic.
    await publisher.client.publishAsync(topics.record('rig-a', 'bad-1'), '{"v":1,', { qos: 1 });
    await publisher.client.publishAsync(topics.record('rig-a', 'run-9'), JSON.stringify({ ...recordMessage('run-9', 'rig-a'), v: 2 }), { qos: 1 });
    await publisher.client.publishAsync(topics.record('rig-c', 'run-0'), JSON.stringify(recordMessage('run-0', 'rig-a')), { qos: 1 });

    await until('records and refusals', () => ing.stats.records === 5 && ing.stats.invalid === 3 && ing.stats.samples === 40);
    await ing.close();
    expect(await counts(t.db)).toEqual({ ...expectedCounts(records), espbench_interval: expectedCounts(records).espbench_interval! + 40 });
    expect(t.logs.filter((l) => l.includes('refused a payload'))).toEqual([
      expect.stringMatching(/espbench\/v1\/rigs\/rig-a\/runs\/bad-1\/record: payload is not JSON/),
      expect.stringMatching(/runs\/run-9\/record: payload version 2 is not supported \(this espbench reads version 1\)/),
      expect.stringMatching(/rigs\/rig-c\/runs\/run-0\/record: payload rig "rig-a" is not the topic's rig "rig-c"/),
    ]);
    const kibps = rows(await influxd.query(`SELECT "kibps" FROM "espbench_interval" WHERE "run_id" = 'live-1' LIMIT 1`, t.db));
    expect(kibps[0]!.kibps).toBeCloseTo(1000 / 1024 / 0.5, 6);

    // Everything was acknowledged, the refused payloads too: the same session resumed gets nothing again.
    const again = await t.start('one');
    expect(again.sessionPresent).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    expect(again.stats).toMatchObject({ records: 0, invalid: 0 });
    await again.close();
  });

  it('two ingesters in one share group split the records; the database has each point once, even for a record sent twice', async () => {
    const t = await setup();
    const [a, b] = await Promise.all([t.start('a'), t.start('b')]);
    const records = Array.from({ length: 20 }, (_, i) => record(`split-${i}`, `rig-${i % 3}`, i));
    for (const [i, r] of records.entries()) await publishRecord(r.runId, r.labels.rig!, i);
    // The same record twice (what a redelivery after a lost PUBACK looks like): same series, same times.
    await publishRecord('split-7', 'rig-1', 7);
    await until('21 deliveries', () => a.stats.records + b.stats.records === 21);
    expect(a.stats.records).toBeGreaterThan(0);
    expect(b.stats.records).toBeGreaterThan(0);
    await Promise.all([a.close(), b.close()]);
    expect(await counts(t.db)).toEqual(expectedCounts(records));
  });

  it('a broker restart loses nothing: queued records survive it, records published meanwhile arrive, the database has each once', async () => {
    const t = await setup();
    const seen = new Set<string>();
    let deliveries = 0;
    const track = (i: Ingester) => i.on('record', (m) => (deliveries++, seen.add(m.record.runId)));
    const first = await t.start('r', {}, track);
    await publishRecord('restart-0', 'rig-a', 0);
    await until('first record', () => seen.size === 1);
    // Away: the broker queues the ingester's share in its persistent session...
    await first.close();
    for (let i = 1; i <= 5; i++) await publishRecord(`restart-${i}`, 'rig-a', i);
    // ...and keeps it over a restart (persistence).
    await broker.stop();
    await broker.start();
    await until('publisher back', () => publisher.client.connected, 10_000);
    const second = await t.start('r', {}, track);
    expect(second.sessionPresent).toBe(true);
    await until('queued records', () => seen.size === 6);
    // The broker goes down under a connected ingester. The publisher publishes during the outage
    // (mqtt.js keeps QoS 1 publishes until it is connected again) and after it.
    await broker.stop();
    const during = Promise.all([6, 7, 8].map((i) => publishRecord(`restart-${i}`, 'rig-b', i)));
    await new Promise((r) => setTimeout(r, 300));
    await broker.start();
    await during;
    for (let i = 9; i <= 11; i++) await publishRecord(`restart-${i}`, 'rig-b', i);
    await until('records after the restart', () => seen.size === 12);
    await second.close();
    const all = Array.from({ length: 12 }, (_, i) => record(`restart-${i}`, i < 6 ? 'rig-a' : 'rig-b', i));
    // Mosquitto may deliver a record again after a restart (at least once); the points overwrite themselves.
    expect(deliveries).toBeGreaterThanOrEqual(12);
    expect(await counts(t.db)).toEqual(expectedCounts(all));
    console.log(`broker restarts: ${deliveries} deliveries of 12 records; ${noSubscriber} publishes answered "no matching subscribers" and sent again`);
  });

  it('acknowledges a record only once InfluxDB or the spool has it', async () => {
    // No spool and the database down: nothing holds the points, so no PUBACK; the broker sends the
    // record again on the resumed session until the database is back.
    const t = await setup({ spool: false });
    const ing = await t.start('nospool');
    await influxd.stop();
    try {
      await publishRecord('ack-0', 'rig-a', 0);
      await until('a refused acknowledgement', () => ing.stats.retried >= 1);
      expect(ing.stats.records).toBe(0);
    } finally {
      await influxd.start();
    }
    await until('the record after the database came back', () => ing.stats.records === 1, 20_000);
    await ing.close();
    expect(t.logs.some((l) => /runs\/ack-0\/record: not acknowledged, the broker will send it again/.test(l))).toBe(true);
    expect(await counts(t.db)).toEqual(expectedCounts([record('ack-0', 'rig-a', 0)]));

    // With a spool: acknowledged while the database is down; the spool delivers it later.
    const s = await setup({ spool: true });
    const writer = s.makeWriter();
    const ing2 = await s.start('spool', { writer });
    await influxd.stop();
    try {
      await publishRecord('ack-1', 'rig-a', 1);
      await until('acknowledged into the spool', () => ing2.stats.records === 1);
      expect(writer.stats.spooled).toBe(Object.values(expectedCounts([record('ack-1', 'rig-a', 1)])).reduce((x, y) => x + y));
    } finally {
      await influxd.start();
    }
    await ing2.close();
    await writer.replay();
    expect(await counts(s.db)).toEqual(expectedCounts([record('ack-1', 'rig-a', 1)]));
  });
});
