import { describe, expect, it } from 'vitest';
import { bootloaderLines, romBanner } from './banner.js';
import { WIFI_CHIPS } from './chips.js';
import { createRng } from './rng.js';

describe('romBanner', () => {
  it('prints the ESP32 ets banner', () => {
    expect(romBanner('esp32', 'poweron', createRng(1))).toEqual([
      'ets Jun  8 2016 00:22:57',
      '',
      'rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)',
      'configsip: 0, SPIWP:0xee',
      'clk_drv:0x00,q_drv:0x00,d_drv:0x00,cs0_drv:0x00,hd_drv:0x00,wp_drv:0x00',
      'mode:DIO, clock div:2',
      'load:0x3fff0030,len:7104',
      'load:0x40078000,len:15576',
      'load:0x40080400,len:4',
      'load:0x40080404,len:3876',
      'entry 0x4008064c',
    ]);
    expect(romBanner('esp32', 'software', createRng(1))[2]).toBe('rst:0xc (SW_CPU_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)');
  });

  it('prints the ESP32-C3 ESP-ROM banner, with Saved PC after a software reset', () => {
    expect(romBanner('esp32c3', 'poweron', createRng(1))).toEqual([
      'ESP-ROM:esp32c3-api1-20210207',
      'Build:Feb  7 2021',
      'rst:0x1 (POWERON),boot:0xc (SPI_FAST_FLASH_BOOT)',
      'SPIWP:0xee',
      'mode:DIO, clock div:1',
      'load:0x3fcd5810,len:0x438',
      'load:0x403cc710,len:0x91c',
      'load:0x403ce710,len:0x25b0',
      'entry 0x403cc710',
    ]);
    const sw = romBanner('esp32c3', 'software', createRng(1));
    expect(sw[2]).toBe('rst:0xc (RTC_SW_CPU_RST),boot:0xc (SPI_FAST_FLASH_BOOT)');
    expect(sw[3]).toMatch(/^Saved PC:0x403[0-9a-f]{5}$/);
  });

  it('uses each chip’s reset names', () => {
    expect(romBanner('esp32c6', 'software', createRng(1))[2]).toBe('rst:0xc (SW_CPU),boot:0x8 (SPI_FAST_FLASH_BOOT)');
    expect(romBanner('esp32c5', 'watchdog', createRng(1))[2]).toBe('rst:0x7 (TG0_WDT_HPSYS),boot:0x18 (SPI_FAST_FLASH_BOOT)');
    expect(romBanner('esp32c5', 'watchdog', createRng(1))[3]).toMatch(/^Core0 Saved PC:0x408/);
    expect(romBanner('esp32s3', 'watchdog', createRng(1))[2]).toBe('rst:0x7 (TG0WDT_SYS_RST),boot:0x8 (SPI_FAST_FLASH_BOOT)');
    expect(romBanner('esp32', 'watchdog', createRng(1))[2]).toBe('rst:0x7 (TG0WDT_SYS_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)');
  });

  it('gives every chip a version line, a reset line and an entry line', () => {
    for (const chip of WIFI_CHIPS) {
      const lines = romBanner(chip, 'poweron', createRng(1));
      expect(lines[0]).toMatch(chip === 'esp32' ? /^ets / : new RegExp(`^ESP-ROM:${chip}-`));
      expect(lines.some((l) => /^rst:0x1 \(POWERON(_RESET)?\),boot:0x[0-9a-f]+ \(SPI_FAST_FLASH_BOOT\)$/.test(l))).toBe(true);
      expect(lines.at(-1)).toMatch(/^entry 0x[0-9a-f]{8}$/);
    }
  });
});

describe('bootloaderLines', () => {
  it('prints an ESP-IDF second-stage bootloader log naming the chip', () => {
    const lines = bootloaderLines('esp32s2');
    expect(lines[0]).toBe('I (24) boot: ESP-IDF v5.5.1 2nd stage bootloader');
    expect(lines).toContain('I (28) boot.esp32s2: SPI Speed      : 40MHz');
    expect(lines.every((l) => /^I \(\d+\) /.test(l))).toBe(true);
  });
});
