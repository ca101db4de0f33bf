import { describe, expect, it } from 'vitest';
import { parseDeviceUri } from './device-uri.js';
import { LinkError } from './errors.js';

describe('parseDeviceUri', () => {
  it('takes plain serial paths and serial:// URIs', () => {
    expect(parseDeviceUri('/dev/ttyACM0')).toEqual({ kind: 'serial', uri: '/dev/ttyACM0', path: '/dev/ttyACM0', baudRate: 115200 });
    expect(parseDeviceUri('serial:///dev/ttyUSB0?baud=921600')).toMatchObject({ kind: 'serial', path: '/dev/ttyUSB0', baudRate: 921600 });
    expect(parseDeviceUri('COM3')).toMatchObject({ kind: 'serial', path: 'COM3' });
  });
  it('takes exec:, tcp:// and sim:', () => {
    expect(parseDeviceUri('exec:espflash monitor --port /dev/ttyACM0')).toEqual({
      kind: 'exec',
      uri: 'exec:espflash monitor --port /dev/ttyACM0',
      command: 'espflash monitor --port /dev/ttyACM0',
    });
    expect(parseDeviceUri('tcp://rig1.local:3333')).toMatchObject({ kind: 'tcp', host: 'rig1.local', port: 3333 });
    expect(parseDeviceUri('sim:esp32c3?rate=1000000&duration=2')).toEqual({ kind: 'sim', uri: 'sim:esp32c3?rate=1000000&duration=2' });
  });
  it.each([
    ['', /empty/],
    ['ttyUSB0', /unrecognised/],
    ['tcp://host', /needs a host and a port/],
    ['serial:///dev/ttyUSB0?baud=fast', /baud "fast"/],
    ['serial:///dev/ttyUSB0?speed=1', /unknown serial parameter "speed"/],
    ['exec:', /needs a command/],
    ['sim:', /needs a chip/],
  ])('rejects %j with a one-line message', (uri, why) => {
    let err: unknown;
    try {
      parseDeviceUri(uri);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LinkError);
    expect((err as LinkError).code).toBe('bad-uri');
    expect((err as LinkError).message).toMatch(why);
    expect((err as LinkError).message).not.toContain('\n');
  });
});
