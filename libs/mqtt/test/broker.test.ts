import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InfluxWriter, Spool, type InfluxTarget } from '@espbench/influx';
import { startMosquitto, testCertificates, type Mosquitto, type TestCertificates } from '@espbench/tools/testing';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BrokerError,
  connectBroker,
  encodeMessage,
  filters,
  Ingester,
  parsePayload,
  publishMessage,
  rigStatus,
  rigWill,
  topics,
  type BrokerConnection,
} from '../src/index.js';
import { recordMessage, until } from './fixtures.js';

/** The ACL of docs/mqtt.md, as the page shows it: a rig publishes only under its own name and reads only its own commands. */
const ACL = /## Broker setup and ACL[\s\S]*?```conf\n([\s\S]*?)```/.exec(readFileSync(fileURLToPath(new URL('../../../docs/mqtt.md', import.meta.url)), 'utf8'))![1]!;
const USERS = [
  { user: 'rig-a', password: 'pw-a-s3cret' },
  { user: 'rig-b', password: 'pw-b-s3cret' },
  { user: 'ingest', password: 'pw-ingest' },
  { user: 'dispatch', password: 'pw-dispatch' },
];
const pw = (user: string) => USERS.find((u) => u.user === user)!.password;

const open: BrokerConnection[] = [];
async function client(url: string, clientId: string, extra: Partial<Parameters<typeof connectBroker>[1]> = {}): Promise<BrokerConnection> {
  const c = await connectBroker(url, { clientId, sessionExpirySeconds: 60, clean: true, reconnect: { minMs: 100, maxMs: 1000 }, firstConnectTimeoutMs: 5000, ...extra });
  open.push(c);
  return c;
}
function collect(c: MqttClient): { topic: string; payload: string; retain: boolean }[] {
  const got: { topic: string; payload: string; retain: boolean }[] = [];
  c.on('message', (topic, payload, packet) => got.push({ topic, payload: payload.toString(), retain: packet.retain }));
  return got;
}

afterAll(async () => {
  for (const c of open) c.client.end(true);
});

describe('ACL: a rig publishes only under its own name', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto({ users: USERS, acl: ACL });
  });
  afterAll(async () => {
    await broker?.dispose();
  });

  it('refuses rig-a publishing as rig-b: PUBACK "not authorised" at QoS 1, silently dropped at QoS 0', async () => {
    const watcher = await client(broker.url, 'watch-acl', { username: 'dispatch', password: pw('dispatch') });
    const seen = collect(watcher.client);
    await watcher.client.subscribeAsync(filters.status(), { qos: 1 });
    const a = await client(broker.url, 'rig-a-acl', { username: 'rig-a', password: pw('rig-a') });

    const forged = rigStatus('rig-b', 'online', { host: 'evil', version: '0' });
    // Mosquitto 2.0.11 answers a denied QoS 1 PUBLISH with PUBACK reason code 0x87 (135, not authorised)...
    const err = await a.client.publishAsync(forged.topic, forged.payload, { qos: 1, retain: true }).then(
      () => null,
      (e: Error & { code?: number }) => e,
    );
    expect(err).toMatchObject({ code: 135, message: 'Publish error: Not authorized' });
    // ...drops a denied QoS 0 PUBLISH without a word, and keeps the connection.
    await a.client.publishAsync(forged.topic, forged.payload, { qos: 0 });
    expect(a.client.connected).toBe(true);
    // Its own name is fine.
    const own = rigStatus('rig-a', 'online', { host: 'bench-a', version: '0.1.0' });
    await a.client.publishAsync(own.topic, own.payload, { qos: 1, retain: true });
    await until('rig-a status', () => seen.some((m) => m.topic === own.topic));
    await new Promise((r) => setTimeout(r, 200));
    expect(seen.map((m) => m.topic)).toEqual([topics.status('rig-a')]);
  });

  it('rig-a reads its own commands, never rig-b commands (the SUBACK grants the filter, the broker delivers nothing)', async () => {
    const a = await client(broker.url, 'rig-a-cmd', { username: 'rig-a', password: pw('rig-a') });
    const got = collect(a.client);
    const granted = await a.client.subscribeAsync([filters.commands('rig-a'), filters.commands('rig-b')], { qos: 1 });
    // Mosquitto 2.0.11 checks read access when it delivers, not when it subscribes.
    expect(granted.map((g) => g.qos)).toEqual([1, 1]);
    const d = await client(broker.url, 'dispatch-cmd', { username: 'dispatch', password: pw('dispatch') });
    for (const rig of ['rig-b', 'rig-a']) {
      const cmd = encodeMessage({
        kind: 'command',
        rig,
        commandId: `c-${rig}`,
        payload: { v: 1, id: `c-${rig}`, rig, issuedAt: new Date().toISOString(), chip: 'esp32c3', iterations: 1, labels: {} },
      });
      await d.client.publishAsync(cmd.topic, cmd.payload, { qos: 1 });
    }
    await until('rig-a command', () => got.length > 0);
    await new Promise((r) => setTimeout(r, 200));
    expect(got.map((m) => m.topic)).toEqual([topics.command('rig-a', 'c-rig-a')]);
  });

  it('the ingest user of the ACL gets records through its share group; rig-a cannot file one as rig-b', async () => {
    // No InfluxDB here: the writer's database is unreachable, so acknowledged records are in its spool.
    const dir = await mkdtemp(join(tmpdir(), 'espbench-acl-spool-'));
    const target: InfluxTarget = { url: 'http://127.0.0.1:9', api: 'v1', db: 'espbench' };
    const writer = new InfluxWriter(target, { spool: new Spool(dir, target), maxAttempts: 1, flushIntervalMs: 20 });
    const ingester = await Ingester.start(broker.url, { clientId: 'ingest-acl', username: 'ingest', password: pw('ingest'), writer });
    try {
      const a = await client(broker.url, 'rig-a-rec', { username: 'rig-a', password: pw('rig-a') });
      const own = encodeMessage({ kind: 'record', rig: 'rig-a', runId: 'acl-1', payload: recordMessage('acl-1', 'rig-a') });
      expect(await publishMessage(a.client, own)).toBe(0);
      const forged = encodeMessage({ kind: 'record', rig: 'rig-b', runId: 'acl-2', payload: { ...recordMessage('acl-2', 'rig-b') } });
      await expect(publishMessage(a.client, forged)).rejects.toMatchObject({ code: 135 });
      await until('the record', () => ingester.stats.records === 1);
      await new Promise((r) => setTimeout(r, 200));
      expect(ingester.stats).toMatchObject({ records: 1, invalid: 0 });
      expect(writer.stats.spooled).toBe(13);
    } finally {
      await ingester.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a wrong password is refused with reason code 135 and the password appears in no message or log', async () => {
    const lines: string[] = [];
    const err = await connectBroker(`mqtt://rig-a:wrong-Pa55word@127.0.0.1:${broker.port}`, {
      clientId: 'rig-a-bad',
      sessionExpirySeconds: 0,
      log: (l) => lines.push(l),
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BrokerError);
    expect((err as BrokerError).reasonCode).toBe(135);
    expect((err as BrokerError).message).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+ refused the connection: Not authorized \(reason code 135\); check the user name and password/);
    expect(JSON.stringify([String(err), (err as Error).stack, lines])).not.toContain('wrong-Pa55word');
  });
});

