import { describe, expect, it } from 'vitest';
import { FRAME, FrameReader, encodeFrame, jsonFrame } from './air.js';
import { airtimeShares, bleLinkModel } from './link-model.js';
import { LossPattern } from './loss.js';
import { LineSplitter, encodeMessage, parseCommandLine, validateRun } from './protocol.js';
import { decodeDatagramHeader, encodeDatagram } from './wifi-udp.js';
import { chipCapabilities } from './chips.js';

const link = { ppe: 6, marginUs: 150, scale: 1 };

describe('BLE link model', () => {
  it('2M PHY, MTU 247 (244-byte payload), 7.5 ms: 5 packets per event, 162 667 B/s', () => {
    const m = bleLinkModel({ ...link, phy: '2M', payload: 244, connIntervalMs: 7.5 });
    expect(m.packetUs).toBe(1044); // (244 + 17) * 8 / 2
    expect(m.ackUs).toBe(40);
    expect(m.exchangeUs).toBe(1384);
    expect(m.fit).toBe(5); // floor(7350 / 1384)
    expect(m.packetsPerEvent).toBe(5);
    expect(m.bytesPerS).toBeCloseTo((5 * 244) / 0.0075, 6);
  });

  it('1M PHY fits 2 large packets per 7.5 ms event; small packets are limited by ppe', () => {
    expect(bleLinkModel({ ...link, phy: '1M', payload: 244, connIntervalMs: 7.5 }).bytesPerS).toBeCloseTo((2 * 244) / 0.0075, 6);
    const small = bleLinkModel({ ...link, phy: '1M', payload: 20, connIntervalMs: 7.5 });
    expect(small.fit).toBe(10);
    expect(small.packetsPerEvent).toBe(6);
    expect(small.bytesPerS).toBeCloseTo(16_000, 6);
  });

  it('coded PHY: a packet longer than an interval takes several intervals', () => {
    const m = bleLinkModel({ ...link, phy: 'coded', payload: 244, connIntervalMs: 7.5 });
    expect(m.fit).toBe(0);
    expect(m.intervalsPerPacket).toBe(3); // ceil(17644 / 7350)
    expect(m.bytesPerS).toBeCloseTo(244 / 0.0225, 6);
  });

  it('scales with ble_scale and splits airtime only while both radios move data', () => {
    const base = bleLinkModel({ ...link, phy: '2M', payload: 244, connIntervalMs: 7.5 }).bytesPerS;
    expect(bleLinkModel({ ...link, scale: 0.5, phy: '2M', payload: 244, connIntervalMs: 7.5 }).bytesPerS).toBeCloseTo(base / 2, 6);
    expect(airtimeShares(0.7, true, true)).toEqual({ wifi: 0.7, ble: 1 - 0.7 });
    expect(airtimeShares(0.7, true, false)).toEqual({ wifi: 1, ble: 1 });
    expect(airtimeShares(0.7, false, true)).toEqual({ wifi: 1, ble: 1 });
  });
});

describe('LossPattern', () => {
  it.each([0.01, 0.05, 0.1, 0.333, 0.5])('loses %s of the sequence numbers: within 1 datagram per whole blocks, 2 otherwise', (loss) => {
    const pattern = new LossPattern(1, loss);
    for (const n of [20, 1000, 10_007, 50_000, 50_013]) {
      let lost = 0;
      for (let seq = 0; seq < n; seq++) if (pattern.isLost(seq)) lost++;
      expect(Math.abs(lost - loss * n)).toBeLessThanOrEqual(n % 20 === 0 ? 1 : 2);
    }
  });

  it('is deterministic per seed, differs between seeds, and handles 0 and 1', () => {
    const pick = (seed: number): number[] => {
      const p = new LossPattern(seed, 0.1);
      return Array.from({ length: 200 }, (_, i) => i).filter((i) => p.isLost(i));
    };
    expect(pick(3)).toEqual(pick(3));
    expect(pick(3)).not.toEqual(pick(4));
    expect(new LossPattern(1, 0).isLost(5)).toBe(false);
    expect(new LossPattern(1, 1).isLost(5)).toBe(true);
  });
});

