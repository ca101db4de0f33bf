import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { BoardEvent } from './events.js';
import { parseLines } from './parser.js';

/** Minimal stand-in for the real framer: split on LF, drop CR, strip SGR colour codes. */
function transcriptLines(name: string): string[] {
  const text = readFileSync(new URL(`../../../firmware-fixtures/transcripts/${name}`, import.meta.url), 'utf8');
  return text.split('\n').map((line) => line.replace(/\r/g, '').replace(/\x1b\[[0-9;]*m/g, ''));
}

function parseTranscript(name: string): { events: BoardEvent[]; notLogs: BoardEvent[]; logs: string[] } {
  const events = parseLines(transcriptLines(name));
  const logs = events.flatMap((e) => (e.type === 'log' ? [e.line] : []));
  return { events, notLogs: events.filter((e) => e.type !== 'log'), logs };
}

const round = (host: string, [down, up, updown]: [number, number, number]): BoardEvent[] => [
  { type: 'test-start', scenario: 'wifi-tcp-download' },
  { type: 'connecting', host, port: 4321 },
  { type: 'connected' },
  { type: 'test-result', scenario: 'wifi-tcp-download', kibps: down },
  { type: 'test-start', scenario: 'wifi-tcp-upload' },
  { type: 'connecting', host, port: 4322 },
  { type: 'connected' },
  { type: 'test-result', scenario: 'wifi-tcp-upload', kibps: up },
  { type: 'test-start', scenario: 'wifi-tcp-updown' },
  { type: 'connecting', host, port: 4323 },
  { type: 'connected' },
  { type: 'test-result', scenario: 'wifi-tcp-updown', kibps: updown },
];

const C3_ROM: BoardEvent = { type: 'rom', chip: 'esp32c3', romVersion: 'esp32c3-api1-20210207' };
const C3_POWERON: BoardEvent = { type: 'reset', chip: 'esp32c3', resetCode: 1, resetReason: 'POWERON', bootCode: 0xc, bootMode: 'SPI_FAST_FLASH_BOOT' };
const ESP32_ROM: BoardEvent = { type: 'rom', chip: 'esp32', romVersion: 'Jun  8 2016 00:22:57' };
const ESP32_POWERON: BoardEvent = { type: 'reset', chip: 'esp32', resetCode: 1, resetReason: 'POWERON_RESET', bootCode: 0x13, bootMode: 'SPI_FAST_FLASH_BOOT' };
const BOOTLOADER: BoardEvent = { type: 'bootloader', idfVersion: 'v5.1-beta1-378-gea5e0ff298-dirt' };
const CONNECTED_INFO = 'ConnectedInfo { ssid: "espbench", bssid: [0, 17, 50, 170, 187, 204], channel: 6, authmode: Wpa2Personal, aid: 1 }';
const bringUpHead = (ip: string): BoardEvent[] => [
  { type: 'wifi-starting' },
  { type: 'wifi-started' },
  { type: 'wifi-connecting' },
  { type: 'wifi-connected', info: CONNECTED_INFO },
  { type: 'got-ip', ip, prefix: 24 },
];

describe('transcripts', () => {
  it('esp32c3-boot-round.log: C3 power-on, older bring-up wording, one round', () => {
    const { notLogs, logs } = parseTranscript('esp32c3-boot-round.log');
    expect(notLogs).toEqual([
      C3_ROM,
      C3_POWERON,
      BOOTLOADER,
      { type: 'wifi-starting' },
      { type: 'wifi-started' },
      { type: 'wifi-connecting' },
      { type: 'wifi-connected', info: null },
      { type: 'got-ip', ip: '192.168.1.50', prefix: 24 },
      ...round('192.168.1.2', [1093, 812, 467]),
    ]);
    expect(logs.slice(0, 7)).toEqual([
      'Build:Feb  7 2021', 'SPIWP:0xee', 'mode:DIO, clock div:1', 'load:0x3fcd5820,len:0x1574',
      'load:0x403cc710,len:0xc30', 'load:0x403ce710,len:0x2f64', 'entry 0x403cc71a',
    ]);
    expect(logs).toContain('start connection task');
    expect(logs).toContain('Device capabilities: Ok(EnumSet(Station | AccessPoint | AccessPointStation))');
    expect(logs).toContain('Waiting to get IP address...');
    expect(logs).toHaveLength(7 + 19 + 3);
  });

  it('esp32-boot-round.log: ESP32 power-on, current bring-up wording, one round', () => {
    const { notLogs, logs } = parseTranscript('esp32-boot-round.log');
    expect(notLogs).toEqual([ESP32_ROM, ESP32_POWERON, BOOTLOADER, ...bringUpHead('192.168.1.51'), ...round('192.168.1.2', [621, 548, 301])]);
    expect(logs.slice(0, 2)).toEqual(['configsip: 0, SPIWP:0xee', 'clk_drv:0x00,q_drv:0x00,d_drv:0x00,cs0_drv:0x00,hd_drv:0x00,wp_drv:0x00']);
    expect(logs).toContain('start connection task');
  });

  it('esp32c6-connect-errors-2024.log: connect, write errors and EOF; no result after a connect error', () => {
    const host = 'Address([192, 168, 2, 1])';
    const { events } = parseTranscript('esp32c6-connect-errors-2024.log');
    expect(events).toEqual([
      { type: 'test-start', scenario: 'wifi-tcp-download' },
      { type: 'connecting', host, port: 4321 },
      { type: 'connect-error', error: 'ConnectionReset' },
      { type: 'test-start', scenario: 'wifi-tcp-upload' },
      { type: 'connecting', host, port: 4322 },
      { type: 'connected' },
      { type: 'write-error', error: 'ConnectionReset' },
      { type: 'test-result', scenario: 'wifi-tcp-upload', kibps: 38 },
      { type: 'test-start', scenario: 'wifi-tcp-updown' },
      { type: 'connecting', host, port: 4323 },
      { type: 'connect-error', error: 'TimedOut' },
      { type: 'test-start', scenario: 'wifi-tcp-download' },
      { type: 'connecting', host, port: 4321 },
      { type: 'connected' },
      { type: 'read-eof' },
      { type: 'test-result', scenario: 'wifi-tcp-download', kibps: 12 },
    ]);
  });

  it('esp32c3-reset-mid-test.log: the upload test is cut by a POWERON reset', () => {
    const { notLogs } = parseTranscript('esp32c3-reset-mid-test.log');
    expect(notLogs).toEqual([
      ...round('192.168.1.2', [1102, 0, 0]).slice(0, 7),
      C3_ROM,
      C3_POWERON,
      BOOTLOADER,
      ...bringUpHead('192.168.1.50'),
      { type: 'test-start', scenario: 'wifi-tcp-download' },
      { type: 'connecting', host: '192.168.1.2', port: 4321 },
      { type: 'connected' },
    ]);
  });

  it('esp32-reset-mid-test.log: upload+download is cut by a POWERON_RESET', () => {
    const { notLogs } = parseTranscript('esp32-reset-mid-test.log');
    expect(notLogs).toEqual([
      { type: 'test-start', scenario: 'wifi-tcp-updown' },
      { type: 'connecting', host: '192.168.1.2', port: 4323 },
      { type: 'connected' },
      ESP32_ROM,
      ESP32_POWERON,
      BOOTLOADER,
      ...bringUpHead('192.168.1.51'),
      { type: 'test-start', scenario: 'wifi-tcp-download' },
    ]);
  });

  it('esp32-panic.log: uncoloured panic with Xtensa frames', () => {
    const { events, notLogs } = parseTranscript('esp32-panic.log');
    expect(notLogs).toEqual([
      ESP32_ROM,
      ESP32_POWERON,
      BOOTLOADER,
      { type: 'panic-begin' },
      {
        type: 'panic',
        message: 'Invalid HOST_IP address: AddrParseError(Ipv4)',
        location: 'src/bin/embassy_wifi_bench.rs:76:52',
        backtrace: ['0x400d2a6c', '0x400d5e41', '0x400d0d9b', '0x400d9c12', '0x40080f7d'],
        note: null,
      },
    ]);
    expect(events.at(-1)?.type).toBe('panic');
  });

  it('esp32c3-panic-colors.log: coloured panic with a multi-line message', () => {
    const { events } = parseTranscript('esp32c3-panic-colors.log');
    expect(events).toEqual([
      { type: 'test-start', scenario: 'wifi-tcp-download' },
      { type: 'connecting', host: '192.168.1.2', port: 4321 },
      { type: 'connected' },
      { type: 'panic-begin' },
      {
        type: 'panic',
        message: 'assertion `left == right` failed\n  left: 0\n right: 1024',
        location: 'src/bin/embassy_wifi_bench.rs:197:13',
        backtrace: ['0x42002c1a', '0x420071d6', '0x4200b3a8', '0x42001e5c', '0x42000470', '0x4200a9ee'],
        note: null,
      },
    ]);
  });

  it('esp32c6-panic-no-backtrace.log: RISC-V panic without frames', () => {
    const { notLogs } = parseTranscript('esp32c6-panic-no-backtrace.log');
    expect(notLogs).toEqual([
      { type: 'rom', chip: 'esp32c6', romVersion: 'esp32c6-20220919' },
      { type: 'reset', chip: 'esp32c6', resetCode: 1, resetReason: 'POWERON', bootCode: 0x8, bootMode: 'SPI_FAST_FLASH_BOOT' },
      BOOTLOADER,
      { type: 'wifi-starting' },
      { type: 'panic-begin' },
      {
        type: 'panic',
        message: 'called `Result::unwrap()` on an `Err` value: InternalError(EspErrNoMem)',
        location: 'src/bin/wifi_embassy_bench.rs:171:44',
        backtrace: [],
        note: 'No backtrace available - make sure to force frame-pointers. (see https://crates.io/crates/esp-backtrace)',
      },
    ]);
  });

  it('garbage.log: noise becomes logs and the valid lines between it still parse', () => {
    const { notLogs, logs } = parseTranscript('garbage.log');
    expect(notLogs).toEqual([
      C3_ROM,
      { type: 'reset', chip: 'esp32c3', resetCode: 0x15, resetReason: 'USB_UART_CHIP_RESET', bootCode: 0xc, bootMode: 'SPI_FAST_FLASH_BOOT' },
      { type: 'wifi-starting' },
      { type: 'wifi-started' },
      { type: 'wifi-connecting' },
      { type: 'wifi-connected', info: CONNECTED_INFO },
      { type: 'got-ip', ip: '192.168.1.50', prefix: 24 },
      { type: 'test-start', scenario: 'wifi-tcp-download' },
      { type: 'connecting', host: '192.168.1.2', port: 4321 },
      { type: 'connected' },
      { type: 'test-result', scenario: 'wifi-tcp-download', kibps: 1087 },
    ]);
    // noise, the 4 KiB line, the text cut off before the glued banner, 8 banner lines, start connection task, noise
    expect(logs).toHaveLength(1 + 1 + 1 + 8 + 1 + 1);
    expect(logs[0]).toBe('\uFFFD\uFFFD\uFFFD\uFFFDgarbage\uFFFD(\uFFFD\uFFFD');
    expect(logs[1]?.length).toBeGreaterThan(2000);
    expect(logs[2]).toBe('\uFFFD');
    expect(logs.every((line) => !/[\x00-\x08\x0a-\x1f\x7f]/.test(line))).toBe(true);
  });
});
