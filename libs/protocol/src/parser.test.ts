import { describe, expect, it } from 'vitest';
import type { BoardEvent } from './events.js';
import { BoardParser, parseLines } from './parser.js';

const one = (line: string): BoardEvent[] => parseLines([line]);

describe('ROM banner', () => {
  it.each([
    ['ESP-ROM:esp32c3-api1-20210207', 'esp32c3'],
    ['ESP-ROM:esp32c6-20220919', 'esp32c6'],
    ['ESP-ROM:esp32s3-20210327', 'esp32s3'],
    ['ESP-ROM:esp32s2-rc4-20191025', 'esp32s2'],
    ['ESP-ROM:esp32c2-20220101', 'esp32c2'],
    ['ESP-ROM:esp32h2-20221101', 'esp32h2'],
    ['ESP-ROM:esp32c5-eco2-20250121', 'esp32c5'],
  ])('%s -> %s', (line, chip) => {
    expect(one(line)).toEqual([{ type: 'rom', chip, romVersion: line.slice('ESP-ROM:'.length) }]);
  });

  it('reads the original ESP32 banner', () => {
    expect(one('ets Jun  8 2016 00:22:57')).toEqual([{ type: 'rom', chip: 'esp32', romVersion: 'Jun  8 2016 00:22:57' }]);
  });

  it('keeps an unknown ROM version with a null chip', () => {
    expect(one('ESP-ROM:mystery-1')).toEqual([{ type: 'rom', chip: null, romVersion: 'mystery-1' }]);
  });

  it('finds a banner glued to a line that a reset cut short', () => {
    expect(one('I (2\uFFFDESP-ROM:esp32c3-api1-20210207')).toEqual([
      { type: 'log', line: 'I (2\uFFFD', level: null },
      { type: 'rom', chip: 'esp32c3', romVersion: 'esp32c3-api1-20210207' },
    ]);
    expect(one('Testing upload+dets Jun  8 2016 00:22:57')).toEqual([
      { type: 'log', line: 'Testing upload+d', level: null },
      { type: 'rom', chip: 'esp32', romVersion: 'Jun  8 2016 00:22:57' },
    ]);
  });

  it('does not take a log line mentioning a ROM for a banner', () => {
    expect(one('INFO - flashed ESP-ROM:esp32c3')).toEqual([{ type: 'log', line: 'INFO - flashed ESP-ROM:esp32c3', level: 'INFO' }]);
  });

  it('turns the other banner lines into plain logs', () => {
    const lines = [
      'Build:Feb  7 2021', 'SPIWP:0xee', 'configsip: 0, SPIWP:0xee', 'mode:DIO, clock div:1',
      'load:0x3fcd5820,len:0x1574', 'entry 0x403cc710', 'Saved PC:0x403809b2',
      'clk_drv:0x00,q_drv:0x00,d_drv:0x00,cs0_drv:0x00,hd_drv:0x00,wp_drv:0x00',
    ];
    expect(parseLines(lines)).toEqual(lines.map((line) => ({ type: 'log', line, level: null })));
  });
});

