import { CHIPS, type ChipName, type ResetCause } from './chips.js';
import { randomInt, type Rng } from './rng.js';

const hex = (n: number): string => `0x${n.toString(16)}`;

/** First-stage ROM bootloader output after a reset of the given cause. */
export function romBanner(chip: ChipName, cause: ResetCause, rng: Rng): string[] {
  const p = CHIPS[chip];
  const reset = p.resets[cause];
  const resetLine = `rst:${hex(reset.code)} (${reset.name}),boot:${hex(p.bootCode)} (SPI_FAST_FLASH_BOOT)`;
  if (p.rom.kind === 'ets') {
    return [
      p.rom.versionLine,
      '',
      resetLine,
      ...p.flashLines,
      ...p.loads.map(([address, length]) => `load:${hex(address)},len:${length}`),
      `entry ${hex(p.entry)}`,
    ];
  }
  const lines = [p.rom.versionLine, p.rom.buildLine, resetLine];
  if (cause !== 'poweron') {
    lines.push(`${p.rom.savedPcLabel}${hex(p.rom.savedPcBase + randomInt(rng, 0x100, 0xfffe) * 2)}`);
  }
  lines.push(...p.flashLines, ...p.loads.map(([address, length]) => `load:${hex(address)},len:${hex(length)}`));
  lines.push(`entry ${hex(p.entry)}`);
  return lines;
}

/** A short ESP-IDF second-stage bootloader log, as espflash's bundled bootloader prints it. */
export function bootloaderLines(chip: ChipName): string[] {
  const p = CHIPS[chip];
  const entries: Array<[number, string]> = [
    [24, 'boot: ESP-IDF v5.5.1 2nd stage bootloader'],
    [24, 'boot: compile time Oct  1 2025 12:00:00'],
    [25, `boot: chip revision: ${p.revision}`],
    [28, `boot.${chip}: SPI Speed      : 40MHz`],
    [32, `boot.${chip}: SPI Mode       : DIO`],
    [36, `boot.${chip}: SPI Flash Size : 4MB`],
    [40, 'boot: Enabling RNG early entropy source...'],
    [45, 'boot: Partition Table:'],
    [48, 'boot: ## Label            Usage          Type ST Offset   Length'],
    [54, 'boot:  0 nvs              WiFi data        01 02 00009000 00006000'],
    [61, 'boot:  1 phy_init         RF data          01 01 0000f000 00001000'],
    [67, 'boot:  2 factory          factory app      00 00 00010000 003f0000'],
    [74, 'boot: End of partition table'],
    [121, 'boot: Loaded app from partition at offset 0x10000'],
    [121, 'boot: Disabling RNG early entropy source...'],
  ];
  return entries.map(([ms, text]) => `I (${ms}) ${text}`);
}
