import { describe, expect, it } from 'vitest';
import { idfIperf } from '../index.js';

const { parseIdfIperfLine: parse, stripIdfLogPrefix } = idfIperf;

describe('ESP-IDF iperf report headers', () => {
  it('tells the three generations apart', () => {
    expect(parse('        Interval Bandwidth')).toEqual({ type: 'report-header', generation: 1 });
    expect(parse('Interval       Bandwidth')).toEqual({ type: 'report-header', generation: 2 });
    expect(parse('[ ID] Interval\t\tTransfer\tBandwidth')).toEqual({ type: 'report-header', generation: 3 });
    expect(parse('[ ID] Interval\t\tTransfer\tBandwidth\r')).toEqual({ type: 'report-header', generation: 3 });
    expect(parse('[ ID] Interval       Transfer     Bandwidth')).toEqual({ type: 'report-header', generation: 3 });
    expect(parse('Interval')).toBeNull();
  });
});

describe('generation 1 lines (%4d-%4d sec       %.2f Mbits/sec)', () => {
  it('reads decimal Mbits by default', () => {
    expect(parse('   0-   1 sec       21.34 Mbits/sec')).toEqual({
      type: 'report', generation: 1, id: null, startS: 0, endS: 1, fromStart: true, bytes: null,
      bitsPerSecond: 21_340_000, rate: { value: 21.34, unit: 'Mbits/sec' }, transfer: null,
    });
    expect(parse('  12-  13 sec       0.00 Mbits/sec')).toMatchObject({ startS: 12, endS: 13, fromStart: false, bitsPerSecond: 0 });
    expect(parse(' 100- 110 sec       95.10 Mbits/sec')).toMatchObject({ startS: 100, endS: 110 });
  });

  it('reads binary units when told the firmware is the common_components variant, and Kbits always as 1024', () => {
    expect(parse('   0-   1 sec       21.34 Mbits/sec', { legacyMegabit: 'binary' })).toMatchObject({ bitsPerSecond: 21.34 * 1_048_576 });
    expect(parse('   1-   2 sec       512.00 Kbits/sec')).toMatchObject({ bitsPerSecond: 512 * 1024, rate: { unit: 'Kbits/sec' } });
    // `%cbits/sec` with a NUL unit character (bits/sec): the NUL is dropped.
    expect(parse('   1-   2 sec       9000.00 \u0000bits/sec')).toMatchObject({ bitsPerSecond: 9000, rate: { value: 9000, unit: 'bits/sec' } });
  });
});

describe('generation 2 lines (%2d.0-%2d.0 sec  %.2f %cbits/sec)', () => {
  it('reads them with 1024-based units like iperf 0.1.x computes them', () => {
    expect(parse(' 0.0- 1.0 sec  52.31 Mbits/sec')).toEqual({
      type: 'report', generation: 2, id: null, startS: 0, endS: 1, fromStart: true, bytes: null,
      bitsPerSecond: 52.31 * 1_048_576, rate: { value: 52.31, unit: 'Mbits/sec' }, transfer: null,
    });
    expect(parse('12.0-13.0 sec  19531.25 Kbits/sec')).toMatchObject({ generation: 2, startS: 12, endS: 13, bitsPerSecond: 20_000_000 });
  });
});