describe('reset line', () => {
  it('takes the chip from the ROM line of the same boot', () => {
    expect(parseLines(['ESP-ROM:esp32c3-api1-20210207', 'Build:Feb  7 2021', 'rst:0x1 (POWERON),boot:0xc (SPI_FAST_FLASH_BOOT)'])).toEqual([
      { type: 'rom', chip: 'esp32c3', romVersion: 'esp32c3-api1-20210207' },
      { type: 'log', line: 'Build:Feb  7 2021', level: null },
      { type: 'reset', chip: 'esp32c3', resetCode: 1, resetReason: 'POWERON', bootCode: 0xc, bootMode: 'SPI_FAST_FLASH_BOOT' },
    ]);
  });

  it('reads ESP32 reset names and the empty line after the ets banner', () => {
    const events = parseLines(['ets Jun  8 2016 00:22:57', '', 'rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)']);
    expect(events[1]).toEqual({ type: 'reset', chip: 'esp32', resetCode: 1, resetReason: 'POWERON_RESET', bootCode: 0x13, bootMode: 'SPI_FAST_FLASH_BOOT' });
    expect(events).toHaveLength(2);
  });

  it.each([
    ['rst:0x15 (USB_UART_CHIP_RESET),boot:0xd (SPI_FAST_FLASH_BOOT)', 0x15, 'USB_UART_CHIP_RESET', 0xd, 'SPI_FAST_FLASH_BOOT'],
    ['rst:0xc (SW_CPU_RESET),boot:0x8 (SPI_FAST_FLASH_BOOT)', 0xc, 'SW_CPU_RESET', 0x8, 'SPI_FAST_FLASH_BOOT'],
    ['rst:0x10 (RTCWDT_RTC_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)', 0x10, 'RTCWDT_RTC_RESET', 0x13, 'SPI_FAST_FLASH_BOOT'],
    ['rst:0x15 (USB_UART_CHIP_RESET),boot:0x7 (DOWNLOAD(USB/UART0/1))', 0x15, 'USB_UART_CHIP_RESET', 0x7, 'DOWNLOAD(USB/UART0/1)'],
  ])('%s', (line, resetCode, resetReason, bootCode, bootMode) => {
    expect(one(line)).toEqual([{ type: 'reset', chip: null, resetCode, resetReason, bootCode, bootMode }]);
  });

  it('accepts a reset line without the boot part', () => {
    expect(one('rst:0x1 (POWERON)')).toEqual([{ type: 'reset', chip: null, resetCode: 1, resetReason: 'POWERON', bootCode: null, bootMode: null }]);
  });

  it('does not carry the chip into a later boot without a ROM line', () => {
    const events = parseLines(['ESP-ROM:esp32c6-20220919', 'rst:0x1 (POWERON),boot:0x8 (SPI_FAST_FLASH_BOOT)', 'rst:0xc (SW_CPU),boot:0x8 (SPI_FAST_FLASH_BOOT)']);
    expect(events.map((e) => (e.type === 'reset' ? e.chip : e.type))).toEqual(['rom', 'esp32c6', null]);
  });
});

describe('bootloader line', () => {
  it('reads the ESP-IDF version as printed', () => {
    expect(one('I (24) boot: ESP-IDF v5.1.2 2nd stage bootloader')).toEqual([{ type: 'bootloader', idfVersion: 'v5.1.2' }]);
    expect(one('I (30) boot: ESP-IDF v5.1-beta1-378-gea5e0ff298-dirt 2nd stage bootloader')).toEqual([
      { type: 'bootloader', idfVersion: 'v5.1-beta1-378-gea5e0ff298-dirt' },
    ]);
  });

  it('leaves the other bootloader lines as logs', () => {
    expect(one('I (30) boot: compile time Jun  7 2023 08:02:08')).toEqual([{ type: 'log', line: 'I (30) boot: compile time Jun  7 2023 08:02:08', level: null }]);
  });
});

describe('wifi bring-up', () => {
  it.each<[string, BoardEvent]>([
    ['Starting wifi', { type: 'wifi-starting' }],
    ['Wifi started!', { type: 'wifi-started' }],
    ['Wifi configured and started!', { type: 'wifi-started' }],
    ['About to connect...', { type: 'wifi-connecting' }],
    ['Wifi connected!', { type: 'wifi-connected', info: null }],
    [
      'Wifi connected to ConnectedInfo { ssid: "lab", bssid: [0, 17, 50, 170, 187, 204], channel: 6, authmode: Wpa2Personal, aid: 1 }',
      { type: 'wifi-connected', info: 'ConnectedInfo { ssid: "lab", bssid: [0, 17, 50, 170, 187, 204], channel: 6, authmode: Wpa2Personal, aid: 1 }' },
    ],
    ['Failed to connect to wifi: Disconnected', { type: 'wifi-connect-failed', error: 'Disconnected' }],
    ['Disconnected: None', { type: 'wifi-disconnected', info: 'None' }],
    ['Got IP: 192.168.1.50/24', { type: 'got-ip', ip: '192.168.1.50', prefix: 24 }],
    ['Got IP: 10.0.0.7', { type: 'got-ip', ip: '10.0.0.7', prefix: null }],
  ])('%s', (line, event) => {
    expect(one(line)).toEqual([event]);
  });

  it.each(['start connection task', 'Waiting to get IP address...', 'Device capabilities: Ok(EnumSet(Station | AccessPoint))', 'Got IP: 192.168.1.50/99', 'Got IP: nope'])(
    '%s is a plain log',
    (line) => {
      expect(one(line)).toEqual([{ type: 'log', line, level: null }]);
    },
  );
});

