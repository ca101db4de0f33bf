import { bootloaderLines, romBanner } from '../wifi-bench-sim/banner.js';
import { CHIPS, isWifiChip, type ResetCause } from '../wifi-bench-sim/chips.js';
import { createRng, randomInt, type Rng } from '../wifi-bench-sim/rng.js';
import { CAPABILITIES, type Capability } from './options.js';

export const V1_CHIPS = ['esp32', 'esp32c2', 'esp32c3', 'esp32c5', 'esp32c6', 'esp32h2', 'esp32s2', 'esp32s3'] as const;
export type V1ChipName = (typeof V1_CHIPS)[number];

export interface ChipRadios {
  wifi: boolean;
  ble: boolean;
  arch: 'xtensa' | 'riscv';
  /** Base of flash-mapped code (panic frames). */
  codeBase: number;
  /** An Espressif OUI the simulated MAC starts with (illustrative). */
  oui: readonly [number, number, number];
}

export const CHIP_RADIOS: Record<V1ChipName, ChipRadios> = {
  esp32: { wifi: true, ble: true, arch: 'xtensa', codeBase: 0x400d0000, oui: [0x24, 0x0a, 0xc4] },
  esp32c2: { wifi: true, ble: true, arch: 'riscv', codeBase: 0x42000000, oui: [0x08, 0x3a, 0x8d] },
  esp32c3: { wifi: true, ble: true, arch: 'riscv', codeBase: 0x42000000, oui: [0x84, 0xf7, 0x03] },
  esp32c5: { wifi: true, ble: true, arch: 'riscv', codeBase: 0x42000000, oui: [0x3c, 0xdc, 0x75] },
  esp32c6: { wifi: true, ble: true, arch: 'riscv', codeBase: 0x42000000, oui: [0x40, 0x4c, 0xca] },
  esp32h2: { wifi: false, ble: true, arch: 'riscv', codeBase: 0x42000000, oui: [0x74, 0x4d, 0xbd] },
  esp32s2: { wifi: true, ble: false, arch: 'xtensa', codeBase: 0x40080000, oui: [0x7c, 0xdf, 0xa1] },
  esp32s3: { wifi: true, ble: true, arch: 'xtensa', codeBase: 0x42000000, oui: [0xf4, 0x12, 0xfa] },
};

export function isV1Chip(name: string): name is V1ChipName {
  return (V1_CHIPS as readonly string[]).includes(name);
}

/** Capabilities the chip's radios allow: WiFi scenarios with WiFi, BLE roles with BLE, `coex` with both. */
export function chipCapabilities(chip: V1ChipName): Capability[] {
  const { wifi, ble } = CHIP_RADIOS[chip];
  return CAPABILITIES.filter((cap) => {
    if (cap === 'coex') return wifi && ble;
    return cap.startsWith('ble-') ? ble : wifi;
  });
}

/** FNV-1a, for seeding per-board values from text. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

export function formatMac(bytes: readonly number[]): string {
  return bytes.map(hex2).join(':');
}

export function parseMac(text: string): number[] | null {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(text)) return null;
  return text.split(':').map((b) => parseInt(b, 16));
}

/** Default base MAC: the chip's OUI and three bytes drawn from (seed, chip, ip), so boards on distinct IPs differ. */
export function defaultMac(chip: V1ChipName, seed: number, ip: string): string {
  const rng = createRng(hash32(`${seed}|${chip}|${ip}`));
  return formatMac([...CHIP_RADIOS[chip].oui, randomInt(rng, 0, 255), randomInt(rng, 0, 255), randomInt(rng, 0, 255)]);
}

/** The BLE address ESP-IDF derives from the base MAC: base + 2 in the lower three bytes. */
export function bleAddress(mac: string): string {
  const bytes = parseMac(mac) ?? [0, 0, 0, 0, 0, 0];
  const low = ((((bytes[3] ?? 0) << 16) | ((bytes[4] ?? 0) << 8) | (bytes[5] ?? 0)) + 2) & 0xffffff;
  return formatMac([bytes[0] ?? 0, bytes[1] ?? 0, bytes[2] ?? 0, low >> 16, (low >> 8) & 0xff, low & 0xff]);
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/** ESP32-H2 ROM facts (it has no WiFi, so the WiFi bench simulator does not know it). Illustrative load values. */
const H2 = {
  versionLine: 'ESP-ROM:esp32h2-20221101',
  buildLine: 'Build:Nov  1 2022',
  resets: { poweron: [0x1, 'POWERON'], software: [0xc, 'SW_CPU'], watchdog: [0x7, 'TG0WDT_HPSYS'] },
  loads: [
    [0x408319f0, 0xd80],
    [0x40833e00, 0x2c0c],
    [0x4083c000, 0x17b0],
  ],
  entry: 0x40833e00,
} as const;

/** ROM banner and second-stage bootloader lines for a reset of the given cause. */
export function bootRomLines(chip: V1ChipName, cause: ResetCause, rng: Rng): { rom: string[]; bootloader: string[] } {
  if (isWifiChip(chip)) return { rom: romBanner(chip, cause, rng), bootloader: bootloaderLines(chip) };
  const [code, name] = H2.resets[cause];
  const rom = [H2.versionLine, H2.buildLine, `rst:${hex(code)} (${name}),boot:0xc (SPI_FAST_FLASH_BOOT)`];
  if (cause !== 'poweron') rom.push(`Saved PC:${hex(0x40800000 + randomInt(rng, 0x100, 0xfffe) * 2)}`);
  rom.push('SPIWP:0xee', 'mode:DIO, clock div:1');
  rom.push(...H2.loads.map(([address, length]) => `load:${hex(address)},len:${hex(length)}`), `entry ${hex(H2.entry)}`);
  const bootloader = bootloaderLines('esp32c6').map((line) =>
    line.replaceAll('esp32c6', chip).replace(`chip revision: ${CHIPS.esp32c6.revision}`, 'chip revision: v0.1'),
  );
  return { rom, bootloader };
}