describe('generation 3 lines ([%3d] %2u.0-%2u.0 sec\\t%2.2f %cBytes\\t%.2f %cbits/sec)', () => {
  it('reads Mbits/MBytes (1000-based, as iperf 1.x divides)', () => {
    expect(parse('[  0]  0.0- 1.0 sec\t2.41 MBytes\t19.30 Mbits/sec')).toEqual({
      type: 'report', generation: 3, id: 0, startS: 0, endS: 1, fromStart: true, bytes: 2_410_000,
      bitsPerSecond: 19_300_000, rate: { value: 19.3, unit: 'Mbits/sec' }, transfer: { value: 2.41, unit: 'MBytes' },
    });
  });

  it('reads Kbits with KBytes = 1000 bytes and KBytes/sec with KBytes = 1024 bytes', () => {
    expect(parse('[  2]  1.0- 2.0 sec\t1250.48 KBytes\t10003.84 Kbits/sec')).toMatchObject({ id: 2, bytes: 1_250_480, bitsPerSecond: 10_003_840 });
    expect(parse('[  1]  0.0- 1.0 sec\t1600.00 KBytes\t1600.00 KBytes/sec')).toMatchObject({ bytes: 1_638_400, bitsPerSecond: 1600 * 1024 * 8, rate: { unit: 'KBytes/sec' } });
    expect(parse('[  1]  0.0- 1.0 sec\t1.56 MBytes\t1.56 MBytes/sec')).toMatchObject({ bytes: Math.round(1.56 * 1_048_576), bitsPerSecond: 1.56 * 1_048_576 * 8 });
    expect(parse('[  4]  3.0- 4.0 sec\t1.20 GBytes\t9.60 Gbits/sec')).toMatchObject({ bytes: 1_200_000_000, bitsPerSecond: 9_600_000_000 });
  });

  it('reads the -f b form, whose NUL unit character leaves plain Bytes and bits/sec', () => {
    expect(parse('[  0]  0.0- 1.0 sec\t250000.00 \u0000Bytes\t2000000.00 \u0000bits/sec')).toMatchObject({ bytes: 250_000, bitsPerSecond: 2_000_000, transfer: { unit: 'Bytes' } });
  });

  it('reads wide columns, ids and the summary layout', () => {
    expect(parse('[ 12] 99.0-100.0 sec\t2.50 MBytes\t20.00 Mbits/sec')).toMatchObject({ id: 12, startS: 99, endS: 100, fromStart: false });
    expect(parse('[  3]  0.0-30.0 sec\t75.00 MBytes\t20.00 Mbits/sec')).toMatchObject({ startS: 0, endS: 30, fromStart: true, bytes: 75_000_000 });
  });
});

describe('partial and garbled report lines', () => {
  it('ignores cut, glued or nonsensical lines', () => {
    for (const line of [
      '[  1]  1.0- 2.0 sec\t1664.00 KB',
      'ytes\t1664.00 KBytes/sec',
      '[  3]  3.0- 4.0 sec\t3.34 MBytes\t26.74 Mbits/secI (44010) wifi:bcn_timeout,ap_probe_send_start',
      '   2-   3 sec       21.8',
      '   3-   2 sec       1.00 Mbits/sec',
      '   3-   3 sec       1.00 Mbits/sec',
      '[  0]  0.0- 1.0 sec\tnan MBytes\tnan Mbits/sec',
      '0-1 sec 5 Mbits',
      'sec       21.34 Mbits/sec',
      '\u0000\u0000\u0000',
      '',
    ]) {
      expect(parse(line), JSON.stringify(line)).toBeNull();
    }
  });
});

describe('log prefixes, colours and the prompt', () => {
  it('strips ESP-IDF log prefixes (tick or wall-clock timestamps, tags with parentheses, the Wi-Fi library without a space)', () => {
    expect(stripIdfLogPrefix('I (1234) iperf: iperf exit')).toEqual({ level: 'I', tag: 'iperf', message: 'iperf exit' });
    expect(stripIdfLogPrefix('W (12:00:01.250) iperf(id=0): x')).toEqual({ level: 'W', tag: 'iperf(id=0)', message: 'x' });
    expect(stripIdfLogPrefix('I (9954) wifi:new:<6,0>')).toEqual({ level: 'I', tag: 'wifi', message: 'new:<6,0>' });
    expect(stripIdfLogPrefix('plain')).toEqual({ level: null, tag: null, message: 'plain' });
  });

  it('parses log-prefixed and coloured lines', () => {
    expect(parse('\x1b[0;32mI (40231) iperf: iperf exit\x1b[0m\r')).toEqual({ type: 'iperf-stopped' });
    expect(parse('I (40231) iperf:    0-   1 sec       21.34 Mbits/sec')).toMatchObject({ type: 'report', bitsPerSecond: 21_340_000 });
    expect(parse('\x1b[0;33mW (37951) iperf: iperf is running\x1b[0m')).toEqual({ type: 'error', code: 'iperf-running', message: 'iperf is running' });
  });

  it('reports the prompt with the echoed command, or the event printed after the prompt', () => {
    expect(parse('\x1b[0;32miperf> \x1b[0m')).toEqual({ type: 'prompt', prompt: 'iperf>', command: null });
    expect(parse('iperf> iperf -c 192.168.1.2 -i 1 -t 30')).toEqual({ type: 'prompt', prompt: 'iperf>', command: 'iperf -c 192.168.1.2 -i 1 -t 30' });
    expect(parse('esp32> sta espbench secret')).toEqual({ type: 'prompt', prompt: 'esp32>', command: 'sta espbench secret' });
    expect(parse('iperf>')).toEqual({ type: 'prompt', prompt: 'iperf>', command: null });
    expect(parse('iperf> I (22444) cmd_wifi: [espbench][rssi=-45]')).toEqual({ type: 'scan-entry', ssid: 'espbench', rssi: -45, channel: null, bssid: null });
    expect(parse('iperf> [  0] local 192.168.1.53:62001 connected to 192.168.1.2:5001')).toMatchObject({ type: 'connect-info', id: 0 });
    expect(parse('iperfx> foo')).toBeNull();
  });
});

