import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  DELIVERY,
  encodeMessage,
  filters,
  liveSamples,
  parsePayload,
  parseTopic,
  PayloadError,
  rigWill,
  shared,
  TopicError,
  topics,
  type RunCommand,
} from '../src/index.js';
import { intervalsMessage, recordMessage } from './fixtures.js';

const buf = (o: unknown) => Buffer.from(JSON.stringify(o));

function command(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { v: 1, id: 'cmd-1', rig: 'rig-a', issuedAt: '2026-11-01T02:00:00.000Z', chip: 'esp32c3', iterations: 3, labels: { ref: 'v1.0.0' }, ...over };
}

function reasonOf(topic: string, payload: unknown): string {
  const r = parsePayload(topic, typeof payload === 'string' ? payload : buf(payload));
  if (r.ok) throw new Error(`accepted ${topic}`);
  return `${r.kind}: ${r.reason}`;
}

describe('topics', () => {
  it('builds and parses every topic of layout v1', () => {
    const cases = [
      [topics.status('rig-a'), { kind: 'status', rig: 'rig-a' }],
      [topics.devices('rig-a'), { kind: 'devices', rig: 'rig-a' }],
      [topics.command('rig-a', 'c1'), { kind: 'command', rig: 'rig-a', commandId: 'c1' }],
      [topics.commandState('rig-a', 'c1'), { kind: 'command-state', rig: 'rig-a', commandId: 'c1' }],
      [topics.progress('rig-a', '20261122-043015-3f9a2c'), { kind: 'progress', rig: 'rig-a', runId: '20261122-043015-3f9a2c' }],
      [topics.intervals('rig-a', 'r1'), { kind: 'intervals', rig: 'rig-a', runId: 'r1' }],
      [topics.record('rig-a', 'r1'), { kind: 'record', rig: 'rig-a', runId: 'r1' }],
    ] as const;
    for (const [topic, parsed] of cases) {
      expect(topic.startsWith('espbench/v1/rigs/rig-a/')).toBe(true);
      expect(parseTopic(topic)).toEqual({ ok: true, topic: parsed });
    }
    expect(topics.record('lab.1_x', 'r1')).toBe('espbench/v1/rigs/lab.1_x/runs/r1/record');
    expect(shared('ingest', filters.records)).toBe('$share/ingest/espbench/v1/rigs/+/runs/+/record');
    expect(filters.commands('rig-a')).toBe('espbench/v1/rigs/rig-a/commands/+');
    expect(DELIVERY.record).toEqual({ qos: 1, retain: false });
    expect(DELIVERY.status).toEqual({ qos: 1, retain: true });
    expect(DELIVERY.intervals.qos).toBe(0);
  });

  it('refuses rig names, run ids and groups that are not one plain segment', () => {
    for (const bad of ['', 'a/b', '+', '#', 'rig+', 'rig#1', '$SYS', 'has space', '-lead', '.hidden', 'x'.repeat(129), 'tab\t', 'ü']) {
      expect(() => topics.status(bad), JSON.stringify(bad)).toThrow(TopicError);
      expect(() => topics.record('rig-a', bad)).toThrow(/run id/);
      expect(() => topics.command('rig-a', bad)).toThrow(/command id/);
      expect(() => shared(bad, filters.records)).toThrow(/share group/);
    }
    expect(() => topics.status('a/b')).toThrow(/no '\+', '#', '\/'/);
  });

  it('names what is wrong with a foreign topic', () => {
    expect(parseTopic('espbench/v2/rigs/a/status')).toEqual({ ok: false, reason: expect.stringMatching(/topic layout v2 is not supported/) });
    expect(parseTopic('other/thing')).toMatchObject({ ok: false, reason: expect.stringMatching(/not under espbench\/v1\/rigs\//) });
    expect(parseTopic('espbench/v1/rigs/a/runs/r1/record/extra')).toMatchObject({ ok: false });
    expect(parseTopic('espbench/v1/rigs/a/runs/r1')).toMatchObject({ ok: false });
    expect(parseTopic('espbench/v1/rigs/a b/status')).toMatchObject({ ok: false, reason: expect.stringMatching(/invalid segment "a b"/) });
  });
});

describe('parsePayload', () => {
  const recordTopic = topics.record('rig-a', 'run-1');

  it('accepts a record and types it', () => {
    const r = parsePayload(recordTopic, buf(recordMessage('run-1', 'rig-a')));
    expect(r.ok).toBe(true);
    if (r.ok && r.message.kind === 'record') {
      expect(r.message.runId).toBe('run-1');
      expect(r.message.payload.record.results).toHaveLength(3);
    } else throw new Error('not a record');
  });

  it('rejects bad JSON, unknown versions and schema errors with a reason', () => {
    expect(reasonOf(recordTopic, '{"v":1,')).toMatch(/^json: espbench\/v1\/rigs\/rig-a\/runs\/run-1\/record: payload is not JSON/);
    expect(reasonOf(recordTopic, '[1]')).toMatch(/^schema: .*must be a JSON object/);
    expect(reasonOf(recordTopic, { ...recordMessage('run-1', 'rig-a'), v: 2 })).toMatch(/^version: .*payload version 2 is not supported \(this espbench reads version 1\)/);
    expect(reasonOf(recordTopic, { ...recordMessage('run-1', 'rig-a'), v: '1' })).toMatch(/^version: .*payload version "1" is not supported/);
    const { v: _v, ...noVersion } = recordMessage('run-1', 'rig-a');
    expect(reasonOf(recordTopic, noVersion)).toMatch(/^version: .*no version field "v"/);
    const m = recordMessage('run-1', 'rig-a');
    expect(reasonOf(recordTopic, { ...m, record: { ...m.record, version: 7 } })).toMatch(/^version: .*RunRecord version 7 is not supported/);
    expect(reasonOf(recordTopic, { ...m, record: { ...m.record, results: [{ ...m.record.results[0], bytes: -1 }] } })).toMatch(
      /^schema: .*invalid record payload at record\.results\.0\.bytes/,
    );
    expect(reasonOf('espbench/v9/rigs/a/status', {})).toMatch(/^topic: topic layout v9 is not supported/);
  });

  it('rejects payloads that contradict their topic', () => {
    expect(reasonOf(topics.record('rig-b', 'run-1'), recordMessage('run-1', 'rig-a'))).toMatch(/^mismatch: .*payload rig "rig-a" is not the topic's rig "rig-b"/);
    expect(reasonOf(topics.record('rig-a', 'run-2'), recordMessage('run-1', 'rig-a'))).toMatch(/record runId "run-1" is not the topic's "run-2"/);
    const m = recordMessage('run-1', 'rig-a');
    expect(reasonOf(recordTopic, { ...m, record: { ...m.record, labels: { ref: 'x' } } })).toMatch(/record labels\.rig null is not the topic's rig "rig-a"/);
    const i = intervalsMessage('run-1', 'rig-a', 0, 2);
    expect(reasonOf(topics.intervals('rig-a', 'run-1'), { ...i, labels: { rig: 'rig-b' } })).toMatch(/labels\.rig "rig-b"/);
    expect(reasonOf(topics.intervals('rig-a', 'run-1'), { ...i, chip: null })).toMatch(/^schema: .*at chip/);
    expect(reasonOf(topics.command('rig-a', 'cmd-2'), command())).toMatch(/command id "cmd-1" is not the topic's "cmd-2"/);
  });

  it('accepts interval samples as LiveSample plus previousT', () => {
    const r = parsePayload(topics.intervals('rig-a', 'run-1'), buf(intervalsMessage('run-1', 'rig-a', 0, 3)));
    if (!r.ok || r.message.kind !== 'intervals') throw new Error('not accepted');
    const s = liveSamples(r.message.payload);
    expect(s).toHaveLength(3);
    expect(s[1]).toMatchObject({ runId: 'run-1', device: 'sim:esp32c6?rate=1000000', chip: 'esp32c6', scenario: 'wifi-tcp-upload', interval: { t: 1, bytes: 1001 }, previousT: 0.5 });
  });

  it('run commands are data: no command lines, firmware by file name only', () => {
    const topic = topics.command('rig-a', 'cmd-1');
    expect(parsePayload(topic, buf(command({ firmware: 'esp32c3-v1.2.bin', scenarios: ['wifi-tcp-upload'] }))).ok).toBe(true);
    for (const firmware of ['../esp32c3.bin', '/srv/fw/esp32c3.bin', 'sub/esp32c3.bin', '.hidden.bin', 'a..b.bin', 'a b.bin', 'C:\\fw\\x.bin', '$(reboot).bin']) {
      expect(reasonOf(topic, command({ firmware })), firmware).toMatch(/^schema: .*at firmware/);
    }
    expect(reasonOf(topic, command({ shell: 'rm -rf /' }))).toMatch(/^schema: .*Unrecognized key.*shell/);
    expect(reasonOf(topic, command({ exec: 'espflash flash x' }))).toMatch(/Unrecognized key.*exec/);
    expect(reasonOf(topic, command({ chip: undefined }))).toMatch(/exactly one of devices and chip/);
    expect(reasonOf(topic, command({ devices: ['/dev/ttyACM0'] }))).toMatch(/exactly one of devices and chip/);
    expect(reasonOf(topic, command({ labels: { rig: 'other' } }))).toMatch(/label "rig" is set by the agent/);
    expect(reasonOf(topic, command({ labels: { 'bad key': 'x' } }))).toMatch(/at labels/);
    expect(reasonOf(topic, command({ iterations: 0 }))).toMatch(/at iterations/);
    expect(reasonOf(topic, command({ scenarios: ['wifi-tcp-sideways'] }))).toMatch(/at scenarios\.0/);
    const r = parsePayload(topic, buf(command({ labels: undefined })));
    expect(r.ok && (r.message.payload as RunCommand).labels).toEqual({});
  });
});

describe('encodeMessage', () => {
  it('gives topic, JSON, QoS and retain, checked by the reader rules', () => {
    const out = encodeMessage({ kind: 'record', rig: 'rig-a', runId: 'run-1', payload: recordMessage('run-1', 'rig-a') });
    expect(out).toMatchObject({ topic: 'espbench/v1/rigs/rig-a/runs/run-1/record', qos: 1, retain: false });
    expect(JSON.parse(out.payload.toString()).record.runId).toBe('run-1');
    expect(() => encodeMessage({ kind: 'record', rig: 'rig-b', runId: 'run-1', payload: recordMessage('run-1', 'rig-a') })).toThrow(PayloadError);
    expect(() => encodeMessage({ kind: 'status', rig: 'a/b', payload: { v: 1, rig: 'a/b', state: 'online', since: null, host: 'h', version: '1' } })).toThrow(/rig name "a\/b"/);
  });

  it('makes the retained offline last will of a rig', () => {
    const will = rigWill('rig-a', { host: 'bench-1', version: '0.1.0' });
    expect(will).toMatchObject({ topic: 'espbench/v1/rigs/rig-a/status', qos: 1, retain: true });
    expect(JSON.parse(will.payload.toString())).toEqual({ v: 1, rig: 'rig-a', state: 'offline', since: null, host: 'bench-1', version: '0.1.0' });
  });
});

describe('docs/mqtt.md', () => {
  it('lists exactly the topics, QoS and retain flags of the code', () => {
    const doc = readFileSync(fileURLToPath(new URL('../../../docs/mqtt.md', import.meta.url)), 'utf8');
    const table = [...doc.matchAll(/^\| `(espbench\/[^`]+)` \| ([a-z-]+) \| (\d) \| (yes|no) \|/gm)];
    expect(table.map((m) => m[2]).sort()).toEqual(Object.keys(DELIVERY).sort());
    for (const [, template, kind, qos, retained] of table) {
      const topic = template!.replace('<rig>', 'rig-a').replace('<runId>', 'run-1').replace('<commandId>', 'cmd-1');
      const parsed = parseTopic(topic);
      expect(parsed.ok && parsed.topic.kind, template).toBe(kind);
      expect(DELIVERY[kind as keyof typeof DELIVERY], kind).toEqual({ qos: Number(qos), retain: retained === 'yes' });
    }
  });
});
