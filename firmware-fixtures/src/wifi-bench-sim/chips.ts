/**
 * Chips the simulator can pretend to be, with their ROM banner facts. Sources (public boot logs,
 * see firmware-fixtures/README.md): ESP32 and ESP32-C3 strings are from shared/design/upstream.md;
 * the other ROM version lines were read from boot logs quoted in esp-idf / esp-hal / espflash issues.
 * Load addresses and lengths are plausible values, not a specific bootloader build.
 */

export const WIFI_CHIPS = ['esp32', 'esp32c2', 'esp32c3', 'esp32c5', 'esp32c6', 'esp32s2', 'esp32s3'] as const;
export type ChipName = (typeof WIFI_CHIPS)[number];

/** Chips esp-hal supports that have no WiFi radio, so the WiFi bench cannot run on them. */
export const NON_WIFI_CHIPS: readonly string[] = ['esp32h2'];

export type ResetCause = 'poweron' | 'software' | 'watchdog';

interface Reset {
  code: number;
  name: string;
}

export interface ChipProfile {
  arch: 'xtensa' | 'riscv';
  /** ESP32 prints an `ets <date>` line and decimal load lengths; later ROMs print `ESP-ROM:` / `Build:`. */
  rom:
    | { kind: 'ets'; versionLine: string }
    | { kind: 'esp-rom'; versionLine: string; buildLine: string; savedPcLabel: string; savedPcBase: number };
  resets: Record<ResetCause, Reset>;
  bootCode: number;
  /** ROM lines between the reset line and the first `load:` line. */
  flashLines: readonly string[];
  loads: ReadonlyArray<readonly [address: number, length: number]>;
  entry: number;
  /** Second-stage bootloader facts. */
  revision: string;
  /** Base of the flash-mapped code region backtrace frames point into. */
  codeBase: number;
}

const S3_STYLE_RESETS = {
  poweron: { code: 0x1, name: 'POWERON' },
  software: { code: 0xc, name: 'RTC_SW_CPU_RST' },
  watchdog: { code: 0x7, name: 'TG0WDT_SYS_RST' },
} as const satisfies Record<ResetCause, Reset>;