describe('console replies', () => {
  it('reads the station address lines', () => {
    expect(parse('I (11012) esp_netif_handlers: sta ip: 192.168.1.50, mask: 255.255.255.0, gw: 192.168.1.1')).toEqual({
      type: 'sta-connected', ip: '192.168.1.50', mask: '255.255.255.0', gw: '192.168.1.1',
    });
    expect(parse('I (3127) tcpip_adapter: sta ip: 10.0.0.7, mask: 255.0.0.0, gw: 10.0.0.1')).toMatchObject({ ip: '10.0.0.7' });
    expect(parse('I (6231) WIFI: IP_EVENT_STA_GOT_IP: Interface "sta" address: 192.168.1.52')).toEqual({ type: 'sta-connected', ip: '192.168.1.52', mask: null, gw: null });
    expect(parse('sta ip: 192.168.1.300, mask: 255.255.255.0, gw: 192.168.1.1')).toBeNull();
    expect(parse('eth ip: 192.168.1.50, mask: 255.255.255.0, gw: 192.168.1.1')).toBeNull();
    expect(parse("I (8821) cmd_wifi: sta connecting to 'my ssid'")).toEqual({ type: 'sta-connecting', ssid: 'my ssid' });
    expect(parse('I (5102) WIFI: WIFI_EVENT_STA_CONNECTED!')).toEqual({ type: 'sta-associated' });
  });

  it('reads disconnects', () => {
    expect(parse('I (1) cmd_wifi: sta disconnect, reconnect...')).toEqual({ type: 'disconnected', reason: null, reconnecting: true });
    expect(parse('I (1) cmd_wifi: sta disconnect')).toEqual({ type: 'disconnected', reason: null, reconnecting: false });
    expect(parse('I (1) WIFI: WIFI_EVENT_STA_DISCONNECTED! reason: 201')).toEqual({ type: 'disconnected', reason: 201, reconnecting: false });
  });

  it('reads the iperf start line and the server accept line', () => {
    expect(parse('I (35201) cmd_wifi: mode=tcp-client sip=192.168.1.50:5001, dip=192.168.1.2:5001, interval=1, time=30')).toEqual({
      type: 'iperf-start', protocol: 'tcp', role: 'client', sourceIp: '192.168.1.50', sourcePort: 5001,
      destinationIp: '192.168.1.2', destinationPort: 5001, intervalS: 1, timeS: 30,
    });
    expect(parse('I (1) IPERF: mode=udp-server sip=[fe80::1]:5001, dip=[::]:5001, interval=3, time=86400')).toMatchObject({
      protocol: 'udp', role: 'server', sourceIp: 'fe80::1', destinationIp: '::', intervalS: 3, timeS: 86400,
    });
    expect(parse('accept: 192.168.1.2,50432')).toEqual({ type: 'accept', host: '192.168.1.2', port: 50432 });
    expect(parse('D (1) iperf(id=0): accept: 192.168.1.2:50432')).toEqual({ type: 'accept', host: '192.168.1.2', port: 50432 });
    expect(parse('[  0] local [fe80::2]:62001 connected to [fe80::1]:5001')).toEqual({ type: 'connect-info', id: 0, local: 'fe80::2', localPort: 62001, remote: 'fe80::1', remotePort: 5001 });
  });

  it('reads the heap reply', () => {
    expect(parse('min heap size: 183456')).toEqual({ type: 'min-heap', bytes: 183456 });
    expect(parse('Min heap size: 1024\r')).toEqual({ type: 'min-heap', bytes: 1024 });
    expect(parse('min heap size: ')).toBeNull();
  });

  it('reads scan results of the example and of wifi-cmd', () => {
    expect(parse('I (22445) cmd_wifi: [neighbour [2.4G]][rssi=-71]')).toEqual({ type: 'scan-entry', ssid: 'neighbour [2.4G]', rssi: -71, channel: null, bssid: null });
    expect(parse('I (22446) cmd_wifi: [][rssi=-88]')).toMatchObject({ ssid: '', rssi: -88 });
    expect(parse('I (1) example: [lab][rssi=-50][FTM Responder]')).toMatchObject({ ssid: 'lab', rssi: -50 });
    expect(parse('I (9420) WIFI: +SCAN:[A4:2B:B0:11:22:33][espbench][rssi=-47][authmode=3][ch=6][second=0][11n]')).toEqual({
      type: 'scan-entry', ssid: 'espbench', rssi: -47, channel: 6, bssid: 'a4:2b:b0:11:22:33',
    });
    expect(parse('+SCAN:[a4:2b:b0:11:22:33][ax][rssi=-40][authmode=3][ch=36][second=0][11ax][bssid-index=0][bss_color=1][disabled=0]')).toMatchObject({ channel: 36 });
    expect(parse('I (22447) cmd_wifi: sta scan done')).toEqual({ type: 'scan-done', count: null });
    expect(parse('I (1) WIFI: SCAN_DONE: Found 2 APs')).toEqual({ type: 'scan-done', count: 2 });
    expect(parse('E (1) cmd_wifi: No AP found')).toEqual({ type: 'scan-done', count: 0 });
    expect(parse('[espbench][rssi=]')).toBeNull();
  });

  it('reads stop and exit lines', () => {
    expect(parse('I (1) iperf: wait current iperf to stop ...')).toEqual({ type: 'iperf-stopping' });
    expect(parse('I (1) iperf: waiting for iperf instance id=3 to stop...')).toEqual({ type: 'iperf-stopping' });
    expect(parse('I (1) IPERF: DONE.IPERF_STOP,OK')).toEqual({ type: 'iperf-stopped' });
    expect(parse('I (1) iperf: DONE.IPERF_STOP,OK.')).toEqual({ type: 'iperf-stopped' });
    expect(parse('I (1) iperf: iperf exit')).toEqual({ type: 'iperf-stopped' });
  });

  it('classifies errors', () => {
    const code = (line: string) => (parse(line) as { code?: string } | null)?.code ?? null;
    expect(code('iperf: invalid option "-x"')).toBe('invalid-argument');
    expect(code('iperf: missing option -c|--client=<host>')).toBe('invalid-argument');
    expect(code('sta: too many errors')).toBe('invalid-argument');
    expect(code('E (1) cmd_wifi: should specific client/server mode')).toBe('invalid-argument');
    expect(code('E (1) IPERF: invalid parallel number')).toBe('invalid-argument');
    expect(code('E (1) cmd_wifi: sta has no IP')).toBe('no-ip');
    expect(code('E (1) iperf: iperf instance id 2 already in use.')).toBe('iperf-running');
    expect(code('W (63125) iperf: tcp client connect error, error code: 113, reason: Software caused connection abort')).toBe('socket');
    expect(code('E (1) iperf: Socket unable to connect: errno 104')).toBe('socket');
    expect(code('E (1) iperf: udp client send abort: err=12')).toBe('socket');
    expect(code('E (1) iperf: create buffer: not enough memory')).toBe('out-of-memory');
    expect(code('Unrecognized command')).toBe('unknown-command');
    expect(code('Command returned non-zero error code: 0x1')).toBe('command-failed');
    expect(code('Internal error: ESP_ERR_INVALID_ARG')).toBe('command-failed');
    expect(parse('I (1) wifi:connected with espbench, aid = 1, channel 6, BW20')).toBeNull();
  });
});
