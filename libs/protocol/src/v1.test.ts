import { describe, expect, it } from 'vitest';
import { v1 } from './index.js';

const HELLO = '@espbench {"type":"hello","protocol":1,"chip":"esp32c6","firmware":{"name":"espbench-fw","version":"0.3.0"},"mac":"40:4c:ca:01:02:03","capabilities":["wifi-tcp-upload","coex"],"future":true}';

describe('protocol v1 lines', () => {
  it('parses messages, ignores log lines and unknown types, keeps unknown fields', () => {
    const hello = v1.parseV1Line(HELLO);
    expect(hello).toMatchObject({ kind: 'message', message: { type: 'hello', protocol: 1, chip: 'esp32c6', firmware: { version: '0.3.0' } } });
    expect(v1.parseV1Line('I (312) boot: ESP-IDF v5.1')).toBeNull();
    expect(v1.parseV1Line('log line mentioning @espbench {"type":"ready"}')).toBeNull();
    expect(v1.parseV1Line('@espbench {"type":"ready"}\r')).toEqual({ kind: 'message', message: { type: 'ready' } });
    expect(v1.parseV1Line('@espbench {"type":"telemetry","x":1}')).toEqual({ kind: 'unknown-type', type: 'telemetry' });
    const result = v1.parseV1Line('@espbench {"type":"result","id":"r1","scenario":"ble-notify","role":"receiver","bytes":1612800,"ms":10000,"details":{"phy":"2M","mtu":247,"conn_interval_ms":7.5}}');
    expect(result).toMatchObject({ kind: 'message', message: { bytes: 1612800, details: { conn_interval_ms: 7.5 } } });
  });

  it('says what is wrong with a malformed line', () => {
    expect(v1.parseV1Line('@espbench {"type":"start","id":')).toMatchObject({ kind: 'malformed', error: expect.stringMatching(/^not JSON/) });
    expect(v1.parseV1Line('@espbench [1,2]')).toMatchObject({ kind: 'malformed', error: 'not a JSON object' });
    expect(v1.parseV1Line('@espbench {"id":"x"}')).toMatchObject({ kind: 'malformed', error: 'no "type"' });
    expect(v1.parseV1Line('@espbench {"type":"result","id":"r1","scenario":"x","role":"sender","bytes":-1,"ms":5}')).toMatchObject({ kind: 'malformed', error: expect.stringMatching(/^result: bytes/) });
    expect(v1.parseV1Line(`@espbench {"type":"error","code":"x","message":"${'a'.repeat(5000)}"}`)).toMatchObject({ kind: 'malformed' });
  });

  it('encodes commands as one marked line and refuses another version clearly', () => {
    expect(v1.encodeCommand({ type: 'run', id: 'r1', scenario: 'wifi-tcp-upload', duration_ms: 10000, host: { ip: '192.168.1.20', port: 4322 } })).toBe(
      '@espbench {"type":"run","id":"r1","scenario":"wifi-tcp-upload","duration_ms":10000,"host":{"ip":"192.168.1.20","port":4322}}\n',
    );
    const msg = (v1.parseV1Line(HELLO) as { message: v1.HelloMessage }).message;
    expect(() => v1.checkVersion(msg, '/dev/ttyACM0')).not.toThrow();
    expect(() => v1.checkVersion({ ...msg, protocol: 2 }, '/dev/ttyACM0')).toThrow('/dev/ttyACM0 speaks espbench protocol 2; this espbench speaks 1 (update espbench)');
  });
});

describe('ESP-IDF BLE throughput lines', () => {
  it('reads the bluedroid and multi-connection example formats', () => {
    expect(v1.parseIdfBleThroughput('I (6438) GATTC_DEMO_PHY: Notify Bit rate = 97642 Byte/s, = 781136 bit/s, time = 0s')).toEqual({ kind: 'notify', bytesPerS: 97642, bitsPerS: 781136, timeS: 0 });
    expect(v1.parseIdfBleThroughput('\x1b[0;32mI (10438) GATTC_DEMO_PHY: Notify Bit rate = 97233 Byte/s, = 777864 bit/s, time = 4s\x1b[0m')).toMatchObject({ bytesPerS: 97233, timeS: 4 });
    expect(v1.parseIdfBleThroughput('I (6921) GATTC_DEMO: Notify Bit rate = 0 Byte/s, = 0 bit/s')).toEqual({ kind: 'notify', bytesPerS: 0, bitsPerS: 0, timeS: null });
    expect(v1.parseIdfBleThroughput('gatts notify Bit rate = 84224 Byte/s, = 673792 bit/s, time = 10s.')).toMatchObject({ kind: 'notify', timeS: 10 });
    expect(v1.parseIdfBleThroughput('gattc write Bit rate = 51200 Byte/s, = 409600 bit/s, time = 3s.')).toMatchObject({ kind: 'write', bytesPerS: 51200 });
    expect(v1.parseIdfBleThroughput('Write Bit rate = 1.5 Mbps (write cnt 3).')).toBeNull();
  });
});