export const CHIPS: Record<ChipName, ChipProfile> = {
  esp32: {
    arch: 'xtensa',
    rom: { kind: 'ets', versionLine: 'ets Jun  8 2016 00:22:57' },
    resets: {
      poweron: { code: 0x1, name: 'POWERON_RESET' },
      software: { code: 0xc, name: 'SW_CPU_RESET' },
      watchdog: { code: 0x7, name: 'TG0WDT_SYS_RESET' },
    },
    bootCode: 0x13,
    flashLines: [
      'configsip: 0, SPIWP:0xee',
      'clk_drv:0x00,q_drv:0x00,d_drv:0x00,cs0_drv:0x00,hd_drv:0x00,wp_drv:0x00',
      'mode:DIO, clock div:2',
    ],
    loads: [
      [0x3fff0030, 7104],
      [0x40078000, 15576],
      [0x40080400, 4],
      [0x40080404, 3876],
    ],
    entry: 0x4008064c,
    revision: 'v3.0',
    codeBase: 0x400d0000,
  },
  esp32c2: {
    arch: 'riscv',
    rom: {
      kind: 'esp-rom',
      versionLine: 'ESP-ROM:esp32c2-eco4-20240515',
      buildLine: 'Build:May 15 2024',
      savedPcLabel: 'Saved PC:',
      savedPcBase: 0x40380000,
    },
    resets: S3_STYLE_RESETS,
    bootCode: 0xc,
    flashLines: ['SPIWP:0xee', 'mode:DIO, clock div:1'],
    loads: [
      [0x3fcd5820, 0x1b38],
      [0x403ac000, 0x8f8],
      [0x403ae000, 0x2c50],
    ],
    entry: 0x403ac000,
    revision: 'v1.0',
    codeBase: 0x42000000,
  },
  esp32c3: {
    arch: 'riscv',
    rom: {
      kind: 'esp-rom',
      versionLine: 'ESP-ROM:esp32c3-api1-20210207',
      buildLine: 'Build:Feb  7 2021',
      savedPcLabel: 'Saved PC:',
      savedPcBase: 0x40380000,
    },
    resets: S3_STYLE_RESETS,
    bootCode: 0xc,
    flashLines: ['SPIWP:0xee', 'mode:DIO, clock div:1'],
    loads: [
      [0x3fcd5810, 0x438],
      [0x403cc710, 0x91c],
      [0x403ce710, 0x25b0],
    ],
    entry: 0x403cc710,
    revision: 'v0.4',
    codeBase: 0x42000000,
  },
  esp32c5: {
    arch: 'riscv',
    rom: {
      kind: 'esp-rom',
      versionLine: 'ESP-ROM:esp32c5-eco2-20250121',
      buildLine: 'Build:Jan 21 2025',
      savedPcLabel: 'Core0 Saved PC:',
      savedPcBase: 0x40800000,
    },
    resets: {
      poweron: { code: 0x1, name: 'POWERON' },
      software: { code: 0xc, name: 'SW_CPU' },
      watchdog: { code: 0x7, name: 'TG0_WDT_HPSYS' },
    },
    bootCode: 0x18,
    flashLines: ['SPI mode:DIO, clock div:1'],
    loads: [
      [0x408556b0, 0x16b8],
      [0x4084bba0, 0xde8],
      [0x4084e5a0, 0x3170],
    ],
    entry: 0x4084bbaa,
    revision: 'v1.0',
    codeBase: 0x42000000,
  },
  esp32c6: {
    arch: 'riscv',
    rom: {
      kind: 'esp-rom',
      versionLine: 'ESP-ROM:esp32c6-20220919',
      buildLine: 'Build:Sep 19 2022',
      savedPcLabel: 'Saved PC:',
      savedPcBase: 0x40800000,
    },
    resets: {
      poweron: { code: 0x1, name: 'POWERON' },
      software: { code: 0xc, name: 'SW_CPU' },
      watchdog: { code: 0x7, name: 'TG0WDT_HPSYS' },
    },
    bootCode: 0x8,
    flashLines: ['SPIWP:0xee', 'mode:DIO, clock div:2'],
    loads: [
      [0x4086c410, 0xd8c],
      [0x4086e610, 0x2e1c],
      [0x40875728, 0x17d0],
    ],
    entry: 0x4086c410,
    revision: 'v0.1',
    codeBase: 0x42000000,
  },
  esp32s2: {
    arch: 'xtensa',
    rom: {
      kind: 'esp-rom',
      versionLine: 'ESP-ROM:esp32s2-rc4-20191025',
      buildLine: 'Build:Oct 25 2019',
      savedPcLabel: 'Saved PC:',
      savedPcBase: 0x40020000,
    },
    resets: S3_STYLE_RESETS,
    bootCode: 0x8,
    flashLines: ['SPIWP:0xee', 'mode:DIO, clock div:1'],
    loads: [
      [0x3ffe6100, 0x4b0],
      [0x4004c000, 0xa6c],
      [0x40050000, 0x25c0],
    ],
    entry: 0x4004c18c,
    revision: 'v1.0',
    codeBase: 0x40080000,
  },
  esp32s3: {
    arch: 'xtensa',
    rom: {
      kind: 'esp-rom',
      versionLine: 'ESP-ROM:esp32s3-20210327',
      buildLine: 'Build:Mar 27 2021',
      savedPcLabel: 'Saved PC:',
      savedPcBase: 0x40370000,
    },
    resets: S3_STYLE_RESETS,
    bootCode: 0x8,
    flashLines: ['SPIWP:0xee', 'mode:DIO, clock div:1'],
    loads: [
      [0x3fce3808, 0x44c],
      [0x403c9700, 0xbd8],
      [0x403cc700, 0x2a80],
    ],
    entry: 0x403c98d0,
    revision: 'v0.2',
    codeBase: 0x42000000,
  },
};

export function isWifiChip(name: string): name is ChipName {
  return (WIFI_CHIPS as readonly string[]).includes(name);
}
