import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectBroker, filters, parsePayload } from '@espbench/mqtt';
import { LocalStore } from '@espbench/store';
import { startMosquitto, type Mosquitto } from '@espbench/tools/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, dispatch } from '../src/index.js';

/** The ACL and users of docs/mqtt.md, as the page shows them. */
const ACL = /## Broker setup and ACL[\s\S]*?```conf\n([\s\S]*?)```/.exec(readFileSync(fileURLToPath(new URL('../../../docs/mqtt.md', import.meta.url)), 'utf8'))![1]!;
const USERS = ['rig-a', 'rig-b', 'dispatch', 'ingest'].map((user) => ({ user, password: `pw-${user}-9x` }));
const pw = (user: string) => `pw-${user}-9x`;

describe('the documented ACL with the agent and the dispatcher', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto({ users: USERS, acl: ACL });
  }, 30_000);
  afterAll(async () => broker?.dispose());

  it('the dispatch user sends, rig-a runs and reports; the ingest user gets the record; a rig cannot command another', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'espbench-rig-acl-'));
    const records: string[] = [];
    const ingest = await connectBroker(broker.url, {
      clientId: 'ingest-acl',
      username: 'ingest',
      password: pw('ingest'),
      sessionExpirySeconds: 60,
      setup: (c) => c.on('message', (topic, payload) => {
        const p = parsePayload(topic, payload);
        if (p.ok && p.message.kind === 'record') records.push(p.message.runId);
      }),
    });
    await ingest.client.subscribeAsync(filters.records, { qos: 1 });
    const logs: string[] = [];
    const agent = await Agent.start(broker.url, {
      rig: 'rig-a',
      username: 'rig-a',
      password: pw('rig-a'),
      boards: [{ uri: 'sim:esp32c3?rate=300000&duration=0.3&pause=0.1&boot=0.1&ip=127.0.0.63', chip: 'esp32c3' }],
      store: new LocalStore(join(dir, 'rig-a')),
      listen: '127.0.0.1',
      hostIp: null,
      version: '0.0.0-test',
      log: (l) => logs.push(l),
    });
    try {
      const [outcome] = await dispatch(
        broker.url,
        [{ id: 'acl-1', rigs: ['rig-a'], chip: 'esp32c3', timeoutMs: 60_000, command: { iterations: 1, labels: { ref: 'v1' } } }],
        { clientId: 'dispatch-acl', username: 'dispatch', password: pw('dispatch'), rigWaitMs: 5000 },
      );
      expect(outcome).toMatchObject({ rig: 'rig-a', state: 'done', results: { ok: 3, failed: 0, notRun: 0 } });
      const until = Date.now() + 10_000;
      while (records.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      expect(records).toEqual(outcome!.runIds);
      expect(agent.unacknowledged).toEqual([]);

      // rig-b may not put a command in rig-a's queue: Mosquitto answers PUBACK 135 and rig-a sees nothing.
      const rigB = await connectBroker(broker.url, { clientId: 'rig-b-acl', username: 'rig-b', password: pw('rig-b'), clean: true, sessionExpirySeconds: 0 });
      const refused = await rigB.client
        .publishAsync('espbench/v1/rigs/rig-a/commands/forged', JSON.stringify({ v: 1, id: 'forged', rig: 'rig-a', issuedAt: new Date().toISOString(), chip: 'esp32c3', iterations: 1 }), { qos: 1 })
        .then((p) => (p as { reasonCode?: number } | undefined)?.reasonCode ?? 0, (err: { code?: number }) => err.code ?? -1);
      expect(refused).toBe(135);
      await rigB.close();
      await new Promise((r) => setTimeout(r, 500));
      expect(logs.some((l) => l.includes('forged'))).toBe(false);
      // The password is in no log line.
      expect(logs.join('\n')).not.toContain(pw('rig-a'));
    } finally {
      await agent.stop();
      await ingest.close({ forgetSession: true });
    }
  }, 60_000);
});
