import { describe, expect, it } from 'vitest';
import { SimUriError } from '../wifi-bench-sim/sim-uri.js';
import { bleAddress, chipCapabilities, defaultMac } from './chips.js';
import { CliUsageError, parseV1CliArgs } from './cli.js';
import { defaultAirDir } from './air.js';
import { V1_SIM_URI_PARAMETERS, parseV1SimUri } from './uri.js';

function uriError(uri: string): SimUriError {
  try {
    parseV1SimUri(uri);
  } catch (err) {
    expect(err).toBeInstanceOf(SimUriError);
    return err as SimUriError;
  }
  throw new Error(`parseV1SimUri('${uri}') did not throw`);
}

const ALL_CAPS = [
  'wifi-tcp-download',
  'wifi-tcp-upload',
  'wifi-tcp-updown',
  'wifi-udp-download',
  'wifi-udp-upload',
  'ble-notify-peripheral',
  'ble-notify-central',
  'ble-write-central',
  'ble-write-peripheral',
  'coex',
];

describe('parseV1SimUri', () => {
  it('applies the defaults', () => {
    const options = parseV1SimUri('sim:esp32c6?fw=v1');
    expect(options).toEqual({
      chip: 'esp32c6',
      mac: defaultMac('esp32c6', 1, '127.0.0.2'),
      ip: '127.0.0.2',
      bootS: 0.2,
      version: '0.3.0',
      seed: 1,
      rates: {
        'wifi-tcp-download': 1_000_000,
        'wifi-tcp-upload': 1_000_000,
        'wifi-tcp-updown': 1_000_000,
        'wifi-udp-download': 1_000_000,
        'wifi-udp-upload': 1_000_000,
      },
      loss: 0,
      ppe: 6,
      bleMarginUs: 150,
      bleScale: 1,
      coexWifi: 0.5,
      capabilities: ALL_CAPS,
      faults: [],
      colors: true,
      eol: 'board',
    });
    expect(options.mac).toMatch(/^40:4c:ca(:[0-9a-f]{2}){3}$/);
    // fw may be left out: this parser is only reached for v1 boards.
    expect(parseV1SimUri('sim:esp32c6')).toEqual(options);
  });

  it('reads every parameter', () => {
    const options = parseV1SimUri(
      'sim:esp32s3?fw=v1&mac=AA:BB:CC:00:00:FE&ip=127.0.0.9&boot=0&version=1.2.3-rc1&seed=7&rate=500000&upload_rate=250000' +
        '&download_rate=1&updown_rate=2&udp_download_rate=3&udp_upload_rate=4&loss=0.25&ppe=3&ble_margin_us=0&ble_scale=0.5' +
        '&coex_wifi=0.7&caps=wifi-tcp-upload,ble-notify-central,coex&fault=reset@2,panic@3&fault=version&colors=0&eol=crlf',
    );
    expect(options).toEqual({
      chip: 'esp32s3',
      mac: 'aa:bb:cc:00:00:fe',
      ip: '127.0.0.9',
      bootS: 0,
      version: '1.2.3-rc1',
      seed: 7,
      rates: {
        'wifi-tcp-download': 1,
        'wifi-tcp-upload': 250_000,
        'wifi-tcp-updown': 2,
        'wifi-udp-download': 3,
        'wifi-udp-upload': 4,
      },
      loss: 0.25,
      ppe: 3,
      bleMarginUs: 0,
      bleScale: 0.5,
      coexWifi: 0.7,
      capabilities: ['wifi-tcp-upload', 'ble-notify-central', 'coex'],
      faults: [
        { kind: 'reset', run: 2 },
        { kind: 'panic', run: 3 },
        { kind: 'version', run: null },
      ],
      colors: false,
      eol: 'crlf',
    });
    expect(new Set(V1_SIM_URI_PARAMETERS).size).toBe(21);
  });

  it('reads every fault kind', () => {
    const kinds = ['malformed', 'unknown-type', 'peer-silent', 'ble-disconnect', 'claim-then-error', 'reset', 'panic'];
    const options = parseV1SimUri(`sim:esp32?fault=${kinds.map((k, i) => `${k}@${i + 1}`).join(',')},version`);
    expect(options.faults.map((f) => f.kind)).toEqual([...kinds, 'version']);
    expect(options.faults.map((f) => f.run)).toEqual([1, 2, 3, 4, 5, 6, 7, null]);
  });

  it('announces only the radios a chip has', () => {
    expect(parseV1SimUri('sim:esp32h2').capabilities).toEqual([
      'ble-notify-peripheral',
      'ble-notify-central',
      'ble-write-central',
      'ble-write-peripheral',
    ]);
    expect(parseV1SimUri('sim:esp32s2').capabilities).toEqual(ALL_CAPS.slice(0, 5));
    expect(chipCapabilities('esp32c3')).toEqual(ALL_CAPS);
    expect(parseV1SimUri('sim:esp32c3?caps=').capabilities).toEqual([]);
  });

  it('derives distinct MACs for boards on distinct IPs, and the BLE address as MAC + 2', () => {
    const a = parseV1SimUri('sim:esp32c6?ip=127.0.0.2').mac;
    const b = parseV1SimUri('sim:esp32c6?ip=127.0.0.3').mac;
    const c = parseV1SimUri('sim:esp32c6?ip=127.0.0.2&seed=2').mac;
    expect(new Set([a, b, c]).size).toBe(3);
    expect(parseV1SimUri('sim:esp32c6?ip=127.0.0.2').mac).toBe(a);
    expect(bleAddress('40:4c:ca:01:02:03')).toBe('40:4c:ca:01:02:05');
    expect(bleAddress('40:4c:ca:ff:ff:ff')).toBe('40:4c:ca:00:00:01');
  });

  it.each([
    ['http://x', 'not a sim URI', null],
    ['sim:esp8266', "unknown chip 'esp8266'", null],
    ['sim:esp32c6?fw=v2', "'fw' must be 'v1'", 'fw'],
    ['sim:esp32c6?speed=1', "unknown sim URI parameter 'speed'", 'speed'],
    ['sim:esp32c6?rate=fast', "'rate' must be a positive number", 'rate'],
    ['sim:esp32c6?rate=0', "'rate' must be a positive number", 'rate'],
    ['sim:esp32c6?udp_upload_rate=-1', "'udp_upload_rate' must be a positive number", 'udp_upload_rate'],
    ['sim:esp32c6?rate=1&rate=2', "'rate' is given more than once", 'rate'],
    ['sim:esp32c6?ip=10.0.0.1', "'ip' must be an IPv4 address in 127.0.0.0/8", 'ip'],
    ['sim:esp32c6?mac=40:4c:ca:01:02', "'mac' must be a MAC address", 'mac'],
    ['sim:esp32c6?boot=-1', "'boot' must be a number of seconds >= 0", 'boot'],
    ['sim:esp32c6?version=a%20b', "'version' must be 1 to 64 printable", 'version'],
    ['sim:esp32c6?seed=x', "'seed' must be an integer", 'seed'],
    ['sim:esp32c6?loss=1.5', "'loss' must be a fraction in 0..1", 'loss'],
    ['sim:esp32c6?ppe=0', "'ppe' must be a whole number", 'ppe'],
    ['sim:esp32c6?ppe=2.5', "'ppe' must be a whole number", 'ppe'],
    ['sim:esp32c6?ble_margin_us=-5', "'ble_margin_us' must be a number of microseconds", 'ble_margin_us'],
    ['sim:esp32c6?ble_scale=0', "'ble_scale' must be a positive factor", 'ble_scale'],
    ['sim:esp32c6?coex_wifi=1', "'coex_wifi' must be a fraction strictly between 0 and 1", 'coex_wifi'],
    ['sim:esp32c6?caps=wifi-tcp-upload,ble-scan', "unknown capability 'ble-scan'", 'caps'],
    ['sim:esp32h2?caps=wifi-tcp-upload', "esp32h2 cannot announce 'wifi-tcp-upload' (it has BLE only", 'caps'],
    ['sim:esp32s2?caps=coex', "esp32s2 cannot announce 'coex' (it has WiFi only", 'caps'],
    ['sim:esp32c6?fault=reset', "bad entry 'reset'", 'fault'],
    ['sim:esp32c6?fault=reset@0', "bad entry 'reset@0'", 'fault'],
    ['sim:esp32c6?fault=explode@1', "bad entry 'explode@1'", 'fault'],
    ['sim:esp32c6?fault=version@2', "bad entry 'version@2'", 'fault'],
    ['sim:esp32c6?eol=cr', "'eol' must be one of board|crlf|lf", 'eol'],
    ['sim:esp32c6?colors=yes', "'colors' must be 0 or 1", 'colors'],
  ])('rejects %s with a one-line message', (uri, message, parameter) => {
    const err = uriError(uri);
    expect(err.message).toContain(message);
    expect(err.message).not.toContain('\n');
    expect(err.parameter).toBe(parameter);
  });

  it('lists the valid parameters in errors about parameters', () => {
    expect(uriError('sim:esp32c6?speed=1').message).toContain(`valid parameters: ${V1_SIM_URI_PARAMETERS.join(', ')}`);
    expect(uriError('sim:esp8266').message).toContain('valid chips: esp32, esp32c2, esp32c3, esp32c5, esp32c6, esp32h2, esp32s2, esp32s3');
  });
});

describe('parseV1CliArgs', () => {
  it('reads --air and the URI', () => {
    expect(parseV1CliArgs(['--air', '/tmp/a', 'sim:esp32c6'])).toEqual({ airDir: '/tmp/a', uri: 'sim:esp32c6' });
    expect(parseV1CliArgs(['sim:esp32c6', '--air=/tmp/b'])).toEqual({ airDir: '/tmp/b', uri: 'sim:esp32c6' });
    expect(parseV1CliArgs(['sim:esp32c6'])).toEqual({ airDir: defaultAirDir(), uri: 'sim:esp32c6' });
    expect(defaultAirDir()).toMatch(/espbench-ble-air$/);
  });

  it.each([
    [[], 'a sim URI is required'],
    [['--air'], '--air needs a directory'],
    [['--host', '1.2.3.4', 'sim:esp32'], "unknown option '--host'"],
    [['sim:esp32', 'sim:esp32c3'], "unexpected argument 'sim:esp32c3'"],
  ])('rejects %j', (argv, message) => {
    expect(() => parseV1CliArgs(argv)).toThrow(CliUsageError);
    expect(() => parseV1CliArgs(argv)).toThrow(message);
  });
});