describe('test lines', () => {
  it.each<[string, BoardEvent]>([
    ['Testing download...', { type: 'test-start', scenario: 'wifi-tcp-download' }],
    ['Testing upload...', { type: 'test-start', scenario: 'wifi-tcp-upload' }],
    ['Testing upload+download...', { type: 'test-start', scenario: 'wifi-tcp-updown' }],
    ['connecting to 192.168.1.2:4321...', { type: 'connecting', host: '192.168.1.2', port: 4321 }],
    ['connecting to Address([192, 168, 2, 1]):4323...', { type: 'connecting', host: 'Address([192, 168, 2, 1])', port: 4323 }],
    ['connected, testing...', { type: 'connected' }],
    ['connect error: ConnectionReset', { type: 'connect-error', error: 'ConnectionReset' }],
    ['connect error: TimedOut', { type: 'connect-error', error: 'TimedOut' }],
    ['connect error: NoRoute', { type: 'connect-error', error: 'NoRoute' }],
    ['connect error: InvalidState', { type: 'connect-error', error: 'InvalidState' }],
    ['read error: ConnectionReset', { type: 'read-error', error: 'ConnectionReset' }],
    ['write error: ConnectionReset', { type: 'write-error', error: 'ConnectionReset' }],
    ['read EOF', { type: 'read-eof' }],
    ['write zero?!??!?!', { type: 'write-zero' }],
    ['download: 123 kB/s', { type: 'test-result', scenario: 'wifi-tcp-download', kibps: 123 }],
    ['upload: 0 kB/s', { type: 'test-result', scenario: 'wifi-tcp-upload', kibps: 0 }],
    ['upload+download: 467 kB/s', { type: 'test-result', scenario: 'wifi-tcp-updown', kibps: 467 }],
  ])('%s', (line, event) => {
    expect(one(line)).toEqual([event]);
  });

  it('tolerates trailing whitespace', () => {
    expect(one('download: 5 kB/s \t ')).toEqual([{ type: 'test-result', scenario: 'wifi-tcp-download', kibps: 5 }]);
    expect(one('Testing upload...  ')).toEqual([{ type: 'test-start', scenario: 'wifi-tcp-upload' }]);
  });

  it.each([
    'INFO - download: 5 kB/s',
    ' download: 5 kB/s',
    'download: 5.5 kB/s',
    'download: 5 MB/s',
    'download: -5 kB/s',
    'sideways: 5 kB/s',
    'Testing download',
    'connecting to 192.168.1.2:99999...',
    'connecting to 192.168.1.2:4321',
    'connect error:',
    'read EOF!',
  ])('does not misfire on %j', (line) => {
    expect(one(line).map((e) => e.type)).toEqual(['log']);
  });
});

describe('esp-println logger lines', () => {
  it.each([
    ['INFO - esp-radio started', 'INFO'],
    ['WARN (1234) - low heap', 'WARN'],
    ['ERROR - boom', 'ERROR'],
    ['DEBUG - x', 'DEBUG'],
    ['TRACE (0) - y', 'TRACE'],
  ])('%s', (line, level) => {
    expect(one(line)).toEqual([{ type: 'log', line, level }]);
  });

  it.each(['INFO: not the logger', 'info - lower case', 'NOTICE - unknown level', 'WARN (x) - bad timestamp'])('%s has no level', (line) => {
    expect(one(line)).toEqual([{ type: 'log', line, level: null }]);
  });
});

describe('empty lines', () => {
  it('produce no event outside a panic', () => {
    expect(parseLines(['', '   ', '\t'])).toEqual([]);
  });
});

describe('BoardParser', () => {
  it('is fed one line at a time and keeps state between calls', () => {
    const parser = new BoardParser();
    expect(parser.feed('ESP-ROM:esp32c3-api1-20210207')).toEqual([{ type: 'rom', chip: 'esp32c3', romVersion: 'esp32c3-api1-20210207' }]);
    expect(parser.feed('rst:0x1 (POWERON),boot:0xc (SPI_FAST_FLASH_BOOT)')[0]).toMatchObject({ type: 'reset', chip: 'esp32c3' });
    expect(parser.flush()).toEqual([]);
  });

  it('splits a line that still holds line breaks', () => {
    expect(new BoardParser().feed('Testing download...\r\nconnected, testing...\n')).toEqual([{ type: 'test-start', scenario: 'wifi-tcp-download' }, { type: 'connected' }]);
  });

  it('returns fresh event objects', () => {
    const parser = new BoardParser();
    const [a] = parser.feed('read EOF');
    const [b] = parser.feed('read EOF');
    expect(a).not.toBe(b);
  });
});