describe('protocol lines', () => {
  it('encodes one line with the marker and escapes newlines', () => {
    expect(encodeMessage({ type: 'error', code: 'internal', message: 'a\nb "c"' })).toBe(
      '@espbench {"type":"error","code":"internal","message":"a\\nb \\"c\\""}',
    );
  });

  it('splits RX on LF and CRLF, keeps partial lines, drops lines over 4096 bytes', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((l) => lines.push(l));
    splitter.push('@espbench {"type":"hel');
    splitter.push('lo"}\r\nlog line\n');
    splitter.push(`${'x'.repeat(5000)}`);
    splitter.push(`${'y'.repeat(100)}\nafter\n`);
    expect(lines).toEqual(['@espbench {"type":"hello"}', 'log line', 'after']);
  });

  it('classifies lines', () => {
    expect(parseCommandLine('I (10) boot: hi')).toEqual({ kind: 'not-protocol' });
    expect(parseCommandLine('@espbench {"type":"status"}')).toEqual({ kind: 'command', command: { type: 'status' } });
    expect(parseCommandLine('@espbench [1]').kind).toBe('bad');
    expect(parseCommandLine('@espbench {"id":1}').kind).toBe('bad');
    expect(parseCommandLine('@espbench {oops').kind).toBe('bad');
  });

  it('validates run commands', () => {
    const caps = chipCapabilities('esp32c6');
    const host = { ip: '127.0.0.1', port: 4322 };
    const ok = validateRun({ type: 'run', id: 'r1', scenario: 'wifi-tcp-upload', duration_ms: 1000, host }, caps);
    expect(ok).toMatchObject({ ok: true, spec: { id: 'r1', radio: 'wifi', host, phy: '1M', mtu: 247, connIntervalMs: 7.5 } });
    const ble = validateRun(
      { id: 'b', scenario: 'ble-notify', role: 'central', peer: 'AA:BB:CC:DD:EE:FF', duration_ms: 5, phy: 'coded', mtu: 100, conn_interval_ms: 30 },
      caps,
    );
    expect(ble).toMatchObject({ ok: true, spec: { radio: 'ble', peer: 'aa:bb:cc:dd:ee:ff', phy: 'coded', mtu: 100, connIntervalMs: 30 } });
    const reject = (cmd: Record<string, unknown>, capabilities = caps) => validateRun(cmd, capabilities) as { code: string; id: string | null; message: string };
    expect(reject({ scenario: 'wifi-tcp-upload' })).toMatchObject({ code: 'bad-command', id: null });
    expect(reject({ id: 'x', scenario: 'wifi-scan', duration_ms: 1 })).toMatchObject({ code: 'unsupported', id: 'x' });
    expect(reject({ id: 'x', scenario: 'wifi-tcp-upload', duration_ms: 1, host }, ['wifi-tcp-download'])).toMatchObject({ code: 'unsupported' });
    expect(reject({ id: 'x', scenario: 'wifi-tcp-upload', host })).toMatchObject({ code: 'bad-command' });
    expect(reject({ id: 'x', scenario: 'wifi-tcp-upload', duration_ms: 1 })).toMatchObject({ code: 'bad-command' });
    expect(reject({ id: 'x', scenario: 'wifi-udp-upload', duration_ms: 1, host, payload: 8 })).toMatchObject({ code: 'bad-command' });
    expect(reject({ id: 'x', scenario: 'ble-write', duration_ms: 1 })).toMatchObject({ code: 'bad-command' });
    expect(reject({ id: 'x', scenario: 'ble-write', role: 'central', duration_ms: 1 })).toMatchObject({ code: 'bad-command' });
    expect(reject({ id: 'x', scenario: 'ble-write', role: 'peripheral', duration_ms: 1, phy: '4M' })).toMatchObject({ code: 'bad-command' });
    expect(reject({ id: 'x', scenario: 'ble-write', role: 'peripheral', duration_ms: 1, mtu: 50, payload: 48 })).toMatchObject({
      code: 'bad-command',
    });
    expect(reject({ id: 'x', scenario: 'ble-notify', role: 'central', duration_ms: 1 }, chipCapabilities('esp32s2'))).toMatchObject({
      code: 'unsupported',
    });
  });
});

describe('wire formats', () => {
  it('ESB1 datagrams: 16-byte big-endian header, then filler', () => {
    const d = encodeDatagram(258, 40, 0x0102030405060708n);
    expect(d.length).toBe(40);
    expect(d.subarray(0, 16).toString('hex')).toBe('45534231' + '00000102' + '0102030405060708');
    expect(decodeDatagramHeader(d)).toEqual({ seq: 258, sendMicros: 0x0102030405060708n });
    expect(decodeDatagramHeader(Buffer.from('{"id":"r1"}'))).toBeNull();
  });

  it('air frames survive arbitrary splitting', () => {
    const frames: Array<[number, string]> = [];
    const reader = new FrameReader((type, body) => frames.push([type, body.toString()]));
    const bytes = Buffer.concat([jsonFrame(FRAME.hello, { a: 1 }), encodeFrame(FRAME.data, Buffer.from('xyz')), encodeFrame(FRAME.end)]);
    for (const byte of bytes) reader.push(Buffer.from([byte]));
    expect(frames).toEqual([
      [FRAME.hello, '{"a":1}'],
      [FRAME.data, 'xyz'],
      [FRAME.end, ''],
    ]);
  });
});