describe('connection', () => {
  let broker: Mosquitto;
  let certs: TestCertificates;
  let tlsBroker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto();
    certs = await testCertificates();
    tlsBroker = await startMosquitto({ tls: { ca: certs.ca, cert: certs.serverCert, key: certs.serverKey, requireCertificate: true } });
  });
  afterAll(async () => {
    await broker?.dispose();
    await tlsBroker?.dispose();
    await certs?.dispose();
  });

  it('a rig that drops off is marked offline by its retained last will', async () => {
    const rig = await client(broker.url, 'rig-will', { will: rigWill('rig-w', { host: 'bench-w', version: '0.1.0' }) });
    const online = rigStatus('rig-w', 'online', { host: 'bench-w', version: '0.1.0' });
    await rig.client.publishAsync(online.topic, online.payload, { qos: 1, retain: true });
    rig.client.stream.destroy(); // a crash: no DISCONNECT
    rig.client.end(true);
    await new Promise((r) => setTimeout(r, 300));
    // A later subscriber still gets the state, retained.
    const late = await client(broker.url, 'late');
    const got = collect(late.client);
    await late.client.subscribeAsync(filters.status('rig-w'), { qos: 1 });
    await until('retained status', () => got.length > 0);
    expect(got[0]!.retain).toBe(true);
    const parsed = parsePayload(got[0]!.topic, got[0]!.payload);
    expect(parsed.ok && parsed.message.payload).toMatchObject({ state: 'offline', since: null, rig: 'rig-w', host: 'bench-w' });
  });

  it('reconnects with backoff after a broker restart and resumes its session', async () => {
    const lines: string[] = [];
    const sub = await client(broker.url, 'resume-sub', { clean: false, sessionExpirySeconds: 300, log: (l) => lines.push(l) });
    const got = collect(sub.client);
    await sub.client.subscribeAsync('t/resume', { qos: 1 });
    await broker.stop();
    await until('offline', () => !sub.client.connected);
    await new Promise((r) => setTimeout(r, 600)); // a few failed attempts while the broker is down
    await broker.start();
    await until('reconnected', () => sub.client.connected, 10_000);
    expect(lines).toContain(`lost the connection to ${broker.url}; reconnecting`);
    expect(lines.some((l) => /connected to .* again \(session resumed\)/.test(l))).toBe(true);
    const pub = await client(broker.url, 'resume-pub');
    await pub.client.publishAsync('t/resume', 'after', { qos: 1 });
    await until('message after restart', () => got.length > 0);
  });

  it('TLS: CA file and client certificate; a client without a certificate is refused', async () => {
    const url = tlsBroker.tlsUrl!;
    const ok = await client(url, 'tls-ok', { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey });
    expect(ok.client.connected).toBe(true);
    const noCert = await connectBroker(url, { clientId: 'tls-nocert', sessionExpirySeconds: 0, ca: certs.ca, firstConnectTimeoutMs: 3000 }).then(
      () => null,
      (e: Error) => e,
    );
    expect(noCert).toBeInstanceOf(BrokerError);
    expect(noCert?.message).toMatch(/TLS failed: .*certificate required.*\(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED\); check the CA file and client certificate$/);
    const noCa = await connectBroker(url, { clientId: 'tls-noca', sessionExpirySeconds: 0, cert: certs.clientCert, key: certs.clientKey }).then(
      () => null,
      (e: Error) => e,
    );
    expect(noCa?.message).toMatch(/TLS failed: .*check the CA file/);
    await expect(connectBroker(broker.url, { clientId: 'x', sessionExpirySeconds: 0, ca: certs.ca })).rejects.toThrow(/need an mqtts:\/\/ URL/);
    await expect(connectBroker(url, { clientId: 'x', sessionExpirySeconds: 0, ca: '/nonexistent/ca.crt' })).rejects.toThrow(/cannot read the CA file \/nonexistent\/ca\.crt: ENOENT/);
  });
});
