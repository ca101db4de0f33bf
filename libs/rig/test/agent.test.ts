import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectBroker, filters, parsePayload, type BrokerConnection, type CommandState, type MqttMessage } from '@espbench/mqtt';
import { buildTestElf } from '@espbench/firmware-fixtures/espflash';
import { LocalStore } from '@espbench/store';
import { startMosquitto, type Mosquitto } from '@espbench/tools/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, type AgentOptions } from '../src/index.js';

const BOARD = 'sim:esp32c3?rate=300000&duration=0.3&pause=0.1&boot=0.1&ip=127.0.0.61';
const PEERLESS_V1 = 'sim:esp32c6?fw=v1&boot=0.1&ip=127.0.0.62';

/** A client that sends commands to rig `rig` and keeps every message of that rig it sees. */
async function observer(url: string, rig: string, id: string) {
  const seen: MqttMessage[] = [];
  const conn: BrokerConnection = await connectBroker(url, {
    clientId: id,
    clean: true,
    sessionExpirySeconds: 0,
    setup: (c) =>
      c.on('message', (topic, payload) => {
        const p = parsePayload(topic, payload);
        if (p.ok) seen.push(p.message);
      }),
  });
  await conn.client.subscribeAsync([filters.commandStates(rig), filters.devices(rig), `espbench/v1/rigs/${rig}/runs/+/record`], { qos: 1 });
  const states = (commandId: string) => seen.filter((m): m is Extract<MqttMessage, { kind: 'command-state' }> => m.kind === 'command-state' && m.commandId === commandId).map((m) => m.payload);
  return {
    conn,
    seen,
    states,
    send: async (commandId: string, body: Record<string, unknown>) => {
      await conn.client.publishAsync(`espbench/v1/rigs/${rig}/commands/${commandId}`, JSON.stringify({ v: 1, id: commandId, rig, issuedAt: new Date().toISOString(), ...body }), { qos: 1 });
    },
    final: async (commandId: string, ms = 60_000): Promise<CommandState> => {
      const until = Date.now() + ms;
      for (;;) {
        const last = states(commandId).find((s) => s.state === 'done' || s.state === 'failed' || s.state === 'rejected');
        if (last) return last;
        if (Date.now() > until) throw new Error(`no final state for ${commandId}: ${JSON.stringify(states(commandId))}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

describe('Agent', () => {
  let broker: Mosquitto;
  let dir: string;
  beforeAll(async () => {
    broker = await startMosquitto();
    dir = mkdtempSync(join(tmpdir(), 'espbench-agent-'));
  }, 30_000);
  afterAll(async () => broker?.dispose());

  const options = (rig: string, extra: Partial<AgentOptions> = {}): AgentOptions => ({
    rig,
    boards: [
      { uri: BOARD, chip: 'esp32c3' },
      { uri: PEERLESS_V1, chip: 'esp32c6' },
    ],
    store: new LocalStore(join(dir, rig)),
    listen: '127.0.0.1',
    hostIp: null,
    republishMs: 200,
    version: '0.0.0-test',
    ...extra,
  });

  it('refuses what it must not run, with the reason, and never runs it', async () => {
    const firmware = join(dir, 'firmware');
    mkdirSync(firmware);
    writeFileSync(join(firmware, 'c3-v1.bin'), 'image');
    writeFileSync(join(firmware, 'c3-good.elf'), buildTestElf({ chip: 'esp32c3' }));
    writeFileSync(join(dir, 'secret.bin'), 'not an image');
    symlinkSync(join(dir, 'secret.bin'), join(firmware, 'escape.bin'));
    const agent = await Agent.start(broker.url, options('rig-r', { firmwareDir: firmware }));
    const o = await observer(broker.url, 'rig-r', 'obs-r');
    try {
      const cases: [string, Record<string, unknown>, RegExp][] = [
        ['shell', { chip: 'esp32c3', iterations: 1, shell: 'rm -rf /' }, /Unrecognized key: "shell"/],
        ['other-board', { devices: ['/dev/ttyUSB9'], iterations: 1 }, /\/dev\/ttyUSB9 is not a board of rig rig-r/],
        ['no-chip', { chip: 'esp32s3', iterations: 1 }, /rig rig-r has no esp32s3 board \(boards: sim:esp32c3.* \(esp32c3\), sim:esp32c6.* \(esp32c6\)\)/],
        ['path', { chip: 'esp32c3', iterations: 1, firmware: '../secret.bin' }, /a file name/],
        ['escape', { chip: 'esp32c3', iterations: 1, firmware: 'escape.bin' }, /leads outside the firmware directory/],
        ['missing', { chip: 'esp32c3', iterations: 1, firmware: 'c3-v2.bin' }, /no such image/],
        ['not-an-image', { chip: 'esp32c3', iterations: 1, firmware: 'c3-v1.bin' }, /c3-v1\.bin.*(0xE9|magic|app image)/i],
        ['scenario', { chip: 'esp32c6', iterations: 1, scenarios: ['wifi-teleport'] }, /scenarios/],
        ['rig-label', { chip: 'esp32c3', iterations: 1, labels: { rig: 'rig-x' } }, /label "rig" is set by the agent/],
      ];
      for (const [id, body] of cases) await o.send(id, body);
      for (const [id, , reason] of cases) {
        const s = await o.final(id, 10_000);
        expect(s.state, id).toBe('rejected');
        expect(s.reason, id).toMatch(reason);
        expect(o.states(id).map((x) => x.state), id).toEqual(['rejected']);
      }
      expect(o.seen.some((m) => m.kind === 'record')).toBe(false);
      expect((await new LocalStore(join(dir, 'rig-r')).list()).runs).toEqual([]);

      // An image from the firmware directory: the run carries what its app descriptor says.
      await o.send('good', { chip: 'esp32c3', iterations: 1, firmware: 'c3-good.elf', labels: { ref: 'v9' } });
      expect(await o.final('good')).toMatchObject({ state: 'done', results: { ok: 3, failed: 0, notRun: 0 } });
      const { runs } = await new LocalStore(join(dir, 'rig-r')).list();
      const record = await new LocalStore(join(dir, 'rig-r')).get(runs[0]!.runId);
      expect(record.labels).toMatchObject({ ref: 'v9', project: 'espbench-test', firmware_image: 'c3-good.elf', rig: 'rig-r', elf_sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    } finally {
      await o.conn.close();
      await agent.stop();
    }
  }, 60_000);

  it('runs commands one at a time per board, in order, and a command id only once', async () => {
    const agent = await Agent.start(broker.url, options('rig-q'));
    const o = await observer(broker.url, 'rig-q', 'obs-q');
    // An ingester stand-in, so records are taken with reason code 0.
    const taker = await observer(broker.url, 'rig-q', 'taker-q');
    try {
      await o.send('v1', { chip: 'esp32c6', iterations: 1, durationS: 0.5, scenarios: ['wifi-tcp-upload', 'wifi-udp-download'], labels: { ref: 'p' } });
      await o.send('c1', { chip: 'esp32c3', iterations: 1, labels: { ref: 'a' } });
      await o.send('c2', { devices: [BOARD], iterations: 1, labels: { ref: 'b' } });
      await o.send('c1', { chip: 'esp32c3', iterations: 1, labels: { ref: 'again' } });
      const [s1, s2, v1] = [await o.final('c1'), await o.final('c2'), await o.final('v1')];
      // A protocol-v1 command on the other board ran alongside them.
      expect(v1).toMatchObject({ state: 'done', results: { ok: 2, failed: 0, notRun: 0 }, devices: [PEERLESS_V1] });
      expect([s1.state, s2.state]).toEqual(['done', 'done']);
      expect(s1.results).toEqual({ ok: 3, failed: 0, notRun: 0 });
      expect(o.states('c1').map((s) => s.state)).toEqual(['queued', 'running', 'done']);
      expect(o.states('c2').map((s) => s.state)).toEqual(['queued', 'running', 'done']);
      // c2 waited for c1: it started running only after c1 was done.
      const order = o.seen.filter((m) => m.kind === 'command-state').map((m) => `${(m.payload as CommandState).commandId}:${(m.payload as CommandState).state}`);
      expect(order.indexOf('c2:running')).toBeGreaterThan(order.indexOf('c1:done'));
      const records = o.seen.filter((m): m is Extract<MqttMessage, { kind: 'record' }> => m.kind === 'record' && m.payload.commandId !== 'v1');
      expect(records.map((r) => [r.payload.commandId, r.payload.record.labels.ref, r.payload.record.labels.rig])).toEqual([
        ['c1', 'a', 'rig-q'],
        ['c2', 'b', 'rig-q'],
      ]);
      expect([...s1.runIds, ...s2.runIds]).toEqual(records.map((r) => r.runId));
      expect(agent.unacknowledged).toEqual([]);
    } finally {
      await Promise.all([o.conn.close(), taker.conn.close()]);
      await agent.stop();
    }
  }, 90_000);

  it('keeps a record nobody subscribed to (PUBACK 16) and publishes it again once someone does', async () => {
    const agent = await Agent.start(broker.url, options('rig-k'));
    const sender = await connectBroker(broker.url, { clientId: 'sender-k', clean: true, sessionExpirySeconds: 0 });
    try {
      await sender.client.publishAsync('espbench/v1/rigs/rig-k/commands/k1', JSON.stringify({ v: 1, id: 'k1', rig: 'rig-k', issuedAt: new Date().toISOString(), chip: 'esp32c3', iterations: 1 }), { qos: 1 });
      // Nobody reads records yet: the run ends, the record stays in the outbox.
      const until = Date.now() + 30_000;
      while (agent.unacknowledged.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      expect(agent.unacknowledged).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 1000)); // several republish rounds, all answered 16
      expect(agent.unacknowledged).toHaveLength(1);
      const runId = agent.unacknowledged[0]!;
      const o = await observer(broker.url, 'rig-k', 'obs-k');
      const got = Date.now() + 10_000;
      while (!o.seen.some((m) => m.kind === 'record') && Date.now() < got) await new Promise((r) => setTimeout(r, 50));
      expect(o.seen.filter((m) => m.kind === 'record').map((m) => (m as Extract<MqttMessage, { kind: 'record' }>).runId)).toEqual([runId]);
      await new Promise((r) => setTimeout(r, 300));
      expect(agent.unacknowledged).toEqual([]);
      await o.conn.close();
    } finally {
      await sender.close();
      await agent.stop();
    }
  }, 60_000);
});
